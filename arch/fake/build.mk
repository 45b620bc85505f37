# ARCH=fake: the host build of the generic code (see tests/unit/unit.mk).
# `make ARCH=fake` builds the host library; there is no image to run.

all: $(BUILD_ROOT)/fake/libhv.a

run gdb iso:
	@echo "ARCH=fake is the host build used by unit tests; it has nothing to $@." >&2
	@exit 1
