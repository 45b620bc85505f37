/*
 * Why VMRUN refused a VMCB (arch/x86/svm/svm_check.c), on the host: each
 * consistency check of APM Vol. 2 15.5.1 is broken alone on an otherwise
 * valid 64-bit guest VMCB and must be the one reported, with its field and
 * value, through one vm_stop(VM_STOP_FAILED); every pair of broken checks
 * must report the one earlier in the manual's order; near-misses at each
 * boundary (the last legal address, vector 31, a check that only applies in
 * long mode or with nested paging) must not be reported; and a VMCB that
 * passes every check gets the "no known check explains it" reason with the
 * registers that matter.
 *
 * The test provides what svm_check.c takes from the rest of the image:
 * x86_cpu (MAXPHYADDR 40 here) and vm_stop(), which records the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <hv/fmt.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <x86/features.h>
#include <x86/msr.h>
#include <x86/regs.h>
#include <x86/svm.h>
#include <x86/trap.h>

#include "../../arch/x86/svm/svm_internal.h"

#define PHYS_BITS 40
#define MAX_PA    (1ull << PHYS_BITS)
#define PREFIX    "VMRUN failed (VMEXIT_INVALID): "
/* A present, accessed, readable code segment (descriptor type 0xb). */
#define CS_CODE (SVM_SEG_ATTR_P | SVM_SEG_ATTR_S | 0xb)

struct x86_features x86_cpu;

static struct {
	unsigned calls;
	struct vm *vm;
	enum vm_stop_status status;
	char reason[VM_REASON_MAX];
} stop;

void vm_stop(struct vm *vm, enum vm_stop_status status, const char *fmt, ...)
{
	va_list ap;

	stop.calls++;
	stop.vm = vm;
	stop.status = status;
	va_start(ap, fmt);
	fmt_vsnprintf(stop.reason, sizeof(stop.reason), fmt, ap);
	va_end(ap);
}

static struct vm vm;
static struct vcpu vcpu = { .vm = &vm };
static struct vmcb vmcb;
static struct svm_vcpu sv = { .x = { .vcpu = &vcpu }, .vmcb = &vmcb };

/*
 * A 64-bit guest as svm_vmcb_init() builds one: long mode with paging, a
 * 64-bit code segment, VMRUN intercepted, permission maps and the nested
 * root well below MAXPHYADDR, ASID 1, nothing to inject.
 */
static void make_valid(struct vmcb *v)
{
	memset(v, 0, sizeof(*v));
	v->save.efer = EFER_SVME | EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
	v->save.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	v->save.cr3 = 0x1000;
	v->save.cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	v->save.dr6 = 0xffff0ff0;
	v->save.dr7 = 0x400;
	v->save.cs.attrib = CS_CODE | SVM_SEG_ATTR_L | SVM_SEG_ATTR_G;
	v->control.intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL;
	v->control.msrpm_base_pa = 0x100000;
	v->control.iopm_base_pa = 0x104000;
	v->control.guest_asid = 1;
	v->control.nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	v->control.nested_cr3 = 0x200000;
}

static int setup(void **state)
{
	(void)state;
	memset(&x86_cpu, 0, sizeof(x86_cpu));
	x86_cpu.phys_bits = PHYS_BITS;
	memset(&stop, 0, sizeof(stop));
	make_valid(&vmcb);
	return 0;
}

static void report(void)
{
	memset(&stop, 0, sizeof(stop));
	svm_report_invalid(&sv);
	assert_int_equal(stop.calls, 1);
	assert_ptr_equal(stop.vm, &vm);
	assert_int_equal(stop.status, VM_STOP_FAILED);
}

/* --- the checks, in the manual's (and svm_check.c's) order ------------------------------- */

