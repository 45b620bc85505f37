/*
 * The test-guest library (guest.h): output and results through hv's
 * hypercalls, a small printf, the GDT/TSS/IDT that let a guest catch the
 * exceptions it provokes and run code in ring 3, and the Multiboot
 * information.
 */
#include "guest.h"

#define SEL_CODE         0x10 /* the loader's __BOOT_CS, kept */
#define SEL_DATA         0x18
#define SEL_USER_CODE    (0x20 | 3)
#define SEL_USER_DATA    (0x28 | 3)
#define SEL_TSS          0x30
#define GDT_ENTRIES      7
#define IDT_ENTRIES      256
#define GATE_INTR        0x8e /* present, DPL 0, 32-bit interrupt gate */
#define GATE_USER        0xee /* present, DPL 3 */
#define VEC_USER_EXIT    0x80
#define IRQ_BASE         0x20
#define IRQ_COUNT        16
#define MBI_CMDLINE      16
#define MBI_MMAP_LEN     44
#define MBI_MMAP_ADDR    48
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MMAP    (1u << 6)

u64 guest_first_tsc;
u32 guest_failures;
static u32 next_test_id;
static u32 mbi_addr;

/* --- output and results --------------------------------------------------------------- */

void puts_hv(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		size_t chunk = n > HC_CONSOLE_WRITE_MAX ? HC_CONSOLE_WRITE_MAX : n;

		hc0(HC_CONSOLE_WRITE, (u32)(uintptr_t)s, (u32)chunk, 0);
		s += chunk;
		n -= chunk;
	}
}

void printf_hv(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf_hv(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	puts_hv(buf);
}

void report(u32 id, u32 status, u32 detail)
{
	if (status == HC_TEST_FAIL)
		guest_failures++;
	hc0(HC_TEST_RESULT, id, status, detail);
}

bool check(bool cond, u32 detail, const char *what)
{
	u32 id = next_test_id++;

	if (!cond)
		printf_hv("FAIL %u: %s (detail %#x)\n", id, what, detail);
	report(id, cond ? HC_TEST_PASS : HC_TEST_FAIL, detail);
	return cond;
}

void shutdown(u32 status)
{
	for (;;)
		hc0(HC_SHUTDOWN, status, 0, 0);
}

/* --- a small printf: %c %s %d %u %x with l/ll, width and 0 ------------------------------ */

/* n / 10 for 64-bit n with 32-bit divides (no libgcc). */
static u64 div10(u64 n, u32 *rem)
{
	u32 hi = (u32)(n >> 32), lo = (u32)n, qhi = hi / 10, r = hi % 10, qlo;

	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "r"(10u));
	*rem = r;
	return (u64)qhi << 32 | qlo;
}

struct out {
	char *buf;
	size_t size, len;
};

