"""scripts/guest-assets.sh builds valid guest files from Debian packages.

Runs the script (slow only the first time: it downloads two kernel
packages), then checks each output by content: the bzImage's "HdrS" magic,
the arm64 Image's "ARM\\x64" magic, and initramfs archives that hold /init
and a /bin/busybox of the right architecture. A second run must report
that everything is up to date and leave the files untouched.
"""
import gzip
import subprocess

from conftest import ROOT

GUESTS = ROOT / "build" / "guests"
EM_X86_64, EM_AARCH64 = 62, 183


def run_script():
    return subprocess.run(["bash", str(ROOT / "scripts" / "guest-assets.sh")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def cpio_members(path):
    """Parse a gzip'd newc archive: {name: (mode, data)}."""
    blob = gzip.decompress(path.read_bytes())
    members, pos = {}, 0
    while True:
        assert blob[pos:pos + 6] == b"070701", f"bad newc header at {pos}"
        fields = [int(blob[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        mode, filesize, namesize = fields[1], fields[6], fields[11]
        name_start = pos + 110
        name = blob[name_start:name_start + namesize - 1].decode()
        data_start = (name_start + namesize + 3) & ~3
        data = blob[data_start:data_start + filesize]
        pos = (data_start + filesize + 3) & ~3
        if name == "TRAILER!!!":
            return members
        members[name] = (mode, data)


def test_guest_assets_valid_and_idempotent():
    first = run_script()
    assert first.returncode == 0, first.stdout + first.stderr

    bz = (GUESTS / "x86_64" / "bzImage").read_bytes()
    assert bz[0x202:0x206] == b"HdrS"
    assert int.from_bytes(bz[0x206:0x208], "little") >= 0x0206
    img = (GUESTS / "arm64" / "Image").read_bytes()
    assert img[56:60] == b"ARM\x64"

    for arch, machine in (("x86_64", EM_X86_64), ("arm64", EM_AARCH64)):
        members = cpio_members(GUESTS / arch / "initramfs.cpio.gz")
        assert "init" in members and "bin/busybox" in members, sorted(members)
        init_mode, init = members["init"]
        assert init_mode & 0o111 and b"hv-guest: init ready" in init
        assert b"cttyhack" in init
        busybox = members["bin/busybox"][1]
        assert busybox[:4] == b"\x7fELF"
        assert int.from_bytes(busybox[18:20], "little") == machine
        assert "dev/console" in members

    versions = (GUESTS / "VERSIONS").read_text()
    assert "linux-image-" in versions and "busybox-static" in versions

    stamps = {p: p.stat().st_mtime_ns for p in GUESTS.glob("*/*") if p.is_file()}
    second = run_script()
    assert second.returncode == 0, second.stdout + second.stderr
    assert "up to date" in second.stdout
    assert stamps == {p: p.stat().st_mtime_ns for p in GUESTS.glob("*/*") if p.is_file()}