static u64 get_efer(const struct vmcb *v)
{
	return v->save.efer;
}
static u64 get_cr0(const struct vmcb *v)
{
	return v->save.cr0;
}
static u64 get_cr3(const struct vmcb *v)
{
	return v->save.cr3;
}
static u64 get_cr4(const struct vmcb *v)
{
	return v->save.cr4;
}
static u64 get_dr6(const struct vmcb *v)
{
	return v->save.dr6;
}
static u64 get_dr7(const struct vmcb *v)
{
	return v->save.dr7;
}
static u64 get_cs(const struct vmcb *v)
{
	return v->save.cs.attrib;
}
static u64 get_misc2(const struct vmcb *v)
{
	return v->control.intercept_misc2;
}
static u64 get_msrpm(const struct vmcb *v)
{
	return v->control.msrpm_base_pa;
}
static u64 get_iopm(const struct vmcb *v)
{
	return v->control.iopm_base_pa;
}
static u64 get_evt(const struct vmcb *v)
{
	return v->control.event_inj;
}
static u64 get_ncr3(const struct vmcb *v)
{
	return v->control.nested_cr3;
}

static void svme_clear(struct vmcb *v)
{
	v->save.efer &= ~EFER_SVME;
}
static void nw_without_cd(struct vmcb *v)
{
	v->save.cr0 = (v->save.cr0 & ~CR0_CD) | CR0_NW;
}
static void cr0_high(struct vmcb *v)
{
	v->save.cr0 |= BIT(32);
}
static void cr0_top(struct vmcb *v)
{
	v->save.cr0 |= BIT(63);
}
static void cr3_mbz(struct vmcb *v)
{
	v->save.cr3 |= BIT(52);
}
static void cr3_top(struct vmcb *v)
{
	v->save.cr3 |= BIT(63);
}
static void cr4_reserved(struct vmcb *v)
{
	v->save.cr4 |= BIT(15);
}
static void cr4_vmxe(struct vmcb *v)
{
	v->save.cr4 |= CR4_VMXE; /* reserved on an AMD CPU */
}
static void dr6_high(struct vmcb *v)
{
	v->save.dr6 |= BIT(32);
}
static void dr7_high(struct vmcb *v)
{
	v->save.dr7 |= BIT(63);
}
static void efer_reserved(struct vmcb *v)
{
	v->save.efer |= BIT(1);
}
static void efer_reserved_high(struct vmcb *v)
{
	v->save.efer |= BIT(32);
}
static void long_without_pae(struct vmcb *v)
{
	v->save.cr4 &= ~CR4_PAE;
}
static void long_without_pe(struct vmcb *v)
{
	v->save.cr0 &= ~CR0_PE;
}
static void cs_l_and_d(struct vmcb *v)
{
	v->save.cs.attrib |= SVM_SEG_ATTR_L | SVM_SEG_ATTR_DB;
}
static void vmrun_not_intercepted(struct vmcb *v)
{
	v->control.intercept_misc2 &= ~SVM_INTERCEPT_VMRUN;
}
static void msrpm_beyond(struct vmcb *v)
{
	/* The map's last page would be the first beyond MAXPHYADDR. */
	v->control.msrpm_base_pa = MAX_PA - SVM_MSRPM_SIZE + PAGE_SIZE;
}
static void iopm_beyond(struct vmcb *v)
{
	v->control.iopm_base_pa = MAX_PA - SVM_IOPM_SIZE + PAGE_SIZE;
}
static void evt_type_1(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | (1ull << SVM_EVT_TYPE_SHIFT) | 0x20;
}
static void evt_type_5(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | (5ull << SVM_EVT_TYPE_SHIFT) | 0x20;
}
static void evt_type_7(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | (7ull << SVM_EVT_TYPE_SHIFT) | 0x20;
}
static void evt_exception_32(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_EXCEPT | 32;
}
static void evt_exception_255(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_EXCEPT | 255;
}
static void evt_nmi_as_exception(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_EXCEPT | VEC_NMI;
}
static void asid_zero(struct vmcb *v)
{
	v->control.guest_asid = 0;
}
static void ncr3_beyond(struct vmcb *v)
{
	v->control.nested_cr3 = MAX_PA;
}

/*
 * One way to break one check. rank: the check's place in the manual's list
 * (ways that break the same check share it); the reason must contain
 * "<field> = 0x<value>" (the value read back from the VMCB as reported; the
 * field alone when get is NULL) and the phrase naming the rule.
 */
struct broken {
	const char *name;
	unsigned rank;
	void (*mutate)(struct vmcb *v);
	const char *field;
	u64 (*get)(const struct vmcb *v);
	const char *phrase;
};

