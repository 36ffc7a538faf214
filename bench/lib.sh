# lib.sh - what the bench scripts share (sourced by bench/run.sh, enforce.sh, webidentity.sh). The caller sets
# bench_name (its name in messages), work (its temporary directory), conns and secs (wrk's connections and seconds).

# Waits for "listening on http(s)://HOST:PORT" in a log file and prints the URL.
wait_url() {
	for _ in $(seq 1 600); do
		found=$(grep -o 'listening on https\{0,1\}://[^ "]*' "$1" 2>/dev/null | head -n 1 | sed 's/listening on //')
		[ -n "$found" ] && { echo "$found"; return 0; }
		sleep 0.05
	done
	echo "$bench_name: server did not start; log:" >&2
	cat "$1" >&2
	return 1
}

# wrk's latency (850.00us, 1.20ms, 2.00s) in milliseconds.
to_ms() {
	echo "$1" | awk '/us$/ {sub("us",""); printf "%.3f", $1/1000; next}
	                 /ms$/ {sub("ms",""); printf "%.3f", $1; next}
	                 /s$/  {sub("s","");  printf "%.3f", $1*1000; next}'
}

# measure URL SCRIPT: runs wrk with the Lua SCRIPT against URL and prints "req/s p50_ms p99_ms"; fails on any
# non-2xx answer. wrk's whole output stays in $work/wrk.out.
measure() {
	wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$2" "$1" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out" >&2; return 1; }
	if grep -q "Non-2xx" "$work/wrk.out"; then
		echo "$bench_name: non-2xx responses:" >&2
		cat "$work/wrk.out" >&2
		return 1
	fi
	rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out")
	p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.out")
	p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
	echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}

# haproxy_start MODE URL_J URL_K...: HAProxy (Debian's), its files in $work: frontend jp in front of URL_J alone,
# frontend k round robin over the URL_Ks; the nodes' /health checked every second as in production. MODE http keeps
# the connections to the nodes alive and shares them; tcp forwards each connection as it is. Sets hpid (the caller
# stops it), url_jp and url_k, and returns once both answer /health through it (30 s at most).
haproxy_start() {
	mode=$1 url_j1=$2
	shift 2
	port_k=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	port_jp=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	{
		printf 'global\n    maxconn 4096\ndefaults\n    mode %s\n' "$mode"
		printf '    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n'
		[ "$mode" = http ] && printf '    option http-keep-alive\n    http-reuse always\n'
		printf '    option httpchk GET /health\n    default-server check inter 1s\n'
		printf 'frontend k\n    bind 127.0.0.1:%s\n    default_backend k\n' "$port_k"
		printf 'frontend jp\n    bind 127.0.0.1:%s\n    default_backend jp\n' "$port_jp"
		printf 'backend k\n    balance roundrobin\n'
		n=0
		for u in "$@"; do
			n=$((n + 1))
			printf '    server k%d %s\n' "$n" "${u#http://}"
		done
		printf 'backend jp\n    server j %s\n' "${url_j1#http://}"
	} >"$work/haproxy.cfg"
	haproxy -c -q -f "$work/haproxy.cfg"
	haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
	hpid=$!
	url_k=http://127.0.0.1:$port_k
	url_jp=http://127.0.0.1:$port_jp
	python3 - "$bench_name" "$url_k/health" "$url_jp/health" <<-'PY'
		import sys, time, urllib.request
		deadline = time.monotonic() + 30
		for url in sys.argv[2:]:
		    while True:
		        try:
		            if urllib.request.urlopen(url, timeout=2).status == 200:
		                break
		        except OSError:
		            pass
		        if time.monotonic() > deadline:
		            sys.exit("%s: %s does not answer through HAProxy" % (sys.argv[1], url))
		        time.sleep(0.05)
	PY
}

# CPU time, in clock ticks (tck a second): cpu_ticks PIDS... sums user + system of those processes; pg_ticks, of the
# bench's PostgreSQL in $work/pg (the postmaster and its children: a backend that exits during a measurement takes
# its ticks with it, a slight underestimate); busy_ticks and idle_ticks, of the whole machine (busy: user, nice,
# system, irq, softirq of every process, wrk's included; idle: idle and iowait).
tck=$(getconf CLK_TCK)
cpu_ticks() { for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null || true; done | awk '{t += $14 + $15} END {print t + 0}'; }
pg_ticks() {
	pm=$(head -n 1 "$work/pg/data/postmaster.pid")
	cpu_ticks "$pm" $(pgrep -P "$pm")
}
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat; }
idle_ticks() { awk '/^cpu / {print $5 + $6; exit}' /proc/stat; }
