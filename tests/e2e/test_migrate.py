"""`rolegate migrate --from-data DIR --to-postgres CONNINFO`: an SQLite installation with real data made by boto3
(users and their keys, groups, managed and inline policies, a role whose trust policy asks for MFA, a virtual MFA
device, an organization with a member account under an SCP, audit records in both rolegate.db and audit.db) moves
into an empty PostgreSQL database; a server started with --postgres on it and the same master key answers as the
SQLite one did: the same keys sign, the MFA device's spent code stays spent and the next one works, AssumeRole still
enforces the trust policy, the SCP still denies, LookupEvents and `rolegate audit` hold the old events and new ones
after them. The refusals: a target that is not empty, a source a server runs on, a conninfo that does not connect
(its password never echoed); and a crash before COMMIT leaves the target empty (migrate then simply runs again).
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess

import pytest
from botocore.exceptions import ClientError

import pgkit
import rg
from test_mfa import create as mfa_create, step, totp

SCP = "SERVICE_CONTROL_POLICY"
DENY_CREATE_USER = json.dumps({"Version": "2012-10-17",
                               "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]})


def run(*args, env=None, timeout=120):
    return subprocess.run([str(rg.BIN), *args], capture_output=True, text=True, timeout=timeout, env=env)


def migrate(data_dir, conninfo, env=None):
    return run("migrate", "--from-data", str(data_dir), "--to-postgres", conninfo, env=env)


def denied(fn, **kw):
    with pytest.raises(ClientError) as ei:
        fn(**kw)
    return ei.value.response["Error"]["Code"]


def all_events(server):
    """Every LookupEvents event of the caller's account, newest first: (EventName, requestID, EventTime)."""
    ct = rg.client(server, "cloudtrail")
    out, token = [], None
    while True:
        page = ct.lookup_events(MaxResults=50, **({"NextToken": token} if token else {}))
        out += [(e["EventName"], json.loads(e["CloudTrailEvent"])["requestID"], e["EventTime"])
                for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            return out


def assume_member(server, account, admin):
    sts = rg.client(server, "sts", admin)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                        RoleSessionName="mig")["Credentials"]
    return rg.client(server, "iam", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])


pytestmark = pytest.mark.skipif(not pgkit.available(), reason="PostgreSQL 15 is not installed (install-deps.sh test)")


def new_db(pg, name):
    """A new empty database of pg: its conninfo."""
    return pg.conninfo(pg.create_database(name))


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """A stopped SQLite installation and what its clients saw."""
    tmp = tmp_path_factory.mktemp("sqlite")
    srv = rg.Server(tmp / "data", tmp / "logs", store="sqlite").start()
    try:
        iam, org = rg.client(srv, "iam"), rg.client(srv, "organizations")
        admin = rg.admin_creds(srv)
        alice = iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "ops"}])["User"]
        bob = iam.create_user(UserName="bob")["User"]
        keys = {}
        for u in ("alice", "bob"):
            k = iam.create_access_key(UserName=u)["AccessKey"]
            rg.SEEN_SECRETS.add(k["SecretAccessKey"])
            keys[u] = (k["AccessKeyId"], k["SecretAccessKey"])
        role = iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": alice["Arn"]}, "Action": "sts:AssumeRole",
                           "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))["Role"]
        doc = json.dumps({"Version": "2012-10-17",
                          "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]})
        pol = iam.create_policy(PolicyName="AssumeDeploy", PolicyDocument=doc)["Policy"]
        iam.create_group(GroupName="ops")
        iam.add_user_to_group(GroupName="ops", UserName="alice")
        iam.attach_group_policy(GroupName="ops", PolicyArn=pol["Arn"])
        iam.put_user_policy(UserName="bob", PolicyName="assume", PolicyDocument=doc)
        serial, seed = mfa_create(iam)
        k = step()
        iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1=totp(seed, k - 2),
                              AuthenticationCode2=totp(seed, k - 1))
        # an AssumeRole with MFA (audit.db) spends the code of step k
        sts = rg.client(srv, "sts", keys["alice"])
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="before", SerialNumber=serial, TokenCode=totp(seed, k))
        # an organization, a member account and an SCP on it that denies iam:CreateUser
        org.create_organization()
        root = org.list_roots()["Roots"][0]["Id"]
        st = org.create_account(Email="dev@example.com", AccountName="Dev")["CreateAccountStatus"]
        dev = rg.wait_account_created(org, st["Id"])["AccountId"]
        org.enable_policy_type(RootId=root, PolicyType=SCP)
        scp = org.create_policy(Content=DENY_CREATE_USER, Description="no users", Name="NoUsers",
                                Type=SCP)["Policy"]["PolicySummary"]
        org.attach_policy(PolicyId=scp["Id"], TargetId=dev)
        assert denied(assume_member(srv, dev, admin).create_user, UserName="nope") == "AccessDenied"
        seen = {
            "users": sorted(u["UserName"] for u in iam.list_users()["Users"]),
            "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"]),
            "policies": sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]),
            "accounts": sorted(a["Id"] for a in org.list_accounts()["Accounts"]),
            "scps": sorted(p["Name"] for p in org.list_policies_for_target(TargetId=dev, Filter=SCP)["Policies"]),
            "events": all_events(srv),
        }
    finally:
        srv.stop_ok()
    assert (srv.data_dir / "audit.db").exists()
    yield {"server": srv, "dir": srv.data_dir, "keys": keys, "admin": admin, "alice": alice, "role": role,
           "serial": serial, "seed": seed, "step": k, "dev": dev, "seen": seen}


