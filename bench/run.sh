#!/bin/sh
# run.sh - `make bench`: throughput and latency of rolegate under wrk, as ratios to a baseline measured in the
# same run (this machine has 2 noisy cores, so absolute numbers drift; ratios much less).
#
#   a  bare-HTTP ceiling: rolegate's listener with a trivial handler (build/bench/http-ceiling)
#   b  SigV4-signed sts:GetCallerIdentity with the root key
#   c  the same with an IAM user's key
#   d  enforced sts:AssumeRole of the seed (--example seed): anay's MFA session enters Dev's admin role, whose trust
#      policy asks for MFA; SigV4 + sealed session token + group policies + trust + new sealed token + durable audit
#   e  the same on a server holding 100 000 roles in 10 000 accounts (bench/load_store.py), whose start time and
#      peak RSS are shown too
#   f  the client verbs (bench/client.py): `rolegate exec PROFILE -- true` from a warm cache beside the AWS CLI
#      resolving the same profile from the same cache, process start-up, and the floor of spawning /bin/true
#
# Environment: BENCH_SECONDS per measurement (default 5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32),
# BENCH_THREADS (server threads, 8: the default of rolegate server).
set -eu
cd "$(dirname "$0")/.."

secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-8}
work=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${BENCH_KEEP:-}" ] && echo "bench: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Waits for "listening on http://HOST:PORT" in a log file and prints the URL.
wait_url() {
	for _ in $(seq 1 600); do
		found=$(grep -o 'listening on http://[^ "]*' "$1" 2>/dev/null | head -n 1 | sed 's/listening on //')
		[ -n "$found" ] && { echo "$found"; return 0; }
		sleep 0.05
	done
	echo "bench: server did not start; log:" >&2
	cat "$1" >&2
	return 1
}

# Runs wrk and prints "req/s p50_ms p99_ms".
measure() {
	wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$2" "$1" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out" >&2; return 1; }
	if grep -q "Non-2xx" "$work/wrk.out"; then
		echo "bench: non-2xx responses:" >&2
		cat "$work/wrk.out" >&2
		return 1
	fi
	rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out")
	p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.out")
	p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
	echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

# wrk prints latencies as 512.00us, 1.20ms or 2.00s.
to_ms() {
	echo "$1" | awk '/us$/ {sub("us",""); printf "%.3f", $1/1000; next}
	                 /ms$/ {sub("ms",""); printf "%.3f", $1; next}
	                 /s$/  {sub("s","");  printf "%.3f", $1*1000; next}'
}

echo 'wrk.method = "POST"' >"$work/plain.lua"

# Both servers run side by side (an idle one costs nothing); the cases are measured in interleaved rounds and the
# median of each is reported, so drift in this machine's speed hits every case alike.
build/bench/http-ceiling 127.0.0.1:0 "$threads" 2>"$work/ceiling.log" &
pids="$pids $!"
url_a=$(wait_url "$work/ceiling.log")

key=AKIABENCHROOT0000001
secret=benchbenchbenchbenchbenchbenchbenchbench
# The real server logs every request to a file, as it would in production.
ROLEGATE_ROOT_ACCESS_KEY_ID=$key ROLEGATE_ROOT_SECRET_ACCESS_KEY=$secret \
	build/rolegate server --listen 127.0.0.1:0 --data "$work/data" --threads "$threads" 2>"$work/server.log" &
