"""sts:AssumeRole and sts:GetSessionToken through boto3 and the aws CLI: the engine inside the server (trust and
identity policies, session policies, permissions boundaries, ExternalId, session tags, source identity, SCPs are in
test_organizations.py), a role deleted while its session lives, revocation with aws:TokenIssueTime, MFA lockout,
token key rotation, and bad input refused with AWS's errors."""
import json
import subprocess
import time
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

import rg
from test_mfa import create as create_mfa, step, totp, wrong

NOT_AUTHORIZED = "User: {who} is not authorized to perform: {action} on resource: {res}"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **cond):
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    if cond:
        s["Condition"] = cond
    return s


def trust_doc(principal, actions=("sts:AssumeRole",), **cond):
    s = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": list(actions)}
    if cond:
        s["Condition"] = cond
    return doc(s)


def make_role(server, iam, trust=None, policies=("arn:aws:iam::aws:policy/AdministratorAccess",), **kw):
    name = rg.unique("role")
    r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust or trust_doc(f"arn:aws:iam::{server.account}:root"),
                        **kw)["Role"]
    for p in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=p)
    return r


def caller(server, iam, statements=None):
    """A user allowed sts:AssumeRole on everything (or the given statements); returns (user name, creds)."""
    user, [creds] = rg.make_user(iam)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume",
                        PolicyDocument=doc(*(statements or [allow("sts:AssumeRole")])))
    return user, creds


def session(server, creds, role_arn, token=None, **kw):
    """(creds, token, full response) of an AssumeRole."""
    r = rg.client(server, "sts", creds, token=token).assume_role(RoleArn=role_arn,
                                                                  RoleSessionName=kw.pop("RoleSessionName", "rs"), **kw)
    c = r["Credentials"]
    return (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"], r


def denied(call, *a, **kw):
    with pytest.raises(ClientError) as ei:
        call(*a, **kw)
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("AccessDenied", 403), (code, msg)
    return msg


def refused(call, *a, **kw):
    with pytest.raises(ClientError) as ei:
        call(*a, **kw)
    return rg.err(ei)[:3]


# ---- the result -----------------------------------------------------------------------------------------------

def test_assume_role_result(server, iam):
    role = make_role(server, iam)
    user, creds = caller(server, iam)
    before = datetime.now(timezone.utc)
    c, token, r = session(server, creds, role["Arn"], RoleSessionName="alice@example.com", DurationSeconds=900)
    assert r["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:alice@example.com",
        "Arn": f"arn:aws:sts::{server.account}:assumed-role/{role['RoleName']}/alice@example.com"}
    assert r["Credentials"]["AccessKeyId"].startswith("ASIA") and len(r["Credentials"]["AccessKeyId"]) == 20
    assert len(r["Credentials"]["SecretAccessKey"]) == 40
    assert 890 <= (r["Credentials"]["Expiration"] - before).total_seconds() <= 905
    assert "PackedPolicySize" not in r
    ident = rg.client(server, "sts", c, token=token).get_caller_identity()
    assert ident == {**ident, "Account": server.account, "Arn": r["AssumedRoleUser"]["Arn"],
                     "UserId": r["AssumedRoleUser"]["AssumedRoleId"]}
    # the role's last use is recorded
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]["Region"] == rg.REGION
    # the root may not assume roles, as on AWS
    assert denied(rg.client(server, "sts").assume_role, RoleArn=role["Arn"], RoleSessionName="xx") == \
        "Roles may not be assumed by root accounts."


def test_cli_assume_role(server, iam, cli):
    role = make_role(server, iam)
    _, creds = caller(server, iam)
    out = rg.cli_json(cli("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cli",
                          creds=creds))
    assert out["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{role['RoleName']}/cli")
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


# ---- what each kind of policy does ------------------------------------------------------------------------------

