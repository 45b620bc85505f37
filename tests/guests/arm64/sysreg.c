/*
 * Test guest "sysreg": the system registers and instructions hv traps or
 * shapes. ID registers (HCR_EL2.TID3) show no EL2/EL3, SVE, PMU or GIC
 * system registers and a 40-bit PA range; MPIDR_EL1 is the vCPU's. Writes
 * to ID registers, IMPLEMENTATION DEFINED registers, the PMU and SVE are
 * UNDEFINED; ACTLR_EL1 and the EL1 physical timer read as zero and ignore
 * writes; set/way cache maintenance is emulated. FP/SIMD is the guest's:
 * its registers survive exits.
 */
#include "guest.h"

#define FIELD(v, shift) (((v) >> (shift)) & 0xf)
#define CPACR_FPEN      (3ull << 20)
#define CPACR_ZEN       (3ull << 16) /* so SVE traps at EL2 (hidden), not at EL1 */
#define CLIDR_LOC_SHIFT 24

static bool undefined(u64 esr)
{
	return probe_faulted() && ESR_EC(esr) == EC_UNKNOWN;
}

static u64 fp_round_trip(u64 v)
{
	u64 out;

	/* d8 holds the value across a hypercall; hv must not touch FP registers. */
	__asm__ volatile("fmov d8, %1\n\t"
			 "ldr x0, =0xc6000004\n\t"
			 "hvc #0\n\t"
			 "fmov %0, d8"
			 : "=r"(out)
			 : "r"(v)
			 : "x0", "x1", "x2", "x3", "v8", "memory");
	return out;
}

/* Clean and invalidate every set and way of every data cache level, as firmware does. */
static void clean_by_set_way(void)
{
	u64 clidr = sysreg_read(clidr_el1);
	unsigned loc = (unsigned)((clidr >> CLIDR_LOC_SHIFT) & 7);

	for (unsigned level = 0; level < loc; level++) {
		unsigned type = (unsigned)(clidr >> (3 * level)) & 7;
		u64 ccsidr;
		unsigned line, ways, sets, way_shift;

		if (type < 2)
			continue; /* no data cache at this level */
		sysreg_write(csselr_el1, level << 1);
		isb();
		ccsidr = sysreg_read(ccsidr_el1);
		line = (unsigned)(ccsidr & 7) + 4;
		ways = (unsigned)((ccsidr >> 3) & 0x3ff) + 1;
		sets = (unsigned)((ccsidr >> 13) & 0x7fff) + 1;
		way_shift = ways > 1 ? (unsigned)__builtin_clz(ways - 1) : 0;
		for (unsigned w = 0; w < ways; w++)
			for (unsigned s = 0; s < sets; s++) {
				u64 op = (u64)w << way_shift | (u64)s << line | level << 1;

				__asm__ volatile("dc cisw, %0" : : "r"(op) : "memory");
			}
	}
	__asm__ volatile("dsb sy" : : : "memory");
}

int main(u64 dtb)
{
	bool v3 = dt_contains(dtb, "arm,gic-v3");
	u64 pfr0 = sysreg_read(id_aa64pfr0_el1), pfr1 = sysreg_read(id_aa64pfr1_el1);
	u64 dfr0 = sysreg_read(id_aa64dfr0_el1), mmfr0 = sysreg_read(id_aa64mmfr0_el1);
	u64 mmfr1 = sysreg_read(id_aa64mmfr1_el1), zfr0 = sysreg_read(s3_0_c0_c4_4);
	u64 mpidr = sysreg_read(mpidr_el1), v;

	gprintf("ID_AA64PFR0_EL1 %#llx PFR1 %#llx DFR0 %#llx MMFR0 %#llx MMFR1 %#llx\n",
		(unsigned long long)pfr0, (unsigned long long)pfr1, (unsigned long long)dfr0,
		(unsigned long long)mmfr0, (unsigned long long)mmfr1);
	check(FIELD(pfr0, 8) == 0 && FIELD(pfr0, 12) == 0, pfr0, "no EL2 or EL3 in ID_AA64PFR0");
	check(FIELD(pfr0, 4) == 1, pfr0, "EL1 is AArch64 only");
	check(FIELD(pfr0, 32) == 0 && zfr0 == 0, pfr0, "no SVE");
	check(FIELD(pfr0, 24) == (v3 ? 1 : 0), pfr0, "GIC system registers exactly with a GICv%u",
	      v3 ? 3 : 2);
	check(FIELD(pfr1, 24) == 0 && FIELD(pfr1, 8) == 0, pfr1, "no SME, no MTE");
	check(FIELD(dfr0, 8) == 0 && FIELD(dfr0, 32) == 0, dfr0, "no PMU, no SPE");
	check(FIELD(dfr0, 0) >= 6, dfr0, "the debug architecture is still there");
	check(FIELD(mmfr0, 0) <= 2, mmfr0, "PARange at most 40 bits");
	check(FIELD(mmfr1, 8) == 0, mmfr1, "no VHE");
	check((mpidr & 0xff00ffffffull) == 0 && (mpidr & (1ull << 31)), mpidr,
	      "MPIDR_EL1 is vCPU 0's");

	probe_idreg_write(0);
	check(undefined(probe.esr), probe.esr, "writing an ID register is UNDEFINED");
	(void)probe_impdef_read();
	check(undefined(probe.esr), probe.esr, "an IMPLEMENTATION DEFINED register is UNDEFINED");
	(void)probe_pmcr_read();
	check(undefined(probe.esr), probe.esr, "PMCR_EL0 is UNDEFINED (no PMU)");
	sysreg_write(cpacr_el1, CPACR_FPEN | CPACR_ZEN);
	isb();
	(void)probe_rdvl();
	check(undefined(probe.esr), probe.esr, "an SVE instruction is UNDEFINED");

	sysreg_write(actlr_el1, ~0ull);
	check(sysreg_read(actlr_el1) == 0, 0, "ACTLR_EL1 reads as zero, ignores writes");
	sysreg_write(cntp_cval_el0, 1234);
	sysreg_write(cntp_ctl_el0, 1);
	v = sysreg_read(cntp_ctl_el0);
	check(v == 0 && sysreg_read(cntp_cval_el0) == 0, v,
	      "the EL1 physical timer reads as zero, ignores writes");
	v = sysreg_read(cntpct_el0);
	check(v != 0, v, "the physical counter is readable");

	clean_by_set_way();
	check(true, 0, "DC CISW over every set and way completes");

	v = fp_round_trip(0x0123456789abcdefull);
	check(v == 0x0123456789abcdefull, v, "FP registers survive an exit");
	return checks_done();
}
