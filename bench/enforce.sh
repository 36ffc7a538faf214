#!/bin/sh
# enforce.sh - what soft enforcement costs: two seed servers side by side, one `--enforce strict` (the default), one
# `--enforce soft`, measured in interleaved rounds (the order turns each round, so drift favours neither) on
#   sts:AssumeRole      anay's MFA session enters Dev's admin role (bench/assume_request.py): allowed, audited durably
#   GetCallerIdentity   the seed's root key (bench/signed_request.py): needs no permission, audited as a read
# Both servers audit every call (reads through the group committer); soft mode looks its mode up only when a policy
# denies, so on these allowed calls the target is soft <= 10 % over strict: a soft/strict req/s ratio >= 0.90.
#
#   sh bench/enforce.sh [BIN]      (default build/rolegate, the release build; BENCH_SECONDS, BENCH_ROUNDS,
#                                   BENCH_CONNECTIONS, BENCH_THREADS as bench/run.sh takes them)
set -eu
bin=${1:-build/rolegate}
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-8}
work=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

bench_name=enforce.sh
. "$(dirname "$0")/lib.sh"

for mode in strict soft; do
	"$bin" server --listen 127.0.0.1:0 --data "$work/$mode" --threads "$threads" --example seed --enforce "$mode" \
		>/dev/null 2>"$work/$mode.log" &
	pids="$pids $!"
	url=$(wait_url "$work/$mode.log")
	echo "$url" >"$work/$mode.url"
	python3 bench/assume_request.py "$url" "$work/$mode" "$work/$mode-assume.lua"
	key=$(sed -n 's/^aws_access_key_id *= *//p' "$work/$mode/root-credentials")
	secret=$(sed -n 's/^aws_secret_access_key *= *//p' "$work/$mode/root-credentials")
	python3 bench/signed_request.py "$url" "$key" "$secret" "$work/$mode-gci.lua"
	: >"$work/$mode-assume"
	: >"$work/$mode-gci"
done

for round in $(seq 1 "$rounds"); do
	case $((round % 2)) in
	1) order="strict soft" ;;
	*) order="soft strict" ;;
	esac
	for what in assume gci; do
		for mode in $order; do
			measure "$(cat "$work/$mode.url")" "$work/$mode-$what.lua" >>"$work/$mode-$what"
		done
	done
done

median() { sort -n -k1,1 "$1" | awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}'; }
echo
echo "enforcement modes: wrk -t2 -c$conns, $rounds interleaved rounds of ${secs}s (median shown), server threads $threads, $(nproc) cores"
printf '%-44s %10s %9s %9s\n' case req/s p50_ms p99_ms
for what in assume gci; do
	for mode in strict soft; do
		name=$([ "$what" = assume ] && echo "sts:AssumeRole (MFA session)" || echo "sts:GetCallerIdentity (root key)")
		set -- $(median "$work/$mode-$what")
		printf '%-44s %10.0f %9s %9s\n' "$name, --enforce $mode" "$1" "$2" "$3"
	done
	s=$(median "$work/soft-$what" | cut -d' ' -f1)
	t=$(median "$work/strict-$what" | cut -d' ' -f1)
	echo "$what $s $t" | awk '{r = $2 / $3; printf "  soft/strict %s: %.3f (target >= 0.90: %s)\n", $1, r, (r >= 0.9 ? "met" : "MISSED")}'
done
