#!/usr/bin/env python3
"""load_audit.py DATA N: N audit records of one IAM user written straight into DATA's audit tables (nine tenths in
rolegate.db, a tenth, sts:AssumeRole, in audit.db, made with rolegate.db's own table definition). For bench/generate.sh;
prints the user's ARN. A tenth of the records are refusals (AccessDenied)."""
import random
import sqlite3
import sys
import time

data, n = sys.argv[1], int(sys.argv[2])
random.seed(16)
main = sqlite3.connect(f"{data}/rolegate.db")
account = main.execute("SELECT account_id FROM accounts ORDER BY is_management DESC LIMIT 1").fetchone()[0]
principal = f"arn:aws:iam::{account}:user/bench/generator"
ddl = main.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit'").fetchone()[0]
cols = [r[1] for r in main.execute("PRAGMA table_info(audit)")]
audit = sqlite3.connect(f"{data}/audit.db")
audit.execute(ddl.replace("CREATE TABLE audit", "CREATE TABLE IF NOT EXISTS audit"))

ACTIONS = ["iam:CreateUser", "iam:DeleteUser", "iam:TagUser", "iam:UntagUser", "iam:UpdateUser",
           "iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:UpdateAccessKey", "iam:AttachUserPolicy",
           "iam:DetachUserPolicy", "iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:AddUserToGroup",
           "iam:RemoveUserFromGroup", "iam:CreateLoginProfile", "iam:DeleteLoginProfile", "iam:ChangePassword",
           "iam:CreateRole", "iam:DeleteRole", "iam:TagRole", "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy",
           "iam:DetachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicy", "iam:CreatePolicyVersion",
           "iam:DeletePolicy", "iam:CreateGroup", "iam:DeleteGroup", "iam:PutGroupPolicy"]
KIND = {"User": "user", "Role": "role", "Group": "group", "Policy": "policy", "Access": "user", "Login": "user",
        "Password": "user", "Assume": "role"}


def resource(action, i):
    name = action.split(":")[1]
    kind = next((v for k, v in KIND.items() if k in name), "user")
    if name == "ChangePassword":
        return None  # a call on no resource: "*"
    return f"arn:aws:iam::{account}:{kind}/team{i % 50}/{kind}-{i % 5000}"


def rows(count, start, sts):
    for i in range(start, start + count):
        action = "sts:AssumeRole" if sts else ACTIONS[i % len(ACTIONS)]
        res = f"arn:aws:iam::{account}:role/jump/role-{i % 40}" if sts else resource(action, i)
        denied = i % 10 == 9
        detail = ('{"MFAUsed":true,"RoleArn":"%s","RoleSessionName":"s%d"}' % (res, i) if sts
                  else '{"Path":"/team%d/","UserName":"user-%d"}' % (i % 50, i % 5000))
        yield (now - (count - i) * 10, f"req-{i:08d}", account, principal, "AKIABENCHGENERATE000", action, res,
               "127.0.0.1", "AccessDenied" if denied else "Success", detail, "bench/1.0", "us-east-1", None)


now = int(time.time() * 1000)
names = "time_ms, request_id, account_id, principal_arn, access_key_id, action, resource, source_ip, outcome, " \
        "detail, user_agent, region, response"
assert all(c in cols for c in names.split(", ")), cols
sql = f"INSERT INTO audit({names}) VALUES ({', '.join('?' * 13)})"
with main:
    main.executemany(sql, rows(n - n // 10, 0, False))
with audit:
    audit.executemany(sql, rows(n // 10, n, True))
main.close()
audit.close()
print(principal)
