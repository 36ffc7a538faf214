"""The seed article's organization end to end: `rolegate server --example seed`, then people entering the
environments through the jump account with MFA, through the aws CLI (profiles with role_arn / source_profile /
mfa_serial, and explicit --serial-number / --token-code), boto3 and aws-sdk-go-v2.

The server and the CLI run on a shifted clock (seedkit.Clock) so that every MFA code has a time step of its own and
expiry is immediate."""
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import rg
import seedkit

NOT_AUTHORIZED = "User: {who} is not authorized to perform: sts:AssumeRole on resource: {role}"
BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
ENVS = ("Dev", "Stage", "Prod")


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    with seedkit.seeded(tmp_path_factory.mktemp("seed")) as s:
        yield s


def user_arn(seed, person):
    return f"arn:aws:iam::{seed.accounts['Ops']}:user/{person}"


def cli_json_out(out):
    return json.loads(out[out.index("{"):])


def cli_err(out):
    m = rg.CLI_ERROR_RE.search(out)
    assert m, out
    return m.group(1), m.group(3).strip()


def session_env(creds):
    return {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"]}


# ---- what the example made -----------------------------------------------------------------------------------

def test_seed_made_the_organization(seed):
    srv = seed.server
    assert set(seed.accounts) == {"Ops", "Dev", "Stage", "Prod"} and seed.accounts["Ops"] == srv.account
    org = rg.client(srv, "organizations")
    listed = {a["Name"]: a["Id"] for a in org.list_accounts()["Accounts"]}
    for env in ENVS:
        assert listed[env] == seed.accounts[env]
    # each environment holds admin and readonly, trusting Ops with MFA; entered here as Ops's administrator
    admin = rg.admin_creds(srv)
    for env in ENVS:
        c = rg.client(srv, "sts", admin).assume_role(
            RoleArn=f"arn:aws:iam::{seed.accounts[env]}:role/OrganizationAccountAccessRole",
            RoleSessionName="check")["Credentials"]
        iam = rg.client(srv, "iam", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
        for role, policy in (("admin", "AdministratorAccess"), ("readonly", "ReadOnlyAccess")):
            r = iam.get_role(RoleName=role)["Role"]
            stmt = r["AssumeRolePolicyDocument"]["Statement"][0]
            assert stmt["Principal"] == {"AWS": f"arn:aws:iam::{seed.accounts['Ops']}:root"}
            assert stmt["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
            assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [
                {"PolicyName": policy, "PolicyArn": f"arn:aws:iam::aws:policy/{policy}"}]
        assert iam.list_users()["Users"] == []  # nobody lives in an environment
    ops = rg.client(srv, "iam")
    groups = lambda p: sorted(g["GroupName"] for g in ops.list_groups_for_user(UserName=p)["Groups"])
    assert groups("anay") == ["dev", "people", "prod", "stage"]
    assert groups("abhi") == ["dev", "people"]
    for p in ("anay", "abhi"):
        assert [d["SerialNumber"] for d in ops.list_mfa_devices(UserName=p)["MFADevices"]] == [seed.serials[p]]
    # the profiles are kept in a file only its owner may read
    kept = Path(srv.data_dir) / "example-seed.txt"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text() in seed.text


def test_seed_twice_changes_nothing(server_factory, tmp_path):
    srv = server_factory.start(args=["--example", "seed"])
    first = srv.stdout()
    assert "[profile anay-prod]" in first
    srv.stop_ok()
    srv.start()
    assert "made on an earlier start" in srv.log()
    assert "[profile" not in srv.stdout()
    names = [a["Name"] for a in rg.client(srv, "organizations").list_accounts()["Accounts"]]
    assert sorted(n for n in names if n in ENVS) == sorted(ENVS)  # not made again


def test_seed_refuses_a_used_data_directory(server_factory):
    srv = server_factory.start()
    rg.client(srv, "organizations").create_organization(FeatureSet="ALL")
    srv.stop_ok()
    srv.args = ["--example", "seed"]
    with pytest.raises(RuntimeError, match="needs an empty data directory"):
        srv.start()


# ---- the aws CLI with profiles ---------------------------------------------------------------------------------

def test_cli_profiles_anay_enters_every_environment(seed):
    for env in ENVS:
        rc, out, prompted = seed.cli("--profile", f"anay-{env.lower()}", "sts", "get-caller-identity",
                                     code=seed.code("anay"))
        assert prompted and rc == 0, out
        ident = cli_json_out(out)
        assert ident["Account"] == seed.accounts[env]
        assert ident["Arn"] == f"arn:aws:sts::{seed.accounts[env]}:assumed-role/admin/anay"
        assert ident["UserId"].startswith("AROA") and ident["UserId"].endswith(":anay")
    # the CLI cached the session: working in prod asks for no second code
    rc, out, prompted = seed.cli("--profile", "anay-prod", "iam", "create-user", "--user-name", "made-by-anay")
    assert rc == 0 and not prompted, out
    assert cli_json_out(out)["User"]["Arn"] == f"arn:aws:iam::{seed.accounts['Prod']}:user/made-by-anay"
    # readonly reads and may not write
    rc, out, _ = seed.cli("--profile", "anay-prod-readonly", "iam", "get-user", "--user-name", "made-by-anay",
                          code=seed.code("anay"))
    assert rc == 0, out
    rc, out, _ = seed.cli("--profile", "anay-prod-readonly", "iam", "delete-user", "--user-name", "made-by-anay")
    code, msg = cli_err(out)
    assert code == "AccessDenied" and msg == (
        f"User: arn:aws:sts::{seed.accounts['Prod']}:assumed-role/readonly/anay is not authorized to perform: "
        f"iam:DeleteUser on resource: arn:aws:iam::{seed.accounts['Prod']}:user/made-by-anay because no "
        f"identity-based policy allows the iam:DeleteUser action")


def test_cli_profiles_abhi_enters_dev_only(seed):
    rc, out, prompted = seed.cli("--profile", "abhi-dev", "sts", "get-caller-identity", code=seed.code("abhi"))
    assert prompted and rc == 0, out
    assert cli_json_out(out)["Arn"] == f"arn:aws:sts::{seed.accounts['Dev']}:assumed-role/admin/abhi"
    # abhi has no profile for stage or prod; with his own key and a good code he is still refused, in AWS's words
    for env in ("Stage", "Prod"):
        rc, out, _ = seed.cli("--profile", "rolegate-abhi", "sts", "assume-role", "--role-arn", seed.role_arn(env),
                              "--role-session-name", "abhi", "--serial-number", seed.serials["abhi"],
                              "--token-code", seed.code("abhi"))
        assert rc != 0
        assert cli_err(out) == ("AccessDenied", NOT_AUTHORIZED.format(who=user_arn(seed, "abhi"),
                                                                      role=seed.role_arn(env)))


def test_cli_explicit_mfa_wrong_replayed_and_missing(seed):
    args = ("--profile", "rolegate-anay", "sts", "assume-role", "--role-arn", seed.role_arn("Stage", "readonly"),
            "--role-session-name", "explicit", "--serial-number", seed.serials["anay"], "--token-code")
    code = seed.code("anay")
    rc, out, prompted = seed.cli(*args, code)
    assert rc == 0 and not prompted, out
    r = cli_json_out(out)
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{seed.accounts['Stage']}:assumed-role/readonly/explicit"
    assert r["Credentials"]["AccessKeyId"].startswith("ASIA")
    # the same code again is a replay
    rc, out, _ = seed.cli(*args, code)
    assert cli_err(out) == ("AccessDenied", BAD_CODE)
    # a wrong code
    good = seed.code("anay")
    wrong = "%06d" % ((int(good) + 1) % 1000000)
    rc, out, _ = seed.cli(*args, wrong)
    assert cli_err(out) == ("AccessDenied", BAD_CODE)
    # no MFA at all: the trust policy's aws:MultiFactorAuthPresent condition refuses
    rc, out, _ = seed.cli(*args[:-3])
    assert cli_err(out) == ("AccessDenied", NOT_AUTHORIZED.format(who=user_arn(seed, "anay"),
                                                                  role=seed.role_arn("Stage", "readonly")))
    # a profile with mfa_serial, and a code that is not one typed at the prompt
    rc, out, prompted = seed.cli("--profile", "anay-stage-readonly", "sts", "get-caller-identity", code="12345x")
    assert prompted and rc != 0
    assert "ValidationError" in out or "AccessDenied" in out, out


def test_chained_session_at_most_one_hour(seed):
    sts = rg.client(seed.server, "sts", seed.keys["anay"])
    c = sts.assume_role(RoleArn=seed.role_arn("Dev"), RoleSessionName="chain", SerialNumber=seed.serials["anay"],
                        TokenCode=seed.code("anay"))["Credentials"]
    creds, token = (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"]
    iam = rg.client(seed.server, "iam", creds, token=token)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{seed.accounts['Dev']}:root"}}]}
    iam.create_role(RoleName="chained", AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=43200)
    target = f"arn:aws:iam::{seed.accounts['Dev']}:role/chained"
    rc, out, _ = seed.cli("sts", "assume-role", "--role-arn", target, "--role-session-name", "two",
                          "--duration-seconds", "7200", "--endpoint-url", seed.server.url, "--region", "us-east-1",
                          extra_env=session_env(c))
    assert cli_err(out) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for "
                                               "roles assumed by role chaining.")
    r = rg.client(seed.server, "sts", creds, token=token).assume_role(RoleArn=target, RoleSessionName="two",
                                                                       DurationSeconds=3600)
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{seed.accounts['Dev']}:assumed-role/chained/two"
    # a long-term key may ask the role for its maximum
    iam.create_user(UserName="long")
    iam.put_user_policy(UserName="long", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}]}))
    k = iam.create_access_key(UserName="long")["AccessKey"]
    rg.SEEN_SECRETS.add(k["SecretAccessKey"])
    r = rg.client(seed.server, "sts", (k["AccessKeyId"], k["SecretAccessKey"])).assume_role(
        RoleArn=target, RoleSessionName="long", DurationSeconds=43200)
    assert r["Credentials"]["AccessKeyId"].startswith("ASIA")


