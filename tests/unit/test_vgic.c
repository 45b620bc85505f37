/*
 * The emulated GIC distributor and redistributors (vmm/dev/vgic.c): the
 * register sequence Linux's GICv2 and GICv3 drivers write at boot, then
 * interrupt delivery as the list-register code drives it: level lines that
 * stay high come back after EOI, edges are latched, priorities order the
 * picks, groups and enables gate them, SGIs reach their targets with their
 * source, HW-linked interrupts carry their physical ID. A seeded fuzzer of
 * random accesses checks that nothing a guest writes breaks the model's
 * invariants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/dev/vgic.h>

#define UART_SPI  33
#define TIMER_PPI 27

static struct vgic g;

static void wr(u32 cpu, u64 off, u64 v)
{
	vgic_dist_write(&g, cpu, off, 4, v);
}

static u32 rd(u32 cpu, u64 off)
{
	return (u32)vgic_dist_read(&g, cpu, off, 4);
}

/* What Linux's gic_dist_init() and gic_cpu_init() do for a GICv2 (4 bytes at a time). */
static void linux_v2_boot(void)
{
	wr(0, GICD_CTLR, 0);
	for (u32 i = 32; i < VGIC_IRQS; i += 16)
		wr(0, GICD_ICFGR + i / 4, 0); /* level */
	for (u32 i = 32; i < VGIC_IRQS; i += 4)
		wr(0, GICD_ITARGETSR + i, 0x01010101);
	for (u32 i = 0; i < VGIC_IRQS; i += 4)
		wr(0, GICD_IPRIORITYR + i, 0xa0a0a0a0);
	for (u32 i = 0; i < VGIC_IRQS; i += 32) {
		wr(0, GICD_ICACTIVER + i / 8, ~0u);
		wr(0, GICD_ICENABLER + i / 8, ~0u);
	}
	wr(0, GICD_CTLR, GICD_CTLR_ENABLE_GRP0);
}

static void v2_identity(void **state)
{
	(void)state;
	vgic_init(&g, VGIC_V2, 2, NULL);
	/* 96 interrupt IDs, 2 CPUs, no security extensions. */
	assert_int_equal(rd(0, GICD_TYPER), (VGIC_IRQS / 32 - 1) | 1 << 5);
	assert_int_equal(rd(0, GICD_PIDR2_V2) >> 4, 2);
	/* ITARGETSR0-7 read as the reading CPU: how Linux learns its CPU mask. */
	assert_int_equal(rd(0, GICD_ITARGETSR), 0x01010101);
	assert_int_equal(rd(1, GICD_ITARGETSR + 28), 0x02020202);
	/* SGIs: edge, enabled (RAO/WI). */
	assert_int_equal(rd(0, GICD_ICFGR), 0xaaaaaaaa);
	wr(0, GICD_ICENABLER, 0xffff);
	assert_int_equal(rd(0, GICD_ISENABLER) & 0xffff, 0xffff);
	assert_int_equal(g.bad_accesses, 0);
}

static void v2_level_interrupt(void **state)
{
	struct vgic_lr_desc d;

	(void)state;
	vgic_init(&g, VGIC_V2, 1, NULL);
	linux_v2_boot();
	vgic_set_line(&g, 0, UART_SPI, true);
	assert_int_equal(vgic_pick(&g, 0), -1); /* not enabled yet */
	wr(0, GICD_ISENABLER + 4, 1u << (UART_SPI - 32));
	assert_int_equal(vgic_pick(&g, 0), UART_SPI);
	d = vgic_take(&g, 0, UART_SPI);
	assert_int_equal(d.intid, UART_SPI);
	assert_int_equal(d.priority, 0xa0);
	assert_true(d.eoi_notify);
	assert_false(d.hw);
	assert_int_equal(vgic_pick(&g, 0), -1); /* held by a list register */
	/* The guest EOIs while the line is still high: delivered again. */
	vgic_retire(&g, 0, UART_SPI, false, false);
	assert_int_equal(vgic_pick(&g, 0), UART_SPI);
	vgic_take(&g, 0, UART_SPI);
	vgic_set_line(&g, 0, UART_SPI, false);
	vgic_retire(&g, 0, UART_SPI, false, false);
	assert_int_equal(vgic_pick(&g, 0), -1);
	/* Pending state as ISPENDR shows it follows the line. */
	assert_int_equal(rd(0, GICD_ISPENDR + 4) & (1u << (UART_SPI - 32)), 0);
}

