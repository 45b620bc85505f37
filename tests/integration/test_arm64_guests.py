"""arm64: the hypervisor runs the test guests of tests/guests/arm64.

Each test boots a fresh QEMU (virt, virtualization=on; GICv2, and GICv3
where the guest exercises the interrupt controller) with the
test-guest bundle as the hypervisor's initrd and guest=<name> on its
command line, and checks the guest's own PASS/FAIL reports (HC_TEST_RESULT,
logged by hv as "vm0: test N PASS"), how the VM ended and the hypervisor's
exit status (0 success, 5 the guest reported failure, 6 hv stopped the VM).
"""
import re
import subprocess

import pytest

from conftest import ROOT, run_emulator

IMAGE = ROOT / "build" / "arm64" / "hv.bin"
BUNDLE = ROOT / "build" / "arm64" / "guests" / "tests.cpio"
TIMEOUT = 120

EXIT_OK, EXIT_FAILURE, EXIT_GUEST_ERROR, EXIT_VM_FAILED = 0, 1, 5, 6


@pytest.fixture(scope="module", autouse=True)
def images():
    subprocess.run(["make", "-s", "ARCH=arm64", "arm64-guests"], cwd=ROOT, check=True)
    subprocess.run(["make", "-s", "ARCH=arm64"], cwd=ROOT, check=True)


def qemu(cmdline, initrd=BUNDLE, machine="virt,virtualization=on", extra=()):
    argv = ["qemu-system-aarch64", "-M", machine, "-cpu", "max", "-m", "256M", "-nographic",
            "-no-reboot", "-semihosting-config", "enable=on,target=native",
            "-kernel", str(IMAGE), "-append", cmdline, *extra]
    if initrd:
        argv += ["-initrd", str(initrd)]
    return argv


MACHINES = {"gicv2": "virt,virtualization=on", "gicv3": "virt,virtualization=on,gic-version=3"}


def boot(request, guest, gic="gicv2", **kw):
    return run_emulator(qemu(f"guest={guest}", machine=MACHINES[gic], **kw), TIMEOUT, request)


def results(out):
    """(passed, failed) as hv counted the guest's HC_TEST_RESULT calls."""
    passed = len(re.findall(r"I vm0: test \d+ PASS", out))
    failed = len(re.findall(r"W vm0: test \d+ FAIL", out))
    return passed, failed


def expect_all_passed(b, at_least):
    passed, failed = results(b.output)
    assert failed == 0, "a guest check failed"
    assert passed >= at_least, f"only {passed} checks reported"
    assert f"vm0: test results: {passed} passed, 0 failed, 0 skipped" in b.output
    assert "HYPERVISOR FAULT" not in b.output and "PANIC" not in b.output


def test_hvc(request):
    b = boot(request, "hvc")
    assert b.status == EXIT_OK
    expect_all_passed(b, 16)
    assert "vm0| hello from the hvc test guest" in b.output
    assert "vm0: stopped (ok): the guest shut down (HC_SHUTDOWN) with status 0" in b.output
    assert re.search(r"vm0:   HVC +\d+ exits", b.output)


@pytest.mark.parametrize("gic", MACHINES)
def test_psci(request, gic):
    b = boot(request, "psci", gic)
    assert b.status == EXIT_OK, "SYSTEM_OFF ends the VM (and then the hypervisor) with success"
    expect_all_passed(b, 33)
    assert "vm0: stopped (ok): powered off (PSCI SYSTEM_OFF from vcpu0)" in b.output
    assert re.search(r"vm0:   PSCI +\d+ exits", b.output)


def test_psci_reset(request):
    b = boot(request, "psci_reset")
    assert b.status == EXIT_OK
    assert "vm0: stopped (ok): reset (PSCI SYSTEM_RESET from vcpu0)" in b.output
    assert "HYPERVISOR FAULT" not in b.output


def test_psci_cpu_off_of_the_last_vcpu(request):
    b = boot(request, "psci_cpu_off")
    assert b.status == EXIT_OK
    assert "vm0: stopped (ok): every vCPU is off (PSCI CPU_OFF)" in b.output
    assert "HYPERVISOR FAULT" not in b.output


@pytest.mark.parametrize("gic", MACHINES)
def test_mmio(request, gic):
    b = boot(request, "mmio", gic)
    assert b.status == EXIT_OK
    expect_all_passed(b, 20)
    assert re.search(r"vm0:   MMIO read +\d+ exits", b.output)
    assert re.search(r"vm0:   MMIO write +\d+ exits", b.output)


