/*
 * Register dumps and frame-pointer backtraces, for exception reports and
 * panic() (arch_dump_state).
 *
 * The backtrace follows the RBP chain: [rbp] holds the caller's RBP and
 * [rbp + 8] the return address. It trusts nothing it reads: each frame must
 * lie on one of the hypervisor's stacks (layout.h), be 8-byte aligned and be
 * older (higher) than the last, so a corrupt chain ends the walk instead of
 * faulting in the middle of a report. entry.asm starts the chain with RBP = 0.
 * A fault in a function's first instructions, before it pushed RBP, leaves
 * its caller out of the trace.
 */
#include <arch/cpu.h>
#include <hv/fmt.h>
#include <hv/log.h>
#include <x86/asm.h>
#include <x86/layout.h>
#include <x86/msr.h>
#include <x86/regs.h>
#include <x86/trap.h>
#include <x86/x86.h>

#define BACKTRACE_LINES 32   /* frames printed */
#define BACKTRACE_WALK  4096 /* frames followed, so a deep recursion still shows its root */

/*
 * Print "#n addr name+off". A return address (is_return) points after its
 * call, possibly past the end of a function that ends in a call to a
 * noreturn function: name it by the byte before it.
 */
static void print_frame(unsigned n, u64 addr, bool is_return, const char *note)
{
	u64 off;
	const char *name = x86_symbol_lookup(is_return ? addr - 1 : addr, &off);

	if (name)
		hv_printf("  #%-2u 0x%016llx %s+0x%llx%s\n", n, (unsigned long long)addr, name,
			  (unsigned long long)(off + (is_return ? 1 : 0)), note);
	else
		hv_printf("  #%-2u 0x%016llx ?%s\n", n, (unsigned long long)addr, note);
}

static bool is_code(u64 addr)
{
	return addr >= (uptr)__text_start && addr < (uptr)__text_end;
}

void x86_backtrace(u64 rip, u64 rbp, u64 rsp)
{
	unsigned n = 0, walked = 0, repeats = 0;
	u64 last = 0;

	hv_printf("backtrace:\n");
	print_frame(n++, rip, false, "");
	/* A call to a non-code address (NX) faults before any frame is built: [RSP] is the caller. */
	if (!is_code(rip) && x86_stack_of(rsp) && !(rsp & 7) && is_code(*(const u64 *)(uptr)rsp))
		print_frame(n++, *(const u64 *)(uptr)rsp, true, " (return address at RSP)");
	while (rbp && walked++ < BACKTRACE_WALK) {
		const u64 *frame = (const u64 *)(uptr)rbp;
		u64 next;

		if (!x86_stack_of(rbp) || (rbp & 7)) {
			hv_printf(
			    "  (frame pointer %#llx is not on a hypervisor stack; stopping)\n",
			    (unsigned long long)rbp);
			break;
		}
		if (frame[1] == 0)
			break;
		if (frame[1] == last) {
			repeats++;
		} else {
			if (repeats)
				hv_printf("  ... the frame above %u more times\n", repeats);
			repeats = 0;
			last = frame[1];
			if (n == BACKTRACE_LINES) {
				hv_printf("  ... (more frames not shown)\n");
				return;
			}
			print_frame(n++, frame[1], true, "");
		}
		next = frame[0];
		if (next && next <= rbp) {
			hv_printf("  (frame pointer chain goes backwards at %#llx; stopping)\n",
				  (unsigned long long)rbp);
			break;
		}
		rbp = next;
	}
	if (repeats)
		hv_printf("  ... the frame above %u more times\n", repeats);
}

static void print_rflags(u64 f)
{
	static const struct {
		u64 bit;
		const char *name;
	} flags[] = {
		{ RFLAGS_CF, "CF" }, { RFLAGS_PF, "PF" }, { RFLAGS_AF, "AF" }, { RFLAGS_ZF, "ZF" },
		{ RFLAGS_SF, "SF" }, { RFLAGS_TF, "TF" }, { RFLAGS_IF, "IF" }, { RFLAGS_DF, "DF" },
		{ RFLAGS_OF, "OF" }, { RFLAGS_NT, "NT" }, { RFLAGS_RF, "RF" }, { RFLAGS_VM, "VM" },
		{ RFLAGS_AC, "AC" }, { RFLAGS_ID, "ID" },
	};
	char buf[64];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (f & flags[i].bit)
			n += (size_t)fmt_snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? " " : "",
						  flags[i].name);
	hv_printf("RFLAGS 0x%016llx [%s]\n", (unsigned long long)f, buf);
}

