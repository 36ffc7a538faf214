"""The request context a decision sees (issue 11, parts 1 and 2), through boto3: the condition keys AWS sets are set
(aws:ResourceTag/iam:ResourceTag of IAM and Organizations resources, iam:PolicyARN, iam:PermissionsBoundary,
aws:PrincipalOrgPaths, aws:ResourceAccount...), and a large context (principal tags, session tags, request tags at
AWS's maxima) is whole: no key is silently dropped, so the Deny statements written against them fire."""
import json
import time
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

import rg

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def stmt(effect, action, resource="*", **cond):
    s = {"Effect": effect, "Action": action, "Resource": resource}
    if cond:
        s["Condition"] = cond
    return s


def denied(fn, *args, **kw):
    with pytest.raises(ClientError) as ei:
        fn(*args, **kw)
    code, msg, status, _ = rg.err(ei)
    # IAM and STS answer AccessDenied (403), Organizations AccessDeniedException (400)
    assert (code, status) in (("AccessDenied", 403), ("AccessDeniedException", 400)), (code, msg)
    return msg


def user_with(iam, *statements, tags=()):
    """A user with one inline policy of these statements and these tags; returns (name, creds)."""
    user, [creds] = rg.make_user(iam)
    name = user["UserName"]
    if tags:
        for i in range(0, len(tags), 50):
            iam.tag_user(UserName=name, Tags=list(tags[i:i + 50]))
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(*statements))
    return name, creds


def trust(server, tag_session=False):
    actions = ["sts:AssumeRole"] + (["sts:TagSession"] if tag_session else [])
    return doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"}, "Action": actions})


def big_tags(n, prefix="k"):
    """n tags at AWS's maxima: 128-character keys, 256-character values."""
    return [{"Key": f"{prefix}{i:03d}".ljust(128, "x"), "Value": f"v{i:03d}".ljust(256, "y")} for i in range(n)]


def filling_tags(n=21):
    """The issue's ~21 large tags, sized so that, as "aws:PrincipalTag/KEY" and VALUE, they filled the old fixed 8 KiB
    of context text to its last 2 bytes (21 x 390): every key after them was silently dropped."""
    return [{"Key": f"f{i:02d}".ljust(115, "x"), "Value": f"{i:02d}".ljust(256, "y")} for i in range(n)]


def assume(server, creds, role_arn, token=None, **kw):
    r = rg.client(server, "sts", creds, token=token).assume_role(RoleArn=role_arn, RoleSessionName="sess", **kw)
    c = r["Credentials"]
    return (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"]


# ---- 1. keys AWS sets that were never set --------------------------------------------------------------------

def test_resource_tag_denies_assume_role(server, iam):
    """Deny sts:AssumeRole on aws:ResourceTag/env = prod stops the assumption of a role tagged env=prod."""
    prod = iam.create_role(RoleName=rg.unique("prod"), AssumeRolePolicyDocument=trust(server),
                           Tags=[{"Key": "env", "Value": "prod"}])["Role"]
    dev = iam.create_role(RoleName=rg.unique("dev"), AssumeRolePolicyDocument=trust(server),
                          Tags=[{"Key": "env", "Value": "dev"}])["Role"]
    _, creds = user_with(iam, stmt("Allow", "sts:AssumeRole"),
                         stmt("Deny", "sts:AssumeRole", StringEquals={"aws:ResourceTag/env": "prod"}))
    denied(assume, server, creds, prod["Arn"])
    assume(server, creds, dev["Arn"])
    # iam:ResourceTag is AssumeRole's other name for the role's tags
    _, creds = user_with(iam, stmt("Allow", "sts:AssumeRole"),
                         stmt("Deny", "sts:AssumeRole", StringEquals={"iam:ResourceTag/env": "prod"}))
    denied(assume, server, creds, prod["Arn"])
    assume(server, creds, dev["Arn"])


def test_resource_tags_of_iam_resources(server, iam):
    """aws:ResourceTag of users, roles, customer managed policies, instance profiles and MFA devices."""
    _, creds = user_with(iam, stmt("Allow", "iam:*"),
                         stmt("Deny", "iam:*", StringEquals={"aws:ResourceTag/locked": "yes"}))
    me = rg.client(server, "iam", creds)
    locked = [{"Key": "locked", "Value": "yes"}]
    user = iam.create_user(UserName=rg.unique("lu"), Tags=locked)["User"]["UserName"]
    free = iam.create_user(UserName=rg.unique("fu"))["User"]["UserName"]
    denied(me.get_user, UserName=user)
    me.get_user(UserName=free)
    role = iam.create_role(RoleName=rg.unique("lr"), AssumeRolePolicyDocument=trust(server), Tags=locked)["Role"]
    denied(me.get_role, RoleName=role["RoleName"])
    pol = iam.create_policy(PolicyName=rg.unique("lp"), PolicyDocument=doc(stmt("Allow", "s3:GetObject")),
                            Tags=locked)["Policy"]
    denied(me.get_policy, PolicyArn=pol["Arn"])
    prof = iam.create_instance_profile(InstanceProfileName=rg.unique("li"), Tags=locked)["InstanceProfile"]
    denied(me.get_instance_profile, InstanceProfileName=prof["InstanceProfileName"])
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName=rg.unique("lm"), Tags=locked)["VirtualMFADevice"]
    denied(me.list_mfa_device_tags, SerialNumber=mfa["SerialNumber"])
    # iam:ResourceTag names the tags of users and roles too
    _, creds = user_with(iam, stmt("Allow", "iam:*"),
                         stmt("Deny", "iam:*", StringEquals={"iam:ResourceTag/locked": "yes"}))
    denied(rg.client(server, "iam", creds).get_user, UserName=user)
    rg.client(server, "iam", creds).get_user(UserName=free)


