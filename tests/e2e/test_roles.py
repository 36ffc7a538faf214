"""IAM roles and instance profiles through boto3 and the aws CLI: CreateRole, GetRole, ListRoles, UpdateRole,
UpdateRoleDescription, UpdateAssumeRolePolicy, DeleteRole, Put/DeleteRolePermissionsBoundary, Tag/Untag/ListRoleTags,
Create/Get/Delete/List instance profiles, AddRoleTo/RemoveRoleFromInstanceProfile, ListInstanceProfilesForRole.

Trust policies come back URL-encoded on the wire (botocore decodes them into dicts); the raw tests read the XML."""
import datetime
import json
import re
import urllib.parse

import pytest
from botocore.exceptions import ClientError

import rg


def trust(principal):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


def root_trust(server):
    return trust({"AWS": f"arn:aws:iam::{server.account}:root"})


def refused(call):
    with pytest.raises(ClientError) as ei:
        call()
    return rg.err(ei)[:3]


def make_role(server, iam, name=None, **kw):
    name = name or rg.unique("role")
    kw.setdefault("AssumeRolePolicyDocument", json.dumps(root_trust(server)))
    return iam.create_role(RoleName=name, **kw)["Role"]


def raw_member(server, action, member, **params):
    """The text of the first <member> element of a raw (signed) IAM response."""
    r = rg.signed(server, rg.iam_form(action, **params))
    assert r.status == 200, r
    el = r.xml().find(f".//{{{rg.IAM_NS}}}{member}")
    assert el is not None, r.body
    return el.text


def raw_error(server, action, **params):
    """The error of a raw (signed) IAM request that must fail."""
    r = rg.signed(server, rg.iam_form(action, **params))
    assert r.status >= 400, r
    return r.error()


# ---- roles ------------------------------------------------------------------------------------------------------

def test_create_role_fields(server, iam):
    name = rg.unique("Admin")
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    doc = root_trust(server)
    r = iam.create_role(RoleName=name, Path="/env/", AssumeRolePolicyDocument=json.dumps(doc),
                        Description="full access", MaxSessionDuration=7200,
                        Tags=[{"Key": "env", "Value": "dev"}])["Role"]
    assert r["RoleName"] == name and r["Path"] == "/env/"
    assert r["Arn"] == f"arn:aws:iam::{server.account}:role/env/{name}"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", r["RoleId"]), r["RoleId"]
    assert before - datetime.timedelta(seconds=5) <= r["CreateDate"] <= before + datetime.timedelta(seconds=60)
    assert r["AssumeRolePolicyDocument"] == doc  # botocore URL-decodes and parses it
    assert r["Description"] == "full access" and r["MaxSessionDuration"] == 7200
    assert r["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert "PermissionsBoundary" not in r

    got = iam.get_role(RoleName=name.lower())["Role"]
    for k in ("RoleName", "RoleId", "Arn", "Path", "AssumeRolePolicyDocument", "Description", "MaxSessionDuration",
              "Tags"):
        assert got[k] == r[k], k
    assert got["RoleLastUsed"] == {}


def test_role_description_of_1000_non_ascii_characters(server, iam):
    text = "é" * 1000  # 2000 bytes of UTF-8
    r = make_role(server, iam, Description=text)
    assert r["Description"] == text
    assert iam.get_role(RoleName=r["RoleName"])["Role"]["Description"] == text
    assert iam.update_role_description(RoleName=r["RoleName"], Description="ü" * 1000)["Role"]["Description"] == \
        "ü" * 1000


def test_role_defaults(server, iam):
    r = make_role(server, iam)
    assert r["Path"] == "/" and r["MaxSessionDuration"] == 3600
    assert "Description" not in r and "Tags" not in r


def test_trust_policy_is_url_encoded_on_the_wire(server, iam):
    # stored as given (whitespace, key order, a '+' and non-ASCII-safe characters) and percent-encoded
    doc = ('{\n  "Version": "2012-10-17",\n  "Statement": [{"Sid": "a+b c", "Effect": "Allow",\n'
           f'   "Principal": {{"AWS": "arn:aws:iam::{server.account}:root"}}, "Action": "sts:AssumeRole"}}]\n}}')
    name = rg.unique("enc")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)
    text = raw_member(server, "GetRole", "AssumeRolePolicyDocument", RoleName=name)
    assert text == urllib.parse.quote(doc, safe="")
    assert "%20" in text and "%2B" in text and "+" not in text and " " not in text
    assert urllib.parse.unquote(text) == doc
    listed = raw_member(server, "ListRoles", "AssumeRolePolicyDocument", PathPrefix="/")
    assert "%22" in listed


