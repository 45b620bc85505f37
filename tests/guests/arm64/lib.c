/*
 * The test guests' C runtime: console output and results through hv's
 * hypercalls, the exception handler behind the probes, and the GIC and
 * timer helpers. See guest.h.
 */
#include "guest.h"

#define LINE_MAX                   256
#define GICD_CTLR                  0x000
#define GICD_ISENABLER             0x100
#define GICD_ICENABLER             0x180
#define GICD_IPRIORITYR            0x400
#define GICD_IGROUPR               0x080
#define GICD_IROUTER               0x6000
#define GICD_CTLR_GRP1             (1u << 1)
#define GICD_CTLR_ARE              (1u << 4)
#define GICR_WAKER                 0x014
#define GICR_SGI_FRAME             0x10000
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICC_CTLR                  0x000
#define GICC_PMR                   0x004
#define GICC_IAR                   0x00c
#define GICC_EOIR                  0x010
#define CNTV_ENABLE                1u

u64 guest_entry_ticks;
volatile struct probe probe;
void (*guest_irq_handler)(void);
extern char el0_back[];

static u32 check_seq, check_failed;

void guest_shutdown(u64 status)
{
	for (;;)
		hvc_call(HC_SHUTDOWN, status, 0, 0, 0);
}

void gputs(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	hvc_call(HC_CONSOLE_WRITE, (u64)s, n, 0, 0);
}

/* A small vsnprintf: %s %c %d %u %x %p with l/ll and a zero-padded width. */
static size_t format(char *out, size_t cap, const char *fmt, va_list ap)
{
	size_t n = 0;

#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (n + 1 < cap)                                                                   \
			out[n] = (ch);                                                             \
		n++;                                                                               \
	} while (0)
	for (; *fmt; fmt++) {
		char digits[24];
		unsigned width = 0, longs = 0, base = 10, nd = 0;
		bool neg = false, zero = false, alt = false;
		u64 v;

		if (*fmt != '%') {
			PUT(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '#') {
			alt = true;
			fmt++;
		}
		if (*fmt == '0')
			zero = true;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			while (*s)
				PUT(*s++);
			continue;
		}
		case 'c':
			PUT((char)va_arg(ap, int));
			continue;
		case 'd': {
			s64 sv = longs ? va_arg(ap, s64) : va_arg(ap, int);

			neg = sv < 0;
			v = neg ? (u64)-sv : (u64)sv;
			break;
		}
		case 'x':
		case 'p':
			base = 16;
			/* fall through */
		case 'u':
			v = *fmt == 'p' ? (u64)va_arg(ap, void *)
			    : longs     ? va_arg(ap, u64)
					: va_arg(ap, unsigned);
			break;
		default:
			PUT('%');
			PUT(*fmt);
			continue;
		}
		do {
			digits[nd++] = "0123456789abcdef"[v % base];
			v /= base;
		} while (v);
		if (neg)
			PUT('-');
		if (alt && base == 16) {
			PUT('0');
			PUT('x');
		}
		for (unsigned i = nd; i < width; i++)
			PUT(zero ? '0' : ' ');
		while (nd)
			PUT(digits[--nd]);
	}
#undef PUT
	out[n < cap ? n : cap - 1] = '\0';
	return n;
}

