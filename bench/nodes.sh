#!/bin/sh
# nodes.sh - make bench's j, jp and k alone, with where each request's CPU goes: to look into what three nodes cost
# on one machine without running the whole bench.
#   j   one node on PostgreSQL (--example seed), wrk straight at it
#   jp  j through HAProxy
#   k   three nodes on the same database behind that HAProxy (round robin)
# Each line: req/s, p50 and p99 (ms), then per request the CPU of the node(s), of PostgreSQL (postmaster and
# backends) and of HAProxy, in microseconds; the machine's idle share during the run; audit records per PostgreSQL
# transaction (requests / xact_commit: the size of the commit groups, read-only transactions included). Rounds are
# interleaved, k twice a round. With NODES_PERF_STAT=1, `perf stat` counts the servers' context switches and CPU
# migrations too (into $NODES_OUT/pstat.CASE).
#
#   sh bench/nodes.sh [BIN]      (default build/rolegate)
# Environment: BENCH_SECONDS (5), BENCH_ROUNDS (2), BENCH_CONNECTIONS (32); J_THREADS (8), K_THREADS ("3 3 2");
# HAPROXY_MODE (http, as bench/run.sh; or tcp); PG_EXTRA_CONF (lines appended to the bench's postgresql.conf, e.g.
# "commit_delay = 0"); NODES_OUT (where perf stat writes; default /tmp).
set -eu
bin=${1:-build/rolegate}
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-2}
conns=${BENCH_CONNECTIONS:-32}
jthreads=${J_THREADS:-8}
kthreads=${K_THREADS:-3 3 2}
mode=${HAPROXY_MODE:-http}
pgbin=${ROLEGATE_PG_BIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d)
chmod 711 "$work" # PostgreSQL runs as the postgres user when we are root, in $work/pg
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	bench/postgres.sh stop "$work/pg" || true
	rm -rf "$work"
}
trap cleanup EXIT

bench_name=nodes.sh
. "$(dirname "$0")/lib.sh"

commits() {
	"$pgbin/psql" -X -At -d "$conninfo" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'rolegate'"
}

conninfo=$(bench/postgres.sh start "$work/pg")
if [ -n "${PG_EXTRA_CONF:-}" ]; then
	printf '%s\n' "$PG_EXTRA_CONF" >>"$work/pg/data/postgresql.conf"
	"$pgbin/psql" -X -q -d "$conninfo" -c 'SELECT pg_reload_conf()' >/dev/null
fi
head -c 32 /dev/urandom >"$work/master.key"
chmod 600 "$work/master.key"
node() { # NAME THREADS [ARGS...]: a node on the bench's PostgreSQL, in the background, logging to $work/NAME.log
	n=$1 t=$2
	shift 2
	"$bin" server --listen 127.0.0.1:0 --postgres "$conninfo" --data "$work/$n" --master-key-file "$work/master.key" \
		--threads "$t" "$@" >/dev/null 2>"$work/$n.log" &
	pids="$pids $!"
}
node j "$jthreads" --example seed
jpid=$!
url_j=$(wait_url "$work/j.log")
kpids=""
i=0
for t in $kthreads; do
	i=$((i + 1))
	node "k$i" "$t"
	kpids="$kpids $!"
done
urls=""
i=0
for t in $kthreads; do
	i=$((i + 1))
	urls="$urls $(wait_url "$work/k$i.log")"
done
haproxy_start "$mode" "$url_j" $urls
pids="$pids $hpid"
python3 bench/assume_request.py "$url_j" "$work/j" "$work/assume-j.lua" "$url_jp" "$work/assume-jp.lua" \
	"$url_k" "$work/assume-k.lua"

# run CASE URL SCRIPT "PIDS": one measurement, printed as a line.
run() {
	if [ -n "${NODES_PERF_STAT:-}" ]; then
		perf stat -e task-clock,context-switches,cpu-migrations -p "$(echo $4 | tr ' ' ,)" \
			-o "${NODES_OUT:-/tmp}/pstat.$1" -- sleep $((secs - 1)) >/dev/null 2>&1 &
		spid=$!
	fi
	c0=$(cpu_ticks $4) q0=$(pg_ticks) h0=$(cpu_ticks "$hpid") i0=$(idle_ticks) x0=$(commits) t0=$(date +%s.%N)
	out=$(measure "$2" "$3")
	c1=$(cpu_ticks $4) q1=$(pg_ticks) h1=$(cpu_ticks "$hpid") i1=$(idle_ticks) x1=$(commits) t1=$(date +%s.%N)
	[ -z "${spid:-}" ] || wait "$spid"
	n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
	awk -v name="$1" -v out="$out" -v n="$n" -v tck="$tck" -v c="$((c1 - c0))" -v q="$((q1 - q0))" \
		-v h="$((h1 - h0))" -v i="$((i1 - i0))" -v x="$((x1 - x0))" -v t0="$t0" -v t1="$t1" 'BEGIN {
		printf "%-3s %s  node %.0f us, PostgreSQL %.0f us, HAProxy %.0f us; idle %.0f %%; %.1f records a commit\n",
		       name, out, c * 1e6 / tck / n, q * 1e6 / tck / n, h * 1e6 / tck / n, i * 100 / tck / (t1 - t0) / 2,
		       n / (x ? x : 1) }'
}
echo "nodes.sh: wrk -t2 -c$conns, ${secs}s; j $jthreads threads, k $kthreads; HAProxy mode $mode"
echo "case req/s p50_ms p99_ms  CPU per request; idle; commit groups"
for _ in $(seq 1 "$rounds"); do
	run j "$url_j" "$work/assume-j.lua" "$jpid"
	run k "$url_k" "$work/assume-k.lua" "$kpids"
	run jp "$url_jp" "$work/assume-jp.lua" "$jpid"
	run k "$url_k" "$work/assume-k.lua" "$kpids"
done