def counts(stdout):
    """{table: (sqlite, postgresql)} from migrate's table of counts."""
    rows = re.findall(r"^(\w+)\s+(\d+)\s+(\d+)", stdout, re.M)
    return {t: (int(a), int(b)) for t, a, b in rows}


def test_migrated_installation_answers_the_same(installation, pg, tmp_path):
    conninfo = new_db(pg, "migrated")
    r = migrate(installation["dir"], conninfo)
    assert r.returncode == 0, r.stderr
    c = counts(r.stdout)
    # every table of the source, each with as many rows on both sides; the audit of both databases
    assert {"accounts", "users", "access_keys", "roles", "mfa_devices", "org_policies", "audit", "meta"} <= set(c)
    assert all(a == b for a, b in c.values()), c
    assert c["users"][0] >= 3 and c["mfa_devices"][0] == 1
    assert c["audit"][1] >= len(installation["seen"]["events"])
    assert "rolegate.db" in r.stdout and "audit.db" in r.stdout
    # exact values: the sealed secrets byte for byte, NULLs as NULLs, the audit of both databases merged by time
    src = sqlite3.connect(f"file:{installation['dir'] / 'rolegate.db'}?mode=ro", uri=True)
    src.execute(f"ATTACH 'file:{installation['dir'] / 'audit.db'}?mode=ro' AS a")
    try:
        for table, key, col in (("access_keys", "access_key_id", "secret_sealed"), ("mfa_devices", "serial", "seed_sealed"),
                                ("server_keys", "kid", "key_sealed")):
            want = sorted(f"{k}|{v.hex()}" for k, v in src.execute(f"SELECT {key}, {col} FROM {table}"))
            assert want and pg.psql(f"SELECT {key} || '|' || encode({col}, 'hex') FROM {table} ORDER BY 1",
                                    "migrated").split("\n") == want
        for sql in ("SELECT count(*) FROM users WHERE permissions_boundary IS NULL",
                    "SELECT count(*) FROM access_keys WHERE user_id IS NULL",
                    "SELECT count(*) FROM audit WHERE access_key_id IS NULL"):
            assert pg.psql(sql, "migrated") == str(src.execute(sql).fetchone()[0] +
                                                   (src.execute(sql.replace("FROM audit", "FROM a.audit")).fetchone()[0]
                                                    if "audit" in sql else 0))
        merged = sorted(src.execute("SELECT time_ms, 0, seq, request_id, action FROM main.audit UNION ALL "
                                    "SELECT time_ms, 1, seq, request_id, action FROM a.audit").fetchall())
        assert pg.psql("SELECT seq || '|' || request_id || '|' || action FROM audit ORDER BY seq", "migrated") == \
            "\n".join(f"{i}|{m[3]}|{m[4]}" for i, m in enumerate(merged, 1))
    finally:
        src.close()

    srv = rg.Server(tmp_path / "node", tmp_path / "logs", root=installation["server"].root,
                    args=["--postgres", conninfo, "--master-key-file", str(installation["dir"] / "master.key")])
    srv.start()
    try:
        assert srv.account == installation["server"].account
        iam, org = rg.client(srv, "iam"), rg.client(srv, "organizations")
        seen = installation["seen"]
        assert sorted(u["UserName"] for u in iam.list_users()["Users"]) == seen["users"]
        assert sorted(r["RoleName"] for r in iam.list_roles()["Roles"]) == seen["roles"]
        assert sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]) == seen["policies"]
        assert sorted(a["Id"] for a in org.list_accounts()["Accounts"]) == seen["accounts"]
        assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "team", "Value": "ops"}]

        # the same keys sign (their secrets were copied sealed, opened by the same master key); a wrong one does not
        alice_sts = rg.client(srv, "sts", installation["keys"]["alice"])
        assert alice_sts.get_caller_identity()["Arn"] == installation["alice"]["Arn"]
        key_id, secret = installation["keys"]["alice"]
        assert denied(rg.client(srv, "sts", (key_id, secret[:-1] + ("A" if secret[-1] != "A" else "B")))
                      .get_caller_identity) == "SignatureDoesNotMatch"

        # the trust policy: bob is not trusted, alice needs MFA; the spent code stays spent, the next one works
        role_arn, serial, seed, k = (installation[x] for x in ("role", "serial", "seed", "step"))
        role_arn = role_arn["Arn"]
        bob_sts = rg.client(srv, "sts", installation["keys"]["bob"])
        assert denied(bob_sts.assume_role, RoleArn=role_arn, RoleSessionName="xx") == "AccessDenied"
        assert denied(alice_sts.assume_role, RoleArn=role_arn, RoleSessionName="xx") == "AccessDenied"
        assert denied(alice_sts.assume_role, RoleArn=role_arn, RoleSessionName="xx", SerialNumber=serial,
                      TokenCode=totp(seed, k)) == "AccessDenied"
        assert step() <= k + 2, "the test took more than a minute"
        got = alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="after", SerialNumber=serial,
                                    TokenCode=totp(seed, k + 1))
        assert got["AssumedRoleUser"]["Arn"].endswith(":assumed-role/Deploy/after")

        # the SCP still denies in the member account
        dev = installation["dev"]
        assert sorted(p["Name"] for p in org.list_policies_for_target(TargetId=dev, Filter=SCP)["Policies"]) == \
            seen["scps"]
        assert denied(assume_member(srv, dev, installation["admin"]).create_user, UserName="nope") == "AccessDenied"

        # the audit: every old event, and the new ones after them (newest first)
        events = all_events(srv)
        old = [(n, rid) for n, rid, _ in seen["events"]]
        now = [(n, rid) for n, rid, _ in events]
        assert set(old) <= set(now)
        first_old = now.index(old[0])
        assert ("AssumeRole", got["ResponseMetadata"]["RequestId"]) in now[:first_old]
        assert now[first_old:first_old + len(old)] == old  # the old trail, in its order
    finally:
        srv.stop_ok()


