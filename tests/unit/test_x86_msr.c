/*
 * The guest's MSR policy (arch/x86/guest/x86_msr.c), on the host: what an
 * intercepted RDMSR/WRMSR gets (EFER and PAT handed to the backend, the TSC
 * read as RDTSC and its writes ignored, INT_PENDING reading 0, #GP with
 * the refusal counted for everything else, logged at debug level only),
 * and the properties of the passthrough list the permission maps are built
 * from (no MSR twice, the read-only ones, nothing emulated or
 * security-relevant in it, every entry where SVM's MSRPM can express it).
 *
 * The TSC read is checked against the host's own RDTSC (an unprivileged
 * instruction) taken before and after, on one pinned CPU.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <hv/log.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <x86/asm.h>
#include <x86/guest.h>
#include <x86/msr.h>
#include <x86/svm.h>

#include "capture_console.h"

/* MSRs nothing in the hypervisor names (SDM 4 table 2-2, APM 2 appendix A). */
#define MSR_IA32_APIC_BASE  0x0000001b
#define MSR_IA32_MTRRCAP    0x000000fe
#define MSR_IA32_MCG_CAP    0x00000179
#define MSR_IA32_MCG_STATUS 0x0000017a
#define MSR_IA32_MC0_CTL    0x00000400
#define MSR_IA32_X2APIC_ID  0x00000802
#define MSR_AMD_PERF_CTL0   0xc0010000
#define MSR_AMD_SYSCFG      0xc0010010
#define MSR_HV_GUEST_OS_ID  0x40000000 /* Hyper-V's range: probed by Windows and Linux */
#define GARBAGE             0xdeadbeefcafef00dull

static struct vm vm = { .name = "vm0" };
static struct vcpu vcpu = { .vm = &vm, .id = 1 };
static struct x86_vcpu xv = { .vcpu = &vcpu };

static const u32 unknown[] = {
	0x0,
	MSR_IA32_FEATURE_CONTROL,
	MSR_IA32_APIC_BASE,
	MSR_IA32_MTRRCAP,
	MSR_IA32_MCG_CAP,
	MSR_IA32_MCG_STATUS,
	MSR_IA32_MC0_CTL,
	MSR_IA32_VMX_BASIC,
	MSR_IA32_X2APIC_ID,
	MSR_HV_GUEST_OS_ID,
	MSR_AMD_PERF_CTL0,
	MSR_AMD_SYSCFG,
	MSR_AMD_VM_CR,
	MSR_VM_HSAVE_PA,
	0xffffffff,
};

static int setup(void **state)
{
	(void)state;
	xv.msr_refused = 0;
	xv.last_msr_refused = 0;
	log_threshold = LOG_INFO;
	return 0;
}

/* --- emulated ------------------------------------------------------------------------------ */

static void test_efer_and_pat_go_to_the_backend(void **state)
{
	static const u32 msrs[] = { MSR_EFER, MSR_IA32_PAT };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++) {
		u64 v = GARBAGE;

		assert_int_equal(x86_msr_read(&xv, msrs[i], &v), X86_MSR_BACKEND);
		assert_int_equal(x86_msr_write(&xv, msrs[i], 0), X86_MSR_BACKEND);
		assert_int_equal(x86_msr_write(&xv, msrs[i], ~0ull), X86_MSR_BACKEND);
	}
	assert_int_equal(xv.msr_refused, 0);
}

static void pin_to_this_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	assert_true(cpu >= 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

/* A TSC read is RDTSC's value now; a write changes nothing and is not refused. */
static void test_tsc_reads_rdtsc_and_ignores_writes(void **state)
{
	(void)state;
	pin_to_this_cpu();
	for (int i = 0; i < 2; i++) {
		u64 v = 0, before = rdtsc();

		assert_int_equal(x86_msr_read(&xv, MSR_IA32_TSC, &v), X86_MSR_OK);
		u64 after = rdtsc();

		assert_true(before <= v && v <= after);
		/* Then a write of a far-away value: the next read still follows RDTSC. */
		assert_int_equal(x86_msr_write(&xv, MSR_IA32_TSC, after + (1ull << 60)),
				 X86_MSR_OK);
	}
	assert_int_equal(xv.msr_refused, 0);
}

static void test_int_pending_reads_zero(void **state)
{
	u64 v = GARBAGE;

	(void)state;
	assert_int_equal(x86_msr_read(&xv, MSR_AMD_INT_PENDING, &v), X86_MSR_OK);
	assert_int_equal(v, 0);
	assert_int_equal(xv.msr_refused, 0);
	/* It is read-only: a write is refused like an unknown MSR's. */
	assert_int_equal(x86_msr_write(&xv, MSR_AMD_INT_PENDING, 1), X86_MSR_GP);
	assert_int_equal(xv.msr_refused, 1);
	assert_int_equal(xv.last_msr_refused, MSR_AMD_INT_PENDING);
}

/* --- refused ------------------------------------------------------------------------------ */

/* Unknown MSRs: #GP, the read value zeroed (never stale), each refusal counted. */
static void test_unknown_msrs_are_refused_and_counted(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		u64 v = GARBAGE;

		assert_int_equal(x86_msr_read(&xv, unknown[i], &v), X86_MSR_GP);
		assert_int_equal(v, 0);
		assert_int_equal(xv.msr_refused, 2 * i + 1);
		assert_int_equal(xv.last_msr_refused, unknown[i]);
		assert_int_equal(x86_msr_write(&xv, unknown[i], GARBAGE), X86_MSR_GP);
		assert_int_equal(xv.msr_refused, 2 * i + 2);
		assert_int_equal(xv.last_msr_refused, unknown[i]);
	}
}