static const struct broken cases[] = {
	{ "EFER.SVME clear", 1, svme_clear, "EFER", get_efer, "SVME is zero" },
	{ "CR0.NW without CD", 2, nw_without_cd, "CR0", get_cr0, "CD is zero and CR0.NW" },
	{ "CR0 bit 32", 3, cr0_high, "CR0", get_cr0, "bits 63:32" },
	{ "CR0 bit 63", 3, cr0_top, "CR0", get_cr0, "bits 63:32" },
	{ "CR3 bit 52", 4, cr3_mbz, "CR3", get_cr3, "MBZ bits 63:52" },
	{ "CR3 bit 63", 4, cr3_top, "CR3", get_cr3, "MBZ bits 63:52" },
	{ "CR4 bit 15", 5, cr4_reserved, "CR4", get_cr4, "reserved bits 0x8000 set" },
	{ "CR4.VMXE", 5, cr4_vmxe, "CR4", get_cr4, "reserved bits 0x2000 set" },
	{ "DR6 bit 32", 6, dr6_high, "DR6", get_dr6, "bits 63:32" },
	{ "DR7 bit 63", 7, dr7_high, "DR7", get_dr7, "bits 63:32" },
	{ "EFER bit 1", 8, efer_reserved, "EFER", get_efer, "reserved bits 0x2 set" },
	{ "EFER bit 32", 8, efer_reserved_high, "EFER", get_efer, "reserved bits 0x100000000 set" },
	{ "LME+PG without PAE", 9, long_without_pae, "CR4", get_cr4, "without PAE" },
	{ "LME+PG without PE", 10, long_without_pe, "CR0", get_cr0, "without PE" },
	{ "CS.L and CS.D", 11, cs_l_and_d, "CS.attrib", get_cs, "CS.L and CS.D both set" },
	{ "VMRUN not intercepted", 12, vmrun_not_intercepted, "intercept vector 4", get_misc2,
	  "VMRUN intercept is clear" },
	{ "MSRPM beyond MAXPHYADDR", 13, msrpm_beyond, "MSRPM_BASE_PA", get_msrpm,
	  "beyond the physical address width" },
	{ "IOPM beyond MAXPHYADDR", 14, iopm_beyond, "IOPM_BASE_PA", get_iopm,
	  "beyond the physical address width" },
	{ "EVENTINJ type 1", 15, evt_type_1, "EVENTINJ", get_evt, "illegal event type or vector" },
	{ "EVENTINJ type 5", 15, evt_type_5, "EVENTINJ", get_evt, "illegal event type or vector" },
	{ "EVENTINJ type 7", 15, evt_type_7, "EVENTINJ", get_evt, "illegal event type or vector" },
	{ "EVENTINJ exception 32", 15, evt_exception_32, "EVENTINJ", get_evt,
	  "illegal event type or vector" },
	{ "EVENTINJ exception 255", 15, evt_exception_255, "EVENTINJ", get_evt,
	  "illegal event type or vector" },
	{ "EVENTINJ NMI vector as exception", 15, evt_nmi_as_exception, "EVENTINJ", get_evt,
	  "illegal event type or vector" },
	{ "ASID 0", 16, asid_zero, "guest ASID = 0", NULL, "ASID 0 is the host's" },
	{ "N_CR3 at MAXPHYADDR", 17, ncr3_beyond, "N_CR3", get_ncr3,
	  "beyond the physical address width" },
};

static void expect_reported(const struct broken *b)
{
	char field[128];

	if (b->get)
		snprintf(field, sizeof(field), "%s = 0x%llx", b->field,
			 (unsigned long long)b->get(&vmcb));
	else
		snprintf(field, sizeof(field), "%s", b->field);
	if (strncmp(stop.reason, PREFIX, strlen(PREFIX)) != 0 || !strstr(stop.reason, field) ||
	    !strstr(stop.reason, b->phrase))
		fail_msg("%s: reason \"%s\", expected \"" PREFIX "...\" with \"%s\" and \"%s\"",
			 b->name, stop.reason, field, b->phrase);
}

/* Each check alone: detected, reported with its field and value. */
static void test_each_check_alone(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		make_valid(&vmcb);
		cases[i].mutate(&vmcb);
		report();
		expect_reported(&cases[i]);
	}
}