void gprintf(const char *fmt, ...)
{
	char line[LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	format(line, sizeof(line), fmt, ap);
	va_end(ap);
	gputs(line);
}

bool check(bool cond, u64 detail, const char *what, ...)
{
	char line[LINE_MAX];
	va_list ap;

	va_start(ap, what);
	format(line, sizeof(line), what, ap);
	va_end(ap);
	check_seq++;
	if (!cond)
		check_failed++;
	gprintf("%s %u: %s (%#llx)\n", cond ? "ok" : "FAIL", check_seq, line,
		(unsigned long long)detail);
	hvc_call(HC_TEST_RESULT, check_seq, cond ? HC_TEST_PASS : HC_TEST_FAIL, detail, 0);
	return cond;
}

int checks_done(void)
{
	gprintf("%u checks, %u failed\n", check_seq, check_failed);
	return check_failed ? 1 : 0;
}

/* --- exceptions ---------------------------------------------------------------------------- */

void guest_exception(u64 kind, struct frame *f);

void guest_exception(u64 kind, struct frame *f)
{
	if ((kind & 3) == VEC_TYPE_IRQ && guest_irq_handler) {
		guest_irq_handler();
		return;
	}
	if ((kind & 3) == VEC_TYPE_SYNC && probe.pc && f->elr == probe.pc) {
		probe.hit = 1;
		probe.esr = f->esr;
		probe.far = f->far;
		probe.elr = f->elr;
		probe.kind = kind;
		f->elr = probe.resume;
		return;
	}
	/* The SVC that ends probe_el0_hvc(): back to EL1, on the stack it left. */
	if ((kind & 3) == VEC_TYPE_SYNC && kind / 4 == 2 && ESR_EC(f->esr) == EC_SVC64) {
		f->elr = (u64)el0_back;
		f->spsr = SPSR_EL1H_DAIF;
		return;
	}
	gprintf("unexpected exception: kind %llu ESR %#llx ELR %#llx FAR %#llx SPSR %#llx\n",
		(unsigned long long)kind, (unsigned long long)f->esr, (unsigned long long)f->elr,
		(unsigned long long)f->far, (unsigned long long)f->spsr);
	check(false, f->esr, "no unexpected exception");
	guest_shutdown(2);
}

/* --- the device tree ---------------------------------------------------------------------- */

bool dt_contains(u64 dtb, const char *s)
{
	const u8 *p = (const u8 *)dtb;
	u32 total = (u32)p[4] << 24 | (u32)p[5] << 16 | (u32)p[6] << 8 | p[7];
	size_t n = 0;

	while (s[n])
		n++;
	for (u32 i = 0; i + n <= total && total < (1u << 21); i++) {
		size_t k = 0;

		while (k < n && p[i + k] == (u8)s[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* --- GIC and timer ------------------------------------------------------------------------- */

/* The guest's GIC: v3 when ID_AA64PFR0_EL1.GIC says the system registers exist. */
static bool gic_v3(void)
{
	return ((sysreg_read(id_aa64pfr0_el1) >> 24) & 0xf) != 0;
}

void gic_init(void)
{
	if (!gic_v3()) {
		mmio_write32(GICD_BASE + GICD_CTLR, 1);
		mmio_write32(GICC_BASE + GICC_PMR, 0xf0);
		mmio_write32(GICC_BASE + GICC_CTLR, 1);
		return;
	}
	mmio_write32(GICR_BASE + GICR_WAKER, 0);
	while (mmio_read32(GICR_BASE + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP)
		;
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_GRP1);
	sysreg_write(s3_0_c12_c12_5, 1); /* ICC_SRE_EL1.SRE */
	isb();
	sysreg_write(s3_0_c4_c6_0, 0xf0); /* ICC_PMR_EL1 */
	sysreg_write(s3_0_c12_c12_7, 1);  /* ICC_IGRPEN1_EL1 */
	isb();
}

void gic_enable(u32 intid, bool on)
{
	u64 base = GICD_BASE;
	u64 reg = (on ? GICD_ISENABLER : GICD_ICENABLER) + intid / 32 * 4;

	if (gic_v3()) {
		/* Group 1 (an IRQ); private interrupts live in the redistributor's SGI frame. */
		if (intid < 32)
			base = GICR_BASE + GICR_SGI_FRAME;
		else
			*(volatile u64 *)(GICD_BASE + GICD_IROUTER + 8 * intid) = 0;
		mmio_write32(base + GICD_IGROUPR + intid / 32 * 4,
			     mmio_read32(base + GICD_IGROUPR + intid / 32 * 4) |
				 1u << (intid % 32));
	}
	*(volatile u8 *)(base + GICD_IPRIORITYR + intid) = 0xa0;
	mmio_write32(base + reg, 1u << (intid % 32));
}

u32 gic_ack(void)
{
	if (gic_v3())
		return (u32)sysreg_read(s3_0_c12_c12_0); /* ICC_IAR1_EL1 */
	return mmio_read32(GICC_BASE + GICC_IAR);
}

void gic_eoi(u32 iar)
{
	if (gic_v3()) {
		sysreg_write(s3_0_c12_c12_1, iar); /* ICC_EOIR1_EL1 */
		isb();
		return;
	}
	mmio_write32(GICC_BASE + GICC_EOIR, iar);
}

void vtimer_arm(u64 delta)
{
	sysreg_write(cntv_cval_el0, ticks() + delta);
	sysreg_write(cntv_ctl_el0, CNTV_ENABLE);
	isb();
}

void vtimer_off(void)
{
	sysreg_write(cntv_ctl_el0, 0);
	isb();
}
