"""Throttling as AWS does it (`rolegate server --rate-principal RPS[:BURST] --rate-account RPS[:BURST]`): a token
bucket per principal and one per account. Past the limit IAM and STS answer Throttling / "Rate exceeded" (HTTP 400,
Type Sender) and Organizations TooManyRequestsException (HTTP 400), which boto3 and the AWS CLI see as such with
retries off, and which boto3's standard retry mode recovers from. Only authenticated requests are charged; each
role session has its own bucket, a user's GetSessionToken sessions share the user's; another account is not
affected by an account's bucket.

The principals and sessions are made once on a server without limits; each test then starts a server with its
limits on that data directory. A slow refill (0.01/s) makes the refusals certain however slow the machine."""
import concurrent.futures
import json
import shutil
import subprocess
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import rg

GCI = rg.form(Action="GetCallerIdentity", Version=rg.STS_VERSION)
THROTTLED = ("Throttling", "Rate exceeded", 400)


def outcome(call, **kw):
    """'ok', or (code, message, status) of the ClientError."""
    try:
        call(**kw)
        return "ok"
    except ClientError as e:
        r = e.response
        return r["Error"]["Code"], r["Error"].get("Message"), r["ResponseMetadata"]["HTTPStatusCode"]


def burst(call, n, **kw):
    return [outcome(call, **kw) for _ in range(n)]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A data directory with: users alice and bob (AdministratorAccess) in the management account, two sessions
    of one role, a GetSessionToken session of bob, and a session in a member account."""
    tmp = tmp_path_factory.mktemp("throttle")
    srv = rg.Server(tmp / "data", tmp / "setup-logs").start()
    try:
        iam = rg.client(srv, "iam")
        creds = {}
        for name in ("alice", "bob"):
            _, keys = rg.make_user(iam, name)
            iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
            creds[name] = keys[0]
        iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{srv.account}:root"},
                           "Action": "sts:AssumeRole"}]}))
        iam.attach_role_policy(RoleName="worker", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        sts_alice = rg.client(srv, "sts", creds["alice"])
        for session in ("host-1", "host-2"):
            deadline = time.monotonic() + 15
            while True:  # a new role can take a moment to be assumable (as in AWS); rolegate: at once
                try:
                    c = sts_alice.assume_role(RoleArn=f"arn:aws:iam::{srv.account}:role/worker",
                                              RoleSessionName=session)["Credentials"]
                    break
                except ClientError:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            creds[session] = ((c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"])
        c = rg.client(srv, "sts", creds["bob"]).get_session_token()["Credentials"]
        creds["bob-session"] = ((c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"])
        org = rg.client(srv, "organizations")
        org.create_organization()
        car = org.create_account(Email="member@example.com", AccountName="Member")["CreateAccountStatus"]
        s = rg.wait_account_created(org, car["Id"])
        assert s["State"] == "SUCCEEDED", s
        c = sts_alice.assume_role(RoleArn=f"arn:aws:iam::{s['AccountId']}:role/OrganizationAccountAccessRole",
                                  RoleSessionName="member")["Credentials"]
        creds["member"] = ((c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"])
        creds["member-account"] = s["AccountId"]
    finally:
        srv.stop_ok()
    return {"data": tmp / "data", "root": srv.root, "account": srv.account, "creds": creds}


@pytest.fixture
def limited(world, server_factory, tmp_path):
    """start(*args): a server with those options on a copy of the world's data directory."""
    def start(*args):
        data = tmp_path / f"data-{len(server_factory.servers)}"
        shutil.copytree(world["data"], data)
        return server_factory.start(data_dir=data, root=world["root"], args=list(args))
    return start


def sts_of(srv, world, who, **config):
    c = world["creds"][who]
    if isinstance(c[0], tuple):
        return rg.client(srv, "sts", c[0], token=c[1], **config)
    return rg.client(srv, "sts", c, **config)


def test_principal_bucket_refuses_with_aws_throttling(world, limited):
    srv = limited("--rate-principal", "0.01:5")
    assert "request rates limited: per principal 0.01/s burst 5, per account none" in srv.log()
    alice = sts_of(srv, world, "alice")
    got = burst(alice.get_caller_identity, 8)
    assert got == ["ok"] * 5 + [THROTTLED] * 3, got
    # the answer on the wire: AWS's query-protocol error, a sender fault
    raw = rg.signed(srv, GCI, creds=world["creds"]["alice"], service="sts")
    assert raw.status == 400, raw
    e = raw.error()
    assert (e["code"], e["message"], e["type"]) == ("Throttling", "Rate exceeded", "Sender")
    assert e["request_id"] == raw.request_id
    # IAM says the same
    iam = rg.client(srv, "iam", world["creds"]["alice"])
    assert outcome(iam.get_user) == THROTTLED
    # the AWS CLI, one attempt: the same error
    code, op, msg = rg.cli_error(rg.aws_cli(srv, "sts", "get-caller-identity", creds=world["creds"]["alice"]))
    assert (code, op, msg) == ("Throttling", "GetCallerIdentity", "Rate exceeded")
    # another principal of the same account has its own bucket (no account limit here)
    assert burst(sts_of(srv, world, "bob").get_caller_identity, 5) == ["ok"] * 5
    # the request log says who was throttled; the audit trail is not written for it
    log = srv.log()
    assert f"principal=arn:aws:iam::{world['account']}:user/alice action=sts:- status=400 error=Throttling" in log
    # and a warning, once a minute at most, counts the refusals
    warnings = [line for line in log.splitlines() if "throttling:" in line]
    assert len(warnings) == 1 and "level=warn" in warnings[0], warnings
    assert (f"1 requests refused since start (latest: arn:aws:iam::{world['account']}:user/alice, by the "
            "principal's rate)") in warnings[0]


