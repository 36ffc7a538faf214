"""`rolegate master-key rotate`: every secret of a data directory (access-key secrets, the root's key, MFA seeds,
session-token keys) re-sealed under a new master key, offline; the old key no longer opens the directory.

Crash safety, two ways: ROLEGATE_CRASH_STAGE=STAGE makes the verb SIGKILL itself at each stage (the testing aid in
DEVELOPERS.md), and a loop kills it with SIGKILL at random moments; after each, a server on the directory starts with
exactly one of the two keys and every user authenticates (a mix of keys would lose some).
"""
import json
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

import rg
from test_mfa import create as create_mfa, enable as enable_mfa, step, totp

pytestmark = pytest.mark.sqlite_only('`rolegate master-key rotate` reseals DATA/rolegate.db, which the test reads (it refuses a PostgreSQL node)')

STAGES = ("key-written", "mid-reseal", "before-commit", "committed", "renamed")
ROLLED_BACK = {"key-written", "mid-reseal", "before-commit"}


def rotate(data_dir, *args, env=None, timeout=120):
    e = dict(os.environ)
    e.pop("ROLEGATE_CRASH_STAGE", None)
    e.update(env or {})
    return subprocess.run([str(rg.BIN), "master-key", "rotate", "--data", str(data_dir), *args],
                          capture_output=True, text=True, timeout=timeout, env=e)


def sealed_blobs(data_dir):
    db = sqlite3.connect(f"file:{data_dir}/rolegate.db?mode=ro", uri=True)
    try:
        out = {}
        for table, col, blob in (("access_keys", "access_key_id", "secret_sealed"),
                                 ("mfa_devices", "serial", "seed_sealed"),
                                 ("server_keys", "kid", "key_sealed")):
            out.update({(table, k): v for k, v in db.execute(f"SELECT {col}, {blob} FROM {table}")})
        out[("meta", "check")] = db.execute("SELECT value FROM meta WHERE key = 'master_key_check'").fetchone()[0]
        return out
    finally:
        db.close()


