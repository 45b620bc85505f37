"""arm64: deliberate hypervisor faults (selftest=NAME, shared with x86: see
docs/cmdline.md) are reported in full and end the run with a failure status
(include/arch/cpu.h enum hv_exit_status), never a hang or a loop.

The report is checked against the image itself: addresses printed as
hv+OFFSET are resolved with addr2line on build/arm64/hv.elf.
"""
import re
import subprocess

import pytest

from conftest import ROOT, run_emulator

IMAGE = ROOT / "build" / "arm64" / "hv.bin"
ELF = ROOT / "build" / "arm64" / "hv.elf"
TIMEOUT = 30
EXIT_NESTED = 3     # HV_EXIT_NESTED
EXIT_EXCEPTION = 4  # HV_EXIT_EXCEPTION


@pytest.fixture(scope="module", autouse=True)
def arm64_image():
    subprocess.run(["make", "-s", "ARCH=arm64"], cwd=ROOT, check=True)


def selftest(request, name):
    argv = ["qemu-system-aarch64", "-M", "virt,virtualization=on", "-cpu", "max", "-m", "256M",
            "-nographic", "-no-reboot", "-semihosting-config", "enable=on,target=native",
            "-kernel", str(IMAGE), "-append", f"selftest={name}"]
    return run_emulator(argv, TIMEOUT, request)


def functions_at(offsets):
    """Function names (innermost inlined first) for hv+OFFSET addresses."""
    out = subprocess.run(["aarch64-linux-gnu-addr2line", "-f", "-i", "-e", str(ELF),
                          *[hex(o) for o in offsets]], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return out[0::2]


def backtrace(output):
    tail = output.split("backtrace:\n", 1)[1]
    return [int(m, 16) for m in re.findall(r"^  #\d+ 0x[0-9a-f]+ \(hv\+0x([0-9a-f]+)\)", tail,
                                           re.M)]


def common(b):
    assert not b.timed_out
    assert b.status == EXIT_EXCEPTION
    assert b.output.count("*** HYPERVISOR FAULT: synchronous exception from current EL (EL2)") == 1
    for reg in [f"x{i}" for i in range(31)] + ["sp", "pc", "lr"]:
        assert re.search(rf"(^|  ){reg} +0x[0-9a-f]{{16}}", b.output, re.M), reg
    assert re.search(r"^ESR_EL2 0x[0-9a-f]{8}: EC 0x", b.output, re.M)
    assert re.search(r"^SPSR_EL2 0x[0-9a-f]{8}", b.output, re.M)
    assert "bring-up complete" not in b.output


def test_unmapped_read(request):
    b = selftest(request, "pf")
    common(b)
    addr = re.search(r"selftest pf: reading unmapped address (0x[0-9a-f]+)", b.output).group(1)
    assert "EC 0x25 data abort (same EL)" in b.output
    assert re.search(r"translation fault, level \d, read", b.output)
    assert re.search(rf"FAR_EL2 0x0*{addr[2:]}\n", b.output)
    frames = backtrace(b.output)
    assert len(frames) >= 2
    names = functions_at(frames)
    assert names[0] == "test_pf"
    assert "hv_main" in names, names


def test_write_to_text_is_refused(request):
    b = selftest(request, "wx")
    common(b)
    addr = re.search(r"selftest wx: writing to code at 0x([0-9a-f]+)", b.output).group(1)
    assert "EC 0x25 data abort (same EL)" in b.output
    assert "permission fault, level 3, write" in b.output
    assert re.search(rf"FAR_EL2 0x0*{addr}\n", b.output)


def test_executing_data_is_refused(request):
    b = selftest(request, "nx")
    common(b)
    addr = re.search(r"selftest nx: calling data at 0x([0-9a-f]+)", b.output).group(1)
    assert "EC 0x21 instruction abort (same EL)" in b.output
    assert "permission fault, level 3" in b.output
    far = re.search(r"FAR_EL2 (0x[0-9a-f]+)", b.output).group(1)
    elr = re.search(r"ELR_EL2 (0x[0-9a-f]+)", b.output).group(1)
    assert far == elr
    assert int(far, 16) == int(addr, 16)


def test_stack_overflow_hits_the_guard(request):
    b = selftest(request, "stack")
    common(b)
    assert "boot stack overflow: now on the exception stack" in b.output
    assert "translation fault, level 3, write" in b.output
    names = functions_at(backtrace(b.output)[:3])
    assert names and all(n == "recurse" for n in names), names


def test_fault_inside_the_report_stops(request):
    b = selftest(request, "nested")
    assert not b.timed_out
    assert b.status == EXIT_NESTED
    assert b.output.count("*** HYPERVISOR FAULT") == 1
    assert b.output.count("*** NESTED FAULT while reporting a fault") == 1
    assert "backtrace:" not in b.output  # the first report never got that far
