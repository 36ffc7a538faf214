#!/bin/sh
# analyze.sh - `rolegate analyze reach` on an organization of 5 000 users, 300 groups, 10 000 accounts and 100 000
# roles (bench/load_store.py, bench/load_users.py), against the targets: <= 10 s and <= 1 GiB.
#
#   sh bench/analyze.sh [BIN]            (default build/rolegate, the release build)
set -eu
bin=${1:-build/rolegate}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# the seed organization (Ops, Dev, Stage, Prod), made by a server started once and stopped
"$bin" server --example seed --data "$work/data" --listen 127.0.0.1:0 >"$work/seed.out" 2>&1 &
pid=$!
i=0
until grep -q "listening on" "$work/seed.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "analyze.sh: the server did not start" >&2; exit 1; }
	sleep 0.1
done
kill "$pid"
wait "$pid" 2>/dev/null || true
python3 bench/load_store.py "$work/data" 10000 100000 >/dev/null
python3 bench/load_users.py "$work/data" 5000 300 >/dev/null
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" analyze reach --data "$work/data" --format json >"$work/out.json"
read -r secs kib <"$work/time"
rows=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$work/out.json")
printf '%-44s %10s %12s %8s\n' case seconds peak_MiB rows
printf '%-44s %10s %12s %8s\n' "analyze reach 5k users x 100k roles" "$secs" "$((kib / 1024))" "$rows"
awk -v s="$secs" -v k="$kib" 'BEGIN { printf "targets: <= 10 s (%s), <= 1024 MiB (%s)\n", s <= 10 ? "met" : "MISSED", k <= 1048576 ? "met" : "MISSED" }'
