"""`rolegate server --compat moto`: a test suite written for moto, unchanged, against rolegate.

Any access key the store does not know signs as the root user of --compat-account (123456789012 by default);
credentials the store knows are authenticated as always; POST /moto-api/reset deletes everything; the server refuses
to start in compat mode anywhere but loopback; and a normal server still refuses an unknown key. Last, a few of
moto's own IAM and STS tests (tests/moto/, Apache-2.0, from moto 5.2.1) run in moto's server mode against it.
"""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

import rg

TRUST_ACCOUNT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}


def compat(server_factory, *args):
    return server_factory.start(root=None, args=("--compat", "moto", *args))


def post(url, method="POST"):
    req = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def anyone():
    return rg.random_key_id(), rg.random_secret()


def test_any_key_is_root_of_123456789012(server_factory):
    srv = compat(server_factory)
    for creds in (anyone(), ("FOOBARKEY", "FOOBARSECRET"), ("testing", "testing")):
        ident = rg.client(srv, "sts", creds=creds).get_caller_identity()
        assert ident["Account"] == "123456789012"
        assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    iam = rg.client(srv, "iam", creds=anyone())
    arn = iam.create_user(UserName="alice")["User"]["Arn"]
    assert arn == "arn:aws:iam::123456789012:user/alice"
    # another key, another secret: the same account
    assert [u["UserName"] for u in rg.client(srv, "iam", creds=anyone()).list_users()["Users"]] == ["alice"]
    assert "AUTHENTICATION IS OFF" in srv.log()


def test_compat_account(server_factory):
    srv = compat(server_factory, "--compat-account", "210987654321")
    ident = rg.client(srv, "sts", creds=anyone()).get_caller_identity()
    assert (ident["Account"], ident["Arn"]) == ("210987654321", "arn:aws:iam::210987654321:root")


