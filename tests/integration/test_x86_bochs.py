"""x86_64 on Intel VMX: QEMU's TCG has no VMX, so the VMX/EPT feature
detection runs under Bochs (a VMX-capable CPU model) booting the same
hybrid ISO with its BIOS. Bochs' exit status means nothing; the run ends
through its shutdown port (arch_shutdown detects Bochs by its port 0xe9
hack) and is judged by the serial log (/work/shared/platform.md)."""
import subprocess
import time

import pytest

from conftest import ANSI_RE, Boot
from hvx86 import BOOT_LINES, ISO, expect_lines, expect_no_warnings, make

BOCHS_TIMEOUT = 120

BOCHSRC = """\
megs: 64
cpu: model={model}, count=1, ips=50000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev={serial}
log: {log}
panic: action=fatal
error: action=report
port_e9_hack: enabled=1
clock: sync=none, time0=1
speaker: enabled=0
sound: driver=dummy
"""


def boot_bochs(request, tmp_path, model):
    make("all", "iso")
    serial, log = tmp_path / "serial.txt", tmp_path / "bochs.log"
    rc = tmp_path / "bochsrc"
    rc.write_text(BOCHSRC.format(model=model, iso=ISO, serial=serial, log=log))
    (tmp_path / "dbg.rc").write_text("c\nquit\n")
    argv = ["bochs", "-q", "-f", str(rc), "-rc", str(tmp_path / "dbg.rc")]
    start, timed_out = time.monotonic(), False
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=BOCHS_TIMEOUT, cwd=tmp_path)
        out = proc.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out, timed_out = (e.stdout or b"").decode(errors="replace"), True
    text = serial.read_text(errors="replace") if serial.exists() else ""
    text = ANSI_RE.sub("", text).replace("\r", "")
    boot = Boot(argv, None, text + "--- bochs ---\n" + out, time.monotonic() - start, timed_out)
    request.node.boot_logs = getattr(request.node, "boot_logs", []) + [boot]
    assert not timed_out, "Bochs timed out"
    assert "Shutdown port: shutdown requested" in out, "the hypervisor did not stop Bochs"
    return boot


def test_bochs_skylake_vmx_ept(request, tmp_path):
    boot = boot_bochs(request, tmp_path, "corei7_skylake_x")
    expect_lines(boot, BOOT_LINES)
    expect_lines(boot, [
        r"I tsc: 3500\.000 MHz, from CPUID 0x15 \+ 0x16, invariant$",
        r'I boot: protocol multiboot2, loader "GRUB 2\.',
        r"I cpu: vendor GenuineIntel, family 0x6 model 0x55 stepping 4, \"Intel\(R\) Core\(TM\) i7-7800X",
        r"I cpu: MAXPHYADDR 40 bits, linear 48 bits; host pages 4K 2M 1G; NX yes; invariant TSC yes$",
        r"I cpu: VMX yes \(VMCS revision 0x2b\); IA32_FEATURE_CONTROL 0x[0-9a-f]+: (locked, VMX allowed|unlocked \(we may enable VMX\))$",
        r"I cpu: VMX EPT yes \(4-level yes, 5-level no, 2M yes, 1G yes, A/D yes, WB yes\), VPID yes, unrestricted guest yes$",
    ])
    expect_no_warnings(boot)


def test_bochs_without_unrestricted_guest(request, tmp_path):
    boot = boot_bochs(request, tmp_path, "corei5_lynnfield_750")
    expect_lines(boot, [
        r"I cpu: vendor GenuineIntel, family 0x6 model 0x1e",
        r"I cpu: VMX yes \(VMCS revision 0x[0-9a-f]+\); IA32_FEATURE_CONTROL 0x",
        r"I cpu: VMX EPT yes .*, unrestricted guest no$",
        r"W cpu: the virtualization support is not enough for this hypervisor \(it needs VMX enabled, EPT and unrestricted guest\)",
        r"I bring-up complete",
    ])
