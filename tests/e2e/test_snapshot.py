"""`rolegate snapshot save|restore`: a consistent copy of DATA/rolegate.db and DATA/audit.db taken while the server
serves AssumeRole and CreateUser load, restored into a new directory and served from there with the original master
key (which is not in the snapshot)."""
import json
import shutil
import sqlite3
import stat
import subprocess
import threading

import pytest

import rg

pytestmark = pytest.mark.sqlite_only('`rolegate snapshot` copies DATA/rolegate.db and DATA/audit.db (it refuses a PostgreSQL node)')


def snapshot(*args):
    return subprocess.run([str(rg.BIN), "snapshot", *map(str, args)], capture_output=True, text=True, timeout=120)


def trust(account):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})


def caller(srv, creds, token=None):
    return rg.client(srv, "sts", creds, token=token).get_caller_identity()["Arn"]


def test_snapshot_under_load_restores_users_keys_and_sessions(server_factory, tmp_path):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    admin = rg.admin_creds(srv)
    role = iam.create_role(RoleName=rg.unique("snap"), AssumeRolePolicyDocument=trust(srv.account))["Role"]

    users = [rg.make_user(iam, rg.unique("snapu"), keys=2) for _ in range(5)]
    session = rg.client(srv, "sts", admin).assume_role(RoleArn=role["Arn"], RoleSessionName="before")["Credentials"]
    rg.SEEN_SECRETS.add(session["SecretAccessKey"])
    session_creds = (session["AccessKeyId"], session["SecretAccessKey"])
    assert caller(srv, session_creds, session["SessionToken"]).endswith("/before")

    # load: AssumeRole and CreateUser in a loop while the snapshot is taken
    stop = threading.Event()
    created, errors, assumed = [], [], [0]

    def load():
        sts = rg.client(srv, "sts", admin)
        load_iam = rg.client(srv, "iam")
        while not stop.is_set():
            try:
                sts.assume_role(RoleArn=role["Arn"], RoleSessionName="load")
                assumed[0] += 1
                name = rg.unique("load")
                load_iam.create_user(UserName=name)
                created.append(name)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        while len(created) < 10 and not errors:
            threading.Event().wait(0.05)
        before = list(created)
        snap = tmp_path / "rolegate.snap"
        p = snapshot("save", "--data", srv.data_dir, snap)
        assert p.returncode == 0, p.stderr
        during = len(created)
        while len(created) < during + 5 and not errors:
            threading.Event().wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert assumed[0] > 0
    assert stat.S_IMODE(snap.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("rolegate.snap.tmp*")), "a temporary file was left behind"
    master = (srv.data_dir / "master.key").read_bytes()
    assert master not in snap.read_bytes(), "the master key is in the snapshot"
    assert "rolegate.db" in p.stdout and "audit.db" in p.stdout

    # restore into a new directory: 0700, files 0600, both databases intact
    new = tmp_path / "restored"
    p = snapshot("restore", snap, "--data", new)
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(new.stat().st_mode) == 0o700
    assert sorted(f.name for f in new.iterdir()) == ["audit.db", "rolegate.db"]
    for f in new.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        db = sqlite3.connect(f"file:{f}?mode=ro", uri=True)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            db.close()

    # a server on the restored directory, with the original master key (and root key)
    restored = server_factory.start(data_dir=new, root=srv.root,
                                    args=["--master-key-file", str(srv.data_dir / "master.key")])
    assert restored.account == srv.account
    for user, keys in users:
        for creds in keys:
            assert caller(restored, creds) == user["Arn"]
    assert caller(restored, admin).startswith(f"arn:aws:iam::{srv.account}:user/")
    assert caller(restored, session_creds, session["SessionToken"]).endswith("/before")
    names = {u["UserName"] for page in rg.client(restored, "iam").get_paginator("list_users").paginate()
             for u in page["Users"]}
    assert set(before) <= names, "a user created before the snapshot is missing"
    assert len(names & set(created)) < len(created), "users created after the snapshot are in it"
    # the restored server serves writes and sessions
    rg.client(restored, "sts", admin).assume_role(RoleArn=role["Arn"], RoleSessionName="after")
    rg.client(restored, "iam").create_user(UserName=rg.unique("after"))

    # the audit trail came along (AssumeRole records live in audit.db)
    db = sqlite3.connect(f"file:{new / 'audit.db'}?mode=ro", uri=True)
    try:
        assert db.execute("SELECT count(*) FROM audit WHERE action = 'sts:AssumeRole'").fetchone()[0] >= 1
    finally:
        db.close()


