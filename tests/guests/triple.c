/*
 * A triple fault: with an empty IDT, UD2 cannot be delivered (#UD -> #GP
 * -> #DF -> shutdown). The VM stops with the reason and its last exits;
 * the hypervisor carries on.
 */
#include "guest.h"

int guest_main(u32 magic, u32 mbi)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) empty = { 0, 0 };

	(void)magic;
	(void)mbi;
	printf_hv("loading an empty IDT and executing UD2\n");
	__asm__ volatile("lidt %0\n\tud2" : : "m"(empty));
	check(false, 0, "still running after a triple fault");
	return 1;
}