def test_trust_and_identity_both_needed(server, iam):
    role = make_role(server, iam)
    # a user with no policy: the trust names only the account, so the user's own policies must allow
    _, nobody = rg.make_user(iam)
    who = iam.get_user(UserName=iam.get_access_key_last_used(AccessKeyId=nobody[0][0])["UserName"])["User"]["Arn"]
    assert denied(rg.client(server, "sts", nobody[0]).assume_role, RoleArn=role["Arn"], RoleSessionName="xx") == \
        NOT_AUTHORIZED.format(who=who, action="sts:AssumeRole", res=role["Arn"])
    # a trust policy naming the user itself is enough in the same account
    named = make_role(server, iam, trust=trust_doc(who))
    session(server, nobody[0], named["Arn"])
    # an identity policy allowing only another role does not allow this one
    _, narrow = caller(server, iam, [allow("sts:AssumeRole", named["Arn"])])
    assert "not authorized to perform: sts:AssumeRole" in denied(
        rg.client(server, "sts", narrow).assume_role, RoleArn=role["Arn"], RoleSessionName="xx")


def test_session_policy_limits(server, iam):
    role = make_role(server, iam)
    _, creds = caller(server, iam)
    c, token, r = session(server, creds, role["Arn"], Policy=doc(allow("iam:ListUsers")))
    assert 1 <= r["PackedPolicySize"] <= 100
    s_iam = rg.client(server, "iam", c, token=token)
    s_iam.list_users()
    arn = r["AssumedRoleUser"]["Arn"]
    msg = denied(s_iam.list_roles)
    assert msg.startswith(f"User: {arn} is not authorized to perform: iam:ListRoles") and \
        msg.endswith("because no session policy allows the iam:ListRoles action"), msg
    # a managed policy as session policy
    c, token, r = session(server, creds, role["Arn"], PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}])
    s_iam = rg.client(server, "iam", c, token=token)
    s_iam.list_roles()
    assert "because no session policy allows the iam:CreateUser action" in denied(s_iam.create_user, UserName="x")
    # a session policy cannot grant more than the role has
    weak = make_role(server, iam, policies=("arn:aws:iam::aws:policy/IAMReadOnlyAccess",))
    c, token, _ = session(server, creds, weak["Arn"], Policy=doc(allow("*")))
    assert "because no identity-based policy allows the iam:CreateUser action" in denied(
        rg.client(server, "iam", c, token=token).create_user, UserName="x")
    # malformed and unknown session policies
    assert refused(session, server, creds, role["Arn"], Policy="{not json")[0] == "MalformedPolicyDocument"
    code, _, status = refused(session, server, creds, role["Arn"],
                              PolicyArns=[{"arn": f"arn:aws:iam::{server.account}:policy/nope"}])
    assert status == 400 and code in ("InvalidParameterValue", "NoSuchEntity")


def test_permissions_boundary_limits_a_role(server, iam):
    role = make_role(server, iam, PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    _, creds = caller(server, iam)
    c, token, _ = session(server, creds, role["Arn"])
    s_iam = rg.client(server, "iam", c, token=token)
    s_iam.list_users()
    assert denied(s_iam.create_user, UserName="x").endswith(
        "because no permissions boundary allows the iam:CreateUser action")


def test_external_id(server, iam):
    role = make_role(server, iam, trust=trust_doc(f"arn:aws:iam::{server.account}:root",
                                                  StringEquals={"sts:ExternalId": "Ops-7f3a"}))
    _, creds = caller(server, iam)
    sts = rg.client(server, "sts", creds)
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="xx")
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="xx", ExternalId="Ops-0000")
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="xx", ExternalId="Ops-7f3a")
    for bad in ("a", "has space", "x" * 1225):
        code, _, status = refused(rg.client(server, "sts", creds, parameter_validation=False).assume_role,
                                  RoleArn=role["Arn"], RoleSessionName="xx", ExternalId=bad)
        assert (code, status) == ("ValidationError", 400), bad


