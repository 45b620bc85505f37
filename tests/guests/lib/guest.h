/*
 * The test-guest library: what every small guest under tests/guests/ uses
 * to talk to hv (the hypercall ABI of include/abi/hypercall.h through
 * VMMCALL), print, report results, catch the exceptions it provokes on
 * purpose, run code in ring 3, and drive the PC devices it tests.
 *
 * Guests are 32-bit, paging off, flat segments: a pointer is a
 * guest-physical address.
 *
 * Reporting: each check is check(cond, detail) with an increasing test id;
 * guest_start() runs guest_main() and shuts the VM down with status 0 if
 * every check passed, 1 otherwise.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <abi/hypercall.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Each guest defines this; its return value is the shutdown status (0 = all passed). */
int guest_main(u32 magic, u32 mbi);

extern u64 guest_first_tsc; /* the TSC at the guest's first instruction */
extern u32 guest_failures;

/* --- hypercalls ----------------------------------------------------------------------- */

struct hc_out {
	u32 eax, ebx, ecx, edx;
};

static inline struct hc_out hc(u32 nr, u32 a0, u32 a1, u32 a2, u32 a3)
{
	struct hc_out o;

	__asm__ volatile("vmmcall"
			 : "=a"(o.eax), "=b"(o.ebx), "=c"(o.ecx), "=d"(o.edx)
			 : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
			 : "memory");
	return o;
}

static inline int32_t hc0(u32 nr, u32 a0, u32 a1, u32 a2)
{
	return (int32_t)hc(nr, a0, a1, a2, 0).eax;
}

void puts_hv(const char *s);
void printf_hv(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf_hv(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf_hv(char *buf, size_t size, const char *fmt, va_list ap);

/* Report test id with status; detail is logged with it. */
void report(u32 id, u32 status, u32 detail);
/* The next test id passes if cond holds; prints what on failure. Returns cond. */
bool check(bool cond, u32 detail, const char *what);
__attribute__((noreturn)) void shutdown(u32 status);

/* --- the CPU ---------------------------------------------------------------------------- */

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

struct cpuid_out {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_out cpuid(u32 leaf, u32 sub)
{
	struct cpuid_out r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(sub));
	return r;
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

/*
 * Exceptions: guest_start() loads an IDT whose handlers record the vector
 * and, when a recovery point is armed, resume there; otherwise an
 * unexpected exception is reported as a failure and the guest stops.
 * Use the _safe helpers: they return the vector taken, or -1 for none.
 */
#define NO_FAULT (-1)
int rdmsr_safe(u32 msr, u64 *value);
int wrmsr_safe(u32 msr, u64 value);
/* Run the instruction bytes of a macro in a fault-catching frame (see lib.c). */
#define TRY_INSN(insn) try_insn_##insn()
int try_vmrun(void);
int try_vmload(void);
int try_vmsave(void);
int try_stgi(void);
int try_clgi(void);
int try_skinit(void);
int try_invlpga(void);
int try_monitor(void);
int try_mwait(void);
int try_ud2(void);
int try_read32(u32 addr, u32 *value);

/* Interrupt handlers for the 8259's vectors (IRQ n at vector base + n). */
typedef void (*irq_handler_t)(u32 vector);
void set_irq_handler(u32 vector, irq_handler_t fn);

/* Run fn in ring 3 (CPL 3) and come back; fn's return value is returned. */
u32 run_user(u32 (*fn)(void));

/* --- Multiboot information: command line and RAM map --------------------------------- */

const char *mb_cmdline(void);
/* The value of "key=" in the command line (up to a blank) as a number, or def. */
u64 mb_arg(const char *key, u64 def);
/* Walk the memory map: fn(base, length, type) for each entry. */
void mb_mmap(void (*fn)(u64 base, u64 len, u32 type, void *ctx), void *ctx);

/* --- helpers ---------------------------------------------------------------------------- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

#endif /* GUEST_H */
