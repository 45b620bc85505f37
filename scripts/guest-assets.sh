#!/usr/bin/env bash
# Build the real guests the integration tests and `make run` boot, from Debian
# packages, without installing a kernel on this machine:
#
#   build/guests/x86_64/bzImage            Debian's linux-image-<abi>-amd64 /boot/vmlinuz
#   build/guests/x86_64/initramfs.cpio.gz  busybox-static (amd64) + /init
#   build/guests/arm64/Image               Debian's linux-image-<abi>-arm64 vmlinuz, gunzipped
#   build/guests/arm64/initramfs.cpio.gz   busybox-static:arm64 + /init
#   build/guests/VERSIONS                  the exact packages and versions used
#
# Packages are fetched with `apt-get download` into build/guests/cache and
# unpacked with `dpkg-deb -x`; nothing is installed. The arm64 architecture is
# added to dpkg (and the index refreshed) only when apt does not know arm64
# packages yet, which needs root.
#
# The initramfs is written by a small Python helper rather than cpio(1) so it
# can carry /dev/console without root (mknod) and is byte-for-byte
# reproducible (owner root, fixed mtimes): the kernel needs /dev/console in
# the initramfs to give /init a console.
#
# Idempotent: when VERSIONS already names the current candidate versions and
# every output exists (and this script has not changed), it exits at once.
# Offline with outputs present, it keeps them and says so.
#
# Usage: scripts/guest-assets.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build/guests
CACHE=$OUT/cache
PY=/usr/bin/python3
FORCE=0
[[ ${1:-} == --force ]] && FORCE=1

say() { echo "guest-assets: $*"; }
die() { echo "guest-assets: error: $*" >&2; exit 1; }

SUDO=
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then
	SUDO=sudo
fi

# apt and dpkg locks may be held by another job on this machine: retry.
apt_retry() {
	local i
	for i in 1 2 3 4 5 6; do
		"$@" && return 0
		sleep $((i * 5))
	done
	return 1
}

# The versioned kernel package a Debian metapackage currently points at,
# e.g. linux-image-amd64 -> linux-image-6.1.0-56-amd64.
kernel_package() {
	local meta=$1
	apt-cache depends "$meta" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-image-[0-9][^ :]*\).*$/\1/p" | head -1
}

candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -1
}

have_arm64_index() {
	[[ -n $(candidate busybox-static:arm64) && $(candidate busybox-static:arm64) != "(none)" ]]
}

ensure_arm64_index() {
	have_arm64_index && return 0
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		say "adding the arm64 architecture to dpkg"
		$SUDO dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed (need root)"
	fi
	say "refreshing the package index for arm64"
	apt_retry $SUDO apt-get update -qq || die "apt-get update failed"
	have_arm64_index || die "apt knows no arm64 packages even after apt-get update"
}

# Resolve what we want: "name version" for each of the four packages.
resolve() {
	local kx ka
	kx=$(kernel_package linux-image-amd64)
	ka=$(kernel_package linux-image-arm64:arm64)
	[[ -n $kx && -n $ka ]] || return 1
	echo "x86_64-kernel $kx $(candidate "$kx")"
	echo "x86_64-busybox busybox-static $(candidate busybox-static)"
	echo "arm64-kernel $ka:arm64 $(candidate "$ka:arm64")"
	echo "arm64-busybox busybox-static:arm64 $(candidate busybox-static:arm64)"
}

OUTPUTS=("$OUT/x86_64/bzImage" "$OUT/x86_64/initramfs.cpio.gz" "$OUT/arm64/Image"
	"$OUT/arm64/initramfs.cpio.gz")
SCRIPT_SUM=$(sha256sum "$0" | cut -c1-16)

outputs_present() {
	local f
	for f in "${OUTPUTS[@]}"; do [[ -s $f ]] || return 1; done
	[[ -s $OUT/VERSIONS ]]
}

mkdir -p "$CACHE" "$OUT/x86_64" "$OUT/arm64"

