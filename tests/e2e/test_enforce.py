"""Enforcement modes (`rolegate server --enforce strict|soft`, `rolegate accounts set-enforcement ACCOUNT
strict|soft|inherit`, the Organizations tag rolegate:enforcement) and every call audited as CloudTrail records
management events, reads included.

Soft mode: a call the policies deny proceeds, and the would-be denial is audited (enforcement soft-denied, AWS's
AccessDenied message kept), logged as a warning and counted in /metrics (rolegate_soft_denials_total{action}).
Strict (the default) refuses it. Per account: the account's own setting, else its tag, else the server's flag.
Never soft: a wrong secret, an unknown key, a tampered session token, a wrong MFA code. Through boto3 and the AWS
CLI; the audit through `rolegate audit` and CloudTrail's LookupEvents (readOnly)."""
import json
import subprocess
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

import rg
from test_assume_role import allow, doc, make_role, session, trust_doc
from test_mfa import create as create_mfa, enable as enable_mfa, wrong

SOFT = ["--enforce", "soft"]
METRICS = ["--metrics-listen", "127.0.0.1:0"]


def audit(server, *args):
    """`rolegate audit --data DIR --format json ARGS` as a list of records (oldest first)."""
    p = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--format", "json", *args],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def audit_until(server, pred, timeout=10):
    """The audit records once one satisfies pred (reads are recorded without the answer waiting for it)."""
    deadline = time.time() + timeout
    while True:
        recs = audit(server)
        if any(pred(r) for r in recs) or time.time() > deadline:
            return recs
        time.sleep(0.1)


def accounts(server, *args):
    return subprocess.run([str(rg.BIN), "accounts", *args, "--data", str(server.data_dir)], capture_output=True,
                          text=True, timeout=60)


def soft_denials(server):
    """{action: count} of rolegate_soft_denials_total."""
    with urllib.request.urlopen(server.metrics_url, timeout=30) as r:
        text = r.read().decode()
    out = {}
    for f in text_string_to_metric_families(text):
        if f.name == "rolegate_soft_denials":
            for s in f.samples:
                if s.name == "rolegate_soft_denials_total":
                    out[s.labels["action"]] = s.value
    return out


def nobody(server):
    """A user with no policy at all: (user name, arn, creds)."""
    iam = rg.client(server, "iam")
    user, [creds] = rg.make_user(iam)
    return user["UserName"], user["Arn"], creds


def create_as(server, creds):
    """iam:CreateUser as creds: 'ok' or (code, message)."""
    name = rg.unique("made")
    try:
        rg.client(server, "iam", creds).create_user(UserName=name)
        return "ok", name
    except ClientError as e:
        return (e.response["Error"]["Code"], e.response["Error"]["Message"]), name


def records_of(recs, principal, action):
    return [r for r in recs if r["principal"] == principal and r["action"] == action]


def test_soft_server_lets_a_denied_call_through_and_records_it(server_factory):
    server = server_factory.start(args=SOFT + METRICS)
    name, arn, creds = nobody(server)
    got, made = create_as(server, creds)
    assert got == "ok"
    rg.client(server, "iam").get_user(UserName=made)  # it exists: the call was performed

    # the AWS CLI too
    cli_name = rg.unique("cli")
    out = rg.cli_json(rg.aws_cli(server, "iam", "create-user", "--user-name", cli_name, creds=creds))
    assert out["User"]["UserName"] == cli_name

    recs = audit_until(server, lambda r: r["principal"] == arn and r["action"] == "iam:CreateUser")
    mine = records_of(recs, arn, "iam:CreateUser")
    assert len(mine) == 2
    for r in mine:
        assert r["outcome"] == "Success" and r["enforcement"] == "soft-denied"
        assert r["detail"]["SoftDeniedMessage"].startswith(
            f"User: {arn} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{server.account}:user/")
        assert "because no identity-based policy allows the iam:CreateUser action" in r["detail"]["SoftDeniedMessage"]
        # and the whole reasoning, as a refused call's record has it (`rolegate audit --explain`)
        e = r["explanation"]
        assert (e["decision"], e["action"], e["principal"]["arn"]) == ("ImplicitlyDenied", "iam:CreateUser", arn)
        assert any("no identity-based policy allows iam:CreateUser" in m for m in e["missing"]), e["missing"]
    # root's own calls were allowed: no enforcement mark
    assert all("enforcement" not in r for r in recs if r["principal"].endswith(":root"))

    assert soft_denials(server).get("iam:CreateUser") == 2
    log = server.log()
    warn = [ln for ln in log.splitlines() if "soft mode:" in ln and arn in ln]
    assert len(warn) == 2 and "would have been denied" in warn[0] and "iam:CreateUser" in warn[0]
    assert sum(1 for ln in log.splitlines() if "enforcement=soft-denied" in ln and "CreateUser" in ln) == 2

    # CloudTrail's view: the call succeeded, with the would-be denial in additionalEventData
    ct = rg.client(server, "cloudtrail")
    ev = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": made}])["Events"]
    [rec] = [json.loads(e["CloudTrailEvent"]) for e in ev if e["EventName"] == "CreateUser"]
    assert "errorCode" not in rec and rec["additionalEventData"]["Enforcement"] == "soft-denied"
    assert rec["additionalEventData"]["SoftDeniedMessage"] == mine[0]["detail"]["SoftDeniedMessage"]
    assert "SoftDeniedMessage" not in rec["requestParameters"]


