"""x86_64 SVM: a real Linux guest (Debian's kernel and a busybox initramfs from
scripts/guest-assets.sh) boots under hv to a shell on the serial console, as
`make run` shows it, and is driven like a terminal (pexpect).

Each test boots a fresh QEMU; a boot takes seconds under TCG, the timeouts
are generous because the machine is shared."""
import re

from hvx86 import EXIT_OK, Interactive, expect_protected, mmu_leaves_text

LINUX_TIMEOUT = 300  # seconds: boot to shell is ~10 s here, but the machine is shared
PROMPT = r"vm0\| / # "


def make_run(request, extra=()):
    """`make -s run` under pexpect: the README's command."""
    return Interactive(request, ["make", "-s", "run", *extra], LINUX_TIMEOUT)


def shell(run, command, answer):
    """Type a command at the guest's shell prompt and wait for its answer."""
    run.send(command.encode() + b"\r")
    run.expect(answer)
    run.expect(PROMPT)


def test_make_run_boots_linux_to_a_shell(request):
    run = make_run(request)
    run.expect(r"I vm0: Linux bzImage \(\d+ KiB\) with initrd initramfs\.cpio\.gz")
    run.expect(r"vm0\| hv-guest: init ready \(x86_64, ")
    run.expect(PROMPT)
    shell(run, "echo $((6*7))", r"\n(vm0\| )?42\r*\n")
    shell(run, "grep -c processor /proc/cpuinfo", r"\n(vm0\| )?1\r*\n")
    shell(run, "uname -m", r"\n(vm0\| )?x86_64\r*\n")
    # Ctrl-] s: hv's statistics while the guest runs; the guest never sees the bytes.
    run.send(b"\x1ds")
    run.expect(r"I vm0: vcpu0: \d+ exits handled in \d+ ticks, by reason:")
    run.send(b"\r")
    run.expect(PROMPT)
    run.send(b"poweroff\r")
    run.expect(r"I vm0: stopped \(ok\): the guest powered off \(ACPI sleep state S5\)")
    assert run.wait() == EXIT_OK
    out = run.output
    # No unknown MSR went unnoticed, no warning from hv.
    assert "unchecked MSR access" not in out
    assert not re.search(r"^\[ *\d+\.\d+\] [WE] ", out, re.M), "hv warned or failed"
    # The guest's memory map leaves out where hv lives (its image at 2 MiB).
    ram = [(int(a, 16), int(b, 16)) for a, b in
           re.findall(r"BIOS-e820: \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] usable", out)]
    assert ram, "no e820 map in the guest's log"
    assert not any(a <= 0x200000 <= b for a, b in ram), ram
    # What Linux booting costs: the exits it caused, by reason.
    for kind in ("IO out", "IO in", "INTR", "CPUID", "NPF", "HLT"):
        assert re.search(r"I vm0:   " + re.escape(kind) + r" +\d+ exits", out), kind


def test_linux_reboot_is_a_clean_stop(request):
    run = make_run(request)
    run.expect(PROMPT)
    run.send(b"reboot\r")
    run.expect(r"I vm0: stopped \(ok\): the guest asked for a reset \(port 0xcf9\)")
    assert run.wait() == EXIT_OK


def test_linux_interrupt_driven_console(request):
    """The 8250 driver runs on IRQ 4 through the emulated 8259: typed input
    reaches the shell and a long output is not lost."""
    run = make_run(request)
    run.expect(PROMPT)
    # The UART's interrupt line is IRQ 4 and it has fired (column 2 is the count).
    shell(run, "grep ttyS0 /proc/interrupts", r"\n(vm0\| )? *4: +[1-9]\d* +XT-PIC +ttyS0")
    shell(run, "seq 1 300 | tail -1", r"\n(vm0\| )?300\r*\n")
    run.send(b"\x1dq")
    run.expect(r"I vm0: stopped \(ok\): stopped from the console \(Ctrl-\] q\)")
    assert run.wait() == EXIT_OK


def test_linux_on_a_protected_second_stage(request):
    """The same Linux with guest_tdp=protected: the CPU walks the trusted
    table module's table (docs/mirror.md), 2 MiB leaves included, and the
    guest cannot tell."""
    run = make_run(request, extra=("CMDLINE=guest_tdp=protected",))
    run.expect(r"I vm0: vcpu0: nCR3 0x[0-9a-f]+ \(the table module's root\)")
    run.expect(PROMPT)
    shell(run, "echo $((6*7))", r"\n(vm0\| )?42\r*\n")
    shell(run, "seq 1 300 | tail -1", r"\n(vm0\| )?300\r*\n")
    run.send(b"poweroff\r")
    run.expect(r"I vm0: stopped \(ok\): the guest powered off \(ACPI sleep state S5\)")
    assert run.wait() == EXIT_OK
    out = run.output
    assert not re.search(r"^\[ *\d+\.\d+\] [WE] ", out, re.M), "hv warned or failed"
    expect_protected(out)
    assert mmu_leaves_text(out, "2M") > 0, "no huge leaf went through the module"


def test_linux_protected_with_injected_failures(request):
    """Linux still reaches its shell when the module answers busy at random
    (seeded): every failure is rolled back and retried, none reaches the
    guest."""
    run = make_run(request, extra=("CMDLINE=guest_tdp=protected tmod_inject=random:20,seed:3",))
    run.expect(PROMPT)
    shell(run, "uname -m", r"\n(vm0\| )?x86_64\r*\n")
    run.send(b"poweroff\r")
    run.expect(r"I vm0: stopped \(ok\): the guest powered off")
    assert run.wait() == EXIT_OK
    fig = expect_protected(run.output, injected=True)
    assert fig["failures"][1] > 0
