"""Many rolegate nodes on one PostgreSQL (`rolegate server --postgres CONNINFO --data OWN_DIR --master-key-file KEY`):
any node answers any request, a write on one node is in force on every other within 1 s, MFA codes are single-use
and the lockout counts across nodes, session-token keys rotate and retire for all, and the faults: a node killed
behind HAProxy, PostgreSQL restarted under load, a standby promoted. Every PostgreSQL (tests/e2e/pgkit.py), HAProxy
(haproxykit.py) and node runs on loopback in temporary directories and is stopped after, even on failure."""
import json
import os
import re
import subprocess
import threading
import time
import types

import pytest
from botocore.exceptions import ClientError

import haproxykit
import pgkit
import rg
from conftest import Factory
from test_mfa import create as create_mfa, step, totp, wrong

pytestmark = pytest.mark.skipif(not pgkit.available() or not haproxykit.available(),
                                reason="PostgreSQL 15 or HAProxy is not installed (scripts/install-deps.sh test)")

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
STANDARD = {"mode": "standard"}  # boto3's standard retry mode, max_attempts left at its default (3)
ASIA = re.compile(r"ASIA[A-Z2-7]{16}")


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_ASSUME = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})


class Cluster:
    """n nodes on one database: the same master key file and root key, each its own data directory."""

    def __init__(self, tmp, conninfo, n, env=None, parallel=False):
        self.tmp = tmp
        self.conninfo = conninfo
        self.key = tmp / "master.key"
        self.key.write_bytes(os.urandom(32))
        self.key.chmod(0o600)
        self.root = (rg.random_key_id(), rg.random_secret())
        rg.SEEN_SECRETS.add(self.root[1])
        self.factory = Factory(tmp)
        self.env = env
        self.nodes = []
        try:
            if parallel:  # every node at once: one of them runs the migrations, the others wait for it
                servers = [self._server(i) for i in range(n)]
                errors = []
                threads = [threading.Thread(target=lambda s=s: _catch(errors, s.start, 60)) for s in servers]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(90)
                assert not errors, errors
                self.nodes = servers
            else:
                for i in range(n):
                    self.nodes.append(self._server(i).start(60))
        except BaseException:
            self.close()
            raise

    def _server(self, i):
        srv = rg.Server(self.tmp / f"node{i + 1}", self.tmp / f"logs{i + 1}", root=self.root, env=self.env,
                        args=["--postgres", self.conninfo, "--master-key-file", str(self.key)])
        self.factory.servers.append(srv)
        return srv

    def restart_node(self, i):
        self.nodes[i].kill()
        return self.nodes[i].start(60)

    def close(self):
        self.factory.finish()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _catch(errors, fn, *args):
    try:
        fn(*args)
    except Exception as e:  # reported by the caller
        errors.append(repr(e))


def endpoint(url, root):
    """Something rg.client() takes for a server: a url (HAProxy's) and the root key."""
    return types.SimpleNamespace(url=url, root=root, clock=None)


def assume_setup(node):
    """On node: a role trusting the account and a user allowed sts:AssumeRole. (role ARN, the user's creds)."""
    iam = rg.client(node, "iam")
    role = iam.create_role(RoleName=rg.unique("role"), AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{node.account}:root"}, "Action": "sts:AssumeRole"}))
    user, [creds] = rg.make_user(iam)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume", PolicyDocument=ALLOW_ASSUME)
    return role["Role"]["Arn"], creds


def audited_sessions(pg, db):
    """The access key ids of the sessions whose sts:AssumeRole audit record is in the database (the record's
    response: the answer without its secrets), read with psql."""
    out = pg.psql("SELECT response FROM audit WHERE action = 'sts:AssumeRole' AND outcome = 'Success'", db)
    return set(ASIA.findall(out))


class Load:
    """threads callers of fn(i) (i: the thread's number) until stop(): every result or error kept with its time."""

    def __init__(self, fn, threads):
        self.fn = fn
        self.ok, self.errors = [], []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, i):
        while not self.done.is_set():
            t = time.monotonic()
            try:
                r = self.fn(i)
            except ClientError as e:
                with self.lock:
                    self.errors.append((t, e.response["Error"]["Code"], e.response["Error"].get("Message"),
                                        e.response["ResponseMetadata"].get("HTTPStatusCode")))
                time.sleep(0.01)
                continue
            except Exception as e:  # connection refused, read timeout...: a failure the caller sees
                with self.lock:
                    self.errors.append((t, type(e).__name__, str(e)[:200], None))
                time.sleep(0.01)
                continue
            with self.lock:
                self.ok.append((time.monotonic(), r))

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def wait_ok(self, n, timeout):
        deadline = time.monotonic() + timeout
        while len(self.ok) < n:
            assert time.monotonic() < deadline, f"only {len(self.ok)} answers in {timeout}s; errors {self.errors[:5]}"
            time.sleep(0.02)

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(60)
        assert not any(t.is_alive() for t in self.threads), "a load thread is stuck"


