/*
 * The x86 boot guest (arch_guest_wanted / arch_guest_run): which boot
 * module the command line names, the VM with its memory, platform and
 * vCPU, loading the kernel, running it to its end.
 *
 * Choosing (docs/cmdline.md): guest=linux takes the first module that is a
 * bzImage (by its setup header) and as its initrd the first other module
 * named initr* (else the next one); guest=<name> takes the module whose file
 * name is <name> or <name>.elf (a bzImage is booted as Linux, anything else
 * as a Multiboot v1 kernel); without guest= (or with guest=none) nothing
 * runs, whatever modules there are.
 * A module's command line is its file name, then arguments: they become
 * the guest's command line (for Linux after hv's defaults, and before what
 * follows " -- " on hv's own command line).
 *
 * Second stage: the engine's own root by default; guest_tdp=protected gives
 * the VM a protected second stage (docs/mirror.md, "Running a protected
 * guest": the CPU walks the trusted table module's table, the engine keeps
 * the mirror), optionally with the module's failure injection
 * (tmod_inject=, a debug option).
 *
 * Memory ("thin" layout, docs/svm.md): guest-physical [0, 1 MiB) is fresh
 * zeroed RAM (the PC's low memory stays the platform's), and above 1 MiB
 * the guest gets the host's own free RAM at the same addresses: its memory
 * map is the machine's, minus the hypervisor (image, heap, tables, boot
 * modules) and minus a reserve kept free for the hypervisor's later needs.
 * The host's non-RAM ranges are listed as reserved. The hypervisor's
 * physical addresses are therefore holes in the guest's space.
 */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <hv/cmdline.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/frames.h>
#include <hv/loader_acpi.h>
#include <hv/loader_linux_x86.h>
#include <hv/loader_multiboot.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/string.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <x86/backends.h>
#include <x86/features.h>
#include <x86/layout.h>
#include <x86/platform.h>
#include <x86/x86.h>

#define LOW_RAM_SIZE      SZ_1M
#define HV_KEEP_FREE      (16 * SZ_1M) /* for second-stage tables and the heap, later */
#define IDENTITY_MIN_RUN  (256 * 1024) /* smaller free runs are not worth a memslot */
#define ACPI_TABLES_GPA   0xe0000ull   /* the BIOS area, where a PC keeps them */
#define NAME_MAX          64
#define INITRD_NAME_PART  "initr" /* initrd, initramfs */
#define GUEST_CMDLINE_MAX LOADER_CMDLINE_MAX
#define VM_NAME           "vm0"

/*
 * What Linux gets before its module's arguments (docs/svm.md explains each),
 * plus tsc_early_khz= with the TSC frequency hv measured: calibrating it
 * against the emulated PIT takes I/O exits whose cost breaks Linux's timing
 * checks under an emulator.
 */
#define LINUX_DEFAULT_CMDLINE "console=ttyS0,115200 pci=off tsc=reliable"
#define LINUX_DEFAULTS_MAX    128

enum guest_kind { GUEST_MULTIBOOT, GUEST_LINUX };

struct guest_choice {
	enum guest_kind kind;
	const struct boot_module *kernel, *initrd;
	char name[NAME_MAX];
};

/* The module's file name (without directories) into name; returns its arguments. */
static const char *module_name(const struct boot_module *m, char *name, size_t size)
{
	const char *s = m->cmdline ? m->cmdline : "", *word = s, *base;
	size_t len;

	while (*s && *s != ' ')
		s++;
	len = (size_t)(s - word);
	base = word;
	for (const char *p = word; p < s; p++)
		if (*p == '/')
			base = p + 1;
	len = MIN((size_t)(s - base), size - 1);
	memcpy(name, base, len);
	name[len] = '\0';
	while (*s == ' ')
		s++;
	return s;
}

static bool is_bzimage(const struct boot_module *m)
{
	const u8 *p = phys_to_virt(hpa(m->start));

	return m->end - m->start > LX_HEADER + 4 &&
	       loader_le16(p + LX_BOOT_FLAG) == LX_BOOT_FLAG_MAGIC &&
	       loader_le32(p + LX_HEADER) == LX_HEADER_MAGIC;
}

static bool name_matches(const char *name, const char *want)
{
	size_t n = strlen(want);

	return strcmp(name, want) == 0 ||
	       (strncmp(name, want, n) == 0 && strcmp(name + n, ".elf") == 0);
}

