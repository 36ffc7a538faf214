"""The operator's verbs on a PostgreSQL store (--postgres CONNINFO instead of --data DIR), against a node that runs
on that database: `rolegate keys` rotates a session-token key the node then issues with, and retires the old one so
its sessions stop working; `rolegate audit` lists the node's events from PostgreSQL's audit table and prunes them;
`rolegate root-password` sets the root user's console password the node signs in with; `rolegate master-key rotate`
re-seals the database's secrets under a new key (the old key no longer starts a node, the new one does and every
access key still signs); `rolegate snapshot` refuses --postgres and points at PostgreSQL's own backups.
"""
import json
import os
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

import pgkit
import rg
from test_console_signin import INCORRECT, Http, location, sign_in

pytestmark = pytest.mark.skipif(not pgkit.available(), reason="PostgreSQL 15 is not installed (install-deps.sh test)")


def run(*args, stdin=None, cwd=None, timeout=120):
    return subprocess.run([str(rg.BIN), *map(str, args)], input=stdin, capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def node(pg, server_factory, name, *extra):
    """A node on a new database of pg: (server, conninfo)."""
    conninfo = pg.conninfo(pg.create_database(name))
    return server_factory.start(args=["--postgres", conninfo, *extra]), conninfo


def code_of(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def session(srv):
    """Credentials of a GetSessionToken session of an administrator: (key id, secret), token."""
    c = rg.client(srv, "sts", rg.admin_creds(srv)).get_session_token()["Credentials"]
    rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    return (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"]


def keys_list(conninfo, data_dir):
    p = run("keys", "list", "--postgres", conninfo, "--data", data_dir)
    assert p.returncode == 0, p.stderr
    return [line.split() for line in p.stdout.splitlines()]


def test_keys_rotate_then_retire_on_postgres(pg, server_factory, tmp_path):
    srv, conninfo = node(pg, server_factory, "keys")
    # the node's master key: DATA/master.key (the node made it) or --master-key-file; never a made-up one
    p = run("keys", "list", "--postgres", conninfo, cwd=tmp_path)
    assert p.returncode == 1 and "--master-key-file" in p.stderr
    assert not (tmp_path / "data").exists()
    [[old, _, state]] = keys_list(conninfo, srv.data_dir)
    assert state == "issuing"
    before = session(srv)
    p = run("keys", "rotate", "--postgres", conninfo, "--data", srv.data_dir)
    assert p.returncode == 0, p.stderr
    listed = keys_list(conninfo, srv.data_dir)
    assert [(k[0] == old, k[2]) for k in listed] == [(False, "issuing"), (True, "verifying")]
    time.sleep(2.5)  # the node reloads its keys every 2 s
    after = session(srv)
    p = run("keys", "retire", old, "--postgres", conninfo, "--data", srv.data_dir)
    assert p.returncode == 0, p.stderr
    deadline = time.monotonic() + 10
    while code_of(rg.client(srv, "sts", before[0], token=before[1]).get_caller_identity) is None:
        assert time.monotonic() < deadline, "a session sealed with the retired key still works"
        time.sleep(0.2)
    assert code_of(rg.client(srv, "sts", before[0], token=before[1]).get_caller_identity) == "InvalidClientTokenId"
    # the session issued after the rotation was sealed with the new key: it still works
    assert rg.client(srv, "sts", after[0], token=after[1]).get_caller_identity()["Account"] == srv.account


def test_audit_lists_and_prunes_postgres_events(pg, server_factory):
    srv, conninfo = node(pg, server_factory, "audit")
    name = rg.unique("audited")
    rg.client(srv, "iam").create_user(UserName=name)
    session(srv)
    p = run("audit", "--postgres", conninfo, "--json")
    assert p.returncode == 0, p.stderr
    records = [json.loads(line) for line in p.stdout.splitlines()]
    assert any(r["action"] == "iam:CreateUser" and r["resource"].endswith(f":user/{name}") and
               r["outcome"] == "Success" for r in records), records
    assert any(r["action"] == "sts:GetSessionToken" for r in records)
    p = run("audit", "--postgres", conninfo, "--format", "cloudtrail", "--action", "iam:CreateUser")
    assert p.returncode == 0, p.stderr
    ct = json.loads(p.stdout)["Records"]
    assert [r["eventName"] for r in ct] == ["CreateUser"] * len(ct) and ct
    p = run("audit", "prune", "--before", "0s", "--postgres", conninfo)
    assert p.returncode == 0, p.stderr
    assert f"pruned {len(records)} audit records" in p.stdout
    assert run("audit", "--postgres", conninfo, "--json").stdout == ""


def test_root_password_on_postgres(pg, server_factory):
    srv, conninfo = node(pg, server_factory, "rootpw")
    pw = "Root-Pg-Passw0rd-1"
    rg.SEEN_SECRETS.add(pw)
    assert INCORRECT in sign_in(Http(srv), srv.account, "", pw, root=True)[2]
    p = run("root-password", "--postgres", conninfo, stdin=pw + "\n")
    assert p.returncode == 0, p.stderr
    assert f"root user of {srv.account}" in p.stdout and pw not in p.stdout + p.stderr
    st, hdrs, _ = sign_in(Http(srv), srv.account, "", pw, root=True)
    assert st == 303 and location(hdrs) == "/console/"


def test_master_key_rotation_on_postgres(pg, server_factory, tmp_path):
    key, new = tmp_path / "master.key", tmp_path / "master.key.2"
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, os.urandom(32))
    os.close(fd)
    srv, conninfo = node(pg, server_factory, "mkey", "--master-key-file", key)
    user, [creds] = rg.make_user(rg.client(srv, "iam"), rg.unique("kept"))
    srv.stop_ok()
    p = run("master-key", "rotate", "--postgres", conninfo)
    assert p.returncode == 2 and "--new-key-file" in p.stderr
    p = run("master-key", "rotate", "--postgres", conninfo, "--master-key-file", key, "--new-key-file", new)
    assert p.returncode == 0, p.stderr
    assert "re-sealed" in p.stdout and "every node" in p.stdout
    assert run("master-key", "id", "--postgres", conninfo, "--master-key-file", new).returncode == 0
    assert run("master-key", "id", "--postgres", conninfo, "--master-key-file", key).returncode == 1
    # a node given the old key refuses to start; one given the new key serves, every access key still signs
    old = rg.Server(tmp_path / "old-node", tmp_path / "old-logs", root=srv.root,
                    args=["--postgres", conninfo, "--master-key-file", str(key)])
    with pytest.raises(RuntimeError, match="fingerprint mismatch"):
        old.start()
    again = server_factory.start(data_dir=tmp_path / "new-node", root=srv.root,
                                 args=["--postgres", conninfo, "--master-key-file", str(new)])
    assert rg.client(again, "sts", creds).get_caller_identity()["Arn"] == user["Arn"]


def test_snapshot_refuses_postgres(tmp_path):
    p = run("snapshot", "save", "--postgres", "host=/nonexistent password=Sekr3tPassw0rd", tmp_path / "snap")
    assert p.returncode == 2
    assert "pg_dump" in p.stderr and "Sekr3tPassw0rd" not in p.stderr
    assert not (tmp_path / "snap").exists()
