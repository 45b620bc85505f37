/*
 * The IDT and what happens when the hypervisor itself takes an exception.
 *
 * Every vector has a stub (vectors.asm) that saves the registers and calls
 * x86_trap(). External interrupts (vectors 32-255) go to host_irq.c and
 * resume. An exception in the hypervisor is a bug: x86_trap() prints a
 * report (vector, error code decoded, RIP with its symbol, CR2 for page
 * faults, all registers, CR0/2/3/4, a backtrace) and stops the machine with
 * HV_EXIT_EXCEPTION. NMIs are counted and resumed.
 *
 * A fault while reporting a fault (the report touches bad memory, the stack
 * is gone) must not recurse: the second level prints one line without
 * following any pointer and stops with HV_EXIT_NESTED; a third level stops
 * without printing at all. Double fault, NMI and machine check run on their
 * own IST stacks, so a stack overflow still gets its report.
 */
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/log.h>
#include <hv/selftest.h>
#include <x86/asm.h>
#include <x86/desc.h>
#include <x86/layout.h>
#include <x86/regs.h>
#include <x86/trap.h>
#include <x86/x86.h>

static struct idt_gate idt[VEC_COUNT] __aligned(16);
static u32 trap_depth;
static u64 nmi_count;
/* Unmapped (page 0), for selftest=nested; volatile so the access stays. */
static volatile uptr nested_fault_addr = 8;

static const struct {
	const char *name, *text;
} vectors[32] = {
	[VEC_DE] = { "#DE", "divide error" },
	[VEC_DB] = { "#DB", "debug" },
	[VEC_NMI] = { "NMI", "non-maskable interrupt" },
	[VEC_BP] = { "#BP", "breakpoint" },
	[VEC_OF] = { "#OF", "overflow" },
	[VEC_BR] = { "#BR", "bound range exceeded" },
	[VEC_UD] = { "#UD", "invalid opcode" },
	[VEC_NM] = { "#NM", "device not available" },
	[VEC_DF] = { "#DF", "double fault" },
	[VEC_TS] = { "#TS", "invalid TSS" },
	[VEC_NP] = { "#NP", "segment not present" },
	[VEC_SS] = { "#SS", "stack-segment fault" },
	[VEC_GP] = { "#GP", "general protection" },
	[VEC_PF] = { "#PF", "page fault" },
	[VEC_MF] = { "#MF", "x87 floating-point error" },
	[VEC_AC] = { "#AC", "alignment check" },
	[VEC_MC] = { "#MC", "machine check" },
	[VEC_XM] = { "#XM", "SIMD floating-point error" },
	[VEC_VE] = { "#VE", "virtualization exception" },
	[VEC_CP] = { "#CP", "control protection" },
	[VEC_HV] = { "#HV", "hypervisor injection" },
	[VEC_VC] = { "#VC", "VMM communication" },
	[VEC_SX] = { "#SX", "security exception" },
};

const char *x86_vector_name(u64 vector)
{
	if (vector < ARRAY_SIZE(vectors))
		return vectors[vector].name ? vectors[vector].name : "#??";
	return vector < VEC_COUNT ? "IRQ" : "?";
}

const char *x86_vector_text(u64 vector)
{
	if (vector < ARRAY_SIZE(vectors))
		return vectors[vector].text ? vectors[vector].text : "reserved vector";
	return vector < VEC_COUNT ? "unexpected interrupt" : "?";
}

static unsigned ist_for(unsigned vector)
{
	switch (vector) {
	case VEC_DF:
		return IST_DOUBLE_FAULT;
	case VEC_NMI:
		return IST_NMI;
	case VEC_MC:
		return IST_MACHINE_CHECK;
	default:
		return 0;
	}
}

static struct idt_gate make_gate(uptr handler, unsigned ist)
{
	return (struct idt_gate){
		.offset_low = (u16)handler,
		.selector = SEL_CODE64,
		.flags = (u16)((ist & GATE_IST_MASK) | (GATE_TYPE_INTR64 << 8) | GATE_P),
		.offset_mid = (u16)(handler >> 16),
		.offset_high = (u32)(handler >> 32),
	};
}