/* Two checks broken: the one earlier in the manual's order is reported, whichever was first. */
static void test_first_failure_in_manual_order_wins(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(cases); j++) {
			if (cases[i].rank >= cases[j].rank)
				continue;
			make_valid(&vmcb);
			cases[j].mutate(&vmcb);
			cases[i].mutate(&vmcb);
			report();
			expect_reported(&cases[i]);
		}
	}
}

/* Everything broken at once: still the first check. */
static void test_all_broken_reports_svme(void **state)
{
	(void)state;
	make_valid(&vmcb);
	for (size_t i = ARRAY_SIZE(cases); i-- > 0;)
		cases[i].mutate(&vmcb);
	report();
	expect_reported(&cases[0]);
}

/* --- what must pass ----------------------------------------------------------------------- */

#define NO_CHECK "VMRUN failed (VMEXIT_INVALID) and no known check explains it"

static void expect_unexplained(const char *name)
{
	report();
	if (strncmp(stop.reason, NO_CHECK, strlen(NO_CHECK)) != 0)
		fail_msg("%s: reported \"%s\"", name, stop.reason);
}

/* A valid VMCB: no check fires, and the reason carries the registers that matter. */
static void test_valid_vmcb_is_unexplained(void **state)
{
	char regs[VM_REASON_MAX];

	(void)state;
	report();
	snprintf(regs, sizeof(regs), NO_CHECK ": EFER %#llx CR0 %#llx CR4 %#llx CS.attrib %#x",
		 (unsigned long long)vmcb.save.efer, (unsigned long long)vmcb.save.cr0,
		 (unsigned long long)vmcb.save.cr4, vmcb.save.cs.attrib);
	if (strncmp(stop.reason, regs, strlen(regs)) != 0)
		fail_msg("reason \"%s\", expected it to start with \"%s\"", stop.reason, regs);
	assert_non_null(strstr(stop.reason, "EVENTINJ 0"));
}

static void legal_cr0_cd_nw(struct vmcb *v)
{
	v->save.cr0 |= CR0_CD | CR0_NW;
}
static void legal_cr0_low_ones(struct vmcb *v)
{
	v->save.cr0 = GENMASK(31, 0); /* CD and NW both set: legal */
}
static void legal_cr3_bit51(struct vmcb *v)
{
	v->save.cr3 |= BIT(51);
}
static void legal_cr4_all_known(struct vmcb *v)
{
	v->save.cr4 |= CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE | CR4_PCE |
		       CR4_UMIP | CR4_FSGSBASE | CR4_PCIDE | CR4_OSXSAVE | CR4_SMEP | CR4_SMAP |
		       CR4_PKE | CR4_CET;
}
static void legal_dr_low_ones(struct vmcb *v)
{
	v->save.dr6 = 0xffffffff;
	v->save.dr7 = 0xffffffff;
}
static void legal_efer_all_known(struct vmcb *v)
{
	v->save.efer |= EFER_LMSLE | EFER_FFXSR | EFER_TCE;
}
static void legal_no_long_mode_no_pae(struct vmcb *v)
{
	/* Legacy protected mode with paging: PAE, PE and CS.L+D only matter with LME. */
	v->save.efer &= ~(EFER_LME | EFER_LMA);
	v->save.cr4 &= ~CR4_PAE;
	v->save.cs.attrib |= SVM_SEG_ATTR_L | SVM_SEG_ATTR_DB;
}
static void legal_lme_without_paging(struct vmcb *v)
{
	v->save.efer &= ~EFER_LMA;
	v->save.cr0 &= ~(CR0_PG | CR0_PE);
	v->save.cr4 &= ~CR4_PAE;
	v->save.cs.attrib |= SVM_SEG_ATTR_DB;
}
static void legal_compat_cs(struct vmcb *v)
{
	v->save.cs.attrib = (u16)((v->save.cs.attrib & ~SVM_SEG_ATTR_L) | SVM_SEG_ATTR_DB);
}
static void legal_maps_at_the_top(struct vmcb *v)
{
	v->control.msrpm_base_pa = MAX_PA - SVM_MSRPM_SIZE;
	v->control.iopm_base_pa = MAX_PA - SVM_IOPM_SIZE;
}
static void legal_ncr3_last_page(struct vmcb *v)
{
	v->control.nested_cr3 = MAX_PA - PAGE_SIZE;
}
static void legal_ncr3_without_np(struct vmcb *v)
{
	v->control.nested_ctl = 0;
	v->control.nested_cr3 = ~0ull;
}
static void legal_evt_not_valid(struct vmcb *v)
{
	v->control.event_inj = (7ull << SVM_EVT_TYPE_SHIFT) | 0xff; /* V clear: ignored */
}
static void legal_evt_exception_31(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_EXCEPT | 31;
}
static void legal_evt_page_fault(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_EXCEPT | SVM_EVT_ERROR_VALID | VEC_PF |
			       (2ull << SVM_EVT_ERROR_SHIFT);
}
static void legal_evt_nmi(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_NMI | VEC_NMI;
}
static void legal_evt_interrupt(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_INTR | 0xff;
}
static void legal_evt_soft_int(struct vmcb *v)
{
	v->control.event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_SOFT | 0x80;
}
static void legal_asid_max(struct vmcb *v)
{
	v->control.guest_asid = ~0u;
}

