/*
 * The emulated PL011 (contract and model in hv/dev/pl011.h). This file owns
 * the register semantics: the RX FIFO and its trigger levels, the raw and
 * masked interrupt status with the TRM's set and clear rules, loopback, the
 * ID registers, and the access-width policy.
 *
 * Interrupt rules modelled (TRM 2.8 "Interrupts"):
 *   TX  set when a transmitted byte leaves the FIFO (it drains below the
 *       level at once); cleared by ICR.
 *   RX  set when a push brings the FIFO to the trigger level; cleared by
 *       reading it below the level, or by ICR.
 *   RT  set when data is left in the FIFO after a push (the line goes idle);
 *       cleared when the FIFO empties, or by ICR.
 *   OE  set on overrun; cleared by ICR. Modem bits: set on a line change.
 * The IRQ line is UARTINTR = (RIS & IMSC) != 0.
 */
#include <hv/dev/pl011.h>
#include <hv/errno.h>
#include <hv/string.h>

#define IFLS_LEVEL_COUNT 5

/* FIFO fill levels in eighths for IFLS field values 0-4 (TRM 3.3.9). */
static const u8 ifls_eighths[IFLS_LEVEL_COUNT] = { 1, 2, 4, 6, 7 };

static bool fifo_enabled(const struct pl011 *p)
{
	return p->lcr_h & PL011_LCR_H_FEN;
}

static bool loopback(const struct pl011 *p)
{
	return p->cr & PL011_CR_LBE;
}

static bool rx_enabled(const struct pl011 *p)
{
	return (p->cr & PL011_CR_UARTEN) && (p->cr & PL011_CR_RXE);
}

static bool tx_enabled(const struct pl011 *p)
{
	return (p->cr & PL011_CR_UARTEN) && (p->cr & PL011_CR_TXE);
}

static unsigned rx_capacity(const struct pl011 *p)
{
	return fifo_enabled(p) ? PL011_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct pl011 *p)
{
	unsigned sel = (p->ifls >> PL011_IFLS_RX_SHIFT) & PL011_IFLS_FIELD;

	if (!fifo_enabled(p))
		return 1;
	/* Values 5-7 are reserved: take the highest defined level. */
	if (sel >= IFLS_LEVEL_COUNT)
		sel = IFLS_LEVEL_COUNT - 1;
	return PL011_FIFO_SIZE * ifls_eighths[sel] / 8;
}

static void update_irq(struct pl011 *p)
{
	bool level = (p->ris & p->imsc) != 0;

	if (level == p->irq_line)
		return;
	p->irq_line = level;
	if (p->ops->set_irq)
		p->ops->set_irq(p->ctx, level);
}

/* Modem input lines as FR bits: from CR in loopback, else a connected terminal. */
static u32 modem_lines(const struct pl011 *p)
{
	u32 fr = 0;

	if (!loopback(p))
		return PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD;
	/* TRM 3.3.8, LBE: RTS->CTS, DTR->DSR, Out1->DCD, Out2->RI. */
	if (p->cr & PL011_CR_RTS)
		fr |= PL011_FR_CTS;
	if (p->cr & PL011_CR_DTR)
		fr |= PL011_FR_DSR;
	if (p->cr & PL011_CR_OUT1)
		fr |= PL011_FR_DCD;
	if (p->cr & PL011_CR_OUT2)
		fr |= PL011_FR_RI;
	return fr;
}

static u32 modem_change_bits(u32 old_lines, u32 new_lines)
{
	u32 changed = old_lines ^ new_lines, ris = 0;

	if (changed & PL011_FR_CTS)
		ris |= PL011_INT_CTS;
	if (changed & PL011_FR_DSR)
		ris |= PL011_INT_DSR;
	if (changed & PL011_FR_DCD)
		ris |= PL011_INT_DCD;
	if (changed & PL011_FR_RI)
		ris |= PL011_INT_RI;
	return ris;
}