def test_soft_covers_explicit_denies_and_reads(server_factory):
    server = server_factory.start(args=SOFT + METRICS)
    iam = rg.client(server, "iam")
    name, arn, creds = nobody(server)
    iam.put_user_policy(UserName=name, PolicyName="deny",
                        PolicyDocument=doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}))
    assert create_as(server, creds)[0] == "ok"
    assert rg.client(server, "iam", creds).get_user(UserName=name)["User"]["Arn"] == arn
    recs = audit_until(server, lambda r: r["principal"] == arn and r["action"] == "iam:GetUser")
    [w] = records_of(recs, arn, "iam:CreateUser")
    assert "with an explicit deny in an identity-based policy" in w["detail"]["SoftDeniedMessage"]
    [r] = records_of(recs, arn, "iam:GetUser")
    assert r["enforcement"] == "soft-denied" and r["outcome"] == "Success"
    counts = soft_denials(server)
    assert counts.get("iam:CreateUser") == 1 and counts.get("iam:GetUser") == 1


def test_strict_refuses(server_factory):
    server = server_factory.start(args=METRICS)
    name, arn, creds = nobody(server)
    got, _ = create_as(server, creds)
    assert got[0] == "AccessDenied"
    recs = audit(server)
    [r] = records_of(recs, arn, "iam:CreateUser")
    assert r["outcome"] == "AccessDenied" and "enforcement" not in r
    assert soft_denials(server) == {}
    assert "soft mode:" not in server.log()


def test_per_account_setting_overrides_the_server(server_factory):
    strict = server_factory.start()
    _, arn, creds = nobody(strict)
    assert create_as(strict, creds)[0][0] == "AccessDenied"
    p = accounts(strict, "set-enforcement", strict.account, "soft")
    assert p.returncode == 0, p.stderr
    assert create_as(strict, creds)[0] == "ok"  # the running server obeys from the next call
    listing = accounts(strict, "list-enforcement")
    assert listing.returncode == 0 and any(ln.split()[:2] == [strict.account, "soft"]
                                           for ln in listing.stdout.splitlines())
    assert accounts(strict, "set-enforcement", strict.account, "inherit").returncode == 0
    assert create_as(strict, creds)[0][0] == "AccessDenied"

    soft = server_factory.start(args=SOFT)
    _, _, creds2 = nobody(soft)
    assert create_as(soft, creds2)[0] == "ok"
    assert accounts(soft, "set-enforcement", soft.account, "strict").returncode == 0
    assert create_as(soft, creds2)[0][0] == "AccessDenied"

    # refusals of the verb itself
    bad = accounts(soft, "set-enforcement", soft.account, "lenient")
    assert bad.returncode == 2 and "strict, soft or inherit" in bad.stderr
    missing = accounts(soft, "set-enforcement", "999999999999", "soft")
    assert missing.returncode == 1 and "no account 999999999999" in missing.stderr


def test_organizations_tag(server_factory):
    server = server_factory.start()
    org = rg.client(server, "organizations")
    org.create_organization(FeatureSet="ALL")
    _, _, creds = nobody(server)
    assert create_as(server, creds)[0][0] == "AccessDenied"
    org.tag_resource(ResourceId=server.account, Tags=[{"Key": "rolegate:enforcement", "Value": "soft"}])
    assert create_as(server, creds)[0] == "ok"
    # the account's own setting wins over the tag
    assert accounts(server, "set-enforcement", server.account, "strict").returncode == 0
    assert create_as(server, creds)[0][0] == "AccessDenied"
    assert accounts(server, "set-enforcement", server.account, "inherit").returncode == 0
    assert create_as(server, creds)[0] == "ok"
    org.untag_resource(ResourceId=server.account, TagKeys=["rolegate:enforcement"])
    assert create_as(server, creds)[0][0] == "AccessDenied"
    # a value that is neither: ignored (the server's strict), and said in the log
    org.tag_resource(ResourceId=server.account, Tags=[{"Key": "rolegate:enforcement", "Value": "lenient"}])
    assert create_as(server, creds)[0][0] == "AccessDenied"
    assert "neither strict nor soft" in server.log()