def test_role_deleted_while_its_session_lives(server, iam):
    role = make_role(server, iam)
    _, creds = caller(server, iam)
    c, token, _ = session(server, creds, role["Arn"])
    s_iam = rg.client(server, "iam", c, token=token)
    s_iam.list_users()
    iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.delete_role(RoleName=role["RoleName"])
    assert "because no identity-based policy allows the iam:ListUsers action" in denied(s_iam.list_users)
    # a new role of the same name is another role: the old session gains nothing from it
    iam.create_role(RoleName=role["RoleName"], AssumeRolePolicyDocument=trust_doc(f"arn:aws:iam::{server.account}:root"))
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    denied(s_iam.list_users)
    c2, token2, _ = session(server, creds, role["Arn"])
    rg.client(server, "iam", c2, token=token2).list_users()


def test_revoke_older_sessions_with_token_issue_time(server, iam):
    role = make_role(server, iam)
    _, creds = caller(server, iam)
    c, token, _ = session(server, creds, role["Arn"])
    old = rg.client(server, "iam", c, token=token)
    old.list_users()
    time.sleep(1.1)
    cutoff = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)
    # what the IAM console's "Revoke active sessions" attaches
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="AWSRevokeOlderSessions", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}))
    assert denied(old.list_users).endswith("with an explicit deny in an identity-based policy")
    c, token, _ = session(server, creds, role["Arn"])
    rg.client(server, "iam", c, token=token).list_users()


def test_session_tags(server, iam):
    tagging = make_role(server, iam, trust=trust_doc(f"arn:aws:iam::{server.account}:root",
                                                     actions=("sts:AssumeRole", "sts:TagSession")), policies=())
    iam.put_role_policy(RoleName=tagging["RoleName"], PolicyName="blue-only", PolicyDocument=doc(
        allow("iam:ListUsers", StringEquals={"aws:PrincipalTag/team": "blue"})))
    # the trust names the account, so the caller's own policies must allow sts:TagSession too
    _, untagging = caller(server, iam)
    assert "sts:TagSession" in denied(session, server, untagging, tagging["Arn"], Tags=[{"Key": "t", "Value": "v"}])
    _, creds = caller(server, iam, [allow(["sts:AssumeRole", "sts:TagSession"])])
    c, token, r = session(server, creds, tagging["Arn"], Tags=[{"Key": "team", "Value": "blue"}])
    assert 1 <= r["PackedPolicySize"] <= 100
    rg.client(server, "iam", c, token=token).list_users()
    c, token, _ = session(server, creds, tagging["Arn"], Tags=[{"Key": "team", "Value": "red"}])
    denied(rg.client(server, "iam", c, token=token).list_users)
    # a role whose trust does not allow sts:TagSession refuses tags
    plain = make_role(server, iam)
    who = iam.get_user(UserName=iam.get_access_key_last_used(AccessKeyId=creds[0])["UserName"])["User"]["Arn"]
    assert denied(session, server, creds, plain["Arn"], Tags=[{"Key": "team", "Value": "blue"}]) == \
        NOT_AUTHORIZED.format(who=who, action="sts:TagSession", res=plain["Arn"])
    # too many, or too large together
    code, _, status = refused(rg.client(server, "sts", creds, parameter_validation=False).assume_role,
                              RoleArn=tagging["Arn"], RoleSessionName="rs",
                              Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert (code, status) == ("ValidationError", 400)
    code, _, status = refused(session, server, creds, tagging["Arn"],
                              Tags=[{"Key": f"k{i:03d}" + "k" * 100, "Value": "v" * 256} for i in range(50)])
    assert (code, status) == ("PackedPolicyTooLarge", 400)


def test_transitive_tags_and_source_identity_carry_through_chaining(server, iam):
    both = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")
    first = make_role(server, iam, trust=trust_doc(f"arn:aws:iam::{server.account}:root", actions=both))
    second = make_role(server, iam, trust=trust_doc(f"arn:aws:iam::{server.account}:root", actions=both))
    no_si = make_role(server, iam, trust=trust_doc(f"arn:aws:iam::{server.account}:root",
                                                   actions=("sts:AssumeRole", "sts:TagSession")))
    _, creds = caller(server, iam, [allow(list(both))])
    c, token, r = session(server, creds, first["Arn"], SourceIdentity="anay", TransitiveTagKeys=["team"],
                          Tags=[{"Key": "team", "Value": "blue"}, {"Key": "x", "Value": "1"}])
    assert r["SourceIdentity"] == "anay"
    # chaining keeps the source identity and the transitive tag, which may not be overridden
    _, _, r2 = session(server, c, second["Arn"], token=token)
    assert r2["SourceIdentity"] == "anay"
    code, msg, _ = refused(session, server, c, second["Arn"], token=token, Tags=[{"Key": "team", "Value": "red"}])
    assert code == "InvalidParameterValue", msg
    # the next role must allow sts:SetSourceIdentity, since the session carries one
    assert "sts:SetSourceIdentity" in denied(session, server, c, no_si["Arn"], token=token)
    # and the source identity cannot be changed
    denied(session, server, c, second["Arn"], token=token, SourceIdentity="someone-else")


# ---- GetSessionToken ------------------------------------------------------------------------------------------

def enabled_device(iam, user):
    serial, seed = create_mfa(iam)
    k = step()
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=totp(seed, k - 2),
                          AuthenticationCode2=totp(seed, k - 1))
    return serial, seed