def session_of(sts, role_arn, name="load"):
    r = sts.assume_role(RoleArn=role_arn, RoleSessionName=name)
    c = r["Credentials"]
    rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], r["ResponseMetadata"]["RequestId"]


# ---- a node killed behind HAProxy --------------------------------------------------------------------------------

def test_kill9_one_node_behind_haproxy_under_load(pg, tmp_path):
    db = pg.create_database("c_kill")
    with Cluster(tmp_path, pg.conninfo(db), 3, parallel=True) as c:
        # the three started at once on an empty database: the schema was made once
        assert pg.psql("SELECT count(*) FROM audit", db) is not None
        hap = haproxykit.Haproxy(tmp_path, [n.port for n in c.nodes]).start()
        try:
            hap.wait_up(3)
            role_arn, creds = assume_setup(c.nodes[0])
            front = endpoint(hap.url, c.root)
            clients = [rg.client(front, "sts", creds, retries=STANDARD, read_timeout=20) for _ in range(4)]
            load = Load(lambda i: session_of(clients[i], role_arn), 4).start()
            try:
                load.wait_ok(60, 60)
                killed_at = time.monotonic()
                c.nodes[1].kill()
                out_after = hap.wait_status("n2", "DOWN", timeout=10)
                assert hap.up() == ["n1", "n3"]
                load.wait_ok(len(load.ok) + 150, 90)
            finally:
                load.stop()
        finally:
            hap.stop()
        after = [r for t, r in load.ok if t > killed_at]
        print(f"\n{len(load.ok)} sessions ({len(after)} after the kill); the killed node left HAProxy's pool in "
              f"{out_after:.2f} s")
        assert not load.errors, f"{len(load.errors)} callers saw an error: {load.errors[:5]}"
        assert out_after < 2.0
        # every node that lives answered, and every session handed out has its audit record
        keys = audited_sessions(pg, db)
        issued = {r[0] for _, r in load.ok}
        missing = [k for k in issued if k not in keys]
        assert not missing, f"{len(missing)} of {len(issued)} sessions without their audit record"
        # and each works on every node still up
        ak, sk, token, _ = after[-1]
        for n in (c.nodes[0], c.nodes[2]):
            assert ":assumed-role/" in rg.client(n, "sts", (ak, sk), token=token).get_caller_identity()["Arn"]


# ---- a write on one node in force on the others ------------------------------------------------------------------

def until_changed(call, timeout=5.0):
    """Calls call() until it raises ClientError; returns (seconds it took, the error code)."""
    t0 = time.monotonic()
    while True:
        try:
            call()
        except ClientError as e:
            return time.monotonic() - t0, e.response["Error"]["Code"]
        if time.monotonic() - t0 > timeout:
            return time.monotonic() - t0, None
        time.sleep(0.002)