static bool rx_put(struct pl011 *p, u8 byte)
{
	if (p->rx_count >= rx_capacity(p)) {
		/* The newest entry carries the overrun flag, as DR reports it. */
		if (p->rx_count)
			p->rx_fifo[(p->rx_head + p->rx_count - 1) % PL011_FIFO_SIZE] |= PL011_DR_OE;
		p->rsr |= PL011_RSR_OE;
		p->ris |= PL011_INT_OE;
		p->rx_overruns++;
		return false;
	}
	p->rx_fifo[(p->rx_head + p->rx_count) % PL011_FIFO_SIZE] = byte;
	p->rx_count++;
	p->rx_bytes++;
	if (p->rx_count >= rx_trigger(p))
		p->ris |= PL011_INT_RX;
	return true;
}

void pl011_init(struct pl011 *p, const struct pl011_ops *ops, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->ctx = ctx;
	p->ibrd = PL011_RESET_IBRD;
	p->fbrd = PL011_RESET_FBRD;
	p->lcr_h = PL011_LCR_H_WLEN_8 | PL011_LCR_H_FEN;
	p->cr = PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE;
	p->ifls = PL011_IFLS_RESET;
}

static u32 read_dr(struct pl011 *p)
{
	u16 entry;

	if (!p->rx_count)
		return 0;
	entry = p->rx_fifo[p->rx_head];
	p->rx_head = (u8)((p->rx_head + 1) % PL011_FIFO_SIZE);
	p->rx_count--;
	/* RSR mirrors the error flags of the byte last read (TRM 3.3.2). */
	p->rsr |= (entry >> 8) & PL011_RSR_MASK;
	if (p->rx_count < rx_trigger(p))
		p->ris &= ~PL011_INT_RX;
	if (!p->rx_count)
		p->ris &= ~PL011_INT_RT;
	return entry;
}

static u32 read_fr(const struct pl011 *p)
{
	u32 fr = modem_lines(p) | PL011_FR_TXFE;

	if (!p->rx_count)
		fr |= PL011_FR_RXFE;
	if (p->rx_count >= rx_capacity(p))
		fr |= PL011_FR_RXFF;
	return fr;
}

/* The ID registers: one byte of the 32-bit ID in each word (TRM 3.3.15-16). */
static u32 read_id(u64 reg)
{
	u32 id = reg >= PL011_PCELLID0 ? PL011_PCELL_ID : PL011_PERIPH_ID;
	unsigned byte =
	    (unsigned)((reg - (reg >= PL011_PCELLID0 ? PL011_PCELLID0 : PL011_PERIPHID0)) / 4);

	return (id >> (8 * byte)) & 0xff;
}

static u32 read_reg(struct pl011 *p, u64 reg)
{
	switch (reg) {
	case PL011_DR:
		return read_dr(p);
	case PL011_RSR_ECR:
		return p->rsr;
	case PL011_FR:
		return read_fr(p);
	case PL011_ILPR:
		return p->ilpr;
	case PL011_IBRD:
		return p->ibrd;
	case PL011_FBRD:
		return p->fbrd;
	case PL011_LCR_H:
		return p->lcr_h;
	case PL011_CR:
		return p->cr;
	case PL011_IFLS:
		return p->ifls;
	case PL011_IMSC:
		return p->imsc;
	case PL011_RIS:
		return p->ris;
	case PL011_MIS:
		return p->ris & p->imsc;
	case PL011_DMACR:
		return p->dmacr;
	default:
		if (reg >= PL011_PERIPHID0 && reg < PL011_ID_REG_END)
			return read_id(reg);
		return 0; /* reserved: read as zero */
	}
}

static void write_dr(struct pl011 *p, u8 byte)
{
	if (!tx_enabled(p))
		return;
	p->tx_bytes++;
	if (loopback(p)) {
		if (rx_enabled(p) && rx_put(p, byte) && p->rx_count)
			p->ris |= PL011_INT_RT;
	} else {
		p->ops->tx(p->ctx, byte);
	}
	p->ris |= PL011_INT_TX;
}

