/*
 * A hostile guest: reads, writes or executes at a guest-physical address
 * given on its command line (addr=, op=1 read, 2 write, 3 execute): where
 * the hypervisor's image or tables live on the host, beyond RAM, in the
 * device hole. First it checks that its memory map does not call that
 * address RAM; then it tries. The access must not reach the hypervisor:
 * hv stops this VM and says why, or the guest gets its own memory. If the
 * access returns at all, the guest reports what it read.
 */
#include "guest.h"

#define E820_RAM 1

struct probe {
	u64 addr;
	bool ram;
};

static void is_ram(u64 base, u64 len, u32 type, void *ctx)
{
	struct probe *p = ctx;

	if (type == E820_RAM && p->addr >= base && p->addr - base < len)
		p->ram = true;
}

int guest_main(u32 magic, u32 mbi)
{
	struct probe p = { mb_arg("addr", 0x200000), false };
	u32 op = (u32)mb_arg("op", 1), v = 0;
	volatile u32 *ptr = (volatile u32 *)(uintptr_t)p.addr;

	(void)magic;
	(void)mbi;
	mb_mmap(is_ram, &p);
	check(!p.ram, (u32)p.addr, "the target is not RAM in the guest's memory map");
	printf_hv("probing: %s at %#x\n",
		  op == 1   ? "read"
		  : op == 2 ? "write"
			    : "execute",
		  (u32)p.addr);
	if (op == 1) {
		v = *ptr;
	} else if (op == 2) {
		*ptr = 0xdeadbeef;
	} else {
		((void (*)(void))(uintptr_t)p.addr)();
	}
	printf_hv("the access returned (value %#x)\n", v);
	check(false, v, "the access to hypervisor or non-RAM memory completed");
	return 1;
}
