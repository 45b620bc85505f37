/*
 * Test guest "isolation": a guest that goes looking for memory that is not
 * its own. Every guest-physical address that is neither its RAM nor one of
 * its devices gives it a synchronous external abort (never data), whether
 * read, written or executed, including where the host keeps the hypervisor
 * and the GIC's control interface, and beyond the 40-bit IPA space.
 * Hypercall buffers outside its RAM are refused. The hypervisor carries on
 * and the VM ends normally.
 */
#include "guest.h"

#define RAM_SIZE  (32ull << 20)
#define SCAN_STEP (1ull << 20)
#define SCAN_END  (RAM_BASE + (1ull << 30))

static bool aborted(bool write)
{
	u64 iss = ESR_ISS(probe.esr);

	return probe_faulted() && ESR_EC(probe.esr) == EC_DABT_CUR &&
	       (iss & 0x3f) == FSC_EXT_ABORT && !!(iss & ISS_WNR) == write;
}

int main(void)
{
	static const u64 holes[] = {
		0x0,        /* flash on QEMU virt */
		0x08030000, /* the host's GIC hypervisor control interface (GICH) */
		0x08040000, /* the host's virtual CPU interface, where the host has it */
		0x09010000, /* other devices of the host */
		0x0a000000,
		RAM_BASE + RAM_SIZE, /* just past the guest's RAM */
		0x4ff00000,          /* host RAM where the hypervisor's frames live */
		0x7ffff000,
		0xfffffff000ull,  /* the last page of the 40-bit IPA space */
		0x10000000000ull, /* beyond it */
	};
	unsigned aborts = 0, reads = 0, magic_elsewhere = 0;
	bool ok = true;

	for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		u64 a = holes[i];

		(void)probe_read64(a);
		ok &= aborted(false) && probe.far == a;
		probe_write32(a, 0xdeadbeef);
		ok &= aborted(true) && probe.far == a;
		if (!ok) {
			gprintf("address %#llx: esr %#llx far %#llx\n", (unsigned long long)a,
				(unsigned long long)probe.esr, (unsigned long long)probe.far);
			break;
		}
	}
	check(ok, probe.esr, "reads and writes outside RAM and devices: external aborts");

	probe_exec(0x50000000);
	check(probe_faulted() && ESR_EC(probe.esr) == EC_IABT_CUR &&
		  (ESR_ISS(probe.esr) & 0x3f) == FSC_EXT_ABORT && probe.far == 0x50000000,
	      probe.esr, "executing outside RAM: instruction abort");
	probe_exec(GICC_BASE);
	check(probe_faulted() && ESR_EC(probe.esr) == EC_IABT_CUR, probe.esr,
	      "executing from a device window: instruction abort");

	/* Scan the first GiB above RAM_BASE, where the host's RAM (and hv) is. */
	for (u64 a = RAM_BASE; a < SCAN_END; a += SCAN_STEP) {
		u64 magic = probe_read64(a + 56);

		if (probe_faulted()) {
			aborts++;
			continue;
		}
		reads++;
		/* The "ARM\x64" Image magic: ours at 0x40200000 only. */
		if ((u32)magic == IMAGE_MAGIC && a != 0x40200000)
			magic_elsewhere++;
	}
	check(reads == RAM_SIZE / SCAN_STEP && aborts == (SCAN_END - RAM_BASE) / SCAN_STEP - reads,
	      aborts, "scan: %u MiB of own RAM readable, %u aborts beyond", reads, aborts);
	check(magic_elsewhere == 0, magic_elsewhere,
	      "no other Image (the hypervisor's) is visible");

	check((s64)hvc_call(HC_CONSOLE_WRITE, RAM_BASE + RAM_SIZE - 8, 16, 0, 0).x0 == HC_EFAULT, 0,
	      "a hypercall buffer running past RAM: EFAULT");
	check((s64)hvc_call(HC_CONSOLE_WRITE, 0x4ff00000, 16, 0, 0).x0 == HC_EFAULT, 0,
	      "a hypercall buffer in host memory: EFAULT");
	return checks_done();
}
