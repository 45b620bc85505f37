"""x86_64: the GRUB image (make iso, Multiboot2) booted as a CD, as a USB
stick on an xHCI and on an EHCI controller, and as a CD under UEFI (OVMF)."""
import os

import pytest

from hvx86 import (BOOT_LINES, EXIT_OK, MAP_256M, MAP_256M_FIRMWARE, OVMF, SVM_LINES, UEFI_TIMEOUT, boot_iso,
                   expect_lines, expect_no_warnings, expect_status, find)

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
