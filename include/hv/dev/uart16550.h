/*
 * An emulated 16550A UART for x86 guests (vmm/dev/uart16550.c), complete
 * enough for Linux's 8250 driver (probe, autoconfig, interrupt-driven TX and
 * RX) and its earlycon.
 *
 * The model transmits instantly: a byte written to THR goes to the output
 * sink at once, so THR and the transmitter always read empty (LSR.THRE and
 * LSR.TEMT set) and the TX FIFO never fills. Received bytes come from
 * uart16550_rx_push() into a 16-byte RX FIFO (1 byte when FIFOs are off).
 * The receive line is idle whenever the guest looks, so in FIFO mode the
 * character-timeout interrupt stands for any data below the trigger level.
 *
 * The backend maps offsets 0-7 at a base port (COM1 = 0x3f8) from its I/O
 * exit handler. The device has no lock: its owner (the vCPU thread of the VM
 * that has it) makes every call, I/O exits and input delivery alike. The
 * IRQ callback reports the level of the INTR output whenever it changes;
 * MCR.OUT2 does not gate it (see docs/devices.md).
 *
 * Register layout and bits: National Semiconductor / TI PC16550D datasheet,
 * "Register Description" (Table II and section 8).
 */
#ifndef HV_DEV_UART16550_H
#define HV_DEV_UART16550_H

#include <hv/types.h>

/* Register offsets from the base port (PC16550D Table II). DLAB = LCR bit 7. */
#define UART_RBR       0 /* read, DLAB=0: receiver buffer */
#define UART_THR       0 /* write, DLAB=0: transmitter holding */
#define UART_DLL       0 /* DLAB=1: divisor latch, low byte */
#define UART_IER       1 /* DLAB=0: interrupt enable */
#define UART_DLM       1 /* DLAB=1: divisor latch, high byte */
#define UART_IIR       2 /* read: interrupt identification */
#define UART_FCR       2 /* write: FIFO control */
#define UART_LCR       3 /* line control */
#define UART_MCR       4 /* modem control */
#define UART_LSR       5 /* line status */
#define UART_MSR       6 /* modem status */
#define UART_SCR       7 /* scratch */
#define UART_REG_COUNT 8

/* IER */
#define UART_IER_ERBFI BIT(0)        /* received data available */
#define UART_IER_ETBEI BIT(1)        /* transmitter holding register empty */
#define UART_IER_ELSI  BIT(2)        /* receiver line status */
#define UART_IER_EDSSI BIT(3)        /* modem status */
#define UART_IER_MASK  GENMASK(3, 0) /* bits 7:4 read as zero on a 16550A */

/* IIR: bit 0 clear = interrupt pending; bits 3:1 identify it; 7:6 FIFOs enabled. */
#define UART_IIR_NO_INT       BIT(0)
#define UART_IIR_ID_MASK      GENMASK(3, 1)
#define UART_IIR_MSI          0x00 /* modem status (lowest priority) */
#define UART_IIR_THRI         0x02 /* THR empty */
#define UART_IIR_RDI          0x04 /* received data available */
#define UART_IIR_RLSI         0x06 /* receiver line status (highest) */
#define UART_IIR_CTI          0x0c /* character timeout (FIFO mode) */
#define UART_IIR_FIFO_ENABLED GENMASK(7, 6)

/* FCR */
#define UART_FCR_ENABLE     BIT(0)
#define UART_FCR_CLEAR_RX   BIT(1)
#define UART_FCR_CLEAR_TX   BIT(2)
#define UART_FCR_DMA_MODE   BIT(3)
#define UART_FCR_TRIG_SHIFT 6
#define UART_FCR_TRIG_MASK  GENMASK(7, 6)

/* LCR */
#define UART_LCR_WLEN_MASK GENMASK(1, 0)
#define UART_LCR_STOP      BIT(2)
#define UART_LCR_PARITY    BIT(3)
#define UART_LCR_BREAK     BIT(6)
#define UART_LCR_DLAB      BIT(7)

/* MCR */
#define UART_MCR_DTR  BIT(0)
#define UART_MCR_RTS  BIT(1)
#define UART_MCR_OUT1 BIT(2)
#define UART_MCR_OUT2 BIT(3)
#define UART_MCR_LOOP BIT(4)
#define UART_MCR_MASK GENMASK(4, 0) /* bits 7:5 read as zero */

