"""What survives a restart of the same data directory: users, tags, keys, the root credentials, the account; and
what survives a kill -9 in the middle of a burst of writes."""
import json
import os
import re
import stat
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError

import rg


def test_restart_keeps_users_and_keys(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    alice, [alice_key] = rg.make_user(iam, name="alice", path="/people/")
    iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "red"}])
    bob, [bob_key] = rg.make_user(iam, name="bob")
    iam.update_access_key(UserName="bob", AccessKeyId=bob_key[0], Status="Inactive")
    account = srv.account

    srv.restart()
    assert srv.account == account
    iam = rg.client(srv, "iam")
    users = {u["UserName"]: u for u in iam.list_users()["Users"]}
    assert set(users) == {"alice", "bob"}
    assert users["alice"]["UserId"] == alice["UserId"]
    assert users["alice"]["Arn"] == alice["Arn"]
    assert users["alice"]["CreateDate"] == alice["CreateDate"]
    assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "team", "Value": "red"}]
    # the sealed secrets still open: alice's key authenticates, bob's is still inactive
    assert rg.client(srv, "sts", alice_key).get_caller_identity()["Arn"] == alice["Arn"]
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "sts", bob_key).get_caller_identity()
    assert rg.err(ei)[0] == "InvalidClientTokenId"
    keys = iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(bob_key[0], "Inactive")]
    # the names are still taken
    with pytest.raises(ClientError) as ei:
        iam.create_user(UserName="ALICE")
    assert rg.err(ei)[0] == "EntityAlreadyExists"


def test_generated_root_credentials(server_factory, tmp_path):
    # stdout is a file here, not a terminal: the secret is only in the 0600 file, and the log says where
    srv = server_factory.start(root=None)
    path = srv.data_dir / "root-credentials"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    printed = rg.read_credentials_file(path)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", printed[0]) and len(printed[1]) == 40
    rg.SEEN_SECRETS.add(printed[1])
    assert printed[1] not in srv.stdout() and "AWS_SECRET_ACCESS_KEY" not in srv.stdout()
    assert f"{srv.data_dir}/root-credentials (mode 0600)" in srv.log()
    assert srv.account in srv.log() and printed[0] in srv.log()
    me = rg.client(srv, "sts", printed).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{srv.account}:root"

    # the aws CLI reads the file as it is
    env = rg.cli_env(os.devnull, str(path))
    p = subprocess.run([rg.aws_binary(), "--endpoint-url", srv.url, "--region", rg.REGION, "--output", "json",
                        "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert f'"Arn": "arn:aws:iam::{srv.account}:root"' in p.stdout

    # a second start prints nothing and leaves the file alone
    before = path.read_bytes()
    srv.restart()
    assert "AWS_SECRET_ACCESS_KEY" not in srv.stdout()
    assert printed[1] not in srv.stdout()
    assert path.read_bytes() == before
    assert rg.client(srv, "sts", printed).get_caller_identity()["Account"] == srv.account


def test_env_root_secret_is_replaced_on_restart(server_factory):
    kid = rg.random_key_id()
    s1, s2 = rg.random_secret(), rg.random_secret()
    srv = server_factory.start(root=(kid, s1))
    assert rg.client(srv, "sts").get_caller_identity()["Account"] == srv.account
    srv.stop_ok()
    srv.root = (kid, s2)
    rg.SEEN_SECRETS.add(s2)
    srv.start()
    assert rg.client(srv, "sts", (kid, s2)).get_caller_identity()["Account"] == srv.account
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "sts", (kid, s1)).get_caller_identity()
    assert rg.err(ei)[0] == "SignatureDoesNotMatch"
    # no credentials were generated: the env key is the root key
    assert not (srv.data_dir / "root-credentials").exists()


def test_rotating_the_env_root_key_retires_the_old_one(server_factory):
    srv = server_factory.start()
    old = srv.root
    srv.stop_ok()
    srv.root = (rg.random_key_id(), rg.random_secret())
    rg.SEEN_SECRETS.add(srv.root[1])
    srv.start()
    assert rg.client(srv, "sts").get_caller_identity()["Account"] == srv.account
    keys = [k["AccessKeyId"] for k in rg.client(srv, "iam").list_access_keys()["AccessKeyMetadata"]]
    assert keys == [srv.root[0]], keys
    with pytest.raises(ClientError) as ei:
        rg.client(srv, "sts", old).get_caller_identity()
    assert rg.err(ei)[0] == "InvalidClientTokenId"


def test_account_id_option(server_factory):
    srv = server_factory.start(args=["--account-id", "123456789012"])
    assert srv.account == "123456789012"
    assert rg.client(srv, "sts").get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"
    srv.stop_ok()
    srv.args = ["--account-id", "210987654321"]
    srv.start()
    # the data directory's account wins; the option is only for the first start
    assert srv.account == "123456789012"
    assert rg.client(srv, "sts").get_caller_identity()["Account"] == "123456789012"
    assert "--account-id 210987654321 ignored" in srv.log()


def test_master_key_file(server_factory, tmp_path):
    key_a, key_b = tmp_path / "a.key", tmp_path / "b.key"
    for p in (key_a, key_b):
        p.write_bytes(os.urandom(32))
        p.chmod(0o600)
    srv = server_factory.start(args=["--master-key-file", str(key_a)])
    assert not (srv.data_dir / "master.key").exists()
    iam = rg.client(srv, "iam")
    user, [creds] = rg.make_user(iam)
    srv.restart()
    assert rg.client(srv, "sts", creds).get_caller_identity()["Arn"] == user["Arn"]

    # another master key cannot open the secrets sealed with the first: the server refuses to start on it
    srv.stop_ok()
    srv.args = ["--master-key-file", str(key_b)]
    with pytest.raises(RuntimeError) as ei:
        srv.start()
    assert "master key does not open" in str(ei.value)
    # and the right key still works afterwards
    srv.args = ["--master-key-file", str(key_a)]
    srv.start()
    assert rg.client(srv, "sts", creds).get_caller_identity()["Arn"] == user["Arn"]


def test_bad_master_key_file_refuses_to_start(server_factory, tmp_path):
    short = tmp_path / "short.key"
    short.write_bytes(b"too short")
    short.chmod(0o600)
    with pytest.raises(RuntimeError) as ei:
        server_factory.start(args=["--master-key-file", str(short)])
    assert "exactly 32 bytes" in str(ei.value)
    with pytest.raises(RuntimeError):
        server_factory.start(args=["--master-key-file", str(tmp_path / "missing.key")])


def test_kill9_during_create_burst_loses_no_acknowledged_user(server_factory):
    srv = server_factory.start(args=["--threads", "4"])
    prefix = rg.unique("burst")
    names = [f"{prefix}-{i:03d}" for i in range(200)]
    acked, attempted, refused = [], [], []
    killed = threading.Event()
    lock = threading.Lock()
    it = iter(names)
    clients = [rg.client(srv, "iam") for _ in range(8)]

    def worker(iam):
        while True:
            with lock:
                name = next(it, None)
                if name is None:
                    return
                attempted.append(name)
            try:
                r = iam.create_user(UserName=name)
            except Exception as e:
                if not killed.is_set():
                    refused.append(f"{name}: {e!r}")  # failed while the server was still up
                return  # the server is gone
            assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
            with lock:
                acked.append(name)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < 60 and time.monotonic() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.005)
    killed.set()
    srv.kill()
    for t in threads:
        t.join(30)
    assert not refused, refused[:5]
    assert 60 <= len(acked) < 200, f"the kill did not land mid-burst ({len(acked)} acknowledged)"

    srv.start()
    iam = rg.client(srv, "iam")
    present = {u["UserName"] for u in iam.get_paginator("list_users").paginate().build_full_result()["Users"]}
    missing = sorted(set(acked) - present)
    assert not missing, f"{len(missing)} acknowledged users lost after kill -9: {missing[:10]}"
    assert present <= set(attempted)
    # the database is consistent: the survivors can be used
    rg.make_user(iam, name=prefix + "-after")