static const struct boot_module *find_initrd(const struct boot_info *bi,
					     const struct boot_module *kernel)
{
	char name[NAME_MAX];
	const struct boot_module *next = NULL;

	for (u32 i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];

		if (m == kernel)
			continue;
		module_name(m, name, sizeof(name));
		for (const char *p = name; *p; p++)
			if (strncmp(p, INITRD_NAME_PART, sizeof(INITRD_NAME_PART) - 1) == 0)
				return m;
		if (!next && m > kernel)
			next = m;
	}
	return next;
}

/* 0 and the choice; HV_ENOENT (nothing to run) or HV_EINVAL (logged). */
static int choose(const struct boot_info *bi, struct guest_choice *c)
{
	const char *want = cmdline_get()->guest;
	char name[NAME_MAX];

	memset(c, 0, sizeof(*c));
	if (!want[0] || strcmp(want, "none") == 0)
		return HV_ENOENT;
	for (u32 i = 0; i < bi->module_count && !c->kernel; i++) {
		const struct boot_module *m = &bi->modules[i];

		module_name(m, name, sizeof(name));
		if (strcmp(want, "linux") == 0 ? is_bzimage(m) : name_matches(name, want))
			c->kernel = m;
	}
	if (!c->kernel) {
		log_err("guest: guest=%s: no such boot module (%u module(s)%s)", want,
			bi->module_count,
			strcmp(want, "linux") == 0 ? ", none of them a bzImage"
						   : "; a module is named by its file name");
		return HV_EINVAL;
	}
	module_name(c->kernel, c->name, sizeof(c->name));
	c->kind = is_bzimage(c->kernel) ? GUEST_LINUX : GUEST_MULTIBOOT;
	if (c->kind == GUEST_LINUX)
		c->initrd = find_initrd(bi, c->kernel);
	return 0;
}

bool arch_guest_wanted(const struct boot_info *bi)
{
	struct guest_choice c;

	return choose(bi, &c) != HV_ENOENT;
}

/* The host's non-RAM ranges, as reserved ranges for the guest's memory map. */
static u32 host_reserved(const struct boot_info *bi, struct guest_range *out, u32 max)
{
	u32 n = 0;

	for (u32 i = 0; i < bi->region_count && n < max; i++)
		if (bi->regions[i].type != MEM_USABLE)
			out[n++] = (struct guest_range){ bi->regions[i].base, bi->regions[i].size };
	return n;
}

static u64 ram_top(const struct boot_info *bi)
{
	u64 top = 0;

	for (u32 i = 0; i < bi->region_count; i++)
		if (bi->regions[i].type == MEM_USABLE)
			top = MAX(top, bi->regions[i].base + bi->regions[i].size);
	return top;
}

static int build_ram(struct vm *vm, const struct boot_info *bi)
{
	u64 budget = cmdline_get()->guest_mem;
	s64 got;
	int err = vm_ram_alloc(vm, gpa(0), LOW_RAM_SIZE);

	if (err)
		return err;
	if (budget && budget <= LOW_RAM_SIZE)
		return 0;
	got = vm_ram_claim_identity(vm, hpa(LOW_RAM_SIZE), hpa(ram_top(bi)), IDENTITY_MIN_RUN,
				    budget ? budget - LOW_RAM_SIZE : 0, HV_KEEP_FREE);
	if (got < 0)
		log_warn("%s: guest RAM in more pieces than memslots; using the first %u", vm->name,
			 vm->ram_count);
	return 0;
}

static void log_ram(const struct vm *vm)
{
	char size[32];

	for (u32 i = 0; i < vm->ram_count; i++) {
		const struct vm_ram_chunk *c = &vm->ram[i];

		log_info("%s:   RAM [%#llx-%#llx] %s%s", vm->name,
			 (unsigned long long)gpa_val(c->gpa),
			 (unsigned long long)(gpa_val(c->gpa) + c->size - 1),
			 fmt_size(size, sizeof(size), c->size),
			 gpa_val(c->gpa) == hpa_val(c->hpa) ? "" : " (remapped)");
	}
}

/* Join up to three pieces with spaces into buf; false if it does not fit. */
static bool join(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	const char *parts[] = { a, b, c };
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		size_t n = parts[i] ? strlen(parts[i]) : 0;

		if (!n)
			continue;
		if (at + (at ? 1 : 0) + n + 1 > size)
			return false;
		if (at)
			buf[at++] = ' ';
		memcpy(buf + at, parts[i], n + 1);
		at += n;
	}
	return true;
}