def test_get_session_token(server, iam):
    user, [creds] = rg.make_user(iam)
    name = user["UserName"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(
        allow("iam:ListUsers", Bool={"aws:MultiFactorAuthPresent": "true"}), allow("sts:AssumeRole")))
    sts = rg.client(server, "sts", creds)
    # without MFA: IAM refuses the credentials, as AWS does; STS GetCallerIdentity works
    c = sts.get_session_token(DurationSeconds=900)["Credentials"]
    plain = ((c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"])
    assert rg.client(server, "sts", plain[0], token=plain[1]).get_caller_identity()["Arn"] == user["Arn"]
    assert refused(rg.client(server, "iam", plain[0], token=plain[1]).list_users)[0] == "InvalidClientTokenId"
    assert denied(rg.client(server, "sts", plain[0], token=plain[1]).get_session_token) == \
        "Cannot call GetSessionToken with session credentials"
    # with MFA
    serial, seed = enabled_device(iam, name)
    c = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, step()))["Credentials"]
    mfa_iam = rg.client(server, "iam", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    mfa_iam.list_users()
    # the session's MFA carries into AssumeRole: a role that demands MFA lets it in without a new code
    role = make_role(server, iam, trust=trust_doc(f"arn:aws:iam::{server.account}:root",
                                                  Bool={"aws:MultiFactorAuthPresent": "true"}))
    session(server, (c["AccessKeyId"], c["SecretAccessKey"]), role["Arn"], token=c["SessionToken"])
    denied(session, server, creds, role["Arn"])
    # durations
    unchecked = rg.client(server, "sts", creds, parameter_validation=False)
    assert refused(unchecked.get_session_token, DurationSeconds=899)[0] == "ValidationError"
    assert refused(unchecked.get_session_token, DurationSeconds=129601)[0] == "ValidationError"
    assert refused(rg.client(server, "sts").get_session_token, DurationSeconds=3601)[:2] == (
        "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for the root user.")
    c = rg.client(server, "sts").get_session_token()["Credentials"]
    assert (c["Expiration"] - datetime.now(timezone.utc)).total_seconds() <= 3600


def test_mfa_lockout_after_five_failures(server, iam):
    role = make_role(server, iam)
    user, creds = caller(server, iam)
    serial, seed = enabled_device(iam, user["UserName"])
    sts = rg.client(server, "sts", creds)
    for _ in range(5):
        assert denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="xx", SerialNumber=serial,
                      TokenCode=wrong(seed)) == "MultiFactorAuthentication failed with invalid MFA one time pass code."
    msg = denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="xx", SerialNumber=serial,
                 TokenCode=totp(seed, step()))
    assert "locked" in msg
    # every refusal is in the audit trail, with what was wrong with the code
    out = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--principal", user["Arn"],
                          "--json"], capture_output=True, text=True, timeout=60)
    outcomes = [json.loads(line)["detail"].get("MFAOutcome") for line in out.stdout.splitlines()
                if json.loads(line)["action"] == "sts:AssumeRole"]
    assert outcomes == ["MFAInvalidCode"] * 5 + ["MFALocked"], outcomes
    # someone else's serial is refused without counting against that device
    other, [ocreds] = rg.make_user(iam)
    iam.put_user_policy(UserName=other["UserName"], PolicyName="p", PolicyDocument=doc(allow("sts:AssumeRole")))
    assert "valid and associated with this user" in denied(
        rg.client(server, "sts", ocreds).assume_role, RoleArn=role["Arn"], RoleSessionName="xx",
        SerialNumber=serial, TokenCode=totp(seed, step()))


