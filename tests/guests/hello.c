/*
 * The smallest guest: says hello through the console hypercall, checks the
 * VERSION hypercall and shuts down with status 0, or with the status its
 * command line asks for (status=N).
 */
#include "guest.h"

int guest_main(u32 magic, u32 mbi)
{
	struct hc_out v = hc(HC_VERSION, 0, 0, 0, 0);

	(void)mbi;
	printf_hv("hello from a guest (multiboot magic %#x)\n", magic);
	check(v.eax == HC_ABI_VERSION, v.eax, "VERSION returns the ABI version");
	check(v.ebx == ('h' | 'v' << 8), v.ebx, "VERSION returns the name \"hv\"");
	return (int)mb_arg("status", 0);
}
