/*
 * The guest's PC (contract and port map in x86/platform.h): the device
 * models of vmm/dev wired to each other and to the VM: PIT channel 0 and
 * the UART drive 8259 lines, the UART's transmitter writes the VM's console
 * stream and its receiver is fed from the console's input queue, ACPI
 * power-off and reset stop the VM. Also the idle loop of a halted vCPU.
 */
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/log.h>
#include <hv/mm.h>
#include <hv/vm.h>
#include <x86/layout.h>
#include <x86/platform.h>
#include <x86/x86.h>

#define COM1_SIZE       8
#define RX_CHUNK        UART_FIFO_SIZE
#define NO_DEADLINE_TSC (~0ull)

static void pit_irq0(void *ctx)
{
	struct x86_platform *p = ctx;

	/* An edge: the 8259 latches it, the line goes back down. */
	i8259_set_irq(&p->pic, X86_IRQ_PIT, true);
	i8259_set_irq(&p->pic, X86_IRQ_PIT, false);
}

static void uart_tx(void *ctx, u8 byte)
{
	struct x86_platform *p = ctx;

	vm_console_write(p->vm, (const char *)&byte, 1);
}

static void uart_irq(void *ctx, bool level)
{
	struct x86_platform *p = ctx;

	i8259_set_irq(&p->pic, X86_IRQ_COM1, level);
}

static void pm_power_off(void *ctx)
{
	struct x86_platform *p = ctx;

	vm_stop(p->vm, VM_STOP_OK, "the guest powered off (ACPI sleep state S5)");
}

static void pm_reset(void *ctx)
{
	struct x86_platform *p = ctx;

	vm_stop(p->vm, VM_STOP_OK, "the guest asked for a reset (port %#x)", ACPI_RESET_PORT);
}

static const struct i8254_ops pit_ops = { .irq0 = pit_irq0 };
static const struct uart16550_ops uart_ops = { .tx = uart_tx, .set_irq = uart_irq };
static const struct acpi_pm_ops pm_ops = { .power_off = pm_power_off, .reset = pm_reset };

static u64 now_ns(void)
{
	return arch_time_ns();
}

static void set_deadline(struct x86_platform *p)
{
	u64 next = i8254_next_event(&p->pit);

	p->next_timer_tsc =
	    next == I8254_NO_EVENT ? NO_DEADLINE_TSC : boot_tsc + x86_ns_to_tsc(next);
}

struct x86_platform *x86_platform_create(struct vm *vm)
{
	struct x86_platform *p = hv_zalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->vm = vm;
	i8259_init(&p->pic);
	i8254_init(&p->pit, &pit_ops, p);
	uart16550_init(&p->uart, &uart_ops, p);
	acpi_pm_init(&p->pm, &pm_ops, p);
	p->next_timer_tsc = NO_DEADLINE_TSC;
	return p;
}

void x86_platform_destroy(struct x86_platform *p)
{
	hv_free(p);
}

void x86_platform_timers(struct x86_platform *p)
{
	i8254_update(&p->pit, now_ns());
	set_deadline(p);
}

/* Move queued console input into the UART's receive FIFO as far as it has room. */
static void feed_uart(struct x86_platform *p)
{
	u8 buf[RX_CHUNK];
	size_t room = uart16550_rx_space(&p->uart), n;

	if (!room || !vm_console_input_pending(p->vm))
		return;
	n = vm_console_read(p->vm, buf, MIN(room, sizeof(buf)));
	if (n)
		uart16550_rx_push(&p->uart, buf, n);
}

void x86_platform_poll(struct x86_platform *p)
{
	console_poll_input();
	feed_uart(p);
	x86_platform_timers(p);
}

u64 x86_platform_idle(struct x86_platform *p)
{
	u64 waited = 0;

	x86_platform_poll(p);
	while (vm_is_running(p->vm) && !x86_platform_irq_pending(p)) {
		x86_host_wait();
		waited++;
		x86_platform_poll(p);
	}
	return waited;
}

