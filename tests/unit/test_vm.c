/*
 * The generic VM layer (vmm/vm.c, vcpu.c, guest_ram.c, vm_glue.c,
 * exit_stats.c) with a fake backend on fake physical memory: RAM chunks
 * (allocated, adopted, claimed at identity addresses) with their memslots,
 * zeroing, refusal of the hypervisor's own frames, bounds-checked
 * guest-physical access across chunks and holes, the loader seam, the
 * run/stop life cycle, the hypercall and console glue, the exit ring and
 * statistics output, the console escape commands, that destroying a VM
 * gives every frame and table back, and a protected second stage: the
 * table module the VM owns, the root a vCPU loads and the table the
 * hardware would walk, faults through the mirror hook, failure injection,
 * the retry bound, the check at stop, and teardown through the hook.
 *
 * Memory map of every test (offsets from the arena base A):
 *
 *   [0, 1 MiB)          "image" (reserved by frames_init)
 *   [1 MiB, 65 MiB)     usable; frame metadata lands at its bottom
 *   [65 MiB, 66 MiB)    reserved (a hole in RAM)
 *   [66 MiB, 130 MiB)   usable
 *
 * Before frames_init the usable RAM is filled with 0xAA, so a chunk that
 * is not zeroed is seen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arch/cpu.h>
#include <hv/errno.h>
#include <hv/frames.h>
#include <hv/loader.h>
#include <hv/mm.h>
#include <hv/tmod.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

#include "capture_console.h"
#include "phys_arena.h"

#define MIB        (1ull << 20)
#define USABLE0    (1 * MIB)
#define USABLE0_SZ (64 * MIB)
#define HOLE       (65 * MIB)
#define USABLE1    (66 * MIB)
#define USABLE1_SZ (64 * MIB)

static struct boot_info bi;
static u64 A;
static u64 free_at_start;
static u64 pages_at_start;

/* --- the fake backend -------------------------------------------------------------- */

enum fake_kind { FK_HYPERCALL, FK_IO, FK_OTHER, FK_COUNT };
static const char *const fake_kind_names[FK_COUNT] = { "HYPERCALL", "IO", "OTHER" };

#define FAULTS_MAX 8

struct fake_script {
	unsigned fault_count;      /* load the root, fault at these gpas first */
	u64 fault_gpa[FAULTS_MAX]; /* (writes) */
	int load_err;              /* what vcpu_load_tdp_root() returned */
	hpa_t walk;                /* the table it said the hardware walks */
	enum mmu_fault_result fault_result[FAULTS_MAX];
	unsigned io_exits;   /* record this many IO exits, then a hypercall sequence */
	u64 shutdown_status; /* HC_SHUTDOWN argument at the end */
	bool console_hello;  /* CONSOLE_WRITE "hello\n" from guest RAM at 0x1000 first */
	bool stop_twice;     /* call vm_stop again after the shutdown */
	bool user_mode;      /* make the calls from "user mode" */
	s64 console_ret;     /* result of the CONSOLE_WRITE */
};

static struct fake_script script;
static int fake_vm_inits, fake_vm_destroys, fake_vcpu_inits, fake_vcpu_destroys;
static u64 fake_flushes, fake_vm_flushes;

static int fake_vm_init(struct vm *vm)
{
	(void)vm;
	fake_vm_inits++;
	return 0;
}

static void fake_vm_destroy(struct vm *vm)
{
	(void)vm;
	fake_vm_destroys++;
}

static int fake_vcpu_init(struct vcpu *v)
{
	(void)v;
	fake_vcpu_inits++;
	return 0;
}

static void fake_vcpu_destroy(struct vcpu *v)
{
	(void)v;
	fake_vcpu_destroys++;
}

static void record(struct vcpu *v, u64 code, u32 kind, u64 pc)
{
	struct vcpu_exit_record *r = vcpu_exit_log(v);

	r->ticks = pc * 10;
	r->code = code;
	r->pc = pc;
	r->info1 = code + 1;
	r->info2 = code + 2;
	vcpu_exit_account(v, kind, 7);
}

static void fake_vcpu_run(struct vcpu *v)
{
	u64 pc = 0x100;

	if (script.fault_count) {
		script.load_err = vcpu_load_tdp_root(v, &script.walk);
		for (unsigned i = 0; i < script.fault_count && !script.load_err; i++)
			script.fault_result[i] =
			    mmu_fault(v->mmu, gpa(script.fault_gpa[i]), PT_R | PT_W);
	}

	for (unsigned i = 0; i < script.io_exits; i++)
		record(v, 0x7b, FK_IO, pc++);
	if (script.console_hello) {
		u64 args[HC_ARG_COUNT] = { 0x1000, 6, 0, 0 };
		struct hc_result r;

		record(v, 0x81, FK_HYPERCALL, pc++);
		r = vm_hypercall(v, HC_CONSOLE_WRITE, args, script.user_mode);
		script.console_ret = r.ret;
	}
	{
		u64 args[HC_ARG_COUNT] = { 3, HC_TEST_PASS, 0x2a, 0 };

		record(v, 0x81, FK_HYPERCALL, pc++);
		vm_hypercall(v, HC_TEST_RESULT, args, script.user_mode);
	}
	{
		u64 args[HC_ARG_COUNT] = { script.shutdown_status, 0, 0, 0 };

		record(v, 0x81, FK_HYPERCALL, pc++);
		vm_hypercall(v, HC_SHUTDOWN, args, script.user_mode);
	}
	if (script.stop_twice)
		vm_stop(v->vm, VM_STOP_FAILED, "a second stop that must be ignored");
	/* A user-mode shutdown does nothing: stop so the run ends. */
	if (vm_is_running(v->vm))
		vm_stop(v->vm, VM_STOP_FAILED, "the script ended with the VM running");
}

