"""Trust policies name users and roles by identity, as IAM does: a trust policy naming a user or role by ARN is
stored with its unique id (AIDA..., AROA...), shown with the current ARN while the principal exists and with the bare
id once it is deleted, and a user or role deleted and re-created under the same name does not inherit the trust."""
import json
import os
import sqlite3
import subprocess
import time
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError

import rg

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def trust(principal):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}


def make_role(iam, doc, name=None, admin=False):
    name = name or rg.unique("role")
    r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))["Role"]
    if admin:
        iam.attach_role_policy(RoleName=name, PolicyArn=ADMIN)
    return r


def delete_role(iam, name):
    for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
    iam.delete_role(RoleName=name)


def make_caller(iam, name=None):
    """A user allowed sts:AssumeRole on everything; returns (user, creds)."""
    user, [creds] = rg.make_user(iam, name=name)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    return user, creds


def delete_user(iam, name):
    for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    for p in iam.list_user_policies(UserName=name)["PolicyNames"]:
        iam.delete_user_policy(UserName=name, PolicyName=p)
    iam.delete_user(UserName=name)


def assume(server, creds, role_arn, token=None):
    r = rg.client(server, "sts", creds, token=token).assume_role(RoleArn=role_arn, RoleSessionName="s1")
    c = r["Credentials"]
    return (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"]


def denied(call, **kw):
    with pytest.raises(ClientError) as ei:
        call(**kw)
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("AccessDenied", 403), (code, msg)
    return msg


def refused(call, **kw):
    with pytest.raises(ClientError) as ei:
        call(**kw)
    return rg.err(ei)[:3]


def shown_principal(iam, role_name):
    return iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]


