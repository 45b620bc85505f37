# Host benchmarks (tests/bench/bench_*.c): optimised, no sanitizers, one
# binary each. `make bench` runs them and then the in-emulator benchmarks
# (scripts/bench.sh). Benchmarks print "bench <name> <value> <unit>" lines and
# assert nothing: they are not tests.

BENCH_DIR := $(BUILD_ROOT)/fake-bench
BENCH_CFLAGS := $(COMMON_CFLAGS) -O2 -D_GNU_SOURCE -Itests/unit/support -Iarch/fake/include
BENCHES := $(patsubst tests/bench/%.c,$(BENCH_DIR)/%,$(wildcard tests/bench/bench_*.c))

$(BENCH_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BENCH_DIR)/libhv.a: $(HOST_SRCS:%.c=$(BENCH_DIR)/obj/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BENCH_DIR)/libsupport.a: $(SUPPORT_SRCS:%.c=$(BENCH_DIR)/obj/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BENCH_DIR)/%: $(BENCH_DIR)/obj/tests/bench/%.o $(BENCH_DIR)/libsupport.a $(BENCH_DIR)/libhv.a
	@echo "  LD (host, bench) $@"
	$(Q)$(HOST_CC) -o $@ $^ -lpthread

.PHONY: bench-build
bench-build: $(BENCHES)

bench: $(SETUP_STAMP)
	$(Q)bash scripts/bench.sh