void x86_idt_init(void)
{
	struct desc_ptr ptr = { .limit = sizeof(idt) - 1, .base = (u64)(uptr)idt };

	for (unsigned v = 0; v < VEC_COUNT; v++)
		idt[v] = make_gate((uptr)x86_trap_stubs + v * X86_TRAP_STUB_SIZE, ist_for(v));
	__asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

/* "[present write supervisor fetch]" for a page-fault error code. */
static void print_pf_details(u64 err, u64 cr2)
{
	const struct x86_stack *guard = x86_stack_guard_of(cr2);

	hv_printf("page fault at 0x%llx: %s, %s, %s%s%s\n", (unsigned long long)cr2,
		  err & PF_ERR_P ? "protection violation" : "page not present",
		  err & PF_ERR_I   ? "instruction fetch"
		  : err & PF_ERR_W ? "write"
				   : "read",
		  err & PF_ERR_U ? "user mode" : "supervisor mode",
		  err & PF_ERR_RSVD ? ", reserved bit set" : "",
		  (err & PF_ERR_P) && (err & PF_ERR_I)   ? " (NX: executing a no-execute page)"
		  : (err & PF_ERR_P) && (err & PF_ERR_W) ? " (write to a read-only page: W^X)"
							 : "");
	if (guard)
		hv_printf("the address is in the guard page below the %s: stack overflow\n",
			  guard->name);
}

static __noreturn void nested_fault(const struct x86_regs *r)
{
	/* Print from registers only; no symbol lookup, no backtrace. */
	hv_printf("\n*** FAULT INSIDE THE FAULT HANDLER: %s (vector %llu) error 0x%llx at RIP "
		  "0x%llx, CR2 0x%llx; stopping\n",
		  x86_vector_name(r->vector), (unsigned long long)r->vector,
		  (unsigned long long)r->error, (unsigned long long)r->rip,
		  (unsigned long long)read_cr2());
	arch_shutdown(HV_EXIT_NESTED);
}

void x86_trap(struct x86_regs *r)
{
	u32 depth;

	if (r->vector == VEC_NMI) {
		/* Firmware or a watchdog may send them; nothing here depends on them. */
		nmi_count++;
		return;
	}
	if (r->vector >= VEC_FIRST_IRQ && r->vector < VEC_COUNT) {
		/* An external interrupt, taken only where the hypervisor enables them. */
		x86_host_irq(r->vector);
		return;
	}
	depth = __atomic_fetch_add(&trap_depth, 1, __ATOMIC_RELAXED);
	if (depth >= 2)
		arch_shutdown(HV_EXIT_NESTED);
	console_panic_begin();
	if (depth == 1)
		nested_fault(r);

	hv_printf("\n*** EXCEPTION %s (vector %llu, %s), error code 0x%llx, at RIP 0x%llx, CR2 "
		  "0x%llx\n",
		  x86_vector_name(r->vector), (unsigned long long)r->vector,
		  x86_vector_text(r->vector), (unsigned long long)r->error,
		  (unsigned long long)r->rip, (unsigned long long)read_cr2());
	if (r->vector == VEC_PF)
		print_pf_details(r->error, read_cr2());
	if (r->vector == VEC_DF) {
		const struct x86_stack *guard = x86_stack_guard_of(read_cr2());

		hv_printf("double fault: a fault while delivering another\n");
		if (guard)
			hv_printf("CR2 is in the guard page below the %s: stack overflow\n",
				  guard->name);
	}
	if (selftest_fault_in_handler) {
		/* selftest=nested: fault here, inside the handler, on purpose. */
		(void)*(volatile u64 *)nested_fault_addr;
	}
	x86_dump_regs(r);
	arch_shutdown(HV_EXIT_EXCEPTION);
}
