# ARCH=arm64: flags, sources and image rules for the arm64 hypervisor image.
#
# The image is a freestanding static PIE (linker/arm64.ld) that boots as a
# Linux arm64 Image (build/arm64/hv.bin) at EL2. Flags, and why:
#   -mgeneral-regs-only   no FP/SIMD at EL2: it would clobber guest state (and traps, CPTR_EL2)
#   -mstrict-align        C runs with the MMU off, where unaligned accesses fault
#   -mno-outline-atomics  atomics inline, not via libgcc helpers that need a C runtime
#   -fpie                 PC-relative code; absolute pointers become RELATIVE relocations
#   -march=armv8-a        runs on any ARMv8.0 CPU; newer features are probed at run time

CROSS_COMPILE ?= aarch64-linux-gnu-
CC := $(CROSS_COMPILE)gcc
LD := $(CROSS_COMPILE)ld
OBJCOPY := $(CROSS_COMPILE)objcopy
READELF := $(CROSS_COMPILE)readelf

ARM64_FLAGS := -ffreestanding -nostdlib -fno-builtin -fno-stack-protector -fpie \
	-mgeneral-regs-only -mstrict-align -mno-outline-atomics -march=armv8-a \
	-mbranch-protection=none -mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-Iarch/arm64/include
KERNEL_CFLAGS := $(COMMON_CFLAGS) $(ARM64_FLAGS)
KERNEL_ASFLAGS := -g -Iinclude -Iarch/arm64/include -march=armv8-a

ARCH_SRCS := $(IMAGE_ONLY_SRCS) boot/main.c drivers/pl011.c $(wildcard arch/arm64/*.c)
ARCH_ASM_SRCS := $(wildcard boot/arm64/*.S arch/arm64/*.S)
KERNEL_SRCS := $(GENERIC_SRCS) $(ARCH_SRCS)

KERNEL_OBJS := $(KERNEL_SRCS:%.c=$(BUILD)/obj/%.o) $(ARCH_ASM_SRCS:%.S=$(BUILD)/obj/%.o)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(KERNEL_ASFLAGS) $(DEPFLAGS) -c $< -o $@

# Only R_AARCH64_RELATIVE may remain: that is all entry.S knows how to apply.
$(BUILD)/hv.elf: $(KERNEL_OBJS) linker/arm64.ld
	@echo "  LD      $@"
	$(Q)$(LD) -pie --no-dynamic-linker -z text -z max-page-size=4096 -nostdlib \
		-T linker/arm64.ld -o $@ $(KERNEL_OBJS)
	$(Q)if $(READELF) -rW $@ | grep -E 'R_AARCH64_' | grep -qv 'R_AARCH64_RELATIVE'; then \
		echo "$@: dynamic relocations other than R_AARCH64_RELATIVE:" >&2; \
		$(READELF) -rW $@ | grep -E 'R_AARCH64_' | grep -v 'R_AARCH64_RELATIVE' >&2; \
		rm -f $@; exit 1; fi

$(BUILD)/hv.bin: $(BUILD)/hv.elf
	@echo "  OBJCOPY $@"
	$(Q)$(OBJCOPY) -O binary $< $@

all: $(BUILD)/hv.bin

# --- run and debug under QEMU (facts in ../shared/platform.md) -----------------------
# PSCI SYSTEM_OFF ends a successful run with status 0; semihosting carries
# failure statuses out (arch_shutdown in arch/arm64/cpu.c).
# The guest bundle (tests/guests/arm64/guests.mk) is the initrd: Debian's Linux
# and the test guests. GUEST picks one (make ARCH=arm64 run GUEST=psci): linux
# (the default), a test guest's name, or none (bring-up only).
GUEST ?= linux
QEMU_MEM ?= 512M
ARM64_BUNDLE ?= $(ARM64_GUEST_DIR)/linux.cpio
# pauth-impdef=on: QEMU's stand-in for pointer authentication instead of the
# architected QARMA5, which it emulates slowly (Linux boots 2-3x faster).
QEMU_ARM64_CPU ?= max,pauth-impdef=on
QEMU_ARM64 := qemu-system-aarch64 -M virt,virtualization=on -cpu $(QEMU_ARM64_CPU) -m $(QEMU_MEM) -nographic \
	-no-reboot -semihosting-config enable=on,target=native
QEMU_ARM64_ARGS = -kernel $(BUILD)/hv.bin -initrd $(ARM64_BUNDLE) \
	-append "guest=$(GUEST) $(CMDLINE)" $(QEMU_EXTRA)
# Where QEMU virt loads an Image (RAM base + 2 MiB): gdb needs it for the PIE's symbols.
ARM64_QEMU_LOAD := 0x40200000

run: $(SETUP_STAMP) $(BUILD)/hv.bin $(ARM64_BUNDLE)
	$(QEMU_ARM64) $(QEMU_ARM64_ARGS)

gdb: $(SETUP_STAMP) $(BUILD)/hv.bin $(ARM64_BUNDLE)
	$(QEMU_ARM64) $(QEMU_ARM64_ARGS) -S -gdb tcp::1234 & \
	gdb-multiarch -q -ex "set architecture aarch64" \
		-ex "add-symbol-file $(BUILD)/hv.elf -o $(ARM64_QEMU_LOAD)" \
		-ex "target remote localhost:1234"; \
	kill %1 2>/dev/null || true

iso:
	@echo "make iso is x86_64 only; ARCH=arm64 boots as an Image (build/arm64/hv.bin)." >&2
	@exit 1

# Flags live in this file: objects follow it.
$(KERNEL_OBJS): arch/arm64/build.mk Makefile
