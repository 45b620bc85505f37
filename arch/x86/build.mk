# ARCH=x86_64: flags and sources for the x86_64 hypervisor image.
#
# The image is a freestanding ELF64 linked at its physical load address
# (linker/x86_64.ld); no libc, no SSE, no red zone (interrupts and VM exits
# push onto the hypervisor stack), frame pointers kept for backtraces.

CC := gcc
LD := ld
OBJCOPY := objcopy
NASM := nasm

KERNEL_CFLAGS := $(COMMON_CFLAGS) -ffreestanding -nostdlib -fno-builtin -fno-stack-protector \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=kernel \
	-fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 -Iarch/x86/include

# boot/main.c joins when the x86 entry code and the mm/ modules it calls exist.
ARCH_SRCS := $(IMAGE_ONLY_SRCS) $(wildcard drivers/uart16550.c arch/x86/*.c)
KERNEL_SRCS := $(GENERIC_SRCS) $(ARCH_SRCS)
KERNEL_OBJS := $(KERNEL_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(DEPFLAGS) -c $< -o $@

# Until the boot code exists the image is a relocatable bundle of every
# object, which proves the generic code builds freestanding.
$(BUILD)/hv.o: $(KERNEL_OBJS)
	$(Q)$(LD) -r -o $@ $^

all: $(BUILD)/hv.o
