/*
 * Test guest "mmio": loads and stores to emulated devices, emulated from
 * the data abort's syndrome (ISV = 1): every access size, the value written
 * back into the transfer register zero- or sign-extended into W and X
 * registers, the zero register as source and destination, accesses the
 * device refuses (an external abort injected at the guest's EL1), and the
 * PL011's interrupt reaching the guest through the GIC.
 */
#include "guest.h"

#define UART_DR         0x000
#define UART_FR         0x018
#define UART_IBRD       0x024
#define UART_CR         0x030
#define UART_IMSC       0x038
#define UART_MIS        0x040
#define UART_ICR        0x044
#define UART_PID0       0xfe0
#define UART_CID0       0xff0
#define FR_RXFE         (1u << 4)
#define CR_ON_LOOP      0x381 /* UARTEN, TXE, RXE, LBE */
#define CR_ON           0x301
#define INT_RX          (1u << 4)
#define INT_RT          (1u << 6)
#define GICD_ISENABLER1 0x104
#define GICD_ISPENDR1   0x204

static volatile u32 uart_irqs;

static void on_irq(void)
{
	u32 iar = gic_ack();

	if ((iar & 0x3ff) == UART_INTID) {
		uart_irqs++;
		/* Drain the FIFO: the level drops before the EOI. */
		while (!(mmio_read32(UART_BASE + UART_FR) & FR_RXFE))
			(void)mmio_read32(UART_BASE + UART_DR);
	}
	gic_eoi(iar);
}

