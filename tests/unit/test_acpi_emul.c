/*
 * The guest's ACPI: the fixed-hardware model (vmm/dev/acpi_pm.c) driven as
 * ACPICA drives it (PM1 status write-one-to-clear, enables, the S5 sleep
 * sequence with one 16-bit write, the PM timer read as 32 bits, the reset
 * register), and the tables (vmm/loader/x86_acpi.c) parsed back from fake
 * guest RAM the way an OS finds them: RSDP checksums, XSDT -> FADT ->
 * DSDT/FACS, the FADT's ports matching the model's, the \_S5 package.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <hv/dev/acpi_pm.h>
#include <hv/errno.h>
#include <hv/loader_acpi.h>

#include "loader_fake_ram.h"

static struct acpi_pm pm;
static unsigned power_offs, resets;

static void on_power_off(void *ctx)
{
	(void)ctx;
	power_offs++;
}

static void on_reset(void *ctx)
{
	(void)ctx;
	resets++;
}

static const struct acpi_pm_ops ops = { .power_off = on_power_off, .reset = on_reset };

static int setup(void **state)
{
	(void)state;
	acpi_pm_init(&pm, &ops, NULL);
	power_offs = resets = 0;
	return 0;
}

static void status_enable_and_sci_en(void **state)
{
	(void)state;
	/* Always in ACPI mode: SCI_EN reads set, whatever was written. */
	assert_true(acpi_pm_read(&pm, ACPI_PM1_CNT, 2, 0) & ACPI_PM1_SCI_EN);
	acpi_pm_write(&pm, ACPI_PM1_CNT, 2, 0, 0);
	assert_true(acpi_pm_read(&pm, ACPI_PM1_CNT, 2, 0) & ACPI_PM1_SCI_EN);
	/* Status bits are write-one-to-clear. */
	pm.pm1_sts = ACPI_PM1_WAK_STS | ACPI_PM1_TMR_STS;
	acpi_pm_write(&pm, ACPI_PM1_EVT, 2, ACPI_PM1_WAK_STS, 0);
	assert_int_equal(acpi_pm_read(&pm, ACPI_PM1_EVT, 2, 0), ACPI_PM1_TMR_STS);
	/* Enables hold what the model implements; a 32-bit access covers both. */
	acpi_pm_write(&pm, ACPI_PM1_EVT, 4, 0xffffu << 16, 0);
	assert_int_equal(acpi_pm_read(&pm, ACPI_PM1_EVT + 2, 2, 0), ACPI_PM1_EN_MASK);
	assert_int_equal(acpi_pm_read(&pm, ACPI_PM1_EVT, 4, 0),
			 ACPI_PM1_TMR_STS | (u32)ACPI_PM1_EN_MASK << 16);
	/* Bytes the model does not implement read as all-ones. */
	assert_int_equal(acpi_pm_read(&pm, ACPI_PM_BASE + 0xb + 1, 1, 0), 0xff);
}

