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
#   g  d over TLS (a second seed server with --tls-cert, an ECDSA P-256 certificate): kept-alive connections, as the
#      SDKs keep them; g/d is TLS's cost
#   h  g with "Connection: close": a new TLS handshake for every request (the server keeps no TLS session cache)
#   d+ d while bench/scrape.py reads its /metrics (--metrics-listen) every 100 ms, ten times a second, far more often
#      than Prometheus does (every 15 s to 1 min): d+/d is what scraping costs under load
#   i  the web console: 20 people at once sign in, switch role to Dev, open pages in the role and go back
#      (bench/console_flow.py): the server's own time per step, and the home page's weight
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

# Waits for "listening on http(s)://HOST:PORT" in a log file and prints the URL.
wait_url() {
	for _ in $(seq 1 600); do
		found=$(grep -o 'listening on https\{0,1\}://[^ "]*' "$1" 2>/dev/null | head -n 1 | sed 's/listening on //')
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

# measure_cpu PID URL SCRIPT FILE: measure, and the server PID's CPU time (user + system) per request, in
# microseconds, appended to FILE: what a request costs the server itself, whatever wrk (on the same 2 cores) costs.
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure_cpu() {
	c0=$(cpu_ticks "$1")
	out=$(measure "$2" "$3")
	c1=$(cpu_ticks "$1")
	awk -v c0="$c0" -v c1="$c1" -v tck="$tck" '/requests in/ {printf "%.1f\n", (c1 - c0) * 1e6 / tck / $1}' \
		"$work/wrk.out" >>"$4"
	echo "$out"
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
	--metrics-listen 127.0.0.1:0 >/dev/null 2>"$work/seed.log" &
dpid=$!
pids="$pids $dpid"
url_d=$(wait_url "$work/seed.log")
metrics_d=$(grep -o 'serving metrics on http://[^ "]*' "$work/seed.log" | head -n 1 | sed 's/serving metrics on //')
python3 bench/assume_request.py "$url_d" "$work/seed" "$work/assume-d.lua"

# g, h: the seed again, served over TLS with a certificate for 127.0.0.1 made here (wrk does not verify it; boto3
# does, through AWS_CA_BUNDLE).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/tls.key" -out "$work/tls.pem" \
	-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
build/rolegate server --listen 127.0.0.1:0 --data "$work/tls" --threads "$threads" --example seed \
	--tls-cert "$work/tls.pem" --tls-key "$work/tls.key" >/dev/null 2>"$work/tls.log" &
gpid=$!
pids="$pids $gpid"
url_g=$(wait_url "$work/tls.log")
AWS_CA_BUNDLE="$work/tls.pem" python3 bench/assume_request.py "$url_g" "$work/tls" "$work/assume-g.lua"
{ cat "$work/assume-g.lua"; echo 'wrk.headers["Connection"] = "close"'; } >"$work/assume-h.lua"

# d+: d, its /metrics scraped every 100 ms while wrk runs.
measure_scraped() {
	python3 bench/scrape.py "$metrics_d" 0.1 >"$work/scrape.out" &
	spid=$!
	measure "$1" "$2"
	kill -TERM "$spid"
	wait "$spid"
	cat "$work/scrape.out" >>"$work/scrapes"
}

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
: >"$work/g" ; : >"$work/h" ; : >"$work/ds" ; : >"$work/scrapes" ; : >"$work/d.cpu" ; : >"$work/g.cpu"
for round in $(seq 1 "$rounds"); do
	measure "$url_a" "$work/plain.lua" >>"$work/a"
	measure "$url" "$work/root.lua" >>"$work/b"
	measure "$url" "$work/user.lua" >>"$work/c"
	# d and d+ side by side, in alternating order, so that drift favours neither
	# d, d+ and g side by side, in an order that turns each round, so that drift favours none
	case $((round % 3)) in
	1)	measure_cpu "$dpid" "$url_d" "$work/assume-d.lua" "$work/d.cpu" >>"$work/d"
		measure_scraped "$url_d" "$work/assume-d.lua" >>"$work/ds"
		measure_cpu "$gpid" "$url_g" "$work/assume-g.lua" "$work/g.cpu" >>"$work/g" ;;
	2)	measure_scraped "$url_d" "$work/assume-d.lua" >>"$work/ds"
		measure_cpu "$gpid" "$url_g" "$work/assume-g.lua" "$work/g.cpu" >>"$work/g"
		measure_cpu "$dpid" "$url_d" "$work/assume-d.lua" "$work/d.cpu" >>"$work/d" ;;
	*)	measure_cpu "$gpid" "$url_g" "$work/assume-g.lua" "$work/g.cpu" >>"$work/g"
		measure_cpu "$dpid" "$url_d" "$work/assume-d.lua" "$work/d.cpu" >>"$work/d"
		measure_scraped "$url_d" "$work/assume-d.lua" >>"$work/ds" ;;
	esac
	measure "$url_g" "$work/assume-h.lua" >>"$work/h"
	measure "$url_e" "$work/assume-e.lua" >>"$work/e"
