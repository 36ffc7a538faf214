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
