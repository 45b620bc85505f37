/*
 * I/O port policy for x86 guests (contract in x86/guest.h): which ports the
 * guest reaches directly, and where intercepted accesses go. The backends
 * build their permission maps (SVM IOPM, VMX I/O bitmaps) from
 * x86_io_passthrough(), so the policy lives here once.
 *
 * Passed through (no exit): the RTC/CMOS (0x70-0x71: the guest gets the
 * real wall clock; nothing in it is the hypervisor's) and the POST port
 * 0x80 (Linux writes it for I/O delays: an exit each would be pure cost).
 * Everything else exits: the emulated devices of the platform, and the
 * "nothing here" answer (all-ones, writes ignored) for the rest, which
 * keeps the real PIC, PIT, UART, PCI configuration space, DMA controllers,
 * keyboard controller (its reset line), QEMU's debug-exit port and any
 * other device out of the guest's reach. docs/svm.md explains why.
 *
 * The passed-through bytes of a wide access reach the hardware through the
 * arch's port seam (arch_io_in8/out8, include/arch/io.h): a call more on a
 * rare path, and the seam host unit tests replace to see which byte went
 * where.
 */
#include <arch/io.h>
#include <x86/guest.h>
#include <x86/platform.h>

#define RTC_INDEX 0x70
#define RTC_DATA  0x71
#define POST_PORT 0x80

const u16 x86_io_passthrough_ports[] = { RTC_INDEX, RTC_DATA, POST_PORT };
const u32 x86_io_passthrough_count = ARRAY_SIZE(x86_io_passthrough_ports);

bool x86_io_passthrough(u16 port)
{
	return port == RTC_INDEX || port == RTC_DATA || port == POST_PORT;
}

/* Whether any byte of [port, port + size) passes through. */
static bool touches_passthrough(u16 port, unsigned size)
{
	if (port > POST_PORT || port + size <= RTC_INDEX)
		return false;
	for (unsigned i = 0; i < size; i++)
		if (x86_io_passthrough((u16)(port + i)))
			return true;
	return false;
}

u32 x86_io_in(struct x86_vcpu *xv, u16 port, unsigned size)
{
	u32 v = 0;

	if (!touches_passthrough(port, size))
		return x86_platform_io_in(xv->plat, port, size);
	/* A wide access that overlaps a passed-through port still exits: byte by byte. */
	for (unsigned i = 0; i < size; i++) {
		u16 at = (u16)(port + i);
		u32 b =
		    x86_io_passthrough(at) ? arch_io_in8(at) : x86_platform_io_in(xv->plat, at, 1);

		v |= b << (8 * i);
	}
	return v;
}

void x86_io_out(struct x86_vcpu *xv, u16 port, unsigned size, u32 value)
{
	if (!touches_passthrough(port, size)) {
		x86_platform_io_out(xv->plat, port, size, value);
		return;
	}
	for (unsigned i = 0; i < size; i++) {
		u16 at = (u16)(port + i);
		u8 b = (u8)(value >> (8 * i));

		if (x86_io_passthrough(at))
			arch_io_out8(at, b);
		else
			x86_platform_io_out(xv->plat, at, 1, b);
	}
}