static void sleep_s5_is_power_off(void **state)
{
	u16 typ = ACPI_SLP_TYP_S5 << ACPI_PM1_SLP_TYP_SHIFT;

	(void)state;
	/* ACPICA: write SLP_TYP first, then SLP_TYP | SLP_EN. */
	acpi_pm_write(&pm, ACPI_PM1_CNT, 2, typ, 0);
	assert_int_equal(power_offs, 0);
	acpi_pm_write(&pm, ACPI_PM1_CNT, 2, typ | ACPI_PM1_SLP_EN, 0);
	assert_int_equal(power_offs, 1);
	/* SLP_EN reads back as 0. */
	assert_false(acpi_pm_read(&pm, ACPI_PM1_CNT, 2, 0) & ACPI_PM1_SLP_EN);
	/* Another sleep type is not power-off. */
	acpi_pm_write(&pm, ACPI_PM1_CNT, 2, (3 << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN, 0);
	assert_int_equal(power_offs, 1);
	assert_int_equal(pm.sleep_requests, 1);
	/* Byte-wise: SLP_TYP and SLP_EN are in the high byte. */
	acpi_pm_write(&pm, ACPI_PM1_CNT + 1, 1, (typ | ACPI_PM1_SLP_EN) >> 8, 0);
	assert_int_equal(power_offs, 2);
}

static void reset_register(void **state)
{
	(void)state;
	acpi_pm_write(&pm, ACPI_RESET_PORT, 1, 0x02, 0); /* SYS_RST alone: no reset yet */
	assert_int_equal(resets, 0);
	assert_int_equal(acpi_pm_read(&pm, ACPI_RESET_PORT, 1, 0), 0x02);
	acpi_pm_write(&pm, ACPI_RESET_PORT, 1, ACPI_RESET_VALUE, 0);
	assert_int_equal(resets, 1);
}

static void pm_timer(void **state)
{
	u32 a, b;

	(void)state;
	/* 3.579545 MHz: one second is 3579545 ticks, modulo 2^24. */
	assert_int_equal(acpi_pm_timer(1000000000ull), 3579545u);
	assert_int_equal(acpi_pm_timer(10ull * 1000000000ull), (10u * 3579545u) & 0xffffff);
	a = acpi_pm_read(&pm, ACPI_PM_TMR, 4, 123456789);
	b = acpi_pm_read(&pm, ACPI_PM_TMR, 4, 123456789 + 1000);
	assert_int_equal(b - a, 3); /* 1 us: 3.58 ticks */
	assert_int_equal(a >> 24, 0);
	/* Writes do nothing. */
	acpi_pm_write(&pm, ACPI_PM_TMR, 4, 0, 5);
	assert_int_equal(acpi_pm_read(&pm, ACPI_PM_TMR, 4, 123456789), a);
}

/* --- tables ------------------------------------------------------------------------------ */

#define BASE 0xe0000ull

static struct fake_ram ram;

static int ram_setup(void **state)
{
	const struct guest_range r[] = { { 0, 0x100000 } };

	(void)state;
	fake_ram_init(&ram, r, 1);
	return 0;
}

static int ram_teardown(void **state)
{
	(void)state;
	fake_ram_free(&ram);
	return 0;
}

static u8 sum(u64 gpa, u32 len)
{
	u8 buf[512], s = 0;

	assert_true(len <= sizeof(buf));
	fake_ram_read(&ram, gpa, buf, len);
	for (u32 i = 0; i < len; i++)
		s = (u8)(s + buf[i]);
	return s;
}

static void check_table(u64 gpa, const char *sig)
{
	char got[5] = { 0 };

	fake_ram_read(&ram, gpa, got, 4);
	assert_string_equal(got, sig);
	assert_int_equal(sum(gpa, fake_ram_le32(&ram, gpa + ACPI_HDR_LENGTH)), 0);
}

static void tables_parse_back(void **state)
{
	char sig[9] = { 0 };
	u64 fadt, dsdt, facs;
	u8 aml[13], b;

	(void)state;
	assert_int_equal(x86_acpi_build(&ram.mem, gpa(BASE)), 0);
	fake_ram_read(&ram, BASE, sig, 8);
	assert_string_equal(sig, ACPI_RSDP_SIG);
	assert_int_equal(sum(BASE, ACPI_RSDP_V1_SIZE), 0);
	assert_int_equal(sum(BASE, ACPI_RSDP_SIZE), 0);
	fake_ram_read(&ram, BASE + ACPI_RSDP_REVISION, &b, 1);
	assert_int_equal(b, 2);
	/* XSDT and RSDT both list the FADT. */
	check_table(fake_ram_le64(&ram, BASE + ACPI_RSDP_XSDT), "XSDT");
	check_table(fake_ram_le32(&ram, BASE + ACPI_RSDP_RSDT), "RSDT");
	fadt = fake_ram_le64(&ram, fake_ram_le64(&ram, BASE + ACPI_RSDP_XSDT) + ACPI_HDR_SIZE);
	assert_int_equal(
	    fake_ram_le32(&ram, fake_ram_le32(&ram, BASE + ACPI_RSDP_RSDT) + ACPI_HDR_SIZE), fadt);
	check_table(fadt, "FACP");
	assert_int_equal(fake_ram_le32(&ram, fadt + ACPI_HDR_LENGTH), ACPI_FADT_SIZE);
	/* The FADT's ports are the model's. */
	assert_int_equal(fake_ram_le32(&ram, fadt + ACPI_FADT_PM1A_EVT_BLK), ACPI_PM1_EVT);
	assert_int_equal(fake_ram_le32(&ram, fadt + ACPI_FADT_PM1A_CNT_BLK), ACPI_PM1_CNT);
	assert_int_equal(fake_ram_le32(&ram, fadt + ACPI_FADT_PM_TMR_BLK), ACPI_PM_TMR);
	assert_int_equal(fake_ram_le32(&ram, fadt + ACPI_FADT_SMI_CMD), 0);
	assert_int_equal(fake_ram_le64(&ram, fadt + ACPI_FADT_RESET_REG + ACPI_GAS_ADDRESS),
			 ACPI_RESET_PORT);
	fake_ram_read(&ram, fadt + ACPI_FADT_RESET_VALUE, &b, 1);
	assert_int_equal(b, ACPI_RESET_VALUE);
	assert_true(fake_ram_le32(&ram, fadt + ACPI_FADT_FLAGS) & ACPI_FADT_F_RESET_REG_SUP);
	/* No 8042: Linux skips the keyboard controller. */
	assert_false(fake_ram_le32(&ram, fadt + ACPI_FADT_IAPC_BOOT_ARCH) & ACPI_BOOT_8042);
	dsdt = fake_ram_le64(&ram, fadt + ACPI_FADT_X_DSDT);
	/* ACPI 5.2.9: with X_DSDT and X_FIRMWARE_CTRL set, the 32-bit fields must be 0. */
	assert_int_equal(fake_ram_le32(&ram, fadt + ACPI_FADT_DSDT), 0);
	assert_int_equal(fake_ram_le32(&ram, fadt + ACPI_FADT_FIRMWARE_CTRL), 0);
	check_table(dsdt, "DSDT");
	facs = fake_ram_le64(&ram, fadt + ACPI_FADT_X_FIRMWARE_CTRL);
	assert_int_equal(facs % 64, 0);
	fake_ram_read(&ram, facs, sig, 4);
	sig[4] = 0;
	assert_string_equal(sig, "FACS");
	/* \_S5 = Package {5, 0, 0, 0}. */
	fake_ram_read(&ram, dsdt + ACPI_HDR_SIZE, aml, sizeof(aml));
	assert_int_equal(aml[0], AML_NAME_OP);
	assert_memory_equal(aml + 1, "_S5_", 4);
	assert_int_equal(aml[5], AML_PACKAGE_OP);
	assert_int_equal(aml[7], 4);
	assert_int_equal(aml[8], AML_BYTE_PREFIX);
	assert_int_equal(aml[9], ACPI_SLP_TYP_S5);
	assert_int_equal(fake_ram_le32(&ram, dsdt + ACPI_HDR_LENGTH), ACPI_HDR_SIZE + sizeof(aml));
}

static void tables_refuse_bad_bases(void **state)
{
	(void)state;
	assert_int_equal(x86_acpi_build(&ram.mem, gpa(BASE + 8)), HV_EINVAL);
	assert_int_equal(x86_acpi_build(&ram.mem, gpa(0x100000000ull)), HV_EINVAL);
	assert_int_equal(x86_acpi_build(&ram.mem, gpa(0xfffc0)), HV_EFAULT);
	assert_int_equal(ram.bytes_written, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(status_enable_and_sci_en, setup),
		cmocka_unit_test_setup(sleep_s5_is_power_off, setup),
		cmocka_unit_test_setup(reset_register, setup),
		cmocka_unit_test_setup(pm_timer, setup),
		cmocka_unit_test_setup_teardown(tables_parse_back, ram_setup, ram_teardown),
		cmocka_unit_test_setup_teardown(tables_refuse_bad_bases, ram_setup, ram_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
