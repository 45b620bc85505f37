# ARCH=x86_64: flags, sources and image rules for the x86_64 hypervisor.
#
# The image is a freestanding ELF64 linked at its physical load address
# (linker/x86_64.ld) and run identity-mapped: code model "small" (every
# symbol below 2 GiB, absolute 32-bit addresses), no PIC. No libc, no SSE, no
# red zone (interrupts and VM exits push onto the hypervisor stack), frame
# pointers kept for backtraces.
#
#   build/x86_64/hv.elf     the image (ELF64, Multiboot v1 + v2 headers, symbols)
#   build/x86_64/hv32.elf   the same bytes as ELF32: QEMU -kernel refuses ELF64
#   build/x86_64/hv.iso     GRUB rescue image (make iso): CD, USB stick, BIOS + UEFI
#
# The image is linked twice: pass 1 without a symbol table, then the table
# generated from pass 1 (scripts/ksyms.awk) is linked in as the last section,
# where it moves nothing else; the build checks that every code address is
# the same in both passes.

CC := gcc
LD := ld
OBJCOPY := objcopy
NASM := nasm
QEMU := qemu-system-x86_64

KERNEL_CFLAGS := $(COMMON_CFLAGS) -ffreestanding -nostdlib -fno-builtin -fno-stack-protector \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fno-asynchronous-unwind-tables -fcf-protection=none -mno-sse -mno-mmx -mno-80387 \
	-ffile-prefix-map=$(CURDIR)=. -Iarch/x86/include
NASMFLAGS := -f elf64 -g -F dwarf -w+all -w-unknown-warning -w+error
LDFLAGS_IMAGE := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T linker/x86_64.ld

ARCH_SRCS := $(IMAGE_ONLY_SRCS) $(wildcard drivers/uart16550.c arch/x86/*.c arch/x86/*/*.c)
KERNEL_SRCS := boot/main.c $(GENERIC_SRCS) $(ARCH_SRCS)
KERNEL_ASMS := $(wildcard boot/x86_64/*.asm arch/x86/*.asm arch/x86/*/*.asm)
KERNEL_OBJS := $(KERNEL_SRCS:%.c=$(BUILD)/obj/%.o) $(KERNEL_ASMS:%.asm=$(BUILD)/obj/%.o)

IMAGE := $(BUILD)/hv.elf
IMAGE32 := $(BUILD)/hv32.elf
ISO := $(BUILD)/hv.iso

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

# Pass 1: an empty symbol table.
$(BUILD)/ksyms-empty.asm: scripts/ksyms.awk
	@mkdir -p $(dir $@)
	$(Q)awk -f scripts/ksyms.awk </dev/null >$@

$(BUILD)/hv.pass1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms-empty.o linker/x86_64.ld
	@echo "  LD      $@"
	$(Q)$(LD) $(LDFLAGS_IMAGE) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms-empty.o

# Pass 2: the table of every code symbol of pass 1.
$(BUILD)/ksyms.asm: $(BUILD)/hv.pass1.elf scripts/ksyms.awk
	$(Q)nm -n --defined-only $< | awk -f scripts/ksyms.awk >$@

$(BUILD)/%.o: $(BUILD)/%.asm
	$(Q)$(NASM) -f elf64 $< -o $@

$(IMAGE): $(BUILD)/hv.pass1.elf $(BUILD)/ksyms.o
	@echo "  LD      $@"
	$(Q)$(LD) $(LDFLAGS_IMAGE) -o $@.tmp $(KERNEL_OBJS) $(BUILD)/ksyms.o
	$(Q)nm -n $(BUILD)/hv.pass1.elf | grep -i ' t ' >$@.syms1; nm -n $@.tmp | grep -i ' t ' >$@.syms2; \
	if ! cmp -s $@.syms1 $@.syms2; then \
		echo "error: code moved between link passes (see linker/x86_64.ld, .ksyms)" >&2; \
		rm -f $@.tmp; exit 1; fi; rm -f $@.syms1 $@.syms2
	$(Q)mv $@.tmp $@
	$(Q)size $@ | awk 'NR == 2 { printf "  IMAGE   %s: text %d data %d bss %d\n", "$@", $$1, $$2, $$3 }'

