/*
 * An emulated Arm PrimeCell UART (PL011) r1p5 for arm64 guests
 * (vmm/dev/pl011.c), enough for Linux's amba-pl011 driver, the AMBA bus
 * probe of its ID registers, and earlycon=pl011.
 *
 * As with the 16550 model, transmission is instant: a byte written to DR goes
 * to the output sink at once, so the TX FIFO always reads empty (FR.TXFE set,
 * TXFF and BUSY clear) and each transmitted byte is a pass of the TX FIFO
 * through its trigger level, which raises TXRIS as the TRM describes. RX
 * bytes come from pl011_rx_push() into a 32-entry FIFO (1 entry when
 * LCR_H.FEN is clear); the receive line is idle whenever the guest looks, so
 * any data left after a push raises the receive timeout (RTRIS).
 *
 * The device is reset as firmware would leave a console UART: UARTEN, TXE and
 * RXE set, 8N1 with FIFOs, 115200 baud from a 24 MHz clock, so a guest's
 * earlycon works before its driver runs. Transmission honours UARTEN and TXE,
 * reception UARTEN and RXE.
 *
 * Access widths: the PL011 decodes PADDR[11:2], so the register is chosen by
 * offset & ~3. Reads of 1, 2 or 4 bytes perform that register's read (side
 * effects included) and return the addressed bytes. Writes of 1, 2 or 4 bytes
 * at offset & 3 == 0 write the zero-extended value: Linux uses 16-bit
 * accesses by default and earlycon writes DR with single bytes. Writes that
 * do not start at a register's first byte are ignored (counted), since what
 * the bus would present is not defined. An access that is not naturally
 * aligned, not 1/2/4 bytes wide, or outside the 4 KiB window is refused with
 * HV_EINVAL so the backend can answer it (an external abort, or RAZ/WI).
 *
 * No lock: the vCPU thread that owns the VM makes every call. Register map
 * and bits: Arm PrimeCell UART (PL011) Technical Reference Manual r1p5
 * (DDI 0183G), section 3 "Programmers Model".
 */
#ifndef HV_DEV_PL011_H
#define HV_DEV_PL011_H

#include <hv/types.h>

/* Register offsets (TRM Table 3-1). */
#define PL011_DR         0x000
#define PL011_RSR_ECR    0x004
#define PL011_FR         0x018
#define PL011_ILPR       0x020
#define PL011_IBRD       0x024
#define PL011_FBRD       0x028
#define PL011_LCR_H      0x02c
#define PL011_CR         0x030
#define PL011_IFLS       0x034
#define PL011_IMSC       0x038
#define PL011_RIS        0x03c
#define PL011_MIS        0x040
#define PL011_ICR        0x044
#define PL011_DMACR      0x048
#define PL011_PERIPHID0  0xfe0
#define PL011_PCELLID0   0xff0
#define PL011_ID_REG_END 0x1000
#define PL011_MMIO_SIZE  0x1000

/* DR (read): received byte and its error flags (TRM 3.3.1). */
#define PL011_DR_DATA_MASK GENMASK(7, 0)
#define PL011_DR_FE        BIT(8)
#define PL011_DR_PE        BIT(9)
#define PL011_DR_BE        BIT(10)
#define PL011_DR_OE        BIT(11)

/* RSR (read) error bits, cleared by any write to ECR (TRM 3.3.2). */
#define PL011_RSR_FE   BIT(0)
#define PL011_RSR_PE   BIT(1)
#define PL011_RSR_BE   BIT(2)
#define PL011_RSR_OE   BIT(3)
#define PL011_RSR_MASK GENMASK(3, 0)

/* FR (TRM 3.3.3) */
#define PL011_FR_CTS  BIT(0)
#define PL011_FR_DSR  BIT(1)
#define PL011_FR_DCD  BIT(2)
#define PL011_FR_BUSY BIT(3)
#define PL011_FR_RXFE BIT(4)
#define PL011_FR_TXFF BIT(5)
#define PL011_FR_RXFF BIT(6)
#define PL011_FR_TXFE BIT(7)
#define PL011_FR_RI   BIT(8)

/* Register widths (TRM Table 3-1). */
#define PL011_ILPR_MASK  GENMASK(7, 0)
#define PL011_IBRD_MASK  GENMASK(15, 0)
#define PL011_FBRD_MASK  GENMASK(5, 0)
#define PL011_LCR_H_MASK GENMASK(7, 0)
#define PL011_CR_MASK    GENMASK(15, 0)
#define PL011_IFLS_MASK  GENMASK(5, 0)
#define PL011_DMACR_MASK GENMASK(2, 0)