/* One byte of an 8-bit device at port, or -1 if nothing of ours decodes it. */
static int byte_in(struct x86_platform *p, u16 port)
{
	switch (port) {
	case I8259_MASTER_BASE:
	case I8259_MASTER_BASE + 1:
		return i8259_read(&p->pic, 0, port - I8259_MASTER_BASE);
	case I8259_SLAVE_BASE:
	case I8259_SLAVE_BASE + 1:
		return i8259_read(&p->pic, 1, port - I8259_SLAVE_BASE);
	case I8259_ELCR_BASE:
	case I8259_ELCR_BASE + 1:
		return i8259_elcr_read(&p->pic, port - I8259_ELCR_BASE);
	case I8254_BASE:
	case I8254_BASE + 1:
	case I8254_BASE + 2:
	case I8254_BASE + 3:
		return i8254_read(&p->pit, port - I8254_BASE, now_ns());
	case I8254_PORT_B:
		return i8254_port_b_read(&p->pit, now_ns());
	default:
		break;
	}
	if (port >= X86_COM1 && port < X86_COM1 + COM1_SIZE) {
		u8 v = (u8)uart16550_read(&p->uart, port - X86_COM1, 1);

		/* Reading RBR made room: refill at once, so pasted text flows. */
		feed_uart(p);
		return v;
	}
	return -1;
}

static bool byte_out(struct x86_platform *p, u16 port, u8 v)
{
	switch (port) {
	case I8259_MASTER_BASE:
	case I8259_MASTER_BASE + 1:
		i8259_write(&p->pic, 0, port - I8259_MASTER_BASE, v);
		return true;
	case I8259_SLAVE_BASE:
	case I8259_SLAVE_BASE + 1:
		i8259_write(&p->pic, 1, port - I8259_SLAVE_BASE, v);
		return true;
	case I8259_ELCR_BASE:
	case I8259_ELCR_BASE + 1:
		i8259_elcr_write(&p->pic, port - I8259_ELCR_BASE, v);
		return true;
	case I8254_BASE:
	case I8254_BASE + 1:
	case I8254_BASE + 2:
	case I8254_BASE + 3:
		i8254_write(&p->pit, port - I8254_BASE, v, now_ns());
		set_deadline(p);
		return true;
	case I8254_PORT_B:
		i8254_port_b_write(&p->pit, v, now_ns());
		return true;
	default:
		break;
	}
	if (port >= X86_COM1 && port < X86_COM1 + COM1_SIZE) {
		uart16550_write(&p->uart, port - X86_COM1, 1, v);
		return true;
	}
	return false;
}

static bool is_acpi_pm(u16 port)
{
	return (port >= ACPI_PM_BASE && port < ACPI_PM_BASE + ACPI_PM_SIZE) ||
	       port == ACPI_RESET_PORT;
}

static void unclaimed(struct x86_platform *p, u16 port, bool write, unsigned size, u32 value)
{
	if (write)
		p->unclaimed_writes++;
	else
		p->unclaimed_reads++;
	p->last_unclaimed_port = port;
	log_trace("%s: %s of %u byte(s) at port %#x: no device (value %#x)", p->vm->name,
		  write ? "write" : "read", size, port, value);
}

u32 x86_platform_io_in(struct x86_platform *p, u16 port, unsigned size)
{
	u32 v = 0;
	bool any = false;

	if (is_acpi_pm(port))
		return acpi_pm_read(&p->pm, port, size, now_ns());
	/* Wider accesses to 8-bit devices are consecutive byte accesses (ISA). */
	for (unsigned i = 0; i < size; i++) {
		int b = byte_in(p, (u16)(port + i));

		any |= b >= 0;
		v |= (u32)(b < 0 ? 0xff : b) << (8 * i);
	}
	if (!any)
		unclaimed(p, port, false, size, v);
	return v;
}

void x86_platform_io_out(struct x86_platform *p, u16 port, unsigned size, u32 value)
{
	bool any = false;

	if (is_acpi_pm(port)) {
		acpi_pm_write(&p->pm, port, size, value, now_ns());
		return;
	}
	for (unsigned i = 0; i < size; i++)
		any |= byte_out(p, (u16)(port + i), (u8)(value >> (8 * i)));
	if (!any)
		unclaimed(p, port, true, size, value);
}

void x86_platform_print_stats(const struct x86_platform *p)
{
	const char *name = p->vm->name;

	log_info("%s: devices: PIT %llu timer interrupts (%llu coalesced), 8259 %llu spurious, "
		 "UART %llu bytes out, %llu in, %llu overruns",
		 name, (unsigned long long)p->pit.irqs, (unsigned long long)p->pit.lost,
		 (unsigned long long)p->pic.spurious, (unsigned long long)p->uart.tx_bytes,
		 (unsigned long long)p->uart.rx_bytes, (unsigned long long)p->uart.rx_overruns);
	if (p->unclaimed_reads || p->unclaimed_writes)
		log_info("%s: devices: %llu reads and %llu writes at ports nothing decodes (last "
			 "%#x)",
			 name, (unsigned long long)p->unclaimed_reads,
			 (unsigned long long)p->unclaimed_writes, p->last_unclaimed_port);
}