def test_restore_refuses_a_non_empty_directory_and_a_damaged_file(server_factory, tmp_path):
    srv = server_factory.start()
    rg.make_user(rg.client(srv, "iam"), rg.unique("snapr"))
    snap = tmp_path / "s.snap"
    assert snapshot("save", "--data", srv.data_dir, snap).returncode == 0

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("keep me")
    p = snapshot("restore", snap, "--data", busy)
    assert p.returncode != 0
    assert "not empty" in p.stderr
    assert sorted(f.name for f in busy.iterdir()) == ["something"]
    # the server's own data directory is not empty either
    p = snapshot("restore", snap, "--data", srv.data_dir)
    assert p.returncode != 0 and "not empty" in p.stderr

    # a truncated or altered snapshot restores nothing
    data = snap.read_bytes()
    for name, bad in (("cut", data[: len(data) // 2]), ("flip", data[:100] + bytes([data[100] ^ 1]) + data[101:]),
                      ("junk", b"not a snapshot")):
        f = tmp_path / f"{name}.snap"
        f.write_bytes(bad)
        target = tmp_path / f"from-{name}"
        p = snapshot("restore", f, "--data", target)
        assert p.returncode != 0 and "not a whole rolegate snapshot" in p.stderr, p.stderr
        assert not target.exists()

    # an empty existing directory is accepted and made private
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o755)
    p = snapshot("restore", snap, "--data", empty)
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(empty.stat().st_mode) == 0o700

    # restore needs --data; save needs a data directory with a database
    assert snapshot("restore", snap).returncode != 0
    p = snapshot("save", "--data", tmp_path / "nowhere", tmp_path / "x.snap")
    assert p.returncode != 0 and "no rolegate.db" in p.stderr
    assert not (tmp_path / "x.snap").exists()


def test_restored_directory_without_the_master_key_does_not_start(server_factory, tmp_path):
    """The snapshot alone holds no usable secret: a server on it with another master key refuses to start rather
    than serve with secrets it cannot open; with none, it says to supply the key and writes no new one (a new key
    in DIR/master.key would open nothing there, and stand in the way of the real one)."""
    srv = server_factory.start()
    rg.make_user(rg.client(srv, "iam"), rg.unique("snapk"))
    snap = tmp_path / "k.snap"
    assert snapshot("save", "--data", srv.data_dir, snap).returncode == 0
    other = tmp_path / "other.key"
    other.write_bytes(b"\x01" * 32)
    other.chmod(0o600)
    new = tmp_path / "k0"
    assert snapshot("restore", snap, "--data", new).returncode == 0
    with pytest.raises(RuntimeError, match="master key does not open"):
        server_factory.start(data_dir=new, root=srv.root, args=["--master-key-file", str(other)])

    new = tmp_path / "k1"
    assert snapshot("restore", snap, "--data", new).returncode == 0
    with pytest.raises(RuntimeError, match="has a database but no master key.*supply the key"):
        server_factory.start(data_dir=new, root=srv.root)
    assert not (new / "master.key").exists(), "a master key was generated beside a restored database"
    # the original key copied in afterwards opens it
    shutil.copyfile(srv.data_dir / "master.key", new / "master.key")
    (new / "master.key").chmod(0o600)
    srv.stop_ok()
    restored = server_factory.start(data_dir=new, root=srv.root)
    assert rg.client(restored, "sts").get_caller_identity()["Account"] == srv.account


def test_master_key_never_generated_beside_a_database(server_factory, tmp_path):
    """A data directory whose master.key went missing: the server refuses to start and makes no new key."""
    srv = server_factory.start()
    srv.stop_ok()
    (srv.data_dir / "master.key").unlink()
    with pytest.raises(RuntimeError, match="has a database but no master key"):
        srv.start()
    assert not (srv.data_dir / "master.key").exists()
