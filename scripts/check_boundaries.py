#!/usr/bin/python3
"""The include rules of docs/architecture.md ("The arch seam"), enforced.

- Generic code (boot/main.c, drivers/, mm/, vmm/) reaches the hardware only
  through include/arch/*.h: it never includes a header that lives under arch/.
- vmm/mmu/ knows page-table formats, not backends: it includes nothing from
  include/arch/ either, and nothing from arch/.
- mm/ and drivers/ never include vmm/ headers (include/hv/vmm*, vmm/...).
- The trusted table module's internals (vmm/tmod/*.h) are included only by
  vmm/tmod/ itself: everything else, tests included, reaches the external
  table through include/hv/tmod.h, so nobody but the module can write it.
- vmm/mmu/ does not know the module either (include/hv/tmod*.h): the engine
  talks to any external table through its one hook (hv/mmu/mirror.h), and
  the module knows formats, not the engine (no vmm/mmu/ or hv/mmu/tdp.h).

A violation names the file, the line and the rule.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
ARCH_PRIVATE = [p for p in (ROOT / "arch").glob("*") if p.is_dir()]


def generic_files():
    for d in ("drivers", "mm", "vmm"):
        yield from sorted((ROOT / d).rglob("*.[ch]"))
    main = ROOT / "boot" / "main.c"
    if main.exists():
        yield main


def all_c_files():
    """Everything that could include the module's internals, tests included."""
    for d in ("arch", "boot", "drivers", "mm", "vmm", "tests", "include"):
        if (ROOT / d).exists():
            yield from sorted((ROOT / d).rglob("*.[ch]"))


def resolve(src, delim, name):
    """Where an include would be found: relative to the file, then include/,
    then any arch's private include directory (which generic code must not hit)."""
    if delim == '"':
        p = (src.parent / name).resolve()
        if p.exists():
            return p
    p = ROOT / "include" / name
    if p.exists():
        return p
    for a in ARCH_PRIVATE:
        p = a / "include" / name
        if p.exists():
            return p
    return None


def main():
    bad = []
    for src in generic_files():
        rel = src.relative_to(ROOT)
        in_mmu = rel.parts[:2] == ("vmm", "mmu")
        low_level = rel.parts[0] in ("mm", "drivers")
        for no, line in enumerate(src.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            delim, name = m.groups()
            target = resolve(src, delim, name)
            close = ">" if delim == "<" else '"'
            where = f"{rel}:{no}: #include {delim}{name}{close}"
            if target is None:
                continue  # a system header (stdint.h, ...)
            trel = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
            parts = trel.parts
            if parts and parts[0] == "arch":
                bad.append(f"{where}: generic code includes an arch-private header ({trel})")
            elif in_mmu and parts[:2] == ("include", "arch"):
                bad.append(f"{where}: vmm/mmu must not use the arch seam ({trel})")
            elif low_level and (parts[0] == "vmm" or (len(parts) > 2 and parts[2].startswith("vmm"))):
                bad.append(f"{where}: mm/ and drivers/ must not depend on vmm/ ({trel})")
    tmod_dir = ("vmm", "tmod")
    for src in all_c_files():
        rel = src.relative_to(ROOT)
        in_tmod = rel.parts[:2] == tmod_dir
        in_mmu = rel.parts[:2] == ("vmm", "mmu")
        for no, line in enumerate(src.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            delim, name = m.groups()
            target = resolve(src, delim, name)
            if target is None or not target.is_relative_to(ROOT):
                continue
            parts = target.relative_to(ROOT).parts
            close = ">" if delim == "<" else '"'
            where = f"{rel}:{no}: #include {delim}{name}{close}"
            if parts[:2] == tmod_dir and not in_tmod:
                bad.append(f"{where}: only vmm/tmod/ may use the module's internals")
            elif in_mmu and parts[:2] == ("include", "hv") and parts[2].startswith("tmod"):
                bad.append(f"{where}: vmm/mmu reaches external tables only through its hook")
            elif in_tmod and (parts[:2] == ("vmm", "mmu") or parts[1:] == ("hv", "mmu", "tdp.h")
                              or parts[1:] == ("hv", "mmu.h")):
                bad.append(f"{where}: the module knows page-table formats, not the engine")
    for b in bad:
        print("   " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
