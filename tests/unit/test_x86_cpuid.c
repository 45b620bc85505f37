/*
 * The guest's CPUID (arch/x86/guest/x86_cpuid.c), on the host, with the
 * host CPU faked through x86_cpuid_host(): the hypervisor leaves of the hv
 * ABI (signature, max leaf, ABI version, function bitmap) answered without
 * asking the host, the rest of the hypervisor range all zeros, features the
 * guest cannot have (SVM, VMX, APIC, x2APIC, TSC deadline, MONITOR, MCE,
 * MTRR, performance monitoring, ...) cleared from a host that has every bit
 * set while everything else is kept, CPUID.1:ECX.HV set even on a host
 * without it, OSXSAVE and OSPKE following the guest's CR4, the zeroed
 * leaves, and every other leaf (out-of-range ones included) the host's
 * answer for that leaf and subleaf, asked afresh on each call.
 *
 * Feature bits: AMD APM Vol. 3 appendix E, Intel SDM Vol. 2A "CPUID".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <abi/hypercall.h>
#include <x86/cpuid.h>
#include <x86/guest.h>
#include <x86/regs.h>

/* The fake host CPU: every register all ones, all zeros, or a value naming the question. */
enum host_kind { HOST_ONES, HOST_ZEROS, HOST_NAMED };

static struct {
	enum host_kind kind;
	u32 generation; /* changes the named answers: a cached answer would show */
	unsigned calls;
	u32 leaf, subleaf;
} host;

struct cpuid_regs x86_cpuid_host(u32 leaf, u32 subleaf)
{
	host.calls++;
	host.leaf = leaf;
	host.subleaf = subleaf;
	switch (host.kind) {
	case HOST_ONES:
		return (struct cpuid_regs){ ~0u, ~0u, ~0u, ~0u };
	case HOST_ZEROS:
		return (struct cpuid_regs){ 0, 0, 0, 0 };
	case HOST_NAMED:
	default:
		return (struct cpuid_regs){ leaf, subleaf, leaf ^ 0x5a5a5a5a ^ host.generation,
					    ~subleaf ^ host.generation };
	}
}

static int setup(void **state)
{
	(void)state;
	memset(&host, 0, sizeof(host));
	return 0;
}

static void expect_regs(u32 leaf, u32 subleaf, struct cpuid_regs got, struct cpuid_regs want)
{
	if (got.eax != want.eax || got.ebx != want.ebx || got.ecx != want.ecx ||
	    got.edx != want.edx)
		fail_msg("leaf %#x.%u: %08x %08x %08x %08x, expected %08x %08x %08x %08x", leaf,
			 subleaf, got.eax, got.ebx, got.ecx, got.edx, want.eax, want.ebx, want.ecx,
			 want.edx);
}

/* --- the hypervisor leaves ------------------------------------------------------------------ */

static void test_hv_signature_leaf(void **state)
{
	char sig[12];

	(void)state;
	host.kind = HOST_ONES;
	struct cpuid_regs r = x86_cpuid_guest(0x40000000, 0, 0);

	assert_int_equal(r.eax, 0x40000001); /* the highest hypervisor leaf */
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	assert_memory_equal(sig, "hv\0\0\0\0\0\0\0\0\0\0", sizeof(sig));
	assert_int_equal(host.calls, 0);
}

static void test_hv_version_leaf(void **state)
{
	(void)state;
	host.kind = HOST_ONES;
	struct cpuid_regs r = x86_cpuid_guest(0x40000001, 0, 0);

	assert_int_equal(HC_ABI_VERSION_MAJOR(r.eax), HC_ABI_MAJOR);
	assert_int_equal(HC_ABI_VERSION_MINOR(r.eax), HC_ABI_MINOR);
	/* EBX: one bit per hypercall function the hypervisor implements, no more. */
	for (u32 fn = 0; fn < 32; fn++)
		if (!!(r.ebx & (1u << fn)) != (fn < HC_FN_COUNT))
			fail_msg("EBX %#x: bit %u wrong for %u functions", r.ebx, fn, HC_FN_COUNT);
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0);
	assert_int_equal(host.calls, 0);
}

/* The rest of the hypervisor range is empty; its neighbours are the host's. */
static void test_hv_range_rest_is_zero(void **state)
{
	static const u32 empty[] = { 0x40000002, 0x400000ff, 0x40000100, 0x4ffffffe, 0x4fffffff };
	static const u32 outside[] = { 0x3fffffff, 0x50000000 };

	(void)state;
	host.kind = HOST_ONES;
	for (size_t i = 0; i < ARRAY_SIZE(empty); i++)
		expect_regs(empty[i], 3, x86_cpuid_guest(empty[i], 3, ~0ull),
			    (struct cpuid_regs){ 0, 0, 0, 0 });
	assert_int_equal(host.calls, 0);
	for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
		expect_regs(outside[i], 3, x86_cpuid_guest(outside[i], 3, 0),
			    (struct cpuid_regs){ ~0u, ~0u, ~0u, ~0u });
		assert_int_equal(host.leaf, outside[i]);
	}
	assert_int_equal(host.calls, ARRAY_SIZE(outside));
}

