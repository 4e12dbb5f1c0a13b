#!/usr/bin/env bash
# Runs libFuzzer targets for `make fuzz` and `make fuzz-smoke` (tests/fuzz/fuzz.mk),
# JOBS at a time (one per core: each target is one single-threaded process).
#
#   run.sh BUILD SECONDS JOBS NAME:MAXLEN...
#
# Each target runs for SECONDS from its seeds (tests/fuzz/corpus/NAME) and what it
# found before (BUILD/fuzz/corpus/NAME); its output goes to BUILD/fuzz/NAME.log and
# one line is printed when it ends:
#   fuzz: NAME: S s, N executions, C crashes (status X, log FILE)
# followed by the first error report if it failed. FUZZ_ARGS (environment) adds
# libFuzzer options. Exits 1 if any target crashed or ended without its final stats.
set -uo pipefail

build=$1 seconds=$2 jobs=$3
shift 3

one() {
	local name=$1 maxlen=$2 log corpus start status=0 execs crashes
	log=$build/fuzz/$name.log
	corpus=$build/fuzz/corpus/$name
	mkdir -p "$corpus"
	start=$(date +%s)
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$build/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len="$maxlen" \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/$name-" ${FUZZ_ARGS:-} \
		"$corpus" "tests/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	crashes=$(grep -c 'Test unit written to' "$log")
	{
		echo "fuzz: $name: $(($(date +%s) - start)) s, ${execs:-0} executions," \
			"$crashes crashes (status $status, log $log)"
		if [ "$status" -ne 0 ] || [ -z "$execs" ]; then
			grep -m1 -A12 'ERROR\|contract violated\|runtime error' "$log"
		fi
	} >"$build/fuzz/$name.result"
	cat "$build/fuzz/$name.result"
	[ "$status" -eq 0 ] && [ -n "$execs" ]
}

mkdir -p "$build/fuzz"
failed=0
names=()
for spec in "$@"; do
	names+=("${spec%%:*}")
	rm -f "$build/fuzz/${spec%%:*}.ok"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	(one "${spec%%:*}" "${spec##*:}" && touch "$build/fuzz/${spec%%:*}.ok") &
done
wait
# Each target's verdict from its own file: no exit status can be lost between waits.
for name in "${names[@]}"; do
	[ -e "$build/fuzz/$name.ok" ] || failed=1
done
exit $failed
