#!/usr/bin/env bash
# make check: formatting, static analysis and the arch-boundary rule.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0

echo "== clang-format"
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' | while read -r f; do [[ -f $f ]] && echo "$f"; done)
if ((${#files[@]})); then
	if ! clang-format --dry-run --Werror "${files[@]}" 2>build/check-format.log; then
		grep -E '^[^ ].*(warning|error):' build/check-format.log | cut -d: -f1 | sort -u |
			sed 's/^/   needs make format: /'
		fail=1
	fi
fi

echo "== cppcheck"
mapfile -t srcs < <(git ls-files '*.c' | grep -v '^tests/' | while read -r f; do [[ -f $f ]] && echo "$f"; done)
if ((${#srcs[@]})); then
	if ! cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 \
		--enable=warning,performance,portability \
		--suppress=missingIncludeSystem -Iinclude -D__GNUC__ -DCPPCHECK \
		"${srcs[@]}" 2>&1; then
		fail=1
	fi
fi

echo "== arch boundary"
/usr/bin/python3 scripts/check_boundaries.py || fail=1

if ((fail)); then
	echo "check: FAILED"
	exit 1
fi
echo "check: ok"
