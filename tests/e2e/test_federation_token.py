"""sts:GetFederationToken through boto3 and the aws CLI: a federated-user session for an IAM user (or the root),
whose permissions are the intersection of the user's current identity policies and the session policy (none: it can
do nothing); no IAM call and no STS call but GetCallerIdentity; AWS's durations, names, errors; session tags as
aws:PrincipalTag; the refusal of temporary callers; expiry; and the audit trail (`rolegate audit`, CloudTrail's
LookupEvents with userIdentity.type FederatedUser).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

import botocore.exceptions
import pytest

import rg
import seedkit


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **cond):
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    if cond:
        s["Condition"] = cond
    return s


def refused(fn, **kw):
    """(code, message, status, request id) of a call the server refuses (botocore's own validation is off)."""
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        fn(**kw)
    return rg.err(ei)


# What the broker user may do itself: obtain federation tokens, tag them, and read the organization.
BROKER_POLICY = doc(allow(["sts:GetFederationToken", "sts:TagSession"]),
                    allow(["organizations:Describe*"]))


@pytest.fixture(scope="module")
def world(server):
    org = rg.client(server, "organizations")
    o = org.create_organization()["Organization"]
    iam = rg.client(server, "iam")
    account = rg.client(server, "sts").get_caller_identity()["Account"]
    user, (key,) = rg.make_user(iam, rg.unique("broker"))
    iam.put_user_policy(UserName=user["UserName"], PolicyName="broker", PolicyDocument=BROKER_POLICY)
    return {"org": o, "iam": iam, "account": account, "user": user, "key": key}


def sts_of(server, creds=None):
    """An STS client that leaves validation to the server (botocore's would refuse 899 s or a 1-character Name)."""
    return rg.client(server, "sts", creds, parameter_validation=False)


def federate(server, creds, **kw):
    return sts_of(server, creds).get_federation_token(**kw)


def session(server, service, c):
    return rg.client(server, service, (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])


# ---- the session ----------------------------------------------------------------------------------------------

def test_federated_session_is_the_intersection(server, world):
    acct = world["account"]
    before = time.time()
    r = federate(server, world["key"], Name="bob", DurationSeconds=900,
                 Policy=doc(allow("organizations:DescribeOrganization")))
    assert r["FederatedUser"] == {"FederatedUserId": f"{acct}:bob",
                                  "Arn": f"arn:aws:sts::{acct}:federated-user/bob"}
    c = r["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and c["SecretAccessKey"] and c["SessionToken"]
    assert before + 900 - 5 <= c["Expiration"].timestamp() <= time.time() + 900 + 5
    assert 1 <= r["PackedPolicySize"] <= 100

    who = session(server, "sts", c).get_caller_identity()
    assert who == {"UserId": f"{acct}:bob", "Account": acct, "Arn": f"arn:aws:sts::{acct}:federated-user/bob",
                   "ResponseMetadata": who["ResponseMetadata"]}
    org = session(server, "organizations", c)
    # user allows Describe*, the session policy DescribeOrganization: allowed
    assert org.describe_organization()["Organization"]["Id"] == world["org"]["Id"]
    # user allows it, the session policy does not: refused
    code, msg, status, _ = refused(org.describe_account, AccountId=acct)
    assert (code, status) == ("AccessDeniedException", 400), (code, msg)
    assert f"arn:aws:sts::{acct}:federated-user/bob is not authorized to perform: organizations:DescribeAccount" \
        in msg, msg
    # the session policy allows everything of Organizations, the user only Describe*: ListAccounts refused
    wide = federate(server, world["key"], Name="bob-wide", Policy=doc(allow("organizations:*")))["Credentials"]
    wide_org = session(server, "organizations", wide)
    assert wide_org.describe_account(AccountId=acct)["Account"]["Id"] == acct
    code, msg, _, _ = refused(wide_org.list_accounts)
    assert code == "AccessDeniedException" and "organizations:ListAccounts" in msg, msg


def test_the_users_current_policies_decide(server, world):
    iam, name = world["iam"], world["user"]["UserName"]
    c = federate(server, world["key"], Name="carol", Policy=doc(allow("organizations:*")))["Credentials"]
    org = session(server, "organizations", c)
    assert org.describe_organization()["Organization"]["Id"] == world["org"]["Id"]
    iam.put_user_policy(UserName=name, PolicyName="broker", PolicyDocument=doc(allow("sts:GetFederationToken")))
    try:
        assert refused(org.describe_organization)[0] == "AccessDeniedException"
    finally:
        iam.put_user_policy(UserName=name, PolicyName="broker", PolicyDocument=BROKER_POLICY)
    assert org.describe_organization()["Organization"]["Id"] == world["org"]["Id"]
    # an explicit deny added to the user later holds for the session too
    iam.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "organizations:DescribeOrganization", "Resource": "*"}))
    try:
        code, msg, _, _ = refused(org.describe_organization)
        assert code == "AccessDeniedException" and "explicit deny" in msg, msg
    finally:
        iam.delete_user_policy(UserName=name, PolicyName="deny")


