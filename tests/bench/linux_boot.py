#!/usr/bin/python3
"""Linux under hv: wall time from starting QEMU to the guest's shell prompt
(run by `make bench`; asserts nothing). Plain TCG, so the figure depends on
this machine and its load; the median of three runs.

  linux.boot_to_shell_s    `make run`'s QEMU command to "/ # " on the serial line
  linux.exits_to_shell     VM exits until the shell answered its first command
                           (hv's statistics after Ctrl-] s)

Reproduce: make all && /usr/bin/python3 tests/bench/linux_boot.py
"""
import pathlib
import re
import statistics
import subprocess
import time

import pexpect

ROOT = pathlib.Path(__file__).resolve().parents[2]
ASSETS = ROOT / "build/guests/x86_64"
QEMU = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "512M", "-display", "none",
        "-no-reboot", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", str(ROOT / "build/x86_64/hv32.elf"), "-append", "guest=linux",
        "-initrd", f"{ASSETS / 'bzImage'},{ASSETS / 'initramfs.cpio.gz'}"]


def one_boot():
    start = time.monotonic()
    child = pexpect.spawn("scripts/run-qemu", QEMU, cwd=str(ROOT), timeout=600)
    child.expect(r"vm0\| / # ")
    elapsed = time.monotonic() - start
    child.send(b"\x1ds")
    child.expect(r"I vm0: vcpu0: (\d+) exits handled")
    exits = int(child.match.group(1))
    child.send(b"poweroff\r")
    child.expect(pexpect.EOF, timeout=120)
    return elapsed, exits


def main():
    subprocess.run(["make", "-s", "all"], cwd=ROOT, check=True)
    subprocess.run(["bash", "scripts/guest-assets.sh"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    runs = [one_boot() for _ in range(3)]
    print(f"bench linux.boot_to_shell_s {statistics.median(r[0] for r in runs):.1f} s")
    print(f"bench linux.exits_to_shell {statistics.median(r[1] for r in runs)} exits")


if __name__ == "__main__":
    main()
