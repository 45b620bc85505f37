/*
 * The test guests' runtime (start.S, probes.S, lib.c): hypercalls, console
 * output, test results, catching the exceptions a test provokes, and the
 * guest machine hv builds (RAM at 0x40000000, GICv2 distributor and CPU
 * interface, PL011, the virtual timer on PPI 27).
 *
 * Guests run at EL1 with the MMU off: every data access is Device memory
 * to stage 1, so the code is built -mstrict-align and uses no exclusives.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <abi/hypercall.h>

#include "guest_asm.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* The guest machine. */
#define RAM_BASE     0x40000000ull
#define GICD_BASE    0x08000000ull
#define GICC_BASE    0x08010000ull /* GICv2 */
#define GICR_BASE    0x080a0000ull /* GICv3: vCPU 0's redistributor */
#define UART_BASE    0x09000000ull
#define UART_INTID   33
#define VTIMER_INTID 27

/* PSTATE/SPSR and ESR bits the tests look at (Arm ARM D19). */
#define SPSR_EL1H_DAIF 0x3c5ull
#define SPSR_EL0T_DAIF 0x3c0ull
#define ESR_EC(esr)    (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr)   ((esr)&0x1ffffff)
#define EC_UNKNOWN     0x00
#define EC_SVC64       0x15
#define EC_IABT_LOWER  0x20
#define EC_IABT_CUR    0x21
#define EC_DABT_LOWER  0x24
#define EC_DABT_CUR    0x25
#define FSC_EXT_ABORT  0x10
#define ISS_WNR        (1u << 6)

struct frame {
	u64 x[31];
	u64 elr, spsr, esr, far, pad;
};
_Static_assert(offsetof(struct frame, x[30]) == FRAME_X30 &&
		   offsetof(struct frame, elr) == FRAME_ELR &&
		   offsetof(struct frame, spsr) == FRAME_SPSR &&
		   offsetof(struct frame, esr) == FRAME_ESR &&
		   offsetof(struct frame, far) == FRAME_FAR && sizeof(struct frame) == FRAME_SIZE,
	       "start.S frame layout");

extern u64 guest_entry_ticks; /* CNTVCT_EL0 at the first instruction */

/* --- calls --------------------------------------------------------------------------------- */
struct call_res {
	u64 x0, x1, x2, x3;
};
struct call_res hvc_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4);
struct call_res smc_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4);
/* HVC #imm other than 0, with fn in x0. */
u64 hvc1_call(u64 fn);
/* HVC NOP with x4-x17 loaded with a pattern; returns how many of them changed. */
u64 hvc_clobber_count(void);
__attribute__((noreturn)) void guest_shutdown(u64 status);

/* --- output and results -------------------------------------------------------------------- */
void gputs(const char *s);
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One check: logged by hv as test N PASS/FAIL with detail; also printed. Returns cond. */
bool check(bool cond, u64 detail, const char *what, ...) __attribute__((format(printf, 3, 4)));
/* The status main() returns: 0 if every check passed. */
int checks_done(void);

/* --- provoked exceptions ------------------------------------------------------------------- */
struct probe {
	u64 pc;     /* where the exception is expected (the probing instruction) */
	u64 resume; /* where to continue */
	u64 esr, far, elr, kind;
	u64 hit;
};
extern volatile struct probe probe;
u64 probe_read64(u64 addr);
u32 probe_read32(u64 addr);
void probe_write32(u64 addr, u32 v);
void probe_write64(u64 addr, u64 v);
void probe_stp(u64 addr, u64 a, u64 b);
void probe_exec(u64 addr);
u64 probe_impdef_read(void);
void probe_idreg_write(u64 v);
u64 probe_rdvl(void);
u64 probe_pmcr_read(void);
/* Drop to EL0, execute HVC #0 there, come back; the probe holds what EL1 saw. */
void probe_el0_hvc(void);
/* Clear the probe; true if the last probe took an exception. */
static inline bool probe_faulted(void)
{
	return probe.hit != 0;
}

/* Called for IRQs taken at EL1; NULL: an IRQ is a failure. */
extern void (*guest_irq_handler)(void);

/* Whether the device tree hv wrote (x0 at entry, main's argument) contains the bytes of s. */
bool dt_contains(u64 dtb, const char *s);

/* --- registers ----------------------------------------------------------------------------- */
#define sysreg_read(r)                                                                             \
	({                                                                                         \
		u64 v_;                                                                            \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));                                        \
		v_;                                                                                \
	})
#define sysreg_write(r, v)                                                                         \
	do {                                                                                       \
		u64 w_ = (v);                                                                      \
		__asm__ volatile("msr " #r ", %0" : : "r"(w_) : "memory");                         \
	} while (0)
static inline void isb(void)
{
	__asm__ volatile("isb" : : : "memory");
}
static inline u64 ticks(void)
{
	isb();
	return sysreg_read(cntvct_el0);
}
static inline void irqs_on(void)
{
	__asm__ volatile("msr daifclr, #2" : : : "memory");
}
static inline void irqs_off(void)
{
	__asm__ volatile("msr daifset, #2" : : : "memory");
}
static inline void wfi(void)
{
	__asm__ volatile("dsb sy\n\twfi" : : : "memory");
}

static inline u32 mmio_read32(u64 a)
{
	return *(volatile u32 *)a;
}
static inline void mmio_write32(u64 a, u32 v)
{
	*(volatile u32 *)a = v;
}

/* --- the guest's GIC (v2 or v3, whichever hv gives it) ------------------------------------ */
void gic_init(void);                 /* distributor and CPU interface on, priority mask open */
void gic_enable(u32 intid, bool on); /* ISENABLER / ICENABLER */
u32 gic_ack(void);                   /* GICC_IAR */
void gic_eoi(u32 iar);               /* GICC_EOIR */

/* Virtual timer: fire `delta` ticks from now (interrupt unmasked), or off. */
void vtimer_arm(u64 delta);
void vtimer_off(void);

#endif /* GUEST_H */
