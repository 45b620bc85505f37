"""x86_64: `make gdb` stops at hv_main with symbols, and gdb can see the
hypervisor's state there (batch mode, the same script as `make gdb`)."""
import subprocess

from conftest import ROOT
from hvx86 import IMAGE, IMAGE32, make


def test_gdb_stops_at_hv_main_with_a_backtrace():
    make("all")
    proc = subprocess.run(
        ["scripts/gdb.sh", str(IMAGE), str(IMAGE32), "-batch",
         "-ex", "bt", "-ex", "next", "-ex", "next", "-ex", "print boot_info.protocol",
         "-ex", "info registers cs rip", "-ex", "kill"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = proc.stdout.decode(errors="replace")
    for needle in ["Breakpoint 1, hv_main (boot_arg0=732803074,",  # 0x2badb002: Multiboot v1
                   "at boot/main.c:",
                   "#0  hv_main (",
                   "in _start.long_mode () at boot/x86_64/entry.asm:",
                   '= 0x', '"multiboot1"',  # boot_info was filled by arch_bootinfo_parse
                   "cs             0x8"]:
        assert needle in out, f"{needle!r} missing from gdb's output:\n{out}"
