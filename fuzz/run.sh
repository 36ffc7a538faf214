#!/bin/sh
# run.sh - runs the libFuzzer targets built by fuzz/fuzz.mk (make fuzz), each for FUZZ_SECONDS (default 30).
#
#   fuzz/run.sh                 every build/fuzz/fuzz_* target
#   fuzz/run.sh request sigv4   only these (fuzz_request, fuzz_sigv4)
#
# Target fuzz_NAME keeps its corpus in build/fuzz/corpus-NAME/, seeded from fuzz/seeds/NAME/ when that exists, and
# uses fuzz/NAME.dict when present. A crash leaves its input in build/fuzz/artifacts/ and the run's log in
# build/fuzz/fuzz_NAME.log; the script then exits non-zero (after running the other targets).
set -u
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-30}
F=build/fuzz
failed=""

if [ $# -gt 0 ]; then
	targets=""
	for n in "$@"; do targets="$targets $F/fuzz_${n#fuzz_}"; done
else
	targets=$(ls "$F"/fuzz_* 2>/dev/null | grep -Ev '\.(d|log)$')
fi
[ -n "$targets" ] || { echo "fuzz/run.sh: no targets in $F (run make fuzz)" >&2; exit 1; }

mkdir -p "$F/artifacts"
for bin in $targets; do
	name=$(basename "$bin")
	short=${name#fuzz_}
	if [ ! -x "$bin" ]; then
		echo "fuzz/run.sh: $bin is missing" >&2
		failed="$failed $name"
		continue
	fi
	corpus="$F/corpus-$short"
	mkdir -p "$corpus"
	if [ -d "fuzz/seeds/$short" ]; then
		for s in "fuzz/seeds/$short"/*; do
			[ -f "$s" ] && cp "$s" "$corpus/seed-$(basename "$s")"
		done
	fi
	# Room for the largest meaningful input: a form body up to its parameter limit; a signed HTTP request; an STS
	# answer past the XML reader's text cap (a session token of up to 8 KiB).
	case "$short" in
	request | sts_xml) max_len=16384 ;;
	*) max_len=4096 ;;
	esac
	set -- -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$F/artifacts/$name-"
	[ -f "fuzz/$short.dict" ] && set -- "$@" -dict="fuzz/$short.dict"
	log="$F/$name.log"
	printf 'fuzz: %s for %ss ... ' "$name" "$secs"
	if "$bin" "$@" "$corpus" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1)
		echo "ok (${execs:-?} executions, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l))"
	else
		echo "FAILED (log: $log)"
		tail -n 60 "$log"
		failed="$failed $name"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: failing:$failed"
	exit 1
fi
echo "fuzz: all targets ran for ${secs}s without a crash"
