/*
 * The arm64 boot guest (arch_guest_wanted / arch_guest_run): find it in the
 * bundle the boot loader passed as the initrd, build a VM for it on the EL2
 * backend, run it, and turn how it ended into the hypervisor's exit status.
 * A bundle alone is enough: without guest= the guest is Linux (guest=none
 * boots nothing).
 *
 * The bundle (hv/bundle.h, docs/arm64.md "Guest bundles") holds
 *   linux/Image, linux/initrd, linux/cmdline   guest=linux (the default)
 *   test/<name>                                guest=<name>: a test guest,
 *                                              an Image of its own
 * A guest's kernel command line is what follows " -- " on the
 * hypervisor's, else linux/cmdline, else "console=ttyAMA0 earlycon". Its
 * RAM is guest_mem= (rounded up to 2 MiB), else 192 MiB for Linux and
 * 32 MiB for a test guest.
 *
 * The guest machine (arm64/el2_guest.h): RAM at 0x40000000, the GIC
 * distributor at 0x08000000 and its CPU interface at 0x08010000 (v2), a
 * PL011 at 0x09000000 on SPI 1, the virtual timer on PPI 27, PSCI through
 * HVC, one vCPU. The device tree the loader writes says exactly that.
 */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <hv/bundle.h>
#include <hv/cmdline.h>
#include <hv/errno.h>
#include <hv/fmt.h>
#include <hv/loader_arm64.h>
#include <hv/log.h>
#include <hv/string.h>

#include <arm64/el2_guest.h>

#define LINUX_RAM          (192ull << 20)
#define TEST_RAM           (32ull << 20)
#define GUEST_RAM_MIN      (8ull << 20)
#define LINUX_CMDLINE      "console=ttyAMA0 earlycon"
#define GUEST_NAME_PATH    80
#define TIMER_PPI_NS_PHYS  14 /* PPI numbers (interrupt ID - 16) of the architected timers */
#define TIMER_PPI_SEC_PHYS 13
#define TIMER_PPI_VIRT     11
#define TIMER_PPI_HYP      10

_Static_assert(TIMER_PPI_VIRT + 16 == GUEST_VTIMER_PPI, "the virtual timer is PPI 11, ID 27");

struct guest_files {
	struct bundle_file image, initrd;
	bool has_initrd;
	const char *bootargs;
	u64 ram;
};

static char cmdline_buf[LOADER_CMDLINE_MAX];

static bool find_bundle(const struct boot_info *bi, struct bundle *b, bool quiet)
{
	struct bundle_error err;

	for (u32 i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];

		if (strcmp(m->cmdline, "initrd") != 0)
			continue;
		if (bundle_open(b, (const void *)(uptr)m->start, m->end - m->start, &err) == 0)
			return true;
		if (!quiet)
			log_warn("guest: the initrd is not a guest bundle: %s (at byte %#llx)",
				 err.why, (unsigned long long)err.offset);
	}
	return false;
}

static void list_guests(const struct bundle *b)
{
	struct bundle_file f;
	size_t cursor = 0;

	while (bundle_next(b, &cursor, &f))
		if (f.name[0] != '.') /* ".pad": mkbundle's alignment filler */
			log_info("guest: bundle has %s (%llu bytes)", f.name,
				 (unsigned long long)f.size);
}

/* The command line text of linux/cmdline, up to its first newline. */
static const char *file_cmdline(const struct bundle_file *f)
{
	size_t n = 0;

	while (n < f->size && n < sizeof(cmdline_buf) - 1 && f->data[n] != '\n' && f->data[n])
		n++;
	memcpy(cmdline_buf, f->data, n);
	cmdline_buf[n] = '\0';
	return cmdline_buf;
}

static int pick_files(const struct bundle *b, const char *name, struct guest_files *g)
{
	const char *rest = cmdline_get()->rest;
	char path[GUEST_NAME_PATH];
	struct bundle_file cmdline;

	memset(g, 0, sizeof(*g));
	if (strcmp(name, "linux") == 0) {
		if (bundle_find(b, "linux/Image", &g->image))
			return HV_ENOENT;
		g->has_initrd = bundle_find(b, "linux/initrd", &g->initrd) == 0;
		g->bootargs = LINUX_CMDLINE;
		if (bundle_find(b, "linux/cmdline", &cmdline) == 0)
			g->bootargs = file_cmdline(&cmdline);
		g->ram = LINUX_RAM;
	} else {
		fmt_snprintf(path, sizeof(path), "test/%s", name);
		if (bundle_find(b, path, &g->image))
			return HV_ENOENT;
		g->bootargs = "";
		g->ram = TEST_RAM;
	}
	if (rest)
		g->bootargs = rest;
	if (cmdline_get()->guest_mem)
		g->ram = MAX(ALIGN_UP(cmdline_get()->guest_mem, SZ_2M), GUEST_RAM_MIN);
	return 0;
}

