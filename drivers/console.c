/*
 * The console (contract in hv/console.h): the output device and its lock,
 * "\n" -> "\r\n" translation, and the multiplexing of one serial line between
 * the hypervisor and its guests: per-line guest tags, a line break whenever
 * the writer changes mid-line, input routing to the focused guest, and the
 * Ctrl-] escape commands.
 */
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/lock.h>
#include <hv/log.h>
#include <hv/string.h>

#define GUEST_TAG_SEPARATOR "| "
#define FOCUS_DIGIT_COUNT   10

/* Output: the device, and where the line on screen stands (console_lock). */
static const struct console_dev *console_dev;
static spinlock_t console_lock = SPINLOCK_INIT;
static const struct console_guest *line_owner; /* NULL: the hypervisor */
static bool line_start = true;
static bool line_after_cr;

/* Input: guests, focus and queues (input_lock); escape state (poll_lock). */
static spinlock_t input_lock = SPINLOCK_INIT;
static spinlock_t poll_lock = SPINLOCK_INIT;
static struct list_node guests = LIST_HEAD_INIT(guests);
static struct console_guest *focus;
static u64 unrouted_input;
static bool escape_pending;
static void (*stats_hook)(void *ctx);
static void *stats_ctx;
static bool (*monitor_hook)(void *ctx, char cmd);
static void *monitor_ctx;
static bool console_panicking;

void console_set(const struct console_dev *dev)
{
	spin_lock(&console_lock);
	console_dev = dev;
	line_owner = NULL;
	line_start = true;
	spin_unlock(&console_lock);
}

const struct console_dev *console_get(void)
{
	return console_dev;
}

static void put_raw(char c)
{
	console_dev->putc(c);
	line_after_cr = c == '\r';
	if (c == '\n')
		line_start = true;
}

/* A "\n" not already preceded by "\r" goes out as "\r\n". */
static void put_text(char c)
{
	if (c == '\n' && !line_after_cr)
		put_raw('\r');
	put_raw(c);
}

/* Called with console_lock held, before owner writes its first byte. */
static void switch_owner(const struct console_guest *owner)
{
	if (line_owner != owner && !line_start) {
		put_raw('\r');
		put_raw('\n');
	}
	line_owner = owner;
}

