"""What is particular to `rolegate server --postgres CONNINFO`: two nodes (two data directories, one database, one
master key file) share every table; a write on one is in force on the other at once; a node given another master
key refuses to start; /health answers 503 while PostgreSQL is down and 200 again, by itself, once it is back; the
commands that take --data find a node's database (DATA/postgres); a conninfo's password is never printed. Each test
runs its own PostgreSQL 15 (tests/e2e/pgkit.py) on a Unix socket in a temporary directory, stopped after."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import requests
from botocore.exceptions import ClientError

import pgkit
import rg

pytestmark = pytest.mark.skipif(not pgkit.available(),
                                reason="PostgreSQL 15 is not installed (scripts/install-deps.sh test)")


@pytest.fixture()
def pg(tmp_path):
    p = pgkit.Postgres(tmp_path / "pglogs", "store")
    try:
        p.start()
        p.create_database("rg")
        yield p
    finally:
        p.close()


def master_key(path):
    path.write_bytes(os.urandom(32))
    path.chmod(0o600)
    return path


def node(tmp_path, pg, name, key, root, env=None):
    return rg.Server(tmp_path / name, tmp_path / f"logs-{name}", root=root, store="postgres", env=env,
                     args=["--postgres", pg.conninfo("rg"), "--master-key-file", str(key)])


def lone_node(tmp_path, pg):
    """One node on pg with a master key and a root key of its own (not started)."""
    root = (rg.random_key_id(), rg.random_secret())
    rg.SEEN_SECRETS.add(root[1])
    return node(tmp_path, pg, "a", master_key(tmp_path / "k"), root)


def health(server):
    try:
        with urllib.request.urlopen(server.url + "/health", timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_healthy(server):
    """Until /health answers 200 again, 10 s at most (after PostgreSQL's return)."""
    deadline = time.monotonic() + 10
    while health(server) != 200:
        assert time.monotonic() < deadline, "/health did not recover within 10 s of PostgreSQL's return"
        time.sleep(0.1)


@pytest.fixture()
def pair(tmp_path, pg):
    key = master_key(tmp_path / "master.key")
    root = (rg.random_key_id(), rg.random_secret())
    rg.SEEN_SECRETS.add(root[1])
    a = node(tmp_path, pg, "a", key, root)
    b = node(tmp_path, pg, "b", key, root)
    try:
        a.start(60)
        b.start(60)
        yield a, b
    finally:
        a.stop()
        b.stop()


def user_with_key(iam):
    """A new user with an access key, made through iam: (user name, (access key id, secret))."""
    user = rg.unique("u")
    iam.create_user(UserName=user)
    k = iam.create_access_key(UserName=user)["AccessKey"]
    rg.SEEN_SECRETS.add(k["SecretAccessKey"])
    return user, (k["AccessKeyId"], k["SecretAccessKey"])


def test_user_created_on_one_node_signs_on_the_other(pair):
    a, b = pair
    assert a.account == b.account  # one database: the management account the first node made
    iam_a = rg.client(a, "iam")
    user, creds = user_with_key(iam_a)
    ident = rg.client(b, "sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{a.account}:user/{user}"
    # and the other way round: B's write is A's
    rg.client(b, "iam").tag_user(UserName=user, Tags=[{"Key": "team", "Value": "blue"}])
    assert rg.client(a, "iam").list_user_tags(UserName=user)["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_key_deactivated_on_one_node_is_refused_on_the_other_within_a_second(pair):
    a, b = pair
    iam_a = rg.client(a, "iam")
    user, creds = user_with_key(iam_a)
    sts_b = rg.client(b, "sts", creds)
    for _ in range(3):  # B has the key in its caches now
        sts_b.get_caller_identity()
    iam_a.update_access_key(UserName=user, AccessKeyId=creds[0], Status="Inactive")
    t0 = time.monotonic()
    while True:
        try:
            sts_b.get_caller_identity()
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidClientTokenId"
            break
        assert time.monotonic() - t0 < 1.0, "node B still accepted the key 1 s after node A deactivated it"
        time.sleep(0.01)


def test_node_with_another_master_key_refuses_to_start(tmp_path, pg):
    root = (rg.random_key_id(), rg.random_secret())
    rg.SEEN_SECRETS.add(root[1])
    a = node(tmp_path, pg, "a", master_key(tmp_path / "one.key"), root)
    b = node(tmp_path, pg, "b", master_key(tmp_path / "other.key"), root)
    try:
        a.start(60)
        with pytest.raises(RuntimeError) as exc:
            b.start(60)
        assert "master key fingerprint mismatch" in str(exc.value)
        # and a node without --master-key-file (a fresh DATA/master.key) is refused the same way
        c = rg.Server(tmp_path / "c", tmp_path / "logs-c", root=root, store="postgres",
                      args=["--postgres", pg.conninfo("rg")])
        with pytest.raises(RuntimeError) as exc:
            c.start(60)
        assert "master key fingerprint mismatch" in str(exc.value)
        assert health(a) == 200  # the refused nodes changed nothing
    finally:
        a.stop()
        b.stop()


def test_health_503_while_postgres_is_down_then_recovers(tmp_path, pg):
    a = lone_node(tmp_path, pg)
    try:
        a.start(60)
        iam = rg.client(a, "iam")
        iam.create_user(UserName="before")
        assert health(a) == 200
        pg.stop()
        assert health(a) == 503
        with pytest.raises(ClientError) as exc:
            iam.create_user(UserName="during")
        # refused as a failure of the service (the caller's key cannot be looked up: InternalFailure), not as a
        # wrong answer such as an unknown key
        assert exc.value.response["Error"]["Code"] in ("ServiceFailure", "InternalFailure")
        pg.start()
        wait_healthy(a)
        # nothing acknowledged was lost, nothing refused was written, and writes work again
        names = [u["UserName"] for u in iam.list_users()["Users"]]
        assert "before" in names and "during" not in names
        iam.create_user(UserName="after")
        a.stop_ok()
    finally:
        a.stop()


def test_console_federation_while_postgres_is_down(tmp_path, pg):
    """AWS's federation endpoint (/federation) on a node whose PostgreSQL is down answers 503, to be tried again:
    never a verdict on the caller's credentials (400, "the security token is invalid"), and the sign-in token it
    handed out before is not spent. Both work again once PostgreSQL is back."""
    a = lone_node(tmp_path, pg)
    try:
        a.start(60)
        iam = rg.client(a, "iam")
        role = iam.create_role(RoleName="console", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": f"arn:aws:iam::{a.account}:root"}}]}))
        user, [creds] = rg.make_user(iam)
        iam.put_user_policy(UserName=user["UserName"], PolicyName="assume", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
        c = rg.client(a, "sts", creds).assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="anay")["Credentials"]
        rg.SEEN_SECRETS.add(c["SecretAccessKey"])
        session = json.dumps({"sessionId": c["AccessKeyId"], "sessionKey": c["SecretAccessKey"],
                              "sessionToken": c["SessionToken"]})
        fed = a.url + "/federation"

        def get_signin_token():
            return requests.get(fed, params={"Action": "getSigninToken", "Session": session}, timeout=60)

        r = get_signin_token()
        assert r.status_code == 200, r.text[:300]
        signin = r.json()["SigninToken"]
        rg.SEEN_SECRETS.add(signin)
        login = {"Action": "login", "Issuer": "test", "Destination": a.url + "/console/", "SigninToken": signin}
        pg.stop()
        assert health(a) == 503
        r = get_signin_token()
        assert r.status_code == 503 and "SigninToken" not in r.text, (r.status_code, r.text[:300])
        r = requests.get(fed, params=login, allow_redirects=False, timeout=60)
        assert r.status_code == 503 and "Set-Cookie" not in r.headers, (r.status_code, r.text[:300])
        pg.start()
        wait_healthy(a)
        # the token handed out before the outage signs the browser in now, once
        r = requests.get(fed, params=login, allow_redirects=False, timeout=60)
        assert r.status_code == 200 and "Set-Cookie" in r.headers, (r.status_code, r.text[:300])
        assert requests.get(fed, params=login, allow_redirects=False, timeout=60).status_code == 400
        assert get_signin_token().status_code == 200
        a.stop_ok()
    finally:
        a.stop()


def test_data_commands_and_print_config(tmp_path, pg):
    root = (rg.random_key_id(), rg.random_secret())
    rg.SEEN_SECRETS.add(root[1])
    key = master_key(tmp_path / "k")
    a = node(tmp_path, pg, "a", key, root)
    try:
        a.start(60)
        rg.client(a, "iam").create_user(UserName="audited")
        assert (a.data_dir / "postgres").stat().st_mode & 0o077 == 0
        assert not (a.data_dir / "rolegate.db").exists() and not (a.data_dir / "audit.db").exists()
        out = subprocess.run([str(rg.BIN), "audit", "--data", str(a.data_dir), "--json"], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert '"iam:CreateUser"' in out.stdout
        snap = subprocess.run([str(rg.BIN), "snapshot", "save", "--data", str(a.data_dir), str(tmp_path / "s")],
                              capture_output=True, text=True, timeout=60)
        assert snap.returncode != 0 and "PostgreSQL node" in snap.stderr
    finally:
        a.stop()
    # the node's directory does not start on an empty SQLite database when --postgres is left out
    s = rg.Server(a.data_dir, tmp_path / "logs-sqlite", root=root, store="sqlite", args=["--master-key-file", str(key)])
    with pytest.raises(RuntimeError) as exc:
        s.start(30)
    assert "directory of a PostgreSQL node" in str(exc.value)
    # --print-config: a conninfo without a password as it is, one with a password not at all
    for conninfo, shown in (("host=/tmp dbname=rg", True), ("host=/tmp dbname=rg password=hunter2", False),
                            ("postgresql://u:hunter2@localhost/rg", False)):
        out = subprocess.run([str(rg.BIN), "server", "--postgres", conninfo, "--print-config"], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert "hunter2" not in out.stdout + out.stderr
        assert (f"postgres = {conninfo}" in out.stdout) == shown
