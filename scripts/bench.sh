#!/usr/bin/env bash
# make bench: every benchmark, each figure on one line "bench <name> <value> <unit>".
#   1. host benchmarks (tests/bench/bench_*.c), optimised builds
#   2. in-emulator benchmarks (tests/bench/*.py), each run with /usr/bin/python3
# Benchmarks are not tests: they assert nothing and their figures vary by machine
# (except the -icount ones, which count instructions). BENCH_FILTER=<substring>
# runs only the benchmarks whose file name contains it.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
make -s -j"$(nproc)" bench-build || exit 1
for b in build/fake-bench/bench_*; do
	[[ -x $b ]] || continue
	[[ -n ${BENCH_FILTER:-} && $b != *"$BENCH_FILTER"* ]] && continue
	echo "# $b"
	"$b" || { echo "# $b failed" >&2; rc=1; }
done
for b in tests/bench/*.py; do
	[[ -f $b ]] || continue
	[[ -n ${BENCH_FILTER:-} && $b != *"$BENCH_FILTER"* ]] && continue
	echo "# /usr/bin/python3 $b"
	/usr/bin/python3 "$b" || { echo "# $b failed" >&2; rc=1; }
done
exit $rc
