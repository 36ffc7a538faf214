"""Isolation and identity through boto3: an AssumeRole session policy may name only the role's account's customer
managed policies and AWS's own (another account's is refused exactly as a missing one); a caller that is not an IAM
user (a role session) must name the user of every IAM user action with an implicit "self" rather than act on the
user that shares its name; the root keeps AWS's root meaning."""
import json

import pytest
from botocore.exceptions import ClientError

import rg

NON_USER = "Must specify userName when calling with non-User credentials"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def refused(call, **kw):
    with pytest.raises(ClientError) as ei:
        call(**kw)
    return rg.err(ei)[:3]


def admin_role(server, iam, name=None):
    """A role of the management account with AdministratorAccess that the account trusts."""
    name = name or rg.unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"},
                       "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    return name


def assume(server, account, role, **kw):
    sts = rg.client(server, "sts", rg.admin_creds(server))
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="iso", **kw)["Credentials"]
    return (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"]


@pytest.fixture(scope="module")
def member(server):
    """A member account (CreateAccount), entered through its OrganizationAccountAccessRole."""
    org = rg.client(server, "organizations")
    org.create_organization()
    car = org.create_account(Email=f"{rg.unique('dev')}@example.com", AccountName="Dev")["CreateAccountStatus"]
    s = rg.wait_account_created(org, car["Id"])
    assert s["State"] == "SUCCEEDED", s
    return s["AccountId"]


# ---- A: PolicyArns of another account -------------------------------------------------------------------------

def test_session_policy_arns_of_another_account_are_refused_as_missing(server, iam, member):
    # the management account's customer managed policy, allowing everything
    foreign = iam.create_policy(PolicyName=rg.unique("foreign"), PolicyDocument=doc(allow("*")))["Policy"]["Arn"]
    missing = f"arn:aws:iam::{server.account}:policy/{rg.unique('nope')}"
    role = "OrganizationAccountAccessRole"
    # a session of the member's role cannot use it: the same refusal as for a policy that does not exist
    answers = []
    for arn in (foreign, missing):
        sts = rg.client(server, "sts", rg.admin_creds(server))
        code, msg, status = refused(sts.assume_role, RoleArn=f"arn:aws:iam::{member}:role/{role}",
                                    RoleSessionName="iso", PolicyArns=[{"arn": arn}])
        answers.append((code, msg.replace(arn, "ARN"), status))
    assert answers[0] == answers[1] == ("InvalidParameterValue", "Policy ARN does not exist or is not attachable.",
                                        400), answers
    # an ARN that only looks like a policy of the role's account (other partition, region, resource type) is refused
    for arn in (f"arn:aws-cn:iam::{member}:policy/x", f"arn:aws:iam:us-east-1:{member}:policy/x",
                f"arn:aws:iam::{member}:role/{role}", "arn:aws:iam::aws:role/x"):
        sts = rg.client(server, "sts", rg.admin_creds(server))
        assert refused(sts.assume_role, RoleArn=f"arn:aws:iam::{member}:role/{role}", RoleSessionName="iso",
                       PolicyArns=[{"arn": arn}])[0] == "InvalidParameterValue", arn
    # the member's own customer managed policy and AWS-managed ones still serve as session policies
    creds, token = assume(server, member, role)
    m_iam = rg.client(server, "iam", creds, token=token)
    own = m_iam.create_policy(PolicyName=rg.unique("own"), PolicyDocument=doc(allow("iam:ListRoles")))["Policy"]["Arn"]
    assert own.startswith(f"arn:aws:iam::{member}:policy/")
    creds, token = assume(server, member, role, PolicyArns=[{"arn": own}])
    s_iam = rg.client(server, "iam", creds, token=token)
    s_iam.list_roles()
    with pytest.raises(ClientError) as ei:
        s_iam.list_users()
    assert rg.err(ei)[0] == "AccessDenied"
    creds, token = assume(server, member, role, PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}])
    rg.client(server, "iam", creds, token=token).list_users()
    # and the management account's own role may use the management account's policy
    mine = admin_role(server, iam)
    creds, token = assume(server, server.account, mine, PolicyArns=[{"arn": foreign}])
    rg.client(server, "iam", creds, token=token).list_users()


# ---- B: an implicit UserName needs a user's credentials ----------------------------------------------------------

def test_role_session_must_name_the_user(server, iam):
    """A role session whose role shares its name with an IAM user does not act on that user."""
    name = rg.unique("twin")
    user, [ukey] = rg.make_user(iam, name)
    admin_role(server, iam, name)  # the role has the user's name
    creds, token = assume(server, server.account, name)
    s_iam = rg.client(server, "iam", creds, token=token)
    calls = [
        ("get_user", {}),
        ("create_access_key", {}),
        ("list_access_keys", {}),
        ("update_access_key", {"AccessKeyId": ukey[0], "Status": "Inactive"}),
        ("delete_access_key", {"AccessKeyId": ukey[0]}),
        ("list_mfa_devices", {}),
        ("deactivate_mfa_device", {"SerialNumber": f"arn:aws:iam::{server.account}:mfa/{name}"}),
        ("get_login_profile", {}),
        ("create_login_profile", {"Password": "Corr3ct-Horse-Battery!"}),
        ("delete_login_profile", {}),
    ]
    for method, kw in calls:
        assert refused(getattr(s_iam, method), **kw) == ("ValidationError", NON_USER, 400), method
    # nothing happened to the twin user: still one active key, no login profile
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(ukey[0], "Active")]
    assert refused(iam.get_login_profile, UserName=name)[0] == "NoSuchEntity"
    # naming the user works (the role is an administrator)
    assert s_iam.get_user(UserName=name)["User"]["UserName"] == name
    assert len(s_iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 1
    # the user itself still acts on itself without naming itself
    u_iam = rg.client(server, "iam", ukey)
    iam.put_user_policy(UserName=name, PolicyName="self", PolicyDocument=doc(allow("iam:*")))
    assert u_iam.get_user()["User"]["UserName"] == name
    assert [k["AccessKeyId"] for k in u_iam.list_access_keys()["AccessKeyMetadata"]] == [ukey[0]]


def test_root_keeps_its_own_meaning(server, iam):
    """The root without UserName: GetUser answers the root, access keys are the root's, MFA devices the root's."""
    me = iam.get_user()["User"]
    assert me["Arn"] == f"arn:aws:iam::{server.account}:root" and me["UserId"] == server.account
    ids = [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]]
    assert server.root[0] in ids
    iam.list_mfa_devices()