/* LSR */
#define UART_LSR_DR       BIT(0) /* data ready */
#define UART_LSR_OE       BIT(1) /* overrun error */
#define UART_LSR_PE       BIT(2) /* parity error */
#define UART_LSR_FE       BIT(3) /* framing error */
#define UART_LSR_BI       BIT(4) /* break interrupt */
#define UART_LSR_THRE     BIT(5) /* THR (TX FIFO) empty */
#define UART_LSR_TEMT     BIT(6) /* THR and shift register empty */
#define UART_LSR_FIFOE    BIT(7) /* error in RX FIFO (FIFO mode) */
#define UART_LSR_ERR_MASK (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

/* MSR: bits 3:0 are "changed since last read", bits 7:4 the line states. */
#define UART_MSR_DCTS       BIT(0)
#define UART_MSR_DDSR       BIT(1)
#define UART_MSR_TERI       BIT(2) /* RI went from on to off */
#define UART_MSR_DDCD       BIT(3)
#define UART_MSR_CTS        BIT(4)
#define UART_MSR_DSR        BIT(5)
#define UART_MSR_RI         BIT(6)
#define UART_MSR_DCD        BIT(7)
#define UART_MSR_DELTA_MASK GENMASK(3, 0)

/* FIFO depth of the 16550A, each direction. */
#define UART_FIFO_SIZE 16

struct uart16550;

struct uart16550_ops {
	/* A byte the guest transmitted (not called in loopback mode). */
	void (*tx)(void *ctx, u8 byte);
	/* The interrupt output changed to level (true = asserted). May be NULL. */
	void (*set_irq)(void *ctx, bool level);
};

struct uart16550 {
	const struct uart16550_ops *ops;
	void *ctx;

	u8 ier, lcr, mcr, lsr_errors, msr, scr, dll, dlm;
	u8 fcr;        /* enable, DMA mode and trigger bits as last written */
	bool thr_int;  /* THRE interrupt pending (cleared by IIR read or THR write) */
	bool irq_line; /* the level last reported through set_irq */

	u8 rx_fifo[UART_FIFO_SIZE];
	u8 rx_head;  /* index of the oldest byte */
	u8 rx_count; /* bytes waiting */

	/* Statistics, for the console's 's' command. */
	u64 tx_bytes, rx_bytes, rx_overruns;
};

/*
 * Reset u to the 16550A's power-on state (IER 0, LCR 0, MCR 0, FIFOs off,
 * LSR THRE|TEMT, divisor 0) with its modem inputs showing a connected
 * terminal (CTS, DSR and DCD on). ops and ctx are kept; ops->tx is required.
 */
void uart16550_init(struct uart16550 *u, const struct uart16550_ops *ops, void *ctx);

/*
 * A guest port read of width bytes (1, 2 or 4) at offset from the base.
 * Wider accesses act as consecutive byte accesses, as the ISA bus splits
 * them for an 8-bit device; any other width acts as 1. Bytes past offset 7
 * read 0xff (nothing decodes them). Reads have the
 * register side effects (RBR pops the FIFO, IIR clears a THRE interrupt, LSR
 * clears errors, MSR clears the change bits).
 */
u32 uart16550_read(struct uart16550 *u, u16 offset, unsigned width);

/* A guest port write; width and out-of-range bytes as for uart16550_read (writes ignored). */
void uart16550_write(struct uart16550 *u, u16 offset, unsigned width, u32 value);

/*
 * Bytes the RX FIFO can take now (0 in loopback mode, where the line is
 * disconnected). The console feeds at most this many, so host input is not
 * lost to overruns.
 */
size_t uart16550_rx_space(const struct uart16550 *u);

/*
 * Deliver bytes received from the host line. Bytes beyond the FIFO's room
 * are dropped with an overrun (LSR.OE), as on the real part; returns the
 * number accepted. Ignored in loopback mode (returns 0).
 */
size_t uart16550_rx_push(struct uart16550 *u, const u8 *buf, size_t n);

#endif /* HV_DEV_UART16550_H */
