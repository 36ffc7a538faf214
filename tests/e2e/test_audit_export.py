"""`rolegate audit --format cloudtrail` (the trail as a CloudTrail log file: {"Records": [...]}) and
`rolegate audit prune --before TIME` (records older than TIME deleted from both databases)."""
import datetime
import json
import re
import sqlite3
import subprocess
import time

import pytest
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
    got = rg.client(srv, "sts", creds).assume_role(RoleArn=role["Arn"], RoleSessionName="ct-session")
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
        assert r["userAgent"] is None and r["responseElements"] is None
    assert len({r["eventID"] for r in records}) == len(records)
    assert secret not in text and sess["SecretAccessKey"] not in text and sess["SessionToken"] not in text

    c = by_rid[rid_create]
    assert c["eventSource"] == "iam.amazonaws.com" and c["eventName"] == "CreateUser"
    assert c["userIdentity"] == {"type": "Root", "principalId": acct, "arn": f"arn:aws:iam::{acct}:root",
                                 "accountId": acct, "accessKeyId": srv.root[0]}
    assert c["requestParameters"] == {"userName": name, "path": "/ct/", "tags": [{"key": "team", "value": "ops"}]}
    assert c["readOnly"] is False and c["recipientAccountId"] == acct and "errorCode" not in c

    assert by_rid[rid_key]["requestParameters"] == {"userName": name}

    d = by_rid[rid_denied]
    assert d["errorCode"] == "AccessDenied"
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