static int load(struct vm *vm, const struct boot_info *bi, const struct guest_choice *c,
		char *cmdline)
{
	struct x86_platform *plat = vm->platform;
	const struct guest_mem *mem = vm_guest_mem(vm);
	struct guest_range reserved[LOADER_RANGES_MAX];
	u32 nres = host_reserved(bi, reserved, LOADER_RANGES_MAX);
	char name[NAME_MAX];
	const char *args = module_name(c->kernel, name, sizeof(name));
	const char *rest = cmdline_get()->rest;
	const u8 *image = phys_to_virt(hpa(c->kernel->start));
	size_t size = (size_t)(c->kernel->end - c->kernel->start);
	char defaults[LINUX_DEFAULTS_MAX];
	int err;

	if (c->kind == GUEST_MULTIBOOT) {
		struct multiboot_guest_config cfg = {
			.image = image,
			.image_size = size,
			.cmdline = cmdline,
			.reserved = reserved,
			.reserved_count = nres,
		};

		if (!join(cmdline, GUEST_CMDLINE_MAX, args, rest, NULL))
			return HV_EINVAL;
		return multiboot_guest_load(mem, &cfg, &plat->boot, NULL);
	} else {
		struct linux_x86_config cfg = {
			.kernel = image,
			.kernel_size = size,
			.cmdline = cmdline,
			.reserved = reserved,
			.reserved_count = nres,
			.acpi_rsdp = ACPI_TABLES_GPA,
		};

		if (c->initrd) {
			cfg.initrd = phys_to_virt(hpa(c->initrd->start));
			cfg.initrd_size = (size_t)(c->initrd->end - c->initrd->start);
		}
		fmt_snprintf(defaults, sizeof(defaults),
			     LINUX_DEFAULT_CMDLINE " tsc_early_khz=%llu",
			     (unsigned long long)(x86_tsc_hz() / 1000));
		if (!join(cmdline, GUEST_CMDLINE_MAX, defaults, args, rest))
			return HV_EINVAL;
		err = x86_acpi_build(mem, gpa(ACPI_TABLES_GPA));
		if (err)
			return err;
		return linux_x86_load(mem, &cfg, &plat->boot, NULL);
	}
}

/* The backend, chosen once: SVM on AMD. VMX (Intel) is not written yet. */
static const struct vm_backend_ops *backend(void)
{
	return x86_cpu.svm ? &svm_backend_ops : NULL;
}

int arch_guest_run(const struct boot_info *bi)
{
	static char cmdline[GUEST_CMDLINE_MAX];
	char initrd_name[NAME_MAX] = "";
	struct vm_config cfg = { .name = VM_NAME, .console_focus = true };
	struct guest_choice c;
	enum vm_stop_status st;
	struct vm *vm;
	int err;

	if (choose(bi, &c))
		return HV_EXIT_FAILURE;
	cmdline_guest_second_stage(&cfg); /* guest_tdp=, tmod_inject= */
	cfg.ops = backend();
	if (!cfg.ops) {
		log_err("guest: no backend for this CPU (%s needs %s)", x86_cpu.vendor,
			x86_cpu.vmx ? "VMX, not written yet" : "SVM or VMX");
		return HV_EXIT_FAILURE;
	}
	vm = vm_create(&cfg, &err);
	if (!vm)
		return HV_EXIT_FAILURE;
	vm->platform = x86_platform_create(vm);
	err = vm->platform ? build_ram(vm, bi) : HV_ENOMEM;
	if (!err)
		err = load(vm, bi, &c, cmdline);
	if (err) {
		log_err("%s: cannot load %s (%s): %s", vm->name, c.name,
			c.kind == GUEST_LINUX ? "Linux bzImage" : "Multiboot kernel",
			err_name(err));
		goto out;
	}
	if (c.initrd)
		module_name(c.initrd, initrd_name, sizeof(initrd_name));
	log_info("%s: %s %s (%llu KiB)%s%s, command line \"%s\"", vm->name,
		 c.kind == GUEST_LINUX ? "Linux" : "Multiboot kernel", c.name,
		 (unsigned long long)((c.kernel->end - c.kernel->start) / 1024),
		 c.initrd ? " with initrd " : "", initrd_name, cmdline);
	log_ram(vm);
	if (!vcpu_create(vm, &err))
		goto out;
	log_info("%s: entering the guest at RIP %#llx; hypervisor entry was at TSC %llu", vm->name,
		 (unsigned long long)((struct x86_platform *)vm->platform)->boot.rip,
		 (unsigned long long)boot_tsc);
	st = vm_run(vm);
	x86_platform_print_stats(vm->platform);
	err = vm_stop_status_to_exit(st);
	x86_platform_destroy(vm->platform);
	vm->platform = NULL;
	vm_destroy(vm);
	return err;
out:
	if (vm->platform)
		x86_platform_destroy(vm->platform);
	vm->platform = NULL;
	vm_destroy(vm);
	return HV_EXIT_FAILURE;
}
