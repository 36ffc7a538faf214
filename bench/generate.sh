#!/bin/sh
# generate.sh - `rolegate policy generate` over 1 000 000 audit records against the issue's target (<= 5 s).
#
#   sh bench/generate.sh [BIN]            (default build/rolegate, the release build)
#
# The records are written straight into a data directory's two audit tables (bench/load_audit.py: 900 000 in
# rolegate.db, 100 000 sts:AssumeRole in audit.db), all of one user: the worst case, every record read and folded.
# A tenth of them are refusals, which generate must skip; the users touched live under 50 paths (the prefix rule).
set -eu
bin=${1:-build/rolegate}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" server --data "$work/data" --listen 127.0.0.1:0 >"$work/server.out" 2>&1 &
pid=$!
i=0
until grep -q "listening on" "$work/server.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "generate.sh: the server did not start" >&2; exit 1; }
	sleep 0.1
done
kill "$pid"
wait "$pid" 2>/dev/null || true
principal=$(python3 bench/load_audit.py "$work/data" 1000000)
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" policy generate --principal "$principal" --data "$work/data" \
	>"$work/policy.json" 2>"$work/generate.err" || { cat "$work/generate.err" >&2; exit 1; }
read -r secs kib <"$work/time"
"$bin" policy validate "$work/policy.json" --kind identity >/dev/null 2>&1 && valid=valid || valid=split
printf '%-44s %10s %12s %8s %8s\n' case seconds peak_MiB ratio policy
printf '%-44s %10s %12s %8s %8s\n' "policy generate over 1M audit records" "$secs" "$((kib / 1024))" \
	"$(awk -v s="$secs" 'BEGIN { printf "%.2f", s / 5 }')" "$valid"
awk -v s="$secs" 'BEGIN { printf "target: <= 5 s (%s; ratio = seconds / 5)\n", s <= 5 ? "met" : "MISSED" }'