done
# What one scrape costs the server: its CPU time while bench/scrape.py reads the idle d server's /metrics back to
# back for 3 s (the idle server's own background work is counted too: an overestimate).
c0=$(cpu_ticks "$dpid")
python3 bench/scrape.py "$metrics_d" 0 3 >"$work/scrape-idle.out"
c1=$(cpu_ticks "$dpid")
scrape_us=$(awk -v c0="$c0" -v c1="$c1" -v tck="$tck" '{printf "%.1f", (c1 - c0) * 1e6 / tck / $1}' \
	"$work/scrape-idle.out")
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
g=$(median "$work/g")
h=$(median "$work/h")
ds=$(median "$work/ds")

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
row "g d over TLS, kept-alive connections" "$g" "$arps"
row "h d over TLS, a new handshake per request" "$h" "$arps"
row "d+ d with /metrics scraped every 100 ms" "$ds" "$arps"
echo "targets: ratios b/a and c/a >= 0.60, d/a >= 0.40, p99 <= 2 ms at 32 connections"
drps=$(echo "$d" | cut -d' ' -f1)
erps=$(echo "$e" | cut -d' ' -f1)
echo "loaded server ($(cat "$work/load.out" | sed 's/loaded: //')): e/d $(echo "$erps $drps" | awk '{printf "%.2f", $1/$2}')" \
	"(target >= 0.80), peak RSS ${rss_e} MiB (<= 256), start ${start_ms} ms (<= 200)"
grps=$(echo "$g" | cut -d' ' -f1)
hrps=$(echo "$h" | cut -d' ' -f1)
dsrps=$(echo "$ds" | cut -d' ' -f1)
dcpu=$(sort -n "$work/d.cpu" | awk '{l[NR] = $1} END {print l[int((NR + 1) / 2)]}')
gcpu=$(sort -n "$work/g.cpu" | awk '{l[NR] = $1} END {print l[int((NR + 1) / 2)]}')
echo "TLS: g/d $(echo "$grps $drps" | awk '{r = $1/$2; printf "%.2f (target >= 0.80: %s)", r, (r >= 0.8 ? "met" : "MISSED")}');" \
	"server CPU per request (median): d $dcpu us, g $gcpu us, d/g $(echo "$dcpu $gcpu" | awk '{printf "%.2f", $1/$2}')" \
	"(the rest of g's gap is wrk's own TLS work on the same cores);" \
	"a new handshake per request: h/g $(echo "$hrps $grps" | awk '{printf "%.2f", $1/$2}')," \
	"$(echo "$hrps" | awk '{printf "%.0f", $1}') handshakes/s (ECDHE + ECDSA P-256, full handshakes)"
# The cost of scraping, measured twice. First as throughput: d+ against the d of the same round (their order
# turns), the median of those paired ratios, with their spread as the noise. On 2 shared cores that noise is
# usually far above 1 %, so this line can show a large cost but cannot show a small one: it is a cross-check.
paste -d' ' "$work/d" "$work/ds" | awk -v scrapes="$(awk '{s += $1; b += $2} END {print s, b}' "$work/scrapes")" '
	{r[NR] = $4 / $1} END {
	n = NR; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
	med = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
	cost = (1 - med) * 100; noise = (r[n] - r[1]) * 100
	split(scrapes, sc, " ")
	printf "metrics, from throughput: /metrics scraped every 100 ms (%d scrapes of %.1f KiB): d+/d per round:", sc[1],
	       sc[2] / (sc[1] ? sc[1] : 1) / 1024
	for (i = 1; i <= n; i++) printf " %.3f", r[i]
	printf ", median cost %.2f %%, noise (spread) %.2f %%%s\n", cost, noise,
	       (noise > 1 ? ": too noisy to tell 1 % apart" : "") }'
# Then from CPU time, which the other processes on the machine do not blur: 10 scrapes a second of scrape_us each,
# against the CPU the server spends on d's load each second (req/s x CPU per request). On a CPU-bound server that
# is the throughput lost. Scraping reads relaxed atomics only (src/server/metrics.c): it holds no request's lock.
echo "$scrape_us $drps $dcpu" | awk '{cost = 10 * $1 / ($2 * $3) * 100
	printf "metrics, from CPU time: %.0f us of server CPU per scrape (%s, idle server, back to back); 10 scrapes/s" \
	       " against d'"'"'s %.0f req/s x %.1f us = %.2f %% of the server'"'"'s CPU under load; target < 1 %%: %s\n",
	       $1, "bench/scrape.py", $2, $3, cost, (cost < 1 ? "met" : "MISSED") }'
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

# i: the web console, 20 people at once (bench/console_flow.py), on a seed server of its own.
echo
build/rolegate server --listen 127.0.0.1:0 --data "$work/console" --threads "$threads" --example seed \
	>/dev/null 2>"$work/console.log" &
pids="$pids $!"
url_i=$(wait_url "$work/console.log")
python3 bench/console_flow.py "$url_i" "$work/console" "$work/console.log" 20 "$((secs * 2))"
