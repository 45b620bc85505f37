"""x86_64 SVM: a protected second stage (guest_tdp=protected, docs/mirror.md,
"Running a protected guest") when its trusted table module fails: the
module's failure injection (tmod_inject=, a debug option) with real
nested walks by the CPU under QEMU's TCG.

Busy answers now and then (every N-th call, or at random) must not
change what the guest sees: the engine rolls the mirror entry back and
retries, every failure shows in the figures, and hv's check at the stop
finds the mirror and the module's table equal. A module that is always
busy, or that refuses, must stop only the VM, with a reason naming the
access, the GPA, RIP and what the module said. (The guests' passing runs
on both second stages are in test_svm_guests.py.)"""
import re

from hvx86 import (EXIT_OK, EXIT_VM_FAILED, boot_guest, expect_all_passed, expect_not_protected,
                   expect_protected, expect_status, find, protected_figures)

PROTECTED = "guest_tdp=protected"
NO_CRASH = r"\*\*\* (EXCEPTION|PANIC|FAULT)"


def test_busy_every_third_call_changes_nothing_for_the_guest(request):
    # The npf guest touches ~8000 pages: ~560 faults, huge and small leaves.
    boot = boot_guest(request, "npf", cmdline=f"{PROTECTED} tmod_inject=every:3")
    expect_status(boot, EXIT_OK)
    expect_all_passed(boot, 3)
    assert find(boot, r"I vm0: table module failure injection: every \(every 3, ")
    fig = expect_protected(boot.output, injected=True)
    busy, injected = fig["failures"][:2]
    map_done, map_made = fig["calls"][:2]
    # One module call in three fails: about a third of all calls, all rolled back.
    assert busy == 0
    made = sum(fig["calls"][1::2])
    assert injected == made // 3, f"{injected} injected of {made} calls"
    assert map_made > map_done > 0
    assert fig["hook"][7] == injected  # rolled back


def test_random_busy_answers_with_a_seed(request):
    boot = boot_guest(request, "irq", cmdline=f"{PROTECTED} tmod_inject=random:40,seed:5")
    expect_status(boot, EXIT_OK)
    expect_all_passed(boot, 9)
    fig = expect_protected(boot.output, injected=True)
    injected = fig["failures"][1]
    made = sum(fig["calls"][1::2])
    assert 0 < injected < made


def test_always_busy_module_stops_the_vm_after_bounded_retries(request):
    boot = boot_guest(request, "hello", cmdline=f"{PROTECTED} tmod_inject=every:1")
    expect_status(boot, EXIT_VM_FAILED)
    # The guest's first instruction fetch: its first table cannot be linked.
    assert find(boot, r"E vm0: stopped \(failed\): instruction fetch of GPA (0x[0-9a-f]+) at RIP "
                r"\1: retried 4096 times in a row without progress; last second-stage failure: "
                r"link-table L4 gfn 0: injected failure \(EBUSY\)$")
    assert re.search(r"I vm0:   NPF +4096 exits", boot.output)
    fig = expect_protected(boot.output, injected=True, mapped=False)
    # Each fault offered the change 9 times (the engine's bound), all of them busy.
    assert fig["failures"][1] == 4096 * 9 == fig["calls"][3]
    assert find(boot, NO_CRASH) is None
    assert find(boot, r"I vm0: devices: ")  # hv went on to its report


def test_refusing_module_stops_the_vm(request):
    boot = boot_guest(request, "hello", cmdline=f"{PROTECTED} tmod_inject=every:1,refuse")
    expect_status(boot, EXIT_VM_FAILED)
    assert find(boot, r"E vm0: stopped \(failed\): instruction fetch of GPA (0x[0-9a-f]+) at RIP "
                r"\1: the table module refused the change: link-table L4 gfn 0: injected "
                r"failure \(EPERM\)$")
    assert re.search(r"I vm0:   NPF +1 exits", boot.output)
    assert find(boot, r"I vm0: protected second stage: audit ok; mirror and table module agree")
    assert find(boot, NO_CRASH) is None


def test_refusal_after_the_guest_ran_a_while(request):
    # 300 good calls first: the guest is well under way when the module starts refusing.
    good = 300
    boot = boot_guest(request, "npf",
                      cmdline=f"{PROTECTED} tmod_inject=skip:{good},every:1,refuse")
    expect_status(boot, EXIT_VM_FAILED)
    assert find(boot, r"E vm0: stopped \(failed\): write of GPA 0x[0-9a-f]+ at RIP 0x[0-9a-f]+: "
                r"the table module refused the change: map-leaf L1 gfn 0x[0-9a-f]+: injected "
                r"failure \(EPERM\)$")
    fig = protected_figures(boot.output)
    done = fig["calls"][0::2]
    tables, leaves = fig["module"][1:]
    # Exactly the first `good` calls changed the table: what they mapped is
    # what the module holds, and it agrees with the mirror.
    assert sum(done) == good and (done[1], done[0]) == (tables, leaves)
    assert fig["check"][1:] == [tables, leaves]
    # The teardown was refused too (every call is): forced, and the module
    # reclaimed what it still held itself.
    assert fig["teardown"] == [0, 0, tables, leaves]
    assert find(boot, r"E mmu: vm0: mirror root torn down although the external table refused")
    assert find(boot, NO_CRASH) is None


def test_injection_needs_a_protected_second_stage(request):
    boot = boot_guest(request, "hello", cmdline="tmod_inject=every:2")
    expect_status(boot, EXIT_OK)
    assert find(boot, r"W guest: tmod_inject= ignored: the guest's second stage is not protected")
    expect_not_protected(boot.output)


def test_bad_values_are_reported(request):
    boot = boot_guest(request, "hello", cmdline="guest_tdp=secret tmod_inject=every:0")
    expect_status(boot, EXIT_OK)
    assert find(boot, r"W cmdline: guest_tdp=secret: not a second stage \(normal or protected\)")
    assert find(boot, r"W cmdline: tmod_inject=every:0: cannot use 'every:0'")
    expect_all_passed(boot, 2)
    expect_not_protected(boot.output)