static const struct {
	const char *name;
	void (*mutate)(struct vmcb *v);
} legal[] = {
	{ "CR0.CD and CR0.NW", legal_cr0_cd_nw },
	{ "CR0 low half all ones", legal_cr0_low_ones },
	{ "CR3 bit 51", legal_cr3_bit51 },
	{ "every known CR4 bit", legal_cr4_all_known },
	{ "DR6/DR7 low halves all ones", legal_dr_low_ones },
	{ "every known EFER bit", legal_efer_all_known },
	{ "no long mode: no PAE, CS.L+D", legal_no_long_mode_no_pae },
	{ "LME without paging", legal_lme_without_paging },
	{ "compatibility-mode CS (D, not L)", legal_compat_cs },
	{ "MSRPM and IOPM ending at MAXPHYADDR", legal_maps_at_the_top },
	{ "N_CR3 on the last page", legal_ncr3_last_page },
	{ "N_CR3 out of range without nested paging", legal_ncr3_without_np },
	{ "EVENTINJ not valid", legal_evt_not_valid },
	{ "EVENTINJ exception 31", legal_evt_exception_31 },
	{ "EVENTINJ #PF with error code", legal_evt_page_fault },
	{ "EVENTINJ NMI", legal_evt_nmi },
	{ "EVENTINJ interrupt 255", legal_evt_interrupt },
	{ "EVENTINJ INT 0x80", legal_evt_soft_int },
	{ "ASID 0xffffffff", legal_asid_max },
};

/* Near-misses: every boundary's legal side passes every check. */
static void test_legal_values_pass(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(legal); i++) {
		make_valid(&vmcb);
		legal[i].mutate(&vmcb);
		expect_unexplained(legal[i].name);
	}
}

/* MAXPHYADDR is the CPU's: the same map address fails on a narrower CPU. */
static void test_physical_width_is_the_cpus(void **state)
{
	char want[128];

	(void)state;
	vmcb.control.msrpm_base_pa = (1ull << 36) - SVM_MSRPM_SIZE;
	expect_unexplained("MSRPM ending at 2^36 with 40 bits");
	x86_cpu.phys_bits = 36;
	expect_unexplained("MSRPM ending at 2^36 with 36 bits");
	x86_cpu.phys_bits = 35;
	report();
	snprintf(want, sizeof(want), PREFIX "MSRPM_BASE_PA = 0x%llx",
		 (unsigned long long)vmcb.control.msrpm_base_pa);
	assert_memory_equal(stop.reason, want, strlen(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_each_check_alone, setup),
		cmocka_unit_test_setup(test_first_failure_in_manual_order_wins, setup),
		cmocka_unit_test_setup(test_all_broken_reports_svme, setup),
		cmocka_unit_test_setup(test_valid_vmcb_is_unexplained, setup),
		cmocka_unit_test_setup(test_legal_values_pass, setup),
		cmocka_unit_test_setup(test_physical_width_is_the_cpus, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