def test_policy_arn_denies_attaching_admin_to_self(server, iam):
    """A user allowed iam:AttachUserPolicy on himself, with a Deny on iam:PolicyARN = AdministratorAccess."""
    user, [creds] = rg.make_user(iam)
    name = user["UserName"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(
        stmt("Allow", ["iam:AttachUserPolicy", "iam:ListAttachedUserPolicies"], user["Arn"]),
        stmt("Deny", "iam:AttachUserPolicy", ArnEquals={"iam:PolicyARN": ADMIN})))
    me = rg.client(server, "iam", creds)
    denied(me.attach_user_policy, UserName=name, PolicyArn=ADMIN)
    me.attach_user_policy(UserName=name, PolicyArn=READONLY)
    assert [p["PolicyArn"] for p in me.list_attached_user_policies(UserName=name)["AttachedPolicies"]] == [READONLY]


def test_policy_arn_is_not_set_where_aws_leaves_it_out(server, iam):
    """An Allow conditioned on iam:PolicyARN does not allow CreatePolicyVersion (AWS sets no iam:PolicyARN there)."""
    pol = iam.create_policy(PolicyName=rg.unique("pv"), PolicyDocument=doc(stmt("Allow", "s3:GetObject")))["Policy"]
    _, creds = user_with(iam, stmt("Allow", "iam:*", ArnEquals={"iam:PolicyARN": pol["Arn"]}))
    me = rg.client(server, "iam", creds)
    denied(me.create_policy_version, PolicyArn=pol["Arn"], PolicyDocument=doc(stmt("Allow", "s3:PutObject")))


def test_permissions_boundary_of_the_target(server, iam):
    """iam:PermissionsBoundary: the boundary being set, and the one the target user already has."""
    _, creds = user_with(iam, stmt("Allow", "iam:*"),
                         stmt("Deny", ["iam:CreateUser", "iam:PutUserPolicy"],
                              StringNotEquals={"iam:PermissionsBoundary": READONLY}))
    me = rg.client(server, "iam", creds)
    denied(me.create_user, UserName=rg.unique("nb"))
    bounded = me.create_user(UserName=rg.unique("b"), PermissionsBoundary=READONLY)["User"]["UserName"]
    me.put_user_policy(UserName=bounded, PolicyName="x", PolicyDocument=doc(stmt("Allow", "s3:*")))
    unbounded = iam.create_user(UserName=rg.unique("ub"))["User"]["UserName"]
    denied(me.put_user_policy, UserName=unbounded, PolicyName="x", PolicyDocument=doc(stmt("Allow", "s3:*")))


# ---- 2. a large context is whole ---------------------------------------------------------------------------------

def test_large_user_tags_keep_request_tags(server, iam):
    """~21 large user tags used to fill the context: the Deny on aws:RequestTag/role = admin was dropped."""
    target = iam.create_user(UserName=rg.unique("t"))["User"]["UserName"]
    _, creds = user_with(iam, stmt("Allow", "iam:TagUser"),
                         stmt("Deny", "iam:TagUser", StringEquals={"aws:RequestTag/role": "admin"}),
                         tags=filling_tags())
    me = rg.client(server, "iam", creds)
    denied(me.tag_user, UserName=target, Tags=[{"Key": "role", "Value": "admin"}])
    me.tag_user(UserName=target, Tags=[{"Key": "role", "Value": "viewer"}])


