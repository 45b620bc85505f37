# arm64 test guests (tests/guests/arm64) and the guest bundles hv boots them
# from, built with the aarch64 cross compiler whatever ARCH is:
#
#   build/arm64/guests/<name>.img   one test guest: a small arm64 Image
#   build/arm64/guests/tests.cpio   every test guest as test/<name>
#   build/arm64/guests/linux.cpio   Debian's kernel and busybox initramfs as
#                                   linux/Image and linux/initrd, plus the tests
#
# A bundle is the hypervisor's initrd (QEMU -initrd); guest=<name> on its
# command line picks the guest (docs/arm64.md, "Guest bundles").

ARM64_GUEST_CROSS ?= aarch64-linux-gnu-
ARM64_GUEST_DIR := $(BUILD_ROOT)/arm64/guests
ARM64_GUEST_SRC := tests/guests/arm64
ARM64_GUEST_CFLAGS := -std=gnu11 -g -O2 $(WARNINGS) -ffreestanding -nostdlib -fno-builtin \
	-fno-pie -fno-pic -fno-stack-protector -mgeneral-regs-only -mstrict-align \
	-mno-outline-atomics -march=armv8-a -mbranch-protection=none -Iinclude -I$(ARM64_GUEST_SRC)
ARM64_GUEST_RUNTIME := start probes lib
ARM64_GUESTS := $(filter-out $(ARM64_GUEST_RUNTIME), \
	$(basename $(notdir $(wildcard $(ARM64_GUEST_SRC)/*.c))))
ARM64_GUEST_RT_OBJS := $(ARM64_GUEST_DIR)/obj/start.o $(ARM64_GUEST_DIR)/obj/probes.o \
	$(ARM64_GUEST_DIR)/obj/lib.o
ARM64_GUEST_IMGS := $(ARM64_GUESTS:%=$(ARM64_GUEST_DIR)/%.img)
ARM64_LINUX := build/guests/arm64/Image build/guests/arm64/initramfs.cpio.gz

$(ARM64_GUEST_DIR)/obj/%.o: $(ARM64_GUEST_SRC)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (arm64 guest)"
	$(Q)$(ARM64_GUEST_CROSS)gcc $(ARM64_GUEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(ARM64_GUEST_DIR)/obj/%.o: $(ARM64_GUEST_SRC)/%.S
	@mkdir -p $(dir $@)
	@echo "  AS      $< (arm64 guest)"
	$(Q)$(ARM64_GUEST_CROSS)gcc $(ARM64_GUEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(ARM64_GUEST_DIR)/%.elf: $(ARM64_GUEST_DIR)/obj/%.o $(ARM64_GUEST_RT_OBJS) \
		$(ARM64_GUEST_SRC)/guest.ld
	$(Q)$(ARM64_GUEST_CROSS)ld -nostdlib -static -z max-page-size=4096 --no-warn-rwx-segments \
		-T $(ARM64_GUEST_SRC)/guest.ld -o $@ $(ARM64_GUEST_RT_OBJS) $<

$(ARM64_GUEST_DIR)/%.img: $(ARM64_GUEST_DIR)/%.elf
	$(Q)$(ARM64_GUEST_CROSS)objcopy -O binary $< $@

$(ARM64_GUEST_DIR)/tests.cpio: $(ARM64_GUEST_IMGS) scripts/mkbundle.py
	@echo "  BUNDLE  $@"
	$(Q)$(PYTHON) scripts/mkbundle.py $@ $(foreach g,$(ARM64_GUESTS),test/$(g)=$(ARM64_GUEST_DIR)/$(g).img)

$(ARM64_GUEST_DIR)/linux.cpio: $(ARM64_GUEST_IMGS) $(ARM64_LINUX) scripts/mkbundle.py
	@echo "  BUNDLE  $@"
	$(Q)$(PYTHON) scripts/mkbundle.py $@ linux/Image=build/guests/arm64/Image \
		linux/initrd=build/guests/arm64/initramfs.cpio.gz \
		$(foreach g,$(ARM64_GUESTS),test/$(g)=$(ARM64_GUEST_DIR)/$(g).img)

# Debian's kernel and busybox (scripts/guest-assets.sh; make test runs it first).
$(ARM64_LINUX):
	$(Q)bash scripts/guest-assets.sh

.PHONY: arm64-guests arm64-linux-bundle
arm64-guests: $(ARM64_GUEST_DIR)/tests.cpio
arm64-linux-bundle: $(ARM64_GUEST_DIR)/linux.cpio