static void v2_edge_latched(void **state)
{
	(void)state;
	vgic_init(&g, VGIC_V2, 1, NULL);
	linux_v2_boot();
	wr(0, GICD_ICFGR + 40 / 16 * 4, GICD_ICFGR_EDGE << 2 * (40 % 16)); /* SPI 40 edge */
	wr(0, GICD_ISENABLER + 4, 1u << 8);
	vgic_set_line(&g, 0, 40, true);
	vgic_set_line(&g, 0, 40, false); /* the pulse is over; the latch stays */
	assert_int_equal(vgic_pick(&g, 0), 40);
	vgic_take(&g, 0, 40);
	vgic_retire(&g, 0, 40, false, false);
	assert_int_equal(vgic_pick(&g, 0), -1);
	/* ISPENDR / ICPENDR set and clear the latch. */
	wr(0, GICD_ISPENDR + 4, 1u << 8);
	assert_int_equal(vgic_pick(&g, 0), 40);
	wr(0, GICD_ICPENDR + 4, 1u << 8);
	assert_int_equal(vgic_pick(&g, 0), -1);
}

static void priorities_groups_targets(void **state)
{
	(void)state;
	vgic_init(&g, VGIC_V2, 2, NULL);
	linux_v2_boot();
	wr(0, GICD_ISENABLER + 4, 0x7);                        /* SPIs 32, 33, 34 */
	vgic_dist_write(&g, 0, GICD_IPRIORITYR + 34, 1, 0x10); /* byte access */
	vgic_dist_write(&g, 0, GICD_IPRIORITYR + 33, 1, 0x17); /* low 3 bits dropped: 0x10 */
	assert_int_equal(vgic_dist_read(&g, 0, GICD_IPRIORITYR + 33, 1), 0x10);
	for (u32 n = 32; n < 35; n++)
		vgic_set_line(&g, 0, n, true);
	/* 33 and 34 tie at 0x10: the lower ID first; 32 (0xa0) last. */
	assert_int_equal(vgic_pick(&g, 0), 33);
	vgic_take(&g, 0, 33);
	assert_int_equal(vgic_pick(&g, 0), 34);
	vgic_take(&g, 0, 34);
	assert_int_equal(vgic_pick(&g, 0), 32);
	/* SPI 32 moved to CPU 1: CPU 0 no longer sees it. */
	vgic_dist_write(&g, 0, GICD_ITARGETSR + 32, 1, 0x2);
	assert_int_equal(vgic_pick(&g, 0), -1);
	assert_int_equal(vgic_pick(&g, 1), 32);
	/* Group 1 is not enabled in GICD_CTLR: moving 32 there hides it. */
	wr(0, GICD_IGROUPR + 4, 1);
	assert_int_equal(vgic_pick(&g, 1), -1);
	wr(0, GICD_CTLR, GICD_CTLR_ENABLE_GRP0 | GICD_CTLR_ENABLE_GRP1);
	assert_int_equal(vgic_pick(&g, 1), 32);
	/* A list register holding 34: disabling it asks the arch code to look again. */
	g.cpu[0].lr_recheck = false;
	wr(0, GICD_ICENABLER + 4, 1u << 2);
	assert_true(g.cpu[0].lr_recheck);
	assert_false(vgic_lr_still_wanted(&g, 0, 34));
	assert_true(vgic_lr_still_wanted(&g, 0, 33));
}

static void sgis(void **state)
{
	struct vgic_lr_desc d;

	(void)state;
	vgic_init(&g, VGIC_V2, 3, NULL);
	linux_v2_boot();
	/* CPU 2 sends SGI 5 to "all others", CPU 0 sends SGI 5 to itself. */
	wr(2, GICD_SGIR, GICD_SGIR_FILTER_OTHERS << 24 | 5);
	wr(0, GICD_SGIR, GICD_SGIR_FILTER_SELF << 24 | 5);
	assert_int_equal(vgic_pick(&g, 2), -1);
	assert_int_equal(vgic_pick(&g, 1), 5);
	assert_int_equal(vgic_dist_read(&g, 0, GICD_SPENDSGIR + 5, 1), 0x5); /* sources 0 and 2 */
	d = vgic_take(&g, 0, 5);
	assert_int_equal(d.source, 0);
	assert_int_equal(vgic_pick(&g, 0), -1);
	vgic_retire(&g, 0, 5, false, false);
	d = vgic_take(&g, 0, (u32)vgic_pick(&g, 0));
	assert_int_equal(d.intid, 5);
	assert_int_equal(d.source, 2);
	vgic_retire(&g, 0, 5, false, false);
	assert_int_equal(vgic_pick(&g, 0), -1);
	/* A target list naming CPU 1 only. */
	wr(0, GICD_SGIR, GICD_SGIR_FILTER_LIST << 24 | 0x2 << 16 | 9);
	vgic_dist_write(&g, 1, GICD_CPENDSGIR + 5, 1, 0xff); /* clear SGI 5's sources on CPU 1 */
	assert_int_equal(vgic_pick(&g, 1), 9);
}

