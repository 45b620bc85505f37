/*
 * The 16550 UART console driver (drivers/uart16550.c): port-mapped, polled,
 * 115200 baud 8N1, FIFOs on. One UART drives the console at a time.
 */
#ifndef HV_UART16550_H
#define HV_UART16550_H

#include <hv/console.h>
#include <hv/types.h>

/* Legacy PC serial ports. */
#define UART_COM1 0x3f8
#define UART_COM2 0x2f8
#define UART_COM3 0x3e8
#define UART_COM4 0x2e8

/*
 * Program the UART at port (115200 8N1, FIFOs) and return its console, or
 * NULL when nothing answers there (the scratch register does not hold a
 * value). probe = false skips the presence test, for the very first output.
 */
const struct console_dev *uart16550_console_init(u16 port, bool probe);

/* Wait until everything written has left the transmitter (LSR.TEMT). */
void uart16550_console_flush(void);

#endif /* HV_UART16550_H */