def test_user_deleted_and_recreated_does_not_inherit_trust(server, iam):
    user, creds = make_caller(iam)
    name = user["UserName"]
    role = make_role(iam, trust(user["Arn"]))
    # while the user exists: the trust shows its ARN (as written) and the user assumes the role
    assert shown_principal(iam, role["RoleName"]) == user["Arn"]
    assume(server, creds, role["Arn"])
    # deleted: the trust shows the user's unique id, everywhere a trust policy is shown
    delete_user(iam, name)
    assert shown_principal(iam, role["RoleName"]) == user["UserId"]
    assert user["UserId"].startswith("AIDA")
    listed = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == role["RoleName"]]
    assert listed[0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == user["UserId"]
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    mine = [r for r in details if r["RoleName"] == role["RoleName"]]
    assert mine[0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == user["UserId"]
    # re-created under the same name (and path): another user, which the old trust does not name
    again, creds2 = make_caller(iam, name=name)
    assert again["Arn"] == user["Arn"] and again["UserId"] != user["UserId"]
    assert shown_principal(iam, role["RoleName"]) == user["UserId"]
    msg = denied(rg.client(server, "sts", creds2).assume_role, RoleArn=role["Arn"], RoleSessionName="s1")
    assert msg == f"User: {again['Arn']} is not authorized to perform: sts:AssumeRole on resource: {role['Arn']}"
    # the policy shown (with the orphaned id) cannot be saved again, as on AWS: the id names nobody
    doc = iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"]
    assert refused(iam.update_assume_role_policy, RoleName=role["RoleName"], PolicyDocument=json.dumps(doc)) == (
        "MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{user["UserId"]}"', 400)
    # saving the ARN again names the new user
    iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=json.dumps(trust(again["Arn"])))
    assert shown_principal(iam, role["RoleName"]) == again["Arn"]
    assume(server, creds2, role["Arn"])


def test_user_renamed_keeps_the_trust(server, iam):
    """UpdateUser renames and moves a user: the trust follows it (shown with its new ARN); a new user under the old
    name is not named."""
    user, creds = make_caller(iam)
    role = make_role(iam, trust(user["Arn"]))
    new_name = rg.unique("renamed")
    iam.update_user(UserName=user["UserName"], NewUserName=new_name, NewPath="/moved/")
    moved = iam.get_user(UserName=new_name)["User"]
    assert moved["UserId"] == user["UserId"] and moved["Arn"].endswith(f":user/moved/{new_name}")
    assert shown_principal(iam, role["RoleName"]) == moved["Arn"]
    assume(server, creds, role["Arn"])
    _, creds2 = make_caller(iam, name=user["UserName"])
    denied(rg.client(server, "sts", creds2).assume_role, RoleArn=role["Arn"], RoleSessionName="s1")


def test_other_principals_of_the_trust_keep_working(server, iam):
    """Deleting one named user leaves the others (and the account principal) as they were."""
    keep, keep_creds = make_caller(iam)
    gone, _ = make_caller(iam)
    account = f"arn:aws:iam::{server.account}:root"
    role = make_role(iam, trust([gone["Arn"], keep["Arn"], account]))
    delete_user(iam, gone["UserName"])
    assert shown_principal(iam, role["RoleName"]) == [gone["UserId"], keep["Arn"], account]
    assume(server, keep_creds, role["Arn"])
    # a user the trust never named is still let in through the account principal and its own policy
    _, other = make_caller(iam)
    assume(server, other, role["Arn"])


def test_role_deleted_and_recreated_does_not_inherit_trust(server, iam):
    """Role chaining: the trust names role R; R's sessions assume it; R deleted and re-created do not."""
    user, creds = make_caller(iam)
    hop = make_role(iam, trust(user["Arn"]), admin=True)
    target = make_role(iam, trust(hop["Arn"]))
    assert shown_principal(iam, target["RoleName"]) == hop["Arn"]
    c, t = assume(server, creds, hop["Arn"])
    assume(server, c, target["Arn"], token=t)
    delete_role(iam, hop["RoleName"])
    assert hop["RoleId"].startswith("AROA")
    assert shown_principal(iam, target["RoleName"]) == hop["RoleId"]
    again = make_role(iam, trust(user["Arn"]), name=hop["RoleName"], admin=True)
    assert again["Arn"] == hop["Arn"] and again["RoleId"] != hop["RoleId"]
    c, t = assume(server, creds, again["Arn"])
    session_arn = f"arn:aws:sts::{server.account}:assumed-role/{hop['RoleName']}/s1"
    msg = denied(rg.client(server, "sts", c, token=t).assume_role, RoleArn=target["Arn"], RoleSessionName="s2")
    assert msg == f"User: {session_arn} is not authorized to perform: sts:AssumeRole on resource: {target['Arn']}"
    assert shown_principal(iam, target["RoleName"]) == hop["RoleId"]


def test_principal_named_by_unique_id(server, iam):
    """A trust may name an existing user or role by its unique id: it is shown as the ARN, and works."""
    user, creds = make_caller(iam)
    role = make_role(iam, trust(user["UserId"]))
    assert shown_principal(iam, role["RoleName"]) == user["Arn"]
    assume(server, creds, role["Arn"])
    other = make_role(iam, trust(role["RoleId"]))
    assert shown_principal(iam, other["RoleName"]) == role["Arn"]
    # an id that names nobody is refused, at CreateRole and at UpdateAssumeRolePolicy
    ghost = "AIDA" + "Q" * 17
    for call, kw in ((iam.create_role, {"RoleName": rg.unique("role")}),
                     (iam.update_assume_role_policy, {"RoleName": role["RoleName"]})):
        key = "AssumeRolePolicyDocument" if call == iam.create_role else "PolicyDocument"
        assert refused(call, **kw, **{key: json.dumps(trust(["*", ghost]))}) == (
            "MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{ghost}"', 400)
    assert shown_principal(iam, role["RoleName"]) == user["Arn"]


def test_layout_kept_and_other_members_untouched(server, iam):
    """Only Principal.AWS values change: the same ARN in a condition stays, and the document keeps its layout."""
    user, creds = make_caller(iam)
    text = ('{\n  "Version": "2012-10-17",\n  "Statement": {\n    "Effect": "Allow",\n'
            '    "Principal": {"AWS": "%s"},\n    "Action": "sts:AssumeRole",\n'
            '    "Condition": {"StringEquals": {"aws:PrincipalArn": "%s"}}\n  }\n}' % (user["Arn"], user["Arn"]))
    role = iam.create_role(RoleName=rg.unique("role"), AssumeRolePolicyDocument=text)["Role"]
    assume(server, creds, role["Arn"])
    delete_user(iam, user["UserName"])
    got = iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"]
    assert got["Statement"]["Principal"]["AWS"] == user["UserId"]
    assert got["Statement"]["Condition"]["StringEquals"]["aws:PrincipalArn"] == user["Arn"]
    # the raw answer is the document as written, but for the principal
    r = rg.signed(server, rg.iam_form("GetRole", RoleName=role["RoleName"]))
    shown = r.xml().find(".//{*}AssumeRolePolicyDocument").text
    assert unquote(shown) == text.replace('"AWS": "%s"' % user["Arn"], '"AWS": "%s"' % user["UserId"])


def test_user_of_another_account(fresh_server):
    """The jump-account pattern: a role in a member account trusts a user of the management account by ARN; the
    user deleted and re-created there does not inherit it."""
    server = fresh_server
    iam = rg.client(server, "iam")
    o = rg.client(server, "organizations")
    o.create_organization()
    first = o.create_account(Email=f"{rg.unique('dev')}@example.com", AccountName="Dev")["CreateAccountStatus"]
    for _ in range(100):
        status = o.describe_create_account_status(CreateAccountRequestId=first["Id"])["CreateAccountStatus"]
        if status["State"] != "IN_PROGRESS":
            break
        time.sleep(0.1)
    assert status["State"] == "SUCCEEDED", status
    dev = status["AccountId"]
    admin, admin_creds = make_caller(iam)
    c, t = assume(server, admin_creds, f"arn:aws:iam::{dev}:role/OrganizationAccountAccessRole")
    dev_iam = rg.client(server, "iam", c, token=t)
    user, creds = make_caller(iam)
    role = make_role(dev_iam, trust(user["Arn"]))
    assert role["Arn"].startswith(f"arn:aws:iam::{dev}:role/")
    assert shown_principal(dev_iam, role["RoleName"]) == user["Arn"]
    assume(server, creds, role["Arn"])
    delete_user(iam, user["UserName"])
    assert shown_principal(dev_iam, role["RoleName"]) == user["UserId"]
    again, creds2 = make_caller(iam, name=user["UserName"])
    msg = denied(rg.client(server, "sts", creds2).assume_role, RoleArn=role["Arn"], RoleSessionName="s1")
    assert msg == f"User: {again['Arn']} is not authorized to perform: sts:AssumeRole on resource: {role['Arn']}"


def test_policy_eval_principal_id():
    """`rolegate policy eval`: request.principalId is the caller's unique id, which a Principal naming one matches."""
    req = {"action": "sts:AssumeRole", "resource": {"resource": "arn:aws:iam::111122223333:role/R",
                                                   "accountId": "111122223333"},
           "principal": "arn:aws:iam::111122223333:user/u", "context": {}}
    pol = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "AIDAQ2WERTYUIOPASDFG3"},
                                                  "Action": "sts:AssumeRole"}}
    cases = [{"request": {**req, "principalId": "AIDAQ2WERTYUIOPASDFG3"}, "resourcePolicy": pol},
             {"request": {**req, "principalId": "AIDAZZZZZZZZZZZZZZZZZ"}, "resourcePolicy": pol},
             {"request": req, "resourcePolicy": pol}]
    p = subprocess.run([str(rg.BIN), "policy", "eval", "-"], input=json.dumps(cases), capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert [json.loads(line)["result"] for line in p.stdout.splitlines()] == [
        "Allowed", "ImplicitlyDenied", "ImplicitlyDenied"]


@pytest.mark.sqlite_only('rewrites DATA/rolegate.db')
def test_trust_policies_saved_by_an_earlier_rolegate_are_upgraded(server_factory):
    """A database whose trust policies name users by ARN (as rolegate stored them before): at the next start each
    ARN of a user that exists becomes its id, and an ARN of a user that does not exist (deleted since) becomes an id
    that names nobody, so no namesake created later inherits either trust."""
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    user, creds = make_caller(iam)
    kept = make_role(iam, trust(user["Arn"]))
    ghost = rg.unique("ghost")
    orphan = make_role(iam, trust(f"arn:aws:iam::{srv.account}:root"))
    srv.stop_ok()
    db = sqlite3.connect(str(srv.data_dir / "rolegate.db"), timeout=30, isolation_level=None)
    legacy = {kept["RoleName"]: json.dumps(trust(user["Arn"]), indent=1),
              orphan["RoleName"]: json.dumps(trust([f"arn:aws:iam::{srv.account}:user/{ghost}"]))}
    for name, text in legacy.items():
        assert db.execute("UPDATE roles SET trust_policy = ? WHERE name = ?", (text, name)).rowcount == 1
    assert db.execute("DELETE FROM meta WHERE key = 'trust_policies_name_ids'").rowcount == 1
    db.close()
    srv.start()
    iam = rg.client(srv, "iam")
    # the user that exists: shown as its ARN, still let in, and the document otherwise as it was
    assert shown_principal(iam, kept["RoleName"]) == user["Arn"]
    r = rg.signed(srv, rg.iam_form("GetRole", RoleName=kept["RoleName"]))
    assert unquote(r.xml().find(".//{*}AssumeRolePolicyDocument").text) == legacy[kept["RoleName"]]
    assume(srv, creds, kept["Arn"])
    delete_user(iam, user["UserName"])
    _, creds2 = make_caller(iam, name=user["UserName"])
    denied(rg.client(srv, "sts", creds2).assume_role, RoleArn=kept["Arn"], RoleSessionName="s1")
    # the user that did not exist: an id naming nobody, and the namesake created now is not let in
    [shown] = shown_principal(iam, orphan["RoleName"])
    assert shown.startswith("AIDA") and len(shown) == 21, shown
    _, creds3 = make_caller(iam, name=ghost)
    denied(rg.client(srv, "sts", creds3).assume_role, RoleArn=orphan["Arn"], RoleSessionName="s1")
    srv.stop_ok()
    db = sqlite3.connect(f"file:{srv.data_dir / 'rolegate.db'}?mode=ro", uri=True)
    assert db.execute("SELECT value FROM meta WHERE key = 'trust_policies_name_ids'").fetchall() == [("1",)]
    db.close()
