/*
 * TSC frequency and time since boot.
 *
 * The frequency comes from CPUID leaf 0x15 (TSC/crystal ratio and crystal
 * frequency, SDM 2A "CPUID" and 3B 18.7.3) when it is complete; when the
 * crystal frequency is missing but the ratio is there, the TSC runs at the
 * processor base frequency of leaf 0x16; otherwise by counting TSC ticks across 10 ms of PIT channel 2
 * (8254 datasheet, mode 0; the channel's output is readable at port 0x61
 * bit 5). Time 0 is the TSC value the entry code saved at its first
 * instruction, so log time stamps count from entry.
 *
 * ns = (cycles * mult) >> 32, mult = 10^9 * 2^32 / hz: one 64x64->128
 * multiply per time stamp, no division.
 */
#include <arch/cpu.h>
#include <hv/log.h>
#include <x86/asm.h>
#include <x86/cpuid.h>
#include <x86/layout.h>
#include <x86/x86.h>

#define PIT_HZ                 1193182u
#define PIT_CH2_DATA           0x42
#define PIT_CMD                0x43
#define PIT_CMD_CH2_MODE0_LOHI 0xb0 /* channel 2, lobyte/hibyte, mode 0, binary */
#define PORT_B                 0x61
#define PORT_B_GATE2           0x01
#define PORT_B_SPEAKER         0x02
#define PORT_B_OUT2            0x20
#define PIT_CAL_MS             10
#define PIT_POLL_LIMIT         100000000ull

static u64 tsc_hz;
static u64 ns_mult;     /* 0 until calibrated: time reads as 0 */
static u64 cycles_mult; /* cycles = (ns * cycles_mult) >> CYCLES_SHIFT */

#define CYCLES_SHIFT 30 /* hz * 2^30 fits 64 bits for any TSC below 17 GHz */

static u64 pit_measure(void)
{
	u32 count = PIT_HZ * PIT_CAL_MS / 1000;
	u8 saved = inb(PORT_B);
	u64 t0, t1, polls = 0;

	outb(PORT_B, (u8)((saved & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_CMD, PIT_CMD_CH2_MODE0_LOHI);
	outb(PIT_CH2_DATA, (u8)count);
	outb(PIT_CH2_DATA, (u8)(count >> 8));
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2) && ++polls < PIT_POLL_LIMIT)
		;
	t1 = rdtsc();
	outb(PORT_B, saved);
	if (polls >= PIT_POLL_LIMIT)
		return 0;
	return (t1 - t0) * PIT_HZ / count;
}

void x86_tsc_init(void)
{
	struct cpuid_regs r = cpuid(CPUID_LEAF_VENDOR);
	u32 max_leaf = r.eax;
	const char *source = "PIT";

	if (max_leaf >= CPUID_LEAF_TSC) {
		struct cpuid_regs t = cpuid(CPUID_LEAF_TSC);

		if (t.eax && t.ebx && t.ecx) {
			tsc_hz = (u64)t.ecx * t.ebx / t.eax;
			source = "CPUID 0x15";
		} else if (t.eax && t.ebx && max_leaf >= CPUID_LEAF_FREQ &&
			   (cpuid(CPUID_LEAF_FREQ).eax & 0xffff)) {
			tsc_hz = (u64)(cpuid(CPUID_LEAF_FREQ).eax & 0xffff) * 1000000;
			source = "CPUID 0x15 + 0x16";
		}
	}
	if (!tsc_hz)
		tsc_hz = pit_measure();
	if (!tsc_hz) {
		tsc_hz = 1000000000ull;
		source = "nothing (PIT did not count); assuming 1 GHz";
	}
	ns_mult = (1000000000ull << 32) / tsc_hz;
	cycles_mult = (tsc_hz << CYCLES_SHIFT) / 1000000000ull;
	log_info("tsc: %llu.%03llu MHz, from %s%s", (unsigned long long)(tsc_hz / 1000000),
		 (unsigned long long)(tsc_hz / 1000 % 1000), source,
		 cpuid(CPUID_LEAF_EXT_MAX).eax >= CPUID_LEAF_POWER &&
			 (cpuid(CPUID_LEAF_POWER).edx & CPUID_POWER_EDX_INVARIANT_TSC)
		     ? ", invariant"
		     : "");
}

u64 x86_tsc_hz(void)
{
	return tsc_hz;
}

u64 x86_tsc_to_ns(u64 cycles)
{
	return (u64)(((unsigned __int128)cycles * ns_mult) >> 32);
}

u64 x86_ns_to_tsc(u64 ns)
{
	return (u64)(((unsigned __int128)ns * cycles_mult) >> CYCLES_SHIFT);
}

u64 arch_time_ns(void)
{
	return x86_tsc_to_ns(rdtsc() - boot_tsc);
}
