# The hypervisor's one Makefile.
#
#   make [ARCH=x86_64|arm64]   build the image under build/<arch>/
#   make run                   install what is missing, build, boot under QEMU
#   make test                  unit tests (host, ASan+UBSan, TSan) + integration tests (QEMU)
#   make check                 clang-format check, static analysis, arch-boundary rule
#   make format                reformat the sources in place
#   make bench                 benchmarks: one "bench <name> <value> <unit>" line each
#   make gdb                   boot under QEMU stopped at the first instruction, attach gdb
#   make iso                   GRUB image that boots as a CD and as a USB stick (x86_64)
#   make clean
#
# Knobs: ARCH, V=1 (show commands), QEMU_EXTRA (appended to QEMU's command line),
# CMDLINE (the hypervisor's command line for run/gdb), GUEST (guest for make run).
#
# Sources are found by directory: everything under drivers/, mm/ and vmm/ is
# generic and builds both into the image and into the host library used by the
# unit tests, except the files an arch claims (ARCH_ONLY_SRCS: device drivers,
# the freestanding string functions). arch/<dir>/build.mk adds the arch's own
# sources, flags and image rules.

ARCH ?= x86_64
V ?= 0
BUILD_ROOT := build
BUILD := $(BUILD_ROOT)/$(ARCH)

ifeq ($(V),1)
Q :=
else
Q := @
endif

ifeq ($(ARCH),x86_64)
ARCH_DIR := x86
else ifeq ($(ARCH),arm64)
ARCH_DIR := arm64
else ifeq ($(ARCH),fake)
ARCH_DIR := fake
else
$(error ARCH must be x86_64, arm64 or fake, not '$(ARCH)')
endif

# Generic files that go into every hypervisor image but never into the host
# build, where arch/fake provides the same functions on top of the C library
# (string primitives, the page and object allocators' glue).
IMAGE_ONLY_SRCS := $(wildcard mm/string.c mm/page.c mm/alloc.c)
# Device drivers: each real arch's build.mk adds the ones it uses to ARCH_SRCS.
DEVICE_SRCS := $(wildcard drivers/uart16550.c drivers/pl011.c)
ARCH_ONLY_SRCS := $(IMAGE_ONLY_SRCS) $(DEVICE_SRCS)

# boot/main.c is the image's entry sequence; the other boot/*.c files parse
# boot protocols and are plain C tested on the host.
GENERIC_SRCS := $(filter-out $(ARCH_ONLY_SRCS), \
	$(wildcard boot/*.c drivers/*.c mm/*.c vmm/*.c vmm/*/*.c vmm/*/*/*.c))
GENERIC_SRCS := $(filter-out boot/main.c, $(GENERIC_SRCS))

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wmissing-declarations -Wpointer-arith -Wvla -Wformat=2 -Wundef -Wwrite-strings \
	-Wno-unused-parameter -Wimplicit-fallthrough
COMMON_CFLAGS := -std=gnu11 -g -O2 $(WARNINGS) -Iinclude -fno-omit-frame-pointer \
	-fno-strict-aliasing
DEPFLAGS = -MMD -MP

SETUP_STAMP := $(BUILD_ROOT)/.setup-done
PYTHON := /usr/bin/python3

.PHONY: all run test check format bench gdb iso clean setup unit-test integration-test \
	FORCE

all:

include tests/guests/arm64/guests.mk
include arch/$(ARCH_DIR)/build.mk
include tests/unit/unit.mk
include tests/bench/bench.mk
include tests/guests/guests.mk

# --- setup: install the Debian packages the build and the tests need -----------------
# scripts/setup.sh is idempotent and fast when everything is there; the stamp
# records that it ran successfully, and is refreshed when the script changes.
$(SETUP_STAMP): scripts/setup.sh
	$(Q)bash scripts/setup.sh
	$(Q)mkdir -p $(dir $@) && touch $@

setup:
	$(Q)bash scripts/setup.sh
	$(Q)mkdir -p $(BUILD_ROOT) && touch $(SETUP_STAMP)

# --- checks ----------------------------------------------------------------------------
check: $(SETUP_STAMP)
	$(Q)bash scripts/check.sh

format:
	$(Q)git ls-files --cached --others --exclude-standard '*.c' '*.h' | xargs clang-format -i

# --- tests -----------------------------------------------------------------------------
# scripts/test.sh runs the unit tests and the integration tests and ends with
# one summary line; its exit status is non-zero if anything failed.
test: $(SETUP_STAMP)
	$(Q)bash scripts/test.sh

clean:
	rm -rf $(BUILD_ROOT)/x86_64 $(BUILD_ROOT)/arm64 $(BUILD_ROOT)/fake $(BUILD_ROOT)/fake-tsan \
		$(BUILD_ROOT)/fake-bench $(BUILD_ROOT)/guests

.SECONDARY:

-include $(shell find $(BUILD_ROOT) -name '*.d' 2>/dev/null)
