/*
 * The minimal ACPI tables of hv/loader_acpi.h, built in a local buffer
 * (little-endian fields written byte by byte), checksummed, then written to
 * guest memory in one piece.
 */
#include <hv/dev/acpi_pm.h>
#include <hv/errno.h>
#include <hv/loader_acpi.h>
#include <hv/string.h>

#define FOUR_GIB         BIT(32)
#define OEM_ID           "HV    "
#define OEM_TABLE_ID     "HVGUEST "
#define CREATOR_ID       "HV  "
#define OEM_REVISION     1
#define CREATOR_REVISION 1
#define XSDT_REVISION    1
#define RSDT_REVISION    1
#define DSDT_REVISION    2
#define SCI_IRQ          9
#define HYPERVISOR_ID    "hv"

static void put(u8 *p, u64 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u8 checksum(const u8 *p, size_t n)
{
	u8 sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (u8)(sum + p[i]);
	return (u8)-sum;
}

static void header(u8 *t, const char *sig, u32 length, u8 revision)
{
	memcpy(t + ACPI_HDR_SIGNATURE, sig, 4);
	put(t + ACPI_HDR_LENGTH, length, 4);
	t[ACPI_HDR_REVISION] = revision;
	memcpy(t + ACPI_HDR_OEMID, OEM_ID, 6);
	memcpy(t + ACPI_HDR_OEM_TABLE_ID, OEM_TABLE_ID, 8);
	put(t + ACPI_HDR_OEM_REVISION, OEM_REVISION, 4);
	memcpy(t + ACPI_HDR_CREATOR_ID, CREATOR_ID, 4);
	put(t + ACPI_HDR_CREATOR_REV, CREATOR_REVISION, 4);
}

static void seal(u8 *t)
{
	u32 length = loader_le32(t + ACPI_HDR_LENGTH);

	t[ACPI_HDR_CHECKSUM] = 0;
	t[ACPI_HDR_CHECKSUM] = checksum(t, length);
}

static void build_fadt(u8 *t, u64 base)
{
	u8 *reset = t + ACPI_FADT_RESET_REG;

	header(t, "FACP", ACPI_FADT_SIZE, ACPI_FADT_REVISION);
	/* The 32-bit FIRMWARE_CTRL and DSDT stay 0: the X_ fields are used (5.2.9). */
	put(t + ACPI_FADT_SCI_INT, SCI_IRQ, 2);
	put(t + ACPI_FADT_SMI_CMD, 0, 4); /* no SMI command port: always in ACPI mode */
	put(t + ACPI_FADT_PM1A_EVT_BLK, ACPI_PM1_EVT, 4);
	put(t + ACPI_FADT_PM1A_CNT_BLK, ACPI_PM1_CNT, 4);
	put(t + ACPI_FADT_PM_TMR_BLK, ACPI_PM_TMR, 4);
	t[ACPI_FADT_PM1_EVT_LEN] = ACPI_PM1_EVT_LEN;
	t[ACPI_FADT_PM1_CNT_LEN] = ACPI_PM1_CNT_LEN;
	t[ACPI_FADT_PM_TMR_LEN] = ACPI_PM_TMR_LEN;
	put(t + ACPI_FADT_P_LVL2_LAT, ACPI_P_LVL2_NONE, 2);
	put(t + ACPI_FADT_P_LVL3_LAT, ACPI_P_LVL3_NONE, 2);
	put(t + ACPI_FADT_IAPC_BOOT_ARCH,
	    ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_NO_VGA | ACPI_BOOT_NO_MSI, 2);
	put(t + ACPI_FADT_FLAGS,
	    ACPI_FADT_F_WBINVD | ACPI_FADT_F_PROC_C1 | ACPI_FADT_F_PWR_BUTTON |
		ACPI_FADT_F_SLP_BUTTON | ACPI_FADT_F_RESET_REG_SUP,
	    4);
	reset[ACPI_GAS_SPACE] = ACPI_GAS_SPACE_IO;
	reset[ACPI_GAS_BIT_WIDTH] = ACPI_GAS_WIDTH_BYTE;
	reset[ACPI_GAS_BIT_OFFSET] = 0;
	reset[ACPI_GAS_ACCESS_SIZE] = ACPI_GAS_ACCESS_BYTE;
	put(reset + ACPI_GAS_ADDRESS, ACPI_RESET_PORT, 8);
	t[ACPI_FADT_RESET_VALUE] = ACPI_RESET_VALUE;
	t[ACPI_FADT_MINOR_VERSION] = ACPI_FADT_MINOR;
	put(t + ACPI_FADT_X_FIRMWARE_CTRL, base + ACPI_OFF_FACS, 8);
	put(t + ACPI_FADT_X_DSDT, base + ACPI_OFF_DSDT, 8);
	memcpy(t + ACPI_FADT_HYPERVISOR_ID, HYPERVISOR_ID, sizeof(HYPERVISOR_ID) - 1);
	seal(t);
}

/* Name (_S5, Package (4) { 5, 0, 0, 0 }): the sleep type values for S5 (7.4.2). */
static const u8 dsdt_aml[] = {
	AML_NAME_OP,
	'_',
	'S',
	'5',
	'_',
	AML_PACKAGE_OP,
	7, /* PkgLength: itself and the 6 bytes that follow */
	4, /* NumElements */
	AML_BYTE_PREFIX,
	ACPI_SLP_TYP_S5,
	AML_ZERO_OP,
	AML_ZERO_OP,
	AML_ZERO_OP,
};

int x86_acpi_build(const struct guest_mem *m, gpa_t at)
{
	u8 buf[ACPI_TABLES_SIZE];
	u64 base = gpa_val(at);
	u8 *rsdp = buf + ACPI_OFF_RSDP, *xsdt = buf + ACPI_OFF_XSDT, *rsdt = buf + ACPI_OFF_RSDT;
	u8 *facs = buf + ACPI_OFF_FACS, *dsdt = buf + ACPI_OFF_DSDT;

	if (!IS_ALIGNED(base, ACPI_TABLES_ALIGN) || base + ACPI_TABLES_SIZE > FOUR_GIB)
		return HV_EINVAL;
	memset(buf, 0, sizeof(buf));

	header(xsdt, "XSDT", ACPI_HDR_SIZE + 8, XSDT_REVISION);
	put(xsdt + ACPI_HDR_SIZE, base + ACPI_OFF_FADT, 8);
	seal(xsdt);
	header(rsdt, "RSDT", ACPI_HDR_SIZE + 4, RSDT_REVISION);
	put(rsdt + ACPI_HDR_SIZE, base + ACPI_OFF_FADT, 4);
	seal(rsdt);
	build_fadt(buf + ACPI_OFF_FADT, base);
	memcpy(facs, "FACS", 4);
	put(facs + ACPI_FACS_LENGTH, ACPI_FACS_SIZE, 4);
	facs[ACPI_FACS_VERSION] = ACPI_FACS_VER;
	header(dsdt, "DSDT", ACPI_HDR_SIZE + sizeof(dsdt_aml), DSDT_REVISION);
	memcpy(dsdt + ACPI_HDR_SIZE, dsdt_aml, sizeof(dsdt_aml));
	seal(dsdt);

	memcpy(rsdp, ACPI_RSDP_SIG, 8);
	memcpy(rsdp + ACPI_RSDP_OEMID, OEM_ID, 6);
	rsdp[ACPI_RSDP_REVISION] = ACPI_RSDP_REVISION_2;
	put(rsdp + ACPI_RSDP_RSDT, base + ACPI_OFF_RSDT, 4);
	put(rsdp + ACPI_RSDP_LENGTH, ACPI_RSDP_SIZE, 4);
	put(rsdp + ACPI_RSDP_XSDT, base + ACPI_OFF_XSDT, 8);
	rsdp[ACPI_RSDP_CHECKSUM] = checksum(rsdp, ACPI_RSDP_V1_SIZE);
	rsdp[ACPI_RSDP_EXT_CHECKSUM] = checksum(rsdp, ACPI_RSDP_SIZE);

	_Static_assert(ACPI_OFF_FADT + ACPI_FADT_SIZE <= ACPI_OFF_FACS, "FADT overlaps FACS");
	_Static_assert(ACPI_OFF_DSDT + ACPI_HDR_SIZE + sizeof(dsdt_aml) <= ACPI_TABLES_SIZE,
		       "DSDT does not fit");
	_Static_assert(ACPI_OFF_FACS % ACPI_TABLES_ALIGN == 0, "FACS alignment");
	return guest_mem_write(m, at, buf, sizeof(buf));
}