void x86_dump_regs(const struct x86_regs *r)
{
	u64 off;
	const char *name = x86_symbol_lookup(r->rip, &off);

	if (name)
		hv_printf("RIP    0x%016llx %s+0x%llx\n", (unsigned long long)r->rip, name,
			  (unsigned long long)off);
	else
		hv_printf("RIP    0x%016llx (not in the hypervisor's code)\n",
			  (unsigned long long)r->rip);
	print_rflags(r->rflags);
	hv_printf("RAX 0x%016llx RBX 0x%016llx RCX 0x%016llx RDX 0x%016llx\n",
		  (unsigned long long)r->rax, (unsigned long long)r->rbx,
		  (unsigned long long)r->rcx, (unsigned long long)r->rdx);
	hv_printf("RSI 0x%016llx RDI 0x%016llx RBP 0x%016llx RSP 0x%016llx\n",
		  (unsigned long long)r->rsi, (unsigned long long)r->rdi,
		  (unsigned long long)r->rbp, (unsigned long long)r->rsp);
	hv_printf("R8  0x%016llx R9  0x%016llx R10 0x%016llx R11 0x%016llx\n",
		  (unsigned long long)r->r8, (unsigned long long)r->r9, (unsigned long long)r->r10,
		  (unsigned long long)r->r11);
	hv_printf("R12 0x%016llx R13 0x%016llx R14 0x%016llx R15 0x%016llx\n",
		  (unsigned long long)r->r12, (unsigned long long)r->r13,
		  (unsigned long long)r->r14, (unsigned long long)r->r15);
	hv_printf("CS 0x%llx SS 0x%llx CR0 0x%llx CR2 0x%llx CR3 0x%llx CR4 0x%llx EFER 0x%llx\n",
		  (unsigned long long)r->cs, (unsigned long long)r->ss,
		  (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
		  (unsigned long long)read_cr3(), (unsigned long long)read_cr4(),
		  (unsigned long long)rdmsr(MSR_EFER));
	x86_backtrace(r->rip, r->rbp, r->rsp);
}

/* panic(): the registers as they are here, and the caller's backtrace. */
__attribute__((noinline)) void arch_dump_state(void)
{
	struct x86_regs r = { 0 };

	__asm__ volatile("movq %%rax, %0\n\tmovq %%rbx, %1\n\tmovq %%rcx, %2\n\tmovq %%rdx, %3\n\t"
			 "movq %%rsi, %4\n\tmovq %%rdi, %5\n\tmovq %%rsp, %6"
			 : "=m"(r.rax), "=m"(r.rbx), "=m"(r.rcx), "=m"(r.rdx), "=m"(r.rsi),
			   "=m"(r.rdi), "=m"(r.rsp));
	__asm__ volatile("movq %%r8, %0\n\tmovq %%r9, %1\n\tmovq %%r10, %2\n\tmovq %%r11, %3\n\t"
			 "movq %%r12, %4\n\tmovq %%r13, %5\n\tmovq %%r14, %6\n\tmovq %%r15, %7"
			 : "=m"(r.r8), "=m"(r.r9), "=m"(r.r10), "=m"(r.r11), "=m"(r.r12),
			   "=m"(r.r13), "=m"(r.r14), "=m"(r.r15));
	__asm__ volatile("movq %%cs, %0\n\tmovq %%ss, %1" : "=r"(r.cs), "=r"(r.ss));
	r.rflags = read_rflags();
	/* Start the trace at our caller (panic), whose frame is ours' parent. */
	r.rbp = (u64)(uptr)__builtin_frame_address(0);
	r.rip = (u64)(uptr)__builtin_return_address(0);
	r.rbp = *(const u64 *)(uptr)r.rbp;
	x86_dump_regs(&r);
}
