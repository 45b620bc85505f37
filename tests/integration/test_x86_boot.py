"""x86_64: booting with QEMU -kernel (Multiboot v1), as `make run` does.

Each test boots a fresh QEMU with a timeout and asserts on every line that
matters and on the exit status (scripts/run-qemu's mapping)."""
import re
import subprocess

import pytest

from conftest import ROOT
from hvx86 import (BOOT_LINES, EXIT_NO_STATUS, EXIT_OK, MAP_256M, SVM_LINES, boot_kernel,
                   expect_lines, expect_no_warnings, expect_status, find, make)


def test_make_run_prints_banner_features_map_and_exits_0():
    """The README's command without a guest (it boots Linux by default:
    tests/integration/test_linux_x86.py)."""
    make("all")
    proc = subprocess.run(["make", "-s", "run", "GUEST=none", "QEMU_MEM=256M"], cwd=ROOT,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=120)
    out = proc.stdout.decode(errors="replace").replace("\r", "")
    assert proc.returncode == 0, out
    for needle in ["hv 0.1 (x86_64)", "I cpu: vendor AuthenticAMD", "I cpu: SVM yes",
                   "I cpu: SVM NPT yes", "I memory map: 7 regions", "I free memory: ",
                   "I bring-up complete"]:
        assert needle in out, f"{needle!r} missing from make run's output:\n{out}"


def expect_free_memory_accounts_for_image(boot, total_frames):
    """The usable frame count is fixed by QEMU's memory map; the free count
    depends on the image size, so check it against what frames says it
    reserved rather than a constant: everything not free is accounted for by
    the image, modules, platform reservations, allocator metadata and
    hypervisor allocations, and the image is among it."""
    m = re.search(r"I free memory: [\d.]+ MiB of [\d.]+ MiB usable \((\d+) of (\d+) frames, 2 regions\)",
                  boot.output)
    assert m, "no free-memory line"
    free, total = int(m.group(1)), int(m.group(2))
    assert total == total_frames
    r = re.search(r"I frames: reserved ([\d.]+) (KiB|MiB) image, ", boot.output)
    assert r, "no frames reservation line"
    image_frames = int(float(r.group(1)) * (1024 if r.group(2) == "MiB" else 1)) // 4
    assert image_frames > 0
    # Not free = image + metadata + early allocations (paging tables, heap): a
    # few MiB at most, and at least the image.
    assert image_frames <= total - free <= image_frames + 1024, (free, total, image_frames)


def test_kernel_boot_cpu_max(request):
    boot = boot_kernel(request)
    expect_status(boot, EXIT_OK)
    expect_lines(boot, BOOT_LINES)
    expect_lines(boot, MAP_256M)
    expect_lines(boot, SVM_LINES)
    expect_lines(boot, [r'I boot: protocol multiboot1, loader "qemu"$',
                        r'I boot: command line ""$',
                        r"I cpu: running under a hypervisor \(\"TCGTCGTCGTCG\"\)"])
    expect_free_memory_accounts_for_image(boot, total_frames=65407)
    expect_no_warnings(boot)
    assert find(boot, r"VMX") is None


def test_kernel_boot_without_svm(request):
    boot = boot_kernel(request, cpu="qemu64,-svm")
    expect_status(boot, EXIT_OK)
    expect_lines(boot, BOOT_LINES)
    expect_lines(boot, [r"W cpu: no hardware virtualization \(neither VMX nor SVM\)"])
    assert find(boot, r"cpu: SVM") is None


def test_kernel_boot_svm_without_npt(request):
    boot = boot_kernel(request, cpu="qemu64")
    expect_status(boot, EXIT_OK)
    expect_lines(boot, [r"I cpu: MAXPHYADDR 40 bits, linear 48 bits; host pages 4K 2M; NX yes",
                        r"I cpu: SVM yes \(revision 1, 16 ASIDs\); VM_CR 0x0: SVM allowed$",
                        r"I cpu: SVM NPT no,",
                        r"W cpu: the virtualization support is not enough .* SVM enabled and NPT"])


def test_kernel_boot_intel_vendor(request):
    # TCG has no VMX: an Intel model shows the Intel identity and no VMX.
    boot = boot_kernel(request, cpu="Haswell-noTSX")
    expect_status(boot, EXIT_OK)
    expect_lines(boot, [r"I cpu: vendor GenuineIntel, family 0x6 model 0x3c stepping 1",
                        r"W cpu: no hardware virtualization"])


def test_boot_modules_are_listed_and_reserved(request, tmp_path):
    a, b = tmp_path / "mod-a", tmp_path / "mod-b"
    a.write_bytes(b"A" * 5000)
    b.write_bytes(b"B" * 70000)
    boot = boot_kernel(request, extra=["-initrd", f"{a} arg=1,{b}"])
    expect_status(boot, EXIT_OK)
    expect_lines(boot, BOOT_LINES)
    i = find(boot, r'I module 0: \[0x([0-9a-f]{16})-0x([0-9a-f]{16})\] 4\.8 KiB ".*mod-a arg=1"$')
    j = find(boot, r'I module 1: \[0x([0-9a-f]{16})-0x([0-9a-f]{16})\] 68\.3 KiB ".*mod-b"$')
    assert i is not None and j is not None
    image_end = int(re.search(r"image 0x200000-0x([0-9a-f]+)", boot.output).group(1), 16) + 1
    spans = [tuple(int(x, 16) for x in re.search(r"\[0x(\w+)-0x(\w+)\]", boot.lines[k]).groups())
             for k in (i, j)]
    # QEMU places modules right after the image; they must not overlap it or each other.
    assert spans[0][0] >= image_end and spans[1][0] > spans[0][1]
    # Both are reserved: 2 + 18 pages.
    expect_lines(boot, [r"I frames: reserved [\d.]+ KiB image, 80 KiB modules, "])
    expect_no_warnings(boot)


