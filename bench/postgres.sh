#!/bin/sh
# postgres.sh - a PostgreSQL 15 cluster (Debian's binaries) for `make bench`, in a directory of the bench's own.
#
#   bench/postgres.sh start DIR     initdb into DIR/data, start it on a Unix socket in DIR (no TCP), print the
#                                   conninfo of its database `rolegate` (created empty)
#   bench/postgres.sh stop DIR      stop it (fast shutdown; SIGKILL to the postmaster when that does not finish)
#
# As root the cluster belongs to the `postgres` OS user (PostgreSQL refuses to run as root): DIR is made theirs and
# every directory above it must be searchable by them. Durability is PostgreSQL's default, stated explicitly
# (fsync on, synchronous_commit on): the bench measures the durable path, as SQLite's cases do. PostgreSQL's own
# group commit is on (commit_delay 1 ms when another transaction is open, commit_siblings 1), as README "Running
# several nodes" advises for several nodes: one WAL flush then carries the audit commits of k's three nodes together
# (measured: k +10 % to +15 %, j unchanged). Every wait is bounded. bench/run.sh calls stop from its cleanup trap,
# so the cluster goes away on any exit.
set -eu

bin=${ROLEGATE_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}

# Runs a PostgreSQL program as the cluster's owner (the postgres user when we are root), environment cleaned of PG*.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		env -u PGHOST -u PGPORT -u PGDATABASE -u PGUSER LC_ALL=C.UTF-8 setpriv --reuid=postgres --regid=postgres \
			--init-groups "$@"
	else
		env -u PGHOST -u PGPORT -u PGDATABASE -u PGUSER LC_ALL=C.UTF-8 "$@"
	fi
}

case $cmd in
start)
	[ -x "$bin/postgres" ] || { echo "postgres.sh: no PostgreSQL 15 in $bin (apt-get install postgresql-15)" >&2; exit 1; }
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
	chmod 700 "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	cat >>"$dir/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$dir'
		fsync = on
		synchronous_commit = on
		commit_delay = 1000
		commit_siblings = 1
		max_connections = 200
		shared_buffers = 128MB
		log_min_messages = warning
	EOF
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1 ||
		{ cat "$dir/server.log" >&2; exit 1; }
	as_owner "$bin/psql" -X -q -h "$dir" -U postgres -d postgres -c 'CREATE DATABASE rolegate' >/dev/null
	echo "host=$dir dbname=rolegate user=postgres"
	;;
stop)
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	if ! as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
		pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
	fi
	;;
*)
	echo "usage: postgres.sh start|stop DIR" >&2
	exit 2
	;;
esac