class World:
    """Users with access keys, one with an MFA device, a role and a session assumed before the rotation."""

    def __init__(self, srv, users=4):
        iam = rg.client(srv, "iam")
        self.users = [rg.make_user(iam, rg.unique("mk"))[1][0] for _ in range(users)]
        self.admin = rg.admin_creds(srv)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "AWS": f"arn:aws:iam::{srv.account}:root"}, "Action": "sts:AssumeRole"}]})
        self.role = iam.create_role(RoleName=rg.unique("mkrole"), AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        c = rg.client(srv, "sts", self.admin).assume_role(RoleArn=self.role, RoleSessionName="before")["Credentials"]
        rg.SEEN_SECRETS.add(c["SecretAccessKey"])
        self.session = ((c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"])
        mfa_user = rg.unique("mkmfa")
        _, [self.mfa_creds] = rg.make_user(iam, mfa_user)
        self.serial, self.seed = create_mfa(iam)
        enable_mfa(iam, mfa_user, self.serial, self.seed)
        self.mfa_step = step()

    def check(self, srv, mfa=True):
        """Every key, the root, the pre-rotation session and (mfa) a TOTP code all work on srv."""
        for creds in [*self.users, self.admin, self.mfa_creds]:
            rg.client(srv, "sts", creds).get_caller_identity()
        assert rg.client(srv, "sts").get_caller_identity()["Arn"].endswith(":root")
        creds, token = self.session
        assert rg.client(srv, "sts", creds, token=token).get_caller_identity()["Arn"].endswith("/before")
        # a fresh session is issued and works too
        c = rg.client(srv, "sts", self.admin).assume_role(RoleArn=self.role, RoleSessionName="after")["Credentials"]
        rg.SEEN_SECRETS.add(c["SecretAccessKey"])
        rg.client(srv, "sts", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"]).get_caller_identity()
        if mfa:
            # the next step's code (inside the window, after every step used so far): the seed must open
            self.mfa_step = max(self.mfa_step, step()) + 1
            code = totp(self.seed, self.mfa_step)
            c = rg.client(srv, "sts", self.mfa_creds).get_session_token(SerialNumber=self.serial,
                                                                        TokenCode=code)["Credentials"]
            rg.SEEN_SECRETS.add(c["SecretAccessKey"])


def test_rotate_reseals_everything_and_the_old_key_stops_opening(server_factory, tmp_path):
    srv = server_factory.start()
    world = World(srv)
    old_key = (srv.data_dir / "master.key").read_bytes()
    srv.stop_ok()
    before = sealed_blobs(srv.data_dir)

    p = rotate(srv.data_dir)
    assert p.returncode == 0, p.stderr
    assert "re-sealed" in p.stdout and "new master key (id " in p.stdout
    key = srv.data_dir / "master.key"
    assert key.read_bytes() != old_key and len(key.read_bytes()) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not (srv.data_dir / "master.key.new").exists()
    after = sealed_blobs(srv.data_dir)
    assert before.keys() == after.keys()
    assert all(before[k] != after[k] for k in before), "a secret was left sealed under the old key"

    srv.start()
    world.check(srv)
    srv.stop_ok()

    # the old key, given as a file, no longer opens the directory: the server refuses, naming the mismatch
    old = tmp_path / "old.key"
    old.write_bytes(old_key)
    old.chmod(0o600)
    srv.args = ["--master-key-file", str(old)]
    with pytest.raises(RuntimeError, match="fingerprint mismatch"):
        srv.start()
    # `master-key id` tells the keys apart: the directory's own key matches, the old one does not
    ident = subprocess.run([str(rg.BIN), "master-key", "id", "--data", str(srv.data_dir)], capture_output=True,
                           text=True, timeout=60)
    assert ident.returncode == 0 and "the key opens it" in ident.stdout, ident.stdout + ident.stderr
    new_id = ident.stdout.split()[0]
    assert new_id in p.stdout and old_key.hex() not in ident.stdout and key.read_bytes().hex() not in ident.stdout
    ident = subprocess.run([str(rg.BIN), "master-key", "id", "--data", str(srv.data_dir), "--master-key-file",
                            str(old)], capture_output=True, text=True, timeout=60)
    assert ident.returncode == 1 and "another key" in ident.stdout and new_id in ident.stdout
    # nor does the verb run with it
    p = rotate(srv.data_dir, "--master-key-file", str(old), "--new-key-file", str(tmp_path / "x.key"))
    assert p.returncode != 0 and "fingerprint mismatch" in p.stderr
    assert not (tmp_path / "x.key").exists()
    srv.args = []
    srv.start()
    world.check(srv, mfa=False)


def test_rotate_is_offline(server_factory):
    srv = server_factory.start()
    world = World(srv, users=1)
    p = rotate(srv.data_dir)
    assert p.returncode != 0 and "in use" in p.stderr and "stop the server" in p.stderr
    assert not (srv.data_dir / "master.key.new").exists()
    # a second server on the same directory is refused the same way
    with pytest.raises(RuntimeError, match="in use by another rolegate server"):
        server_factory.start(data_dir=srv.data_dir)
    world.check(srv, mfa=False)
    # no database: nothing to rotate
    p = rotate(srv.data_dir.parent / "nothing-here")
    assert p.returncode != 0 and "no database" in p.stderr
    assert rotate(srv.data_dir, "--master-key-file", "x").returncode == 2


def test_rotate_with_an_operator_key_file(server_factory, tmp_path):
    key_a, key_b = tmp_path / "a.key", tmp_path / "b.key"
    key_a.write_bytes(os.urandom(32))
    key_a.chmod(0o600)
    a_bytes = key_a.read_bytes()
    srv = server_factory.start(args=["--master-key-file", str(key_a)])
    world = World(srv)
    srv.stop_ok()

    # the new key file must not exist
    key_b.write_bytes(b"")
    p = rotate(srv.data_dir, "--master-key-file", str(key_a), "--new-key-file", str(key_b))
    assert p.returncode != 0 and "exists" in p.stderr
    key_b.unlink()

    p = rotate(srv.data_dir, "--master-key-file", str(key_a), "--new-key-file", str(key_b))
    assert p.returncode == 0, p.stderr
    assert key_a.read_bytes() == a_bytes, "the operator's old key file was changed"
    assert not (srv.data_dir / "master.key").exists()
    assert stat.S_IMODE(key_b.stat().st_mode) == 0o600 and len(key_b.read_bytes()) == 32
    with pytest.raises(RuntimeError, match="fingerprint mismatch"):
        srv.start()
    srv.args = ["--master-key-file", str(key_b)]
    srv.start()
    world.check(srv)


def prepared(server_factory, users=4):
    srv = server_factory.start()
    world = World(srv, users=users)
    srv.stop_ok()
    return srv, world


@pytest.mark.parametrize("stage", STAGES)
def test_crash_at_each_stage_leaves_one_key(server_factory, stage):
    srv, world = prepared(server_factory)
    old_key = (srv.data_dir / "master.key").read_bytes()
    p = rotate(srv.data_dir, env={"ROLEGATE_CRASH_STAGE": stage})
    assert p.returncode == -9, f"the verb did not stop at {stage}: {p.returncode} {p.stderr}"
    if stage == "committed":
        assert (srv.data_dir / "master.key.new").exists()
    srv.start()
    key = (srv.data_dir / "master.key").read_bytes()
    if stage in ROLLED_BACK:
        assert key == old_key
        assert "stopped before it committed" in srv.log()
    else:
        assert key != old_key
        if stage == "committed":
            assert "finished an interrupted master-key rotation" in srv.log()
    assert not (srv.data_dir / "master.key.new").exists()
    world.check(srv)
    # and a rotation after the crash runs to the end
    srv.stop_ok()
    assert rotate(srv.data_dir).returncode == 0
    srv.start()
    world.check(srv, mfa=False)


@pytest.mark.parametrize("stage", ("mid-reseal", "committed"))
def test_crash_with_an_operator_key_file(server_factory, tmp_path, stage):
    key_a, key_b = tmp_path / "a.key", tmp_path / "b.key"
    key_a.write_bytes(os.urandom(32))
    key_a.chmod(0o600)
    srv = server_factory.start(args=["--master-key-file", str(key_a)])
    world = World(srv)
    srv.stop_ok()
    p = rotate(srv.data_dir, "--master-key-file", str(key_a), "--new-key-file", str(key_b),
               env={"ROLEGATE_CRASH_STAGE": stage})
    assert p.returncode == -9
    assert key_b.exists()
    good, bad = (key_a, key_b) if stage == "mid-reseal" else (key_b, key_a)
    srv.args = ["--master-key-file", str(bad)]
    with pytest.raises(RuntimeError, match="fingerprint mismatch"):
        srv.start()
    srv.args = ["--master-key-file", str(good)]
    srv.start()
    world.check(srv)


def test_random_kill9_loop(server_factory):
    """20 rotations of a directory with a few hundred secrets, each killed (SIGKILL) at a random moment of its
    run: after every one a server starts on the directory and every user still authenticates."""
    srv = server_factory.start()
    world = World(srv, users=1)
    iam = rg.client(srv, "iam")
    extra = []
    for _ in range(150):
        extra.append(rg.make_user(iam, rg.unique("mkbulk"), keys=2)[1])
    for _ in range(100):
        create_mfa(iam)
    srv.stop_ok()
    t = time.monotonic()
    assert rotate(srv.data_dir).returncode == 0
    full = time.monotonic() - t
    outcomes = {"old": 0, "new": 0}
    rnd = random.Random(12)
    for _ in range(20):
        before = (srv.data_dir / "master.key").read_bytes()
        proc = subprocess.Popen([str(rg.BIN), "master-key", "rotate", "--data", str(srv.data_dir)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0, full))
        proc.kill()
        proc.wait()
        srv.start()
        outcomes["old" if (srv.data_dir / "master.key").read_bytes() == before else "new"] += 1
        assert not (srv.data_dir / "master.key.new").exists()
        world.check(srv, mfa=False)
        for creds in extra[::10]:
            for c in creds:
                rg.client(srv, "sts", c).get_caller_identity()
        srv.stop_ok()
    # every secret still opens under whichever key won: a full rotation reads them all, and refuses one that does not
    p = rotate(srv.data_dir)
    assert p.returncode == 0, p.stderr
    assert "re-sealed" in p.stdout
    print(f"random kills: {outcomes} (an uninterrupted rotation took {full:.2f}s)")


def meta(data_dir, key):
    db = sqlite3.connect(f"file:{data_dir}/rolegate.db?mode=ro", uri=True)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


@pytest.mark.parametrize("drop", [("master_key_id",), ("master_key_id", "master_key_check")])
def test_directory_from_before_key_ids(server_factory, tmp_path, drop):
    """A data directory made before key ids: the key that opens its secrets is recorded on the first start, and a
    key that opens nothing is refused (fail closed) without recording anything."""
    srv, world = prepared(server_factory)
    db = sqlite3.connect(srv.data_dir / "rolegate.db")
    db.executemany("DELETE FROM meta WHERE key = ?", [(k,) for k in drop])
    db.commit()
    db.close()
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    other.chmod(0o600)
    srv.args = ["--master-key-file", str(other)]
    with pytest.raises(RuntimeError, match="does not open this data directory's secrets"):
        srv.start()
    assert meta(srv.data_dir, "master_key_id") is None
    srv.args = []
    srv.start()
    assert meta(srv.data_dir, "master_key_id") and len(meta(srv.data_dir, "master_key_id")) == 32
    world.check(srv)
    srv.stop_ok()
    assert rotate(srv.data_dir).returncode == 0
    srv.start()
    world.check(srv, mfa=False)


def test_keys_verb_refuses_a_replaced_master_key(server_factory, tmp_path):
    key_a, key_b = tmp_path / "a.key", tmp_path / "b.key"
    key_a.write_bytes(os.urandom(32))
    key_a.chmod(0o600)
    srv = server_factory.start(args=["--master-key-file", str(key_a)])
    srv.stop_ok()
    kids = set(sealed_blobs(srv.data_dir))
    assert rotate(srv.data_dir, "--master-key-file", str(key_a), "--new-key-file", str(key_b)).returncode == 0
    p = subprocess.run([str(rg.BIN), "keys", "rotate", "--data", str(srv.data_dir), "--master-key-file", str(key_a)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "fingerprint mismatch" in p.stderr
    assert set(sealed_blobs(srv.data_dir)) == kids, "a session-token key was sealed under the replaced master key"
    p = subprocess.run([str(rg.BIN), "keys", "rotate", "--data", str(srv.data_dir), "--master-key-file", str(key_b)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
