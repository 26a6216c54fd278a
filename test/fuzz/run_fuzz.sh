#!/usr/bin/env bash
# test/fuzz/run_fuzz.sh
#	Fuzz the parsers of what spanner_fdw reads from the network with
#	libFuzzer (test/fuzz/fuzz.mk builds the targets with clang,
#	AddressSanitizer and UndefinedBehaviorSanitizer):
#	  fuzz_stream  streamed answers: framing, resume buffer, chunk merging,
#	               limits, value decoding
#	  fuzz_errors  error bodies of every shape, with any HTTP status, and
#	               unary answers (commits with precommit tokens, sessions)
#	  fuzz_auth    Google STS and IAM Credentials answers, AWS metadata
#	               credentials, credential configurations, dates
#	Each target first replays its seed corpus (test/fuzz/corpus/TARGET,
#	recorded emulator answers and production-shaped ones) and then fuzzes
#	for its share of FUZZ_SECONDS (default 30 in all: stream a half,
#	errors and auth a quarter each).  A crash, leak, sanitizer report or
#	timeout is a failed test; the input that caused it is kept in
#	.run/fuzz/ and named in the output (replay it with
#	"test/fuzz/fuzz_TARGET FILE").
#
#	Output: TAP; the last line of the summary is "# fuzz: P passed, F
#	failed"; exit status non-zero if any test failed.
#	FUZZ_SECONDS=600 test/fuzz/run_fuzz.sh runs the long campaign.
#
# Copyright (c) 2026 spanner_fdw developers

set -u
cd "$(dirname "$0")/../.." || exit 1
. test/tap_lib.sh

SECS=${FUZZ_SECONDS:-30}
ART=.run/fuzz
WORK=
tap_init fuzz 0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sf_fuzz.XXXXXX") || bail "mktemp failed"
mkdir -p "$ART" || bail "cannot create $ART"

if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
	bail "clang is not installed (scripts/lib.sh installs it with the other packages)"
fi
if make -s -f test/fuzz/fuzz.mk all-fuzz >"$WORK/build.log" 2>&1; then
	pass "the fuzz targets build with clang, libFuzzer and the sanitizers"
else
	fail "the fuzz targets build with clang, libFuzzer and the sanitizers"
	diag <"$WORK/build.log"
	finish
fi

# fuzz TARGET SECONDS
fuzz() {
	local t=$1 secs=$2 log=$WORK/$1.log crash execs
	mkdir -p "$WORK/$t"
	# the seeds alone, every one of them
	if test/fuzz/fuzz_"$t" -runs=0 -artifact_prefix="$ART/$t-" \
		"test/fuzz/corpus/$t" >"$log.seeds" 2>&1; then
		pass "$t: the $(find "test/fuzz/corpus/$t" -type f | wc -l) seeds parse without a finding"
	else
		fail "$t: the seeds parse without a finding"
		tail -n 40 "$log.seeds" | diag
	fi
	# new inputs go to WORK/t, the seeds are read only
	if test/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$ART/$t-" \
		"$WORK/$t" "test/fuzz/corpus/$t" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		pass "$t: ${secs} s of fuzzing without a finding (${execs:-?} inputs)"
	else
		crash=$(grep -o "Test unit written to .*" "$log" | sed 's/Test unit written to //' | tail -n 1)
		fail "$t: ${secs} s of fuzzing without a finding${crash:+ (input kept in $crash)}"
		grep -E "ERROR|SUMMARY|^    #[0-9]" "$log" | head -n 40 | diag
	fi
}

fuzz stream $((SECS / 2 > 0 ? SECS / 2 : 1))
fuzz errors $((SECS / 4 > 0 ? SECS / 4 : 1))
fuzz auth $((SECS / 4 > 0 ? SECS / 4 : 1))
finish