def test_refuses_a_target_that_is_not_empty(installation, pg):
    name = "twice"
    conninfo = new_db(pg, name)
    assert migrate(installation["dir"], conninfo).returncode == 0
    r = migrate(installation["dir"], conninfo)
    assert r.returncode == 1
    assert "not empty" in r.stderr and "merge" in r.stderr
    assert pg.psql("SELECT count(*) FROM users", name) == str(len(installation["seen"]["users"]))  # not twice


def test_refuses_a_source_in_use(installation, pg, tmp_path):
    srv = rg.Server(tmp_path / "busy", tmp_path / "logs", store="sqlite").start()
    try:
        r = migrate(srv.data_dir, new_db(pg, "busy"))
        assert r.returncode == 1
        assert "in use" in r.stderr and "stop the server" in r.stderr
    finally:
        srv.stop_ok()


@pytest.mark.parametrize("conninfo", [
    "host=127.0.0.1 port=1 dbname=nope user=nobody password=Sekr3tPassw0rd connect_timeout=5",
    "postgresql://nobody:Sekr3tPassw0rd@127.0.0.1:1/nope?connect_timeout=5",
    "host=127.0.0.1 password=Sekr3tPassw0rd bogus_option=1",
])
def test_refuses_a_bad_conninfo_without_echoing_its_password(installation, conninfo):
    r = migrate(installation["dir"], conninfo)
    assert r.returncode == 1
    assert "PostgreSQL" in r.stderr
    assert "Sekr3tPassw0rd" not in r.stderr + r.stdout


def test_a_crash_before_commit_leaves_the_target_empty(installation, pg):
    name = "crashed"
    conninfo = new_db(pg, name)
    r = migrate(installation["dir"], conninfo, env={**os.environ, "ROLEGATE_CRASH_STAGE": "copied"})
    assert r.returncode == -9
    # the schema is there (migrated before the copy), no row of the installation
    assert pg.psql("SELECT count(*) FROM users", name) == "0"
    assert pg.psql("SELECT count(*) FROM audit", name) == "0"
    r = migrate(installation["dir"], conninfo)
    assert r.returncode == 0, r.stderr
    assert all(a == b and a >= 0 for a, b in counts(r.stdout).values())


def test_refuses_a_source_table_postgres_lacks(installation, pg, tmp_path):
    """A table of the source with no counterpart in PostgreSQL (here one an operator added) stops the copy: nothing
    is copied rather than a table left behind."""
    data = tmp_path / "extra"
    shutil.copytree(installation["dir"], data)
    db = sqlite3.connect(data / "rolegate.db")
    db.execute("CREATE TABLE operator_notes (note TEXT)")
    db.execute("INSERT INTO operator_notes VALUES ('kept by hand')")
    db.commit()
    db.close()
    conninfo = new_db(pg, "extra")
    r = migrate(data, conninfo)
    assert r.returncode == 1
    assert "operator_notes" in r.stderr and "no counterpart in PostgreSQL" in r.stderr
    assert pg.psql("SELECT count(*) FROM users", "extra") == "0"