pids="$pids $!"
url=$(wait_url "$work/server.log")
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1
aws --endpoint-url "$url" iam create-user --user-name bench >/dev/null
creds=$(aws --endpoint-url "$url" iam create-access-key --user-name bench \
	--query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
ukey=$(echo "$creds" | cut -f1)
usecret=$(echo "$creds" | cut -f2)
python3 bench/signed_request.py "$url" "$key" "$secret" "$work/root.lua"
python3 bench/signed_request.py "$url" "$ukey" "$usecret" "$work/user.lua"

# d: the seed on an otherwise empty server.
build/rolegate server --listen 127.0.0.1:0 --data "$work/seed" --threads "$threads" --example seed \
	>/dev/null 2>"$work/seed.log" &
pids="$pids $!"
url_d=$(wait_url "$work/seed.log")
python3 bench/assume_request.py "$url_d" "$work/seed" "$work/assume-d.lua"

# e: the seed, stopped, loaded with 100 000 roles in 10 000 accounts, started (timed, median of 3), then served.
build/rolegate server --listen 127.0.0.1:0 --data "$work/loaded" --example seed >/dev/null 2>"$work/loaded.log" &
lpid=$!
wait_url "$work/loaded.log" >/dev/null
kill "$lpid"; wait "$lpid"
python3 bench/load_store.py "$work/loaded" 10000 100000 >"$work/load.out"
for _ in 1 2 3; do
	python3 bench/start_time.py build/rolegate server --listen 127.0.0.1:0 --data "$work/loaded" --threads "$threads"
done >"$work/start"
start_ms=$(sort -n "$work/start" | sed -n 2p)
build/rolegate server --listen 127.0.0.1:0 --data "$work/loaded" --threads "$threads" 2>"$work/loaded.log" &
epid=$!
pids="$pids $epid"
url_e=$(wait_url "$work/loaded.log")
python3 bench/assume_request.py "$url_e" "$work/loaded" "$work/assume-e.lua"

: >"$work/a" ; : >"$work/b" ; : >"$work/c" ; : >"$work/d" ; : >"$work/e"
for round in $(seq 1 "$rounds"); do
	measure "$url_a" "$work/plain.lua" >>"$work/a"
	measure "$url" "$work/root.lua" >>"$work/b"
	measure "$url" "$work/user.lua" >>"$work/c"
	measure "$url_d" "$work/assume-d.lua" >>"$work/d"
	measure "$url_e" "$work/assume-e.lua" >>"$work/e"
done
rss_e=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$epid/status")

# The round with the median req/s.
median() {
	sort -n -k1,1 "$1" | awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}'
}
a=$(median "$work/a")
b=$(median "$work/b")
c=$(median "$work/c")
d=$(median "$work/d")
e=$(median "$work/e")

echo
echo "rolegate bench: wrk -t2 -c$conns, $rounds interleaved rounds of ${secs}s (median shown), server threads $threads, $(nproc) cores"
printf '%-44s %10s %9s %9s %7s\n' case req/s p50_ms p99_ms ratio
row() {
	set -- "$1" $2 "$3"
	printf '%-44s %10.0f %9s %9s %7.2f\n' "$1" "$2" "$3" "$4" "$(echo "$2 $5" | awk '{printf "%.4f", $1/$2}')"
}
arps=$(echo "$a" | cut -d' ' -f1)
row "a bare-HTTP ceiling (same listener)" "$a" "$arps"
row "b sts:GetCallerIdentity, root key (SigV4)" "$b" "$arps"
row "c sts:GetCallerIdentity, IAM user key" "$c" "$arps"
row "d sts:AssumeRole, MFA session, audited" "$d" "$arps"
row "e d with 100k roles / 10k accounts" "$e" "$arps"
echo "targets: ratios b/a and c/a >= 0.60, d/a >= 0.40, p99 <= 2 ms at 32 connections"
drps=$(echo "$d" | cut -d' ' -f1)
erps=$(echo "$e" | cut -d' ' -f1)
echo "loaded server ($(cat "$work/load.out" | sed 's/loaded: //')): e/d $(echo "$erps $drps" | awk '{printf "%.2f", $1/$2}')" \
	"(target >= 0.80), peak RSS ${rss_e} MiB (<= 256), start ${start_ms} ms (<= 200)"

# The policy engine on one core, beside @cloud-copilot/iam-simulate on the same cases (installed at test time).
echo
echo "policy engine: decisions/s on one core (build/bench/policy-bench), beside iam-simulate (node, same cases)"
build/bench/policy-bench 3 >"$work/engine"
if tests/difftest/install-oracle.sh >/dev/null 2>"$work/oracle.err"; then
	node bench/policy_bench_oracle.mjs 3 >"$work/oracle"
else
	echo "  iam-simulate unavailable: $(cat "$work/oracle.err")"
	: >"$work/oracle"
fi
printf '%-44s %12s %14s %9s\n' case rolegate iam-simulate ratio
while read -r tag name rate result heap; do
	orate=$(awk -v n="$name" '$1 == n {print $2}' "$work/oracle")
	ratio=$( [ -n "$orate" ] && echo "$rate $orate" | awk '{printf "%.0fx", $1/$2}' || echo "-")
	printf '%-44s %12.0f %14s %9s   (%s, %s)\n' "$tag $name" "$rate" "${orate:--}" "$ratio" "$result" "$heap"
done <"$work/engine"
echo "targets: (a) >= 1 000 000 decisions/s; both >= 20x iam-simulate; heap+0: evaluation allocates nothing"

# f: the client verbs against d's server.
python3 bench/client.py "$url_d" "$work/seed"