/* A guest hammering unknown MSRs writes nothing to the console at the default level. */
static void test_refusals_do_not_flood_the_console(void **state)
{
	(void)state;
	capture_console_start();
	for (int i = 0; i < 1000; i++) {
		u64 v;

		x86_msr_read(&xv, MSR_IA32_MCG_CAP, &v);
		x86_msr_write(&xv, MSR_IA32_APIC_BASE, GARBAGE);
	}
	capture_console_stop();
	assert_string_equal(capture_console_text(), "");
	assert_int_equal(xv.msr_refused, 2000);
}

/* At debug level a refusal says which VM, vCPU, instruction, MSR and value. */
static void test_refusal_log_names_msr_and_value(void **state)
{
	const char *text;

	(void)state;
	log_threshold = LOG_DEBUG;
	capture_console_start();
	x86_msr_write(&xv, MSR_IA32_APIC_BASE, 0xfee00900);
	u64 v;
	x86_msr_read(&xv, MSR_AMD_VM_CR, &v);
	capture_console_stop();
	text = capture_console_text();
	assert_non_null(strstr(text, "vm0: vcpu1: WRMSR of MSR 0x1b (value 0xfee00900): #GP"));
	assert_non_null(strstr(text, "vm0: vcpu1: RDMSR of MSR 0xc0010114"));
}

/* --- the passthrough list ------------------------------------------------------------------ */

static const struct x86_msr_passthrough *find(u32 msr)
{
	for (u32 i = 0; i < x86_msr_passthrough_count; i++)
		if (x86_msr_passthrough_list[i].msr == msr)
			return &x86_msr_passthrough_list[i];
	return NULL;
}

static void test_passthrough_list_has_no_duplicates(void **state)
{
	(void)state;
	assert_true(x86_msr_passthrough_count > 0);
	for (u32 i = 0; i < x86_msr_passthrough_count; i++) {
		const struct x86_msr_passthrough *p = &x86_msr_passthrough_list[i];

		assert_true(p->read || p->write);
		for (u32 j = i + 1; j < x86_msr_passthrough_count; j++)
			if (x86_msr_passthrough_list[j].msr == p->msr)
				fail_msg("MSR %#x listed at %u and %u", p->msr, i, j);
	}
}

/* HWCR and PATCH_LEVEL are facts to read, and an intercepted write to them is #GP. */
static void test_read_only_passthrough(void **state)
{
	static const u32 read_only[] = { MSR_AMD_HWCR, MSR_AMD_PATCH_LEVEL };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(read_only); i++) {
		const struct x86_msr_passthrough *p = find(read_only[i]);

		assert_non_null(p);
		assert_true(p->read);
		assert_false(p->write);
		assert_int_equal(x86_msr_write(&xv, read_only[i], 0), X86_MSR_GP);
	}
	/* The syscall and segment-base MSRs the world switch swaps: both ways. */
	static const u32 switched[] = { MSR_STAR,    MSR_LSTAR,   MSR_CSTAR,         MSR_SFMASK,
					MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE };
	for (size_t i = 0; i < ARRAY_SIZE(switched); i++) {
		const struct x86_msr_passthrough *p = find(switched[i]);

		assert_non_null(p);
		assert_true(p->read && p->write);
	}
}

/*
 * Nothing emulated, kept by the backend, or refused is passed through: a
 * guest reaching EFER directly could clear SVME or set reserved bits, one
 * reaching VM_HSAVE_PA could point the host save area anywhere.
 */
static void test_passthrough_excludes_emulated_and_refused(void **state)
{
	static const u32 intercepted[] = { MSR_EFER, MSR_IA32_PAT, MSR_IA32_TSC,
					   MSR_AMD_INT_PENDING };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(intercepted); i++)
		if (find(intercepted[i]))
			fail_msg("emulated MSR %#x is passed through", intercepted[i]);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		if (find(unknown[i]))
			fail_msg("refused MSR %#x is passed through", unknown[i]);
}

/* SVM's MSRPM covers three ranges of 8192 MSRs (APM 2 15.11); anything else always exits. */
static void test_passthrough_within_the_msrpm(void **state)
{
	static const u32 ranges[] = { SVM_MSRPM_RANGE0_BASE, SVM_MSRPM_RANGE1_BASE,
				      SVM_MSRPM_RANGE2_BASE };

	(void)state;
	for (u32 i = 0; i < x86_msr_passthrough_count; i++) {
		u32 msr = x86_msr_passthrough_list[i].msr;
		bool covered = false;

		for (size_t r = 0; r < ARRAY_SIZE(ranges); r++)
			covered |= msr >= ranges[r] && msr - ranges[r] < SVM_MSRPM_VECTOR_MSRS;
		if (!covered)
			fail_msg("MSR %#x is outside the MSRPM's ranges", msr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_efer_and_pat_go_to_the_backend, setup),
		cmocka_unit_test_setup(test_tsc_reads_rdtsc_and_ignores_writes, setup),
		cmocka_unit_test_setup(test_int_pending_reads_zero, setup),
		cmocka_unit_test_setup(test_unknown_msrs_are_refused_and_counted, setup),
		cmocka_unit_test_setup(test_refusals_do_not_flood_the_console, setup),
		cmocka_unit_test_setup(test_refusal_log_names_msr_and_value, setup),
		cmocka_unit_test_setup(test_passthrough_list_has_no_duplicates, setup),
		cmocka_unit_test_setup(test_read_only_passthrough, setup),
		cmocka_unit_test_setup(test_passthrough_excludes_emulated_and_refused, setup),
		cmocka_unit_test_setup(test_passthrough_within_the_msrpm, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