static void emit(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void number(struct out *o, u64 v, bool neg, unsigned base, unsigned width, char pad)
{
	char digits[24];
	unsigned n = 0;

	do {
		u32 d;

		if (base == 10) {
			v = div10(v, &d);
		} else {
			d = (u32)(v & 15);
			v >>= 4;
		}
		digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
	} while (v);
	if (neg)
		digits[n++] = '-';
	while (width > n && width--)
		emit(o, pad);
	while (n)
		emit(o, digits[--n]);
}

int vsnprintf_hv(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		unsigned width = 0, longs = 0;
		char pad = ' ';
		bool alt = false;

		if (*fmt != '%') {
			emit(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '#') {
			alt = true;
			fmt++;
		}
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'c':
			emit(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			while (*s)
				emit(&o, *s++);
			break;
		}
		case 'd': {
			long long v = longs >= 2 ? va_arg(ap, long long) : va_arg(ap, int);

			number(&o, v < 0 ? (u64)-v : (u64)v, v < 0, 10, width, pad);
			break;
		}
		case 'u':
			number(&o, longs >= 2 ? va_arg(ap, u64) : va_arg(ap, u32), false, 10, width,
			       pad);
			break;
		case 'x':
			if (alt) {
				emit(&o, '0');
				emit(&o, 'x');
			}
			number(&o, longs >= 2 ? va_arg(ap, u64) : va_arg(ap, u32), false, 16, width,
			       pad);
			break;
		default:
			emit(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf_hv(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf_hv(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* --- descriptors: GDT with ring-3 segments and a TSS, IDT ------------------------------ */

struct tss32 {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap;
} __attribute__((packed));

static u64 gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static u64 idt[IDT_ENTRIES] __attribute__((aligned(8)));
static struct tss32 tss;
static u8 kernel_irq_stack[4096] __attribute__((aligned(16)));
static u8 user_stack[4096] __attribute__((aligned(16)));

static u64 segment(u32 base, u32 limit, u8 access, u8 flags)
{
	return (u64)(limit & 0xffff) | (u64)(base & 0xffffff) << 16 | (u64)access << 40 |
	       (u64)((limit >> 16) & 0xf) << 48 | (u64)(flags & 0xf) << 52 |
	       (u64)(base >> 24) << 56;
}

extern const u32 isr_stubs[IDT_ENTRIES];
extern void user_exit_stub(void);

static void load_descriptors(void)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) gdtr = { sizeof(gdt) - 1, (u32)(uintptr_t)gdt },
				  idtr = { sizeof(idt) - 1, (u32)(uintptr_t)idt };

	gdt[SEL_CODE >> 3] = segment(0, 0xfffff, 0x9a, 0xc);
	gdt[SEL_DATA >> 3] = segment(0, 0xfffff, 0x92, 0xc);
	gdt[SEL_USER_CODE >> 3] = segment(0, 0xfffff, 0xfa, 0xc);
	gdt[SEL_USER_DATA >> 3] = segment(0, 0xfffff, 0xf2, 0xc);
	tss.esp0 = (u32)(uintptr_t)(kernel_irq_stack + sizeof(kernel_irq_stack));
	tss.ss0 = SEL_DATA;
	tss.iomap = sizeof(tss);
	gdt[SEL_TSS >> 3] = segment((u32)(uintptr_t)&tss, sizeof(tss) - 1, 0x89, 0);
	for (u32 v = 0; v < IDT_ENTRIES; v++) {
		u32 h = v == VEC_USER_EXIT ? (u32)(uintptr_t)user_exit_stub : isr_stubs[v];
		u8 type = v == VEC_USER_EXIT ? GATE_USER : GATE_INTR;

		idt[v] = (u64)(h & 0xffff) | (u64)SEL_CODE << 16 | (u64)type << 40 |
			 (u64)(h >> 16) << 48;
	}
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp %1, $1f\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "ltr %w3\n\t"
			 "lidt %4"
			 :
			 : "m"(gdtr), "i"(SEL_CODE), "r"(SEL_DATA), "r"(SEL_TSS), "m"(idtr)
			 : "eax", "memory");
}

/* --- exceptions and interrupts --------------------------------------------------------- */

struct frame {
	u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;
	u32 vector, error;
	u32 eip, cs, eflags;
};

volatile u32 recover_eip;
static volatile int last_vector = NO_FAULT;
static irq_handler_t irq_handlers[IRQ_COUNT];

void set_irq_handler(u32 vector, irq_handler_t fn)
{
	if (vector >= IRQ_BASE && vector < IRQ_BASE + IRQ_COUNT)
		irq_handlers[vector - IRQ_BASE] = fn;
}

void guest_trap(struct frame *f);

void guest_trap(struct frame *f)
{
	if (f->vector >= IRQ_BASE && f->vector < IRQ_BASE + IRQ_COUNT) {
		irq_handler_t fn = irq_handlers[f->vector - IRQ_BASE];

		if (fn) {
			fn(f->vector);
			return;
		}
	}
	last_vector = (int)f->vector;
	if (recover_eip) {
		f->eip = recover_eip;
		recover_eip = 0;
		return;
	}
	printf_hv("unexpected exception or interrupt: vector %u, error %#x, at EIP %#x\n",
		  f->vector, f->error, f->eip);
	check(false, f->vector, "no unexpected exception");
	shutdown(1);
}

#define SAFE_INSN(name, bytes)                                                                     \
	int try_##name(void)                                                                       \
	{                                                                                          \
		last_vector = NO_FAULT;                                                            \
		__asm__ volatile("movl $1f, recover_eip\n\t"                                       \
				 "xorl %%eax, %%eax\n\t"                                           \
				 "xorl %%ecx, %%ecx\n\t"                                           \
				 "xorl %%edx, %%edx\n\t" bytes "\n"                                \
				 "1:\n\t"                                                          \
				 "movl $0, recover_eip"                                            \
				 :                                                                 \
				 :                                                                 \
				 : "eax", "ecx", "edx", "memory");                                 \
		return last_vector;                                                                \
	}

SAFE_INSN(vmrun, ".byte 0x0f, 0x01, 0xd8")
SAFE_INSN(vmload, ".byte 0x0f, 0x01, 0xda")
SAFE_INSN(vmsave, ".byte 0x0f, 0x01, 0xdb")
SAFE_INSN(stgi, ".byte 0x0f, 0x01, 0xdc")
SAFE_INSN(clgi, ".byte 0x0f, 0x01, 0xdd")
SAFE_INSN(skinit, ".byte 0x0f, 0x01, 0xde")
SAFE_INSN(invlpga, ".byte 0x0f, 0x01, 0xdf")
SAFE_INSN(monitor, ".byte 0x0f, 0x01, 0xc8")
SAFE_INSN(mwait, ".byte 0x0f, 0x01, 0xc9")
SAFE_INSN(ud2, "ud2")

int rdmsr_safe(u32 msr, u64 *value)
{
	u32 lo = 0, hi = 0;

	last_vector = NO_FAULT;
	__asm__ volatile("movl $1f, recover_eip\n\t"
			 "rdmsr\n"
			 "1:\n\t"
			 "movl $0, recover_eip"
			 : "+a"(lo), "+d"(hi)
			 : "c"(msr)
			 : "memory");
	*value = (u64)hi << 32 | lo;
	return last_vector;
}

int wrmsr_safe(u32 msr, u64 value)
{
	last_vector = NO_FAULT;
	__asm__ volatile("movl $1f, recover_eip\n\t"
			 "wrmsr\n"
			 "1:\n\t"
			 "movl $0, recover_eip"
			 :
			 : "c"(msr), "a"((u32)value), "d"((u32)(value >> 32))
			 : "memory");
	return last_vector;
}

int try_read32(u32 addr, u32 *value)
{
	u32 v = 0;

	last_vector = NO_FAULT;
	__asm__ volatile("movl $1f, recover_eip\n\t"
			 "movl (%1), %0\n"
			 "1:\n\t"
			 "movl $0, recover_eip"
			 : "+r"(v)
			 : "r"(addr)
			 : "memory");
	*value = v;
	return last_vector;
}

/* --- ring 3 ---------------------------------------------------------------------------------- */

u32 (*user_fn)(void);
u32 user_saved_esp;
u32 user_stack_top;

u32 run_user(u32 (*fn)(void))
{
	u32 ret;

	user_fn = fn;
	user_stack_top = (u32)(uintptr_t)(user_stack + sizeof(user_stack));
	__asm__ volatile("call run_user_asm" : "=a"(ret) : : "ecx", "edx", "memory");
	return ret;
}

/* --- Multiboot information ------------------------------------------------------------------ */

static u32 rd32(u32 addr)
{
	return *(volatile u32 *)(uintptr_t)addr;
}

const char *mb_cmdline(void)
{
	if (!mbi_addr || !(rd32(mbi_addr) & MBI_FLAG_CMDLINE))
		return "";
	return (const char *)(uintptr_t)rd32(mbi_addr + MBI_CMDLINE);
}

u64 mb_arg(const char *key, u64 def)
{
	const char *s = mb_cmdline();
	size_t n = strlen(key);

	for (; *s; s++) {
		u64 v = 0;
		unsigned base = 10;

		if ((s != mb_cmdline() && s[-1] != ' ') || strncmp(s, key, n) != 0 || s[n] != '=')
			continue;
		s += n + 1;
		if (s[0] == '0' && s[1] == 'x') {
			base = 16;
			s += 2;
		}
		for (;; s++) {
			u32 d;

			if (*s >= '0' && *s <= '9')
				d = (u32)(*s - '0');
			else if (base == 16 && *s >= 'a' && *s <= 'f')
				d = (u32)(*s - 'a' + 10);
			else
				break;
			v = v * base + d;
		}
		return v;
	}
	return def;
}

void mb_mmap(void (*fn)(u64 base, u64 len, u32 type, void *ctx), void *ctx)
{
	u32 at, end;

	if (!mbi_addr || !(rd32(mbi_addr) & MBI_FLAG_MMAP))
		return;
	at = rd32(mbi_addr + MBI_MMAP_ADDR);
	end = at + rd32(mbi_addr + MBI_MMAP_LEN);
	while (at < end) {
		u32 size = rd32(at);
		u64 base = rd32(at + 4) | (u64)rd32(at + 8) << 32;
		u64 len = rd32(at + 12) | (u64)rd32(at + 16) << 32;

		fn(base, len, rd32(at + 20), ctx);
		at += size + 4;
	}
}

/* --- C helpers ------------------------------------------------------------------------------ */

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;

	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

/* --- start ---------------------------------------------------------------------------------- */

void guest_start(u32 magic, u32 mbi);

void guest_start(u32 magic, u32 mbi)
{
	int status;

	mbi_addr = mbi;
	load_descriptors();
	status = guest_main(magic, mbi);
	if (guest_failures && !status)
		status = 1;
	shutdown((u32)status);
}