def test_create_role_refusals(server, iam):
    name = rg.unique("dup")
    make_role(server, iam, name)
    assert refused(lambda: make_role(server, iam, name.upper())) == (
        "EntityAlreadyExists", f"Role with name {name.upper()} already exists.", 409)
    for bad in ("3599", "43201"):  # botocore checks the range itself: send it raw
        e = raw_error(server, "CreateRole", RoleName=rg.unique(), MaxSessionDuration=bad,
                      AssumeRolePolicyDocument=json.dumps(root_trust(server)))
        assert e["code"] == "ValidationError" and "maxSessionDuration" in e["message"], e
    assert make_role(server, iam, MaxSessionDuration=43200)["MaxSessionDuration"] == 43200
    code, msg, status = refused(lambda: make_role(server, iam, AssumeRolePolicyDocument="{not json"))
    assert (code, status) == ("MalformedPolicyDocument", 400)
    # an identity policy is not a trust policy: no principal
    code, msg, _ = refused(lambda: make_role(server, iam, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})))
    assert code == "MalformedPolicyDocument" and msg
    # nothing was created by the refusals
    assert refused(lambda: iam.get_role(RoleName="no-such-role")) == (
        "NoSuchEntity", "The role with name no-such-role cannot be found.", 404)


def test_trust_policy_principals_must_exist(server, iam):
    user, _ = rg.make_user(iam, keys=0)
    other = make_role(server, iam)
    good = [f"arn:aws:iam::{server.account}:root", server.account, user["Arn"], other["Arn"],
            f"arn:aws:sts::{server.account}:assumed-role/{other['RoleName']}/session"]
    r = make_role(server, iam, AssumeRolePolicyDocument=json.dumps(trust({"AWS": good})))
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == good
    make_role(server, iam, AssumeRolePolicyDocument=json.dumps(trust({"Service": "ec2.amazonaws.com"})))
    make_role(server, iam, AssumeRolePolicyDocument=json.dumps(trust({"AWS": "*"})))
    missing = [f"arn:aws:iam::{server.account}:user/nobody-{rg.unique()}",
               f"arn:aws:iam::{server.account}:role/none-{rg.unique()}",
               "arn:aws:iam::999999999999:root", "999999999999",
               # the right name on the wrong path is another user
               f"arn:aws:iam::{server.account}:user/elsewhere/{user['UserName']}"]
    for p in missing:
        assert refused(lambda: make_role(server, iam, AssumeRolePolicyDocument=json.dumps(
            trust({"AWS": [f"arn:aws:iam::{server.account}:root", p]})))) == (
            "MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{p}"', 400)


def test_trust_policy_size_quota(server, iam):
    account_root = f"arn:aws:iam::{server.account}:root"

    def doc(n_sids):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": f"S{i:04d}", "Effect": "Allow", "Principal": {"AWS": account_root}, "Action": "sts:AssumeRole"}
            for i in range(n_sids)]}, indent=8)  # white space does not count

    def size(d):
        return len(d.replace(" ", "").replace("\n", ""))

    n = 1
    while size(doc(n + 1)) <= 2048:
        n += 1
    assert len(doc(n)) > 2048  # over the quota with its white space, within it without
    make_role(server, iam, AssumeRolePolicyDocument=doc(n))
    assert refused(lambda: make_role(server, iam, AssumeRolePolicyDocument=doc(n + 1))) == (
        "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048", 409)


