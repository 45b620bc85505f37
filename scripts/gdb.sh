#!/usr/bin/env bash
# make gdb: boot the image under QEMU, stopped at reset with its gdbstub on a
# free local port, and attach gdb with hv.elf's symbols, stopped at hv_main.
#
# Usage: scripts/gdb.sh <hv.elf> <hv32.elf> [gdb arguments...]
#   Extra arguments go to gdb after the attach sequence, e.g.
#   scripts/gdb.sh build/x86_64/hv.elf build/x86_64/hv32.elf -batch -ex bt
# Environment: CMDLINE (the hypervisor's command line), QEMU_CPU, QEMU_MEM,
#   QEMU_EXTRA. The serial console goes to build/x86_64/gdb-serial.log.
#
# Why a hardware breakpoint: QEMU -kernel starts the CPU at the reset vector
# and its Multiboot option ROM copies the image into RAM later, overwriting
# any int3 that a software breakpoint would have planted. Why it is enough:
# QEMU's x86_64 gdbstub always sends the 64-bit register layout, so gdb (set
# to i386:x86-64) follows the switch from 32-bit entry code to long mode, and
# at hv_main everything is 64-bit.
set -euo pipefail
elf=$1 elf32=$2
shift 2
log=$(dirname "$elf")/gdb-serial.log
port=${GDB_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

qemu-system-x86_64 -accel tcg -cpu "${QEMU_CPU:-max}" -m "${QEMU_MEM:-256M}" -display none \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$log" \
	-kernel "$elf32" -append "${CMDLINE:-}" -S -gdb "tcp:127.0.0.1:$port" ${QEMU_EXTRA:-} &
qemu=$!
trap 'kill $qemu 2>/dev/null || true; wait $qemu 2>/dev/null || true' EXIT
echo "gdb: QEMU (pid $qemu) waits on 127.0.0.1:$port; serial console in $log" >&2

# Wait for the gdbstub to listen (QEMU starts in well under a second).
for _ in $(seq 100); do
	if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null; then
		break
	fi
	sleep 0.1
done

gdb -q "$elf" \
	-ex "set architecture i386:x86-64" \
	-ex "set confirm off" \
	-ex "target remote 127.0.0.1:$port" \
	-ex "hbreak hv_main" \
	-ex "continue" \
	-ex "delete" \
	"$@"
