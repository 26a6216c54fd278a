#!/usr/bin/env bash
# test/unit/run_auth_units.sh
#	Build the src/auth unit-test drivers and run them on every vector file
#	under test/data/auth/, printing their TAP output:
#	  test_sigv4 <file>         once per vector file
#	  test_auth  <all files>    built-in checks + each file's config cases
#	VALGRIND=1 runs every driver under valgrind (leaks are errors).
#	Last line: "auth-units: N passed, N failed".
#	(The end-to-end test against the stand-ins is test/auth/run_auth_e2e.sh.)
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1

make -s -f test/unit/auth.mk test/unit/test_sigv4 test/unit/test_auth >&2 || {
	echo "auth-units: 0 passed, 1 failed"
	exit 1
}

runner=()
if [ "${VALGRIND:-0}" = 1 ]; then
	runner=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
		--error-exitcode=99)
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
passed=0
failed=0

run() {
	local rc p f
	echo "# $*"
	"${runner[@]}" "$@" | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $1 exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

shopt -s nullglob
vectors=(test/data/auth/*.json)
if [ ${#vectors[@]} -eq 0 ]; then
	echo "# no vector files under test/data/auth"
	echo "auth-units: 0 passed, 1 failed"
	exit 1
fi

for v in "${vectors[@]}"; do
	run test/unit/test_sigv4 "$v"
done
run test/unit/test_auth "${vectors[@]}"

echo "auth-units: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
