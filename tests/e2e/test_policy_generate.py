"""`rolegate policy generate` (a least-privilege policy from the audit trail) and `rolegate audit --follow`.

A user makes calls through boto3; the policy generated from the trail validates, and attached to a fresh user lets
the same calls through, while the policy without one of its statements refuses that call. The prefix rule, --since,
--account and --trust (a role assumed by two users with MFA) are checked against a real server's trail, and
`audit --follow` in a subprocess sees the calls made after it started. Reads are not audited yet (the soft-mode part
of issue 16 adds them): the calls replayed here are writes and STS, so the test holds either way."""
import datetime
import json
import os
import queue
import signal
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError

import rg
from test_mfa import create as create_mfa, step, totp

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def rolegate(*args, data=None, timeout=60):
    cmd = [str(rg.BIN), *map(str, args)]
    if data is not None:
        cmd += ["--data", str(data)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def generate(srv, *args):
    p = rolegate("policy", "generate", *args, data=srv.data_dir)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def validate(tmp_path, doc, kind="identity"):
    f = tmp_path / f"generated-{kind}.json"
    f.write_text(json.dumps(doc, indent=2))
    p = rolegate("policy", "validate", f, "--kind", kind)
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["valid"] is True
    return json.loads(p.stdout)


def as_list(v):
    return v if isinstance(v, list) else [v]


def statement_for(doc, action):
    found = [s for s in doc["Statement"] if action in as_list(s["Action"])]
    assert len(found) == 1, (action, doc)
    return found[0]


class Workload:
    """The calls a user makes: users created and deleted under /team/ (two of them: the prefix rule), a tag on a user
    at the root path, an sts:AssumeRole of a role. Repeatable with any credentials."""

    def __init__(self, srv, iam):
        self.srv = srv
        self.tag = rg.unique("target")
        iam.create_user(UserName=self.tag)
        self.role = rg.unique("deploy")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                           "Principal": {"AWS": f"arn:aws:iam::{srv.account}:root"}}]}
        self.role_arn = iam.create_role(RoleName=self.role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        self.team = [rg.unique("tx"), rg.unique("ty")]

    def tag_user(self, creds):
        rg.client(self.srv, "iam", creds).tag_user(UserName=self.tag, Tags=[{"Key": "team", "Value": "gen"}])

    def team_users(self, creds):
        iam = rg.client(self.srv, "iam", creds)
        for name in self.team:
            iam.create_user(UserName=name, Path="/team/")
            iam.delete_user(UserName=name)

    def assume(self, creds):
        c = rg.client(self.srv, "sts", creds).assume_role(RoleArn=self.role_arn, RoleSessionName="gen")["Credentials"]
        rg.SEEN_SECRETS.add(c["SecretAccessKey"])

    def all(self, creds):
        self.tag_user(creds)
        self.team_users(creds)
        self.assume(creds)


def fresh_user_with(iam, doc):
    user, [creds] = rg.make_user(iam, rg.unique("gen"))
    arn = iam.create_policy(PolicyName=rg.unique("generated"), PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    return user, creds


def denied(fn, creds):
    with pytest.raises(ClientError) as ei:
        fn(creds)
    return rg.err(ei)


def test_generate_validate_attach_replay_and_one_statement_less(server, iam, tmp_path):
    w = Workload(server, iam)
    user, [creds] = rg.make_user(iam, rg.unique("worker"))
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
    w.all(creds)

    doc = generate(server, "--principal", user["Arn"])
    found = validate(tmp_path, doc)
    assert found["statements"] == len(doc["Statement"])
    acct = server.account
    # the two users under /team/ share a prefix: one pattern; the tagged user at the root path stays exact
    team = statement_for(doc, "iam:CreateUser")
    assert sorted(as_list(team["Action"])) == ["iam:CreateUser", "iam:DeleteUser"]
    assert team["Resource"] == f"arn:aws:iam::{acct}:user/team/*"
    assert statement_for(doc, "iam:TagUser")["Resource"] == f"arn:aws:iam::{acct}:user/{w.tag}"
    assert statement_for(doc, "sts:AssumeRole")["Resource"] == w.role_arn
    # nothing the user did not do; stable output (the same document twice)
    actions = {a for s in doc["Statement"] for a in as_list(s["Action"])}
    assert {"iam:CreateUser", "iam:DeleteUser", "iam:TagUser", "sts:AssumeRole"} <= actions
    assert not any(a.startswith("iam:Attach") or a == "iam:CreateAccessKey" for a in actions)
    # every call named its resource: never widened to "*"
    assert all(r != "*" for s in doc["Statement"] for r in as_list(s["Resource"])), doc
    assert generate(server, "--principal", user["Arn"]) == doc

    # the generated policy on a fresh user: the same calls succeed
    _, creds2 = fresh_user_with(iam, doc)
    w.all(creds2)

    # one statement less: that call is refused, the others still pass
    smaller = {"Version": doc["Version"],
               "Statement": [s for s in doc["Statement"] if "iam:TagUser" not in as_list(s["Action"])]}
    validate(tmp_path, smaller)
    _, creds3 = fresh_user_with(iam, smaller)
    code, msg, status, _ = denied(w.tag_user, creds3)
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:TagUser" in msg
    w.team_users(creds3)
    w.assume(creds3)

    # refused calls are not granted: a user whose calls all failed has nothing to generate from
    nobody, [ncreds] = rg.make_user(iam, rg.unique("nobody"))
    denied(w.tag_user, ncreds)
    p = rolegate("policy", "generate", "--principal", nobody["Arn"], data=server.data_dir)
    assert p.returncode == 1 and "no granted call" in p.stderr


def test_since_and_account(server, iam, tmp_path):
    w = Workload(server, iam)
    user, [creds] = rg.make_user(iam, rg.unique("since"))
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
    w.tag_user(creds)
    # the next whole second, after the first call
    now = time.time()
    time.sleep(int(now) + 1.05 - now)
    mark = datetime.datetime.fromtimestamp(int(time.time()), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    w.team_users(creds)

    everything = generate(server, "--principal", user["Arn"], "--since", "1h")
    assert "iam:TagUser" in {a for s in everything["Statement"] for a in as_list(s["Action"])}
    later = generate(server, "--principal", user["Arn"], "--since", mark)
    validate(tmp_path, later)
    assert {a for s in later["Statement"] for a in as_list(s["Action"])} == {"iam:CreateUser", "iam:DeleteUser"}

    assert generate(server, "--principal", user["Arn"], "--account", server.account) == everything
    p = rolegate("policy", "generate", "--principal", user["Arn"], "--account", "999999999999",
                 data=server.data_dir)
    assert p.returncode == 1 and "no granted call" in p.stderr
    p = rolegate("policy", "generate", "--principal", user["Arn"], "--since", "yesterday-ish",
                 data=server.data_dir)
    assert p.returncode == 2


def test_role_sessions_and_trust_from_two_mfa_users(server, iam, tmp_path):
    acct = server.account
    role = rg.unique("ops")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                       "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}}]}
    role_arn = iam.create_role(RoleName=role, Path="/jump/", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN)
    users = []
    k = step()
    for _ in range(2):
        user, [creds] = rg.make_user(iam, rg.unique("mfa"))
        iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
        serial, seed = create_mfa(iam)
        iam.enable_mfa_device(UserName=user["UserName"], SerialNumber=serial, AuthenticationCode1=totp(seed, k - 2),
                              AuthenticationCode2=totp(seed, k - 1))
        c = rg.client(server, "sts", creds).assume_role(RoleArn=role_arn, RoleSessionName=user["UserName"],
                                                        SerialNumber=serial, TokenCode=totp(seed, k))["Credentials"]
        rg.SEEN_SECRETS.add(c["SecretAccessKey"])
        users.append((user, (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]), creds, serial, seed))
    # a session of the role acts: the role's ARN names all its sessions
    sess = users[0][1]
    name = rg.unique("byrole")
    rg.client(server, "iam", sess[:2], token=sess[2]).create_user(UserName=name)
    doc = generate(server, "--principal", role_arn)
    validate(tmp_path, doc)
    assert statement_for(doc, "iam:CreateUser")["Resource"] == f"arn:aws:iam::{acct}:user/{name}"
    # the session was issued with MFA: its calls say so (CloudTrail's sessionContext), and so does the policy
    assert statement_for(doc, "iam:CreateUser")["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    ev = rg.client(server, "cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}])["Events"]
    [rec] = [json.loads(e["CloudTrailEvent"]) for e in ev if e["EventName"] == "CreateUser"]
    assert rec["userIdentity"]["sessionContext"] == {"attributes": {"mfaAuthenticated": "true"}}
    assert "mFAAuthenticated" not in rec["requestParameters"] and "MFAAuthenticated" not in rec["requestParameters"]

    t = generate(server, "--principal", role_arn, "--trust")
    validate(tmp_path, t, "trust")
    assert len(t["Statement"]) == 1
    st = t["Statement"][0]
    assert sorted(as_list(st["Principal"]["AWS"])) == sorted(u[0]["Arn"] for u in users)
    assert st["Action"] == "sts:AssumeRole"
    assert st["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    # the generated trust policy in place of the account-wide one: both users still assume the role with MFA,
    # and without MFA they are refused
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(t))
    for user, _, creds, serial, seed in users:
        sts = rg.client(server, "sts", creds)
        with pytest.raises(ClientError) as ei:
            sts.assume_role(RoleArn=role_arn, RoleSessionName="nomfa")
        assert rg.err(ei)[0] == "AccessDenied"
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName="again", SerialNumber=serial,
                            TokenCode=totp(seed, k + 1))["Credentials"]  # the next step's code: not spent yet
        rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    # a user the trust does not name is refused, MFA or not
    other, [ocreds] = rg.make_user(iam, rg.unique("other"))
    iam.attach_user_policy(UserName=other["UserName"], PolicyArn=ADMIN)
    with pytest.raises(ClientError) as ei:
        rg.client(server, "sts", ocreds).assume_role(RoleArn=role_arn, RoleSessionName="other")
    assert rg.err(ei)[0] == "AccessDenied"

    p = rolegate("policy", "generate", "--principal", users[0][0]["Arn"], "--trust", data=server.data_dir)
    assert p.returncode == 2 and "not a role" in p.stderr


