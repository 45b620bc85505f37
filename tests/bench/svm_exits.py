#!/usr/bin/python3
"""SVM exit costs and entry-to-guest time (run by `make bench`; asserts nothing).

Boots hv with the bench test guest (tests/guests/bench.c) under QEMU with
-icount shift=0,sleep=off, where the TSC counts emulated instructions
(1 instruction = 1 ns = 1 tick): the figures are path lengths, the same on
every machine.

  svm.cpuid_exit_ticks        median CPUID (leaf 0x40000000) round trip, 100000 samples,
                              RDTSC around the instruction, seen by the guest
  svm.vmmcall_exit_ticks      median VMMCALL (HC_NOP) round trip, the same way
  svm.rdtsc_pair_ticks        the two RDTSCs alone (included in the two above)
  svm.cpuid_handler_ticks     hv's share of a CPUID exit: from its RDTSC after #VMEXIT
                              to its RDTSC before the next VMRUN (exit statistics average)
  svm.vmmcall_handler_ticks   the same for VMMCALL
  boot.entry_to_guest_ticks   hv's first instruction (_start) to the guest's first
                              (entry.S), with guest_mem=4M; ~10.5M of it is the 10 ms
                              PIT spin that calibrates the TSC

Reproduce: make all guests && /usr/bin/python3 tests/bench/svm_exits.py
"""
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
QEMU = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "256M", "-display", "none",
        "-no-reboot", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-icount", "shift=0,sleep=off",
        "-kernel", str(ROOT / "build/x86_64/hv32.elf"), "-append", "guest=bench guest_mem=4M",
        "-initrd", str(ROOT / "build/x86_64/guests/bench.elf")]


def main():
    subprocess.run(["make", "-s", "all", "guests"], cwd=ROOT, check=True)
    out = subprocess.run(["scripts/run-qemu", *QEMU], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=1200).stdout.decode(errors="replace")
    for name in ("rdtsc_pair", "cpuid_exit", "vmmcall_exit"):
        m = re.search(r"vm0\| bench svm\." + name + r"_ticks (\d+) ticks", out)
        print(f"bench svm.{name}_ticks {m.group(1) if m else 'missing'} ticks")
    for kind, name in (("CPUID", "cpuid"), ("VMMCALL", "vmmcall")):
        m = re.search(r"I vm0:   " + kind + r" +\d+ exits +\d+ ticks +(\d+) avg", out)
        print(f"bench svm.{name}_handler_ticks {m.group(1) if m else 'missing'} ticks")
    hv = re.search(r"hypervisor entry was at TSC (\d+)", out)
    guest = re.search(r"bench-data guest_first_tsc (\d+)", out)
    if hv and guest:
        print(f"bench boot.entry_to_guest_ticks {int(guest.group(1)) - int(hv.group(1))} ticks")
    else:
        print("bench boot.entry_to_guest_ticks missing ticks")


if __name__ == "__main__":
    main()
