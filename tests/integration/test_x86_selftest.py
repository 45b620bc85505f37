"""x86_64: what the hypervisor reports when it fails (selftest=<name>).

Each selftest provokes one failure after bring-up, with W^X in force; the
report must name the vector, decode the error code, give RIP (with its
symbol), CR2, all registers and a backtrace down to hv_main, and the exit
status must say what kind of failure it was."""
import re

import pytest

from hvx86 import (EXIT_EXCEPTION, EXIT_NESTED, EXIT_OK, EXIT_PANIC, boot_kernel, expect_lines,
                   expect_status, find)

HEX = r"0x[0-9a-f]+"
REGISTERS = [
    r"^RIP    0x[0-9a-f]{16} ",
    r"^RFLAGS 0x[0-9a-f]{16} \[",
    r"^RAX 0x[0-9a-f]{16} RBX 0x[0-9a-f]{16} RCX 0x[0-9a-f]{16} RDX 0x[0-9a-f]{16}$",
    r"^RSI 0x[0-9a-f]{16} RDI 0x[0-9a-f]{16} RBP 0x[0-9a-f]{16} RSP 0x[0-9a-f]{16}$",
    r"^R8  0x[0-9a-f]{16} R9  0x[0-9a-f]{16} R10 0x[0-9a-f]{16} R11 0x[0-9a-f]{16}$",
    r"^R12 0x[0-9a-f]{16} R13 0x[0-9a-f]{16} R14 0x[0-9a-f]{16} R15 0x[0-9a-f]{16}$",
    r"^CS 0x8 SS 0x10 CR0 0x8001[0-9a-f]{4} CR2 0x[0-9a-f]+ CR3 0x[0-9a-f]+ CR4 0x[0-9a-f]+ EFER 0x[0-9a-f]*d00$",
    r"^backtrace:$",
]


def frame(name):
    return rf"^  #\d+\s+0x[0-9a-f]{{16}} {name}\+0x[0-9a-f]+"


def boot_selftest(request, name):
    boot = boot_kernel(request, cmdline=f"selftest={name}")
    assert find(boot, r"I bring-up complete") is None, "the boot went on after the failure"
    return boot


def value(boot, pattern):
    m = re.search(pattern, boot.output, re.M)
    assert m, f"no match for {pattern!r}"
    return int(m.group(1), 16)


def test_invalid_opcode(request):
    boot = boot_selftest(request, "ud")
    expect_status(boot, EXIT_EXCEPTION)
    expect_lines(boot, [r"I selftest ud: executing an undefined instruction",
                        rf"^\*\*\* EXCEPTION #UD \(vector 6, invalid opcode\), error code 0x0, at RIP ({HEX}), CR2 0x0$",
                        *REGISTERS, frame(r"test_ud(\.cold)?"), frame("hv_main")])
    # The RIP in the headline is the RIP in the register dump.
    assert value(boot, rf"at RIP ({HEX}),") == value(boot, r"^RIP    (0x[0-9a-f]+) ")


def test_page_fault_not_present(request):
    boot = boot_selftest(request, "pf")
    expect_status(boot, EXIT_EXCEPTION)
    expect_lines(boot, [rf"^\*\*\* EXCEPTION #PF \(vector 14, page fault\), error code 0x0, at RIP {HEX}, CR2 0x18$",
                        r"^page fault at 0x18: page not present, read, supervisor mode$",
                        *REGISTERS, frame("test_pf"), frame("hv_main")])


def test_write_to_code_is_refused(request):
    boot = boot_selftest(request, "wx")
    expect_status(boot, EXIT_EXCEPTION)
    target = value(boot, rf"selftest wx: writing to code at ({HEX})")
    expect_lines(boot, [rf"^\*\*\* EXCEPTION #PF \(vector 14, page fault\), error code 0x3, at RIP {HEX}, CR2 {target:#x}$",
                        rf"^page fault at {target:#x}: protection violation, write, supervisor mode \(write to a read-only page: W\^X\)$",
                        *REGISTERS, frame("test_wx"), frame("hv_main")])


def test_executing_data_is_refused(request):
    boot = boot_selftest(request, "nx")
    expect_status(boot, EXIT_EXCEPTION)
    target = value(boot, rf"selftest nx: calling data at ({HEX})")
    expect_lines(boot, [rf"^\*\*\* EXCEPTION #PF \(vector 14, page fault\), error code 0x11, at RIP {target:#x}, CR2 {target:#x}$",
                        rf"^page fault at {target:#x}: protection violation, instruction fetch, supervisor mode \(NX: executing a no-execute page\)$",
                        r"^RIP    0x[0-9a-f]{16} \(not in the hypervisor's code\)$",
                        r"^  #0  0x[0-9a-f]{16} \?$",
                        frame("test_nx") + r" \(return address at RSP\)$", frame("hv_main")])


def test_stack_overflow_hits_the_guard_page(request):
    boot = boot_selftest(request, "stack")
    expect_status(boot, EXIT_EXCEPTION)
    expect_lines(boot, [r"I selftest stack: recursing until the stack guard page is hit",
                        rf"^\*\*\* EXCEPTION #DF \(vector 8, double fault\), error code 0x0, at RIP {HEX}, CR2 {HEX}$",
                        r"^double fault: a fault while delivering another$",
                        r"^CR2 is in the guard page below the boot stack: stack overflow$",
                        *REGISTERS, frame(r"recurse[.\w]*"), r"^  \.\.\. the frame above \d+ more times$",
                        frame("hv_main")])


def test_panic(request):
    boot = boot_selftest(request, "panic")
    expect_status(boot, EXIT_PANIC)
    expect_lines(boot, [r"^\*\*\* PANIC: selftest: deliberate panic \(selftest=panic\)$",
                        *REGISTERS, frame("panic"), frame("test_panic"), frame("hv_main")])


def test_check_failure(request):
    boot = boot_selftest(request, "check")
    expect_status(boot, EXIT_PANIC)
    expect_lines(boot, [r"^\*\*\* PANIC: CHECK\(selftest_zero == 1\) failed at boot/selftest\.c:\d+$",
                        *REGISTERS, frame("test_check"), frame("hv_main")])


def test_fault_inside_the_fault_handler_stops(request):
    boot = boot_selftest(request, "nested")
    expect_status(boot, EXIT_NESTED)
    expect_lines(boot, [r"^\*\*\* EXCEPTION #UD \(vector 6, invalid opcode\)",
                        rf"^\*\*\* FAULT INSIDE THE FAULT HANDLER: #PF \(vector 14\) error 0x0 at RIP {HEX}, CR2 0x8; stopping$"])
    assert find(boot, r"^backtrace:") is None


@pytest.mark.parametrize("name,message", [
    ("double-free", rf"^\*\*\* PANIC: hv_free\(({HEX})\): double free of a 48-byte object \(slab {HEX}, object \d+\)$"),
    ("bad-free", rf"^\*\*\* PANIC: hv_free\(({HEX})\): not an object from hv_zalloc \(no heap header on its page; already freed\?\)$"),
])
def test_heap_misuse(request, name, message):
    boot = boot_selftest(request, name)
    expect_status(boot, EXIT_PANIC)
    expect_lines(boot, [message, *REGISTERS, frame("heap_free"), frame("hv_main")])


def test_unknown_selftest_is_reported(request):
    boot = boot_kernel(request, cmdline="selftest=nope")
    expect_status(boot, EXIT_OK)
    expect_lines(boot, [r"W cmdline: selftest=nope: no such selftest \(known: ud pf wx nx stack panic check nested double-free bad-free frames bad-entry\)",
                        r"I bring-up complete"])