def test_large_user_tags_keep_token_issue_time(server, iam):
    """A user with large tags: the "revoke older sessions" Deny on aws:TokenIssueTime stops his older session."""
    role = iam.create_role(RoleName=rg.unique("r"), AssumeRolePolicyDocument=trust(server))["Role"]
    name, creds = user_with(iam, stmt("Allow", "sts:AssumeRole"), tags=filling_tags())
    s = rg.client(server, "sts", creds).get_session_token(DurationSeconds=900)["Credentials"]
    old = ((s["AccessKeyId"], s["SecretAccessKey"]), s["SessionToken"])
    assume(server, old[0], role["Arn"], token=old[1])
    time.sleep(1.1)  # the cutoff lies a whole second after the old session's issue time
    cutoff = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)
    iam.put_user_policy(UserName=name, PolicyName="AWSRevokeOlderSessions", PolicyDocument=doc(
        stmt("Deny", "*", DateLessThan={"aws:TokenIssueTime": cutoff})))
    denied(assume, server, old[0], role["Arn"], token=old[1])
    s = rg.client(server, "sts", creds).get_session_token(DurationSeconds=900)["Credentials"]
    assume(server, (s["AccessKeyId"], s["SecretAccessKey"]), role["Arn"], token=s["SessionToken"])


def test_session_tags_keep_the_roles_principal_tags(server, iam):
    """A session with nine 250-character session tags keeps its role's aws:PrincipalTag/* and meets their Deny."""
    role = iam.create_role(RoleName=rg.unique("r"), AssumeRolePolicyDocument=trust(server, tag_session=True),
                           Tags=[{"Key": "team", "Value": "blue"}])["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=doc(
        stmt("Allow", ["iam:ListUsers", "iam:ListRoles"]),
        stmt("Deny", "iam:ListUsers", StringEquals={"aws:PrincipalTag/team": "blue"})))
    _, creds = user_with(iam, stmt("Allow", ["sts:AssumeRole", "sts:TagSession"]))
    tags = [{"Key": f"s{i}", "Value": "z" * 250} for i in range(9)]
    c, token = assume(server, creds, role["Arn"], Tags=tags)
    sess = rg.client(server, "iam", c, token=token)
    denied(sess.list_users)
    sess.list_roles()
    # a session tag replaces the role's tag of the same key
    c, token = assume(server, creds, role["Arn"], Tags=tags[:8] + [{"Key": "Team", "Value": "red"}])
    rg.client(server, "iam", c, token=token).list_users()


def test_decisions_at_the_maxima(server, iam):
    """50 principal tags of 128/256 characters, a role with 50 such tags and a session with 50 session tags: the
    last tag of each still decides, and 50 request tags at the maxima are all seen."""
    tags = big_tags(50)
    last = tags[-1]
    target = iam.create_user(UserName=rg.unique("t"))["User"]["UserName"]
    _, creds = user_with(iam, stmt("Allow", ["iam:ListUsers", "iam:TagUser", "sts:AssumeRole", "sts:TagSession"]),
                         stmt("Deny", "iam:ListRoles", StringEquals={f"aws:PrincipalTag/{last['Key']}": last["Value"]}),
                         stmt("Deny", "iam:TagUser", StringEquals={"aws:RequestTag/z-last": "no"}),
                         tags=tags)
    me = rg.client(server, "iam", creds)
    me.list_users()
    denied(me.list_roles)
    request = big_tags(49, prefix="r")
    denied(me.tag_user, UserName=target, Tags=request + [{"Key": "z-last", "Value": "no"}])
    me.tag_user(UserName=target, Tags=request + [{"Key": "z-last", "Value": "yes"}])

    role = iam.create_role(RoleName=rg.unique("r"), AssumeRolePolicyDocument=trust(server, tag_session=True),
                           Tags=big_tags(50, prefix="q"))["Role"]
    rlast = big_tags(50, prefix="q")[-1]
    session_tags = [{"Key": f"st{i:02d}", "Value": f"{i:02d}".ljust(40, "w")} for i in range(50)]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=doc(
        stmt("Allow", ["iam:ListUsers", "iam:ListRoles", "iam:ListGroups"]),
        stmt("Deny", "iam:ListUsers", StringEquals={f"aws:PrincipalTag/{rlast['Key']}": rlast["Value"]}),
        stmt("Deny", "iam:ListRoles", StringEquals={"aws:PrincipalTag/st49": session_tags[-1]["Value"]})))
    c, token = assume(server, creds, role["Arn"], Tags=session_tags)
    sess = rg.client(server, "iam", c, token=token)
    sess.list_groups()
    denied(sess.list_users)
    denied(sess.list_roles)
    # 50 session tags at 128/256 characters do not fit a session, on AWS either: PackedPolicyTooLarge, not a session
    with pytest.raises(ClientError) as ei:
        assume(server, creds, role["Arn"], Tags=big_tags(50, prefix="s"))
    assert rg.err(ei)[0] == "PackedPolicyTooLarge"