def test_trust_external_id_and_role_principal(server, iam, tmp_path):
    acct = server.account
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                       "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}}]}
    first = iam.create_role(RoleName=rg.unique("first"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.attach_role_policy(RoleName=first["RoleName"], PolicyArn=ADMIN)
    target = iam.create_role(RoleName=rg.unique("vendor"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    user, [creds] = rg.make_user(iam, rg.unique("ext"))
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
    sts = rg.client(server, "sts", creds)
    for _ in range(2):
        sts.assume_role(RoleArn=target["Arn"], RoleSessionName="ext", ExternalId="vendor-42")
    c = sts.assume_role(RoleArn=first["Arn"], RoleSessionName="hop")["Credentials"]
    # role chaining: the session of `first` assumes the target: the trust names the role
    rg.client(server, "sts", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"]).assume_role(
        RoleArn=target["Arn"], RoleSessionName="chain")
    t = generate(server, "--principal", target["Arn"], "--trust")
    validate(tmp_path, t, "trust")
    by_principal = {p: s for s in t["Statement"] for p in as_list(s["Principal"]["AWS"])}
    assert by_principal[user["Arn"]]["Condition"] == {"StringEquals": {"sts:ExternalId": "vendor-42"}}
    assert "Condition" not in by_principal[first["Arn"]]


def follow_lines(proc, out, stop):
    for line in proc.stdout:
        out.put(line)
        if stop.is_set():
            break


def test_audit_follow_streams_calls_made_after_it_started(server, iam):
    user, [creds] = rg.make_user(iam, rg.unique("follow"))
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
    before = rg.unique("before")
    rg.client(server, "iam", creds).create_user(UserName=before)  # history: not streamed
    proc = subprocess.Popen([str(rg.BIN), "audit", "--follow", "--principal", user["Arn"], "--format", "json",
                             "--data", str(server.data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines, stop = queue.Queue(), threading.Event()
    reader = threading.Thread(target=follow_lines, args=(proc, lines, stop), daemon=True)
    reader.start()
    try:
        time.sleep(1.0)  # started: from now on
        names = [rg.unique("live") for _ in range(3)]
        iam_u = rg.client(server, "iam", creds)
        for n in names:
            iam_u.create_user(UserName=n)
        iam.create_user(UserName=rg.unique("other"))  # root's call: another principal
        got = []
        deadline = time.time() + 15
        while len(got) < 3 and time.time() < deadline:
            try:
                got.append(json.loads(lines.get(timeout=0.5)))
            except queue.Empty:
                pass
        assert [g["detail"]["UserName"] for g in got] == names
        assert all(g["principal"] == user["Arn"] and g["outcome"] == "Success" and g["action"] == "iam:CreateUser"
                   for g in got)
        # another principal's refused call is filtered out; the next line is the user's own call in audit.db's trail
        _, [weak] = rg.make_user(iam, rg.unique("weak"))
        with pytest.raises(ClientError):
            rg.client(server, "iam", weak).create_user(UserName=rg.unique("nope"))
        rg.client(server, "sts", creds).get_session_token()  # audit.db's trail
        try:
            extra = json.loads(lines.get(timeout=15))
        except queue.Empty:
            extra = None
        assert extra and extra["action"] == "sts:GetSessionToken"
    finally:
        stop.set()
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    assert rc == 0, proc.stderr.read()


def test_audit_follow_since_replays_history_then_sigterm(server, iam):
    user, [creds] = rg.make_user(iam, rg.unique("hist"))
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
    name = rg.unique("past")
    rg.client(server, "iam", creds).create_user(UserName=name)
    proc = subprocess.Popen([str(rg.BIN), "audit", "--follow", "--since", "1h", "--principal", user["Arn"],
                             "--data", str(server.data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines, stop = queue.Queue(), threading.Event()
    threading.Thread(target=follow_lines, args=(proc, lines, stop), daemon=True).start()
    try:
        line = lines.get(timeout=15)
        assert "iam:CreateUser" in line and user["Arn"] in line and name in line
    finally:
        stop.set()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
    assert rc == 0
    p = rolegate("audit", "--follow", "--format", "cloudtrail", data=server.data_dir)
    assert p.returncode == 2
