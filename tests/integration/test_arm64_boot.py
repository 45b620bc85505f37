"""arm64: the hypervisor boots at EL2 under QEMU virt and prints the boot report.

Each test boots a fresh QEMU (the command line of `make ARCH=arm64 run`,
plus what the test varies) and asserts on the serial output and the exit
status: 0 through PSCI SYSTEM_OFF on success.
"""
import pathlib
import re
import subprocess

import pytest

from conftest import ROOT, run_emulator

IMAGE = ROOT / "build" / "arm64" / "hv.bin"
TIMEOUT = 30


def qemu(machine="virt,virtualization=on", cpu="max", mem="256M", extra=()):
    return ["qemu-system-aarch64", "-M", machine, "-cpu", cpu, "-m", mem, "-nographic",
            "-no-reboot", "-semihosting-config", "enable=on,target=native",
            "-kernel", str(IMAGE), *extra]


@pytest.fixture(scope="module", autouse=True)
def arm64_image():
    subprocess.run(["make", "-s", "ARCH=arm64"], cwd=ROOT, check=True)
    assert IMAGE.exists()


def boot(request, **kw):
    return run_emulator(qemu(**kw), TIMEOUT, request)


def test_boot_report(request):
    b = boot(request)
    out = b.output
    assert b.status == 0, "a clean boot ends with PSCI SYSTEM_OFF, status 0"
    assert "\nhv 0.1 (arm64)\n" in out
    assert re.search(r"cpu: MIDR_EL1 0x[0-9a-f]{8}: implementer 0x[0-9a-f]{2}", out)
    assert "virt: EL2 yes, VHE yes, FEAT_NV no" in out  # QEMU 7.2 -cpu max has no FEAT_NV
    assert re.search(r"virt: stage-2 granules 4K 16K 64K, blocks 2M 1G \(4K granule\), "
                     r"VMID 16 bits", out)
    assert re.search(r"virt: PA range \d+ bits \(PARange \d\), IPA up to \d+ bits; "
                     r"hypervisor VA 48 bits", out)
    assert "memory map: 1 regions, 256 MiB usable" in out
    assert re.search(r"I   \[0x0000000040000000-0x000000004fffffff\] usable +256 MiB", out)
    assert re.search(r"I reserved: \[0x[0-9a-f]+-0x[0-9a-f]+\] device tree", out)
    assert re.search(r"I free memory: [\d.]+ MiB of 256 MiB usable \(\d+ of 65536 frames", out)
    assert "fdt: console PL011 at 0x9000000, clock 24000000 Hz" in out
    assert ("fdt: GICv2 distributor 0x8000000, CPU interface 0x8010000, "
            "hyp interface 0x8030000, maintenance IRQ 25") in out
    assert "fdt: timer IRQs: phys 30, virt 27, hyp 26" in out
    assert re.search(r"paging: EL2 identity map, 48-bit VA, \d+ tables: text RX, rodata R, "
                     r"data RW\+XN; 1 RAM, 1 read-only, 4 device ranges", out)
    assert re.search(r"boot: first instruction to hv_main took \d+ ticks", out)
    assert "bring-up complete; no guest to run yet" in out
    assert "FAULT" not in out and " E " not in out and " W " not in out


def test_memory_map_follows_the_dtb(request):
    b = boot(request, mem="1G")
    assert b.status == 0
    assert re.search(r"I   \[0x0000000040000000-0x000000007fffffff\] usable +1 GiB", b.output)


def test_bootargs_and_initrd_from_chosen(request, tmp_path):
    initrd = tmp_path / "initrd.bin"
    initrd.write_bytes(bytes(range(256)) * 48 + b"tail")  # 12292 bytes
    b = boot(request, extra=["-append", "loglevel=info hello=world", "-initrd", str(initrd)])
    assert b.status == 0
    assert 'boot: command line "loglevel=info hello=world"' in b.output
    assert "W cmdline: unknown option 'hello' ignored" in b.output
    m = re.search(r"fdt: initrd \[0x([0-9a-f]+), 0x([0-9a-f]+)\), (\d+) bytes", b.output)
    assert m, "the initrd from /chosen linux,initrd-start/end is reported"
    assert int(m.group(3)) == 12292 == int(m.group(2), 16) - int(m.group(1), 16)


def test_gicv3_machine(request):
    b = boot(request, machine="virt,virtualization=on,gic-version=3")
    assert b.status == 0
    assert ("fdt: GICv3 distributor 0x8000000, redistributors 0x80a0000, "
            "hyp interface 0x0, maintenance IRQ 25") in b.output


def test_armv8_0_cpu_without_vhe(request):
    b = boot(request, cpu="cortex-a57")
    assert b.status == 0
    assert "implementer 0x41 (Arm), part 0xd07" in b.output
    assert "virt: EL2 yes, VHE no, FEAT_NV no" in b.output
    assert "VMID 8 bits" in b.output
    assert "PA range 44 bits" in b.output
    assert "hypervisor VA 44 bits" in b.output
    assert "bring-up complete" in b.output