# ---- bad input ---------------------------------------------------------------------------------------------------

def test_bad_input(server, iam):
    role = make_role(server, iam, MaxSessionDuration=7200)
    _, creds = caller(server, iam)
    sts = rg.client(server, "sts", creds, parameter_validation=False)  # the server's own checks
    arn = role["Arn"]
    for kw in ({"DurationSeconds": 899}, {"DurationSeconds": 43201}, {"RoleSessionName": "has space"},
               {"RoleSessionName": "a"}, {"RoleSessionName": "x" * 65}, {"SourceIdentity": "bad identity!"},
               {"Policy": doc(*[allow(f"iam:Get{i:04d}") for i in range(60)])}):
        args = {"RoleArn": arn, "RoleSessionName": "ok", **kw}
        code, _, status = refused(sts.assume_role, **args)
        assert (code, status) == ("ValidationError", 400), kw
    assert refused(sts.assume_role, RoleArn=arn, RoleSessionName="ok", DurationSeconds=7201) == (
        "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)
    assert refused(sts.assume_role, RoleArn="arn:aws:iam::123:nope", RoleSessionName="ok")[0] == "ValidationError"
    # roles that do not exist, here or in accounts that do not exist: refused without telling which
    for missing in (f"arn:aws:iam::{server.account}:role/no-such-role", "arn:aws:iam::999999999999:role/admin",
                    f"arn:aws:iam::{server.account}:role/wrong/path/{role['RoleName']}"):
        assert "is not authorized to perform: sts:AssumeRole on resource: " + missing in denied(
            sts.assume_role, RoleArn=missing, RoleSessionName="ok")
    # a serial without a code, and a code that is not six digits
    assert refused(sts.assume_role, RoleArn=arn, RoleSessionName="ok",
                   SerialNumber=f"arn:aws:iam::{server.account}:mfa/x")[0] == "ValidationError"
    assert refused(sts.assume_role, RoleArn=arn, RoleSessionName="ok",
                   SerialNumber=f"arn:aws:iam::{server.account}:mfa/x", TokenCode="12ab56")[0] == "ValidationError"
    # none of this made anything: the role was never used
    assert "LastUsedDate" not in iam.get_role(RoleName=role["RoleName"])["Role"].get("RoleLastUsed", {})


# ---- session-token keys -----------------------------------------------------------------------------------------

def test_keys_rotate_without_downtime(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    role = make_role(srv, iam)
    _, creds = caller(srv, iam)
    c, token, _ = session(srv, creds, role["Arn"])
    old_kid = token.split(".")[1]
    out = subprocess.run([str(rg.BIN), "keys", "rotate", "--data", str(srv.data_dir)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    listed = subprocess.run([str(rg.BIN), "keys", "list", "--data", str(srv.data_dir)], capture_output=True,
                            text=True, timeout=60).stdout
    assert old_kid in listed and len(listed.strip().splitlines()) >= 2
    # the old session still works; new sessions are sealed under the new key, within seconds
    rg.client(srv, "iam", c, token=token).list_users()
    deadline = time.monotonic() + 10
    while True:
        c2, token2, _ = session(srv, creds, role["Arn"])
        if token2.split(".")[1] != old_kid or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert token2.split(".")[1] != old_kid and token2.split(".")[1] in listed
    rg.client(srv, "iam", c2, token=token2).list_users()
    rg.client(srv, "iam", c, token=token).list_users()
