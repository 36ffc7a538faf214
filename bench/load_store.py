#!/usr/bin/env python3
"""load_store.py - fills a stopped server's data directory up to ACCOUNTS accounts and ROLES roles.

    python3 bench/load_store.py DATA_DIR [ACCOUNTS [ROLES]]      (defaults 10000 and 100000)

DATA_DIR was made with `rolegate server --example seed` (an organization whose management account is Ops). The
new accounts join the organization under its root, and each gets ROLES/ACCOUNTS roles trusting Ops with MFA (the
seed's trust policy) with ReadOnlyAccess attached. Rows go straight into SQLite in one transaction: through the API
this would take CreateAccount's polling ten thousand times, and what the benchmark measures is the server at work
beside that much data, not the loading.
"""
import random
import sqlite3
import sys
import time

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def main():
    data_dir = sys.argv[1]
    n_accounts = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    n_roles = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    rnd = random.Random(42)
    db = sqlite3.connect(data_dir + "/rolegate.db", isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    ops, org_id, root_id = db.execute("SELECT management_account_id, org_id, root_id FROM organizations").fetchone()
    trust = db.execute("SELECT trust_policy FROM roles WHERE name = 'admin' LIMIT 1").fetchone()[0]
    existing = {r[0] for r in db.execute("SELECT account_id FROM accounts")}
    now = int(time.time() * 1000)
    accounts = []
    want = n_accounts - len(existing)
    while len(accounts) < want:
        a = "%012d" % rnd.randrange(10**11, 10**12)
        if a not in existing:
            existing.add(a)
            accounts.append(a)
    have_roles = db.execute("SELECT count(*) FROM roles").fetchone()[0]
    per_account = max(1, -(-(n_roles - have_roles) // max(1, len(accounts))))
    db.execute("BEGIN")
    roles = 0
    for i, a in enumerate(accounts):
        db.execute("INSERT INTO accounts (account_id, name, email, created_ms) VALUES (?, ?, ?, ?)",
                   (a, "load-%05d" % i, "load-%05d@bench.example" % i, now))
        db.execute("INSERT INTO org_accounts (account_id, org_id, parent_id, joined_method, joined_ms) "
                   "VALUES (?, ?, ?, 'CREATED', ?)", (a, org_id, root_id, now))
        for r in range(per_account):
            if have_roles + roles >= n_roles:
                break
            rid = "AROA" + "".join(rnd.choice(ALNUM) for _ in range(17))
            name = "role-%02d" % r
            db.execute("INSERT INTO roles (role_id, account_id, name, name_lc, path, trust_policy, description, "
                       "created_ms) VALUES (?, ?, ?, ?, '/', ?, 'bench', ?)", (rid, a, name, name, trust, now))
            db.execute("INSERT INTO policy_attachments (entity_id, policy_arn, entity_type, account_id, attached_ms) "
                       "VALUES (?, 'arn:aws:iam::aws:policy/ReadOnlyAccess', 'role', ?, ?)", (rid, a, now))
            roles += 1
    db.execute("COMMIT")
    total = db.execute("SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM roles)").fetchone()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print("loaded: %d accounts, %d roles" % total)


if __name__ == "__main__":
    main()