/* LCR_H (TRM 3.3.7) */
#define PL011_LCR_H_BRK    BIT(0)
#define PL011_LCR_H_PEN    BIT(1)
#define PL011_LCR_H_FEN    BIT(4)
#define PL011_LCR_H_WLEN_8 (3u << 5)

/* CR (TRM 3.3.8) */
#define PL011_CR_UARTEN BIT(0)
#define PL011_CR_LBE    BIT(7)
#define PL011_CR_TXE    BIT(8)
#define PL011_CR_RXE    BIT(9)
#define PL011_CR_DTR    BIT(10)
#define PL011_CR_RTS    BIT(11)
#define PL011_CR_OUT1   BIT(12)
#define PL011_CR_OUT2   BIT(13)

/* IFLS: TX level in 2:0, RX level in 5:3; 0..4 = 1/8, 1/4, 1/2, 3/4, 7/8 (TRM 3.3.9). */
#define PL011_IFLS_TX_SHIFT 0
#define PL011_IFLS_RX_SHIFT 3
#define PL011_IFLS_FIELD    GENMASK(2, 0)
#define PL011_IFLS_RESET    0x12 /* both 1/2 */

/* Interrupt bits, common to IMSC, RIS, MIS and ICR (TRM 3.3.10-3.3.13). */
#define PL011_INT_RI   BIT(0)
#define PL011_INT_CTS  BIT(1)
#define PL011_INT_DCD  BIT(2)
#define PL011_INT_DSR  BIT(3)
#define PL011_INT_RX   BIT(4)
#define PL011_INT_TX   BIT(5)
#define PL011_INT_RT   BIT(6)
#define PL011_INT_FE   BIT(7)
#define PL011_INT_PE   BIT(8)
#define PL011_INT_BE   BIT(9)
#define PL011_INT_OE   BIT(10)
#define PL011_INT_MASK GENMASK(10, 0)

/*
 * Identification: PeriphID = 0x00341011 (part 0x011, designer 0x41 'A',
 * revision 3 = r1p5, configuration 0); PCellID = 0xB105F00D (TRM 3.3.15-16).
 * Linux derives the FIFO depth from the revision: 32 entries from rev 3 on.
 */
#define PL011_PERIPH_ID 0x00341011u
#define PL011_PCELL_ID  0xb105f00du
#define PL011_FIFO_SIZE 32

/* Reset state as "firmware" leaves it: 115200 8N1 at 24 MHz, FIFOs, enabled. */
#define PL011_CLOCK_HZ   24000000u
#define PL011_RESET_IBRD 13 /* 24e6 / (16 * 115200) = 13.02 */
#define PL011_RESET_FBRD 1  /* round(0.02 * 64) */

struct pl011_ops {
	/* A byte the guest transmitted (not called in loopback). */
	void (*tx)(void *ctx, u8 byte);
	/* The combined interrupt UARTINTR changed to level. May be NULL. */
	void (*set_irq)(void *ctx, bool level);
};

struct pl011 {
	const struct pl011_ops *ops;
	void *ctx;

	u32 rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
	bool irq_line;

	u16 rx_fifo[PL011_FIFO_SIZE]; /* data byte | PL011_DR_* error flags */
	u8 rx_head, rx_count;

	/* Statistics, and accesses refused or ignored (see the width rules above). */
	u64 tx_bytes, rx_bytes, rx_overruns, bad_accesses;
};

/* Reset p (state above); ops and ctx are kept, ops->tx is required. */
void pl011_init(struct pl011 *p, const struct pl011_ops *ops, void *ctx);

/*
 * A guest read of width bytes (1, 2, 4) at offset within the 4 KiB window.
 * Returns 0 and the value in *value, or HV_EINVAL (bad width, misaligned,
 * offset outside the window) with *value = 0 and no side effect. Reserved
 * offsets read as zero.
 */
int pl011_mmio_read(struct pl011 *p, u64 offset, unsigned width, u64 *value);

/* A guest write; errors as for pl011_mmio_read. Reserved and read-only offsets ignore writes. */
int pl011_mmio_write(struct pl011 *p, u64 offset, unsigned width, u64 value);

/* Entries the RX FIFO can take now (0 while reception is disabled or in loopback). */
size_t pl011_rx_space(const struct pl011 *p);

/*
 * Deliver host input. Bytes beyond the room are dropped with an overrun (OE
 * in RSR, RIS and on the newest FIFO entry); returns the number accepted.
 * Returns 0 without effect while reception is disabled or in loopback.
 */
size_t pl011_rx_push(struct pl011 *p, const u8 *buf, size_t n);

#endif /* HV_DEV_PL011_H */
