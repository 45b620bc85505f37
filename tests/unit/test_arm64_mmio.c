/*
 * MMIO syndrome decoding and register transfer for arm64 guests
 * (vmm/arm64/mmio.c): every access size, sign extension into X and W
 * registers, the zero register as source and destination, and the
 * refusals (no valid syndrome, cache maintenance). Loads are checked
 * against an oracle that spells out each A64 load instruction's result with
 * C integer conversions (LDRB/LDRH/LDR W zero-extend; LDRSB/LDRSH/LDRSW
 * sign-extend to 64 bits, to 32 bits and then zero the top for a W target).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <hv/arm64/esr.h>
#include <hv/arm64/mmio.h>
#include <hv/errno.h>

static u32 iss_for(unsigned size_log2, bool sse, unsigned srt, bool sf, bool write)
{
	return ISS_DABT_ISV | size_log2 << ISS_DABT_SAS_SHIFT | (sse ? ISS_DABT_SSE : 0) |
	       srt << ISS_DABT_SRT_SHIFT | (sf ? ISS_DABT_SF : 0) | (write ? ISS_DABT_WNR : 0) |
	       FSC_TRANSLATION | 1;
}

/* What the instruction the syndrome describes leaves in its register. */
static u64 oracle_load(unsigned size, bool sse, bool sf, u64 raw)
{
	switch (size) {
	case 1:
		if (!sse)
			return (u8)raw;
		return sf ? (u64)(s64)(s8)raw : (u64)(u32)(s32)(s8)raw;
	case 2:
		if (!sse)
			return (u16)raw;
		return sf ? (u64)(s64)(s16)raw : (u64)(u32)(s32)(s16)raw;
	case 4:
		if (!sse)
			return (u32)raw;
		return sf ? (u64)(s64)(s32)raw : (u32)raw;
	default:
		return sf ? raw : (u32)raw;
	}
}

static void decodes_fields(void **state)
{
	struct arm64_mmio_access a;

	(void)state;
	assert_int_equal(
	    arm64_mmio_decode(iss_for(1, true, 7, false, false) | ISS_DABT_AR, 0x9000018, &a), 0);
	assert_int_equal(a.ipa, 0x9000018);
	assert_int_equal(a.size, 2);
	assert_true(a.sign_extend);
	assert_false(a.reg64);
	assert_false(a.write);
	assert_int_equal(a.reg, 7);
	assert_true(a.acq_rel);

	assert_int_equal(arm64_mmio_decode(iss_for(3, false, 31, true, true), 0x8000000, &a), 0);
	assert_int_equal(a.size, 8);
	assert_true(a.write);
	assert_true(a.reg64);
	assert_int_equal(a.reg, ARM64_REG_ZR);
	assert_false(a.acq_rel);
}

static void refuses_undescribed(void **state)
{
	struct arm64_mmio_access a;

	(void)state;
	/* stp, ldr with writeback, SIMD: ISV = 0. */
	assert_int_equal(
	    arm64_mmio_decode(iss_for(2, false, 1, false, true) & ~ISS_DABT_ISV, 0, &a), HV_ENOSYS);
	/* DC CIVAC on MMIO: a "write" that moves no data. */
	assert_int_equal(arm64_mmio_decode(iss_for(3, false, 0, true, true) | ISS_DABT_CM, 0, &a),
			 HV_EINVAL);
}

static void loads_match_the_oracle(void **state)
{
	static const u64 raws[] = { 0,          1,
				    0x7f,       0x80,
				    0xff,       0x7fff,
				    0x8000,     0xffff,
				    0x12345678, 0x80000000,
				    0xffffffff, 0x8000000000000000ull,
				    ~0ull,      0xfedcba9876543210ull };

	(void)state;
	for (unsigned lg = 0; lg < 4; lg++)
		for (unsigned sse = 0; sse < 2; sse++)
			for (unsigned sf = 0; sf < 2; sf++)
				for (unsigned i = 0; i < ARRAY_SIZE(raws); i++) {
					struct arm64_mmio_access a;
					u64 x[31];

					/* LDRSW into W and LDRS* of 8 bytes do not exist; SSE=0 for them. */
					if (sse && lg == 3)
						continue;
					memset(x, 0xa5, sizeof(x));
					assert_int_equal(arm64_mmio_decode(
							     iss_for(lg, sse, 5, sf, false), 0, &a),
							 0);
					arm64_mmio_load_complete(&a, raws[i], x);
					if (x[5] != oracle_load(1u << lg, sse, sf, raws[i]))
						fail_msg(
						    "size %u sse %u sf %u raw %#llx: got %#llx",
						    1u << lg, sse, sf, (unsigned long long)raws[i],
						    (unsigned long long)x[5]);
					/* No other register moved. */
					for (unsigned r = 0; r < 31; r++)
						if (r != 5)
							assert_int_equal(x[r],
									 0xa5a5a5a5a5a5a5a5ull);
				}
}

static void load_into_zero_register_is_discarded(void **state)
{
	struct arm64_mmio_access a;
	u64 x[31], before[31];

	(void)state;
	for (unsigned r = 0; r < 31; r++)
		x[r] = before[r] = 0x1000 + r;
	assert_int_equal(arm64_mmio_decode(iss_for(2, false, 31, false, false), 0, &a), 0);
	arm64_mmio_load_complete(&a, 0xdeadbeef, x);
	assert_memory_equal(x, before, sizeof(x));
}

static void stores_cut_to_size(void **state)
{
	struct arm64_mmio_access a;
	u64 x[31] = { 0 };

	(void)state;
	x[3] = 0x1122334455667788ull;
	for (unsigned lg = 0; lg < 4; lg++) {
		u64 want = lg == 3 ? x[3] : x[3] & ((1ull << (8 << lg)) - 1);

		assert_int_equal(arm64_mmio_decode(iss_for(lg, false, 3, lg == 3, true), 0, &a), 0);
		assert_int_equal(arm64_mmio_store_value(&a, x), want);
	}
	/* str wzr / str xzr store zeros, whatever x[30] holds. */
	x[30] = ~0ull;
	assert_int_equal(arm64_mmio_decode(iss_for(3, false, 31, true, true), 0, &a), 0);
	assert_int_equal(arm64_mmio_store_value(&a, x), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_fields),
		cmocka_unit_test(refuses_undescribed),
		cmocka_unit_test(loads_match_the_oracle),
		cmocka_unit_test(load_into_zero_register_is_discarded),
		cmocka_unit_test(stores_cut_to_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