if ! ensure_arm64_index_out=$(ensure_arm64_index 2>&1); then
	echo "$ensure_arm64_index_out" >&2
	if outputs_present; then
		say "cannot refresh package information; keeping the existing guests"
		exit 0
	fi
	exit 1
fi
[[ -n $ensure_arm64_index_out ]] && echo "$ensure_arm64_index_out"

wanted=$(resolve) || {
	outputs_present && { say "cannot resolve kernel packages; keeping the existing guests"; exit 0; }
	die "cannot resolve the linux-image-amd64 / linux-image-arm64 packages (apt-get update?)"
}
stamp="script $SCRIPT_SUM"$'\n'"$wanted"
if ((!FORCE)) && outputs_present && [[ $(sed -n '/^script /,$p' "$OUT/VERSIONS") == "$stamp" ]]; then
	say "up to date ($(echo "$wanted" | awk '/kernel/ {print $2"="$3}' | paste -sd' '))"
	exit 0
fi

# Fetch one package (name[:arch] version) into the cache; print the .deb path.
fetch() {
	local pkg=$1 ver=$2 name arch deb
	name=${pkg%%:*}
	arch=amd64
	[[ $pkg == *:* ]] && arch=${pkg##*:}
	deb=$(ls "$CACHE/${name}_${ver//:/%3a}_${arch}.deb" 2>/dev/null || true)
	if [[ -z $deb ]]; then
		say "downloading $pkg $ver" >&2
		(cd "$CACHE" && apt_retry apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
			die "apt-get download $pkg=$ver failed"
		deb=$(ls "$CACHE/${name}_${ver//:/%3a}_${arch}.deb" 2>/dev/null || true)
		[[ -n $deb ]] || die "downloaded $pkg but cannot find its .deb in $CACHE"
	fi
	echo "$deb"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/hv-guest-assets.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Extract a .deb into dir; with a pattern, only the members matching it (a
# kernel package is mostly modules we do not need).
extract() {
	local deb=$1 dir=$2 pattern=${3:-}
	mkdir -p "$dir"
	if [[ -n $pattern ]]; then
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --wildcards "$pattern"
	else
		dpkg-deb -x "$deb" "$dir"
	fi
}

# build_arch ARCH KERNEL_PKG KERNEL_VER BUSYBOX_PKG BUSYBOX_VER ELF_MACHINE
build_arch() {
	local arch=$1 kpkg=$2 kver=$3 bpkg=$4 bver=$5 kdeb bdeb vmlinuz tmp
	kdeb=$(fetch "$kpkg" "$kver")
	bdeb=$(fetch "$bpkg" "$bver")
	extract "$kdeb" "$work/$arch-kernel" "./boot/vmlinuz-*"
	extract "$bdeb" "$work/$arch-busybox"
	vmlinuz=$(ls "$work/$arch-kernel"/boot/vmlinuz-* 2>/dev/null | head -1)
	[[ -n $vmlinuz ]] || die "$kpkg has no /boot/vmlinuz-*"
	if [[ $arch == x86_64 ]]; then
		tmp=$OUT/x86_64/bzImage.tmp
		cp "$vmlinuz" "$tmp"
		mv -f "$tmp" "$OUT/x86_64/bzImage"
	else
		# Debian ships the arm64 Image gzip-compressed; the boot protocol
		# wants it uncompressed. Accept an uncompressed one too.
		tmp=$OUT/arm64/Image.tmp
		if gzip -t "$vmlinuz" 2>/dev/null; then
			gzip -dc "$vmlinuz" >"$tmp"
		else
			cp "$vmlinuz" "$tmp"
		fi
		mv -f "$tmp" "$OUT/arm64/Image"
	fi
	[[ -x $work/$arch-busybox/bin/busybox ]] || die "$bpkg has no /bin/busybox"
	"$PY" - "$work/$arch-busybox/bin/busybox" "$OUT/$arch/initramfs.cpio.gz.tmp" <<'PY'
"""Write a gzip'd newc cpio: /init, /bin/busybox, /bin/sh and the few
directories and device nodes the kernel and busybox need. Owner root,
mtime 0: the same inputs always give the same bytes."""
import gzip, stat, sys

busybox_path, out_path = sys.argv[1], sys.argv[2]
INIT = b"""#!/bin/busybox sh
# hv guest init: set up the basics, say so, and keep a shell on the console.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
echo "hv-guest: init ready ($(uname -m), $(uname -r))"
# poweroff, reboot and halt ask PID 1 by a signal, which this script cannot
# act on while it waits for the shell: the shell runs them with -f instead
# (no disks to sync). ash reads $ENV when interactive.
export ENV=/etc/hv-shrc
# cttyhack opens the real console as the controlling terminal, so job
# control (Ctrl-C, Ctrl-Z) works; respawn the shell if it exits.
while :; do
	setsid cttyhack sh
	echo "hv-guest: shell exited, restarting"
done
"""
with open(busybox_path, "rb") as f:
    busybox = f.read()

entries = []  # (name, mode, data, rdev_major, rdev_minor)
for d in ("bin", "sbin", "dev", "etc", "proc", "sys", "tmp", "root", "usr", "usr/bin",
          "usr/sbin", "mnt", "run"):
    entries.append((d, stat.S_IFDIR | 0o755, b"", 0, 0))
entries.append(("dev/console", stat.S_IFCHR | 0o600, b"", 5, 1))
entries.append(("dev/null", stat.S_IFCHR | 0o666, b"", 1, 3))
entries.append(("dev/ttyS0", stat.S_IFCHR | 0o660, b"", 4, 64))
entries.append(("dev/ttyAMA0", stat.S_IFCHR | 0o660, b"", 204, 64))
entries.append(("bin/busybox", stat.S_IFREG | 0o755, busybox, 0, 0))
entries.append(("bin/sh", stat.S_IFLNK | 0o777, b"busybox", 0, 0))
entries.append(("init", stat.S_IFREG | 0o755, INIT, 0, 0))
entries.append(("etc/hv-shrc", stat.S_IFREG | 0o644,
                b"alias poweroff='poweroff -f' reboot='reboot -f' halt='halt -f'\n", 0, 0))

def record(ino, name, mode, data, major, minor, nlink):
    n = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, major, minor, len(n), 0))
    out = hdr.encode() + n
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out

blob = b"".join(record(i + 1, n, m, d, ma, mi, 2 if stat.S_ISDIR(m) else 1)
                for i, (n, m, d, ma, mi) in enumerate(entries))
blob += record(0, "TRAILER!!!", 0, b"", 0, 0, 1)
with open(out_path, "wb") as f:
    with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as g:
        g.write(blob)
PY
	mv -f "$OUT/$arch/initramfs.cpio.gz.tmp" "$OUT/$arch/initramfs.cpio.gz"
	say "built $OUT/$arch ($kpkg $kver, $bpkg $bver)"
}

while read -r role pkg ver; do
	case $role in
	x86_64-kernel) xk=$pkg xkv=$ver ;;
	x86_64-busybox) xb=$pkg xbv=$ver ;;
	arm64-kernel) ak=$pkg akv=$ver ;;
	arm64-busybox) ab=$pkg abv=$ver ;;
	esac
done <<<"$wanted"

build_arch x86_64 "$xk" "$xkv" "$xb" "$xbv"
build_arch arm64 "$ak" "$akv" "$ab" "$abv"

# Drop cached .debs that are no longer wanted so the cache does not grow.
for deb in "$CACHE"/*.deb; do
	[[ -e $deb ]] || continue
	keep=0
	for v in "$xk $xkv" "$xb $xbv" "${ak%%:*} $akv" "${ab%%:*} $abv"; do
		set -- $v
		[[ $(basename "$deb") == "${1}_${2//:/%3a}_"*.deb ]] && keep=1
	done
	((keep)) || rm -f "$deb"
done

{
	echo "# Guest assets built by scripts/guest-assets.sh from Debian packages"
	echo "# role package version"
	echo "$stamp"
} >"$OUT/VERSIONS"
say "done: $(echo "$wanted" | awk '/kernel/ {print $2"="$3}' | paste -sd' ')"
