/*
 * The emulated 16550A (contract and model in hv/dev/uart16550.h). This file
 * owns the register semantics: DLAB banking, the RX FIFO and its trigger
 * levels, interrupt identification by priority, the THRE interrupt rules
 * Linux's 8250 driver relies on, and loopback.
 *
 * Interrupt sources, highest priority first (PC16550D Table IV):
 *   line status  (ELSI and OE/PE/FE/BI in LSR)     cleared by reading LSR
 *   RX data      (ERBFI and FIFO at trigger level) cleared by reading RBR below it
 *   RX timeout   (ERBFI and data below the level)  cleared by reading RBR
 *   THR empty    (ETBEI and thr_int)               cleared by reading IIR or writing THR
 *   modem status (EDSSI and a change bit in MSR)   cleared by reading MSR
 */
#include <hv/dev/uart16550.h>
#include <hv/string.h>

/* RX trigger levels for FCR bits 7:6 (PC16550D, FCR description). */
static const u8 rx_trigger_levels[4] = { 1, 4, 8, 14 };

static bool fifo_enabled(const struct uart16550 *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

static bool loopback(const struct uart16550 *u)
{
	return u->mcr & UART_MCR_LOOP;
}

static size_t rx_capacity(const struct uart16550 *u)
{
	return fifo_enabled(u) ? UART_FIFO_SIZE : 1;
}

static u8 rx_trigger(const struct uart16550 *u)
{
	if (!fifo_enabled(u))
		return 1;
	return rx_trigger_levels[(u->fcr & UART_FCR_TRIG_MASK) >> UART_FCR_TRIG_SHIFT];
}

/* The pending interrupt of highest priority, as IIR bits 3:0. */
static u8 pending_id(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_ELSI) && (u->lsr_errors & UART_LSR_ERR_MASK))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
		if (u->rx_count >= rx_trigger(u))
			return UART_IIR_RDI;
		/* The line is idle whenever the guest looks: the timeout has elapsed. */
		return UART_IIR_CTI;
	}
	if ((u->ier & UART_IER_ETBEI) && u->thr_int)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTA_MASK))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void update_irq(struct uart16550 *u)
{
	bool level = pending_id(u) != UART_IIR_NO_INT;

	if (level == u->irq_line)
		return;
	u->irq_line = level;
	if (u->ops->set_irq)
		u->ops->set_irq(u->ctx, level);
}