def test_list_roles_pages(server, iam):
    p = "/" + rg.unique("lr") + "/"
    names = sorted((rg.unique(f"r{i}") for i in range(5)), key=str.lower)
    for n in names:
        make_role(server, iam, n, Path=p, Description="d")
    got = iam.list_roles(PathPrefix=p)
    assert [r["RoleName"] for r in got["Roles"]] == names
    assert got["Roles"][0]["AssumeRolePolicyDocument"] == root_trust(server)
    assert got["Roles"][0]["Description"] == "d"
    assert "Tags" not in got["Roles"][0] and "RoleLastUsed" not in got["Roles"][0]
    first = iam.list_roles(PathPrefix=p, MaxItems=2)
    assert first["IsTruncated"] is True
    assert [r["RoleName"] for r in iam.get_paginator("list_roles").paginate(
        PathPrefix=p, PaginationConfig={"PageSize": 2}).build_full_result()["Roles"]] == names


def test_update_role_and_description(server, iam):
    r = make_role(server, iam, Description="before")
    iam.update_role(RoleName=r["RoleName"], MaxSessionDuration=43200)
    got = iam.get_role(RoleName=r["RoleName"])["Role"]
    assert got["MaxSessionDuration"] == 43200 and got["Description"] == "before"
    iam.update_role(RoleName=r["RoleName"], Description="after")
    assert iam.get_role(RoleName=r["RoleName"])["Role"]["Description"] == "after"
    out = iam.update_role_description(RoleName=r["RoleName"], Description="third")["Role"]
    assert out["Description"] == "third" and out["RoleId"] == r["RoleId"]
    assert raw_error(server, "UpdateRole", RoleName=r["RoleName"], MaxSessionDuration="100")["code"] == \
        "ValidationError"
    assert refused(lambda: iam.update_role(RoleName="ghost-role", Description="x")) == (
        "NoSuchEntity", "The role with name ghost-role cannot be found.", 404)


def test_update_assume_role_policy(server, iam):
    r = make_role(server, iam)
    user, _ = rg.make_user(iam, keys=0)
    new = trust({"AWS": user["Arn"]})
    iam.update_assume_role_policy(RoleName=r["RoleName"], PolicyDocument=json.dumps(new))
    assert iam.get_role(RoleName=r["RoleName"])["Role"]["AssumeRolePolicyDocument"] == new
    bad = f"arn:aws:iam::{server.account}:user/ghost-{rg.unique()}"
    assert refused(lambda: iam.update_assume_role_policy(
        RoleName=r["RoleName"], PolicyDocument=json.dumps(trust({"AWS": bad})))) == (
        "MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{bad}"', 400)
    assert iam.get_role(RoleName=r["RoleName"])["Role"]["AssumeRolePolicyDocument"] == new  # unchanged


def test_role_tags(server, iam):
    r = make_role(server, iam, Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_role(RoleName=r["RoleName"], Tags=[{"Key": "B", "Value": "2"}, {"Key": "c", "Value": "3"}])
    iam.tag_role(RoleName=r["RoleName"], Tags=[{"Key": "b", "Value": "22"}])
    assert iam.list_role_tags(RoleName=r["RoleName"])["Tags"] == [
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "22"}, {"Key": "c", "Value": "3"}]
    iam.untag_role(RoleName=r["RoleName"], TagKeys=["A", "missing"])
    page = iam.list_role_tags(RoleName=r["RoleName"], MaxItems=1)
    assert page["IsTruncated"] is True and page["Tags"] == [{"Key": "b", "Value": "22"}]
    rest = iam.list_role_tags(RoleName=r["RoleName"], MaxItems=1, Marker=page["Marker"])
    assert rest["Tags"] == [{"Key": "c", "Value": "3"}] and rest["IsTruncated"] is False
    iam.tag_role(RoleName=r["RoleName"], Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(48)])
    assert refused(lambda: iam.tag_role(RoleName=r["RoleName"], Tags=[{"Key": "one-more", "Value": "v"}])) == (
        "LimitExceeded", "Cannot exceed quota for TagsPerRole: 50", 409)
    assert iam.get_role(RoleName=r["RoleName"])["Role"]["Tags"][:2] == [
        {"Key": "b", "Value": "22"}, {"Key": "c", "Value": "3"}]
    assert refused(lambda: iam.tag_role(RoleName=r["RoleName"], Tags=[{"Key": "d", "Value": "1"},
                                                                      {"Key": "D", "Value": "2"}]))[0] == "InvalidInput"