static void hw_linked_timer(void **state)
{
	struct vgic_lr_desc d;

	(void)state;
	vgic_init(&g, VGIC_V2, 1, NULL);
	linux_v2_boot();
	vgic_link_hw(&g, 0, TIMER_PPI, TIMER_PPI);
	wr(0, GICD_ISENABLER, 1u << TIMER_PPI);
	vgic_set_pending(&g, 0, TIMER_PPI);
	assert_int_equal(vgic_pick(&g, 0), TIMER_PPI);
	d = vgic_take(&g, 0, TIMER_PPI);
	assert_true(d.hw);
	assert_int_equal(d.hw_intid, TIMER_PPI);
	assert_false(d.eoi_notify); /* the hardware deactivates it */
}

static void v3_boot_and_routing(void **state)
{
	static const u64 mpidr[2] = { 0x0, 0x1 };

	(void)state;
	vgic_init(&g, VGIC_V3, 2, mpidr);
	assert_int_equal(rd(0, GICD_CTLR), GICD_CTLR_ARE | GICD_CTLR_DS);
	assert_int_equal(rd(0, GICD_PIDR2_V3) >> 4, 3);
	assert_int_equal((rd(0, GICD_TYPER) >> GICD_TYPER_IDBITS_SHIFT) & 0x1f, 9);
	/* Redistributors: the last one says so; wake them up as Linux does. */
	assert_int_equal(vgic_redist_size(&g), 2 * GICR_STRIDE);
	assert_int_equal(vgic_redist_read(&g, GICR_TYPER, 8) & GICR_TYPER_LAST, 0);
	assert_int_equal(vgic_redist_read(&g, GICR_STRIDE + GICR_TYPER, 8),
			 1ull << 32 | 1 << 8 | GICR_TYPER_LAST);
	assert_int_equal(vgic_redist_read(&g, GICR_PIDR2, 4) >> 4, 3);
	assert_true(vgic_redist_read(&g, GICR_WAKER, 4) & GICR_WAKER_CHILDREN_ASLEEP);
	vgic_redist_write(&g, GICR_WAKER, 4, 0);
	assert_int_equal(vgic_redist_read(&g, GICR_WAKER, 4), 0);
	/* Private interrupts: through the SGI frame, not the distributor. */
	wr(0, GICD_ISENABLER, ~0u);
	assert_int_equal(rd(0, GICD_ISENABLER), 0);
	vgic_redist_write(&g, GICR_STRIDE + GICR_IGROUPR0, 4, ~0u);
	vgic_redist_write(&g, GICR_STRIDE + GICR_ISENABLER0, 4, 1u << TIMER_PPI);
	assert_int_equal(vgic_redist_read(&g, GICR_STRIDE + GICR_ISENABLER0, 4), 1u << TIMER_PPI);
	assert_int_equal(vgic_redist_read(&g, GICR_ISENABLER0, 4), 0);
	wr(0, GICD_CTLR, GICD_CTLR_ENABLE_GRP1);
	vgic_set_pending(&g, 1, TIMER_PPI);
	assert_int_equal(vgic_pick(&g, 1), TIMER_PPI);
	/* SPI routing by IROUTER, 64-bit access. */
	wr(0, GICD_IGROUPR + 4, ~0u);
	wr(0, GICD_ISENABLER + 4, 1u << (UART_SPI - 32));
	vgic_dist_write(&g, 0, GICD_IROUTER + 8 * UART_SPI, 8, 0x1);
	assert_int_equal(vgic_dist_read(&g, 0, GICD_IROUTER + 8 * UART_SPI, 8), 0x1);
	vgic_set_line(&g, 0, UART_SPI, true);
	assert_int_equal(vgic_pick(&g, 0), -1);
	vgic_take(&g, 1, TIMER_PPI);
	assert_int_equal(vgic_pick(&g, 1), UART_SPI);
	assert_int_equal(g.bad_accesses, 0);
}

