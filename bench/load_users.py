#!/usr/bin/env python3
"""load_users.py - adds USERS IAM users and GROUPS groups to the Ops account of a store bench/load_store.py filled.

    python3 bench/load_users.py DATA_DIR [USERS [GROUPS]]          (defaults 5000 and 300)

Each group gets an inline policy allowing sts:AssumeRole on two named roles in each of two loaded accounts (the
roles trust Ops with MFA: load_store.py); one group in fifty allows a role name in every account
(arn:aws:iam::*:role/role-00), as an auditors' group would. Each user is in one to three groups. SQLite only, one
transaction, the same rows every run (random seed 7): what bench/analyze.sh measures is `rolegate analyze reach`.
"""
import json
import random
import sqlite3
import sys
import time

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def main():
    data, users, groups = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5000, \
        int(sys.argv[3]) if len(sys.argv) > 3 else 300
    rnd = random.Random(7)
    db = sqlite3.connect(data + "/rolegate.db", isolation_level=None)
    ops = db.execute("SELECT account_id FROM users WHERE name = 'anay'").fetchone()[0]
    loaded = [r[0] for r in db.execute("SELECT account_id FROM accounts WHERE name LIKE 'load-%' ORDER BY account_id")]
    now = int(time.time() * 1000)
    uid = lambda p: p + "".join(rnd.choice(ALNUM) for _ in range(17))
    db.execute("BEGIN")
    gids = []
    for g in range(groups):
        gid = uid("AGPA")
        gids.append(gid)
        db.execute("INSERT INTO groups (group_id, account_id, name, name_lc, path, created_ms) VALUES (?,?,?,?,?,?)",
                   (gid, ops, "team-%03d" % g, "team-%03d" % g, "/", now))
        if g % 50 == 49:
            res = ["arn:aws:iam::*:role/role-00"]
        else:
            res = [f"arn:aws:iam::{a}:role/role-0{r}" for a in rnd.sample(loaded, 2) for r in (0, 1)]
        pol = {"Version": "2012-10-17", "Statement": [{"Sid": "Enter", "Effect": "Allow", "Action": "sts:AssumeRole",
               "Resource": res, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
        db.execute("INSERT INTO inline_policies (owner_id, name, name_lc, document) VALUES (?,?,?,?)",
                   (gid, "enter", "enter", json.dumps(pol)))
    auditors = [g for i, g in enumerate(gids) if i % 50 == 49]
    for u in range(users):
        user = uid("AIDA")
        db.execute("INSERT INTO users (user_id, account_id, name, name_lc, path, created_ms) VALUES (?,?,?,?,?,?)",
                   (user, ops, "person-%05d" % u, "person-%05d" % u, "/", now))
        mine = set(rnd.sample([g for g in gids if g not in auditors], rnd.randint(1, 3)))
        if u < 3:  # a few auditors: each reaches role-00 in every account
            mine.add(auditors[u % len(auditors)])
        for g in mine:
            db.execute("INSERT INTO group_members (group_id, user_id, added_ms) VALUES (?,?,?)", (g, user, now))
    db.execute("COMMIT")
    print(f"loaded {users} users and {groups} groups into account {ops}")


if __name__ == "__main__":
    main()