void console_write(const char *s, size_t n)
{
	bool lock = !READ_ONCE(console_panicking);

	if (lock)
		spin_lock(&console_lock);
	if (console_dev && n) {
		switch_owner(NULL);
		for (size_t i = 0; i < n; i++) {
			line_start = false;
			put_text(s[i]);
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

void console_guest_write(struct console_guest *g, const char *s, size_t n)
{
	spin_lock(&console_lock);
	g->bytes_out += n;
	if (console_dev && n) {
		switch_owner(g);
		for (size_t i = 0; i < n; i++) {
			if (line_start) {
				for (const char *t = g->tag; *t; t++)
					put_raw(*t);
				for (const char *t = GUEST_TAG_SEPARATOR; *t; t++)
					put_raw(*t);
				line_start = false;
			}
			put_text(s[i]);
		}
	}
	spin_unlock(&console_lock);
}

int console_guest_register(struct console_guest *g, const char *tag, void (*input_ready)(void *ctx),
			   void *ctx)
{
	size_t len = strnlen(tag, CONSOLE_TAG_MAX);
	struct console_guest *it;

	if (len == 0 || len >= CONSOLE_TAG_MAX)
		return HV_EINVAL;
	spin_lock(&input_lock);
	list_for_each_entry (it, &guests, link) {
		if (it == g) {
			spin_unlock(&input_lock);
			return HV_EEXIST;
		}
	}
	memset(g, 0, sizeof(*g));
	memcpy(g->tag, tag, len);
	g->input_ready = input_ready;
	g->ctx = ctx;
	list_add_tail(&g->link, &guests);
	if (!focus)
		focus = g;
	spin_unlock(&input_lock);
	return 0;
}

void console_guest_unregister(struct console_guest *g)
{
	spin_lock(&input_lock);
	if (list_is_linked(&g->link)) {
		list_del(&g->link);
		if (focus == g)
			focus = list_empty(&guests)
				    ? NULL
				    : list_entry(guests.next, struct console_guest, link);
	}
	spin_unlock(&input_lock);
	/* A later write must not compare equal to a freed guest's pointer. */
	spin_lock(&console_lock);
	if (line_owner == g) {
		if (console_dev && !line_start) {
			put_raw('\r');
			put_raw('\n');
		}
		line_owner = NULL;
	}
	spin_unlock(&console_lock);
}

size_t console_guest_read(struct console_guest *g, u8 *buf, size_t max)
{
	size_t n = 0;

	spin_lock(&input_lock);
	while (n < max && g->queue_count) {
		buf[n++] = g->queue[g->queue_head];
		g->queue_head = (g->queue_head + 1) % CONSOLE_INPUT_QUEUE;
		g->queue_count--;
	}
	spin_unlock(&input_lock);
	return n;
}

void console_focus_set(struct console_guest *g)
{
	spin_lock(&input_lock);
	focus = g;
	spin_unlock(&input_lock);
}

struct console_guest *console_focus_get(void)
{
	return focus;
}

void console_set_stats_hook(void (*fn)(void *ctx), void *ctx)
{
	spin_lock(&input_lock);
	stats_hook = fn;
	stats_ctx = ctx;
	spin_unlock(&input_lock);
}

void console_set_monitor_hook(bool (*fn)(void *ctx, char cmd), void *ctx)
{
	spin_lock(&input_lock);
	monitor_hook = fn;
	monitor_ctx = ctx;
	spin_unlock(&input_lock);
}

u64 console_unrouted_input(void)
{
	return __atomic_load_n(&unrouted_input, __ATOMIC_RELAXED);
}

/* Queue one byte for the focused guest; returns the guest to notify, if any. */
static struct console_guest *route_to_focus(u8 byte)
{
	struct console_guest *g;

	spin_lock(&input_lock);
	g = focus;
	if (!g) {
		unrouted_input++;
	} else if (g->queue_count == CONSOLE_INPUT_QUEUE) {
		g->input_dropped++;
		g = NULL;
	} else {
		g->queue[(g->queue_head + g->queue_count) % CONSOLE_INPUT_QUEUE] = byte;
		g->queue_count++;
		g->bytes_in++;
	}
	spin_unlock(&input_lock);
	return g;
}

static void print_help(void)
{
	log_printf(LOG_INFO, "console: Ctrl-] then: h help, s statistics, 0-9 focus guest n, "
			     "Ctrl-] send Ctrl-] to the guest");
}

static void print_stats(void)
{
	struct console_guest *g;
	void (*hook)(void *ctx);
	void *ctx;

	log_printf(LOG_INFO, "console: %llu input bytes had no guest to go to",
		   (unsigned long long)console_unrouted_input());
	/* Order: input lock, then (inside log_printf) the console lock. */
	spin_lock(&input_lock);
	list_for_each_entry (g, &guests, link)
		log_printf(LOG_INFO, "console: %s%s: out %llu bytes, in %llu, dropped %llu", g->tag,
			   g == focus ? " (focus)" : "", (unsigned long long)g->bytes_out,
			   (unsigned long long)g->bytes_in, (unsigned long long)g->input_dropped);
	hook = stats_hook;
	ctx = stats_ctx;
	spin_unlock(&input_lock);
	if (hook)
		hook(ctx);
}

static void focus_index(unsigned index)
{
	struct console_guest *g, *found = NULL;
	unsigned i = 0;

	spin_lock(&input_lock);
	list_for_each_entry (g, &guests, link) {
		if (i++ == index) {
			found = g;
			break;
		}
	}
	if (found)
		focus = found;
	spin_unlock(&input_lock);
	if (found)
		log_printf(LOG_INFO, "console: input now goes to %s", found->tag);
	else
		log_printf(LOG_INFO, "console: no guest %u", index);
}

static void escape_command(u8 cmd)
{
	bool (*hook)(void *ctx, char cmd);
	void *ctx;

	switch (cmd) {
	case 'h':
	case '?':
		print_help();
		return;
	case 's':
		print_stats();
		return;
	default:
		break;
	}
	if (cmd >= '0' && cmd < '0' + FOCUS_DIGIT_COUNT) {
		focus_index(cmd - '0');
		return;
	}
	spin_lock(&input_lock);
	hook = monitor_hook;
	ctx = monitor_ctx;
	spin_unlock(&input_lock);
	if (!hook || !hook(ctx, (char)cmd))
		log_printf(LOG_INFO,
			   "console: unknown command after Ctrl-] (%#x); Ctrl-] h for help", cmd);
}

/* One input byte; poll_lock held. Returns a guest to notify, or NULL. */
static struct console_guest *input_byte(u8 byte)
{
	if (escape_pending) {
		escape_pending = false;
		if (byte == CONSOLE_ESCAPE)
			return route_to_focus(byte);
		escape_command(byte);
		return NULL;
	}
	if (byte == CONSOLE_ESCAPE) {
		escape_pending = true;
		return NULL;
	}
	return route_to_focus(byte);
}

/* Feed bytes with poll_lock held; each guest fed is notified once per change of target. */
static size_t input_locked(const u8 *buf, size_t n)
{
	struct console_guest *pending = NULL;

	for (size_t i = 0; i < n; i++) {
		struct console_guest *g = input_byte(buf[i]);

		if (g && g != pending) {
			if (pending && pending->input_ready)
				pending->input_ready(pending->ctx);
			pending = g;
		}
	}
	if (pending && pending->input_ready)
		pending->input_ready(pending->ctx);
	return n;
}

void console_input(const u8 *buf, size_t n)
{
	spin_lock(&poll_lock);
	input_locked(buf, n);
	spin_unlock(&poll_lock);
}

size_t console_poll_input(void)
{
	const struct console_dev *dev = console_dev;
	u8 buf[CONSOLE_POLL_BUDGET];
	size_t n = 0;

	if (!dev || !dev->getc)
		return 0;
	/* Another CPU is polling: it will see what is waiting. */
	if (!spin_trylock(&poll_lock))
		return 0;
	while (n < sizeof(buf)) {
		int c = dev->getc();

		if (c < 0)
			break;
		buf[n++] = (u8)c;
	}
	input_locked(buf, n);
	spin_unlock(&poll_lock);
	return n;
}