def test_memory_above_4g(request):
    """6 GiB: RAM above 4 GiB is mapped (1 GiB pages) and allocatable."""
    boot = boot_kernel(request, mem="6G", cmdline="selftest=frames")
    expect_status(boot, EXIT_OK)
    # QEMU puts 3 GiB below the 4 GiB hole (minus firmware ranges) and 3 GiB above.
    expect_lines(boot, [r"I memory map: 8 regions, 5\.9 GiB usable$",
                        r"I   \[0x0000000100000000-0x00000001bfffffff\] usable      3 GiB$",
                        r"I paging: identity map of 5\.9 GiB in 4 x 1G,",
                        r"I free memory: 5\.9 GiB of 5\.9 GiB usable \(\d+ of \d+ frames, 3 regions\)",
                        r"I selftest frames: 16 MiB contiguous at 0x[0-9a-f]+, 2 MiB-aligned, guest-owned",
                        r"I selftest frames: frame above 4 GiB at 0x1[0-9a-f]{8}$",
                        r"I selftest frames: ok$",
                        r"I bring-up complete"])
    expect_no_warnings(boot)


def test_cmdline_options_and_unknown_ones(request):
    boot = boot_kernel(request, cmdline="foo=1 loglevel=debug quiet loglevel=9")
    expect_status(boot, EXIT_OK)
    expect_lines(boot, [r"W cmdline: unknown option 'foo' ignored",
                        r"W cmdline: unknown option 'quiet' ignored",
                        r"W cmdline: loglevel=9: not a level",
                        r'W cmdline: 2 unknown option\(s\), 1 bad one\(s\) in "foo=1 loglevel=debug quiet loglevel=9"',
                        r'I boot: command line "foo=1 loglevel=debug quiet loglevel=9"$'],
                 in_order=False)
    # loglevel=debug took effect (the later bad value did not override it).
    expect_lines(boot, [r"\] D frames: region 0 \[0x0000000000000000-0x000000000009efff\] 159 frames",
                        r"\] D frames: reserved \[0x0000000000200000-0x0000000000[0-9a-f]{6}\] hypervisor image"],
                 in_order=False)


def test_loglevel_warn_hides_info(request):
    boot = boot_kernel(request, cmdline="loglevel=warn")
    expect_status(boot, EXIT_OK)
    assert find(boot, r"\] I memory map") is None
    assert find(boot, r"\] I bring-up complete") is None
    expect_lines(boot, [r"^hv 0\.1 \(x86_64\)$"])


def test_console_none_silences_output(request):
    boot = boot_kernel(request, cmdline="console=none")
    expect_status(boot, EXIT_OK)
    i = find(boot, r"I console: switching to none")
    assert i is not None
    assert find(boot, r"\S", i + 1) is None, "output after console=none"


@pytest.mark.parametrize("spec", ["com2", "0x2f8", "760"])  # 760 = 0x2f8
def test_console_com2(request, tmp_path, spec):
    com2 = tmp_path / "com2.log"
    boot = boot_kernel(request, cmdline=f"console={spec}", extra=["-serial", f"file:{com2}"])
    expect_status(boot, EXIT_OK)
    expect_lines(boot, [r"I console: switching to the UART at port 0x2f8"])
    assert find(boot, r"hv 0\.1") is None, "the banner went to COM1"
    text = com2.read_text(errors="replace").replace("\r", "")
    for needle in ["I console: now com2", "hv 0.1 (x86_64)", "I memory map: 7 regions",
                   "I bring-up complete"]:
        assert needle in text, f"{needle!r} missing on COM2:\n{text}"


def test_console_missing_uart_keeps_com1(request):
    boot = boot_kernel(request, cmdline="console=com2")  # QEMU has no second UART here
    expect_status(boot, EXIT_OK)
    expect_lines(boot, [r"W cmdline: console=com2: no such device here; keeping com1",
                        r"^hv 0\.1 \(x86_64\)$", r"I bring-up complete"])


def test_console_bad_names_keep_com1(request):
    boot = boot_kernel(request, cmdline="console=ttyS0 console=0x10000")
    expect_status(boot, EXIT_OK)
    expect_lines(boot, [r"W cmdline: console=0x10000: not a console name; keeping com1",
                        r"^hv 0\.1 \(x86_64\)$", r"I bring-up complete"])


def test_qemu_own_failure_is_not_a_hypervisor_status(request):
    boot = boot_kernel(request, extra=["-no-such-qemu-option"])
    assert boot.status == 1


def test_run_qemu_status_mapping():
    """scripts/run-qemu turns isa-debug-exit statuses into the hypervisor's."""
    cases = {65: 0, 67: 65, 69: 66, 71: 67, 73: 68, 191: 127, 0: EXIT_NO_STATUS, 1: 1, 2: 2,
             64: 64, 66: 66, 192: 192}
    for qemu_status, want in cases.items():
        proc = subprocess.run([str(ROOT / "scripts/run-qemu"), "sh", "-c", f"exit {qemu_status}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.returncode == want, f"QEMU status {qemu_status}: got {proc.returncode}, want {want}"