def test_without_a_session_policy_nothing_is_allowed(server, world):
    r = federate(server, world["key"], Name="nopolicy")
    assert "PackedPolicySize" not in r
    c = r["Credentials"]
    # GetCallerIdentity needs no permission
    assert session(server, "sts", c).get_caller_identity()["Arn"].endswith(":federated-user/nopolicy")
    code, msg, _, _ = refused(session(server, "organizations", c).describe_organization)
    assert code == "AccessDeniedException" and "federated-user/nopolicy" in msg, msg


def test_managed_session_policy(server, world):
    iam = world["iam"]
    arn = iam.create_policy(PolicyName=rg.unique("fedpol"),
                            PolicyDocument=doc(allow("organizations:DescribeOrganization")))["Policy"]["Arn"]
    c = federate(server, world["key"], Name="managed", PolicyArns=[{"arn": arn}])["Credentials"]
    org = session(server, "organizations", c)
    assert org.describe_organization()["Organization"]["Id"] == world["org"]["Id"]
    assert refused(org.describe_account, AccountId=world["account"])[0] == "AccessDeniedException"
    # a policy that does not exist
    code, msg, _, _ = refused(sts_of(server, world["key"]).get_federation_token, Name="managed",
                              PolicyArns=[{"arn": f"arn:aws:iam::{world['account']}:policy/nope"}])
    assert code == "InvalidParameterValue" and "does not exist" in msg, msg


def test_no_iam_and_no_sts_but_get_caller_identity(server, world):
    c = federate(server, world["key"], Name="limited", Policy=doc(allow("*")))["Credentials"]
    # even with a session policy allowing everything and a user allowed what it asks
    world["iam"].put_user_policy(UserName=world["user"]["UserName"], PolicyName="wide",
                                 PolicyDocument=doc(allow(["iam:*", "sts:*"])))
    try:
        code, msg, status, _ = refused(session(server, "iam", c).list_users)
        assert (code, msg, status) == ("InvalidClientTokenId", "The security token included in the request is invalid.",
                                       403)
        sts = session(server, "sts", c)
        for op, kw in (("get_session_token", {}), ("get_federation_token", {"Name": "again"}),
                       ("assume_role", {"RoleArn": f"arn:aws:iam::{world['account']}:role/any",
                                        "RoleSessionName": "ss"}),
                       ("get_access_key_info", {"AccessKeyId": c["AccessKeyId"]})):
            code, msg, status, _ = refused(getattr(sts, op), **kw)
            name = "".join(p.capitalize() for p in op.split("_"))
            assert (code, msg, status) == ("AccessDenied", f"Cannot call {name} with session credentials", 403), op
        assert sts.get_caller_identity()["UserId"] == f"{world['account']}:limited"
    finally:
        world["iam"].delete_user_policy(UserName=world["user"]["UserName"], PolicyName="wide")


