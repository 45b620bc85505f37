/*
 * x86 bring-up steps for boot/main.c (include/arch/boot.h): the early
 * console and exception handling, Multiboot parsing, console selection, and
 * where the image is.
 */
#include <arch/boot.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/frames.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/multiboot.h>
#include <hv/string.h>
#include <hv/uart16550_console.h>
#include <x86/asm.h>
#include <x86/features.h>
#include <x86/layout.h>
#include <x86/x86.h>

#define LOW_MEMORY_END (1ull << 20)

void arch_early_init(void)
{
	u64 main_tsc = rdtsc();

	/* COM1 without probing: if it is not there, nothing is lost by writing to it. */
	console_set(uart16550_console_init(UART_COM1, false));
	x86_gdt_init();
	x86_idt_init();
	x86_pic_disable();
	x86_features_detect();
	/* Until arch_paging_init, only the boot tables' low 4 GiB are mapped. */
	frames_set_limit(hpa(BOOT_MAPPED_END));
	x86_tsc_init();
	log_info("boot: entry to hv_main took %llu TSC cycles (%llu us)",
		 (unsigned long long)(main_tsc - boot_tsc),
		 (unsigned long long)(x86_tsc_to_ns(main_tsc - boot_tsc) / 1000));
}

/* Loader memory is readable where the boot tables map it: the low 4 GiB. */
static const void *boot_read(void *ctx, u64 pa, u64 len)
{
	(void)ctx;
	if (pa >= BOOT_MAPPED_END || len > BOOT_MAPPED_END - pa)
		return NULL;
	return phys_to_virt(hpa(pa));
}

/* Usable RAM beyond MAXPHYADDR cannot exist; a map that says so is wrong. */
static void clip_to_phys_bits(struct boot_info *bi)
{
	u64 limit = 1ull << x86_cpu.phys_bits;

	for (u32 i = 0; i < bi->region_count; i++) {
		struct mem_region *r = &bi->regions[i];

		if (r->type != MEM_USABLE || r->base + r->size <= limit)
			continue;
		bootinfo_warn(bi,
			      "usable RAM [%#llx, %#llx) lies beyond MAXPHYADDR (%u bits); "
			      "not used",
			      (unsigned long long)MAX(r->base, limit),
			      (unsigned long long)(r->base + r->size), x86_cpu.phys_bits);
		/* Keeps the map sorted; a region that vanishes becomes reserved. */
		if (r->base >= limit)
			r->type = MEM_RESERVED;
		else
			r->size = limit - r->base;
	}
}

void arch_bootinfo_parse(struct boot_info *bi, u64 arg0, u64 arg1)
{
	const struct mb_reader reader = { boot_read, NULL };

	bootinfo_init(bi, "unknown");
	multiboot_parse(bi, (u32)arg0, arg1, &reader);
	clip_to_phys_bits(bi);
	/*
	 * Real-mode interrupt table, BIOS data, EBDA, VGA and option ROMs: not
	 * ours even where the map says "usable" (and AP start-up code will need
	 * a page down here).
	 */
	bootinfo_reserve(bi, 0, LOW_MEMORY_END, "low 1 MiB (IVT, BIOS data, EBDA, ROMs)");
}

void arch_image_range(hpa_t *start, hpa_t *end)
{
	*start = virt_to_phys(__image_start);
	*end = virt_to_phys(__image_end);
}

/* A port number, decimal or 0x-prefixed hex; false if s is not one. */
static bool parse_port(const char *s, u16 *port)
{
	unsigned base = 10;
	u32 v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		v = v * base + d;
		if (v > 0xfff8) /* the UART's 8 registers must fit in the port space */
			return false;
	}
	*port = (u16)v;
	return v != 0;
}

int arch_console_select(const char *spec)
{
	static const struct {
		const char *name;
		u16 port;
	} named[] = {
		{ "com1", UART_COM1 },
		{ "com2", UART_COM2 },
		{ "com3", UART_COM3 },
		{ "com4", UART_COM4 },
	};
	const struct console_dev *dev;
	u16 port = 0;

	if (strcmp(spec, "none") == 0) {
		log_info("console: switching to none (silence)");
		console_set(NULL);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		if (strcmp(spec, named[i].name) == 0)
			port = named[i].port;
	if (!port && !parse_port(spec, &port))
		return HV_EINVAL;
	log_info("console: switching to the UART at port %#x", port);
	dev = uart16550_console_init(port, true);
	if (!dev)
		return HV_ENOENT;
	console_set(dev);
	log_info("console: now %s", dev->name);
	return 0;
}
