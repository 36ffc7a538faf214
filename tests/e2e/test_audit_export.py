"""`rolegate audit --format cloudtrail` (the trail as a CloudTrail log file: {"Records": [...]}) and
`rolegate audit prune --before TIME` (records older than TIME deleted from both databases)."""
import datetime
import json
import re
import sqlite3
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import rg

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ALWAYS = {"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
          "userAgent", "requestParameters", "responseElements", "requestID", "eventID", "readOnly", "eventType",
          "managementEvent", "eventCategory", "recipientAccountId"}


def audit(data_dir, *args):
    return subprocess.run([str(rg.BIN), "audit", "--data", str(data_dir), *map(str, args)], capture_output=True,
                          text=True, timeout=60)


def prune(data_dir, *args):
    return subprocess.run([str(rg.BIN), "audit", "prune", *map(str, args), "--data", str(data_dir)],
                          capture_output=True, text=True, timeout=60)


def cloudtrail(data_dir, *args):
    p = audit(data_dir, "--format", "cloudtrail", *args)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert list(doc) == ["Records"]
    return doc["Records"], p.stdout


def ct_date(dt):
    """CloudTrail's date in responseElements: "Jul 18, 2023, 4:50:40 PM" (UTC)."""
    dt = dt.astimezone(datetime.timezone.utc)
    return f"{dt:%b} {dt.day}, {dt.year}, {dt.hour % 12 or 12}:{dt:%M:%S} {'AM' if dt.hour < 12 else 'PM'}"


def trust(account):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})


def test_cloudtrail_format(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    acct = srv.account
    name = rg.unique("ct")
    rid_create = iam.create_user(UserName=name, Path="/ct/", Tags=[{"Key": "team", "Value": "ops"}])[
        "ResponseMetadata"]["RequestId"]
    user = iam.get_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)
    rid_key = key["ResponseMetadata"]["RequestId"]
    secret = key["AccessKey"]["SecretAccessKey"]
    rg.SEEN_SECRETS.add(secret)
    creds = (key["AccessKey"]["AccessKeyId"], secret)
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "iam", creds).create_user(UserName=rg.unique("nope"))
    rid_denied = rg.err(ei)[3]

    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    role = iam.create_role(RoleName=rg.unique("ctr"), AssumeRolePolicyDocument=trust(acct))["Role"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    time.sleep(0.1)
    # signed for eu-west-1: STS records the region of the signature, as CloudTrail logs a regional endpoint's calls
    sts_eu = boto3.session.Session().client(
        "sts", endpoint_url=srv.url, region_name="eu-west-1", aws_access_key_id=creds[0],
        aws_secret_access_key=creds[1], config=Config(retries={"max_attempts": 1}, user_agent_extra="ct-test/1.0"))
    got = sts_eu.assume_role(RoleArn=role["Arn"], RoleSessionName="ct-session")
    rid_assume = got["ResponseMetadata"]["RequestId"]
    sess = got["Credentials"]
    rg.SEEN_SECRETS.add(sess["SecretAccessKey"])
    rid_by_role = rg.client(srv, "iam", (sess["AccessKeyId"], sess["SecretAccessKey"]),
                            token=sess["SessionToken"]).create_user(UserName=rg.unique("byrole"))[
        "ResponseMetadata"]["RequestId"]

    records, text = cloudtrail(srv.data_dir)
    by_rid = {r["requestID"]: r for r in records}
    for r in records:
        assert ALWAYS <= set(r), sorted(ALWAYS - set(r))
        assert r["eventVersion"] == "1.08" and r["eventType"] == "AwsApiCall" and r["managementEvent"] is True
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["eventTime"])
        assert UUID.match(r["eventID"]), r["eventID"]
        assert r["sourceIPAddress"] == "127.0.0.1"
        assert r["userAgent"].startswith("Boto3/"), r["userAgent"]  # the caller's User-Agent header
        assert r["awsRegion"] == ("eu-west-1" if r["requestID"] == rid_assume else "us-east-1")
    assert len({r["eventID"] for r in records}) == len(records)
    assert secret not in text and sess["SecretAccessKey"] not in text and sess["SessionToken"] not in text
    assert "secretAccessKey" not in text and "sessionToken" not in text

    c = by_rid[rid_create]
    assert c["eventSource"] == "iam.amazonaws.com" and c["eventName"] == "CreateUser"
    assert c["userIdentity"] == {"type": "Root", "principalId": acct, "arn": f"arn:aws:iam::{acct}:root",
                                 "accountId": acct, "accessKeyId": srv.root[0]}
    assert c["requestParameters"] == {"userName": name, "path": "/ct/", "tags": [{"key": "team", "value": "ops"}]}
    assert c["readOnly"] is False and c["recipientAccountId"] == acct and "errorCode" not in c
    assert c["responseElements"] == {"user": {
        "path": "/ct/", "userName": name, "userId": user["UserId"], "arn": user["Arn"],
        "createDate": ct_date(user["CreateDate"]), "tags": [{"key": "team", "value": "ops"}]}}

    k = by_rid[rid_key]
    assert k["requestParameters"] == {"userName": name}
    # CreateAccessKey's answer without its secret, as CloudTrail shows it
    assert k["responseElements"] == {"accessKey": {
        "accessKeyId": creds[0], "status": "Active", "userName": name,
        "createDate": ct_date(key["AccessKey"]["CreateDate"])}}

    d = by_rid[rid_denied]
    assert d["errorCode"] == "AccessDenied" and d["responseElements"] is None
    assert d["errorMessage"].startswith(f"User: {user['Arn']} is not authorized to perform: iam:CreateUser")
    assert d["userIdentity"]["type"] == "IAMUser" and d["userIdentity"]["principalId"] == user["UserId"]
    assert d["userIdentity"]["accessKeyId"] == creds[0]

    a = by_rid[rid_assume]
    assert a["eventSource"] == "sts.amazonaws.com" and a["eventName"] == "AssumeRole" and a["readOnly"] is True
    assert a["requestParameters"]["roleArn"] == role["Arn"]
    assert a["requestParameters"]["roleSessionName"] == "ct-session"
    assert a["additionalEventData"]["MFAUsed"] == "No"
    assert a["resources"] == [{"ARN": role["Arn"], "accountId": acct}]
    assert a["userIdentity"]["principalId"] == user["UserId"]
    assert "ct-test/1.0" in a["userAgent"]
    assert a["responseElements"] == {
        "credentials": {"accessKeyId": sess["AccessKeyId"], "expiration": ct_date(sess["Expiration"])},
        "assumedRoleUser": {"assumedRoleId": got["AssumedRoleUser"]["AssumedRoleId"],
                            "arn": got["AssumedRoleUser"]["Arn"]}}
    # a write without output: no responseElements, as CloudTrail writes AttachUserPolicy
    attach = [r for r in records if r["eventName"] == "AttachUserPolicy"]
    assert attach and all(r["responseElements"] is None for r in attach)

    b = by_rid[rid_by_role]
    assert b["userIdentity"]["type"] == "AssumedRole"
    assert b["userIdentity"]["arn"] == f"arn:aws:sts::{acct}:assumed-role/{role['RoleName']}/ct-session"
    assert b["userIdentity"]["principalId"] == f"{role['RoleId']}:ct-session"
    assert b["userIdentity"]["accessKeyId"] == sess["AccessKeyId"]

    # the filters apply; event ids are stable from one export to the next
    only, _ = cloudtrail(srv.data_dir, "--action", "sts:AssumeRole")
    assert [r["requestID"] for r in only] == [rid_assume]
    assert only[0]["eventID"] == a["eventID"]

    p = audit(srv.data_dir, "--format", "xml")
    assert p.returncode == 2 and "text, json or cloudtrail" in p.stderr