static struct arm64_guest_config guest_config(const struct guest_files *g, enum vgic_version gic,
					      u64 redist_size)
{
	return (struct arm64_guest_config){
		.image = g->image.data,
		.image_size = g->image.size,
		.initrd = g->has_initrd ? g->initrd.data : NULL,
		.initrd_size = g->has_initrd ? g->initrd.size : 0,
		.bootargs = g->bootargs,
		.cpu_count = 1,
		.gic_version = gic == VGIC_V3 ? ARM64_GIC_V3 : ARM64_GIC_V2,
		.gic_dist = { GUEST_GICD_BASE, gic == VGIC_V3 ? GICD_SIZE_V3 : GICD_SIZE_V2 },
		.gic_cpu_or_redist = gic == VGIC_V3
					 ? (struct guest_range){ GUEST_GICR_BASE, redist_size }
					 : (struct guest_range){ GUEST_GICC_BASE, GUEST_GICC_SIZE },
		.uart = { GUEST_UART_BASE, GUEST_UART_SIZE },
		.uart_spi = GUEST_UART_SPI,
		.timer_ppi = { TIMER_PPI_SEC_PHYS, TIMER_PPI_NS_PHYS, TIMER_PPI_VIRT,
			       TIMER_PPI_HYP },
		.psci = ARM64_PSCI_HVC,
	};
}

static void report(struct vm *vm)
{
	struct el2_vm *evm = vm->arch;

	log_info(
	    "%s: el2: %llu bad-IPA aborts and %llu UNDEFINED exceptions injected, %llu set/way "
	    "flushes, %llu bad GIC accesses, PL011 %llu bytes out, %llu in",
	    vm->name, (unsigned long long)evm->bad_ipa_aborts,
	    (unsigned long long)evm->undef_injected, (unsigned long long)evm->set_way_flushes,
	    (unsigned long long)evm->vgic.bad_accesses, (unsigned long long)evm->uart.tx_bytes,
	    (unsigned long long)evm->uart.rx_bytes);
}

/* Build the VM, load the guest, run it; the hypervisor's exit status. */
static int run_guest(const char *name, const struct guest_files *g)
{
	struct vm_config cfg = { .name = "vm0", .ops = &el2_backend_ops };
	struct arm64_guest_config acfg;
	struct arm64_boot_state st;
	struct arm64_guest_info info;
	struct el2_vcpu *ev;
	struct vcpu *v;
	struct vm *vm;
	int err, status;

	/* guest_tdp=protected: a trusted table module owns the stage-2 table (docs/mirror.md). */
	cmdline_guest_second_stage(&cfg); /* guest_tdp=, tmod_inject= */
	vm = vm_create(&cfg, &err);
	if (!vm)
		return HV_EXIT_FAILURE;
	err = vm_ram_alloc(vm, gpa(GUEST_RAM_BASE), g->ram);
	v = err ? NULL : vcpu_create(vm, &err);
	if (!v) {
		log_err("guest: cannot build the VM for %s: %s", name, err_name(err));
		vm_destroy(vm);
		return HV_EXIT_FAILURE;
	}
	ev = el2_vcpu_of(v);
	acfg = guest_config(g, ev->evm->gic, vgic_redist_size(&ev->evm->vgic));
	err = arm64_image_load(vm_guest_mem(vm), &acfg, &st, &info);
	if (err) {
		log_err("guest: cannot load %s: %s", name, err_name(err));
		vm_destroy(vm);
		return HV_EXIT_FAILURE;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(st.x); i++)
		ev->regs.x[i] = st.x[i];
	ev->regs.pc = st.pc;
	ev->regs.pstate = st.pstate;
	/* The guest starts with its caches off: it must see what the loader wrote. */
	stage2_clean_guest_ram(vm);
	log_info("guest: %s: Image %llu bytes at %#llx, DTB at %#llx, initrd %llu bytes at %#llx, "
		 "command line \"%s\"",
		 name, (unsigned long long)g->image.size, (unsigned long long)info.image_base,
		 (unsigned long long)info.dtb, (unsigned long long)info.initrd_size,
		 (unsigned long long)info.initrd, g->bootargs);
	status = vm_stop_status_to_exit(vm_run(vm));
	report(vm);
	vm_destroy(vm);
	return status;
}

static const char *wanted_name(void)
{
	const char *want = cmdline_get()->guest;

	return want[0] ? want : "linux";
}

bool arch_guest_wanted(const struct boot_info *bi)
{
	struct bundle b;

	if (strcmp(cmdline_get()->guest, "none") == 0)
		return false;
	/* guest=<name> always (a missing bundle is then an error); else a bundle decides. */
	return cmdline_get()->guest[0] || find_bundle(bi, &b, false);
}

int arch_guest_run(const struct boot_info *bi)
{
	const char *name = wanted_name();
	struct guest_files g;
	struct bundle b;

	if (!find_bundle(bi, &b, true)) {
		log_err(
		    "guest: guest=%s, but the boot loader passed no guest bundle (QEMU: -initrd "
		    "build/arm64/guests/linux.cpio)",
		    name);
		return HV_EXIT_FAILURE;
	}
	log_info("guest: bundle of %zu bytes", b.size);
	if (pick_files(&b, name, &g)) {
		log_err("guest: no guest \"%s\" in the bundle", name);
		list_guests(&b);
		return HV_EXIT_FAILURE;
	}
	if (gic_hw_init(bi) || stage2_init())
		return HV_EXIT_FAILURE;
	return run_guest(name, &g);
}