def test_known_keys_are_still_authenticated(server_factory):
    """A key the store knows acts as its user (moto does the same) and its signature is checked; the credentials of
    an AssumeRole made here name their role session."""
    srv = compat(server_factory)
    iam = rg.client(srv, "iam", creds=anyone())
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    rg.SEEN_SECRETS.add(key["SecretAccessKey"])
    bob = (key["AccessKeyId"], key["SecretAccessKey"])
    ident = rg.client(srv, "sts", creds=bob).get_caller_identity()
    bob_arn = "arn:aws:iam::123456789012:user/bob"
    assert ident["Arn"] == bob_arn
    with pytest.raises(ClientError) as e:
        rg.client(srv, "sts", creds=(bob[0], rg.random_secret())).get_caller_identity()
    assert rg.err(e)[0] == "SignatureDoesNotMatch"
    # bob has no IAM permission: authorization is as always for a known principal, in soft mode (compat's default:
    # the call goes through, the would-be denial is audited) ...
    assert rg.client(srv, "iam", creds=bob).list_users()["Users"]
    deadline = time.time() + 10
    while True:
        p = subprocess.run([str(rg.BIN), "audit", "--data", str(srv.data_dir), "--format", "json", "--action",
                            "iam:ListUsers"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        recs = [json.loads(ln) for ln in p.stdout.splitlines() if bob_arn in ln]
        if recs or time.time() > deadline:
            break
        time.sleep(0.1)
    assert [(r["outcome"], r.get("enforcement")) for r in recs] == [("Success", "soft-denied")]

    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    # a root user may not assume a role, in compat mode as in AWS
    with pytest.raises(ClientError) as e:
        rg.client(srv, "sts", creds=anyone()).assume_role(RoleArn="arn:aws:iam::123456789012:role/deploy",
                                                          RoleSessionName="s2")
    assert rg.err(e)[:2] == ("AccessDenied", "Roles may not be assumed by root accounts.")
    c = rg.client(srv, "sts", creds=bob).assume_role(RoleArn="arn:aws:iam::123456789012:role/deploy",
                                                    RoleSessionName="s1")["Credentials"]
    rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    ident = rg.client(srv, "sts", creds=(c["AccessKeyId"], c["SecretAccessKey"]),
                      token=c["SessionToken"]).get_caller_identity()
    assert ident["Arn"] == "arn:aws:sts::123456789012:assumed-role/deploy/s1"
    # as moto: the session's key and secret without the token name the session too (its signature is checked)
    no_token = rg.client(srv, "sts", creds=(c["AccessKeyId"], c["SecretAccessKey"])).get_caller_identity()
    assert no_token["Arn"] == "arn:aws:sts::123456789012:assumed-role/deploy/s1"
    with pytest.raises(ClientError) as e:
        rg.client(srv, "sts", creds=(c["AccessKeyId"], rg.random_secret())).get_caller_identity()
    assert rg.err(e)[0] == "SignatureDoesNotMatch"
    # the reset forgets it: an unknown key again, the root user
    assert post(srv.url + "/moto-api/reset") == (200, '{"status": "ok"}')
    after = rg.client(srv, "sts", creds=(c["AccessKeyId"], c["SecretAccessKey"])).get_caller_identity()
    assert after["Arn"] == "arn:aws:iam::123456789012:root"


def test_enforce_strict_in_compat_mode(server_factory):
    """--enforce strict beside --compat moto: a known principal's denied call is refused, as on AWS."""
    srv = compat(server_factory, "--enforce", "strict")
    iam = rg.client(srv, "iam", creds=anyone())
    iam.create_user(UserName="dave")
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    rg.SEEN_SECRETS.add(key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        rg.client(srv, "iam", creds=(key["AccessKeyId"], key["SecretAccessKey"])).list_users()
    assert rg.err(e)[:2] == ("AccessDenied", "User: arn:aws:iam::123456789012:user/dave is not authorized to "
                             "perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no "
                             "identity-based policy allows the iam:ListUsers action")


def test_reset_clears_everything(server_factory):
    srv = compat(server_factory)
    iam = rg.client(srv, "iam", creds=anyone())
    iam.create_user(UserName="carol")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    rg.SEEN_SECRETS.add(key["SecretAccessKey"])
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    iam.create_policy(PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::123456789012:policy/p")
    iam.create_instance_profile(InstanceProfileName="ip")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r")
    iam.create_account_alias(AccountAlias="moto-alias")
    iam.update_account_password_policy(MinimumPasswordLength=12)
    iam.create_login_profile(UserName="carol", Password="Passw0rd-passw0rd")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="carol-mfa")

    assert post(srv.url + "/moto-api/reset", "GET") == (400, '{"Error": "Need to POST to reset Moto"}')
    assert iam.list_users()["Users"]  # a GET deletes nothing
    assert post(srv.url + "/moto-api/reset") == (200, '{"status": "ok"}')

    assert iam.list_users()["Users"] == []
    assert iam.list_roles()["Roles"] == []
    assert iam.list_groups()["Groups"] == []
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.list_instance_profiles()["InstanceProfiles"] == []
    assert iam.list_account_aliases()["AccountAliases"] == []
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert rg.err(e)[0] == "NoSuchEntity"
    # carol's key is gone: it is now an unknown key, the root user
    ident = rg.client(srv, "sts", creds=(key["AccessKeyId"], key["SecretAccessKey"])).get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    # the names are free again, and the audit trail is empty but for what came after
    iam.create_user(UserName="carol")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    out = subprocess.run([str(rg.BIN), "audit", "--data", str(srv.data_dir), "--format", "json"], capture_output=True,
                         text=True, timeout=60)
    if out.returncode == 0:  # SQLite: the verb reads DATA (another node's PostgreSQL is read through --postgres)
        assert "AddUserToGroup" not in out.stdout


def test_refuses_non_loopback(tmp_path):
    for extra in ((), ("--insecure-http",)):
        p = subprocess.run([str(rg.BIN), "server", "--listen", "0.0.0.0:0", "--data", str(tmp_path / "d"), "--compat",
                            "moto", *extra], capture_output=True, text=True, timeout=60)
        assert p.returncode != 0
        assert "refusing --compat moto on non-loopback address 0.0.0.0:0" in p.stderr
        assert "NO AUTHENTICATION" in p.stderr
    p = subprocess.run([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d"), "--compat",
                        "moto", "--trusted-proxy", "127.0.0.1"], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "--trusted-proxy" in p.stderr
    p = subprocess.run([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d"), "--compat",
                        "localstack"], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "not one of moto" in p.stderr
    p = subprocess.run([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d"), "--compat",
                        "moto", "--compat-account", "12345"], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "--compat-account must be 12 digits" in p.stderr
    assert not (tmp_path / "d").exists()  # refused before anything was written


def test_normal_server_refuses_unknown_keys(fresh_server):
    for creds in (anyone(), ("FOOBARKEY", "FOOBARSECRET")):
        with pytest.raises(ClientError) as e:
            rg.client(fresh_server, "sts", creds=creds).get_caller_identity()
        assert rg.err(e)[:2] == ("InvalidClientTokenId", "The security token included in the request is invalid.")
    iam = rg.client(fresh_server, "iam")
    iam.create_user(UserName="dave")
    # a session's key without its token is refused, as AWS refuses it
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{fresh_server.account}:root"},
         "Action": "sts:AssumeRole"}]}))
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    rg.SEEN_SECRETS.add(key["SecretAccessKey"])
    iam.put_user_policy(UserName="dave", PolicyName="a", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    c = rg.client(fresh_server, "sts", creds=(key["AccessKeyId"], key["SecretAccessKey"])).assume_role(
        RoleArn=f"arn:aws:iam::{fresh_server.account}:role/r", RoleSessionName="s1")["Credentials"]
    rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        rg.client(fresh_server, "sts", creds=(c["AccessKeyId"], c["SecretAccessKey"])).get_caller_identity()
    assert rg.err(e)[0] == "InvalidClientTokenId"
    status, _ = post(fresh_server.url + "/moto-api/reset")
    assert status != 200
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["dave"]
    assert "moto-api/reset: every" not in fresh_server.log()  # the reset never ran


def test_motos_own_tests_pass(server_factory, tmp_path):
    """A few of moto's own IAM and STS tests (tests/moto/) in moto's server mode: moto's decorators send every boto3
    call to TEST_SERVER_MODE_ENDPOINT and POST /moto-api/reset around each test."""
    srv = compat(server_factory)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(TEST_SERVER_MODE="true", TEST_SERVER_MODE_ENDPOINT=srv.url, AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    moto_dir = rg.REPO / "tests" / "moto"
    p = subprocess.run([sys.executable, str(rg.REPO / "tests" / "e2e" / "run_pytest.py"), "-q", "-p",
                        "no:cacheprovider", "--rootdir", str(moto_dir), "--basetemp", str(tmp_path / "bt"),
                        str(moto_dir)], cwd=moto_dir, env=env, capture_output=True, text=True, timeout=600)
    print(p.stdout[-6000:], p.stderr[-3000:])
    assert p.returncode == 0, p.stdout[-6000:]
    last = p.stdout.strip().splitlines()[-1]
    assert "failed" not in last and "error" not in last and "skipped" not in last, last
    assert f"{MOTO_TESTS} passed" in last, last
    # they really went to rolegate: its request log names their calls
    assert "action=iam:CreateUser" in srv.log() and "action=sts:GetCallerIdentity" in srv.log()


MOTO_TESTS = 13