def test_authentication_is_never_soft(server_factory):
    server = server_factory.start(args=SOFT + METRICS)
    iam = rg.client(server, "iam")
    name, arn, creds = nobody(server)

    # a wrong secret, an unknown key
    with pytest.raises(ClientError) as e:
        rg.client(server, "iam", (creds[0], creds[1][:-1] + ("A" if creds[1][-1] != "A" else "B"))).get_user()
    assert rg.err(e)[0] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        rg.client(server, "iam", (rg.random_key_id(), rg.random_secret())).get_user()
    assert rg.err(e)[0] == "InvalidClientTokenId"
    code, _, _ = rg.cli_error(rg.aws_cli(server, "sts", "get-caller-identity",
                                         creds=(creds[0], ("x" if creds[1][0] != "x" else "y") + creds[1][1:])))
    assert code == "SignatureDoesNotMatch"

    # a tampered session token
    role = make_role(server, iam)
    admin = rg.admin_creds(server)
    rcreds, token, _ = session(server, admin, role["Arn"])
    bad = token[:-6] + ("AAAAAA" if token[-6:] != "AAAAAA" else "BBBBBB")
    with pytest.raises(ClientError) as e:
        rg.client(server, "sts", rcreds, token=bad).get_caller_identity()
    assert rg.err(e)[0] == "InvalidClientTokenId"

    # MFA: the trust policy's aws:MultiFactorAuthPresent is a policy's word (soft); a wrong code is not
    mfa_role = make_role(server, iam, trust=trust_doc(f"arn:aws:iam::{server.account}:root",
                                                      Bool={"aws:MultiFactorAuthPresent": "true"}))
    iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole")))
    serial, seed = create_mfa(iam)
    enable_mfa(iam, name, serial, seed)
    _, _, r = session(server, creds, mfa_role["Arn"])  # no code: the trust denies, soft lets it through
    assert r["AssumedRoleUser"]["Arn"].endswith("/rs")
    with pytest.raises(ClientError) as e:
        session(server, creds, mfa_role["Arn"], SerialNumber=serial, TokenCode=wrong(seed))
    assert rg.err(e)[:2] == ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")

    # nothing above was a soft denial but the AssumeRole without a code
    assert soft_denials(server) == {"sts:AssumeRole": 1}
    recs = audit(server)
    assume = records_of(recs, arn, "sts:AssumeRole")
    assert [(r["outcome"], r.get("enforcement")) for r in assume] == [("Success", "soft-denied"),
                                                                     ("AccessDenied", None)]


def test_reads_are_audited_read_only(server_factory):
    server = server_factory.start()
    iam = rg.client(server, "iam")
    name, arn, creds = nobody(server)
    iam.get_user(UserName=name)  # root: granted
    with pytest.raises(ClientError) as e:  # a user without a policy: refused
        rg.client(server, "iam", creds).get_user(UserName=name)
    assert rg.err(e)[0] == "AccessDenied"
    me = rg.client(server, "sts", creds).get_caller_identity()  # needs no permission; CloudTrail logs it
    assert me["Arn"] == arn

    recs = audit_until(server, lambda r: r["principal"] == arn and r["action"] == "sts:GetCallerIdentity")
    got = [(r["principal"] == arn, r["outcome"]) for r in recs if r["action"] == "iam:GetUser"]
    assert got == [(False, "Success"), (True, "AccessDenied")]
    [gci] = records_of(recs, arn, "sts:GetCallerIdentity")
    assert gci["outcome"] == "Success" and "response" not in gci  # CloudTrail keeps no responseElements of reads

    ct = rg.client(server, "cloudtrail")
    reads = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "true"}])["Events"]
    names = [e["EventName"] for e in reads]
    assert "GetUser" in names and "GetCallerIdentity" in names and "CreateUser" not in names
    assert all(e["ReadOnly"] == "true" and json.loads(e["CloudTrailEvent"])["readOnly"] is True for e in reads)
    writes = ct.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}])["Events"]
    assert "CreateUser" in [e["EventName"] for e in writes] and "GetUser" not in [e["EventName"] for e in writes]
    refused = [json.loads(e["CloudTrailEvent"]) for e in reads if e["EventName"] == "GetUser"
               and json.loads(e["CloudTrailEvent"])["userIdentity"].get("arn") == arn]
    assert refused and refused[0]["errorCode"] == "AccessDenied"

    out = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--format", "cloudtrail",
                          "--action", "iam:GetUser"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert '"readOnly":true' in out.stdout.replace(" ", "")