def test_writes_are_in_force_on_every_node_within_a_second(pg, tmp_path):
    db = pg.create_database("c_propagate")
    with Cluster(tmp_path, pg.conninfo(db), 3) as c:
        a, b, other = c.nodes
        iam_a = rg.client(a, "iam")
        org = rg.client(a, "organizations")
        # background load on every node: AssumeRole (an audited write each) from two threads
        role_arn, creds = assume_setup(a)
        loaders = [rg.client(n, "sts", creds) for n in c.nodes]
        turn = iter(range(10 ** 9))
        load = Load(lambda i: session_of(loaders[next(turn) % 3], role_arn), 2).start()
        times = {}
        try:
            load.wait_ok(10, 30)
            admin = rg.admin_creds(a)
            for rnd in range(3):
                # a deactivated access key
                user, [k] = rg.make_user(iam_a)
                sts_b = rg.client(b, "sts", k)
                sts_b.get_caller_identity()
                iam_a.update_access_key(UserName=user["UserName"], AccessKeyId=k[0], Status="Inactive")
                times.setdefault("deactivated key", []).append(until_changed(sts_b.get_caller_identity))
                # a detached policy
                user, [k] = rg.make_user(iam_a)
                iam_a.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
                iam_b = rg.client(b, "iam", k)
                iam_b.list_users(MaxItems=1)
                iam_a.detach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
                times.setdefault("detached policy", []).append(until_changed(lambda: iam_b.list_users(MaxItems=1)))
                # a deleted role
                name = rg.unique("gone")
                arn = iam_a.create_role(RoleName=name, AssumeRolePolicyDocument=doc(
                    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{a.account}:root"},
                     "Action": "sts:AssumeRole"}))["Role"]["Arn"]
                sts_b = rg.client(b, "sts", creds)
                session_of(sts_b, arn)
                iam_a.delete_role(RoleName=name)
                times.setdefault("deleted role", []).append(until_changed(lambda: session_of(sts_b, arn)))
            # an SCP attached to a member account's OU, in force for its administrator on node b
            org.create_organization()
            root_id = org.list_roots()["Roots"][0]["Id"]
            org.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
            first = org.create_account(Email=f"{rg.unique('m')}@example.com", AccountName="Member")
            acct = rg.wait_account_created(org, first["CreateAccountStatus"]["Id"])["AccountId"]
            for rnd in range(3):
                ou = org.create_organizational_unit(ParentId=root_id, Name=rg.unique("ou"))["OrganizationalUnit"]["Id"]
                parent = org.list_parents(ChildId=acct)["Parents"][0]["Id"]
                org.move_account(AccountId=acct, SourceParentId=parent, DestinationParentId=ou)
                s = rg.client(b, "sts", admin).assume_role(
                    RoleArn=f"arn:aws:iam::{acct}:role/OrganizationAccountAccessRole", RoleSessionName="scp")
                cr = s["Credentials"]
                rg.SEEN_SECRETS.add(cr["SecretAccessKey"])
                member_b = rg.client(b, "iam", (cr["AccessKeyId"], cr["SecretAccessKey"]), token=cr["SessionToken"])
                member_b.list_users(MaxItems=1)
                pid = org.create_policy(Content=doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}),
                                        Description="", Name=rg.unique("deny"),
                                        Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
                org.attach_policy(PolicyId=pid, TargetId=ou)
                times.setdefault("SCP attached", []).append(until_changed(lambda: member_b.list_users(MaxItems=1)))
        finally:
            load.stop()
        assert not load.errors, load.errors[:5]
        print()
        for what, got in times.items():
            print(f"  {what:16s} in force on another node after: " +
                  ", ".join(f"{s * 1000:.0f} ms" for s, _ in got))
        worst = max(s for got in times.values() for s, _ in got)
        print(f"  worst case under load ({len(load.ok)} AssumeRoles meanwhile): {worst * 1000:.0f} ms")
        for what, got in times.items():
            for s, code in got:
                assert code in ("InvalidClientTokenId", "AccessDenied"), (what, code)
                assert s < 1.0, f"{what}: {s:.2f} s"


# ---- MFA across nodes --------------------------------------------------------------------------------------------

def mfa_user(iam):
    """A user with AdministratorAccess and an enabled virtual device (codes of steps k-2, k-1 spent):
    (creds, serial, seed, k)."""
    user, [creds] = rg.make_user(iam)
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
    serial, seed = create_mfa(iam)
    k = step()
    iam.enable_mfa_device(UserName=user["UserName"], SerialNumber=serial, AuthenticationCode1=totp(seed, k - 2),
                          AuthenticationCode2=totp(seed, k - 1))
    return creds, serial, seed, k


def mfa_session(node, creds, serial, code):
    """GetSessionToken with an MFA code on node: "ok" or the error code."""
    try:
        c = rg.client(node, "sts", creds).get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
        rg.SEEN_SECRETS.add(c["SecretAccessKey"])
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]