# QEMU's Multiboot v1 loader takes ELF32 only; the bytes and addresses are the same.
$(IMAGE32): $(IMAGE)
	@echo "  OBJCOPY $@"
	$(Q)$(OBJCOPY) -O elf32-i386 $< $@

all: $(IMAGE) $(IMAGE32)

# --- run, gdb, iso -----------------------------------------------------------------
# scripts/run-qemu maps the hypervisor's exit status (isa-debug-exit) to the
# shell's: 0 on success, 64+n for a hypervisor failure n, QEMU's own status
# otherwise. See the script for the table.
#
# GUEST picks the boot guest: linux (default: Debian's kernel and a busybox
# initramfs from scripts/guest-assets.sh, 512 MiB of RAM), a test guest of
# tests/guests (make run GUEST=hello), or none (bring-up only).
GUEST ?= linux
GUEST_ASSETS := $(BUILD_ROOT)/guests/x86_64
ifeq ($(GUEST),linux)
QEMU_MEM ?= 512M
RUN_DEPS := $(GUEST_ASSETS)/bzImage
RUN_MODULES := $(GUEST_ASSETS)/bzImage,$(GUEST_ASSETS)/initramfs.cpio.gz
else ifeq ($(GUEST),none)
RUN_DEPS :=
RUN_MODULES :=
else
RUN_DEPS := $(BUILD)/guests/$(GUEST).elf
RUN_MODULES := $(BUILD)/guests/$(GUEST).elf
endif
QEMU_MEM ?= 256M
QEMU_CPU ?= max
CMDLINE ?=
QEMU_ARGS = -accel tcg -cpu $(QEMU_CPU) -m $(QEMU_MEM) -serial stdio -display none -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 $(QEMU_EXTRA)

$(GUEST_ASSETS)/bzImage $(GUEST_ASSETS)/initramfs.cpio.gz:
	$(Q)bash scripts/guest-assets.sh

run: $(SETUP_STAMP) $(IMAGE32) $(RUN_DEPS)
	$(Q)scripts/run-qemu $(QEMU) $(QEMU_ARGS) -kernel $(IMAGE32) \
		-append "$(if $(filter-out none,$(GUEST)),guest=$(GUEST) )$(CMDLINE)" \
		$(if $(RUN_MODULES),-initrd "$(RUN_MODULES)")

# QEMU stopped at reset with its gdbstub; gdb attaches and stops at hv_main.
gdb: $(SETUP_STAMP) $(IMAGE32)
	$(Q)CMDLINE="$(CMDLINE)" QEMU_CPU="$(QEMU_CPU)" QEMU_MEM="$(QEMU_MEM)" \
		QEMU_EXTRA="$(QEMU_EXTRA)" scripts/gdb.sh $(IMAGE) $(IMAGE32) $(GDB_ARGS)

# A GRUB rescue image: El Torito for CDs plus an MBR/GPT hybrid for USB sticks,
# with GRUB for BIOS (i386-pc) and UEFI (x86_64-efi), loading hv.elf with
# multiboot2. GRUB talks on COM1 too (its menu is skipped: timeout 0).
# CMDLINE is baked into grub.cfg, which is rewritten only when it changes.
ISO_DIR := $(BUILD)/iso
$(BUILD)/grub.cfg: scripts/grub.cfg.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed 's|@CMDLINE@|$(CMDLINE)|' $< >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(ISO): $(IMAGE) $(BUILD)/grub.cfg
	@echo "  ISO     $@"
	$(Q)rm -rf $(ISO_DIR) && mkdir -p $(ISO_DIR)/boot/grub
	$(Q)cp $(IMAGE) $(ISO_DIR)/boot/hv.elf
	$(Q)cp $(BUILD)/grub.cfg $(ISO_DIR)/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $@.tmp $(ISO_DIR) >$(BUILD)/grub-mkrescue.log 2>&1 || \
		{ cat $(BUILD)/grub-mkrescue.log >&2; exit 1; }
	$(Q)mv $@.tmp $@

iso: $(SETUP_STAMP) $(ISO)