static u64 ldrsb_x(u64 a)
{
	u64 v;
	__asm__ volatile("ldrsb %0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static u64 ldrsb_w(u64 a)
{
	u64 v = ~0ull;
	__asm__ volatile("ldrsb %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static u64 ldrsh_x(u64 a)
{
	u64 v;
	__asm__ volatile("ldrsh %0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static u64 ldrsh_w(u64 a)
{
	u64 v = ~0ull;
	__asm__ volatile("ldrsh %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static u64 ldrh_w(u64 a)
{
	u64 v = ~0ull;
	__asm__ volatile("ldrh %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static u64 ldrsw_x(u64 a)
{
	u64 v;
	__asm__ volatile("ldrsw %0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static u64 ldr_w(u64 a)
{
	u64 v = ~0ull;
	__asm__ volatile("ldr %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}

static u8 ldrb(u64 a)
{
	u32 v;
	__asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return (u8)v;
}

int main(void)
{
	static const u8 pid[4] = { 0x11, 0x10, 0x34, 0x00 }, cid[4] = { 0x0d, 0xf0, 0x05, 0xb1 };
	bool ok = true;
	u64 v, x20;

	for (unsigned i = 0; i < 4; i++)
		ok &= mmio_read32(UART_BASE + UART_PID0 + 4 * i) == pid[i] &&
		      mmio_read32(UART_BASE + UART_CID0 + 4 * i) == cid[i];
	check(ok, 0, "PL011 PeriphID and PCellID read as a PL011 r1p5");
	check(ldrb(UART_BASE + UART_CID0 + 12) == 0xb1, 0, "LDRB of CellID3");

	/* IBRD is 16 bits: store 0xff80 and read it back every way. */
	*(volatile u16 *)(UART_BASE + UART_IBRD) = 0xff80;
	check(ldrh_w(UART_BASE + UART_IBRD) == 0xff80, 0,
	      "LDRH zero-extends (upper 48 bits clear)");
	v = ldrsh_x(UART_BASE + UART_IBRD);
	check(v == 0xffffffffffffff80ull, v, "LDRSH into X sign-extends to 64 bits");
	v = ldrsh_w(UART_BASE + UART_IBRD);
	check(v == 0xffffff80ull, v, "LDRSH into W sign-extends to 32 bits, upper half 0");
	v = ldrsb_x(UART_BASE + UART_IBRD);
	check(v == 0xffffffffffffff80ull, v, "LDRSB into X");
	v = ldrsb_w(UART_BASE + UART_IBRD + 1);
	check(v == 0xffffffffull, v, "LDRSB into W of the byte at offset 1");
	v = ldr_w(UART_BASE + UART_IBRD);
	check(v == 0xff80, v, "LDR W clears the upper half");

	/* A 32-bit register with bit 31 set: GICD_ISENABLER1 after enabling SPI 63. */
	mmio_write32(GICD_BASE + GICD_ISENABLER1, 1u << 31);
	v = ldrsw_x(GICD_BASE + GICD_ISENABLER1);
	check(v == 0xffffffff80000000ull, v, "LDRSW sign-extends a 32-bit register");

	/* Zero register: STR WZR stores 0; LDR into WZR changes no register. */
	mmio_write32(UART_BASE + UART_IMSC, INT_RX);
	__asm__ volatile("str wzr, [%0]" : : "r"(UART_BASE + UART_IMSC) : "memory");
	check(mmio_read32(UART_BASE + UART_IMSC) == 0, 0, "STR WZR stores zero");
	__asm__ volatile("mov x20, #0x1234\n\tldr wzr, [%1]\n\tmov %0, x20"
			 : "=r"(x20)
			 : "r"(UART_BASE + UART_FR)
			 : "x20", "memory");
	check(x20 == 0x1234, x20, "LDR WZR discards the value, x20 untouched");

	/* Loopback: bytes written to DR with STRB come back from DR. */
	mmio_write32(UART_BASE + UART_CR, CR_ON_LOOP);
	*(volatile u8 *)(UART_BASE + UART_DR) = 'A';
	*(volatile u16 *)(UART_BASE + UART_DR) = 'b';
	check(!(mmio_read32(UART_BASE + UART_FR) & FR_RXFE), 0, "loopback: the FIFO has data");
	check((mmio_read32(UART_BASE + UART_DR) & 0xff) == 'A', 0, "loopback: 'A' back");
	check((mmio_read32(UART_BASE + UART_DR) & 0xff) == 'b', 0, "loopback: 'b' back");
	check(mmio_read32(UART_BASE + UART_FR) & FR_RXFE, 0, "loopback: FIFO empty again");

	/* The device refuses 8-byte accesses: the guest gets a synchronous external abort. */
	(void)probe_read64(UART_BASE + UART_FR);
	check(probe_faulted() && ESR_EC(probe.esr) == EC_DABT_CUR &&
		  (ESR_ISS(probe.esr) & 0x3f) == FSC_EXT_ABORT && probe.far == UART_BASE + UART_FR,
	      probe.esr, "an 8-byte read of the PL011: external abort, FAR = the address");
	probe_write64(UART_BASE + UART_DR, 'x');
	check(probe_faulted() && ESR_EC(probe.esr) == EC_DABT_CUR && (ESR_ISS(probe.esr) & ISS_WNR),
	      probe.esr, "an 8-byte write of the PL011: external abort, WnR set");

	/* Its interrupt: SPI 1 (ID 33), level, through the emulated distributor. */
	guest_irq_handler = on_irq;
	gic_init();
	gic_enable(UART_INTID, true);
	mmio_write32(UART_BASE + UART_IMSC, INT_RX | INT_RT);
	*(volatile u8 *)(UART_BASE + UART_DR) = 'z';
	check(mmio_read32(GICD_BASE + GICD_ISPENDR1) & (1u << (UART_INTID - 32)),
	      mmio_read32(UART_BASE + UART_MIS),
	      "the PL011 interrupt is pending at the distributor");
	irqs_on();
	for (unsigned i = 0; i < 1000 && !uart_irqs; i++)
		;
	irqs_off();
	check(uart_irqs == 1, uart_irqs, "the guest takes the PL011 interrupt once");
	irqs_on();
	for (volatile unsigned i = 0; i < 10000; i++)
		;
	irqs_off();
	check(uart_irqs == 1, uart_irqs, "and not again once the FIFO is drained");
	mmio_write32(UART_BASE + UART_IMSC, 0);
	mmio_write32(UART_BASE + UART_CR, CR_ON);
	return checks_done();
}
