#!/bin/sh
# webidentity.sh - what a web identity costs: sts:AssumeRoleWithWebIdentity with the issuer's keys cached beside
# sts:AssumeRole, on one seed server, in interleaved rounds (the order turns each round, so drift favours neither):
#   sts:AssumeRole                 anay's MFA session enters Dev's admin role (bench/assume_request.py)
#   sts:AssumeRoleWithWebIdentity  an unsigned call with a GitHub-Actions-shaped RS256 token of a loopback issuer
#                                  (bench/webidentity_request.py: the keys fetched once, then cached; the issuer is
#                                  stopped before the measurement, so nothing reaches it)
# Both issue a sealed session token and audit durably. Target: webid/assume req/s >= 0.80.
#
#   sh bench/webidentity.sh [BIN]    (default build/rolegate, the release build; BENCH_SECONDS, BENCH_ROUNDS,
#                                     BENCH_CONNECTIONS, BENCH_THREADS as bench/run.sh takes them)
set -eu
bin=${1:-build/rolegate}
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-8}
work=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

wait_url() {
	for _ in $(seq 1 600); do
		found=$(grep -o 'listening on https\{0,1\}://[^ "]*' "$1" 2>/dev/null | head -n 1 | sed 's/listening on //')
		[ -n "$found" ] && { echo "$found"; return 0; }
		sleep 0.05
	done
	echo "webidentity.sh: server did not start; log:" >&2
	cat "$1" >&2
	return 1
}

to_ms() {
	echo "$1" | awk '/us$/ {sub("us",""); printf "%.3f", $1/1000; next}
	                 /ms$/ {sub("ms",""); printf "%.3f", $1; next}
	                 /s$/  {sub("s","");  printf "%.3f", $1*1000; next}'
}

# Runs wrk and prints "req/s p50_ms p99_ms".
measure() {
	wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$2" "$1" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out" >&2; return 1; }
	if grep -q "Non-2xx" "$work/wrk.out"; then
		echo "webidentity.sh: non-2xx responses:" >&2
		cat "$work/wrk.out" >&2
		return 1
	fi
	echo "$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out")" \
		"$(to_ms "$(awk '$1 == "50%" {print $2}' "$work/wrk.out")")" \
		"$(to_ms "$(awk '$1 == "99%" {print $2}' "$work/wrk.out")")"
}

"$bin" server --listen 127.0.0.1:0 --data "$work/seed" --threads "$threads" --example seed >/dev/null \
	2>"$work/seed.log" &
pids="$pids $!"
url=$(wait_url "$work/seed.log")
python3 bench/assume_request.py "$url" "$work/seed" "$work/assume.lua"
NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
	python3 bench/webidentity_request.py "$url" "$work/seed" "$work/webid.lua"
: >"$work/assume"
: >"$work/webid"

for round in $(seq 1 "$rounds"); do
	case $((round % 2)) in
	1) order="assume webid" ;;
	*) order="webid assume" ;;
	esac
	for what in $order; do
		measure "$url" "$work/$what.lua" >>"$work/$what"
	done
done

median() { sort -n -k1,1 "$1" | awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}'; }
echo
echo "web identity: wrk -t2 -c$conns, $rounds interleaved rounds of ${secs}s (median shown), server threads $threads, $(nproc) cores"
printf '%-48s %10s %9s %9s\n' case req/s p50_ms p99_ms
for what in assume webid; do
	name=$([ "$what" = assume ] && echo "sts:AssumeRole (MFA session)" || echo "sts:AssumeRoleWithWebIdentity (keys cached)")
	set -- $(median "$work/$what")
	printf '%-48s %10.0f %9s %9s\n' "$name" "$1" "$2" "$3"
done
w=$(median "$work/webid" | cut -d' ' -f1)
a=$(median "$work/assume" | cut -d' ' -f1)
echo "$w $a" | awk '{r = $1 / $2; printf "  webid/assume: %.3f (target >= 0.80: %s)\n", r, (r >= 0.8 ? "met" : "MISSED")}'
