/*
 * What the x86 virtualization backends (SVM now, VMX later) share: the
 * per-vCPU state common exit handling works on, and the policies that are
 * the same whichever backend runs the guest (arch/x86/guest/):
 *
 *   x86_cpuid.c     what the guest's CPUID says (hypervisor leaves, hidden features)
 *   x86_msr.c       which MSRs pass through, which are emulated, which #GP
 *   x86_io.c        which I/O ports pass through and which device model owns the rest
 *   x86_platform.c  the guest's PC: emulated PIC, PIT, COM1 UART, ACPI PM; time; idle
 *   x86_boot_guest.c building the boot guest from the command line and boot modules
 *
 * The split with the backend: the backend moves guest registers into
 * struct x86_vcpu around the common handlers (gpr[] holds all sixteen;
 * RAX and RSP live in the VMCB/VMCS and are copied in and out), advances
 * RIP, and applies on the next entry what common code queued (an exception,
 * an interrupt from the PIC). Common code never calls the backend: it has
 * no function pointer into it.
 */
#ifndef X86_GUEST_H
#define X86_GUEST_H

#include <hv/types.h>
#include <x86/cpuid.h>

struct vm;
struct vcpu;
struct x86_platform;

/* General registers in instruction-encoding order (SDM 2A 2.1.5, table 2-1). */
enum x86_gpr {
	X86_RAX,
	X86_RCX,
	X86_RDX,
	X86_RBX,
	X86_RSP,
	X86_RBP,
	X86_RSI,
	X86_RDI,
	X86_R8,
	X86_R9,
	X86_R10,
	X86_R11,
	X86_R12,
	X86_R13,
	X86_R14,
	X86_R15,
	X86_GPR_COUNT,
};

/* The per-vCPU state common code sees. The backend embeds it first in its own vCPU. */
struct x86_vcpu {
	u64 gpr[X86_GPR_COUNT]; /* the entry code saves and loads these (offsets fixed) */
	struct vcpu *vcpu;
	struct x86_platform *plat;

	/* An exception common code wants delivered on the next entry. */
	bool exc_pending;
	bool exc_has_error;
	u8 exc_vector;
	u32 exc_error;

	/* MSR accesses answered with #GP (x86_msr.c). */
	u64 msr_refused;
	u32 last_msr_refused;
};
_Static_assert(__builtin_offsetof(struct x86_vcpu, gpr) == 0, "entry code: gpr[] at offset 0");

/* Queue exception vector (with an error code if has_error) for the next entry. */
static inline void x86_queue_exception(struct x86_vcpu *xv, u8 vector, bool has_error, u32 error)
{
	xv->exc_pending = true;
	xv->exc_vector = vector;
	xv->exc_has_error = has_error;
	xv->exc_error = error;
}

/* --- CPUID (x86_cpuid.c) ------------------------------------------------------------------ */

/*
 * The guest's answer for CPUID leaf/subleaf: the host's, with the
 * hypervisor leaves 0x40000000-0x40000001 of abi/hypercall.h,
 * CPUID.1:ECX.HV set, OSXSAVE and OSPKE following the guest's CR4, and
 * every feature the guest cannot have hidden: SVM and VMX (no nesting), the
 * local APIC, x2APIC and TSC deadline (it gets an 8259), MONITOR/MWAIT,
 * MCE/MCA, MTRRs, performance counters and monitoring, memory encryption,
 * thermal and power management. Leaves outside the host's ranges answer
 * as the host CPU answers them.
 */
struct cpuid_regs x86_cpuid_guest(u32 leaf, u32 subleaf, u64 guest_cr4);

/* --- MSRs (x86_msr.c) --------------------------------------------------------------------- */

enum x86_msr_result {
	X86_MSR_OK = 0,      /* handled: advance RIP */
	X86_MSR_GP = 1,      /* the guest gets #GP(0) */
	X86_MSR_BACKEND = 2, /* state the backend keeps (EFER, PAT): its handler decides */
};

/* The MSRs the guest reads / writes directly (no exit): what the permission maps clear. */
struct x86_msr_passthrough {
	u32 msr;
	bool read, write;
};
extern const struct x86_msr_passthrough x86_msr_passthrough_list[];
extern const u32 x86_msr_passthrough_count;
/* An intercepted RDMSR / WRMSR. */
enum x86_msr_result x86_msr_read(struct x86_vcpu *xv, u32 msr, u64 *value);
enum x86_msr_result x86_msr_write(struct x86_vcpu *xv, u32 msr, u64 value);

/* --- I/O ports (x86_io.c) ----------------------------------------------------------------- */

/* The ports the guest reaches directly (no exit): what the permission maps clear. */
extern const u16 x86_io_passthrough_ports[];
extern const u32 x86_io_passthrough_count;
bool x86_io_passthrough(u16 port);
/* An intercepted IN / OUT of size 1, 2 or 4 bytes. IN returns the value (all-ones: no device). */
u32 x86_io_in(struct x86_vcpu *xv, u16 port, unsigned size);
void x86_io_out(struct x86_vcpu *xv, u16 port, unsigned size, u32 value);

#endif /* X86_GUEST_H */
