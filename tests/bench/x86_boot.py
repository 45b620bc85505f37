#!/usr/bin/python3
"""x86_64 boot-time figures (run by `make bench`; asserts nothing).

  x86_boot_entry_to_main_insns   instructions from _start to hv_main: the TSC
                                 delta the hypervisor logs, under
                                 -icount shift=0,sleep=off (1 instruction = 1 ns
                                 of virtual time, deterministic)
  x86_boot_total_insns           instructions from _start to the last boot
                                 line (includes 10 ms of PIT calibration spin)
  x86_boot_entry_to_main_us      the same first interval in TSC time under plain
                                 TCG (host-speed dependent)
  x86_boot_qemu_wall_ms          wall time of a whole `-kernel` QEMU run (start,
                                 boot, exit), median of 5

Reproduce: make all && /usr/bin/python3 tests/bench/x86_boot.py
"""
import pathlib
import re
import statistics
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGE32 = ROOT / "build/x86_64/hv32.elf"
QEMU = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "256M", "-display", "none",
        "-no-reboot", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", str(IMAGE32)]


def boot(extra=()):
    start = time.monotonic()
    out = subprocess.run(["scripts/run-qemu", *QEMU, *extra], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=120).stdout.decode(errors="replace")
    return out, (time.monotonic() - start) * 1000


def main():
    subprocess.run(["make", "-s", "all"], cwd=ROOT, check=True)
    out, _ = boot(["-icount", "shift=0,sleep=off"])
    cycles = int(re.search(r"entry to hv_main took (\d+) TSC cycles", out).group(1))
    last = re.findall(r"^\[\s*(\d+)\.(\d{6})\] I bring-up complete", out, re.M)[-1]
    print(f"bench x86_boot_entry_to_main_insns {cycles} insns")
    print(f"bench x86_boot_total_insns {int(last[0]) * 1000000000 + int(last[1]) * 1000} insns")
    out, _ = boot()
    us = int(re.search(r"entry to hv_main took \d+ TSC cycles \((\d+) us\)", out).group(1))
    print(f"bench x86_boot_entry_to_main_us {us} us")
    walls = [boot()[1] for _ in range(5)]
    print(f"bench x86_boot_qemu_wall_ms {statistics.median(walls):.0f} ms")


if __name__ == "__main__":
    main()
