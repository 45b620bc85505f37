/*
 * 16550 UART console (contract in hv/uart16550_console.h). Register layout from the
 * PC16550D datasheet: THR/RBR at +0, IER +1, FCR/IIR +2, LCR +3, MCR +4,
 * LSR +5, SCR +7; with LCR.DLAB set, +0/+1 are the divisor latch.
 *
 * Output polls LSR.THRE with a bound: a missing or wedged UART must slow the
 * console down, never hang the hypervisor.
 */
#include <arch/io.h>
#include <hv/fmt.h>
#include <hv/uart16550_console.h>

#define UART_THR     0 /* transmit holding (write) */
#define UART_RBR     0 /* receive buffer (read) */
#define UART_DLL     0 /* divisor latch low (DLAB = 1) */
#define UART_IER     1
#define UART_DLM     1 /* divisor latch high (DLAB = 1) */
#define UART_FCR     2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_SCR     7

#define LCR_8N1      0x03 /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB     0x80
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIG_14  0xc0
#define MCR_DTR      0x01
#define MCR_RTS      0x02
#define MCR_OUT2     0x08
#define LSR_DR       0x01 /* data ready */
#define LSR_THRE     0x20 /* transmit holding register empty */
#define LSR_TEMT     0x40 /* transmitter empty */

#define UART_CLOCK   115200 /* divisor 1 = 115200 baud */
#define UART_BAUD    115200
#define SPIN_LIMIT   100000 /* polls before giving up on a busy transmitter */

static u16 uart_port;
static char uart_name[16];

static void uart_putc(char c)
{
	for (u32 i = 0; i < SPIN_LIMIT; i++)
		if (arch_io_in8(uart_port + UART_LSR) & LSR_THRE)
			break;
	arch_io_out8(uart_port + UART_THR, (u8)c);
}

static int uart_getc(void)
{
	if (!(arch_io_in8(uart_port + UART_LSR) & LSR_DR))
		return -1;
	return arch_io_in8(uart_port + UART_RBR);
}

static const struct console_dev uart_console = {
	.name = uart_name,
	.putc = uart_putc,
	.getc = uart_getc,
};

static bool uart_present(u16 port)
{
	arch_io_out8(port + UART_SCR, 0x5a);
	if (arch_io_in8(port + UART_SCR) != 0x5a)
		return false;
	arch_io_out8(port + UART_SCR, 0xa5);
	return arch_io_in8(port + UART_SCR) == 0xa5;
}

const struct console_dev *uart16550_console_init(u16 port, bool probe)
{
	u16 divisor = UART_CLOCK / UART_BAUD;

	if (probe && !uart_present(port))
		return NULL;
	if (uart_port)
		uart16550_console_flush();
	arch_io_out8(port + UART_IER, 0); /* polled: no interrupts */
	arch_io_out8(port + UART_LCR, LCR_DLAB);
	arch_io_out8(port + UART_DLL, (u8)divisor);
	arch_io_out8(port + UART_DLM, (u8)(divisor >> 8));
	arch_io_out8(port + UART_LCR, LCR_8N1);
	arch_io_out8(port + UART_FCR, FCR_ENABLE | FCR_CLEAR_RX | FCR_CLEAR_TX | FCR_TRIG_14);
	arch_io_out8(port + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	uart_port = port;
	switch (port) {
	case UART_COM1:
	case UART_COM2:
	case UART_COM3:
	case UART_COM4:
		fmt_snprintf(uart_name, sizeof(uart_name), "com%d",
			     port == UART_COM1   ? 1
			     : port == UART_COM2 ? 2
			     : port == UART_COM3 ? 3
						 : 4);
		break;
	default:
		fmt_snprintf(uart_name, sizeof(uart_name), "uart@%#x", port);
		break;
	}
	return &uart_console;
}

void uart16550_console_flush(void)
{
	if (!uart_port)
		return;
	for (u32 i = 0; i < SPIN_LIMIT; i++)
		if (arch_io_in8(uart_port + UART_LSR) & LSR_TEMT)
			return;
}