def test_temporary_credentials_cannot_federate(server, world):
    sts = sts_of(server, world["key"])
    st = sts.get_session_token(DurationSeconds=900)["Credentials"]
    code, msg, status, _ = refused(session(server, "sts", st).get_federation_token, Name="x1")
    assert (code, msg, status) == ("AccessDenied", "Cannot call GetFederationToken with session credentials", 403)
    # a role session whose role allows it, too
    iam, acct = world["iam"], world["account"]
    role = iam.create_role(RoleName=rg.unique("fedrole"), AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=doc(allow("sts:*")))
    _, (admin,) = rg.make_user(iam, rg.unique("assumer"))
    iam.put_user_policy(UserName=iam.get_access_key_last_used(AccessKeyId=admin[0])["UserName"], PolicyName="p",
                        PolicyDocument=doc(allow("sts:AssumeRole")))
    rs = rg.client(server, "sts", admin).assume_role(RoleArn=role["Arn"], RoleSessionName="rr")["Credentials"]
    code, msg, _, _ = refused(session(server, "sts", rs).get_federation_token, Name="x2")
    assert (code, msg) == ("AccessDenied", "Cannot call GetFederationToken with session credentials")


# ---- the request ----------------------------------------------------------------------------------------------

def test_durations(server, world):
    sts = sts_of(server, world["key"])
    for d in (900, 129600):
        t0 = time.time()
        exp = sts.get_federation_token(Name="dur", DurationSeconds=d)["Credentials"]["Expiration"].timestamp()
        assert t0 + d - 5 <= exp <= time.time() + d + 5, d
    t0 = time.time()
    exp = sts.get_federation_token(Name="dur")["Credentials"]["Expiration"].timestamp()
    assert t0 + 43200 - 5 <= exp <= time.time() + 43200 + 5  # the default: 12 hours
    for d in (899, 129601):
        code, msg, status, _ = refused(sts.get_federation_token, Name="dur", DurationSeconds=d)
        assert (code, status) == ("ValidationError", 400) and "durationSeconds" in msg, (d, msg)


def test_root_sessions_last_an_hour_at_most(server):
    sts = sts_of(server)  # the root
    acct = sts.get_caller_identity()["Account"]
    for kw in ({}, {"DurationSeconds": 7200}, {"DurationSeconds": 129600}):
        t0 = time.time()
        r = sts.get_federation_token(Name="rootfed", Policy=doc(allow("organizations:DescribeOrganization")), **kw)
        exp = r["Credentials"]["Expiration"].timestamp()
        assert t0 + 3600 - 5 <= exp <= time.time() + 3600 + 5, kw
    t0 = time.time()
    exp = sts.get_federation_token(Name="rootfed", DurationSeconds=900)["Credentials"]["Expiration"].timestamp()
    assert t0 + 900 - 5 <= exp <= time.time() + 900 + 5
    # the root's session: everything the root may, limited by the session policy
    org = session(server, "organizations", r["Credentials"])
    assert org.describe_organization()["Organization"]["MasterAccountId"] == acct
    assert refused(org.list_accounts)[0] == "AccessDeniedException"
    assert refused(session(server, "iam", r["Credentials"]).list_users)[0] == "InvalidClientTokenId"
    # CloudTrail names the root as the session's issuer (the session's calls are reads: their records reach the
    # trail through the group committer, after the answers, so they are waited for)
    deadline = time.monotonic() + 15
    while True:
        events = rg.client(server, "cloudtrail").lookup_events(LookupAttributes=[
            {"AttributeKey": "AccessKeyId", "AttributeValue": r["Credentials"]["AccessKeyId"]}])["Events"]
        if events or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    ids = [json.loads(e["CloudTrailEvent"])["userIdentity"] for e in events]
    assert ids and all(i["type"] == "FederatedUser" and i["principalId"] == f"{acct}:rootfed" for i in ids), ids
    assert ids[0]["sessionContext"]["sessionIssuer"] == {"type": "Root", "principalId": acct,
                                                         "arn": f"arn:aws:iam::{acct}:root", "accountId": acct}


@pytest.mark.parametrize("name", ["b", "x" * 33, "bad name", "a/b", "a:b"])
def test_name_validation(server, world, name):
    code, msg, status, _ = refused(sts_of(server, world["key"]).get_federation_token, Name=name)
    assert (code, status) == ("ValidationError", 400) and "'name'" in msg, msg


def test_name_characters(server, world):
    name = "Aa0_+=,.@-" + "z" * 22  # 32 characters of [\w+=,.@-]
    r = federate(server, world["key"], Name=name)
    assert r["FederatedUser"]["Arn"] == f"arn:aws:sts::{world['account']}:federated-user/{name}"


