#!/usr/bin/env bash
# Run every test layer and end with one summary line:
#   1. host unit tests (tests/unit/test_*.c) under ASan + UBSan
#   2. host stress tests (tests/unit/stress_*.c) under ThreadSanitizer
#   3. integration tests (tests/integration, pytest): boot the images in QEMU
# Exit status is 0 only if every layer passed. TESTS_FILTER=<pytest -k expr>
# narrows the integration layer; UNIT_ONLY=1 skips it.
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=$(nproc 2>/dev/null || echo 2)
LOGDIR=build/test-logs
mkdir -p "$LOGDIR"

unit_pass=0 unit_fail=0 unit_skip=0 stress_pass=0 stress_fail=0 stress_skip=0
failed_bins=()

# Real guest kernels and initramfs images (quick when up to date): some unit
# tests load the real Debian kernels, and the integration tests boot them.
echo "== guest assets"
if ! bash scripts/guest-assets.sh; then
	echo "SUMMARY: FAIL (scripts/guest-assets.sh could not build the guest images)"
	exit 1
fi

echo "== building unit and stress tests"
if ! make -s -j"$JOBS" unit-build; then
	echo "SUMMARY: FAIL (unit tests did not build)"
	exit 1
fi

# Run one cmocka binary; add its test counts to the named counters.
run_cmocka() {
	local bin=$1 pass_var=$2 fail_var=$3 skip_var=$4 log
	log="$LOGDIR/$(basename "$bin").log"
	if "$bin" >"$log" 2>&1; then
		status=0
	else
		status=$?
	fi
	local passed failed skipped
	passed=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	failed=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | head -1)
	skipped=$(sed -n 's/.*\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | head -1)
	passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
	if ((status != 0)) && ((failed == 0)); then
		failed=1 # crashed or a sanitizer stopped it before cmocka could report
	fi
	printf -v "$pass_var" '%d' $((${!pass_var} + passed))
	printf -v "$fail_var" '%d' $((${!fail_var} + failed))
	printf -v "$skip_var" '%d' $((${!skip_var} + skipped))
	if ((status != 0)); then
		failed_bins+=("$bin")
		echo "-- FAILED: $bin (log: $log)"
		tail -40 "$log"
	else
		if ((skipped)); then echo "   ok  $(basename "$bin"): $passed ($skipped skipped)"; else echo "   ok  $(basename "$bin"): $passed"; fi
	fi
}

echo "== unit tests (ASan + UBSan)"
for t in build/fake/tests/test_*; do
	[[ -x $t ]] && run_cmocka "$t" unit_pass unit_fail unit_skip
done

echo "== stress tests (TSan)"
for t in build/fake-tsan/tests/stress_*; do
	[[ -x $t ]] || continue
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" run_cmocka "$t" stress_pass stress_fail stress_skip
done

int_pass=0 int_fail=0 int_skip=0
if [[ ${UNIT_ONLY:-0} != 1 ]]; then
	echo "== integration tests (QEMU)"
	args=(-q -rfEs --junitxml="$LOGDIR/integration.xml")
	[[ -n ${TESTS_FILTER:-} ]] && args+=(-k "$TESTS_FILTER")
	/usr/bin/python3 -m pytest "${args[@]}" tests/integration
	rc=$?
	if ((rc == 5)); then
		: # no tests collected
	elif [[ -f $LOGDIR/integration.xml ]]; then
		read -r int_pass int_fail int_skip < <(/usr/bin/python3 - "$LOGDIR/integration.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
k = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - k, f, k)
PY
)
		((rc != 0 && int_fail == 0)) && int_fail=1
	else
		int_fail=1
	fi
fi

total_fail=$((unit_fail + stress_fail + int_fail))
verdict=PASS
((total_fail > 0)) && verdict=FAIL
echo "SUMMARY: $verdict: unit $unit_pass passed $unit_fail failed $unit_skip skipped;" \
	"stress(tsan) $stress_pass passed $stress_fail failed $stress_skip skipped;" \
	"integration $int_pass passed $int_fail failed $int_skip skipped"
[[ $verdict == PASS ]]