/* Modem input lines (MSR 7:4) from MCR in loopback, else a connected terminal. */
static u8 modem_inputs(const struct uart16550 *u)
{
	u8 in = 0;

	if (!loopback(u))
		return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	/* PC16550D, MCR bit 4: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	if (u->mcr & UART_MCR_DTR)
		in |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_RTS)
		in |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_OUT1)
		in |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		in |= UART_MSR_DCD;
	return in;
}

/* Latch new modem input states, setting the change bits for what moved. */
static void set_modem_inputs(struct uart16550 *u, u8 in)
{
	u8 old = u->msr;
	u8 delta = 0;

	if ((old ^ in) & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if ((old ^ in) & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old ^ in) & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	/* TERI reports only the trailing edge of ring indicate. */
	if ((old & UART_MSR_RI) && !(in & UART_MSR_RI))
		delta |= UART_MSR_TERI;
	u->msr = (u8)(in | (old & UART_MSR_DELTA_MASK) | delta);
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* Put one byte in the RX FIFO, or record an overrun when it is full. */
static bool rx_put(struct uart16550 *u, u8 byte)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr_errors |= UART_LSR_OE;
		u->rx_overruns++;
		return false;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	u->rx_bytes++;
	return true;
}

void uart16550_init(struct uart16550 *u, const struct uart16550_ops *ops, void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->ops = ops;
	u->ctx = ctx;
	/* Power-on: no change bits, so latch the lines directly. */
	u->msr = modem_inputs(u);
}

static u8 read_rbr(struct uart16550 *u)
{
	u8 byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx_fifo[u->rx_head];
	u->rx_head = (u8)((u->rx_head + 1) % UART_FIFO_SIZE);
	u->rx_count--;
	return byte;
}

static u8 read_iir(struct uart16550 *u)
{
	u8 id = pending_id(u);
	u8 iir = id;

	if (fifo_enabled(u))
		iir |= UART_IIR_FIFO_ENABLED;
	/* Reading IIR while it reports THRE acknowledges that interrupt. */
	if (id == UART_IIR_THRI)
		u->thr_int = false;
	return iir;
}

static u8 read_lsr(struct uart16550 *u)
{
	u8 lsr = UART_LSR_THRE | UART_LSR_TEMT | u->lsr_errors;

	if (u->rx_count)
		lsr |= UART_LSR_DR;
	/* Errors are reported once; the FIFO holds no per-byte error flags. */
	u->lsr_errors = 0;
	return lsr;
}

static u8 read_msr(struct uart16550 *u)
{
	u8 msr = u->msr;

	u->msr &= (u8)~UART_MSR_DELTA_MASK;
	return msr;
}

static u8 read_byte(struct uart16550 *u, u16 offset)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_RBR:
		return dlab ? u->dll : read_rbr(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return read_lsr(u);
	case UART_MSR:
		return read_msr(u);
	case UART_SCR:
		return u->scr;
	default:
		return 0xff; /* nothing decodes this port */
	}
}

static void write_thr(struct uart16550 *u, u8 byte)
{
	u->tx_bytes++;
	if (loopback(u))
		rx_put(u, byte);
	else
		u->ops->tx(u->ctx, byte);
	/* The byte left at once: THR is empty again, which raises THRE. */
	u->thr_int = true;
}

static void write_ier(struct uart16550 *u, u8 value)
{
	u8 old = u->ier;

	u->ier = value & UART_IER_MASK;
	/*
	 * Enabling ETBEI while THR is empty raises THRE at once (THR is always
	 * empty here). Linux's 8250 start_tx and its UART_BUG_THRE probe rely
	 * on this; disabling ETBEI drops a pending THRE.
	 */
	if ((u->ier ^ old) & UART_IER_ETBEI)
		u->thr_int = u->ier & UART_IER_ETBEI;
}

static void write_fcr(struct uart16550 *u, u8 value)
{
	/* Changing the FIFO enable bit resets both FIFOs (PC16550D, FCR bit 0). */
	if ((value ^ u->fcr) & UART_FCR_ENABLE)
		rx_clear(u);
	if (value & UART_FCR_CLEAR_RX)
		rx_clear(u);
	/* TX FIFO clear: it is always empty. Bits 5:4 are reserved on a 16550A. */
	u->fcr = value & (UART_FCR_ENABLE | UART_FCR_DMA_MODE | UART_FCR_TRIG_MASK);
}

static void write_mcr(struct uart16550 *u, u8 value)
{
	u->mcr = value & UART_MCR_MASK;
	set_modem_inputs(u, modem_inputs(u));
}

static void write_byte(struct uart16550 *u, u16 offset, u8 value)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_THR:
		if (dlab)
			u->dll = value;
		else
			write_thr(u, value);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = value;
		else
			write_ier(u, value);
		break;
	case UART_FCR:
		write_fcr(u, value);
		break;
	case UART_LCR:
		u->lcr = value;
		break;
	case UART_MCR:
		write_mcr(u, value);
		break;
	case UART_SCR:
		u->scr = value;
		break;
	default:
		/* LSR and MSR are read-only (factory test writes are not modelled). */
		break;
	}
}

u32 uart16550_read(struct uart16550 *u, u16 offset, unsigned width)
{
	u32 value = 0;

	if (width != 1 && width != 2 && width != 4)
		width = 1;
	for (unsigned i = 0; i < width; i++) {
		u32 at = (u32)offset + i;
		u8 byte = at < UART_REG_COUNT ? read_byte(u, (u16)at) : 0xff;

		value |= (u32)byte << (8 * i);
	}
	update_irq(u);
	return value;
}

void uart16550_write(struct uart16550 *u, u16 offset, unsigned width, u32 value)
{
	if (width != 1 && width != 2 && width != 4)
		width = 1;
	for (unsigned i = 0; i < width; i++) {
		u32 at = (u32)offset + i;

		if (at < UART_REG_COUNT)
			write_byte(u, (u16)at, (u8)(value >> (8 * i)));
	}
	update_irq(u);
}

size_t uart16550_rx_space(const struct uart16550 *u)
{
	if (loopback(u))
		return 0;
	return rx_capacity(u) - MIN((size_t)u->rx_count, rx_capacity(u));
}

size_t uart16550_rx_push(struct uart16550 *u, const u8 *buf, size_t n)
{
	size_t accepted = 0;

	if (loopback(u) || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		accepted += rx_put(u, buf[i]);
	update_irq(u);
	return accepted;
}
