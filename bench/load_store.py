#!/usr/bin/env python3
"""load_store.py - fills a stopped server's store up to ACCOUNTS accounts and ROLES roles.

    python3 bench/load_store.py DATA_DIR [ACCOUNTS [ROLES]]                   (defaults 10000 and 100000)
    python3 bench/load_store.py --postgres CONNINFO [ACCOUNTS [ROLES]]        (the same rows, in PostgreSQL)

The store was made with `rolegate server --example seed` (an organization whose management account is Ops). The
new accounts join the organization under its root, and each gets ROLES/ACCOUNTS roles trusting Ops with MFA (the
seed's trust policy) with ReadOnlyAccess attached. Rows go straight into the database in one transaction (SQLite:
INSERTs; PostgreSQL: the same rows through psql's COPY, then ANALYZE, as an operator's bulk load would end): through
the API this would take CreateAccount's polling ten thousand times, and what the benchmark measures is the server at
work beside that much data, not the loading. Both backends get the same rows (the same random seed).
"""
import os
import random
import re
import sqlite3
import subprocess
import sys
import time

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PSQL = os.environ.get("ROLEGATE_PG_BIN", "/usr/lib/postgresql/15/bin") + "/psql"


def plan(existing, have_roles, n_accounts, n_roles):
    """The new account ids and the new roles as (role_id, account_id, name)."""
    rnd = random.Random(42)
    accounts = []
    existing = set(existing)
    want = n_accounts - len(existing)
    while len(accounts) < want:
        a = "%012d" % rnd.randrange(10**11, 10**12)
        if a not in existing:
            existing.add(a)
            accounts.append(a)
    per_account = max(1, -(-(n_roles - have_roles) // max(1, len(accounts))))
    roles = []
    for a in accounts:
        for r in range(per_account):
            if have_roles + len(roles) >= n_roles:
                break
            rid = "AROA" + "".join(rnd.choice(ALNUM) for _ in range(17))
            roles.append((rid, a, "role-%02d" % r))
    return accounts, roles


def load_sqlite(data_dir, n_accounts, n_roles):
    db = sqlite3.connect(data_dir + "/rolegate.db", isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    org_id, root_id = db.execute("SELECT org_id, root_id FROM organizations").fetchone()
    trust = db.execute("SELECT trust_policy FROM roles WHERE name = 'admin' LIMIT 1").fetchone()[0]
    existing = [r[0] for r in db.execute("SELECT account_id FROM accounts")]
    have_roles = db.execute("SELECT count(*) FROM roles").fetchone()[0]
    now = int(time.time() * 1000)
    accounts, roles = plan(existing, have_roles, n_accounts, n_roles)
    db.execute("BEGIN")
    for i, a in enumerate(accounts):
        db.execute("INSERT INTO accounts (account_id, name, email, created_ms) VALUES (?, ?, ?, ?)",
                   (a, "load-%05d" % i, "load-%05d@bench.example" % i, now))
        db.execute("INSERT INTO org_accounts (account_id, org_id, parent_id, joined_method, joined_ms) "
                   "VALUES (?, ?, ?, 'CREATED', ?)", (a, org_id, root_id, now))
    for rid, a, name in roles:
        db.execute("INSERT INTO roles (role_id, account_id, name, name_lc, path, trust_policy, description, "
                   "created_ms) VALUES (?, ?, ?, ?, '/', ?, 'bench', ?)", (rid, a, name, name, trust, now))
        db.execute("INSERT INTO policy_attachments (entity_id, policy_arn, entity_type, account_id, attached_ms) "
                   "VALUES (?, 'arn:aws:iam::aws:policy/ReadOnlyAccess', 'role', ?, ?)", (rid, a, now))
    db.execute("COMMIT")
    total = db.execute("SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM roles)").fetchone()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return total


def psql(conninfo, sql=None, stdin=None):
    """Runs psql (stops at the first error) with sql or a script on stdin; returns its output lines."""
    argv = [PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo]
    if sql is not None:
        argv += ["-c", sql]
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("load_store: psql: " + p.stderr)
    return p.stdout.splitlines()


def copy_field(v):
    """A value in COPY's text format."""
    if v is None:
        return "\\N"
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_block(table, columns, rows):
    lines = ["COPY %s (%s) FROM STDIN;" % (table, ", ".join(columns))]
    lines += ["\t".join(copy_field(v) for v in row) for row in rows]
    lines.append("\\.")
    return "\n".join(lines) + "\n"


def load_postgres(conninfo, n_accounts, n_roles):
    org_id, root_id = psql(conninfo, "SELECT org_id, root_id FROM organizations")[0].split("|")
    # the trust policy, as one COPY line (psql -A would print its newlines as they are)
    out = psql(conninfo, "COPY (SELECT trust_policy FROM roles WHERE name = 'admin' LIMIT 1) TO STDOUT")
    if not out:
        sys.exit("load_store: no admin role (was the store made with --example seed?)")
    trust = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), out[0])
    existing = psql(conninfo, "SELECT account_id FROM accounts")
    have_roles = int(psql(conninfo, "SELECT count(*) FROM roles")[0])
    now = int(time.time() * 1000)
    accounts, roles = plan(existing, have_roles, n_accounts, n_roles)
    ro = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    script = "BEGIN;\n"
    script += copy_block("accounts", ("account_id", "name", "email", "created_ms"),
                         ((a, "load-%05d" % i, "load-%05d@bench.example" % i, now) for i, a in enumerate(accounts)))
    script += copy_block("org_accounts", ("account_id", "org_id", "parent_id", "joined_method", "joined_ms"),
                         ((a, org_id, root_id, "CREATED", now) for a in accounts))
    script += copy_block("roles", ("role_id", "account_id", "name", "name_lc", "path", "trust_policy", "description",
                                   "created_ms"),
                         ((rid, a, name, name, "/", trust, "bench", now) for rid, a, name in roles))
    script += copy_block("policy_attachments", ("entity_id", "policy_arn", "entity_type", "account_id",
                                                "attached_ms"),
                         ((rid, ro, "role", a, now) for rid, a, _ in roles))
    script += "COMMIT;\nANALYZE;\nSELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM roles);\n"
    return tuple(int(x) for x in psql(conninfo, stdin=script)[-1].split("|"))


def main():
    args = sys.argv[1:]
    if args and args[0] == "--postgres":
        target, load = args[1], load_postgres
        args = args[2:]
    else:
        target, load = args[0], load_sqlite
        args = args[1:]
    n_accounts = int(args[0]) if args else 10000
    n_roles = int(args[1]) if len(args) > 1 else 100000
    print("loaded: %d accounts, %d roles" % load(target, n_accounts, n_roles))


if __name__ == "__main__":
    main()
