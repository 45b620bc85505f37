"""Helpers for the x86_64 integration tests: build once, boot QEMU in the ways
a user would (-kernel, the ISO as a CD, as a USB stick on xHCI or EHCI, under
UEFI), and check the serial output line by line.

Every boot goes through scripts/run-qemu, so exit statuses are the ones
`make run` reports: 0 success, 64 + n for a hypervisor failure n
(include/arch/cpu.h: 66 panic, 67 nested fault, 68 exception), 125 when QEMU
stopped without a status from the hypervisor.
"""
import re
import subprocess

import pytest

from conftest import ROOT, run_emulator

BUILD = ROOT / "build" / "x86_64"
IMAGE = BUILD / "hv.elf"
IMAGE32 = BUILD / "hv32.elf"
ISO = BUILD / "hv.iso"
OVMF = "/usr/share/ovmf/OVMF.fd"

BOOT_TIMEOUT = 60  # seconds; a boot takes well under 1 s, but the machine is shared
UEFI_TIMEOUT = 120  # OVMF alone takes a few seconds

EXIT_OK, EXIT_PANIC, EXIT_NESTED, EXIT_EXCEPTION, EXIT_NO_STATUS = 0, 66, 67, 68, 125

QEMU = ["qemu-system-x86_64", "-accel", "tcg", "-display", "none", "-no-reboot",
        "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]

# What every successful boot prints, in this order (regular expressions,
# searched line by line; a log line is "[seconds] L text").
LOG = r"^\[\s*\d+\.\d{6}\] "
BOOT_LINES = [
    LOG + r"I tsc: \d+\.\d{3} MHz, from (PIT|CPUID)",
    LOG + r"I boot: entry to hv_main took \d+ TSC cycles \(\d+ us\)",
    r"^hv 0\.1 \(x86_64\)$",
    LOG + r"I boot: protocol multiboot[12], loader \"",
    LOG + r"I boot: command line \"",
    LOG + r"I memory map: \d+ regions, [\d.]+ MiB usable",
    LOG + r"I reserved: \[0x0000000000000000-0x00000000000fffff\] low 1 MiB",
    LOG + r"I paging: identity map of [\d.]+ MiB in \d+ x 1G, \d+ x 2M, \d+ x 4K pages",
    LOG + r"I paging: image 0x200000-0x[0-9a-f]+: text RX, rodata R, data\+bss RW NX",
    LOG + r"I paging: W\^X audit: no writable\+executable page",
    LOG + r"I cpu: vendor \w+, family 0x[0-9a-f]+ model 0x[0-9a-f]+ stepping \d+",
    LOG + r"I cpu: MAXPHYADDR \d+ bits, linear \d+ bits; host pages 4K 2M",
    LOG + r"I free memory: [\d.]+ MiB of [\d.]+ MiB usable \(\d+ of \d+ frames",
    LOG + r"I frames: reserved [\d.]+ KiB image, ",
    LOG + r"I bring-up complete; no guest to run yet",
]

# QEMU 7.2's e820 map for -m 256M (pc machine), as the hypervisor prints it.
MAP_256M = [
    r"I memory map: 7 regions, 255\.4 MiB usable$",
    r"I   \[0x0000000000000000-0x000000000009fbff\] usable      639 KiB$",
    r"I   \[0x000000000009fc00-0x000000000009ffff\] reserved    1 KiB$",
    r"I   \[0x00000000000f0000-0x00000000000fffff\] reserved    64 KiB$",
    r"I   \[0x0000000000100000-0x000000000ffdffff\] usable      254\.8 MiB$",
    r"I   \[0x000000000ffe0000-0x000000000fffffff\] reserved    128 KiB$",
    r"I   \[0x00000000fffc0000-0x00000000ffffffff\] reserved    256 KiB$",
    r"I   \[0x000000fd00000000-0x000000ffffffffff\] reserved    12 GiB$",
]

# The same map when SeaBIOS sets up more devices (USB controllers take one
# more page of the reserved area at the top of RAM).
MAP_256M_FIRMWARE = [
    r"I memory map: 7 regions, 255\.4 MiB usable$",
    r"I   \[0x0000000000000000-0x000000000009fbff\] usable      639 KiB$",
    r"I   \[0x000000000009fc00-0x000000000009ffff\] reserved    1 KiB$",
    r"I   \[0x00000000000f0000-0x00000000000fffff\] reserved    64 KiB$",
    r"I   \[0x0000000000100000-0x000000000ffd[0-9a-f]fff\] usable      254\.8 MiB$",
    r"I   \[0x000000000ffd[0-9a-f]000-0x000000000fffffff\] reserved    1[0-9][0-9] KiB$",
    r"I   \[0x00000000fffc0000-0x00000000ffffffff\] reserved    256 KiB$",
    r"I   \[0x000000fd00000000-0x000000ffffffffff\] reserved    12 GiB$",
]

# -cpu max under TCG: AMD with SVM and NPT, and none of the optional assists.
SVM_LINES = [
    r"I cpu: vendor AuthenticAMD, family 0xf model 0x6b stepping 1, \"QEMU TCG CPU",
    r"I cpu: MAXPHYADDR 40 bits, linear 57 bits; host pages 4K 2M 1G; NX yes",
    r"I cpu: SVM yes \(revision 1, 16 ASIDs\); VM_CR 0x0: SVM allowed$",
    r"I cpu: SVM NPT yes, NRIP save no, decode assists no, flush by ASID no, VMCB clean bits no",
]


_built = set()


def make(*targets):
    """Build targets once per test session; fail the test with make's output."""
    key = tuple(targets)
    if key in _built:
        return
    proc = subprocess.run(["make", "-s", "ARCH=x86_64", *targets], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"make {' '.join(targets)} failed:\n{proc.stdout.decode(errors='replace')}")
    _built.add(key)


def boot_kernel(request, cmdline="", cpu="max", mem="256M", extra=(), timeout=BOOT_TIMEOUT):
    """Boot hv32.elf with QEMU -kernel (Multiboot v1), like `make run`."""
    make("all")
    argv = ["scripts/run-qemu", *QEMU, "-cpu", cpu, "-m", mem,
            "-kernel", str(IMAGE32), "-append", cmdline, *extra]
    return run_emulator(argv, timeout, request)


def boot_iso(request, how, mem="256M", timeout=BOOT_TIMEOUT):
    """Boot hv.iso (GRUB, Multiboot2): as a CD, a USB stick (xhci, ehci) or a UEFI CD."""
    make("all", "iso")
    media = {
        "cdrom": ["-cdrom", str(ISO)],
        "usb-xhci": ["-drive", f"if=none,id=stick,format=raw,file={ISO}",
                     "-device", "qemu-xhci", "-device", "usb-storage,drive=stick"],
        "usb-ehci": ["-drive", f"if=none,id=stick,format=raw,file={ISO}",
                     "-device", "usb-ehci", "-device", "usb-storage,drive=stick"],
        "uefi-cdrom": ["-bios", OVMF, "-cdrom", str(ISO)],
    }[how]
    argv = ["scripts/run-qemu", *QEMU, "-cpu", "max", "-m", mem, *media]
    return run_emulator(argv, timeout, request)


def find(boot, pattern, start=0):
    """Index of the first line at or after start matching pattern, or None."""
    rx = re.compile(pattern)
    for i, line in enumerate(boot.lines[start:], start):
        if rx.search(line):
            return i
    return None


def expect_lines(boot, patterns, in_order=True):
    """Assert every pattern matches a line (in this order if in_order)."""
    missing, pos = [], 0
    for p in patterns:
        i = find(boot, p, pos if in_order else 0)
        if i is None:
            missing.append(p)
        elif in_order:
            pos = i + 1
    assert not missing, "expected lines missing or out of order:\n  " + "\n  ".join(missing)


def expect_no_warnings(boot):
    bad = [l for l in boot.lines if re.search(LOG + r"[WE] ", l)]
    assert not bad, "unexpected warnings or errors:\n  " + "\n  ".join(bad)


def expect_status(boot, status):
    assert not boot.timed_out, "the boot timed out"
    assert boot.status == status, f"exit status {boot.status}, expected {status}"


# --- guests (tests/guests, docs/svm.md) -------------------------------------------------

GUESTS = BUILD / "guests"
GUEST_TIMEOUT = 120  # seconds; a test guest runs in well under 1 s, Linux in tens
EXIT_GUEST_ERROR, EXIT_VM_FAILED, EXIT_FAILURE = 69, 70, 65
TEST_RE = re.compile(r"I vm0: test (\d+) (PASS|FAIL|SKIP) \(detail (0x[0-9a-f]+|0)\)")


def boot_guest(request, name, args="", cmdline="", mem="256M", extra=(), timeout=GUEST_TIMEOUT,
               stdin_data=None, guest_mem="32M", module_path=None):
    """Boot hv with test guest `name` (build/x86_64/guests/<name>.elf, or
    module_path) as its boot module, chosen with guest=<name>; args go on the
    module's command line."""
    make("all", "guests")
    module = str(module_path or GUESTS / (name + '.elf')) + (f" {args}" if args else "")
    append = f"guest={name}" + (f" guest_mem={guest_mem}" if guest_mem else "") + \
        (f" {cmdline}" if cmdline else "")
    argv = ["scripts/run-qemu", *QEMU, "-cpu", "max", "-m", mem, "-kernel", str(IMAGE32),
            "-append", append, "-initrd", module, *extra]
    return run_emulator(argv, timeout, request, stdin_data=stdin_data)


def guest_results(boot):
    """The guest's HC_TEST_RESULT lines as (id, status, detail)."""
    return [(int(m.group(1)), m.group(2), m.group(3)) for m in TEST_RE.finditer(boot.output)]


def expect_all_passed(boot, at_least):
    results = guest_results(boot)
    failed = [r for r in results if r[1] == "FAIL"]
    assert not failed, f"guest tests failed: {failed}"
    passed = [r for r in results if r[1] == "PASS"]
    assert len(passed) >= at_least, f"{len(passed)} guest tests passed, expected {at_least}+"
    ids = [r[0] for r in results]
    assert len(ids) == len(set(ids)), "a test id was reported twice"


def exit_stat(boot, kind):
    """The count of exit kind `kind` in the last statistics table printed, or 0."""
    rx = re.compile(r"I vm0:   " + re.escape(kind) + r" +(\d+) exits +(\d+) ticks")
    found = rx.findall(boot.output)
    return int(found[-1][0]) if found else 0


def mmu_leaves(boot, size):
    """Present second-stage leaves of `size` ("4K", "2M", "1G") at the end, or 0."""
    return mmu_leaves_text(boot.output, size)


class Interactive:
    """A QEMU run driven like a terminal (pexpect): wait for output, type.
    The transcript is attached to the test's failure report."""

    def __init__(self, request, argv, timeout):
        import io
        import pexpect

        self.argv = argv
        self.log = io.BytesIO()
        self.child = pexpect.spawn(argv[0], argv[1:], cwd=str(ROOT), timeout=timeout,
                                   logfile=self.log, dimensions=(50, 200))
        request.node.boot_logs = getattr(request.node, "boot_logs", []) + [self]

    def expect(self, pattern, timeout=-1):
        return self.child.expect(pattern, timeout=timeout)

    def send(self, data):
        self.child.send(data)

    def wait(self, timeout=60):
        import pexpect

        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        # run-qemu's status: exitstatus, or 128 + signal.
        return self.child.exitstatus if self.child.exitstatus is not None else \
            128 + (self.child.signalstatus or 0)

    @property
    def output(self):
        return self.log.getvalue().decode("utf-8", errors="replace").replace("\r", "")

    def __str__(self):
        return f"$ {' '.join(map(str, self.argv))}\n--- transcript ---\n{self.output}--- end ---"


def spawn_guest(request, name, args="", cmdline="", mem="256M", timeout=GUEST_TIMEOUT,
                guest_mem="32M", modules=None):
    """Start hv with a guest (as boot_guest) under pexpect, for interactive tests."""
    make("all", "guests")
    if modules is None:
        modules = str(GUESTS / (name + ".elf")) + (f" {args}" if args else "")
    append = f"guest={name}" + (f" guest_mem={guest_mem}" if guest_mem else "") + \
        (f" {cmdline}" if cmdline else "")
    argv = ["scripts/run-qemu", *QEMU, "-cpu", "max", "-m", mem, "-kernel", str(IMAGE32),
            "-append", append, "-initrd", modules]
    return Interactive(request, argv, timeout)


# --- a protected second stage (guest_tdp=protected, docs/mirror.md) ---------------------

HEX = r"(0x[0-9a-f]+)"
PROTECTED_LINES = {
    "roots": r"I vm0: vcpu0: second stage: protected \(table module root " + HEX +
             r", mirror root " + HEX + r"\)",
    "ncr3": r"I vm0: vcpu0: nCR3 " + HEX + r" \(the table module's root\)",
    "hook": r"vm0: mirror hook calls: map-leaf (\d+), link-table (\d+), split (\d+), "
            r"change-leaf (\d+), remove-leaf (\d+), remove-table (\d+); failed (\d+), "
            r"rolled back (\d+), gave up (\d+), teardown forced (\d+), merges refused (\d+)",
    "module": r"vm0: table module: npt4 table, root " + HEX +
              r", (\d+) tables and (\d+) leaves alive",
    "calls": r"vm0:   calls by kind \(done/made\): map-leaf (\d+)/(\d+) link-table (\d+)/(\d+) "
             r"split (\d+)/(\d+) change-leaf (\d+)/(\d+) remove-leaf (\d+)/(\d+) "
             r"remove-table (\d+)/(\d+)",
    "failures": r"vm0:   failures: busy (\d+), injected (\d+), refused (\d+), "
                r"out of memory (\d+); TLB flushes (\d+)",
    "check": r"I vm0: protected second stage: audit ok; mirror and table module agree "
             r"\((\d+) entries compared, (\d+) tables, (\d+) leaves\)",
    "teardown": r"I vm0: protected second stage torn down through the hook: (\d+) leaves and "
                r"(\d+) tables removed; (\d+) tables and (\d+) leaves left for the module to "
                r"reclaim",
}


def protected_figures(output):
    """The protected second stage's lines, parsed (the last of each), or a
    KeyError naming the one missing."""
    fig = {}
    for key, pattern in PROTECTED_LINES.items():
        found = re.findall(pattern, output)
        if not found:
            raise KeyError(f"no {key} line matching {pattern!r}")
        last = found[-1] if isinstance(found[-1], tuple) else (found[-1],)
        fig[key] = [int(v, 16) if v.startswith("0x") else int(v) for v in last]
    return fig


def expect_protected(output, injected=False, mapped=True):
    """The guest ran on the table module's table: nCR3 was the module's root
    (not the mirror's), every hook call reached the module, the module's
    table and the mirror map the same (checked by hv at the stop and here
    against the engine's own leaf count), and the teardown emptied it
    through the hook. Without injection nothing failed; with it, every
    failure was injected and rolled back. mapped: the guest ran, so leaves
    were mapped through the module. Returns the figures."""
    try:
        fig = protected_figures(output)
    except KeyError as e:
        pytest.fail(str(e))
    module_root, mirror_root = fig["roots"]
    assert fig["ncr3"][0] == module_root, "nCR3 is not the table module's root"
    assert module_root != mirror_root, "the CPU walks the mirror"
    assert fig["module"][0] == module_root
    hook, calls, failures = fig["hook"], fig["calls"], fig["failures"]
    made = calls[1::2]
    done = calls[0::2]
    assert hook[:6] == made, f"hook calls {hook[:6]} != module calls {made}"
    assert (done[0] > 0) == mapped, f"{done[0]} leaves mapped through the module"
    busy, inj, refused, nomem, _ = failures
    assert refused == 0 and nomem == 0, f"the module refused {refused}, out of memory {nomem}"
    failed, rolled_back, gave_up, forced, merges = hook[6:]
    assert gave_up == 0 and forced == 0 and merges == 0
    if injected:
        assert inj > 0, "injection was asked for but nothing was injected"
        assert failed == inj + busy and rolled_back == failed
        assert sum(made) - sum(done) == inj + busy
    else:
        assert inj == 0 and busy == 0 and failed == 0 and rolled_back == 0
        assert made == done
    tables, leaves = fig["module"][1:]
    _, check_tables, check_leaves = fig["check"]
    assert (check_tables, check_leaves) == (tables, leaves)
    engine_leaves = sum(mmu_leaves_text(output, s) for s in ("4K", "2M", "1G"))
    assert engine_leaves == leaves, f"the engine maps {engine_leaves} leaves, the module {leaves}"
    removed_leaves, removed_tables, left_tables, left_leaves = fig["teardown"]
    assert (removed_leaves, removed_tables) == (leaves, tables)
    assert (left_tables, left_leaves) == (0, 0)
    return fig


def expect_not_protected(output):
    assert "second stage: protected" not in output
    assert "table module" not in output


def mmu_leaves_text(output, size):
    found = re.findall(r"^  leaves " + size + r" +(\d+)$", output, re.M)
    return int(found[-1]) if found else 0