def test_organizations_answers_too_many_requests(world, limited):
    srv = limited("--rate-principal", "0.01:3")
    org = rg.client(srv, "organizations")  # the management account's root
    got = burst(org.describe_organization, 5)
    assert got[:3] == ["ok"] * 3, got
    assert got[3:] == [("TooManyRequestsException", "Rate exceeded", 400)] * 2, got
    # botocore's model knows it: the modelled exception class
    with pytest.raises(org.exceptions.TooManyRequestsException):
        org.list_accounts()
    code, op, msg = rg.cli_error(rg.aws_cli(srv, "organizations", "describe-organization"))
    assert (code, op, msg) == ("TooManyRequestsException", "DescribeOrganization", "Rate exceeded")


def test_requests_failing_authentication_are_charged_to_nobody(world, limited):
    srv = limited("--rate-principal", "0.01:5")
    akid = world["creds"]["alice"][0]
    # anyone who knows alice's access key id (it is not a secret) sends requests with a wrong secret
    for _ in range(20):
        raw = rg.signed(srv, GCI, creds=(akid, rg.random_secret()), service="sts")
        assert raw.status == 403 and raw.error()["code"] == "SignatureDoesNotMatch", raw
    # alice's bucket is untouched: her five go through, the sixth is throttled
    got = burst(sts_of(srv, world, "alice").get_caller_identity, 6)
    assert got == ["ok"] * 5 + [THROTTLED], got


def test_role_sessions_have_their_own_buckets_user_sessions_share_the_users(world, limited):
    srv = limited("--rate-principal", "0.01:3")
    assert burst(sts_of(srv, world, "host-1").get_caller_identity, 4) == ["ok"] * 3 + [THROTTLED]
    # the other session of the same role is another identity (aws:userid AROA...:host-2)
    assert burst(sts_of(srv, world, "host-2").get_caller_identity, 3) == ["ok"] * 3
    # bob's GetSessionToken session is bob: minting sessions does not multiply his rate
    assert burst(sts_of(srv, world, "bob").get_caller_identity, 2) == ["ok"] * 2
    assert burst(sts_of(srv, world, "bob-session").get_caller_identity, 2) == ["ok", THROTTLED]
    assert outcome(sts_of(srv, world, "bob").get_caller_identity) == THROTTLED


def test_account_bucket_throttles_every_principal_of_the_account_only(world, limited):
    srv = limited("--rate-account", "0.01:5")
    assert burst(sts_of(srv, world, "alice").get_caller_identity, 5) == ["ok"] * 5
    # bob has never called: his own bucket would be full, but the account's is empty
    assert outcome(sts_of(srv, world, "bob").get_caller_identity) == THROTTLED
    assert outcome(sts_of(srv, world, "host-1").get_caller_identity) == THROTTLED
    # the member account has its own bucket
    assert burst(sts_of(srv, world, "member").get_caller_identity, 5) == ["ok"] * 5
    assert outcome(sts_of(srv, world, "member").get_caller_identity) == THROTTLED


def test_standard_retry_mode_recovers(world, limited):
    srv = limited("--rate-principal", "1:4")
    # without retries a burst of 15 sent at once is refused in part: 4 in the bucket and one a second after
    # (sent one after another on a loaded machine, each call could take long enough for the bucket to refill)
    alice = sts_of(srv, world, "alice", max_pool_connections=15)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(15) as pool:
        got = list(pool.map(lambda _: outcome(alice.get_caller_identity), range(15)))
    elapsed = time.monotonic() - started
    assert set(got) <= {"ok", THROTTLED}, got
    assert 4 <= got.count("ok") <= 4 + int(elapsed) + 1, (elapsed, got)
    # ... the same burst with the SDKs' standard retry mode (backoff with jitter on Throttling) all succeeds
    retrying = sts_of(srv, world, "bob", retries={"mode": "standard", "max_attempts": 10})
    for _ in range(15):
        assert retrying.get_caller_identity()["Arn"].endswith(":user/bob")
    # and the server did throttle some of those attempts
    bob_throttled = srv.log().count(f"principal=arn:aws:iam::{world['account']}:user/bob action=sts:- status=400 "
                                    "error=Throttling")
    assert bob_throttled >= 1, srv.log()


def test_rate_options_are_checked(tmp_path):
    for opt in ("--rate-principal", "--rate-account"):
        for bad in ("abc", "-1", "5:0", "1e3", "0x10", "5:", "nan", "2000000"):
            p = subprocess.run([str(rg.BIN), "server", "--data", str(tmp_path / "data"), opt, bad],
                               capture_output=True, text=True, timeout=20, cwd=tmp_path)
            assert p.returncode == 2, (bad, p.stderr)
            assert f"{opt}: '{bad}' is not RPS[:BURST]" in p.stderr
    assert not (tmp_path / "data").exists()