def test_the_users_policy_must_allow_it(server, world):
    iam, acct = world["iam"], world["account"]
    user, (key,) = rg.make_user(iam, rg.unique("nofed"))
    code, msg, status, _ = refused(sts_of(server, key).get_federation_token, Name="eve")
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (f"User: {user['Arn']} is not authorized to perform: sts:GetFederationToken on resource: "
                   f"arn:aws:sts::{acct}:federated-user/eve"), msg
    # allowed for one federated user name only
    iam.put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=doc(
        allow("sts:GetFederationToken", f"arn:aws:sts::{acct}:federated-user/alice")))
    assert federate(server, key, Name="alice")["FederatedUser"]["FederatedUserId"] == f"{acct}:alice"
    assert refused(sts_of(server, key).get_federation_token, Name="eve")[0] == "AccessDenied"
    # Tags need sts:TagSession
    code, msg, _, _ = refused(sts_of(server, key).get_federation_token, Name="alice",
                              Tags=[{"Key": "team", "Value": "blue"}])
    assert code == "AccessDenied" and "sts:TagSession" in msg, msg


def test_malformed_and_too_large(server, world):
    sts = sts_of(server, world["key"])
    code, _, status, _ = refused(sts.get_federation_token, Name="mal", Policy="{not json")
    assert (code, status) == ("MalformedPolicyDocument", 400)
    code, _, _, _ = refused(sts.get_federation_token, Name="mal", Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                 "Principal": "*"}]}))
    assert code == "MalformedPolicyDocument"
    tags = [{"Key": f"k{i:02d}" + "k" * 100, "Value": "v" * 256} for i in range(20)]
    code, msg, status, _ = refused(sts.get_federation_token, Name="big", Tags=tags)
    assert (code, status) == ("PackedPolicyTooLarge", 400) and "allotted space" in msg, msg


# ---- condition keys and tags ----------------------------------------------------------------------------------

def test_condition_keys_and_session_tags(server, world):
    iam, acct = world["iam"], world["account"]
    user, (key,) = rg.make_user(iam, rg.unique("tagger"))
    iam.tag_user(UserName=user["UserName"], Tags=[{"Key": "team", "Value": "red"},
                                                  {"Key": "site", "Value": "lyon"}])
    iam.put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=doc(
        allow(["sts:GetFederationToken", "sts:TagSession"]),
        allow("organizations:DescribeOrganization", StringEquals={"aws:PrincipalTag/team": "blue",
                                                                 "aws:PrincipalTag/site": "lyon"}),
        allow("organizations:DescribeAccount", StringEquals={"aws:PrincipalType": "FederatedUser",
                                                           "aws:userid": f"{acct}:dave",
                                                           "aws:PrincipalArn":
                                                               f"arn:aws:sts::{acct}:federated-user/dave"},
              Null={"aws:username": "true", "aws:TokenIssueTime": "false"})))
    everything = doc(allow("organizations:*"))
    # the session tag team=blue replaces the user's team=red; site=lyon is the user's own
    c = federate(server, key, Name="dave", Policy=everything, Tags=[{"Key": "Team", "Value": "blue"}])["Credentials"]
    org = session(server, "organizations", c)
    assert org.describe_organization()["Organization"]["Id"] == world["org"]["Id"]
    assert org.describe_account(AccountId=acct)["Account"]["Id"] == acct
    # without the session tag: the user's team=red
    c2 = federate(server, key, Name="dave", Policy=everything)["Credentials"]
    assert refused(session(server, "organizations", c2).describe_organization)[0] == "AccessDeniedException"
    # another name: aws:userid and aws:PrincipalArn differ
    c3 = federate(server, key, Name="notdave", Policy=everything, Tags=[{"Key": "team", "Value": "blue"}])
    org3 = session(server, "organizations", c3["Credentials"])
    assert org3.describe_organization()["Organization"]["Id"] == world["org"]["Id"]
    assert refused(org3.describe_account, AccountId=acct)[0] == "AccessDeniedException"
    # aws:RequestTag on GetFederationToken itself
    iam.put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=doc(
        allow("sts:GetFederationToken"),
        allow("sts:TagSession", StringEquals={"aws:RequestTag/team": "blue"})))
    assert federate(server, key, Name="dave", Tags=[{"Key": "team", "Value": "blue"}])["PackedPolicySize"] >= 1
    assert refused(sts_of(server, key).get_federation_token, Name="dave",
                   Tags=[{"Key": "team", "Value": "green"}])[0] == "AccessDenied"


