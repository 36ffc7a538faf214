"""The audit trail (the `audit` tables of DATA/rolegate.db: writes, and DATA/audit.db: reads, AssumeRole and
GetSessionToken), read with sqlite3 after the server has stopped."""
import sqlite3

import pytest
from botocore.exceptions import ClientError

import rg


def audit_rows(data_dir, file="rolegate.db"):
    db = sqlite3.connect(f"file:{data_dir / file}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM audit ORDER BY seq")]
    finally:
        db.close()


@pytest.mark.sqlite_only('reads the audit table of DATA/rolegate.db with sqlite3')
def test_audit_trail(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    root_arn = f"arn:aws:iam::{srv.account}:root"

    name = rg.unique("aud")
    created = iam.create_user(UserName=name, Path="/audited/", Tags=[{"Key": "k", "Value": "v"}])
    rid_create = created["ResponseMetadata"]["RequestId"]
    key = iam.create_access_key(UserName=name)
    rid_key = key["ResponseMetadata"]["RequestId"]
    secret = key["AccessKey"]["SecretAccessKey"]
    rg.SEEN_SECRETS.add(secret)
    creds = (key["AccessKey"]["AccessKeyId"], secret)
    rid_tag = iam.tag_user(UserName=name, Tags=[{"Key": "x", "Value": "y"}])["ResponseMetadata"]["RequestId"]
    rid_upd = iam.update_access_key(UserName=name, AccessKeyId=creds[0], Status="Inactive")[
        "ResponseMetadata"]["RequestId"]
    rid_upd2 = iam.update_access_key(UserName=name, AccessKeyId=creds[0], Status="Active")[
        "ResponseMetadata"]["RequestId"]
    other = rg.unique("aud2")
    rid_other = iam.create_user(UserName=other)["ResponseMetadata"]["RequestId"]
    rid_untag = iam.untag_user(UserName=name, TagKeys=["x"])["ResponseMetadata"]["RequestId"]
    rid_rename = iam.update_user(UserName=other, NewUserName=other + "-r")["ResponseMetadata"]["RequestId"]
    rid_delete = iam.delete_user(UserName=other + "-r")["ResponseMetadata"]["RequestId"]

    # reads are audited too, as CloudTrail records them, in audit.db (through the group committer)
    rid_get = iam.get_user(UserName=name)["ResponseMetadata"]["RequestId"]
    rid_list = iam.list_users()["ResponseMetadata"]["RequestId"]
    rid_gci = rg.client(srv, "sts").get_caller_identity()["ResponseMetadata"]["RequestId"]

    # a refused write (AccessDenied) is audited, with the caller's identity
    denied_name = rg.unique("denied")
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "iam", creds).create_user(UserName=denied_name)
    code, _, _, rid_denied = rg.err(ei)
    assert code == "AccessDenied"
    # a write that fails for another reason (the user exists) changes nothing
    with pytest.raises(ClientError) as ei:
        iam.create_user(UserName=name)
    rid_exists = rg.err(ei)[3]

    # a raw response's RequestId is the one audited
    raw = rg.signed(srv, rg.iam_form("CreateUser", UserName=name + "-raw"))
    assert raw.status == 200
    ns = "{" + rg.IAM_NS + "}"
    rid_raw = raw.xml().findtext(f"{ns}ResponseMetadata/{ns}RequestId")
    successful_writes = {rid_create, rid_key, rid_tag, rid_upd, rid_upd2, rid_other, rid_untag, rid_rename,
                         rid_delete, rid_raw}

    srv.stop_ok()
    rows = audit_rows(srv.data_dir)
    by_rid = {r["request_id"]: r for r in rows}

    c = by_rid[rid_create]
    assert c["action"] == "iam:CreateUser"
    assert c["principal_arn"] == root_arn
    assert c["account_id"] == srv.account
    assert c["access_key_id"] == srv.root[0]
    assert c["source_ip"] == "127.0.0.1"
    assert c["outcome"] == "Success"
    assert c["resource"] == f"arn:aws:iam::{srv.account}:user/audited/{name}"
    assert name in (c["detail"] or "")
    assert c["time_ms"] > 1_600_000_000_000

    assert by_rid[rid_key]["action"] == "iam:CreateAccessKey" and by_rid[rid_key]["outcome"] == "Success"
    assert by_rid[rid_tag]["action"] == "iam:TagUser" and by_rid[rid_tag]["outcome"] == "Success"
    assert by_rid[rid_upd]["action"] == "iam:UpdateAccessKey" and by_rid[rid_upd]["outcome"] == "Success"
    assert by_rid[rid_raw]["action"] == "iam:CreateUser" and by_rid[rid_raw]["outcome"] == "Success"

    d = by_rid[rid_denied]
    assert d["action"] == "iam:CreateUser"
    assert d["outcome"] == "AccessDenied"
    assert d["principal_arn"] == f"arn:aws:iam::{srv.account}:user/audited/{name}"
    assert d["access_key_id"] == creds[0]
    assert d["source_ip"] == "127.0.0.1"
    assert d["resource"] == f"arn:aws:iam::{srv.account}:user/{denied_name}"

    assert rid_exists not in by_rid or by_rid[rid_exists]["outcome"] != "Success"
    # exactly one Success row per successful write, none for anything else
    assert sorted(r["request_id"] for r in rows if r["outcome"] == "Success") == sorted(successful_writes)
    assert by_rid[rid_delete]["action"] == "iam:DeleteUser"
    assert by_rid[rid_delete]["resource"] == f"arn:aws:iam::{srv.account}:user/{other}-r"
    assert by_rid[rid_rename]["action"] == "iam:UpdateUser"
    assert by_rid[rid_untag]["action"] == "iam:UntagUser"
    assert all(r["source_ip"] == "127.0.0.1" for r in rows)
    actions = [r["action"] for r in rows]
    assert not [a for a in actions if a in ("iam:GetUser", "iam:ListUsers", "sts:GetCallerIdentity")], actions
    reads = {r["request_id"]: r for r in audit_rows(srv.data_dir, "audit.db")}
    assert [(reads[r]["action"], reads[r]["outcome"], reads[r]["principal_arn"]) for r in (rid_get, rid_list, rid_gci)] \
        == [("iam:GetUser", "Success", root_arn), ("iam:ListUsers", "Success", root_arn),
            ("sts:GetCallerIdentity", "Success", root_arn)]
    assert all(reads[r]["response"] is None for r in (rid_get, rid_list, rid_gci))  # no responseElements of reads
    assert actions.count("iam:UpdateAccessKey") == 2

    # no secret anywhere in the trail, nor in the database file, nor in the log
    blob = repr(rows)
    for s in (secret, srv.root[1]):
        assert s not in blob
        assert s not in srv.log()
        for f in srv.data_dir.iterdir():
            if f.name.startswith("rolegate.db"):
                assert s.encode() not in f.read_bytes(), f


