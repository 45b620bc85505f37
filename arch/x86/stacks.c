/*
 * The hypervisor's stacks on x86: the boot stack (entry.asm) and one stack
 * per IST slot (desc.h), each with an unmapped guard page below it
 * (arch/x86/paging.c leaves guard pages out). Exceptions that must work
 * even when the current stack is broken (double fault, NMI, machine check)
 * switch to their IST stack.
 */
#include <x86/desc.h>
#include <x86/layout.h>

#define IST_STACK_SIZE (16 * 1024)

struct ist_stack {
	u8 guard[PAGE_SIZE];
	u8 stack[IST_STACK_SIZE];
};

static struct ist_stack ist_stacks[IST_COUNT] __aligned(PAGE_SIZE);

#define IST_DESC(n, label)                                                                         \
	{                                                                                          \
		.name = label, .guard = (uptr)ist_stacks[(n)-1].guard,                             \
		.bottom = (uptr)ist_stacks[(n)-1].stack,                                           \
		.top = (uptr)ist_stacks[(n)-1].stack + IST_STACK_SIZE,                             \
	}

static const struct x86_stack boot_stack = {
	.name = "boot stack",
	.guard = (uptr)boot_stack_guard,
	.bottom = (uptr)boot_stack_bottom,
	.top = (uptr)boot_stack_top,
};
static const struct x86_stack df_stack = IST_DESC(IST_DOUBLE_FAULT, "double-fault stack");
static const struct x86_stack nmi_stack = IST_DESC(IST_NMI, "NMI stack");
static const struct x86_stack mc_stack = IST_DESC(IST_MACHINE_CHECK, "machine-check stack");

const struct x86_stack *const x86_stacks[] = { &boot_stack, &df_stack, &nmi_stack, &mc_stack };
const u32 x86_stack_count = ARRAY_SIZE(x86_stacks);

_Static_assert(ARRAY_SIZE(x86_stacks) == 1 + IST_COUNT, "one stack per IST slot");

const struct x86_stack *x86_stack_of(uptr addr)
{
	for (u32 i = 0; i < x86_stack_count; i++)
		if (addr >= x86_stacks[i]->bottom && addr + 16 <= x86_stacks[i]->top &&
		    addr + 16 > addr)
			return x86_stacks[i];
	return NULL;
}

const struct x86_stack *x86_stack_guard_of(uptr addr)
{
	for (u32 i = 0; i < x86_stack_count; i++)
		if (addr >= x86_stacks[i]->guard && addr < x86_stacks[i]->guard + PAGE_SIZE)
			return x86_stacks[i];
	return NULL;
}

uptr x86_ist_top(unsigned n)
{
	return (uptr)ist_stacks[n - 1].stack + IST_STACK_SIZE;
}