def test_trust_policy_may_name_a_federated_user(server, world):
    """A role's trust policy may name a federated user as its principal (kept as written); the session itself still
    cannot call AssumeRole, as AWS refuses it every STS call but GetCallerIdentity. How the engine weighs a resource
    policy naming the session: tests/unit/test_federation.c."""
    iam, acct = world["iam"], world["account"]
    fed = f"arn:aws:sts::{acct}:federated-user/bob"
    role = iam.create_role(RoleName=rg.unique("fedtrust"), AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": fed}, "Action": "sts:AssumeRole"}))["Role"]
    got = json.loads(json.dumps(role["AssumeRolePolicyDocument"]))
    assert got["Statement"][0]["Principal"]["AWS"] == fed
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"]["Statement"][0][
        "Principal"]["AWS"] == fed
    c = federate(server, world["key"], Name="bob", Policy=doc(allow("*")))["Credentials"]
    code, msg, _, _ = refused(session(server, "sts", c).assume_role, RoleArn=role["Arn"], RoleSessionName="bob")
    assert (code, msg) == ("AccessDenied", "Cannot call AssumeRole with session credentials")


# ---- the aws CLI ----------------------------------------------------------------------------------------------

def cli_with_token(server, c, *args):
    tmp = tempfile.mkdtemp(prefix="rg-fed-")
    try:
        cfg, cred = os.path.join(tmp, "config"), os.path.join(tmp, "credentials")
        with open(cfg, "w") as f:
            f.write(f"[default]\nregion = {rg.REGION}\noutput = json\nmax_attempts = 1\n")
        with open(cred, "w") as f:
            f.write(f"[default]\naws_access_key_id = {c['AccessKeyId']}\n"
                    f"aws_secret_access_key = {c['SecretAccessKey']}\naws_session_token = {c['SessionToken']}\n")
        p = subprocess.run([rg.aws_binary(), "--endpoint-url", server.url, *args], env=rg.cli_env(cfg, cred),
                           capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_aws_cli(server, world):
    acct = world["account"]
    out = rg.cli_json(rg.aws_cli(server, "sts", "get-federation-token", "--name", "cli-user", "--duration-seconds",
                                 "900", "--policy", doc(allow("organizations:DescribeOrganization")),
                                 creds=world["key"]))
    assert out["FederatedUser"]["Arn"] == f"arn:aws:sts::{acct}:federated-user/cli-user"
    assert out["FederatedUser"]["FederatedUserId"] == f"{acct}:cli-user"
    c = out["Credentials"]
    who = rg.cli_json(cli_with_token(server, c, "sts", "get-caller-identity"))
    assert who["Arn"] == f"arn:aws:sts::{acct}:federated-user/cli-user" and who["UserId"] == f"{acct}:cli-user"
    assert rg.cli_json(cli_with_token(server, c, "organizations", "describe-organization"))["Organization"]["Id"] \
        == world["org"]["Id"]
    code, op, _ = rg.cli_error(cli_with_token(server, c, "organizations", "list-accounts"))
    assert (code, op) == ("AccessDeniedException", "ListAccounts")
    code, op, msg = rg.cli_error(cli_with_token(server, c, "iam", "list-users"))
    assert (code, op) == ("InvalidClientTokenId", "ListUsers")
    code, op, msg = rg.cli_error(cli_with_token(server, c, "sts", "get-session-token"))
    assert (code, msg) == ("AccessDenied", "Cannot call GetSessionToken with session credentials")
    code, op, msg = rg.cli_error(rg.aws_cli(server, "sts", "get-federation-token", "--name", "xx",
                                            "--duration-seconds", "129601", creds=world["key"]))
    assert code == "ValidationError", msg


# ---- expiry and the audit trail -------------------------------------------------------------------------------

def test_expiry(server_factory, tmp_path):
    clock = seedkit.Clock(tmp_path)
    srv = server_factory.start(env=clock.env())
    srv.clock = clock
    iam = rg.client(srv, "iam")
    user, (key,) = rg.make_user(iam, "shortlived")
    iam.put_user_policy(UserName="shortlived", PolicyName="p", PolicyDocument=doc(allow("sts:GetFederationToken")))
    c = federate(srv, key, Name="brief", DurationSeconds=900)["Credentials"]
    sts = session(srv, "sts", c)
    assert sts.get_caller_identity()["Arn"].endswith(":federated-user/brief")
    clock.advance(880)  # 20 s left (real time passes too)
    assert sts.get_caller_identity()["Arn"].endswith(":federated-user/brief")
    clock.advance(21)
    code, msg, status, _ = refused(sts.get_caller_identity)
    assert (code, msg, status) == ("ExpiredToken", "The security token included in the request is expired", 403)


def test_audit_and_cloudtrail(server, world):
    acct, name = world["account"], world["user"]["UserName"]
    r = federate(server, world["key"], Name="audited", Policy=doc(allow("organizations:DescribeOrganization")))
    c = r["Credentials"]
    session(server, "organizations", c).describe_organization()
    refused(session(server, "organizations", c).list_accounts)
    # `rolegate audit`: the grant, durably, with the user as principal; no secret in it
    out = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--principal", world["user"]["Arn"],
                          "--json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    recs = [json.loads(line) for line in out.stdout.splitlines()]
    fed = [x for x in recs if x["action"] == "sts:GetFederationToken" and x["detail"].get("Name") == "audited"]
    assert fed and fed[0]["outcome"] == "Success", recs
    assert fed[0]["resource"] == f"arn:aws:sts::{acct}:federated-user/audited"
    assert c["SecretAccessKey"] not in out.stdout and c["SessionToken"] not in out.stdout
    # the federated user's own calls, granted and refused
    out = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--principal",
                          f"arn:aws:sts::{acct}:federated-user/audited", "--json"], capture_output=True, text=True,
                         timeout=60)
    mine = [(x["action"], x["outcome"]) for x in map(json.loads, out.stdout.splitlines())]
    assert ("organizations:DescribeOrganization", "Success") in mine, mine
    assert ("organizations:ListAccounts", "AccessDenied") in mine, mine
    # ... and in CloudTrail's shape from the same verb
    out = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--principal",
                          f"arn:aws:sts::{acct}:federated-user/audited", "--format", "cloudtrail"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    trail = json.loads(out.stdout)["Records"]
    assert trail and {r["userIdentity"]["type"] for r in trail} == {"FederatedUser"}, trail
    assert {r["userIdentity"]["principalId"] for r in trail} == {f"{acct}:audited"}
    # CloudTrail: the federated user's event, userIdentity type FederatedUser
    ct = rg.client(server, "cloudtrail")
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                 "AttributeValue": "DescribeOrganization"}])["Events"]
    recs = [json.loads(e["CloudTrailEvent"]) for e in events]
    who = [x["userIdentity"] for x in recs if x["userIdentity"].get("arn", "").endswith("federated-user/audited")]
    assert who, recs
    assert who[0]["type"] == "FederatedUser" and who[0]["principalId"] == f"{acct}:audited"
    assert who[0]["accountId"] == acct and who[0]["accessKeyId"] == c["AccessKeyId"]
    assert who[0]["sessionContext"]["sessionIssuer"] == {
        "type": "IAMUser", "principalId": world["user"]["UserId"], "arn": world["user"]["Arn"], "accountId": acct,
        "userName": name}
    assert who[0]["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    fed_rec = [x for x in recs if x["userIdentity"].get("arn", "").endswith("federated-user/audited")][0]
    assert not fed_rec["requestParameters"] or "sessionIssuer" not in fed_rec["requestParameters"]
    events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName",
                                                 "AttributeValue": "GetFederationToken"}])["Events"]
    recs = [json.loads(e["CloudTrailEvent"]) for e in events]
    mine = [x for x in recs if x["requestParameters"] and x["requestParameters"].get("name") == "audited"]
    assert {x.get("errorCode") for x in mine} >= {None}, mine
    ok = [x for x in mine if not x.get("errorCode")][0]
    assert ok["eventSource"] == "sts.amazonaws.com" and ok["userIdentity"]["type"] == "IAMUser"
    assert ok["userIdentity"]["arn"] == world["user"]["Arn"] and ok["readOnly"] is True
    assert ok["responseElements"]["federatedUser"]["arn"] == f"arn:aws:sts::{acct}:federated-user/audited"
    assert "sessionToken" not in ok["responseElements"]["credentials"]
    assert "secretAccessKey" not in ok["responseElements"]["credentials"]
    assert name in ok["userIdentity"]["arn"]