def count_rows(data_dir):
    n = 0
    for f in ("rolegate.db", "audit.db"):
        db = sqlite3.connect(f"file:{data_dir / f}?mode=ro", uri=True)
        try:
            n += db.execute("SELECT count(*) FROM audit").fetchone()[0]
        finally:
            db.close()
    return n


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.sqlite_only('counts and rewrites the rows of DATA/rolegate.db and DATA/audit.db with sqlite3')
def test_prune(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    admin = rg.admin_creds(srv)
    role = iam.create_role(RoleName=rg.unique("pr"), AssumeRolePolicyDocument=trust(srv.account))["Role"]
    old_rid = iam.create_user(UserName=rg.unique("old"))["ResponseMetadata"]["RequestId"]
    old_sts = rg.client(srv, "sts", admin).assume_role(RoleArn=role["Arn"], RoleSessionName="old")[
        "ResponseMetadata"]["RequestId"]
    time.sleep(1.2)
    cut = time.time()
    time.sleep(1.2)
    new_rid = iam.create_user(UserName=rg.unique("new"))["ResponseMetadata"]["RequestId"]
    new_sts = rg.client(srv, "sts", admin).assume_role(RoleArn=role["Arn"], RoleSessionName="new")[
        "ResponseMetadata"]["RequestId"]

    # nothing before 2000
    p = prune(srv.data_dir, "--before", "2000-01-01")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("pruned 0 audit records older than 2000-01-01T00:00:00Z")

    before = count_rows(srv.data_dir)
    p = prune(srv.data_dir, "--before", iso(int(cut) + 1))
    assert p.returncode == 0, p.stderr
    m = re.match(r"pruned (\d+) audit records older than \S+ \(rolegate.db: (\d+), audit.db: (\d+)\)", p.stdout)
    assert m, p.stdout
    pruned = int(m.group(1))
    assert pruned > 0 and int(m.group(3)) >= 1 and int(m.group(2)) >= 1
    assert count_rows(srv.data_dir) == before - pruned
    rids = {r["requestID"] for r in cloudtrail(srv.data_dir)[0]}
    assert old_rid not in rids and old_sts not in rids
    assert new_rid in rids and new_sts in rids

    # the running server keeps writing its trail
    later = iam.create_user(UserName=rg.unique("later"))["ResponseMetadata"]["RequestId"]
    assert later in {r["requestID"] for r in cloudtrail(srv.data_dir)[0]}

    # refusals
    p = prune(srv.data_dir)
    assert p.returncode == 2 and "--before" in p.stderr
    p = prune(srv.data_dir, "--before", "last tuesday")
    assert p.returncode == 2 and "not a time" in p.stderr
    assert count_rows(srv.data_dir) == before - pruned + 1


def make_old(data_dir):
    """Turns data_dir's databases back into what a rolegate before migration 4 left: no user_agent, region,
    response, explanation and enforcement columns in either audit table, and migrations 4 to 9 not applied."""
    for f in ("rolegate.db", "audit.db"):
        db = sqlite3.connect(data_dir / f)
        for col in ("user_agent", "region", "response", "explanation", "enforcement"):  # 6, 7
            db.execute(f"ALTER TABLE audit DROP COLUMN {col}")
        if f == "rolegate.db":
            # migrations 8 and 9 (OIDC and SAML providers) and 7 (enforcement modes): their tables too
            for t in ("saml_private_keys", "saml_providers", "oidc_providers", "account_enforcement"):
                db.execute(f"DROP TABLE {t}")
            # migration 5 (the console's tables) came later still: undone too, so 4 is the newest missing
            for t in ("console_sessions", "console_recent_roles", "console_signin_failures",
                      "federation_signin_tokens", "root_logins"):
                db.execute(f"DROP TABLE {t}")
            db.execute("DELETE FROM schema_migrations WHERE version >= 4")
        db.commit()
        db.close()


@pytest.mark.sqlite_only('counts and rewrites the rows of DATA/rolegate.db and DATA/audit.db with sqlite3')
def test_older_data_dir_read_and_upgraded(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    old_user = rg.unique("old")
    rid_old = iam.create_user(UserName=old_user)["ResponseMetadata"]["RequestId"]
    rid_old_sts = rg.client(srv, "sts").get_session_token()["ResponseMetadata"]["RequestId"]
    srv.stop_ok()
    make_old(srv.data_dir)

    # `rolegate audit` reads a data directory no new server has opened yet: the old records, without the new fields
    records, _ = cloudtrail(srv.data_dir)
    by_rid = {r["requestID"]: r for r in records}
    assert by_rid[rid_old]["userAgent"] is None and by_rid[rid_old]["responseElements"] is None
    assert by_rid[rid_old_sts]["userAgent"] is None

    # a new server upgrades both databases; old records stay as they were, new ones have the new fields
    srv.start()
    assert "applied schema migration 4" in srv.log() and "audit.db upgraded" in srv.log()
    rid_new = rg.client(srv, "iam").create_user(UserName=rg.unique("new"))["ResponseMetadata"]["RequestId"]
    rid_new_sts = rg.client(srv, "sts").get_session_token()["ResponseMetadata"]["RequestId"]
    srv.stop_ok()
    records, _ = cloudtrail(srv.data_dir)
    by_rid = {r["requestID"]: r for r in records}
    assert by_rid[rid_old]["userAgent"] is None
    assert by_rid[rid_new]["userAgent"].startswith("Boto3/")
    assert by_rid[rid_new]["responseElements"]["user"]["userName"].startswith("new-")
    assert by_rid[rid_new_sts]["userAgent"].startswith("Boto3/")
    assert set(by_rid[rid_new_sts]["responseElements"]["credentials"]) == {"accessKeyId", "expiration"}
    # --json shows them too
    p = audit(srv.data_dir, "--json", "--action", "iam:CreateUser")
    assert p.returncode == 0, p.stderr
    lines = {j["requestId"]: j for j in map(json.loads, p.stdout.splitlines())}
    assert lines[rid_new]["userAgent"].startswith("Boto3/") and lines[rid_new]["region"] == rg.REGION
    assert lines[rid_new]["response"]["User"]["UserName"].startswith("new-")
    assert "userAgent" not in lines[rid_old] and "response" not in lines[rid_old]
    # and once more: nothing to upgrade
    srv.start()
    assert "audit.db upgraded" not in srv.log()
    srv.stop_ok()


def test_user_agent_bounded_and_clean(server_factory):
    """A long User-Agent is cut at 1024 bytes (CloudTrail cuts long ones too), whole UTF-8 characters kept and
    ill-formed bytes written as '?': the record stays valid JSON."""
    srv = server_factory.start()
    name = rg.unique("ua")
    target, h = rg.sign(srv, rg.iam_form("CreateUser", UserName=name).encode())
    ua = "tool/1.0 " + "é" * 600 + "x" * 2000  # 9 + 1200 + 2000 bytes
    h["User-Agent"] = ua.encode()[:500] + b"\xff\xfe" + ua.encode()[500:]
    r = rg.send(srv, "POST", target, rg.iam_form("CreateUser", UserName=name).encode(), h)
    assert r.status == 200, r
    records, _ = cloudtrail(srv.data_dir, "--action", "iam:CreateUser")
    got = [x for x in records if x["requestID"] == r.request_id][0]["userAgent"]
    assert len(got.encode()) <= 1024 and len(got.encode()) >= 1020, len(got.encode())
    assert got.startswith(ua.encode()[:500].decode(errors="ignore")) and "??" in got
    assert "\ufffd" not in got
