# Host builds of the generic code (ARCH=fake) for unit tests and stress tests.
#
#   build/fake/        ASan + UBSan: tests/unit/test_*.c, one binary each
#   build/fake-tsan/   ThreadSanitizer: tests/unit/stress_*.c, one binary each
#
# Every binary links the generic code and arch/fake as a static library plus
# the test fakes in tests/unit/support/ (page allocator with one malloc per
# page, sparse guest memory, TLB-flush recorder, console capture).
#
# The x86 guest-facing logic that needs no hardware (CPUID, MSR and I/O port
# policy, the SVM VMCB checks: X86_HOST_SRCS) is compiled for the host with
# the x86 headers into libx86.a, linked only into tests/unit/test_x86_*.c and
# test_svm_*.c, ahead of the other libraries. An archive member is linked
# only when a test calls into it, and each such test defines the privileged
# helpers its members use (arch_io_in8/out8, x86_cpuid_host, the platform's
# port dispatch, vm_stop, x86_cpu), so no instruction of the image's
# hardware path runs on the host.

HOST_CC ?= gcc
HOST_SRCS := $(GENERIC_SRCS) $(wildcard arch/fake/*.c)
SUPPORT_SRCS := $(wildcard tests/unit/support/*.c)
HOST_CFLAGS := $(COMMON_CFLAGS) -O1 -D_GNU_SOURCE -Itests/unit/support -Iarch/fake/include
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_FLAGS := -fsanitize=thread

UNIT_DIR := $(BUILD_ROOT)/fake
TSAN_DIR := $(BUILD_ROOT)/fake-tsan

UNIT_TESTS := $(patsubst tests/unit/%.c,$(UNIT_DIR)/tests/%,$(wildcard tests/unit/test_*.c))
STRESS_TESTS := $(patsubst tests/unit/%.c,$(TSAN_DIR)/tests/%,$(wildcard tests/unit/stress_*.c))

X86_HOST_SRCS := arch/x86/guest/x86_cpuid.c arch/x86/guest/x86_io.c arch/x86/guest/x86_msr.c \
	arch/x86/svm/svm_check.c
X86_UNIT_TESTS := $(filter $(UNIT_DIR)/tests/test_x86_% $(UNIT_DIR)/tests/test_svm_%,$(UNIT_TESTS))
X86_HOST_OBJS := $(X86_HOST_SRCS:%.c=$(UNIT_DIR)/obj/%.o) \
	$(X86_UNIT_TESTS:$(UNIT_DIR)/tests/%=$(UNIT_DIR)/obj/tests/unit/%.o)
$(X86_HOST_OBJS): HOST_CFLAGS += -Iarch/x86/include

$(UNIT_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(ASAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(TSAN_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(TSAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(UNIT_DIR)/libhv.a: $(HOST_SRCS:%.c=$(UNIT_DIR)/obj/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_DIR)/libsupport.a: $(SUPPORT_SRCS:%.c=$(UNIT_DIR)/obj/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_DIR)/libx86.a: $(X86_HOST_SRCS:%.c=$(UNIT_DIR)/obj/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(TSAN_DIR)/libhv.a: $(HOST_SRCS:%.c=$(TSAN_DIR)/obj/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(TSAN_DIR)/libsupport.a: $(SUPPORT_SRCS:%.c=$(TSAN_DIR)/obj/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_DIR)/tests/%: $(UNIT_DIR)/obj/tests/unit/%.o $(UNIT_DIR)/libsupport.a $(UNIT_DIR)/libhv.a
	@mkdir -p $(dir $@)
	@echo "  LD (host, asan) $@"
	$(Q)$(HOST_CC) $(ASAN_FLAGS) -o $@ $^ -lcmocka -lpthread

$(X86_UNIT_TESTS): $(UNIT_DIR)/tests/%: $(UNIT_DIR)/obj/tests/unit/%.o $(UNIT_DIR)/libx86.a \
		$(UNIT_DIR)/libsupport.a $(UNIT_DIR)/libhv.a
	@mkdir -p $(dir $@)
	@echo "  LD (host, asan, x86) $@"
	$(Q)$(HOST_CC) $(ASAN_FLAGS) -o $@ $^ -lcmocka -lpthread

$(TSAN_DIR)/tests/%: $(TSAN_DIR)/obj/tests/unit/%.o $(TSAN_DIR)/libsupport.a $(TSAN_DIR)/libhv.a
	@mkdir -p $(dir $@)
	@echo "  LD (host, tsan) $@"
	$(Q)$(HOST_CC) $(TSAN_FLAGS) -o $@ $^ -lcmocka -lpthread

.PHONY: unit-build
unit-build: $(UNIT_TESTS) $(STRESS_TESTS)
