#!/usr/bin/python3
"""arm64 guest figures (run by `make bench`; asserts nothing).

  arm64.hvc_exit_ticks              median of 100 000 HC_NOP round trips (HVC #0
                                    from the bench_hvc test guest to hv and
                                    back), in virtual-counter ticks, under
                                    -icount shift=0,sleep=off: one instruction
                                    is 1 ns and the counter runs at 62.5 MHz, so
                                    a tick is 16 instructions (deterministic)
  arm64.hvc_exit_insns              the same round trip in instructions (x16)
  boot.arm64_entry_to_guest_ticks   hv's first instruction to its first ERET
                                    into Linux (192 MiB of guest RAM zeroed
                                    with DC ZVA, 34 MB of Image and initrd
                                    copied, RAM cleaned to the point of
                                    coherency), as hv
                                    logs it, under -icount (counter ticks)
  linux.arm64_boot_to_shell_s       wall time from starting QEMU to the guest's
                                    busybox prompt, median of 3 (plain TCG with
                                    -cpu max,pauth-impdef=on; host dependent)

Reproduce: make ARCH=arm64 && make arm64-linux-bundle &&
           /usr/bin/python3 tests/bench/arm64_guests.py
"""
import pathlib
import re
import statistics
import subprocess
import time

import pexpect

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGE = ROOT / "build/arm64/hv.bin"
GUESTS = ROOT / "build/arm64/guests"
TICK_INSNS = 16  # 1 GHz of icount instructions / 62.5 MHz counter
QEMU = ["qemu-system-aarch64", "-M", "virt,virtualization=on", "-m", "512M", "-nographic",
        "-no-reboot", "-semihosting-config", "enable=on,target=native", "-kernel", str(IMAGE)]


def run(cpu, initrd, cmdline, extra=(), until=None, timeout=300):
    argv = [*QEMU, "-cpu", cpu, "-initrd", str(initrd), "-append", cmdline, *extra]
    p = pexpect.spawn(argv[0], argv[1:], cwd=str(ROOT), encoding="utf-8",
                      codec_errors="replace", timeout=timeout)
    start = time.monotonic()
    if until:
        p.expect(until)
        out = p.before + p.after
    else:
        p.expect(pexpect.EOF)
        out = p.before
    elapsed = time.monotonic() - start
    p.terminate(force=True)
    return out, elapsed


def main():
    subprocess.run(["make", "-s", "ARCH=arm64", "arm64-guests", "arm64-linux-bundle"], cwd=ROOT,
                   check=True)
    subprocess.run(["make", "-s", "ARCH=arm64"], cwd=ROOT, check=True)
    icount = ["-icount", "shift=0,sleep=off"]

    out, _ = run("max", GUESTS / "tests.cpio", "guest=bench_hvc", icount)
    ticks = int(re.search(r"bench arm64\.hvc_exit_ticks (\d+) ticks", out).group(1))
    print(f"bench arm64.hvc_exit_ticks {ticks} ticks")
    print(f"bench arm64.hvc_exit_insns {ticks * TICK_INSNS} insns")

    out, _ = run("max", GUESTS / "linux.cpio", "", icount,
                 until=r"first instruction to first guest entry took (\d+) ticks")
    entry = int(re.search(r"first instruction to first guest entry took (\d+) ticks",
                          out).group(1))
    print(f"bench boot.arm64_entry_to_guest_ticks {entry} ticks")

    walls = [run("max,pauth-impdef=on", GUESTS / "linux.cpio", "", until=r"vm0\| / # ")[1]
             for _ in range(3)]
    print(f"bench linux.arm64_boot_to_shell_s {statistics.median(walls):.2f} s")


if __name__ == "__main__":
    main()