def test_role_permissions_boundary(server, iam):
    boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
    r = make_role(server, iam, PermissionsBoundary=boundary)
    assert r["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                        "PermissionsBoundaryArn": boundary}
    assert iam.get_role(RoleName=r["RoleName"])["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    iam.delete_role_permissions_boundary(RoleName=r["RoleName"])
    assert "PermissionsBoundary" not in iam.get_role(RoleName=r["RoleName"])["Role"]
    iam.put_role_permissions_boundary(RoleName=r["RoleName"], PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert iam.get_role(RoleName=r["RoleName"])["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == \
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    missing = f"arn:aws:iam::{server.account}:policy/not-there"
    assert refused(lambda: iam.put_role_permissions_boundary(RoleName=r["RoleName"], PermissionsBoundary=missing)) == (
        "NoSuchEntity", f"Scope ARN: {missing} does not exist or is not attachable.", 404)
    assert refused(lambda: make_role(server, iam, PermissionsBoundary=missing))[0] == "NoSuchEntity"
    assert refused(lambda: make_role(server, iam, PermissionsBoundary=f"arn:aws:iam::{server.account}:role/xyz"))[0] \
        == "InvalidInput"


def test_delete_role_conflicts(server, iam):
    r = make_role(server, iam)
    name = r["RoleName"]
    prof = rg.unique("prof")
    iam.create_instance_profile(InstanceProfileName=prof)
    iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=name)
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert refused(lambda: iam.delete_role(RoleName=name)) == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    iam.remove_role_from_instance_profile(InstanceProfileName=prof, RoleName=name)
    assert refused(lambda: iam.delete_role(RoleName=name)) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    assert refused(lambda: iam.delete_role(RoleName=name)) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_role(RoleName=name)
    assert refused(lambda: iam.get_role(RoleName=name))[0] == "NoSuchEntity"
    assert refused(lambda: iam.delete_role(RoleName=name))[0] == "NoSuchEntity"
    # recreated: no old tags, policies or profiles
    make_role(server, iam, name)
    assert iam.list_role_tags(RoleName=name)["Tags"] == []
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    assert iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"] == []


# ---- instance profiles ------------------------------------------------------------------------------------------

def test_instance_profiles(server, iam):
    name = rg.unique("Prof")
    p = iam.create_instance_profile(InstanceProfileName=name, Path="/ec2/",
                                    Tags=[{"Key": "k", "Value": "v"}])["InstanceProfile"]
    assert p["InstanceProfileName"] == name and p["Path"] == "/ec2/" and p["Roles"] == []
    assert p["Arn"] == f"arn:aws:iam::{server.account}:instance-profile/ec2/{name}"
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", p["InstanceProfileId"])
    assert p["Tags"] == [{"Key": "k", "Value": "v"}]
    assert refused(lambda: iam.create_instance_profile(InstanceProfileName=name.lower())) == (
        "EntityAlreadyExists", f"Instance Profile {name.lower()} already exists.", 409)

    r1, r2 = make_role(server, iam), make_role(server, iam)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=r1["RoleName"])
    got = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert [x["RoleName"] for x in got["Roles"]] == [r1["RoleName"]]
    assert got["Roles"][0]["AssumeRolePolicyDocument"] == root_trust(server)
    assert refused(lambda: iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=r2["RoleName"])) == (
        "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)
    assert refused(lambda: iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName="ghost-r"))[0] == \
        "NoSuchEntity"
    for_role = iam.list_instance_profiles_for_role(RoleName=r1["RoleName"])
    assert [x["InstanceProfileName"] for x in for_role["InstanceProfiles"]] == [name]
    assert for_role["IsTruncated"] is False
    assert name in [x["InstanceProfileName"] for x in iam.list_instance_profiles(PathPrefix="/ec2/")["InstanceProfiles"]]

    assert refused(lambda: iam.delete_instance_profile(InstanceProfileName=name)) == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.", 409)
    assert refused(lambda: iam.remove_role_from_instance_profile(InstanceProfileName=name,
                                                                 RoleName=r2["RoleName"]))[0] == "NoSuchEntity"
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=r1["RoleName"])
    iam.delete_instance_profile(InstanceProfileName=name)
    assert refused(lambda: iam.get_instance_profile(InstanceProfileName=name)) == (
        "NoSuchEntity", f"Instance Profile {name} cannot be found.", 404)