# ---- the console: AWS's custom identity broker flow with GetFederationToken -------------------------------------

class Browser:
    """Keeps the cookies the server sets and follows the login page's continuation (a meta refresh) on the server."""

    def __init__(self, server):
        import requests
        self.server, self.cookies, self.http = server, {}, requests.Session()
        self.http.trust_env = False

    def get(self, url, **params):
        r = self.http.get(url, params=params or None, allow_redirects=False, timeout=60,
                          headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())})
        for c in r.raw.headers.getlist("Set-Cookie"):
            name, _, rest = c.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in c.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return r


def signin_token(server, c, **extra):
    import requests
    r = requests.get(server.url + "/federation", timeout=60, params={
        "Action": "getSigninToken", **extra,
        "Session": json.dumps({"sessionId": c["AccessKeyId"], "sessionKey": c["SecretAccessKey"],
                               "sessionToken": c["SessionToken"]})})
    return r.status_code, r.text


def test_console_sign_in_as_a_federated_user(server, world):
    """getSigninToken takes a federated user's credentials, as AWS's; the console session is that federated user,
    with IAM open to it (AWS: the API's IAM limitation "does not apply to console sessions") and its permissions
    the user's policies limited by the session policy."""
    iam, acct, name = world["iam"], world["account"], world["user"]["UserName"]
    iam.put_user_policy(UserName=name, PolicyName="console", PolicyDocument=doc(allow(["iam:List*", "iam:Get*"])))
    try:
        c = federate(server, world["key"], Name="console-fed", DurationSeconds=900,
                     Policy=doc(allow(["iam:ListUsers", "iam:GetUser", "organizations:DescribeOrganization"])))[
            "Credentials"]
        # SessionDuration is refused for GetFederationToken credentials (the console session lasts as they do)
        status, body = signin_token(server, c, SessionDuration="900")
        assert status == 400 and "SigninToken" not in body, body
        status, body = signin_token(server, c)
        assert status == 200, body
        token = json.loads(body)["SigninToken"]
        rg.SEEN_SECRETS.add(token)
        b = Browser(server)
        r = b.get(server.url + "/federation", Action="login", Issuer="test", SigninToken=token,
                  Destination=server.url + "/console/")
        assert r.status_code == 200 and b.cookies, r.text[:500]
        home = b.get(server.url + "/console/")
        assert home.status_code == 200
        assert f"arn:aws:sts::{acct}:federated-user/console-fed" in home.text, home.text[:2000]
        # IAM in the console: allowed by both the user's policy and the session policy
        users = b.get(server.url + "/console/iam/users")
        assert users.status_code == 200 and name in users.text, users.text[:2000]
        # ... but not what the session policy leaves out (iam:ListRoles)
        roles = b.get(server.url + "/console/iam/roles")
        assert "not authorized to perform: iam:ListRoles" in roles.text, roles.text[:2000]
        # the simulator does not pretend to know the session policy
        sim = b.get(server.url + "/console/simulator", action="iam:ListUsers")
        assert sim.status_code == 200 and "A federated user (GetFederationToken) is not simulated" in sim.text
        # the API's limits still hold for the same credentials outside the console
        assert refused(session(server, "iam", c).list_users)[0] == "InvalidClientTokenId"
        # the sign-in is audited as the federated user
        out = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--principal",
                              f"arn:aws:sts::{acct}:federated-user/console-fed", "--json"], capture_output=True,
                             text=True, timeout=60)
        actions = [(x["action"], x["outcome"]) for x in map(json.loads, out.stdout.splitlines())]
        assert ("signin:ConsoleLogin", "Success") in actions, actions
        assert ("iam:ListUsers", "Success") in actions and ("iam:ListRoles", "AccessDenied") in actions, actions
    finally:
        iam.delete_user_policy(UserName=name, PolicyName="console")