/* --- leaf 1 --------------------------------------------------------------------------------- */

/* Leaf 1 ECX bits the guest must not see (SDM 2A table 3-10). */
#define ECX_MONITOR      BIT(3)
#define ECX_DS_CPL       BIT(4)
#define ECX_VMX          BIT(5)
#define ECX_SMX          BIT(6)
#define ECX_EST          BIT(7)
#define ECX_TM2          BIT(8)
#define ECX_PDCM         BIT(15)
#define ECX_X2APIC       BIT(21)
#define ECX_TSC_DEADLINE BIT(24)
#define ECX_OSXSAVE      BIT(27)
#define ECX_HV           BIT(31)
/* Leaf 1 EDX (table 3-11). */
#define EDX_MCE  BIT(7)
#define EDX_APIC BIT(9)
#define EDX_MTRR BIT(12)
#define EDX_MCA  BIT(14)
#define EDX_DS   BIT(21)
#define EDX_ACPI BIT(22)
#define EDX_TM   BIT(29)
#define EDX_PBE  BIT(31)

#define LEAF1_ECX_HIDDEN                                                                           \
	(ECX_MONITOR | ECX_DS_CPL | ECX_VMX | ECX_SMX | ECX_EST | ECX_TM2 | ECX_PDCM |             \
	 ECX_X2APIC | ECX_TSC_DEADLINE | ECX_OSXSAVE)
#define LEAF1_EDX_HIDDEN                                                                           \
	(EDX_MCE | EDX_APIC | EDX_MTRR | EDX_MCA | EDX_DS | EDX_ACPI | EDX_TM | EDX_PBE)

static void test_leaf1_hides_features_and_sets_hv(void **state)
{
	(void)state;
	host.kind = HOST_ONES;
	struct cpuid_regs r = x86_cpuid_guest(1, 0, 0);

	expect_regs(
	    1, 0, r,
	    (struct cpuid_regs){ ~0u, ~0u, (u32)~LEAF1_ECX_HIDDEN, (u32)~LEAF1_EDX_HIDDEN });
	assert_int_equal(host.calls, 1);
	assert_int_equal(host.leaf, 1);
}

/* A host that does not say "hypervisor" still gets HV set for the guest, and nothing else. */
static void test_leaf1_hv_set_on_a_bare_host(void **state)
{
	(void)state;
	host.kind = HOST_ZEROS;
	expect_regs(1, 0, x86_cpuid_guest(1, 0, 0), (struct cpuid_regs){ 0, 0, (u32)ECX_HV, 0 });
}

/* OSXSAVE mirrors the guest's CR4.OSXSAVE, whatever the host's CR4 says. */
static void test_leaf1_osxsave_follows_guest_cr4(void **state)
{
	(void)state;
	host.kind = HOST_ZEROS;
	assert_int_equal(x86_cpuid_guest(1, 0, CR4_OSXSAVE).ecx, ECX_HV | ECX_OSXSAVE);
	assert_int_equal(x86_cpuid_guest(1, 0, ~CR4_OSXSAVE).ecx, ECX_HV);
	host.kind = HOST_ONES;
	assert_true(x86_cpuid_guest(1, 0, CR4_OSXSAVE).ecx & ECX_OSXSAVE);
	assert_false(x86_cpuid_guest(1, 0, ~CR4_OSXSAVE).ecx & ECX_OSXSAVE);
}

/* --- leaf 7 --------------------------------------------------------------------------------- */

#define L7_EBX_RDT_M    BIT(12)
#define L7_EBX_RDT_A    BIT(15)
#define L7_ECX_OSPKE    BIT(4)
#define L7_ECX_WAITPKG  BIT(5)
#define L7_EDX_ARCH_CAP BIT(29)
#define L7_EDX_CORE_CAP BIT(30)

static void test_leaf7_hides_features_ospke_follows_cr4(void **state)
{
	(void)state;
	host.kind = HOST_ONES;
	expect_regs(7, 0, x86_cpuid_guest(7, 0, 0),
		    (struct cpuid_regs){ ~0u, (u32) ~(L7_EBX_RDT_M | L7_EBX_RDT_A),
					 (u32) ~(L7_ECX_OSPKE | L7_ECX_WAITPKG),
					 (u32) ~(L7_EDX_ARCH_CAP | L7_EDX_CORE_CAP) });
	assert_true(x86_cpuid_guest(7, 0, CR4_PKE).ecx & L7_ECX_OSPKE);
	host.kind = HOST_ZEROS;
	expect_regs(7, 0, x86_cpuid_guest(7, 0, CR4_PKE),
		    (struct cpuid_regs){ 0, 0, (u32)L7_ECX_OSPKE, 0 });
}

/* Other subleaves of 7 are the host's, untouched: the bits above mean something else there. */
static void test_leaf7_other_subleaves_untouched(void **state)
{
	(void)state;
	host.kind = HOST_ONES;
	for (u32 sub = 1; sub <= 2; sub++) {
		expect_regs(7, sub, x86_cpuid_guest(7, sub, 0),
			    (struct cpuid_regs){ ~0u, ~0u, ~0u, ~0u });
		assert_int_equal(host.subleaf, sub);
	}
}

