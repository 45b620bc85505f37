#!/usr/bin/env bash
# Install every Debian package that building, running and testing the
# hypervisor needs. Idempotent: when everything is present it only asks dpkg
# (well under a second). Run as root or with sudo available.
#
# Usage: scripts/setup.sh [--check]   (--check: list what is missing, exit 1 if any)
set -euo pipefail

PACKAGES=(
	# build
	make gcc binutils nasm clang lld
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu device-tree-compiler
	# run (ovmf: UEFI firmware for booting hv.iso under UEFI)
	qemu-system-x86 qemu-system-arm qemu-utils ovmf
	# Intel VMX under emulation (QEMU's TCG has none): Bochs with its BIOS
	bochs bochs-term bochsbios vgabios
	# boot media
	grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools
	# tests and checks
	libcmocka-dev python3 python3-pytest python3-pexpect clang-format cppcheck
	busybox-static cpio gdb gdb-multiarch
)

missing=()
for p in "${PACKAGES[@]}"; do
	[[ $p == \#* ]] && continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [[ ${1:-} == --check ]]; then
	if ((${#missing[@]})); then
		echo "missing: ${missing[*]}"
		exit 1
	fi
	exit 0
fi

if ((${#missing[@]} == 0)); then
	exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || { echo "setup: need root or sudo to install packages" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the index only when an install fails on a stale one.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/hv-setup.log 2>&1; then
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" || {
		echo "setup: apt-get install failed" >&2
		exit 1
	}
fi
echo "setup: done"