# ---- Organizations ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def org(server):
    o = rg.client(server, "organizations")
    org = o.create_organization()["Organization"]
    root = o.list_roots()["Roots"][0]
    prod = o.create_organizational_unit(ParentId=root["Id"], Name="Prod",
                                        Tags=[{"Key": "env", "Value": "prod"}])["OrganizationalUnit"]
    dev = o.create_organizational_unit(ParentId=root["Id"], Name="Dev")["OrganizationalUnit"]
    o.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    allow_all = doc(stmt("Allow", "*"))
    scp = o.create_policy(Name="prod-guard", Description="d", Type="SERVICE_CONTROL_POLICY", Content=allow_all,
                          Tags=[{"Key": "env", "Value": "prod"}])["Policy"]["PolicySummary"]
    other = o.create_policy(Name="other", Description="d", Type="SERVICE_CONTROL_POLICY",
                            Content=allow_all)["Policy"]["PolicySummary"]
    return {"org": org, "root": root, "prod": prod, "dev": dev, "scp": scp, "other": other}


def test_organizations_resource_tags(server, iam, org):
    """Deny organizations:* on aws:ResourceTag/env = prod: a tagged OU, SCP, account and root are out of reach."""
    _, creds = user_with(iam, stmt("Allow", "organizations:*"),
                         stmt("Deny", "organizations:*", StringEquals={"aws:ResourceTag/env": "prod"}))
    me = rg.client(server, "organizations", creds)
    denied(me.describe_organizational_unit, OrganizationalUnitId=org["prod"]["Id"])
    me.describe_organizational_unit(OrganizationalUnitId=org["dev"]["Id"])
    me.describe_account(AccountId=server.account)
    denied(me.describe_policy, PolicyId=org["scp"]["Id"])
    me.describe_policy(PolicyId=org["other"]["Id"])
    o = rg.client(server, "organizations")
    o.tag_resource(ResourceId=server.account, Tags=[{"Key": "env", "Value": "prod"}])
    try:
        denied(me.describe_account, AccountId=server.account)
        me.list_children(ParentId=org["root"]["Id"], ChildType="ORGANIZATIONAL_UNIT")
        o.tag_resource(ResourceId=org["root"]["Id"], Tags=[{"Key": "env", "Value": "prod"}])
        denied(me.list_children, ParentId=org["root"]["Id"], ChildType="ORGANIZATIONAL_UNIT")
    finally:
        o.untag_resource(ResourceId=server.account, TagKeys=["env"])
        o.untag_resource(ResourceId=org["root"]["Id"], TagKeys=["env"])


def test_organizations_policy_type_and_org_paths(server, iam, org):
    """organizations:PolicyType of the request, and aws:PrincipalOrgPaths / aws:ResourceOrgID as AWS writes them."""
    o_id, r_id = org["org"]["Id"], org["root"]["Id"]
    _, creds = user_with(
        iam, stmt("Allow", "organizations:*"),
        stmt("Deny", "organizations:ListPolicies", StringEquals={"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}),
        stmt("Deny", "organizations:DescribeOrganization",
             **{"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": [f"{o_id}/{r_id}/"]}}))
    me = rg.client(server, "organizations", creds)
    denied(me.list_policies, Filter="SERVICE_CONTROL_POLICY")
    denied(me.describe_organization)
    _, creds = user_with(iam, stmt("Allow", "sts:AssumeRole"),
                         stmt("Deny", "sts:AssumeRole", StringEquals={"aws:ResourceOrgID": o_id}))
    role = iam.create_role(RoleName=rg.unique("r"), AssumeRolePolicyDocument=trust(server))["Role"]
    denied(assume, server, creds, role["Arn"])