def test_mfa_codes_single_use_and_lockout_across_nodes(pg, tmp_path):
    db = pg.create_database("c_mfa")
    with Cluster(tmp_path, pg.conninfo(db), 2) as c:
        a, b = c.nodes
        iam = rg.client(a, "iam")
        # a code accepted by node a is refused by node b
        creds, serial, seed, k = mfa_user(iam)
        assert mfa_session(a, creds, serial, totp(seed, k)) == "ok"
        assert mfa_session(b, creds, serial, totp(seed, k)).startswith("AccessDenied")
        # the failures count on both nodes: 5 wrong codes, alternately, lock the device everywhere
        creds, serial, seed, k = mfa_user(iam)
        for i in range(5):
            assert mfa_session((a, b)[i % 2], creds, serial, wrong(seed)).startswith("AccessDenied")
        got = mfa_session(a, creds, serial, totp(seed, k))
        assert got.startswith("AccessDenied") and "locked" in got, got
        assert "locked" in mfa_session(b, creds, serial, totp(seed, k))
        # two nodes racing with the same code: exactly one accepts, every time
        wins = {"a": 0, "b": 0}
        for _ in range(12):
            creds, serial, seed, k = mfa_user(iam)
            code, barrier, got = totp(seed, k), threading.Barrier(2), {}
            sts = {"a": rg.client(a, "sts", creds), "b": rg.client(b, "sts", creds)}

            def race(name):
                barrier.wait(10)
                try:
                    sts[name].get_session_token(SerialNumber=serial, TokenCode=code)
                    got[name] = "ok"
                except ClientError as e:
                    got[name] = e.response["Error"]["Code"]

            threads = [threading.Thread(target=race, args=(n,)) for n in ("a", "b")]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert sorted(got.values()) == ["AccessDenied", "ok"], got
            wins[[n for n, v in got.items() if v == "ok"][0]] += 1
        print(f"\nsame code on two nodes at once, 12 times: node a won {wins['a']}, node b {wins['b']}")


# ---- session-token keys ------------------------------------------------------------------------------------------

def keys_verb(c, *args):
    """`rolegate keys ARGS` on the cluster's database: a node's directory (DATA/postgres names the database) and
    the master key file the nodes are given."""
    return subprocess.run([str(rg.BIN), "keys", *args, "--data", str(c.nodes[0].data_dir),
                           "--master-key-file", str(c.key)], capture_output=True, text=True, timeout=60)


def test_key_rotation_and_retirement_reach_every_node(pg, tmp_path):
    db = pg.create_database("c_keys")
    with Cluster(tmp_path, pg.conninfo(db), 2) as c:
        a, b = c.nodes
        role_arn, creds = assume_setup(a)
        old = session_of(rg.client(a, "sts", creds), role_arn)
        p = keys_verb(c, "list")
        assert p.returncode == 0, p.stderr
        old_kid = p.stdout.split()[0]
        p = keys_verb(c, "rotate")
        assert p.returncode == 0, p.stderr
        new_kid = re.search(r"added session-token key (\S+);", p.stdout).group(1)
        # both nodes issue with the new key within seconds: sessions they hand out then outlive the old key
        time.sleep(2.5)
        fresh = [session_of(rg.client(n, "sts", creds), role_arn) for n in (a, b)]
        p = keys_verb(c, "retire", old_kid)
        assert p.returncode == 0, p.stderr + p.stdout
        assert new_kid != old_kid
        deadline = time.monotonic() + 5
        for n in (a, b):
            sts = rg.client(n, "sts", old[:2], token=old[2])
            took, code = until_changed(sts.get_caller_identity, timeout=max(0.1, deadline - time.monotonic()))
            assert code == "InvalidClientTokenId", (n.url, code, took)
        for n in (a, b):
            for s in fresh:
                assert ":assumed-role/" in rg.client(n, "sts", s[:2], token=s[2]).get_caller_identity()["Arn"]


# ---- PostgreSQL restarted under load -----------------------------------------------------------------------------

