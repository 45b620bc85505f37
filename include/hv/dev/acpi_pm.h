/*
 * The ACPI fixed hardware a guest needs to power itself off and reset
 * (vmm/dev/acpi_pm.c): the PM1a event block (status, enable), the PM1a
 * control block (SCI_EN, SLP_TYP, SLP_EN), the 24-bit PM timer at
 * 3.579545 MHz, and a reset register. The FADT the loader writes
 * (vmm/loader/x86_acpi.c) points the guest at these ports; writing SLP_EN
 * with the S5 sleep type is "power off", writing the reset value to the
 * reset register is "reset". Both are reported through callbacks: the
 * device never stops anything itself.
 *
 * No SCI is ever raised (no fixed or general-purpose events are
 * generated); the guest always runs in ACPI mode (the FADT has no SMI
 * command port, so SCI_EN reads as set).
 *
 * Register layout: ACPI 6.5, 4.8.3 "Fixed Hardware Registers": 4.8.3.1
 * (PM1 event: status bits table 4.16, enable bits table 4.17), 4.8.3.2
 * (PM1 control, table 4.18), 4.8.3.3 (PM timer), 4.8.3.6 (reset register).
 */
#ifndef HV_DEV_ACPI_PM_H
#define HV_DEV_ACPI_PM_H

#include <hv/types.h>

/* Where they live in the guest's I/O space (the PIIX4's usual PM base, and 0xcf9). */
#define ACPI_PM_BASE       0x600
#define ACPI_PM1_EVT       (ACPI_PM_BASE + 0x0) /* PM1a_EVT_BLK: status (2), enable (2) */
#define ACPI_PM1_EVT_LEN   4
#define ACPI_PM1_CNT       (ACPI_PM_BASE + 0x4) /* PM1a_CNT_BLK */
#define ACPI_PM1_CNT_LEN   2
#define ACPI_PM_TMR        (ACPI_PM_BASE + 0x8) /* PM_TMR_BLK */
#define ACPI_PM_TMR_LEN    4
#define ACPI_PM_SIZE       0xc
#define ACPI_RESET_PORT    0xcf9 /* RESET_REG, also the PC's reset control register */
#define ACPI_RESET_VALUE   0x06  /* full CPU reset, what the FADT says to write */
#define ACPI_RESET_RST_CPU BIT(2)

/* PM1 status / enable bits (tables 4.16, 4.17): the same positions in both. */
#define ACPI_PM1_TMR_STS     BIT(0)
#define ACPI_PM1_BM_STS      BIT(4)
#define ACPI_PM1_GBL_STS     BIT(5)
#define ACPI_PM1_PWRBTN_STS  BIT(8)
#define ACPI_PM1_SLPBTN_STS  BIT(9)
#define ACPI_PM1_RTC_STS     BIT(10)
#define ACPI_PM1_PCIEXP_WAKE BIT(14)
#define ACPI_PM1_WAK_STS     BIT(15)
#define ACPI_PM1_STS_MASK                                                                          \
	(ACPI_PM1_TMR_STS | ACPI_PM1_BM_STS | ACPI_PM1_GBL_STS | ACPI_PM1_PWRBTN_STS |             \
	 ACPI_PM1_SLPBTN_STS | ACPI_PM1_RTC_STS | ACPI_PM1_PCIEXP_WAKE | ACPI_PM1_WAK_STS)
/* Enables hold what the OS writes (ACPICA reads them back); no event ever fires. */
#define ACPI_PM1_EN_MASK                                                                           \
	(ACPI_PM1_TMR_STS | ACPI_PM1_GBL_STS | ACPI_PM1_PWRBTN_STS | ACPI_PM1_SLPBTN_STS |         \
	 ACPI_PM1_RTC_STS | ACPI_PM1_PCIEXP_WAKE)

/* PM1 control bits (table 4.18). */
#define ACPI_PM1_SCI_EN        BIT(0)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK  GENMASK(12, 10)
#define ACPI_PM1_SLP_EN        BIT(13)
#define ACPI_PM1_CNT_RW_MASK   (GENMASK(9, 1) | ACPI_PM1_SLP_TYP_MASK)

/* The sleep type value our DSDT's \_S5 package names for "soft off". */
#define ACPI_SLP_TYP_S5    5

#define ACPI_PM_TIMER_HZ   3579545ull
#define ACPI_PM_TIMER_MASK GENMASK(23, 0)

struct acpi_pm_ops {
	void (*power_off)(void *ctx); /* SLP_EN with the S5 type */
	void (*reset)(void *ctx);     /* the reset value written to the reset register */
};

struct acpi_pm {
	const struct acpi_pm_ops *ops;
	void *ctx;
	u16 pm1_sts, pm1_en, pm1_cnt;
	u8 reset_reg;
	u64 sleep_requests; /* SLP_EN with a type other than S5: ignored */
};

void acpi_pm_init(struct acpi_pm *pm, const struct acpi_pm_ops *ops, void *ctx);

/*
 * A port access of size 1, 2 or 4 at port (inside [ACPI_PM_BASE,
 * ACPI_PM_BASE + ACPI_PM_SIZE) or ACPI_RESET_PORT). now is nanoseconds
 * for the PM timer. Unimplemented bytes read as all-ones and ignore writes.
 */
u32 acpi_pm_read(struct acpi_pm *pm, u16 port, unsigned size, u64 now);
void acpi_pm_write(struct acpi_pm *pm, u16 port, unsigned size, u32 value, u64 now);

/* The PM timer's value at now (ns): 24 bits. */
u32 acpi_pm_timer(u64 now);

#endif /* HV_DEV_ACPI_PM_H */