/* --- leaf 0x80000001 ------------------------------------------------------------------------ */

/* ECX bits the guest must not see (APM 3 E.4.2). */
#define E1_ECX_SVM          BIT(2)
#define E1_ECX_IBS          BIT(10)
#define E1_ECX_SKINIT       BIT(12)
#define E1_ECX_WDT          BIT(13)
#define E1_ECX_LWP          BIT(15)
#define E1_ECX_PERFCTR_CORE BIT(23)
#define E1_ECX_PERFCTR_NB   BIT(24)
#define E1_ECX_DBX          BIT(26)
#define E1_ECX_PERFCTR_LLC  BIT(28)
#define E1_ECX_MWAITX       BIT(29)

static void test_ext_leaf_hides_svm(void **state)
{
	u32 hidden = E1_ECX_SVM | E1_ECX_IBS | E1_ECX_SKINIT | E1_ECX_WDT | E1_ECX_LWP |
		     E1_ECX_PERFCTR_CORE | E1_ECX_PERFCTR_NB | E1_ECX_DBX | E1_ECX_PERFCTR_LLC |
		     E1_ECX_MWAITX;

	(void)state;
	host.kind = HOST_ONES;
	/* EDX (long mode, NX, 1 GiB pages, ...) is the host's. */
	expect_regs(0x80000001, 0, x86_cpuid_guest(0x80000001, 0, 0),
		    (struct cpuid_regs){ ~0u, ~0u, ~hidden, ~0u });
}

/* --- zeroed and passed-through leaves ------------------------------------------------------- */

/*
 * All zeros without asking the host: MONITOR/MWAIT (5), thermal and power
 * (6), performance monitoring (0xa, 0x80000022), RDT (0xf, 0x10), SGX
 * (0x12), processor trace (0x14), SVM (0x8000000a), IBS (0x8000001b), LWP
 * (0x8000001c), memory encryption (0x8000001f).
 */
static void test_hidden_leaves_are_zero(void **state)
{
	static const u32 leaves[] = { 0x5,        0x6,        0xa,        0xf,
				      0x10,       0x12,       0x14,       0x8000000a,
				      0x8000001b, 0x8000001c, 0x8000001f, 0x80000022 };

	(void)state;
	host.kind = HOST_ONES;
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++)
		for (u32 sub = 0; sub < 3; sub++)
			expect_regs(leaves[i], sub, x86_cpuid_guest(leaves[i], sub, ~0ull),
				    (struct cpuid_regs){ 0, 0, 0, 0 });
	assert_int_equal(host.calls, 0);
}

/*
 * Every other leaf, inside the host's ranges or not, is the host's answer
 * for that leaf and subleaf, asked on each call (leaf 0xd depends on the
 * guest's XCR0 at the time: a cached copy would be stale).
 */
static void test_other_leaves_are_the_hosts(void **state)
{
	static const struct {
		u32 leaf, subleaf;
	} asks[] = {
		{ 0x0, 0 },        { 0x2, 0 },        { 0x4, 3 },        { 0xb, 1 },
		{ 0xd, 0 },        { 0xd, 1 },        { 0xd, 2 },        { 0x16, 0 },
		{ 0x80000000, 0 }, { 0x80000002, 0 }, { 0x80000008, 0 }, { 0x8000001d, 2 },
		{ 0x20000000, 0 }, { 0x8fffffff, 0 }, { 0xc0000000, 0 }, { 0xffffffff, 7 },
	};

	(void)state;
	host.kind = HOST_NAMED;
	for (u32 gen = 0; gen < 2; gen++) {
		host.generation = gen * 0x01010101;
		for (size_t i = 0; i < ARRAY_SIZE(asks); i++) {
			u32 leaf = asks[i].leaf, sub = asks[i].subleaf;
			unsigned before = host.calls;

			expect_regs(leaf, sub, x86_cpuid_guest(leaf, sub, 0),
				    x86_cpuid_host(leaf, sub));
			assert_int_equal(host.calls, before + 2);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hv_signature_leaf, setup),
		cmocka_unit_test_setup(test_hv_version_leaf, setup),
		cmocka_unit_test_setup(test_hv_range_rest_is_zero, setup),
		cmocka_unit_test_setup(test_leaf1_hides_features_and_sets_hv, setup),
		cmocka_unit_test_setup(test_leaf1_hv_set_on_a_bare_host, setup),
		cmocka_unit_test_setup(test_leaf1_osxsave_follows_guest_cr4, setup),
		cmocka_unit_test_setup(test_leaf7_hides_features_ospke_follows_cr4, setup),
		cmocka_unit_test_setup(test_leaf7_other_subleaves_untouched, setup),
		cmocka_unit_test_setup(test_ext_leaf_hides_svm, setup),
		cmocka_unit_test_setup(test_hidden_leaves_are_zero, setup),
		cmocka_unit_test_setup(test_other_leaves_are_the_hosts, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