def test_no_secret_in_debug_log(server_factory):
    srv = server_factory.start(args=["--log-level", "debug"])
    iam = rg.client(srv, "iam")
    _, [(kid, secret)] = rg.make_user(iam)
    rg.client(srv, "sts", (kid, secret)).get_caller_identity()
    with pytest.raises(ClientError):
        rg.client(srv, "sts", (kid, secret[::-1])).get_caller_identity()
    srv.stop_ok()
    log = srv.log()
    assert "level=debug" in log  # the most verbose level is on
    assert "status=403 error=SignatureDoesNotMatch" in log
    for s in (secret, srv.root[1], secret[::-1]):
        assert s not in log


@pytest.mark.sqlite_only("holds DATA/audit.db's write lock")
def test_credentials_wait_for_their_durable_record(server_factory):
    """While DATA/audit.db cannot be written (another process holds its write lock), GetSessionToken answers no
    credentials: once the write gives up (SQLite's busy timeouts: 30-40 s here) each caller gets ServiceFailure. Meanwhile the
    waiting requests hold no request thread: more of them than the server has threads are waiting, and other calls
    are still answered at once. Once the lock is gone, credentials are issued again and recorded."""
    import threading
    import time

    srv = server_factory.start(args=["--threads", "2"])
    admin = rg.admin_creds(srv)
    sts = rg.client(srv, "sts", admin)
    db = sqlite3.connect(str(srv.data_dir / "audit.db"), timeout=30, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    results = []

    def ask():
        try:
            results.append(rg.client(srv, "sts", admin).get_session_token()["Credentials"]["AccessKeyId"])
        except ClientError as e:
            results.append(rg.err(type("E", (), {"value": e})))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        time.sleep(2)
        assert results == []  # none answered: their records are not on disk
        t0 = time.monotonic()
        assert sts.get_caller_identity()["Account"] == srv.account
        assert time.monotonic() - t0 < 2, "a call waited behind the parked requests"
        for t in threads:
            t.join(60)
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert len(results) == 4
    for r in results:
        assert r[:3] == ("ServiceFailure", "The request could not be recorded; try again.", 500), r
    key = sts.get_session_token()["Credentials"]["AccessKeyId"]
    assert key.startswith("ASIA")
    srv.stop_ok()
    db = sqlite3.connect(f"file:{srv.data_dir / 'audit.db'}?mode=ro", uri=True)
    outcomes = [r[0] for r in db.execute("SELECT outcome FROM audit WHERE action = 'sts:GetSessionToken'")]
    db.close()
    assert outcomes == ["Success"]