def test_postgres_restart_under_load_fails_closed_and_recovers(tmp_path):
    pg = pgkit.Postgres(tmp_path, "restart").start()
    try:
        db = pg.create_database("c_restart")
        with Cluster(tmp_path, pg.conninfo(db), 2) as c:
            role_arn, creds = assume_setup(c.nodes[0])
            clients = [rg.client(c.nodes[i % 2], "sts", creds, read_timeout=30) for i in range(4)]
            load = Load(lambda i: session_of(clients[i], role_arn), 4).start()
            outages = []
            try:
                load.wait_ok(40, 60)
                # a clean stop (sessions cut), then a crash (SIGKILL: crash recovery at the start)
                for mode, down in (("fast", 2.0), ("kill", 1.0)):
                    down_at = time.monotonic()
                    pg.restart(down=down, mode=mode)
                    up_at = time.monotonic()
                    load.wait_ok(len(load.ok) + 60, 60)
                    outages.append((mode, down_at, up_at))
            finally:
                load.stop()
            print()
            for mode, down_at, up_at in outages:
                refused = [e for e in load.errors if down_at - 1 <= e[0] <= up_at + 10]
                first_ok_after = min((t for t, _ in load.ok if t > up_at), default=None)
                print(f"PostgreSQL {'stopped' if mode == 'fast' else 'killed'} for {up_at - down_at:.1f} s: "
                      f"{len(refused)} refusals {sorted({e[1] for e in refused})}, serving again "
                      f"{(first_ok_after - up_at) if first_ok_after else float('nan'):.2f} s after it came back")
                assert refused, f"no request was refused while PostgreSQL was down ({mode})"
                assert first_ok_after is not None and first_ok_after - up_at < 10
            # a refusal, never a wrong answer (AccessDenied from a lookup that failed)
            assert {e[1] for e in load.errors} == {"ServiceFailure"}, \
                sorted({(e[1], e[2]) for e in load.errors})[:5]
            # no credentials left without their audit record, and each works
            keys = audited_sessions(pg, db)
            issued = [r for _, r in load.ok]
            missing = [r[0] for r in issued if r[0] not in keys]
            assert not missing, f"{len(missing)} sessions without their audit record"
            ak, sk, token, _ = issued[-1]
            assert ":assumed-role/" in rg.client(c.nodes[1], "sts", (ak, sk), token=token).get_caller_identity()["Arn"]
    finally:
        pg.close()


# ---- a standby promoted ------------------------------------------------------------------------------------------

def test_standby_promoted_nodes_follow_and_nothing_acknowledged_is_lost(tmp_path):
    primary = pgkit.Postgres(tmp_path, "primary").start()
    try:
        db = primary.create_database("c_failover")
        standby = primary.standby(synchronous=True)
        conninfo = pgkit.multi_host_conninfo([primary, standby], db)
        with Cluster(tmp_path, conninfo, 2) as c:
            a, b = c.nodes
            iam = [rg.client(n, "iam") for n in c.nodes]
            made, retried, lock = [], [], threading.Lock()

            def create(i):
                name = rg.unique(f"fo{i}")
                try:
                    iam[i % 2].create_user(UserName=name)
                except ClientError as e:
                    # committed as the primary died, its answer lost (ServiceFailure), retried by boto3 on the
                    # promoted standby: the name is this call's own, so the user is there (a retried create on
                    # AWS answers the same); it must then be on the new primary like every acknowledged one
                    if e.response["Error"]["Code"] != "EntityAlreadyExists":
                        raise
                    with lock:
                        retried.append(name)
                with lock:
                    made.append(name)
                return name

            load = Load(create, 4).start()
            try:
                load.wait_ok(40, 60)
                failed_at = time.monotonic()
                primary.kill()
                standby.promote()
                promoted_at = time.monotonic()
                load.wait_ok(len(load.ok) + 40, 60)
            finally:
                load.stop()
            first_ok_after = min(t for t, _ in load.ok if t > promoted_at)
            print(f"\nfailover: primary killed, standby promoted in {promoted_at - failed_at:.1f} s; nodes wrote "
                  f"again {first_ok_after - promoted_at:.2f} s later; {len(load.errors)} refusals "
                  f"({sorted({e[1] for e in load.errors})}) meanwhile; {len(retried)} creates committed with their "
                  f"answer lost, found by the retry")
            assert {e[1] for e in load.errors} <= {"ServiceFailure"}, load.errors[:5]
            # everything acknowledged, before and after, is on the new primary, seen by both nodes
            names = set(standby.psql("SELECT name FROM users", db).split("\n"))
            for n in c.nodes:
                listed = set()
                for page in rg.client(n, "iam").get_paginator("list_users").paginate():
                    listed.update(u["UserName"] for u in page["Users"])
                lost = [m for m in made if m not in listed]
                assert not lost, f"{len(lost)} acknowledged users lost on {n.url}: {lost[:5]}"
            assert not [m for m in made if m not in names]
            assert standby.psql("SELECT pg_is_in_recovery()") == "f"
    finally:
        primary.close()

