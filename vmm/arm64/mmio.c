/*
 * MMIO syndrome decoding and register transfer for arm64 guests (contract
 * in hv/arm64/mmio.h). The rules are those of the Arm ARM's "ISS encoding
 * for an exception from a Data Abort": with ISV set, SAS is log2 of the
 * size, SSE asks for sign extension of a load, SF says the register is 64
 * bits wide, and a load into a W register zeroes bits 63:32.
 */
#include <hv/arm64/esr.h>
#include <hv/arm64/mmio.h>
#include <hv/errno.h>

int arm64_mmio_decode(u32 iss, u64 ipa, struct arm64_mmio_access *a)
{
	if (!(iss & ISS_DABT_ISV))
		return HV_ENOSYS;
	if (iss & ISS_DABT_CM)
		return HV_EINVAL;
	a->ipa = ipa;
	a->size = 1u << ((iss >> ISS_DABT_SAS_SHIFT) & ISS_DABT_SAS_MASK);
	a->write = iss & ISS_DABT_WNR;
	a->reg = (iss >> ISS_DABT_SRT_SHIFT) & ISS_DABT_SRT_MASK;
	a->sign_extend = iss & ISS_DABT_SSE;
	a->reg64 = iss & ISS_DABT_SF;
	a->acq_rel = iss & ISS_DABT_AR;
	return 0;
}

static u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

u64 arm64_mmio_store_value(const struct arm64_mmio_access *a, const u64 x[31])
{
	u64 v = a->reg == ARM64_REG_ZR ? 0 : x[a->reg];

	return v & size_mask(a->size);
}

void arm64_mmio_load_complete(const struct arm64_mmio_access *a, u64 value, u64 x[31])
{
	unsigned bits = 8 * a->size;

	value &= size_mask(a->size);
	if (a->sign_extend && bits < 64 && (value >> (bits - 1)) & 1)
		value |= ~size_mask(a->size);
	if (!a->reg64)
		value &= 0xffffffffull;
	if (a->reg != ARM64_REG_ZR)
		x[a->reg] = value;
}
