/*
 * The hypervisor's own interrupts: one periodic timer tick from the real
 * 8254's channel 0 through the real master 8259 (IRQ 0, vector 0x20 since
 * pic.c remapped it), and nothing else.
 *
 * The tick exists so the hypervisor gets control regularly while a guest
 * runs (an INTR exit at least every X86_HOST_HZ-th of a second): to read
 * console input (the Ctrl-] escape must work even when the guest spins),
 * and to deliver the guest's emulated timer interrupts on time. Between
 * ticks an idle vCPU halts the CPU (x86_host_wait).
 *
 * Interrupts are taken only in two windows: right after a VM exit (the
 * entry code sets GIF with RFLAGS.IF still on) and inside x86_host_wait();
 * everywhere else the hypervisor runs with IF clear, as before.
 *
 * The guest never touches the real PIT or PICs (its own are emulated), so
 * they stay programmed as set here. A real-hardware port would use the
 * local APIC timer instead; the 8254's port writes are slow there (1-2 us
 * each), which is why the rate is set once, not per deadline.
 */
#include <hv/log.h>
#include <x86/asm.h>
#include <x86/trap.h>
#include <x86/x86.h>

#define PIT_HZ            1193182u
#define PIT_CH0_DATA      0x40
#define PIT_CMD           0x43
#define PIT_CMD_CH0_RATE  0x34 /* channel 0, lobyte/hibyte, mode 2 (rate generator), binary */
#define PIC1_CMD          0x20
#define PIC1_DATA         0x21
#define PIC2_CMD          0xa0
#define PIC_EOI           0x20
#define PIC_OCW3_READ_ISR 0x0b
#define PIC_IRQ_TIMER     0
#define PIC_SPURIOUS_IRQ  7
#define VEC_TIMER         (VEC_FIRST_IRQ + PIC_IRQ_TIMER)
#define VEC_PIC1_SPURIOUS (VEC_FIRST_IRQ + PIC_SPURIOUS_IRQ)
#define VEC_PIC2_SPURIOUS (VEC_FIRST_IRQ + 8 + PIC_SPURIOUS_IRQ)

static u64 host_ticks;
static u64 spurious_irqs;
static u64 unexpected_irqs;
static bool timer_running;

void x86_host_timer_start(void)
{
	u16 count = (u16)((PIT_HZ + X86_HOST_HZ / 2) / X86_HOST_HZ);

	if (timer_running)
		return;
	outb(PIT_CMD, PIT_CMD_CH0_RATE);
	outb(PIT_CH0_DATA, (u8)count);
	outb(PIT_CH0_DATA, (u8)(count >> 8));
	outb(PIC1_DATA, inb(PIC1_DATA) & (u8)~BIT(PIC_IRQ_TIMER));
	timer_running = true;
	log_debug("host: timer tick at %u Hz (8254 channel 0, count %u)", X86_HOST_HZ, count);
}

/* A spurious IRQ 7 / 15 has no ISR bit (8259A datasheet): check before any EOI. */
static bool in_service(u16 cmd_port, unsigned irq)
{
	outb(cmd_port, PIC_OCW3_READ_ISR);
	return inb(cmd_port) & BIT(irq);
}

void x86_host_irq(u64 vector)
{
	switch (vector) {
	case VEC_TIMER:
		host_ticks++;
		outb(PIC1_CMD, PIC_EOI);
		return;
	case VEC_PIC1_SPURIOUS:
		if (!in_service(PIC1_CMD, PIC_SPURIOUS_IRQ)) {
			spurious_irqs++;
			return;
		}
		break;
	case VEC_PIC2_SPURIOUS:
		if (!in_service(PIC2_CMD, PIC_SPURIOUS_IRQ)) {
			/* The master saw IR2 and needs its EOI; the slave does not. */
			spurious_irqs++;
			outb(PIC1_CMD, PIC_EOI);
			return;
		}
		break;
	default:
		break;
	}
	/* Every other line is masked: an interrupt here is unexpected, but harmless. */
	if (unexpected_irqs++ == 0)
		log_warn("host: unexpected interrupt, vector %#llx (counted, not reported again)",
			 (unsigned long long)vector);
	if (vector >= VEC_FIRST_IRQ + 8 && vector < VEC_FIRST_IRQ + 16)
		outb(PIC2_CMD, PIC_EOI);
	if (vector >= VEC_FIRST_IRQ && vector < VEC_FIRST_IRQ + 16)
		outb(PIC1_CMD, PIC_EOI);
}

void x86_host_wait(void)
{
	/* STI's one-instruction shadow covers HLT: no interrupt slips in between. */
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

u64 x86_host_ticks(void)
{
	return READ_ONCE(host_ticks);
}
