"""arm64: Debian's Linux kernel boots under the hypervisor to a busybox shell.

The bundle built from scripts/guest-assets.sh's Image and initramfs is the
hypervisor's initrd; Linux is the default guest. The test talks to the
shell through the emulated PL011 (every guest line on the real serial port
is tagged "vm0| "), runs commands and checks their answers, including that
the guest sees the devices hv gives it (GIC, virtual timer, PL011) and none
else, then powers the guest off: the VM stops with PSCI SYSTEM_OFF and the
hypervisor exits 0.
"""
import re
import subprocess
import time

import pexpect
import pytest

from conftest import ROOT, Boot

IMAGE = ROOT / "build" / "arm64" / "hv.bin"
BUNDLE = ROOT / "build" / "arm64" / "guests" / "linux.cpio"
BOOT_TIMEOUT = 300  # TCG on a shared 2-core machine: the boot takes 3-10 s here
CMD_TIMEOUT = 60


@pytest.fixture(scope="module", autouse=True)
def images():
    subprocess.run(["make", "-s", "ARCH=arm64", "arm64-linux-bundle"], cwd=ROOT, check=True)
    subprocess.run(["make", "-s", "ARCH=arm64"], cwd=ROOT, check=True)


def spawn(request, cmdline="", machine="virt,virtualization=on"):
    # pauth-impdef=on: QEMU's own pointer-authentication algorithm, not its slow QARMA5.
    argv = ["qemu-system-aarch64", "-M", machine, "-cpu", "max,pauth-impdef=on",
            "-m", "512M",
            "-nographic", "-no-reboot", "-semihosting-config", "enable=on,target=native",
            "-kernel", str(IMAGE), "-initrd", str(BUNDLE)]
    if cmdline:
        argv += ["-append", cmdline]
    p = pexpect.spawn(argv[0], argv[1:], cwd=str(ROOT), encoding="utf-8",
                      codec_errors="replace", timeout=BOOT_TIMEOUT)
    p.start = time.monotonic()
    p.transcript = []
    p.logfile_read = type("T", (), {"write": lambda _s, d: p.transcript.append(d),
                                    "flush": lambda _s: None})()

    def attach():
        text = "".join(p.transcript).replace("\r", "")
        status = p.exitstatus if not p.isalive() else None
        boot = Boot(argv, status, text, time.monotonic() - p.start, False)
        request.node.boot_logs = getattr(request.node, "boot_logs", []) + [boot]

    request.addfinalizer(lambda: (p.terminate(force=True) if p.isalive() else None))
    request.addfinalizer(attach)
    return p


def shell(p, command):
    """Run command in the guest's shell; its output, without the tags."""
    marker = "__done_%d__" % int(time.monotonic() * 1000)
    p.sendline(f"{command}; echo {marker}")
    p.expect(f"vm0\\| {marker}", timeout=CMD_TIMEOUT)
    lines = [re.sub(r"^vm0\| ", "", l) for l in p.before.replace("\r", "").split("\n")]
    return "\n".join(l for l in lines if l and not l.startswith("[ "))


def test_linux_boots_to_a_shell_and_powers_off(request):
    p = spawn(request)
    p.expect(r"vm0\| hv-guest: init ready \(aarch64, 6\.[0-9.]+-\d+-arm64\)")
    p.expect(r"vm0\| / # ")
    # Give busybox's line editing time to give up on its terminal query.
    time.sleep(1)
    assert "42" in shell(p, "echo $((6*7))")
    out = shell(p, "cat /proc/interrupts")
    # Linux's IRQ numbers, then counts, then the GIC's interrupt IDs.
    timer = re.search(r"^\s*\d+:\s+(\d+)\s+GIC-0\s+27 Level\s+arch_timer", out, re.M)
    uart = re.search(r"^\s*\d+:\s+(\d+)\s+GIC-0\s+33 Level\s+uart-pl011", out, re.M)
    assert timer and uart, out
    assert int(timer.group(1)) > 10, "the virtual timer ticks"
    assert int(uart.group(1)) > 0, "console input came as PL011 interrupts"
    out = shell(p, "cat /proc/cpuinfo; cat /proc/device-tree/model; echo; ls /proc/device-tree")
    assert "hv guest" in out
    assert "psci" in out and "pl011@9000000" in out and "intc@8000000" in out
    assert "virtio" not in out and "pcie" not in out, "only the devices hv gives the guest"
    out = shell(p, "grep MemTotal /proc/meminfo")
    kb = int(re.search(r"MemTotal:\s+(\d+) kB", out).group(1))
    assert 150_000 < kb <= 192 * 1024, "the guest's RAM, not the machine's"
    p.sendline("poweroff -f")
    p.expect(pexpect.EOF, timeout=CMD_TIMEOUT)
    p.close()
    text = "".join(p.transcript)
    assert p.exitstatus == 0, "the hypervisor exits 0 after the guest powered off"
    assert "I vm0: stopped (ok): powered off (PSCI SYSTEM_OFF from vcpu0)" in text
    assert re.search(r"I vm0: el2: 0 bad-IPA aborts and 0 UNDEFINED exceptions injected", text)
    assert "HYPERVISOR FAULT" not in text and "PANIC" not in text


def test_linux_on_a_gicv3_machine(request):
    p = spawn(request, machine="virt,virtualization=on,gic-version=3")
    p.expect(r"vm0\| hv-guest: init ready")
    p.expect(r"vm0\| / # ")
    time.sleep(1)
    out = shell(p, "dmesg | grep -i redistributor | cut -c16-; cat /proc/interrupts")
    assert "GICv3: CPU0: found redistributor 0" in out, out
    assert re.search(r"^\s*\d+:\s+(\d+)\s+GICv3\s+27 Level\s+arch_timer", out, re.M), out
    assert re.search(r"^\s*\d+:\s+(\d+)\s+GICv3\s+33 Level\s+uart-pl011", out, re.M), out
    p.sendline("poweroff -f")
    p.expect(pexpect.EOF, timeout=CMD_TIMEOUT)
    p.close()
    assert p.exitstatus == 0


def test_linux_on_a_protected_second_stage(request):
    p = spawn(request, "guest_tdp=protected")
    p.expect(r"vm0\| hv-guest: init ready")
    p.expect(r"vm0\| / # ")
    time.sleep(1)
    assert "42" in shell(p, "echo $((6*7))")
    p.sendline("poweroff -f")
    p.expect(pexpect.EOF, timeout=CMD_TIMEOUT)
    p.close()
    text = "".join(p.transcript)
    assert p.exitstatus == 0
    assert "I vm0: vcpu0: second stage: protected (table module root" in text
    assert "vm0: protected second stage: audit ok; mirror and table module agree" in text


def test_kernel_command_line_from_the_hypervisors(request):
    p = spawn(request, "loglevel=warn -- console=ttyAMA0 hv_test_marker=1 quiet")
    p.expect(r"vm0\| hv-guest: init ready")
    p.expect(r"vm0\| / # ")
    time.sleep(1)
    assert "hv_test_marker=1" in shell(p, "cat /proc/cmdline")
    p.sendline("poweroff -f")
    p.expect(pexpect.EOF, timeout=CMD_TIMEOUT)
    p.close()
    assert p.exitstatus == 0
