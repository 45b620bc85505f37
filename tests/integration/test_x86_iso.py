"""x86_64: the GRUB image (make iso, Multiboot2) booted as a CD, as a USB
stick on an xHCI and on an EHCI controller, and as a CD under UEFI (OVMF)."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import run_emulator
from hvx86 import (BOOT_LINES, BOOT_TIMEOUT, EXIT_OK, IMAGE, MAP_256M, MAP_256M_FIRMWARE, OVMF,
                   QEMU, SVM_LINES, UEFI_TIMEOUT, boot_iso, expect_lines, expect_no_warnings,
                   expect_status, find, make)

GRUB_LINES = [r'I boot: protocol multiboot2, loader "GRUB 2\.\d+', r'I boot: command line ""$']


@pytest.mark.parametrize("how", ["cdrom", "usb-xhci", "usb-ehci"])
def test_iso_bios(request, how):
    boot = boot_iso(request, how)
    expect_status(boot, EXIT_OK)
    assert find(boot, r"Booting `hv'") is not None, "GRUB did not boot the menu entry"
    expect_lines(boot, BOOT_LINES)
    expect_lines(boot, GRUB_LINES)
    expect_lines(boot, MAP_256M if how == "cdrom" else MAP_256M_FIRMWARE)
    expect_lines(boot, SVM_LINES)
    # GRUB passes SeaBIOS's ACPI RSDP; we keep a copy.
    expect_lines(boot, [r"I acpi: RSDP at 0x[0-9a-f]+$"])
    expect_no_warnings(boot)


@pytest.mark.skipif(not os.path.exists(OVMF), reason="OVMF (Debian ovmf) not installed")
def test_iso_uefi(request):
    boot = boot_iso(request, "uefi-cdrom", timeout=UEFI_TIMEOUT)
    expect_status(boot, EXIT_OK)
    expect_lines(boot, BOOT_LINES)
    expect_lines(boot, GRUB_LINES)
    expect_lines(boot, SVM_LINES)
    expect_lines(boot, [r"I acpi: RSDP at 0x[0-9a-f]+$"])
    expect_no_warnings(boot)


def test_grub_module2_is_listed_and_reserved(request, tmp_path):
    """GRUB places module2 files where it likes (GRUB 2.06 under SeaBIOS: below
    the image, at 0x131000); wherever that is, they must be reserved."""
    make("all")
    root = tmp_path / "iso"
    (root / "boot" / "grub").mkdir(parents=True)
    shutil.copy(IMAGE, root / "boot" / "hv.elf")
    (root / "boot" / "mod.bin").write_bytes(bytes(range(256)) * 40)  # 10 KiB
    (root / "boot" / "grub" / "grub.cfg").write_text(
        "serial --unit=0 --speed=115200\nterminal_input serial\nterminal_output serial\n"
        "set timeout=0\nmenuentry hv {\n multiboot2 /boot/hv.elf loglevel=debug\n"
        " module2 /boot/mod.bin modarg=1\n boot\n}\n")
    iso = tmp_path / "hv-mod.iso"
    proc = subprocess.run(["grub-mkrescue", "-o", str(iso), str(root)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")
    boot = run_emulator(["scripts/run-qemu", *QEMU, "-cpu", "max", "-m", "256M",
                         "-cdrom", str(iso)], BOOT_TIMEOUT, request)
    expect_status(boot, EXIT_OK)
    expect_lines(boot, [r'I boot: command line "loglevel=debug"$',
                        r'I module 0: \[0x([0-9a-f]{16})-0x([0-9a-f]{16})\] 10 KiB "modarg=1"$',
                        r"D frames: reserved \[0x[0-9a-f]{16}-0x[0-9a-f]{16}\] boot module",
                        r"I frames: reserved [\d.]+ KiB image, 12 KiB modules, ",
                        r"I bring-up complete"])
    m = re.search(r"I module 0: \[0x([0-9a-f]{16})-0x([0-9a-f]{16})\]", boot.output)
    start, last = int(m.group(1), 16), int(m.group(2), 16)
    image_end = int(re.search(r"image 0x200000-0x([0-9a-f]+)", boot.output).group(1), 16) + 1
    assert last < 0x200000 or start >= image_end, "the module overlaps the image"
