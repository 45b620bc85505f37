/*
 * The Arm PrimeCell UART (PL011) as the hypervisor's console.
 */
#ifndef HV_PL011_CONSOLE_H
#define HV_PL011_CONSOLE_H

#include <hv/console.h>
#include <hv/types.h>

/*
 * Take over the PL011 at base. With a known reference clock it is programmed
 * for 115200 8N1 with FIFOs; with clock_hz == 0 the firmware's line settings
 * are kept and only transmit and receive are enabled. Uses no locks and no
 * memory but its own state, so it may run with the MMU off. Returns the
 * console device to hand to console_set().
 */
const struct console_dev *pl011_console_init(u64 base, u32 clock_hz);

/*
 * Raise the UART's interrupt while received bytes wait (on) or never (off,
 * the default: polled). The interrupt clears as the receive FIFO is read,
 * which getc does; the caller routes the interrupt line itself.
 */
void pl011_console_rx_irq(bool on);

/* Wait until every queued byte has left the transmitter (before power-off). */
void pl011_console_flush(void);

#endif /* HV_PL011_CONSOLE_H */