# ---- boto3 and aws-sdk-go-v2 --------------------------------------------------------------------------------

def test_boto3_profile_with_mfa_prompt(seed):
    session = seed.boto3_session("anay-stage", code_for="anay")
    ident = session.client("sts").get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{seed.accounts['Stage']}:assumed-role/admin/anay"
    iam = session.client("iam")
    names = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert {"admin", "readonly", "OrganizationAccountAccessRole"} <= names
    # abhi's boto3 session for a stage role he may not enter is refused when it assumes the role
    import botocore.session
    core = botocore.session.Session()
    core.set_config_variable("config_file", str(seed.home / ".aws" / "config"))
    with pytest.raises(ClientError) as ei:
        rg.client(seed.server, "sts", seed.keys["abhi"]).assume_role(
            RoleArn=seed.role_arn("Stage"), RoleSessionName="abhi", SerialNumber=seed.serials["abhi"],
            TokenCode=seed.code("abhi"))
    assert rg.err(ei)[:3] == ("AccessDenied", NOT_AUTHORIZED.format(who=user_arn(seed, "abhi"),
                                                                   role=seed.role_arn("Stage")), 403)


GO_SRC = Path(__file__).parent / "go"


@pytest.fixture(scope="module")
def go_assume(tmp_path_factory):
    """build/go/assumemfa, built in GOPATH mode against Debian's golang-github-aws-aws-sdk-go-v2-dev."""
    repo = Path(__file__).resolve().parents[2]
    out = repo / "build" / "go" / "assumemfa"
    env = dict(os.environ, GO111MODULE="off", GOPATH=f"/usr/share/gocode:{GO_SRC}",
               GOCACHE=str(repo / "build" / "go-cache"), GOFLAGS="")
    p = subprocess.run(["go", "build", "-o", str(out), "assumemfa"], env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    return out


def run_go(seed, binary, person, env_name, new_user, codes):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(RG_ENDPOINT=seed.server.url, RG_ACCESS_KEY_ID=seed.keys[person][0],
               RG_SECRET_ACCESS_KEY=seed.keys[person][1], RG_ROLE_ARN=seed.role_arn(env_name),
               RG_MFA_SERIAL=seed.serials[person], RG_NEW_USER=new_user)
    p = subprocess.run([str(binary)], env=env, input="".join(c + "\n" for c in codes), capture_output=True,
                       text=True, timeout=120)
    return p.returncode, [json.loads(line) for line in p.stdout.splitlines() if line.strip()], p.stderr


def test_go_sdk_assume_role_provider_with_mfa(seed, go_assume):
    rc, steps, err = run_go(seed, go_assume, "anay", "Prod", "made-by-go", [seed.code("anay")])
    assert rc == 0, (steps, err)
    ident, user, roles = steps
    assert ident["arn"] == f"arn:aws:sts::{seed.accounts['Prod']}:assumed-role/admin/go-sdk"
    assert ident["prompts"] == 1
    assert user["arn"] == f"arn:aws:iam::{seed.accounts['Prod']}:user/made-by-go"
    assert {"admin", "readonly"} <= set(roles["roles"]) and roles["prompts"] == 1  # paged, one session
    # abhi through the same provider: refused at AssumeRole, with AWS's message
    rc, steps, _ = run_go(seed, go_assume, "abhi", "Prod", "nope", [seed.code("abhi")])
    assert rc == 1
    assert steps[-1]["step"] == "GetCallerIdentity"
    assert NOT_AUTHORIZED.format(who=user_arn(seed, "abhi"), role=seed.role_arn("Prod")) in steps[-1]["error"]
    # a wrong code
    good = seed.code("anay")
    rc, steps, _ = run_go(seed, go_assume, "anay", "Dev", "nope", ["%06d" % ((int(good) + 7) % 1000000)])
    assert rc == 1 and BAD_CODE in steps[-1]["error"]


# ---- the audit trail ---------------------------------------------------------------------------------------

def test_audit_shows_granted_and_refused_assume_role(seed):
    out = subprocess.run([str(rg.BIN), "audit", "--data", str(seed.server.data_dir), "--principal",
                          user_arn(seed, "abhi"), "--json"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assume = [r for r in records if r["action"] == "sts:AssumeRole"]
    granted = [r for r in assume if r["outcome"] == "Success"]
    refused = [r for r in assume if r["outcome"] == "AccessDenied"]
    assert granted and refused
    assert any(r["resource"] == seed.role_arn("Stage") for r in refused)
    for r in assume:
        assert r["sourceIp"] == "127.0.0.1" and r["requestId"]
        assert r["detail"]["RoleSessionName"] and r["detail"]["SerialNumber"] == seed.serials["abhi"]
        assert "TokenCode" not in r["detail"]  # a one-time code is nobody's business after use
    assert all(r["detail"]["MFAUsed"] for r in granted)


# ---- last: it moves the clock past the expiry of a session (aws-sdk-go-v2 signs on the real clock, which the
# server accepts only within 15 minutes of its own) ----

def test_expired_session_and_tampered_token(seed):
    sts = rg.client(seed.server, "sts", seed.keys["anay"])
    c = sts.assume_role(RoleArn=seed.role_arn("Dev"), RoleSessionName="short", DurationSeconds=900,
                        SerialNumber=seed.serials["anay"], TokenCode=seed.code("anay"))["Credentials"]
    env = session_env(c)
    rc, out, _ = seed.cli("sts", "get-caller-identity", "--endpoint-url", seed.server.url, "--region", "us-east-1",
                          extra_env=env)
    assert rc == 0, out
    # one character of the sealed token changed
    t = c["SessionToken"]
    i = len(t) // 2
    tampered = t[:i] + ("A" if t[i] != "A" else "B") + t[i + 1:]
    rc, out, _ = seed.cli("sts", "get-caller-identity", "--endpoint-url", seed.server.url, "--region", "us-east-1",
                          extra_env=dict(env, AWS_SESSION_TOKEN=tampered))
    assert cli_err(out) == ("InvalidClientTokenId", "The security token included in the request is invalid.")
    seed.clock.advance(901)
    rc, out, _ = seed.cli("sts", "get-caller-identity", "--endpoint-url", seed.server.url, "--region", "us-east-1",
                          extra_env=env)
    assert cli_err(out) == ("ExpiredToken", "The security token included in the request is expired")