static void fake_tlb_flush(void *arg, const struct mmu_root *root, gfn_t start, u64 count)
{
	(void)arg;
	(void)start;
	fake_flushes++;
	/* The table module's seam: the whole VM. */
	if (!root) {
		assert_int_equal(count, 0);
		fake_vm_flushes++;
	}
}

static const char *fake_code_name(u64 code)
{
	return code == 0x7b ? "IOIO" : code == 0x81 ? "VMMCALL" : "?";
}

static const struct vm_backend_ops fake_ops = {
	.name = "fake",
	.tdp_format = &pt_format_fake,
	.vm_init = fake_vm_init,
	.vm_destroy = fake_vm_destroy,
	.vcpu_init = fake_vcpu_init,
	.vcpu_destroy = fake_vcpu_destroy,
	.vcpu_run = fake_vcpu_run,
	.tlb_flush = fake_tlb_flush,
	.exit_kind_names = fake_kind_names,
	.exit_kind_count = FK_COUNT,
	.exit_code_name = fake_code_name,
};

/* --- set-up ---------------------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	A = phys_arena_create(SZ_1G);
	bootinfo_init(&bi, "test");
	arena_add_region(&bi, 0, MIB, MEM_USABLE);
	arena_add_region(&bi, USABLE0, USABLE0_SZ, MEM_USABLE);
	arena_add_region(&bi, HOLE, MIB, MEM_RESERVED);
	arena_add_region(&bi, USABLE1, USABLE1_SZ, MEM_USABLE);
	memset((void *)(uptr)(A + USABLE0), 0xaa, USABLE0_SZ);
	memset((void *)(uptr)(A + USABLE1), 0xaa, USABLE1_SZ);
	frames_set_limit(hpa(~0ull));
	assert_int_equal(frames_init(&bi, hpa(A), hpa(A + MIB)), 0);
	free_at_start = frames_free_count();
	pages_at_start = page_alloc_outstanding();
	memset(&script, 0, sizeof(script));
	fake_vm_inits = fake_vm_destroys = fake_vcpu_inits = fake_vcpu_destroys = 0;
	fake_flushes = fake_vm_flushes = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* Every test destroys its VMs: every frame and table page is back. */
	assert_int_equal(frames_free_count(), free_at_start);
	assert_int_equal(page_alloc_outstanding(), pages_at_start);
	phys_arena_destroy();
	return 0;
}

static struct vm *make_vm(const char *name)
{
	struct vm_config cfg = { .name = name, .ops = &fake_ops };
	int err = 0;
	struct vm *vm = vm_create(&cfg, &err);

	assert_non_null(vm);
	assert_int_equal(err, 0);
	return vm;
}