static void write_cr(struct pl011 *p, u32 value)
{
	u32 old_lines = modem_lines(p);

	p->cr = value & PL011_CR_MASK;
	p->ris |= modem_change_bits(old_lines, modem_lines(p));
}

static void write_lcr_h(struct pl011 *p, u32 value)
{
	/* Changing FEN: the model keeps queued bytes; capacity applies to new ones. */
	p->lcr_h = value & PL011_LCR_H_MASK;
	if (p->rx_count && p->rx_count >= rx_trigger(p))
		p->ris |= PL011_INT_RX;
}

static void write_reg(struct pl011 *p, u64 reg, u32 value)
{
	switch (reg) {
	case PL011_DR:
		write_dr(p, (u8)(value & PL011_DR_DATA_MASK));
		break;
	case PL011_RSR_ECR:
		p->rsr = 0; /* any write clears the errors */
		break;
	case PL011_ILPR:
		p->ilpr = value & PL011_ILPR_MASK;
		break;
	case PL011_IBRD:
		p->ibrd = value & PL011_IBRD_MASK;
		break;
	case PL011_FBRD:
		p->fbrd = value & PL011_FBRD_MASK;
		break;
	case PL011_LCR_H:
		write_lcr_h(p, value);
		break;
	case PL011_CR:
		write_cr(p, value);
		break;
	case PL011_IFLS:
		p->ifls = value & PL011_IFLS_MASK;
		break;
	case PL011_IMSC:
		p->imsc = value & PL011_INT_MASK;
		break;
	case PL011_ICR:
		p->ris &= ~(value & PL011_INT_MASK);
		break;
	case PL011_DMACR:
		/* Stored only: the model has no DMA, and our DT offers no channels. */
		p->dmacr = value & PL011_DMACR_MASK;
		break;
	default:
		break; /* FR, RIS, MIS, IDs and reserved offsets are read-only */
	}
}

static bool access_ok(struct pl011 *p, u64 offset, unsigned width)
{
	if ((width != 1 && width != 2 && width != 4) || (offset & (width - 1)) ||
	    offset >= PL011_MMIO_SIZE) {
		p->bad_accesses++;
		return false;
	}
	return true;
}

int pl011_mmio_read(struct pl011 *p, u64 offset, unsigned width, u64 *value)
{
	u32 reg_value;
	unsigned shift = (unsigned)(offset & 3) * 8;

	*value = 0;
	if (!access_ok(p, offset, width))
		return HV_EINVAL;
	reg_value = read_reg(p, offset & ~3ull);
	*value = (reg_value >> shift) & (u32)GENMASK(width * 8 - 1, 0);
	update_irq(p);
	return 0;
}

int pl011_mmio_write(struct pl011 *p, u64 offset, unsigned width, u64 value)
{
	if (!access_ok(p, offset, width))
		return HV_EINVAL;
	if (offset & 3) {
		p->bad_accesses++;
		return 0;
	}
	write_reg(p, offset, (u32)(value & GENMASK(width * 8 - 1, 0)));
	update_irq(p);
	return 0;
}

size_t pl011_rx_space(const struct pl011 *p)
{
	if (!rx_enabled(p) || loopback(p) || p->rx_count >= rx_capacity(p))
		return 0;
	return rx_capacity(p) - p->rx_count;
}

size_t pl011_rx_push(struct pl011 *p, const u8 *buf, size_t n)
{
	size_t accepted = 0;

	if (!rx_enabled(p) || loopback(p) || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		accepted += rx_put(p, buf[i]);
	/* The line goes idle after the burst: the receive timeout fires. */
	if (p->rx_count)
		p->ris |= PL011_INT_RT;
	update_irq(p);
	return accepted;
}
