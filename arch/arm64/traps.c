/*
 * What happens on an exception taken to EL2 (arch/arm64/vectors.S saves the
 * frame and calls arm64_exception()).
 *
 *  - The hypervisor's own synchronous exceptions and SErrors are bugs: the
 *    report names the exception, decodes ESR_EL2, prints FAR, ELR, SPSR,
 *    every general register and a frame-pointer backtrace, then stops with a
 *    failure status. It writes to the console without its lock, since the
 *    code that faulted may hold it.
 *  - A fault while reporting (depth 2) prints a one-line summary and stops;
 *    deeper than that the CPU parks without printing. The vectors handle a
 *    bad stack before any of this (arm64/layout.h), so no path recurses
 *    forever.
 *  - An UNDEFINED exception at the labelled SMC or HLT in firmware.S means
 *    that firmware call is absent: skip it and return -1.
 *  - Exceptions from a lower EL will be guest exits; with no guest yet they
 *    are reported and stop the hypervisor.
 */
#include <stdarg.h>

#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/fmt.h>
#include <hv/selftest.h>

#include <arm64/boot.h>
#include <arm64/cpu.h>
#include <arm64/esr.h>
#include <arm64/layout.h>
#include <arm64/sysreg.h>

#define BACKTRACE_MAX  32
#define EMERG_LINE_MAX 256

/* How many fault reports are in progress on this CPU (one CPU for now). */
static unsigned fault_depth;

void arm64_emerg_printf(const char *fmt, ...)
{
	const struct console_dev *con = console_get();
	char line[EMERG_LINE_MAX];
	va_list ap;
	int n;

	if (!con)
		con = arm64_boot.early_console;
	if (!con)
		return;
	va_start(ap, fmt);
	n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n && i < (int)sizeof(line) - 1; i++) {
		if (line[i] == '\n')
			con->putc('\r');
		con->putc(line[i]);
	}
}

bool arm64_on_stack(u64 addr, u64 size)
{
	const u64 block = (u64)(uptr)__stack_block;
	const u64 stacks[][2] = {
		{ block + EXC_STACK_OFFSET, block + EXC_STACK_TOP_OFFSET },
		{ block + BOOT_STACK_OFFSET, block + STACK_BLOCK_SIZE },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(stacks); i++)
		if (addr >= stacks[i][0] && addr + size <= stacks[i][1] && addr + size > addr)
			return true;
	return false;
}

static const char *ec_name(unsigned ec)
{
	switch (ec) {
	case EC_UNKNOWN:
		return "unknown reason (undefined instruction?)";
	case EC_WFX:
		return "WFI/WFE";
	case EC_FP_ACCESS:
		return "FP/SIMD access trapped";
	case EC_ILLEGAL_STATE:
		return "illegal execution state";
	case EC_SVC64:
		return "SVC";
	case EC_HVC64:
		return "HVC";
	case EC_SMC64:
		return "SMC";
	case EC_SYSREG:
		return "system register access";
	case EC_SVE:
		return "SVE access trapped";
	case EC_IABT_LOWER:
		return "instruction abort from a lower EL";
	case EC_IABT_CUR:
		return "instruction abort (same EL)";
	case EC_PC_ALIGN:
		return "PC alignment fault";
	case EC_DABT_LOWER:
		return "data abort from a lower EL";
	case EC_DABT_CUR:
		return "data abort (same EL)";
	case EC_SP_ALIGN:
		return "SP alignment fault";
	case EC_SERROR:
		return "SError";
	case EC_BRK64:
		return "BRK";
	default:
		return "other";
	}
}

static const char *fsc_name(u32 fsc)
{
	if (fsc == FSC_ALIGNMENT)
		return "alignment fault";
	if (fsc == FSC_TLB_CONFLICT)
		return "TLB conflict abort";
	if (fsc == FSC_SYNC_EXTERNAL)
		return "synchronous external abort";
	switch (fsc & FSC_TYPE_MASK) {
	case FSC_ADDR_SIZE:
		return "address size fault";
	case FSC_TRANSLATION:
		return "translation fault";
	case FSC_ACCESS_FLAG:
		return "access flag fault";
	case FSC_PERMISSION:
		return "permission fault";
	default:
		return "other fault";
	}
}

static const char *kind_name(u64 kind)
{
	static const char *const groups[] = { "current EL with SP_EL0", "current EL (EL2)",
					      "lower EL (AArch64)", "lower EL (AArch32)" };
	static const char *const types[] = { "synchronous exception", "IRQ", "FIQ", "SError" };
	static char buf[80];

	fmt_snprintf(buf, sizeof(buf), "%s from %s", types[kind & 3], groups[(kind & 0xf) >> 2]);
	return buf;
}

/* "hv+0x1234" for addresses in our text, so addr2line can be used on hv.elf. */
static void print_addr(const char *label, u64 addr)
{
	const u64 start = (u64)(uptr)__image_start, text_end = (u64)(uptr)__text_end;

	if (addr >= start && addr < text_end)
		arm64_emerg_printf("%s0x%016llx (hv+0x%llx)\n", label, (unsigned long long)addr,
				   (unsigned long long)(addr - start));
	else
		arm64_emerg_printf("%s0x%016llx\n", label, (unsigned long long)addr);
}

