/*
 * ACPI fixed hardware for guests (contract in hv/dev/acpi_pm.h): PM1a
 * status/enable/control, the PM timer and the reset register. Accesses of
 * any width are split into bytes of the 16-bit registers; a write's side
 * effects (clearing status bits, sleeping) happen once per register, after
 * all its bytes are in, so a 16-bit write of SLP_TYP | SLP_EN acts as one.
 */
#include <hv/dev/acpi_pm.h>
#include <hv/string.h>

#define NS_PER_SEC 1000000000ull

enum pm_reg { REG_STS, REG_EN, REG_CNT, REG_TMR, REG_COUNT, REG_NONE = REG_COUNT };

/* Register and byte index of a port in the PM block. */
static enum pm_reg reg_of(u16 port, unsigned *byte)
{
	if (port >= ACPI_PM1_EVT && port < ACPI_PM1_EVT + 2) {
		*byte = port - ACPI_PM1_EVT;
		return REG_STS;
	}
	if (port >= ACPI_PM1_EVT + 2 && port < ACPI_PM1_EVT + ACPI_PM1_EVT_LEN) {
		*byte = port - ACPI_PM1_EVT - 2;
		return REG_EN;
	}
	if (port >= ACPI_PM1_CNT && port < ACPI_PM1_CNT + ACPI_PM1_CNT_LEN) {
		*byte = port - ACPI_PM1_CNT;
		return REG_CNT;
	}
	if (port >= ACPI_PM_TMR && port < ACPI_PM_TMR + ACPI_PM_TMR_LEN) {
		*byte = port - ACPI_PM_TMR;
		return REG_TMR;
	}
	return REG_NONE;
}

void acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_ops *ops, void *ctx)
{
	memset(pm, 0, sizeof(*pm));
	pm->ops = ops;
	pm->ctx = ctx;
}

u32 acpi_pm_timer(u64 now)
{
	u64 ticks =
	    now / NS_PER_SEC * ACPI_PM_TIMER_HZ + now % NS_PER_SEC * ACPI_PM_TIMER_HZ / NS_PER_SEC;

	return (u32)(ticks & ACPI_PM_TIMER_MASK);
}

u32 acpi_pm_read(struct acpi_pm *pm, u16 port, unsigned size, u64 now)
{
	u32 timer = acpi_pm_timer(now), v = 0;

	for (unsigned i = 0; i < size; i++) {
		u16 at = (u16)(port + i);
		unsigned byte;
		u32 reg;

		switch (reg_of(at, &byte)) {
		case REG_STS:
			reg = pm->pm1_sts;
			break;
		case REG_EN:
			reg = pm->pm1_en;
			break;
		case REG_CNT:
			reg = pm->pm1_cnt | ACPI_PM1_SCI_EN;
			break;
		case REG_TMR:
			reg = timer;
			break;
		default:
			reg = at == ACPI_RESET_PORT ? pm->reset_reg : 0xff;
			byte = 0;
			break;
		}
		v |= ((reg >> (8 * byte)) & 0xff) << (8 * i);
	}
	return v;
}

void acpi_pm_write(struct acpi_pm *pm, u16 port, unsigned size, u32 value, u64 now)
{
	u16 val[REG_COUNT] = { 0 }, mask[REG_COUNT] = { 0 };
	u16 cnt;

	(void)now;
	for (unsigned i = 0; i < size; i++) {
		u16 at = (u16)(port + i);
		u8 b = (u8)(value >> (8 * i));
		unsigned byte;
		enum pm_reg r = reg_of(at, &byte);

		if (r == REG_NONE) {
			if (at == ACPI_RESET_PORT) {
				pm->reset_reg = b;
				if (b & ACPI_RESET_RST_CPU)
					pm->ops->reset(pm->ctx);
			}
			continue;
		}
		if (r == REG_TMR)
			continue; /* read-only */
		val[r] |= (u16)(b << (8 * byte));
		mask[r] |= (u16)(0xff << (8 * byte));
	}
	/* Status bits are write-one-to-clear. */
	pm->pm1_sts &= (u16) ~(val[REG_STS] & mask[REG_STS] & ACPI_PM1_STS_MASK);
	pm->pm1_en =
	    (u16)((pm->pm1_en & ~mask[REG_EN]) | (val[REG_EN] & mask[REG_EN] & ACPI_PM1_EN_MASK));
	if (!mask[REG_CNT])
		return;
	cnt = (u16)((pm->pm1_cnt & ~mask[REG_CNT]) | (val[REG_CNT] & mask[REG_CNT]));
	pm->pm1_cnt = cnt & ACPI_PM1_CNT_RW_MASK;
	if (!(cnt & ACPI_PM1_SLP_EN))
		return;
	/* SLP_EN is write-only: it acts and reads back as 0. */
	if (((cnt & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT) == ACPI_SLP_TYP_S5)
		pm->ops->power_off(pm->ctx);
	else
		pm->sleep_requests++;
}