@pytest.mark.sqlite_only('`rolegate audit --data` reads DATA/audit.db')
def test_kill9_during_session_burst_loses_no_acknowledged_audit_record(server_factory):
    """sts:GetSessionToken answers only once its audit record (group-committed into DATA/audit.db) is durable: after
    kill -9 in the middle of a concurrent burst, `rolegate audit` shows every session that was handed out."""
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    _, keys = rg.make_user(iam, rg.unique("sess"))
    acked, refused = [], []
    killed = threading.Event()
    lock = threading.Lock()
    clients = [rg.client(srv, "sts", creds=keys[0]) for _ in range(16)]

    def worker(sts):
        for _ in range(50):
            try:
                r = sts.get_session_token(DurationSeconds=900)
            except Exception as e:
                if not killed.is_set():
                    refused.append(repr(e))
                return
            with lock:
                acked.append(r["ResponseMetadata"]["RequestId"])

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acked) < 100 and time.monotonic() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.005)
    killed.set()
    srv.kill()
    for t in threads:
        t.join(30)
    assert not refused, refused[:5]
    assert 100 <= len(acked) < 800, f"the kill did not land mid-burst ({len(acked)} acknowledged)"
    out = subprocess.run([str(rg.BIN), "audit", "--data", str(srv.data_dir), "--action", "sts:GetSessionToken",
                          "--json", "--limit", "100000"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    recorded = {json.loads(line)["requestId"] for line in out.stdout.splitlines()}
    missing = [rid for rid in acked if rid not in recorded]
    assert not missing, f"{len(missing)} acknowledged session(s) missing from the audit trail"
    assert (srv.data_dir / "audit.db").exists()