static void print_esr(u64 esr, u64 far)
{
	unsigned ec = esr_ec(esr);
	u32 iss = esr_iss(esr);

	arm64_emerg_printf("ESR_EL2 0x%08llx: EC 0x%02x %s, IL %u, ISS 0x%07x\n",
			   (unsigned long long)esr, ec, ec_name(ec), (esr & ESR_IL) ? 1 : 0, iss);
	if (ec == EC_DABT_CUR || ec == EC_DABT_LOWER || ec == EC_IABT_CUR || ec == EC_IABT_LOWER) {
		u32 fsc = iss & ISS_ABT_FSC_MASK;
		bool data = ec == EC_DABT_CUR || ec == EC_DABT_LOWER;

		arm64_emerg_printf("        %s, level %u%s%s\n", fsc_name(fsc),
				   fsc & FSC_LEVEL_MASK,
				   data ? ((iss & ISS_DABT_WNR) ? ", write" : ", read") : "",
				   (iss & ISS_ABT_FNV) ? ", FAR not valid" : "");
	}
	arm64_emerg_printf("FAR_EL2 0x%016llx\n", (unsigned long long)far);
}

void arm64_report_regs(const struct arm64_regs *r)
{
	u64 fp = r->x[29];

	print_addr("pc  ", r->elr);
	print_addr("lr  ", r->x[30]);
	arm64_emerg_printf("sp  0x%016llx  pstate 0x%08llx\n", (unsigned long long)r->sp,
			   (unsigned long long)r->spsr);
	for (unsigned i = 0; i < 30; i += 3)
		arm64_emerg_printf("x%-2u 0x%016llx  x%-2u 0x%016llx  x%-2u 0x%016llx\n", i,
				   (unsigned long long)r->x[i], i + 1,
				   (unsigned long long)r->x[i + 1], i + 2,
				   (unsigned long long)r->x[i + 2]);
	arm64_emerg_printf("x30 0x%016llx\n", (unsigned long long)r->x[30]);
	arm64_emerg_printf("backtrace:\n");
	print_addr("  #0 ", r->elr);
	/* Frame records are {previous x29, return address}; they only grow upwards. */
	for (unsigned depth = 1; depth < BACKTRACE_MAX && fp; depth++) {
		char label[12];
		u64 next, ret;

		if (!IS_ALIGNED(fp, 16) || !arm64_on_stack(fp, 16)) {
			arm64_emerg_printf("  (frame pointer 0x%llx is not on a stack; stop)\n",
					   (unsigned long long)fp);
			break;
		}
		next = ((const u64 *)(uptr)fp)[0];
		ret = ((const u64 *)(uptr)fp)[1];
		if (ret == 0)
			break;
		fmt_snprintf(label, sizeof(label), "  #%u ", depth);
		print_addr(label, ret);
		if (next != 0 && next <= fp)
			break;
		fp = next;
	}
}

static __noreturn void report_fault(const struct arm64_regs *r, u64 kind)
{
	arm64_emerg_printf("\n*** HYPERVISOR FAULT: %s\n", kind_name(kind));
	if (kind & EXC_FLAG_OVERFLOW)
		arm64_emerg_printf("*** boot stack overflow: now on the exception stack; x0 is "
				   "lost and sp shows the faulting address\n");
	print_esr(r->esr, r->far);
	print_addr("ELR_EL2 ", r->elr);
	arm64_emerg_printf("SPSR_EL2 0x%08llx\n", (unsigned long long)r->spsr);
	if (selftest_fault_in_handler)
		*(volatile u64 *)(uptr)(r->far | 8) = 0; /* selftest=nested: fault in the report */
	arm64_report_regs(r);
	arch_shutdown(HV_EXIT_EXCEPTION);
}

/* No guest runs yet: anything from a lower EL is unexpected. */
static __noreturn void lower_el_no_guest(const struct arm64_regs *r, u64 kind)
{
	arm64_emerg_printf("\n*** %s, but no guest is running\n", kind_name(kind));
	print_esr(r->esr, r->far);
	print_addr("ELR_EL2 ", r->elr);
	arch_shutdown(HV_EXIT_EXCEPTION);
}

/* An absent firmware call (see firmware.S): skip it and return -1. */
static bool skip_absent_firmware_call(struct arm64_regs *r)
{
	u64 pc = r->elr;

	if (esr_ec(r->esr) != EC_UNKNOWN ||
	    (pc != (u64)(uptr)arm64_smc_insn && pc != (u64)(uptr)arm64_semihost_insn))
		return false;
	r->elr = pc + 4;
	r->x[0] = ~0ull;
	return true;
}

void arm64_exception(struct arm64_regs *r, u64 kind)
{
	unsigned group = (unsigned)(kind & EXC_KIND_MASK) >> 2;
	unsigned depth;

	if (group == EXC_GROUP_CUR_SPX && (kind & 3) == EXC_TYPE_SYNC &&
	    !(kind & EXC_FLAG_OVERFLOW) && skip_absent_firmware_call(r))
		return;
	depth = ++fault_depth;
	if (depth == 1) {
		if (group == EXC_GROUP_LOWER_A64 || group == EXC_GROUP_LOWER_A32)
			lower_el_no_guest(r, kind);
		report_fault(r, kind);
	}
	if (depth == 2) {
		arm64_emerg_printf("\n*** NESTED FAULT while reporting a fault: %s, ESR_EL2 "
				   "0x%08llx, ELR_EL2 0x%llx, FAR_EL2 0x%llx\n",
				   kind_name(kind), (unsigned long long)r->esr,
				   (unsigned long long)r->elr, (unsigned long long)r->far);
		arch_shutdown(HV_EXIT_NESTED);
	}
	arm64_park();
}