def test_instance_profile_lists_paged(server, iam):
    p = "/" + rg.unique("ipp") + "/"
    names = sorted((rg.unique(f"ip{i}") for i in range(5)), key=str.lower)
    role = make_role(server, iam)
    for n in names:
        iam.create_instance_profile(InstanceProfileName=n, Path=p)
        iam.add_role_to_instance_profile(InstanceProfileName=n, RoleName=role["RoleName"])
    first = iam.list_instance_profiles(PathPrefix=p, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["InstanceProfiles"]) == 2
    assert [x["InstanceProfileName"] for x in iam.get_paginator("list_instance_profiles").paginate(
        PathPrefix=p, PaginationConfig={"PageSize": 2}).build_full_result()["InstanceProfiles"]] == names
    assert [x["InstanceProfileName"] for x in iam.get_paginator("list_instance_profiles_for_role").paginate(
        RoleName=role["RoleName"], PaginationConfig={"PageSize": 3}).build_full_result()["InstanceProfiles"]] == names


# ---- the aws CLI --------------------------------------------------------------------------------------------------

def test_roles_cli(server, iam, cli):
    name = rg.unique("clirole")
    doc = root_trust(server)
    r = rg.cli_json(cli("iam", "create-role", "--role-name", name, "--assume-role-policy-document", json.dumps(doc),
                        "--description", "from the cli", "--max-session-duration", "7200"))["Role"]
    assert r["Arn"] == f"arn:aws:iam::{server.account}:role/{name}"
    assert r["AssumeRolePolicyDocument"] == doc  # the CLI shows the document decoded
    got = rg.cli_json(cli("iam", "get-role", "--role-name", name))["Role"]
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "from the cli"
    assert rg.cli_error(cli("iam", "create-role", "--role-name", name, "--assume-role-policy-document",
                            json.dumps(doc))) == ("EntityAlreadyExists", "CreateRole",
                                                  f"Role with name {name} already exists.")
    ghost = f"arn:aws:iam::{server.account}:role/ghost-{rg.unique()}"
    assert rg.cli_error(cli("iam", "update-assume-role-policy", "--role-name", name, "--policy-document",
                            json.dumps(trust({"AWS": ghost})))) == (
        "MalformedPolicyDocument", "UpdateAssumeRolePolicy", f'Invalid principal in policy: "AWS":"{ghost}"')
    prof = rg.unique("cliprof")
    assert cli("iam", "create-instance-profile", "--instance-profile-name", prof)[0] == 0
    assert cli("iam", "add-role-to-instance-profile", "--instance-profile-name", prof, "--role-name", name)[0] == 0
    listed = rg.cli_json(cli("iam", "list-instance-profiles-for-role", "--role-name", name))
    assert [x["InstanceProfileName"] for x in listed["InstanceProfiles"]] == [prof]
    assert rg.cli_error(cli("iam", "delete-role", "--role-name", name)) == (
        "DeleteConflict", "DeleteRole", "Cannot delete entity, must remove roles from instance profile first.")
    assert cli("iam", "remove-role-from-instance-profile", "--instance-profile-name", prof, "--role-name", name)[0] == 0
    assert cli("iam", "delete-instance-profile", "--instance-profile-name", prof)[0] == 0
    assert cli("iam", "tag-role", "--role-name", name, "--tags", "Key=team,Value=ops")[0] == 0
    assert rg.cli_json(cli("iam", "list-role-tags", "--role-name", name))["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert cli("iam", "delete-role", "--role-name", name)[0] == 0
    assert rg.cli_error(cli("iam", "get-role", "--role-name", name)) == (
        "NoSuchEntity", "GetRole", f"The role with name {name} cannot be found.")