static void v3_sgis(void **state)
{
	static const u64 mpidr[4] = { 0x0, 0x1, 0x100, 0x100000000ull };

	(void)state;
	vgic_init(&g, VGIC_V3, 4, mpidr);
	for (u32 c = 0; c < 4; c++) {
		vgic_redist_write(&g, c * GICR_STRIDE + GICR_IGROUPR0, 4, ~0u);
		vgic_redist_write(&g, c * GICR_STRIDE + GICR_ISENABLER0, 4, 0xffff);
	}
	wr(0, GICD_CTLR, GICD_CTLR_ENABLE_GRP1);
	/* SGI 3 to Aff0 1 (target list bit 1), Aff1 = Aff2 = Aff3 = 0: vCPU 1 only. */
	vgic_send_sgi_v3(&g, 0, 3ull << 24 | 0x2);
	assert_int_equal(vgic_pick(&g, 1), 3);
	assert_int_equal(vgic_pick(&g, 0), -1);
	assert_int_equal(vgic_pick(&g, 2), -1);
	/* SGI 4 to Aff1 1, Aff0 0: vCPU 2 (MPIDR 0x100). */
	vgic_send_sgi_v3(&g, 0, 4ull << 24 | 1ull << 16 | 0x1);
	assert_int_equal(vgic_pick(&g, 2), 4);
	/* SGI 5 to Aff3 1: vCPU 3. */
	vgic_send_sgi_v3(&g, 0, 5ull << 24 | 1ull << 48 | 0x1);
	assert_int_equal(vgic_pick(&g, 3), 5);
	/* IRM: everybody but the sender. */
	vgic_send_sgi_v3(&g, 1, 6ull << 24 | 1ull << 40);
	assert_int_equal(vgic_pick(&g, 0), 6);
	assert_int_equal(vgic_pick(&g, 1), 3);
	/* A range selector that names nobody. */
	vgic_send_sgi_v3(&g, 0, 7ull << 24 | 1ull << 44 | 0xffff);
	assert_int_equal(vgic_irq_state(&g, 0, 7)->latch, false);
	assert_int_equal(vgic_irq_state(&g, 1, 7)->latch, false);
}

static void bad_accesses_are_harmless(void **state)
{
	(void)state;
	vgic_init(&g, VGIC_V2, 1, NULL);
	assert_int_equal(vgic_dist_read(&g, 0, GICD_ISENABLER, 2), 0); /* halfword: not allowed */
	assert_int_equal(vgic_dist_read(&g, 0, GICD_CTLR, 8), 0);
	vgic_dist_write(&g, 0, 0x0c, 4, ~0ull);   /* reserved offset */
	vgic_dist_write(&g, 0, GICD_TYPER, 4, 0); /* read-only */
	assert_int_equal(rd(0, GICD_TYPER) & GICD_TYPER_ITLINES_MASK, VGIC_IRQS / 32 - 1);
	assert_int_equal(vgic_dist_read(&g, 5, GICD_CTLR, 4), 0); /* no such vCPU */
	assert_int_equal(vgic_redist_read(&g, 0, 4), 0);          /* v2 has no GICR */
	assert_true(g.bad_accesses >= 4);
}

/* Random accesses from a hostile guest: no crash (ASan), and the invariants hold. */
static void fuzz(void **state)
{
	static const u64 mpidr[4] = { 0, 1, 2, 3 };
	static const unsigned sizes[] = { 1, 2, 4, 8 };

	(void)state;
	srand(1234);
	for (unsigned round = 0; round < 2; round++) {
		vgic_init(&g, round ? VGIC_V3 : VGIC_V2, 4, mpidr);
		for (unsigned i = 0; i < 200000; i++) {
			u32 cpu = (u32)rand() % 5;
			u64 off = (u64)rand() % (round ? GICD_SIZE_V3 : GICD_SIZE_V2);
			unsigned size = sizes[rand() % 4];
			u64 v = (u64)rand() << 33 ^ (u64)rand();

			switch (rand() % 6) {
			case 0:
				vgic_dist_read(&g, cpu, off, size);
				break;
			case 1:
				vgic_dist_write(&g, cpu, off, size, v);
				break;
			case 2:
				vgic_redist_write(&g, (u64)rand() % (5 * GICR_STRIDE), size, v);
				break;
			case 3:
				vgic_set_line(&g, cpu, (u32)rand() % 128, rand() & 1);
				break;
			default: {
				int n = vgic_pick(&g, cpu % 4);

				if (n >= 0) {
					const struct vgic_irq *q =
					    vgic_irq_state(&g, cpu % 4, (u32)n);

					assert_true(n < VGIC_IRQS);
					assert_true(q->enabled && !q->in_lr && !q->active);
					vgic_take(&g, cpu % 4, (u32)n);
					assert_true(q->in_lr);
					if (rand() & 1)
						vgic_retire(&g, cpu % 4, (u32)n, rand() & 1, false);
				}
			}
			}
		}
		for (u32 n = 0; n < VGIC_SPIS; n++)
			assert_int_equal(g.spi[n].priority & ~VGIC_PRIO_MASK, 0);
		for (u32 c = 0; c < 4; c++)
			for (u32 n = 0; n < GIC_SGI_COUNT; n++)
				assert_true(g.cpu[c].priv[n].edge);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v2_identity),
		cmocka_unit_test(v2_level_interrupt),
		cmocka_unit_test(v2_edge_latched),
		cmocka_unit_test(priorities_groups_targets),
		cmocka_unit_test(sgis),
		cmocka_unit_test(hw_linked_timer),
		cmocka_unit_test(v3_boot_and_routing),
		cmocka_unit_test(v3_sgis),
		cmocka_unit_test(bad_accesses_are_harmless),
		cmocka_unit_test(fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
