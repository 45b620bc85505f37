/*
 * arch_cpu_features_init() for arm64: who made the CPU, and what it offers a
 * hypervisor, from the ID registers (Arm ARM D19.2: MIDR_EL1,
 * ID_AA64PFR0_EL1, ID_AA64MMFR0/1/2_EL1). Printed once at boot; the
 * stage-2 code will use the same fields to size VTCR_EL2 and VMIDs.
 */
#include <arch/boot.h>
#include <hv/log.h>

#include <arm64/boot.h>
#include <arm64/cpu.h>
#include <arm64/sysreg.h>

/* MIDR_EL1.Implementer codes (Arm ARM D19.2 "MIDR_EL1"). */
static const char *implementer_name(unsigned id)
{
	switch (id) {
	case 0x00:
		return "software (emulator)";
	case 0x41:
		return "Arm";
	case 0x42:
		return "Broadcom";
	case 0x43:
		return "Cavium";
	case 0x46:
		return "Fujitsu";
	case 0x48:
		return "HiSilicon";
	case 0x4e:
		return "NVIDIA";
	case 0x51:
		return "Qualcomm";
	case 0x61:
		return "Apple";
	case 0xc0:
		return "Ampere";
	default:
		return "unknown";
	}
}

/* ID_AA64MMFR0_EL1.PARange -> bits. */
static unsigned pa_bits(unsigned parange)
{
	static const unsigned char bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	return parange < sizeof(bits) ? bits[parange] : 0;
}

/*
 * Stage-2 support for a granule: TGranX_2 says it directly (1 no, 2 yes,
 * 3 yes with 52-bit addresses), or 0 = "as at stage 1", given by TGranX.
 */
static bool stage2_granule(u64 mmfr0, unsigned shift2, unsigned shift1, bool s1_zero_means_yes)
{
	unsigned v2 = id_field(mmfr0, shift2), v1 = id_field(mmfr0, shift1);

	if (v2 != 0)
		return v2 >= 2;
	/* TGran4/TGran64: 0 = present, 0xf = absent. TGran16: 0 = absent, 1+ = present. */
	return s1_zero_means_yes ? v1 != 0xf : v1 != 0;
}

void arch_cpu_features_init(void)
{
	u64 midr = read_sysreg(midr_el1), pfr0 = read_sysreg(id_aa64pfr0_el1);
	u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1), mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	u64 mmfr2 = read_sysreg(id_aa64mmfr2_el1);
	unsigned impl = (unsigned)(midr >> MIDR_IMPLEMENTER_SHIFT) & 0xff;
	unsigned el2 = id_field(pfr0, ID_PFR0_EL2_SHIFT), el3 = id_field(pfr0, ID_PFR0_EL3_SHIFT);
	unsigned parange = id_field(mmfr0, ID_MMFR0_PARANGE_SHIFT);
	unsigned vmid = id_field(mmfr1, ID_MMFR1_VMIDBITS_SHIFT);
	unsigned vh = id_field(mmfr1, ID_MMFR1_VH_SHIFT), nv = id_field(mmfr2, ID_MMFR2_NV_SHIFT);
	unsigned gic = id_field(pfr0, ID_PFR0_GIC_SHIFT);
	bool g4 = stage2_granule(mmfr0, ID_MMFR0_TGRAN4_2_SHIFT, ID_MMFR0_TGRAN4_SHIFT, true);
	bool g16 = stage2_granule(mmfr0, ID_MMFR0_TGRAN16_2_SHIFT, ID_MMFR0_TGRAN16_SHIFT, false);
	bool g64 = stage2_granule(mmfr0, ID_MMFR0_TGRAN64_2_SHIFT, ID_MMFR0_TGRAN64_SHIFT, true);

	log_info("cpu: MIDR_EL1 0x%08llx: implementer 0x%02x (%s), part 0x%03llx, r%llup%llu",
		 (unsigned long long)midr, impl, implementer_name(impl),
		 (unsigned long long)(midr >> MIDR_PARTNUM_SHIFT) & 0xfff,
		 (unsigned long long)(midr >> MIDR_VARIANT_SHIFT) & 0xf,
		 (unsigned long long)(midr >> MIDR_REVISION_SHIFT) & 0xf);
	log_info("cpu: running at EL2 (AArch64%s), EL3 %s, GIC system registers %s",
		 el2 >= 2 ? " and AArch32" : "", el3 ? "present" : "absent",
		 gic ? "present" : "absent");
	log_info("virt: EL2 %s, VHE %s, FEAT_NV %s", el2 ? "yes" : "no", vh ? "yes" : "no",
		 nv == 0   ? "no"
		 : nv == 1 ? "yes (NV)"
			   : "yes (NV2)");
	log_info("virt: stage-2 granules%s%s%s, blocks 2M 1G (4K granule), VMID %u bits",
		 g4 ? " 4K" : "", g16 ? " 16K" : "", g64 ? " 64K" : "", vmid == 2 ? 16 : 8);
	log_info("virt: PA range %u bits (PARange %u), IPA up to %u bits; hypervisor VA %u bits",
		 pa_bits(parange), parange, pa_bits(parange), arm64_boot.va_bits);
	log_info("cpu: counter %llu Hz; boot: first instruction to hv_main took %llu ticks",
		 (unsigned long long)arm64_counter_hz(),
		 (unsigned long long)(arm64_main_ticks - arm64_entry_ticks));
}
