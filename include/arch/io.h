/*
 * The arch seam for I/O-port access, for device drivers in drivers/ that
 * talk to port-mapped devices (the 16550 UART), and for the guest's
 * passed-through ports when an access must be split (arch/x86/guest/x86_io.c).
 * Only arches with an I/O port space (x86) implement it, and only they build
 * such drivers (ARCH_ONLY_SRCS in the Makefile); host unit tests of the x86
 * guest code provide their own.
 */
#ifndef ARCH_IO_H
#define ARCH_IO_H

#include <hv/types.h>

u8 arch_io_in8(u16 port);
void arch_io_out8(u16 port, u8 value);

#endif /* ARCH_IO_H */
