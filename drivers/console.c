/*
 * The console (contract in hv/console.h): one output device, one lock, and
 * "\n" -> "\r\n" translation so every serial terminal shows lines correctly.
 */
#include <hv/console.h>
#include <hv/lock.h>

static const struct console_dev *console_dev;
static spinlock_t console_lock = SPINLOCK_INIT;
static bool console_panicking;

void console_set(const struct console_dev *dev)
{
	spin_lock(&console_lock);
	console_dev = dev;
	spin_unlock(&console_lock);
}

const struct console_dev *console_get(void)
{
	return console_dev;
}

void console_write(const char *s, size_t n)
{
	bool lock = !READ_ONCE(console_panicking);

	if (lock)
		spin_lock(&console_lock);
	if (console_dev) {
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\n')
				console_dev->putc('\r');
			console_dev->putc(s[i]);
		}
	}
	if (lock)
		spin_unlock(&console_lock);
}

void console_panic_begin(void)
{
	WRITE_ONCE(console_panicking, true);
}

int console_getc(void)
{
	const struct console_dev *dev = console_dev;

	if (!dev || !dev->getc)
		return -1;
	return dev->getc();
}