def test_mmio_without_syndrome_stops_the_vm(request):
    b = boot(request, "mmio_isv0")
    assert b.status == EXIT_VM_FAILED, "hv stopped the VM and said so in its exit status"
    m = re.search(r"E vm0: stopped \(failed\): vcpu0: access to the emulated PL011 at IPA "
                  r"0x9000000 has no instruction syndrome \(ISV 0.*PC (0x[0-9a-f]+)", b.output)
    assert m, "the reason names the device, the IPA, ISV and the PC"
    assert int(m.group(1), 16) >= 0x40200000
    assert re.search(r"E vm0: vcpu0: pc 0x[0-9a-f]+ pstate", b.output), "registers are dumped"
    assert "vm0: vcpu0: last" in b.output, "the exit ring is printed"
    assert "HYPERVISOR FAULT" not in b.output and "PANIC" not in b.output


@pytest.mark.parametrize("gic", MACHINES)
def test_wfi_and_virtual_timer(request, gic):
    b = boot(request, "vtimer", gic)
    assert b.status == EXIT_OK
    expect_all_passed(b, 8)
    assert re.search(r"vm0:   WFI +\d+ exits", b.output)


@pytest.mark.parametrize("gic", MACHINES)
def test_system_registers(request, gic):
    b = boot(request, "sysreg", gic)
    assert b.status == EXIT_OK
    expect_all_passed(b, 19)
    assert re.search(r"vm0:   ID reg +\d+ exits", b.output)
    assert re.search(r"vm0:   set/way +\d+ exits", b.output)
    # The whole DC CISW loop is one burst: guest RAM is flushed once.
    assert re.search(r"UNDEFINED exceptions injected, 1 set/way flushes", b.output)


def test_guest_cannot_reach_hypervisor_memory(request):
    b = boot(request, "isolation")
    assert b.status == EXIT_OK, "the hypervisor carries on and the VM ends normally"
    expect_all_passed(b, 7)
    m = re.search(r"vm0: el2: (\d+) bad-IPA aborts", b.output)
    assert m and int(m.group(1)) >= 1000
    assert "HYPERVISOR FAULT" not in b.output


@pytest.mark.parametrize("guest", ["isolation", "vtimer"])
def test_protected_second_stage(request, guest):
    """guest_tdp=protected: a trusted table module owns the stage-2 table (docs/mirror.md)."""
    b = run_emulator(qemu(f"guest={guest} guest_tdp=protected"), TIMEOUT, request)
    assert b.status == EXIT_OK
    expect_all_passed(b, 7)
    assert re.search(r"vm0: vcpu0: second stage: protected \(table module root 0x[0-9a-f]+, "
                     r"mirror root 0x[0-9a-f]+\)", b.output)
    assert "vm0: protected second stage: audit ok; mirror and table module agree" in b.output


def test_protected_module_refusing_stops_only_the_vm(request):
    """A table module that refuses every change: the first stage-2 fault stops
    the VM with the module's answer (no abort injected into the guest for its
    own RAM), and the hypervisor carries on to its report and exit status."""
    b = run_emulator(qemu("guest=hvc guest_tdp=protected tmod_inject=every:1,refuse"), TIMEOUT,
                     request)
    assert b.status == EXIT_VM_FAILED
    assert re.search(r"E vm0: stopped \(failed\): vcpu0: stage-2 fault at IPA 0x[0-9a-f]+ "
                     r"\(PC 0x[0-9a-f]+\): the table module refused the change: .*injected",
                     b.output)
    assert "protected second stage: audit ok" in b.output


def test_console_escape_stops_a_spinning_guest(request):
    argv = qemu("guest=spin")
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=ROOT)
    out = b""
    try:
        while b"spinning with interrupts masked" not in out:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            out += chunk
        proc.stdin.write(b"\x1dq")
        proc.stdin.flush()
        rest, _ = proc.communicate(timeout=TIMEOUT)
        out += rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.decode(errors="replace")
    request.node.boot_logs = getattr(request.node, "boot_logs", []) + [text]
    assert proc.returncode == EXIT_OK, text
    assert "vm0: stopped (ok): stopped from the console (Ctrl-] q)" in text
    assert re.search(r"vm0:   IRQ +\d+ exits", text), "the console interrupt got the CPU back"


def test_unknown_guest_lists_the_bundle(request):
    b = boot(request, "nosuchguest")
    assert b.status == EXIT_FAILURE
    assert 'E guest: no guest "nosuchguest" in the bundle' in b.output
    assert "I guest: bundle has test/hvc" in b.output


def test_guest_asked_for_without_a_bundle(request):
    b = boot(request, "hvc", initrd=None)
    assert b.status == EXIT_FAILURE
    assert "guest=hvc, but the boot loader passed no guest bundle" in b.output
