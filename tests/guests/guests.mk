# Test guests (tests/guests/*.c): small Multiboot v1 kernels, 32-bit,
# freestanding, built with the host gcc in -m32 mode and linked at 0x20000
# (lib/guest.ld). Each links the guest library (lib/). Output:
#   build/x86_64/guests/<name>.elf
# `make guests` builds them; `make test` and `make run GUEST=<name>` use them.

GUEST_CC := gcc
GUEST_LD := ld
GUEST_DIR := $(BUILD_ROOT)/x86_64/guests
GUEST_CFLAGS := -m32 -march=i686 -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
	-mno-sse -mno-mmx -mno-80387 -mgeneral-regs-only -nostdlib \
	-Wall -Wextra -Werror -Wno-unused-parameter -Iinclude -Itests/guests/lib
GUEST_LIB_SRCS := $(wildcard tests/guests/lib/*.c tests/guests/lib/*.S)
GUEST_LIB_OBJS := $(patsubst tests/guests/%,$(GUEST_DIR)/obj/%.o,$(GUEST_LIB_SRCS))
GUEST_NAMES := $(basename $(notdir $(wildcard tests/guests/*.c)))
GUEST_ELFS := $(GUEST_NAMES:%=$(GUEST_DIR)/%.elf)

$(GUEST_DIR)/obj/%.c.o: tests/guests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC (guest) $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_DIR)/obj/%.S.o: tests/guests/%.S
	@mkdir -p $(dir $@)
	@echo "  AS (guest) $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_DIR)/%.elf: $(GUEST_DIR)/obj/%.c.o $(GUEST_LIB_OBJS) tests/guests/lib/guest.ld
	@echo "  LD (guest) $@"
	$(Q)$(GUEST_LD) -m elf_i386 -nostdlib -static -z noexecstack --no-warn-rwx-segments \
		-T tests/guests/lib/guest.ld -o $@ $(filter %.o,$^)

.PHONY: guests
guests: $(GUEST_ELFS)
