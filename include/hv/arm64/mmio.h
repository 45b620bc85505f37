/*
 * Emulated MMIO from an arm64 stage-2 data abort (vmm/arm64/mmio.c): turn
 * the abort's syndrome into a described access, and move values between
 * the guest's register and the device as the faulting load or store would
 * have.
 *
 * When ESR_EL2.ISS.ISV is 1 the syndrome describes the instruction: access
 * size (SAS), transfer register (SRT, where 31 is the zero register, not
 * SP), 64- or 32-bit register (SF), sign extension (SSE), direction (WnR),
 * acquire/release (AR). The architecture gives ISV = 1 only for loads and
 * stores of one general register without writeback, so nothing but the
 * transfer register changes; everything else (pairs, writeback, SIMD,
 * exclusives) has ISV = 0 and is refused here: the caller decides what a
 * guest gets for those (docs/arm64.md, "MMIO").
 *
 * Pure functions of their arguments: host-tested (tests/unit/test_arm64_mmio.c).
 */
#ifndef HV_ARM64_MMIO_H
#define HV_ARM64_MMIO_H

#include <hv/types.h>

#define ARM64_REG_ZR 31 /* SRT == 31 names XZR / WZR in a load or store */

struct arm64_mmio_access {
	u64 ipa;       /* the faulting guest-physical address */
	unsigned size; /* bytes: 1, 2, 4 or 8 */
	bool write;
	unsigned reg;     /* 0..30, or ARM64_REG_ZR */
	bool sign_extend; /* loads: sign-extend the value to the register width */
	bool reg64;       /* the register is X (64-bit), else W (the top half becomes 0) */
	bool acq_rel;     /* load-acquire / store-release (ordering is trivially kept) */
};

/*
 * Describe the access of a data abort with syndrome iss at ipa. Returns 0,
 * or HV_ENOSYS when ISV is 0 (the instruction is not described), or
 * HV_EINVAL for a cache maintenance operation (ISS.CM), which moves no data.
 */
int arm64_mmio_decode(u32 iss, u64 ipa, struct arm64_mmio_access *a);

/* The bytes a store writes: the register's value (0 for the zero register) cut to the size. */
u64 arm64_mmio_store_value(const struct arm64_mmio_access *a, const u64 x[31]);

/*
 * Complete a load: cut value to the access size, sign-extend it if asked
 * (to 64 bits, or to 32 for a W register), clear the top half of a W
 * register, and write it to the transfer register (a load into the zero
 * register is discarded).
 */
void arm64_mmio_load_complete(const struct arm64_mmio_access *a, u64 value, u64 x[31]);

#endif /* HV_ARM64_MMIO_H */