static bool all_bytes(const void *p, u8 v, size_t n)
{
	const u8 *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* --- tests ------------------------------------------------------------------------------- */

static void create_refuses_bad_config(void **state)
{
	struct vm_backend_ops incomplete = fake_ops;
	struct vm_config cfg = { .name = "vm0", .ops = &incomplete };
	int err = 0;

	(void)state;
	incomplete.vcpu_run = NULL;
	assert_null(vm_create(&cfg, &err));
	assert_int_equal(err, HV_EINVAL);
	cfg.ops = &fake_ops;
	cfg.name = "";
	assert_null(vm_create(&cfg, &err));
	assert_int_equal(err, HV_EINVAL);
	cfg.name = "a-name-that-is-far-too-long";
	assert_null(vm_create(&cfg, &err));
	assert_int_equal(err, HV_EINVAL);
	assert_int_equal(fake_vm_inits, 0);
}

/*
 * Three chunks: [0, 1M) and [1M, 3M) adjacent in guest space but apart in
 * host memory, then [8M, 9M) after a hole:
 *
 *   gpa  0      1M            3M      8M     9M
 *        [ c0 ][    c1      ]   hole  [ c2 ]
 */
static void ram_chunks_slots_and_access(void **state)
{
	struct vm *vm = make_vm("vm0");
	u8 buf[64], pattern[64];
	struct mmu_slot_info si;
	const struct guest_mem *m;

	(void)state;
	assert_int_equal(vm_ram_alloc(vm, gpa(MIB), 2 * MIB), 0);
	assert_int_equal(vm_ram_alloc(vm, gpa(0), MIB), 0);
	assert_int_equal(vm_ram_alloc(vm, gpa(8 * MIB), MIB), 0);
	assert_int_equal(vm->ram_count, 3);
	assert_int_equal(vm_ram_size(vm), 4 * MIB);
	/* Sorted by gpa, one slot each, host frames owned by the guest and zeroed. */
	for (u32 i = 0; i < vm->ram_count; i++) {
		const struct vm_ram_chunk *c = &vm->ram[i];

		if (i)
			assert_true(gpa_val(c->gpa) > gpa_val(vm->ram[i - 1].gpa));
		assert_true(mmu_slot_find(vm->mmu, gpa_to_gfn(c->gpa), &si));
		assert_int_equal(si.id, c->slot_id);
		assert_int_equal(si.base_pfn, hpa_to_pfn(c->hpa));
		assert_int_equal(si.npages, c->size >> PAGE_SHIFT);
		assert_false(frames_range_is_hv_owned(c->hpa, c->size));
		assert_true(all_bytes(phys_to_virt(c->hpa), 0, c->size));
	}
	assert_int_equal(mmu_slot_count(vm->mmu), 3);

	/* Errors leave everything as it was. */
	assert_int_equal(vm_ram_alloc(vm, gpa(2 * MIB), MIB), HV_EOVERLAP);
	assert_int_equal(vm_ram_alloc(vm, gpa(0x10000800), MIB), HV_EALIGN);
	assert_int_equal(vm_ram_alloc(vm, gpa(0x20000000), 123), HV_EALIGN);
	assert_int_equal(vm_ram_alloc(vm, gpa(0x20000000), 0), HV_EALIGN);
	assert_int_equal(vm_ram_alloc(vm, gpa(0x40000000), 512 * MIB), HV_ENOMEM);
	assert_int_equal(vm->ram_count, 3);

	/* A write across the c0/c1 border lands in both host chunks. */
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (u8)(i * 3 + 1);
	assert_int_equal(vm_write(vm, gpa(MIB - 32), pattern, sizeof(pattern)), 0);
	assert_memory_equal(phys_to_virt(hpa(hpa_val(vm->ram[0].hpa) + MIB - 32)), pattern, 32);
	assert_memory_equal(phys_to_virt(vm->ram[1].hpa), pattern + 32, 32);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(vm_read(vm, gpa(MIB - 32), buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pattern, sizeof(buf));

	/* Into the hole, or wrapping: refused whole, nothing written. */
	assert_int_equal(vm_write(vm, gpa(3 * MIB - 32), pattern, sizeof(pattern)), HV_EFAULT);
	assert_true(all_bytes(phys_to_virt(hpa(hpa_val(vm->ram[1].hpa) + 2 * MIB - 32)), 0, 32));
	assert_int_equal(vm_read(vm, gpa(8 * MIB - 1), buf, 2), HV_EFAULT);
	assert_int_equal(vm_read(vm, gpa(~0ull - 3), buf, 8), HV_EFAULT);
	assert_int_equal(vm_read(vm, gpa(9 * MIB), buf, 1), HV_EFAULT);
	assert_int_equal(vm_read(vm, gpa(9 * MIB), buf, 0), 0);

	/* Host pointers only within one chunk. */
	assert_ptr_equal(vm_gpa_to_hva(vm, gpa(8 * MIB + 16), 16),
			 phys_to_virt(hpa(hpa_val(vm->ram[2].hpa) + 16)));
	assert_null(vm_gpa_to_hva(vm, gpa(MIB - 8), 16));
	assert_null(vm_gpa_to_hva(vm, gpa(5 * MIB), 1));
	assert_null(vm_gpa_to_hva(vm, gpa(0), 0));

	/* The loader seam: adjacent chunks merged, writes checked. */
	m = vm_guest_mem(vm);
	assert_int_equal(guest_mem_validate(m), 0);
	assert_int_equal(m->ram_count, 2);
	assert_int_equal(m->ram[0].base, 0);
	assert_int_equal(m->ram[0].size, 3 * MIB);
	assert_int_equal(m->ram[1].base, 8 * MIB);
	assert_int_equal(guest_mem_write(m, gpa(3 * MIB - 4), pattern, 4), 0);
	assert_int_equal(guest_mem_write(m, gpa(3 * MIB - 4), pattern, 8), HV_EFAULT);
	vm_destroy(vm);
}

static void ram_adopt_refuses_hypervisor_frames(void **state)
{
	struct vm *vm = make_vm("vm0");
	hpa_t hv, guest;

	(void)state;
	assert_int_equal(frames_alloc(16, PAGE_SIZE, FRAME_OWNER_HV, &hv), 0);
	assert_int_equal(vm_ram_adopt(vm, gpa(0), hv, 16 * PAGE_SIZE), HV_EPERM);
	/* The image (reserved for the hypervisor) too. */
	assert_int_equal(vm_ram_adopt(vm, gpa(0), hpa(A), PAGE_SIZE), HV_EPERM);
	assert_int_equal(vm->ram_count, 0);
	assert_int_equal(mmu_slot_count(vm->mmu), 0);
	frames_free(hv, 16, FRAME_OWNER_HV);

	assert_int_equal(frames_alloc(16, PAGE_SIZE, FRAME_OWNER_GUEST, &guest), 0);
	memset(phys_to_virt(guest), 0x5a, 16 * PAGE_SIZE);
	assert_int_equal(vm_ram_adopt(vm, gpa(0x100000), guest, 16 * PAGE_SIZE), 0);
	assert_true(all_bytes(phys_to_virt(guest), 0, 16 * PAGE_SIZE));
	vm_destroy(vm); /* frees the adopted frames: teardown checks the count */
}

/*
 * Identity claiming around hypervisor allocations and a hole: every
 * claimed chunk sits at gpa == hpa, was free before, is not the
 * hypervisor's, and keep_free bytes stay free afterwards.
 */
static void ram_claim_identity(void **state)
{
	struct vm *vm = make_vm("vm0");
	hpa_t hv1, hv2;
	u64 free_before, keep = 4 * MIB;
	s64 got;

	(void)state;
	/* Hypervisor frames in the middle of both usable ranges. */
	assert_int_equal(frames_alloc_in(8, PAGE_SIZE, hpa(A + 20 * MIB), hpa(A + 21 * MIB),
					 FRAME_OWNER_HV, &hv1),
			 0);
	assert_int_equal(frames_alloc_in(1, PAGE_SIZE, hpa(A + 100 * MIB), hpa(A + 101 * MIB),
					 FRAME_OWNER_HV, &hv2),
			 0);
	free_before = frames_free_count();
	got = vm_ram_claim_identity(vm, hpa(A), hpa(A + 200 * MIB), 64 * 1024, 0, keep);
	assert_true(got > 0);
	assert_int_equal((u64)got, (free_before << PAGE_SHIFT) - keep);
	assert_int_equal(frames_free_count() << PAGE_SHIFT, keep);
	assert_int_equal(vm_ram_size(vm), (u64)got);
	for (u32 i = 0; i < vm->ram_count; i++) {
		const struct vm_ram_chunk *c = &vm->ram[i];

		assert_int_equal(gpa_val(c->gpa), hpa_val(c->hpa));
		assert_false(frames_range_is_hv_owned(c->hpa, c->size));
		assert_false(ranges_overlap(hpa_val(c->hpa), c->size, hpa_val(hv1), 8 * PAGE_SIZE));
		assert_false(ranges_overlap(hpa_val(c->hpa), c->size, hpa_val(hv2), PAGE_SIZE));
		assert_false(ranges_overlap(hpa_val(c->hpa), c->size, A + HOLE, MIB));
		assert_true(c->size >= 64 * 1024);
		assert_true(all_bytes(phys_to_virt(c->hpa), 0, c->size));
	}
	/* Reading the hypervisor's frames through the guest's addresses fails. */
	{
		u8 b;

		assert_int_equal(vm_read(vm, gpa(hpa_val(hv1)), &b, 1), HV_EFAULT);
		assert_int_equal(vm_read(vm, gpa(A + HOLE), &b, 1), HV_EFAULT);
	}
	vm_destroy(vm);
	frames_free(hv1, 8, FRAME_OWNER_HV);
	frames_free(hv2, 1, FRAME_OWNER_HV);

	/* A budget limits the claim. */
	vm = make_vm("vm1");
	got = vm_ram_claim_identity(vm, hpa(A), hpa(A + 200 * MIB), PAGE_SIZE, 3 * MIB, 0);
	assert_int_equal(got, 3 * MIB);
	vm_destroy(vm);
}

/* The chunks become real mappings: a fault maps the gfn to the chunk's frame. */
static void ram_is_mapped_by_the_engine(void **state)
{
	struct vm *vm = make_vm("vm0");
	struct vcpu *v;
	struct mmu_translation t;
	int err;

	(void)state;
	assert_int_equal(vm_ram_alloc(vm, gpa(0), 4 * MIB), 0);
	v = vcpu_create(vm, &err);
	assert_non_null(v);
	assert_int_equal(mmu_vcpu_load_root(v->mmu, mmu_role_make(pt_format_fake.levels, 0)), 0);
	assert_int_equal(mmu_fault(v->mmu, gpa(0x123456), PT_R | PT_W), MMU_FAULT_MAPPED);
	assert_true(mmu_translate(vm->mmu, mmu_vcpu_root(v->mmu), 0x123, &t));
	assert_int_equal(t.pfn, hpa_to_pfn(vm->ram[0].hpa) + 0x123);
	assert_int_equal(mmu_fault(v->mmu, gpa(4 * MIB), PT_R), MMU_FAULT_MMIO);
	vm_destroy(vm);
	assert_int_equal(fake_vcpu_destroys, 1);
}

/*
 * A device window (vm_map_device): mapped as Device memory without execute
 * permission, invisible to guest-physical reads, never over the
 * hypervisor's frames or the VM's RAM.
 */
static void device_windows(void **state)
{
	struct vm *vm = make_vm("vm0");
	struct mmu_translation t;
	struct vcpu *v;
	hpa_t hv;
	u8 b;
	int err;

	(void)state;
	assert_int_equal(vm_ram_alloc(vm, gpa(0), 4 * MIB), 0);
	/* The reserved hole stands in for device registers: not RAM, not the hypervisor's. */
	assert_int_equal(vm_map_device(vm, gpa(0x8010000), hpa(A + HOLE), 2 * PAGE_SIZE), 0);
	assert_int_equal(vm_read(vm, gpa(0x8010000), &b, 1), HV_EFAULT);
	assert_int_equal(vm_ram_size(vm), 4 * MIB);
	v = vcpu_create(vm, &err);
	assert_non_null(v);
	assert_int_equal(mmu_vcpu_load_root(v->mmu, mmu_role_make(pt_format_fake.levels, 0)), 0);
	assert_int_equal(mmu_fault(v->mmu, gpa(0x8011000), PT_X), MMU_FAULT_MMIO);
	assert_int_equal(mmu_fault(v->mmu, gpa(0x8011000), PT_R | PT_W), MMU_FAULT_MAPPED);
	assert_true(mmu_translate(vm->mmu, mmu_vcpu_root(v->mmu), 0x8011, &t));
	assert_int_equal(t.pfn, hpa_to_pfn(hpa(A + HOLE)) + 1);
	assert_int_equal(t.attr.memtype, PT_MT_DEVICE);
	assert_false(t.attr.perm & PT_X);

	assert_int_equal(vm_map_device(vm, gpa(0x8020000), hpa(A + HOLE + 8), PAGE_SIZE),
			 HV_EALIGN);
	assert_int_equal(vm_map_device(vm, gpa(0x8011000), hpa(A + HOLE), PAGE_SIZE), HV_EOVERLAP);
	assert_int_equal(vm_map_device(vm, gpa(0x100000), hpa(A + HOLE), PAGE_SIZE), HV_EOVERLAP);
	assert_int_equal(frames_alloc(2, PAGE_SIZE, FRAME_OWNER_HV, &hv), 0);
	assert_int_equal(vm_map_device(vm, gpa(0x9000000), hv, 2 * PAGE_SIZE), HV_EPERM);
	assert_int_equal(vm_map_device(vm, gpa(0x9000000), hpa(A), PAGE_SIZE), HV_EPERM);
	frames_free(hv, 2, FRAME_OWNER_HV);
	vm_destroy(vm);
}

static enum vm_stop_status run_script(struct vm **out)
{
	struct vm *vm = make_vm("vm0");
	struct vcpu *v;
	enum vm_stop_status st;
	int err;

	assert_int_equal(vm_ram_alloc(vm, gpa(0), MIB), 0);
	assert_int_equal(vm_write(vm, gpa(0x1000), "hello\n", 6), 0);
	v = vcpu_create(vm, &err);
	assert_non_null(v);
	st = vm_run(vm);
	*out = vm;
	return st;
}

static void run_until_shutdown(void **state)
{
	struct vm *vm;
	const char *out;

	(void)state;
	script.io_exits = 20;
	script.console_hello = true;
	script.stop_twice = true;
	capture_console_start();
	assert_int_equal(run_script(&vm), VM_STOP_OK);
	capture_console_stop();
	out = capture_console_text();

	assert_int_equal(vm->state, VM_STATE_STOPPED);
	assert_int_equal(vm->guest_status, 0);
	assert_string_equal(vm->stop_reason, "the guest shut down (HC_SHUTDOWN) with status 0");
	assert_int_equal(script.console_ret, 6);
	assert_int_equal(vm->tests_passed, 1);
	assert_int_equal(vm->vcpus[0]->exit_count, 23);
	assert_int_equal(vm->vcpus[0]->stats[FK_IO].count, 20);
	assert_int_equal(vm->vcpus[0]->stats[FK_IO].ticks, 140);
	assert_int_equal(vm->vcpus[0]->stats[FK_HYPERCALL].count, 3);

	assert_non_null(strstr(out, "vm0| hello\r\n"));
	assert_non_null(strstr(out, "vm0: test 3 PASS (detail 0x2a)"));
	assert_non_null(strstr(out, "vm0: stopped (ok): the guest shut down (HC_SHUTDOWN)"));
	/* The first stop wins; the second is not reported at info level. */
	assert_null(strstr(out, "a second stop"));
	/* The ring: the last 16 of 23 exits, oldest first (#7 .. #22). */
	assert_non_null(strstr(out, "vm0: vcpu0: last 16 of 23 exits"));
	assert_null(strstr(out, " #6 "));
	assert_non_null(strstr(out, " #7 -150 0x7b IOIO"));
	assert_non_null(strstr(out, " #22 -0 0x81 VMMCALL"));
	assert_true(strstr(out, " #7 ") < strstr(out, " #22 "));
	/* Statistics sorted by count: IO before HYPERCALL, OTHER absent. */
	assert_non_null(strstr(out, "vm0: vcpu0: 23 exits handled in 161 ticks, by reason:"));
	assert_non_null(
	    strstr(out, "IO                     20 exits            140 ticks        7 avg"));
	assert_true(strstr(out, "  IO ") < strstr(out, "  HYPERCALL "));
	assert_null(strstr(out, "OTHER"));
	assert_non_null(strstr(out, "vm0: test results: 1 passed, 0 failed, 0 skipped"));
	vm_destroy(vm);
	assert_int_equal(fake_vm_destroys, 1);
}

static void run_guest_error_and_user_mode(void **state)
{
	struct vm *vm;

	(void)state;
	script.shutdown_status = 7;
	capture_console_start();
	assert_int_equal(run_script(&vm), VM_STOP_GUEST_ERROR);
	capture_console_stop();
	assert_int_equal(vm->guest_status, 7);
	assert_int_equal(vm_stop_status_to_exit(vm->stop_status), HV_EXIT_GUEST_ERROR);
	assert_int_equal(vm_stop_status_to_exit(VM_STOP_OK), HV_EXIT_SUCCESS);
	assert_int_equal(vm_stop_status_to_exit(VM_STOP_FAILED), HV_EXIT_VM_FAILED);
	assert_non_null(strstr(
	    capture_console_text(),
	    "W vm0: stopped (guest error): the guest shut down (HC_SHUTDOWN) with status 7"));
	vm_destroy(vm);

	/* From user mode nothing happens: no output, no result, no stop by the guest. */
	memset(&script, 0, sizeof(script));
	script.console_hello = true;
	script.user_mode = true;
	capture_console_start();
	assert_int_equal(run_script(&vm), VM_STOP_FAILED);
	capture_console_stop();
	assert_int_equal(script.console_ret, HC_EPERM);
	assert_int_equal(vm->tests_passed, 0);
	assert_null(strstr(capture_console_text(), "vm0| hello"));
	assert_non_null(
	    strstr(capture_console_text(), "E vm0: stopped (failed): the script ended"));
	vm_destroy(vm);
}

static void console_input_and_escape_commands(void **state)
{
	struct vm *vm0 = make_vm("vm0"), *vm1 = make_vm("vm1");
	u8 buf[8];
	const u8 typed[] = { 'l', 's', '\n' };
	const u8 escape_q[] = { CONSOLE_ESCAPE, 'q' };
	const u8 escape_s[] = { CONSOLE_ESCAPE, 's' };

	(void)state;
	/* The first VM has the focus: input goes to it only. */
	assert_false(vm_console_input_pending(vm0));
	assert_int_equal(vm_console_read(vm0, buf, sizeof(buf)), 0);
	console_input(typed, sizeof(typed));
	assert_true(vm_console_input_pending(vm0));
	assert_false(vm_console_input_pending(vm1));
	/* A reader with less room leaves the flag set. */
	assert_int_equal(vm_console_read(vm0, buf, 2), 2);
	assert_true(vm_console_input_pending(vm0));
	assert_int_equal(vm_console_read(vm0, buf + 2, sizeof(buf) - 2), 1);
	assert_memory_equal(buf, typed, sizeof(typed));
	assert_false(vm_console_input_pending(vm0));

	/* Ctrl-] s prints every VM's figures; Ctrl-] q stops the focused one. */
	capture_console_start();
	console_input(escape_s, sizeof(escape_s));
	capture_console_stop();
	assert_non_null(strstr(capture_console_text(), "vm0: second-stage MMU"));
	assert_non_null(strstr(capture_console_text(), "vm1: second-stage MMU"));
	console_focus_set(&vm1->console);
	capture_console_start();
	console_input(escape_q, sizeof(escape_q));
	capture_console_stop();
	assert_int_equal(vm0->state, VM_STATE_CREATED);
	assert_int_equal(vm1->state, VM_STATE_STOPPED);
	assert_int_equal(vm1->stop_status, VM_STOP_OK);
	assert_non_null(
	    strstr(capture_console_text(), "vm1: stopped (ok): stopped from the console"));
	vm_destroy(vm1);
	vm_destroy(vm0);
}

/* --- a protected second stage ------------------------------------------------------------ */

static struct vm *make_protected_vm(const struct tmod_inject *inj)
{
	struct vm_config cfg = {
		.name = "vm0", .ops = &fake_ops, .protected_tdp = true, .tmod_inject = inj
	};
	int err = 0;
	struct vm *vm = vm_create(&cfg, &err);

	assert_non_null(vm);
	assert_int_equal(err, 0);
	assert_non_null(vm->tmod);
	assert_ptr_equal(tmod_format(vm->tmod), &pt_format_fake);
	return vm;
}

static void expect_text(const char *needle)
{
	if (!strstr(capture_console_text(), needle))
		fail_msg("expected \"%s\" in:\n%s", needle, capture_console_text());
}

/*
 * A protected VM from creation to destruction: the vCPU loads the mirror
 * root while the hardware is given the module's table, guest RAM is mapped
 * through the hook into the module's table, the report shows both sides'
 * figures and the check at stop passes, the teardown empties the module's
 * table through the hook (its TLB seam flushing the whole VM through the
 * backend), and every page comes back (teardown() checks).
 */
static void protected_vm_life(void **state)
{
	struct vm *vm = make_protected_vm(NULL);
	struct tmod_stats ts;
	struct vcpu *v;
	char line[160];
	hpa_t mirror;
	int err;

	(void)state;
	assert_int_equal(vm_ram_alloc(vm, gpa(0), 4 * MIB), 0);
	v = vcpu_create(vm, &err);
	assert_non_null(v);
	script.fault_count = 3;
	script.fault_gpa[0] = 0x1000;
	script.fault_gpa[1] = 0x123456;
	script.fault_gpa[2] = 0x3ff000;
	capture_console_start();
	assert_int_equal(vm_run(vm), VM_STOP_OK);
	capture_console_stop();

	assert_int_equal(script.load_err, 0);
	mirror = mmu_root_hpa(mmu_vcpu_root(v->mmu));
	assert_true(mmu_role_is_mirror(mmu_root_role(mmu_vcpu_root(v->mmu))));
	assert_int_equal(hpa_val(script.walk), hpa_val(tmod_root_hpa(vm->tmod)));
	assert_int_not_equal(hpa_val(script.walk), hpa_val(mirror));
	for (unsigned i = 0; i < script.fault_count; i++)
		assert_int_equal(script.fault_result[i], MMU_FAULT_MAPPED);
	/* The module holds what the faults mapped: three 4 KiB leaves (fake has no 2 MiB). */
	tmod_stats_read(vm->tmod, &ts);
	assert_int_equal(ts.leaves, 3);
	assert_int_equal(ts.done[TMOD_OP_MAP_LEAF], 3);
	assert_int_equal(ts.done[TMOD_OP_LINK_TABLE], ts.tables);
	assert_int_equal(ts.injected + ts.refused + ts.busy, 0);

	snprintf(line, sizeof(line),
		 "vm0: vcpu0: second stage: protected (table module root %#llx, mirror root %#llx)",
		 (unsigned long long)hpa_val(script.walk), (unsigned long long)hpa_val(mirror));
	expect_text(line);
	expect_text("vm0: mirror hook calls: map-leaf 3, link-table ");
	expect_text("failed 0, rolled back 0, gave up 0, teardown forced 0, merges refused 0");
	expect_text("vm0: table module: fake table, root ");
	expect_text("vm0:   failures: busy 0, injected 0, refused 0, out of memory 0");
	snprintf(line, sizeof(line),
		 "vm0: protected second stage: audit ok; mirror and table module agree (%u "
		 "entries compared, %llu tables, 3 leaves)",
		 pt_table_entries(&pt_format_fake, pt_format_fake.levels) +
		     (unsigned)ts.tables * PT_ENTRIES,
		 (unsigned long long)ts.tables);
	expect_text(line);

	capture_console_start();
	vm_destroy(vm);
	capture_console_stop();
	snprintf(line, sizeof(line),
		 "vm0: protected second stage torn down through the hook: 3 leaves and %llu tables "
		 "removed; 0 tables and 0 leaves left for the module to reclaim",
		 (unsigned long long)ts.tables);
	expect_text(line);
	/* Each removed table was flushed by the module through the backend, for the whole VM. */
	assert_int_equal(fake_vm_flushes, ts.tables + 1);
}

/*
 * Injected failures: every other module call busy still maps everything
 * (the engine retries, rolls back, counts); a module that is always busy
 * makes every fault MMU_FAULT_RETRY and the retry bound trips after
 * VCPU_FAULT_RETRY_MAX in a row; a refusing module gives
 * MMU_FAULT_EXTERNAL. vm_tdp_last_failure() says what the module said.
 */
static void protected_vm_injected_failures(void **state)
{
	struct tmod_inject inj = { .mode = TMOD_INJECT_EVERY, .every = 2 };
	struct mmu_stats ms;
	struct tmod_stats ts;
	struct vm *vm;
	struct vcpu *v;
	char why[128];
	hpa_t walk;
	int err;

	(void)state;
	capture_console_start();
	vm = make_protected_vm(&inj);
	assert_int_equal(vm_ram_alloc(vm, gpa(0), 4 * MIB), 0);
	v = vcpu_create(vm, &err);
	assert_non_null(v);
	assert_int_equal(vcpu_load_tdp_root(v, &walk), 0);
	for (u64 g = 0; g < 64; g++)
		assert_int_equal(mmu_fault(v->mmu, gpa(g << PAGE_SHIFT), PT_R), MMU_FAULT_MAPPED);
	tmod_stats_read(vm->tmod, &ts);
	mmu_stats_read(vm->mmu, &ms);
	assert_int_equal(ts.leaves, 64);
	assert_true(ts.injected >= 64);
	assert_int_equal(ms.count[MMU_STAT_MIRROR_ROLLBACK], ts.injected);
	assert_int_equal(ms.count[MMU_STAT_MIRROR_HOOK_FAIL], ts.injected);
	assert_int_equal(vm_check_protected(vm), 0);
	assert_non_null(
	    strstr(vm_tdp_last_failure(vm, why, sizeof(why)), ": injected failure (EBUSY)"));

	/*
	 * Always busy: every fault is RETRY (the engine's own bound spent), and
	 * the vCPU's bound trips on the VCPU_FAULT_RETRY_MAX-th in a row for
	 * one gfn. gfn 0x80 is in the L1 table the loop above built.
	 */
	inj.every = 1;
	tmod_set_inject(vm->tmod, &inj);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(mmu_fault(v->mmu, gpa(0x80000), PT_R), MMU_FAULT_RETRY);
	assert_string_equal(vm_tdp_last_failure(vm, why, sizeof(why)),
			    "map-leaf L1 gfn 0x80: injected failure (EBUSY)");
	for (u32 i = 1; i < VCPU_FAULT_RETRY_MAX; i++)
		assert_false(vcpu_fault_retry_exceeded(v, gpa(0x80000)));
	/* Another gfn starts a new count (another offset in the same page does not) ... */
	for (u32 i = 1; i < VCPU_FAULT_RETRY_MAX; i++)
		assert_false(vcpu_fault_retry_exceeded(v, gpa(i & 1 ? 0x81000 : 0x81abc)));
	/* ... and so does any other answer in between. */
	vcpu_fault_progress(v);
	for (u32 i = 1; i < VCPU_FAULT_RETRY_MAX; i++)
		assert_false(vcpu_fault_retry_exceeded(v, gpa(0x81000)));
	assert_true(vcpu_fault_retry_exceeded(v, gpa(0x81000)));

	/* Refused: MMU_FAULT_EXTERNAL, nothing mapped, and the module's answer is kept. */
	inj.err = HV_EPERM;
	tmod_set_inject(vm->tmod, &inj);
	assert_int_equal(mmu_fault(v->mmu, gpa(0x82000), PT_R), MMU_FAULT_EXTERNAL);
	assert_string_equal(vm_tdp_last_failure(vm, why, sizeof(why)),
			    "map-leaf L1 gfn 0x82: injected failure (EPERM)");
	inj.mode = TMOD_INJECT_OFF;
	tmod_set_inject(vm->tmod, &inj);
	assert_int_equal(vm_check_protected(vm), 0);
	tmod_stats_read(vm->tmod, &ts);
	assert_int_equal(ts.leaves, 64);
	vm_destroy(vm);
	capture_console_stop();
	expect_text("vm0: table module failure injection: every (every 2, 0 per million, seed 0, "
		    "after 0 calls), failing with EBUSY");
}

/* The check at stop sees a table module that differs from the mirror. */
static void protected_check_catches_a_difference(void **state)
{
	struct vm *vm = make_protected_vm(NULL);
	struct mmu_translation t;
	struct vcpu *v;
	hpa_t walk;
	int err;

	(void)state;
	assert_int_equal(vm_ram_alloc(vm, gpa(0), 4 * MIB), 0);
	v = vcpu_create(vm, &err);
	assert_non_null(v);
	capture_console_start();
	/* Before any root: nothing to compare, and the module's table is empty. */
	assert_int_equal(vm_check_protected(vm), 0);
	expect_text("no mirror root, the table module's table is empty");
	assert_int_equal(vcpu_load_tdp_root(v, &walk), 0);
	assert_int_equal(mmu_fault(v->mmu, gpa(0x5000), PT_R), MMU_FAULT_MAPPED);
	assert_true(mmu_translate(vm->mmu, mmu_vcpu_root(v->mmu), 5, &t));
	/* A leaf the mirror does not have, made through the module's own call. */
	assert_int_equal(tmod_map_leaf(vm->tmod, 6, 1, 0, t.pte + pte_pfn_bits(&pt_format_fake, 1)),
			 0);
	assert_int_equal(vm_check_protected(vm), HV_EIO);
	expect_text("E vm0: protected second stage: the mirror and the table module's table "
		    "disagree: fake: L1 gfn 0x6: ");
	assert_int_equal(tmod_remove_leaf(vm->tmod, 6, 1, t.pte + pte_pfn_bits(&pt_format_fake, 1)),
			 0);
	assert_int_equal(vm_check_protected(vm), 0);
	vm_destroy(vm);
	capture_console_stop();
}

/* A normal VM: the engine's root is what the hardware walks; no module, nothing to check. */
static void normal_vm_walks_the_engine_root(void **state)
{
	struct tmod_inject inj = { .mode = TMOD_INJECT_EVERY, .every = 2 };
	struct vm_config cfg = { .name = "vm0", .ops = &fake_ops, .tmod_inject = &inj };
	struct vm *vm;
	struct vcpu *v;
	char why[64];
	hpa_t walk;
	int err;

	(void)state;
	/* Injection needs a module. */
	capture_console_start();
	assert_null(vm_create(&cfg, &err));
	capture_console_stop();
	assert_int_equal(err, HV_EINVAL);
	expect_text("table module injection without a protected second stage");
	vm = make_vm("vm0");
	assert_null(vm->tmod);
	assert_int_equal(vm_ram_alloc(vm, gpa(0), MIB), 0);
	v = vcpu_create(vm, &err);
	assert_non_null(v);
	assert_int_equal(vcpu_load_tdp_root(v, &walk), 0);
	assert_false(mmu_role_is_mirror(mmu_root_role(mmu_vcpu_root(v->mmu))));
	assert_int_equal(hpa_val(walk), hpa_val(mmu_root_hpa(mmu_vcpu_root(v->mmu))));
	assert_int_equal(vm_check_protected(vm), 0);
	assert_string_equal(vm_tdp_last_failure(vm, why, sizeof(why)),
			    "no table module (normal second stage)");
	vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_refuses_bad_config, setup, teardown),
		cmocka_unit_test_setup_teardown(ram_chunks_slots_and_access, setup, teardown),
		cmocka_unit_test_setup_teardown(ram_adopt_refuses_hypervisor_frames, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ram_claim_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(ram_is_mapped_by_the_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(device_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(run_until_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(run_guest_error_and_user_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(console_input_and_escape_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(protected_vm_life, setup, teardown),
		cmocka_unit_test_setup_teardown(protected_vm_injected_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(protected_check_catches_a_difference, setup,
						teardown),
		cmocka_unit_test_setup_teardown(normal_vm_walks_the_engine_root, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
