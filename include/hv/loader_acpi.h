/*
 * Minimal ACPI tables for x86 guests (vmm/loader/x86_acpi.c): just enough
 * for an ACPI operating system to find the fixed hardware of
 * hv/dev/acpi_pm.h and so to power itself off (sleep state S5) and reset:
 *
 *   RSDP (revision 2) -> XSDT and RSDT -> FADT -> FACS, DSDT
 *
 * The DSDT holds one object, \_S5 = Package {5, 0, 0, 0}. There is no
 * MADT (no local or I/O APIC: the guest uses the 8259s), no HPET, no MCFG
 * (no PCI). The FADT says: no 8042 keyboard controller, no VGA, no MSI,
 * no SMI command port (always in ACPI mode), SCI on IRQ 9, a 24-bit PM
 * timer, the reset register at I/O port 0xcf9.
 *
 * Layouts: ACPI 6.5, 5.2.5.3 (RSDP), 5.2.6 (header), 5.2.7-5.2.8
 * (RSDT/XSDT), 5.2.9 table 5.9 (FADT), 5.2.10 (FACS), 5.2.3.2 (GAS),
 * 19.6 and 20 (AML: Name, Package).
 */
#ifndef HV_LOADER_ACPI_H
#define HV_LOADER_ACPI_H

#include <hv/loader.h>

#define ACPI_TABLES_SIZE  0x300 /* every table, at the base the caller gives */
#define ACPI_TABLES_ALIGN 64    /* the FACS must be 64-byte aligned */

/* Offsets of the tables from the base (the RSDP is at the base). */
#define ACPI_OFF_RSDP 0x000
#define ACPI_OFF_XSDT 0x040
#define ACPI_OFF_RSDT 0x080
#define ACPI_OFF_FADT 0x0c0
#define ACPI_OFF_FACS 0x200
#define ACPI_OFF_DSDT 0x240

/* RSDP (5.2.5.3). */
#define ACPI_RSDP_SIG          "RSD PTR "
#define ACPI_RSDP_CHECKSUM     8
#define ACPI_RSDP_OEMID        9
#define ACPI_RSDP_REVISION     15
#define ACPI_RSDP_RSDT         16
#define ACPI_RSDP_LENGTH       20
#define ACPI_RSDP_XSDT         24
#define ACPI_RSDP_EXT_CHECKSUM 32
#define ACPI_RSDP_V1_SIZE      20
#define ACPI_RSDP_SIZE         36
#define ACPI_RSDP_REVISION_2   2

/* System description table header (5.2.6). */
#define ACPI_HDR_SIGNATURE    0
#define ACPI_HDR_LENGTH       4
#define ACPI_HDR_REVISION     8
#define ACPI_HDR_CHECKSUM     9
#define ACPI_HDR_OEMID        10
#define ACPI_HDR_OEM_TABLE_ID 16
#define ACPI_HDR_OEM_REVISION 24
#define ACPI_HDR_CREATOR_ID   28
#define ACPI_HDR_CREATOR_REV  32
#define ACPI_HDR_SIZE         36

/* FADT fields (table 5.9). */
#define ACPI_FADT_FIRMWARE_CTRL   36
#define ACPI_FADT_DSDT            40
#define ACPI_FADT_SCI_INT         46
#define ACPI_FADT_SMI_CMD         48
#define ACPI_FADT_PM1A_EVT_BLK    56
#define ACPI_FADT_PM1A_CNT_BLK    64
#define ACPI_FADT_PM_TMR_BLK      76
#define ACPI_FADT_PM1_EVT_LEN     88
#define ACPI_FADT_PM1_CNT_LEN     89
#define ACPI_FADT_PM_TMR_LEN      91
#define ACPI_FADT_P_LVL2_LAT      96
#define ACPI_FADT_P_LVL3_LAT      98
#define ACPI_FADT_IAPC_BOOT_ARCH  109
#define ACPI_FADT_FLAGS           112
#define ACPI_FADT_RESET_REG       116
#define ACPI_FADT_RESET_VALUE     128
#define ACPI_FADT_MINOR_VERSION   131
#define ACPI_FADT_X_FIRMWARE_CTRL 132
#define ACPI_FADT_X_DSDT          140
#define ACPI_FADT_HYPERVISOR_ID   268
#define ACPI_FADT_SIZE            276
#define ACPI_FADT_REVISION        6
#define ACPI_FADT_MINOR           5

/* FADT values. */
#define ACPI_P_LVL2_NONE          101  /* > 100 us: no C2 */
#define ACPI_P_LVL3_NONE          1001 /* > 1000 us: no C3 */
#define ACPI_BOOT_LEGACY_DEVICES  BIT(0)
#define ACPI_BOOT_8042            BIT(1)
#define ACPI_BOOT_NO_VGA          BIT(2)
#define ACPI_BOOT_NO_MSI          BIT(3)
#define ACPI_FADT_F_WBINVD        BIT(0)
#define ACPI_FADT_F_PROC_C1       BIT(2)
#define ACPI_FADT_F_PWR_BUTTON    BIT(4) /* set: no fixed power button */
#define ACPI_FADT_F_SLP_BUTTON    BIT(5) /* set: no fixed sleep button */
#define ACPI_FADT_F_RESET_REG_SUP BIT(10)

/* Generic address structure (5.2.3.2). */
#define ACPI_GAS_SIZE        12
#define ACPI_GAS_SPACE       0 /* offsets: address space, bit width, bit offset, access size */
#define ACPI_GAS_BIT_WIDTH   1
#define ACPI_GAS_BIT_OFFSET  2
#define ACPI_GAS_ACCESS_SIZE 3
#define ACPI_GAS_ADDRESS     4
#define ACPI_GAS_SPACE_IO    1
#define ACPI_GAS_ACCESS_BYTE 1
#define ACPI_GAS_WIDTH_BYTE  8

/* FACS (5.2.10). */
#define ACPI_FACS_LENGTH  4
#define ACPI_FACS_VERSION 32
#define ACPI_FACS_SIZE    64
#define ACPI_FACS_VER     2

/* AML (20.2): NameOp, PackageOp, BytePrefix, ZeroOp. */
#define AML_NAME_OP     0x08
#define AML_PACKAGE_OP  0x12
#define AML_BYTE_PREFIX 0x0a
#define AML_ZERO_OP     0x00

/*
 * Write the tables at base (ACPI_TABLES_ALIGN-aligned, below 4 GiB, inside
 * m's RAM): the RSDP is at base. Returns 0, HV_EINVAL for a bad base, or
 * the guest-memory writer's error (HV_EFAULT when not RAM).
 */
int x86_acpi_build(const struct guest_mem *m, gpa_t base);

#endif /* HV_LOADER_ACPI_H */
