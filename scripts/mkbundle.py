#!/usr/bin/python3
"""Write a guest bundle: a newc cpio archive of named files (include/hv/bundle.h).

    scripts/mkbundle.py OUT NAME=PATH [NAME=PATH ...]

Each NAME is the file's name inside the archive (e.g. linux/Image,
test/hvc); PATH is read from disk. Directories for the names are added
first. Owner root, mode 0644, mtime 0: the same inputs always give the same
bytes. The archive is written to OUT.tmp and renamed, so a failed run never
leaves a half-written bundle.

Every file's data starts on a 4 KiB boundary of the archive (newc only
promises 4 bytes): a padding file (".pad", zeros) is inserted where needed.
The boot loader places the archive page-aligned, so the hypervisor copies
each image with aligned word moves, not byte by byte.
"""
import os
import sys


ALIGN = 4096
HEADER = 110
PAD_NAME = ".pad"


def pad4(n):
    return n + (-n % 4)


def record(ino, name, mode, data):
    n = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0))
    out = hdr.encode() + n
    out += b"\0" * (-len(out) % 4)
    return out + data + b"\0" * (-len(data) % 4)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    out, pairs = argv[1], argv[2:]
    files = []
    for p in pairs:
        name, sep, path = p.partition("=")
        if not sep or not name or name.startswith("/") or ".." in name.split("/"):
            sys.exit(f"mkbundle: bad entry {p!r} (want name=path, name relative)")
        with open(path, "rb") as f:
            files.append((name, f.read()))
    dirs = sorted({"/".join(n.split("/")[:i]) for n, _ in files
                   for i in range(1, n.count("/") + 1)})
    blob, ino = b"", 1
    for d in dirs:
        blob += record(ino, d, 0o040755, b"")
        ino += 1
    for name, data in files:
        # Where this file's data would start; if not aligned, a padding file first.
        start = len(blob) + pad4(HEADER + len(name) + 1)
        if start % ALIGN:
            before = len(blob) + pad4(HEADER + len(PAD_NAME) + 1)
            fill = -(before + pad4(HEADER + len(name) + 1)) % ALIGN
            blob += record(ino, PAD_NAME, 0o100644, bytes(fill))
            ino += 1
            assert (len(blob) + pad4(HEADER + len(name) + 1)) % ALIGN == 0
        blob += record(ino, name, 0o100644, data)
        ino += 1
    blob += record(0, "TRAILER!!!", 0, b"")
    with open(out + ".tmp", "wb") as f:
        f.write(blob)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv)
