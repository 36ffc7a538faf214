"""IAM policies through boto3 and the aws CLI:

  inline policies of users, groups and roles (Put/Get/List/Delete), their size quotas and validation;
  managed policies (Create/Get/List/Delete, up to five versions, default version, tags), the AWS-managed ones;
  Attach/Detach/ListAttached{User,Group,Role}Policies with the per-entity quota; ListEntitiesForPolicy;
  permissions boundaries of users; GetAccountAuthorizationDetails;
  and the server's authorization with these policies (an IAM user's inline, group and managed policies, explicit
  denies, permissions boundaries).

Documents come back URL-encoded on the wire (botocore decodes them into dicts); the raw tests read the XML."""
import json
import re
import urllib.parse

import pytest
from botocore.exceptions import ClientError

import rg

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
IAM_READONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
AWS_MANAGED = ["AdministratorAccess", "IAMFullAccess", "IAMReadOnlyAccess", "PowerUserAccess", "ReadOnlyAccess"]


def allow(*actions, effect="Allow", resource="*"):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": list(actions) if len(actions) > 1 else actions[0],
                           "Resource": resource}]}


def refused(call):
    with pytest.raises(ClientError) as ei:
        call()
    return rg.err(ei)[:3]


def raw_member(server, action, member, **params):
    r = rg.signed(server, rg.iam_form(action, **params))
    assert r.status == 200, r
    el = r.xml().find(f".//{{{rg.IAM_NS}}}{member}")
    assert el is not None, r.body
    return el.text


def doc_of_size(n):
    """An identity policy of exactly n characters that are not white space (with some white space besides)."""
    def render(resources):
        return json.dumps(allow("s3:GetObject", resource=resources), separators=(",", ":"))

    resources = []
    while len(render(resources + ["arn:aws:s3:::" + "b" * 200])) + 40 <= n:
        resources.append("arn:aws:s3:::" + "b" * 200)
    last = "arn:aws:s3:::b"
    pad = n - len(render(resources + [last]))
    assert pad >= 0, n
    out = render(resources + [last + "b" * pad])
    assert len(out) == n
    return out.replace('",', '",   ')


def make_policy(iam, doc=None, **kw):
    kw.setdefault("PolicyName", rg.unique("pol"))
    return iam.create_policy(PolicyDocument=json.dumps(doc or allow("s3:GetObject")), **kw)["Policy"]


def make_role(server, iam):
    name = rg.unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"}, "Action": "sts:AssumeRole"}]}))
    return name


def owners(server, iam):
    """A fresh user, group and role: [(kind, name)]."""
    user, grp = rg.unique("pu"), rg.unique("pg")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=grp)
    return [("User", user), ("Group", grp), ("Role", make_role(server, iam))]


def call(iam, op, kind, name, **kw):
    """iam.<op with Kind> (e.g. call(iam, "put_{}_policy", "Role", "r")) with {Kind}Name=name."""
    return getattr(iam, op.format(kind.lower()))(**{f"{kind}Name": name}, **kw)


# ---- inline policies --------------------------------------------------------------------------------------------

def test_inline_policies_every_owner(server, iam):
    for kind, name in owners(server, iam):
        doc = allow("iam:ListUsers")
        call(iam, "put_{}_policy", kind, name, PolicyName="Read", PolicyDocument=json.dumps(doc))
        got = call(iam, "get_{}_policy", kind, name, PolicyName="read")
        assert got[f"{kind}Name"] == name and got["PolicyName"] == "Read" and got["PolicyDocument"] == doc
        # replacing without regard to case keeps one policy, under the new spelling
        doc2 = allow("iam:ListGroups")
        call(iam, "put_{}_policy", kind, name, PolicyName="READ", PolicyDocument=json.dumps(doc2))
        call(iam, "put_{}_policy", kind, name, PolicyName="another", PolicyDocument=json.dumps(doc))
        listed = call(iam, "list_{}_policies", kind, name)
        assert listed["PolicyNames"] == ["another", "READ"] and listed["IsTruncated"] is False
        assert call(iam, "get_{}_policy", kind, name, PolicyName="Read")["PolicyDocument"] == doc2
        call(iam, "delete_{}_policy", kind, name, PolicyName="read")
        assert call(iam, "list_{}_policies", kind, name)["PolicyNames"] == ["another"]
        lower = kind.lower()
        assert refused(lambda: call(iam, "get_{}_policy", kind, name, PolicyName="read")) == (
            "NoSuchEntity", f"The {lower} policy with name read cannot be found.", 404)
        assert refused(lambda: call(iam, "delete_{}_policy", kind, name, PolicyName="read")) == (
            "NoSuchEntity", f"The {lower} policy with name read cannot be found.", 404)
        assert refused(lambda: call(iam, "put_{}_policy", kind, "ghost-owner", PolicyName="x",
                                    PolicyDocument=json.dumps(doc))) == (
            "NoSuchEntity", f"The {lower} with name ghost-owner cannot be found.", 404)


def test_inline_policy_document_is_url_encoded(server, iam):
    user = rg.unique("enc")
    iam.create_user(UserName=user)
    doc = '{"Version": "2012-10-17",\n "Statement": {"Sid": "x+y", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc)
    text = raw_member(server, "GetUserPolicy", "PolicyDocument", UserName=user, PolicyName="p")
    assert text == urllib.parse.quote(doc, safe="")
    assert urllib.parse.unquote(text) == doc  # stored as given


def test_inline_policy_validation(server, iam):
    user = rg.unique("val")
    iam.create_user(UserName=user)
    cases = [("{not json", "Syntax errors in policy."),
             (json.dumps({"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
              "Policy document should not specify a principal."),
             (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
              "Policy statement must contain resources.")]
    for doc, msg in cases:
        assert refused(lambda: iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc)) == (
            "MalformedPolicyDocument", msg, 400)
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []
    code, msg, _ = refused(lambda: iam.put_user_policy(UserName=user, PolicyName="bad name", PolicyDocument="{}"))
    assert code == "ValidationError" and "policyName" in msg


@pytest.mark.parametrize("kind,limit", [("User", 2048), ("Group", 5120), ("Role", 10240)])
def test_inline_size_quota_is_per_owner(server, iam, kind, limit):
    name = dict(owners(server, iam))[kind]

    doc = doc_of_size
    assert len(doc(limit // 2).replace(" ", "")) == limit // 2
    call(iam, "put_{}_policy", kind, name, PolicyName="one", PolicyDocument=doc(limit // 2))
    call(iam, "put_{}_policy", kind, name, PolicyName="two", PolicyDocument=doc(limit - limit // 2))
    # replacing one with a document of the same size still fits; one more character does not
    call(iam, "put_{}_policy", kind, name, PolicyName="TWO", PolicyDocument=doc(limit - limit // 2))
    assert refused(lambda: call(iam, "put_{}_policy", kind, name, PolicyName="two",
                                PolicyDocument=doc(limit - limit // 2 + 1))) == (
        "LimitExceeded", f"Maximum policy size of {limit} bytes exceeded for {kind.lower()} {name}", 409)
    assert refused(lambda: call(iam, "put_{}_policy", kind, name, PolicyName="three", PolicyDocument=doc(120)))[0] \
        == "LimitExceeded"
    assert call(iam, "list_{}_policies", kind, name)["PolicyNames"] == ["one", "TWO"]


def test_list_inline_policies_paged(server, iam):
    role = make_role(server, iam)
    names = [f"p{i:02d}" for i in range(7)]
    for n in names:
        iam.put_role_policy(RoleName=role, PolicyName=n, PolicyDocument=json.dumps(allow("s3:GetObject")))
    first = iam.list_role_policies(RoleName=role, MaxItems=3)
    assert first["PolicyNames"] == names[:3] and first["IsTruncated"] is True
    second = iam.list_role_policies(RoleName=role, MaxItems=3, Marker=first["Marker"])
    assert second["PolicyNames"] == names[3:6]
    assert iam.get_paginator("list_role_policies").paginate(
        RoleName=role, PaginationConfig={"PageSize": 2}).build_full_result()["PolicyNames"] == names


# ---- managed policies ---------------------------------------------------------------------------------------------

def test_create_and_get_policy(server, iam):
    name = rg.unique("Managed")
    p = make_policy(iam, PolicyName=name, Path="/team/", Description="what it is",
                    Tags=[{"Key": "owner", "Value": "ops"}])
    assert p["PolicyName"] == name and p["Path"] == "/team/"
    assert p["Arn"] == f"arn:aws:iam::{server.account}:policy/team/{name}"
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", p["PolicyId"])
    assert p["DefaultVersionId"] == "v1" and p["AttachmentCount"] == 0 and p["IsAttachable"] is True
    assert p["PermissionsBoundaryUsageCount"] == 0
    # CreatePolicy answers without Description (AWS: "included in the response to GetPolicy")
    assert "Description" not in p and p["Tags"] == [{"Key": "owner", "Value": "ops"}]
    got = iam.get_policy(PolicyArn=p["Arn"])["Policy"]
    assert got == {**p, "Description": "what it is"}
    v = iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]
    assert v["Document"] == allow("s3:GetObject") and v["IsDefaultVersion"] is True and v["VersionId"] == "v1"
    assert refused(lambda: make_policy(iam, PolicyName=name.lower())) == (
        "EntityAlreadyExists", f"A policy called {name.lower()} already exists. Duplicate names are not allowed.",
        409)
    missing = f"arn:aws:iam::{server.account}:policy/not-here"
    assert refused(lambda: iam.get_policy(PolicyArn=missing)) == (
        "NoSuchEntity", f"Policy {missing} was not found.", 404)
    assert refused(lambda: iam.get_policy(PolicyArn=f"arn:aws:iam::{server.account}:user/x"))[0] == "InvalidInput"


def test_policy_description_of_1000_characters(iam):
    text = "政策" * 500  # 1000 characters, 3000 bytes of UTF-8
    p = make_policy(iam, Description=text)
    assert iam.get_policy(PolicyArn=p["Arn"])["Policy"]["Description"] == text


def test_policy_version_document_is_url_encoded(server, iam):
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::a b/*"}]}'
    p = iam.create_policy(PolicyName=rg.unique("enc"), PolicyDocument=doc)["Policy"]
    text = raw_member(server, "GetPolicyVersion", "Document", PolicyArn=p["Arn"], VersionId="v1")
    assert text == urllib.parse.quote(doc, safe="") and urllib.parse.unquote(text) == doc


def test_managed_policy_size_and_validation(iam):
    doc = doc_of_size
    make_policy(iam, doc=None, PolicyName=rg.unique("big"))
    iam.create_policy(PolicyName=rg.unique("max"), PolicyDocument=doc(6144))
    assert refused(lambda: iam.create_policy(PolicyName=rg.unique("over"), PolicyDocument=doc(6145))) == (
        "LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409)
    assert refused(lambda: iam.create_policy(PolicyName=rg.unique("bad"), PolicyDocument="[]"))[0] == \
        "MalformedPolicyDocument"


def test_aws_managed_policies(iam):
    listed = iam.get_paginator("list_policies").paginate(Scope="AWS").build_full_result()["Policies"]
    assert sorted(p["PolicyName"] for p in listed) == AWS_MANAGED
    for p in listed:
        assert p["Arn"] == f"arn:aws:iam::aws:policy/{p['PolicyName']}" and p["Path"] == "/"
        assert p["PolicyId"].startswith("ANPA") and p["IsAttachable"] is True
    admin = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    assert admin["Description"] == "Provides full access to AWS services and resources."
    doc = iam.get_policy_version(PolicyArn=ADMIN, VersionId=admin["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert doc == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    power = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")["Policy"]
    pdoc = iam.get_policy_version(PolicyArn=power["Arn"], VersionId=power["DefaultVersionId"])["PolicyVersion"]
    assert pdoc["Document"]["Statement"][0]["NotAction"] == ["iam:*", "organizations:*", "account:*"]
    # nobody changes them
    for attempt in (lambda: iam.delete_policy(PolicyArn=ADMIN),
                    lambda: iam.create_policy_version(PolicyArn=ADMIN, PolicyDocument=json.dumps(allow("s3:*"))),
                    lambda: iam.tag_policy(PolicyArn=ADMIN, Tags=[{"Key": "a", "Value": "b"}])):
        assert refused(attempt)[0] == "AccessDenied"


def test_list_policies_scopes_and_filters(server, iam):
    p = "/" + rg.unique("lp") + "/"
    names = sorted((rg.unique(f"lp{i}") for i in range(4)), key=str.lower)
    arns = [make_policy(iam, PolicyName=n, Path=p)["Arn"] for n in names]
    local = iam.list_policies(Scope="Local", PathPrefix=p)["Policies"]
    assert [x["PolicyName"] for x in local] == names
    assert "Description" not in local[0] and "Tags" not in local[0]
    every = iam.get_paginator("list_policies").paginate(Scope="All").build_full_result()["Policies"]
    assert set(names + AWS_MANAGED) <= {x["PolicyName"] for x in every}
    assert not {x["PolicyName"] for x in iam.list_policies(Scope="AWS")["Policies"]} & set(names)
    # paging
    first = iam.list_policies(Scope="Local", PathPrefix=p, MaxItems=3)
    assert first["IsTruncated"] is True and len(first["Policies"]) == 3
    rest = iam.list_policies(Scope="Local", PathPrefix=p, MaxItems=3, Marker=first["Marker"])
    assert [x["PolicyName"] for x in first["Policies"] + rest["Policies"]] == names and rest["IsTruncated"] is False
    # OnlyAttached and PolicyUsageFilter
    user = rg.unique("lpu")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=arns[0])
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=arns[1])
    attached = iam.list_policies(Scope="Local", PathPrefix=p, OnlyAttached=True)["Policies"]
    assert [x["Arn"] for x in attached] == [arns[0]] and attached[0]["AttachmentCount"] == 1
    as_boundary = iam.list_policies(Scope="Local", PathPrefix=p, OnlyAttached=True,
                                    PolicyUsageFilter="PermissionsBoundary")["Policies"]
    assert [x["Arn"] for x in as_boundary] == [arns[1]] and as_boundary[0]["PermissionsBoundaryUsageCount"] == 1


def test_policy_versions(server, iam):
    p = make_policy(iam, doc=allow("s3:GetObject"))
    arn = p["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:PutObject")))["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is False and "Document" not in v2
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:DeleteObject")),
                                   SetAsDefault=True)["PolicyVersion"]
    assert v3["VersionId"] == "v3" and v3["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    versions = iam.list_policy_versions(PolicyArn=arn)
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions["Versions"]] == [
        ("v3", True), ("v2", False), ("v1", False)]
    assert "Document" not in versions["Versions"][0]
    page = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
    assert page["IsTruncated"] is True and len(page["Versions"]) == 2
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn, Marker=page["Marker"])["Versions"]] == \
        ["v1"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:ListBucket")))
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:ListAllMyBuckets")))
    assert refused(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:*")))) == (
        "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must "
        "delete an existing version.", 409)
    assert refused(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v3")) == (
        "DeleteConflict", "Cannot delete the default version of a policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert refused(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v1")) == (
        "NoSuchEntity", f"Policy {arn} version v1 does not exist or is not attachable.", 404)
    assert refused(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v1"))[0] == "NoSuchEntity"
    # version numbers keep counting up
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:*")))["PolicyVersion"][
        "VersionId"] == "v6"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["DefaultVersionId"] == "v2"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["IsDefaultVersion"] is True
    assert refused(lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="v9")) == (
        "NoSuchEntity", f"Policy {arn} version v9 does not exist or is not attachable.", 404)
    assert refused(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument="nope"))[0] == \
        "MalformedPolicyDocument"


def test_delete_policy_conflicts(server, iam):
    p = make_policy(iam)
    arn = p["Arn"]
    role = make_role(server, iam)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:*")))
    assert refused(lambda: iam.delete_policy(PolicyArn=arn)) == (
        "DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert refused(lambda: iam.delete_policy(PolicyArn=arn)) == (
        "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the "
        "policy's versions. The default version is deleted with the policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    # a permissions boundary in use holds it too
    user = rg.unique("bu")
    iam.create_user(UserName=user, PermissionsBoundary=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    assert refused(lambda: iam.delete_policy(PolicyArn=arn))[0] == "DeleteConflict"
    iam.delete_user_permissions_boundary(UserName=user)
    iam.delete_policy(PolicyArn=arn)
    assert refused(lambda: iam.get_policy(PolicyArn=arn))[0] == "NoSuchEntity"
    assert refused(lambda: iam.delete_policy(PolicyArn=arn))[0] == "NoSuchEntity"


def test_policy_tags(iam):
    p = make_policy(iam, Tags=[{"Key": "a", "Value": "1"}])
    arn = p["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "11"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "A", "Value": "11"}, {"Key": "b", "Value": "2"}]
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "b", "Value": "2"}]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    page = iam.list_policy_tags(PolicyArn=arn, MaxItems=20)
    assert page["IsTruncated"] is True and len(page["Tags"]) == 20
    assert refused(lambda: iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "more", "Value": "v"}])) == (
        "LimitExceeded", "Cannot exceed quota for TagsPerPolicy: 50", 409)


# ---- attachments --------------------------------------------------------------------------------------------------

def test_attach_detach_list_every_kind(server, iam):
    mine = make_policy(iam, Path="/att/")
    for kind, name in owners(server, iam):
        call(iam, "attach_{}_policy", kind, name, PolicyArn=mine["Arn"])
        call(iam, "attach_{}_policy", kind, name, PolicyArn=READONLY)
        call(iam, "attach_{}_policy", kind, name, PolicyArn=READONLY)  # twice changes nothing
        got = call(iam, "list_attached_{}_policies", kind, name)
        assert got["AttachedPolicies"] == [
            {"PolicyName": mine["PolicyName"], "PolicyArn": mine["Arn"]},
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY}] or got["AttachedPolicies"] == [
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": READONLY},
            {"PolicyName": mine["PolicyName"], "PolicyArn": mine["Arn"]}]
        only = call(iam, "list_attached_{}_policies", kind, name, PathPrefix="/att/")["AttachedPolicies"]
        assert [x["PolicyArn"] for x in only] == [mine["Arn"]]
        page = call(iam, "list_attached_{}_policies", kind, name, MaxItems=1)
        assert page["IsTruncated"] is True and len(page["AttachedPolicies"]) == 1
        rest = call(iam, "list_attached_{}_policies", kind, name, MaxItems=1, Marker=page["Marker"])
        assert len(rest["AttachedPolicies"]) == 1 and rest["IsTruncated"] is False
        missing = f"arn:aws:iam::{server.account}:policy/missing"
        assert refused(lambda: call(iam, "attach_{}_policy", kind, name, PolicyArn=missing)) == (
            "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)
        call(iam, "detach_{}_policy", kind, name, PolicyArn=READONLY)
        assert refused(lambda: call(iam, "detach_{}_policy", kind, name, PolicyArn=READONLY)) == (
            "NoSuchEntity", f"Policy {READONLY} was not found.", 404)
        assert [x["PolicyArn"] for x in call(iam, "list_attached_{}_policies", kind, name)["AttachedPolicies"]] == \
            [mine["Arn"]]
    assert iam.get_policy(PolicyArn=mine["Arn"])["Policy"]["AttachmentCount"] == 3


def test_attach_quota(server, iam):
    policies = [make_policy(iam)["Arn"] for _ in range(10)]
    extra = make_policy(iam)["Arn"]
    for kind, name in owners(server, iam):
        for arn in policies:
            call(iam, "attach_{}_policy", kind, name, PolicyArn=arn)
        assert refused(lambda: call(iam, "attach_{}_policy", kind, name, PolicyArn=extra)) == (
            "LimitExceeded", f"Cannot exceed quota for PoliciesPer{kind}: 10", 409)
        call(iam, "attach_{}_policy", kind, name, PolicyArn=policies[0])  # already there: fine
        assert len(call(iam, "list_attached_{}_policies", kind, name)["AttachedPolicies"]) == 10


def test_list_entities_for_policy(server, iam):
    p = make_policy(iam)
    arn = p["Arn"]
    (_, user), (_, grp), (_, role) = owners(server, iam)
    buser = rg.unique("bnd")
    iam.create_user(UserName=buser, Path="/b/", PermissionsBoundary=arn)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=grp, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    got = iam.list_entities_for_policy(PolicyArn=arn)
    assert [g["GroupName"] for g in got["PolicyGroups"]] == [grp]
    assert sorted(u["UserName"] for u in got["PolicyUsers"]) == sorted([user, buser])
    assert [r["RoleName"] for r in got["PolicyRoles"]] == [role]
    assert got["PolicyRoles"][0]["RoleId"].startswith("AROA") and got["IsTruncated"] is False
    only_users = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User",
                                              PolicyUsageFilter="PermissionsPolicy")
    assert [u["UserName"] for u in only_users["PolicyUsers"]] == [user]
    assert only_users["PolicyGroups"] == [] and only_users["PolicyRoles"] == []
    bounded = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert [u["UserName"] for u in bounded["PolicyUsers"]] == [buser] and bounded["PolicyRoles"] == []
    assert [u["UserName"] for u in iam.list_entities_for_policy(PolicyArn=arn, PathPrefix="/b/")["PolicyUsers"]] == \
        [buser]
    page = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert page["IsTruncated"] is True
    rest = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2, Marker=page["Marker"])
    n = sum(len(x[k]) for x in (page, rest) for k in ("PolicyGroups", "PolicyUsers", "PolicyRoles"))
    assert n == 4 and rest["IsTruncated"] is False


def test_user_permissions_boundary(server, iam):
    p = make_policy(iam)
    user = rg.unique("ub")
    u = iam.create_user(UserName=user, PermissionsBoundary=p["Arn"])["User"]
    assert u["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                        "PermissionsBoundaryArn": p["Arn"]}
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=IAM_READONLY)
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == IAM_READONLY
    iam.delete_user_permissions_boundary(UserName=user)
    assert "PermissionsBoundary" not in iam.get_user(UserName=user)["User"]
    missing = f"arn:aws:iam::{server.account}:policy/nope"
    assert refused(lambda: iam.create_user(UserName=rg.unique(), PermissionsBoundary=missing)) == (
        "NoSuchEntity", f"Scope ARN: {missing} does not exist or is not attachable.", 404)
    assert refused(lambda: iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=missing))[0] == \
        "NoSuchEntity"


# ---- GetAccountAuthorizationDetails --------------------------------------------------------------------------------

def test_account_authorization_details(fresh_server):
    server = fresh_server
    iam = rg.client(server, "iam")
    p = make_policy(iam, doc=allow("s3:GetObject"), PolicyName="detail-pol")
    iam.create_policy_version(PolicyArn=p["Arn"], PolicyDocument=json.dumps(allow("s3:PutObject")))
    iam.create_user(UserName="alice", Tags=[{"Key": "t", "Value": "1"}])
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    iam.put_group_policy(GroupName="devs", PolicyName="g", PolicyDocument=json.dumps(allow("iam:ListGroups")))
    iam.attach_group_policy(GroupName="devs", PolicyArn=p["Arn"])
    role = make_role(server, iam)
    iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN)
    iam.create_instance_profile(InstanceProfileName="prof")
    iam.add_role_to_instance_profile(InstanceProfileName="prof", RoleName=role)

    d = iam.get_account_authorization_details()
    assert d["IsTruncated"] is False
    [u] = d["UserDetailList"]
    assert u["UserName"] == "alice" and u["GroupList"] == ["devs"] and u["Tags"] == [{"Key": "t", "Value": "1"}]
    assert u["UserPolicyList"] == [{"PolicyName": "own", "PolicyDocument": allow("iam:ListUsers")}]
    [g] = d["GroupDetailList"]
    assert g["GroupPolicyList"] == [{"PolicyName": "g", "PolicyDocument": allow("iam:ListGroups")}]
    assert g["AttachedManagedPolicies"] == [{"PolicyName": "detail-pol", "PolicyArn": p["Arn"]}]
    [r] = d["RoleDetailList"]
    assert r["RoleName"] == role and r["AttachedManagedPolicies"] == [{"PolicyName": "AdministratorAccess",
                                                                       "PolicyArn": ADMIN}]
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"
    assert [x["InstanceProfileName"] for x in r["InstanceProfileList"]] == ["prof"]
    # the account's own policies, and the AWS-managed ones in use here only
    assert sorted(x["PolicyName"] for x in d["Policies"]) == ["AdministratorAccess", "detail-pol"]
    mine = [x for x in d["Policies"] if x["PolicyName"] == "detail-pol"][0]
    assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"]) for v in mine["PolicyVersionList"]] == [
        ("v2", False, allow("s3:PutObject")), ("v1", True, allow("s3:GetObject"))]

    only = iam.get_account_authorization_details(Filter=["Role", "AWSManagedPolicy"])
    assert only["UserDetailList"] == [] and only["GroupDetailList"] == []
    assert [x["RoleName"] for x in only["RoleDetailList"]] == [role]
    assert [x["PolicyName"] for x in only["Policies"]] == ["AdministratorAccess"]

    # paged one entry at a time, the pages add up to the whole
    pages = list(iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 1}))
    assert len(pages) == 5
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
        assert [x for pg in pages for x in pg[key]] == d[key], key

    raw = raw_member(server, "GetAccountAuthorizationDetails", "PolicyDocument")
    assert raw.startswith("%7B%22Version%22")


# ---- the aws CLI ----------------------------------------------------------------------------------------------------

def test_policies_cli(server, iam, cli):
    user = rg.unique("cliu")
    iam.create_user(UserName=user)
    doc = allow("iam:ListUsers")
    assert cli("iam", "put-user-policy", "--user-name", user, "--policy-name", "p",
               "--policy-document", json.dumps(doc))[0] == 0
    got = rg.cli_json(cli("iam", "get-user-policy", "--user-name", user, "--policy-name", "p"))
    assert got["PolicyDocument"] == doc  # the CLI decodes it for display
    assert rg.cli_json(cli("iam", "list-user-policies", "--user-name", user))["PolicyNames"] == ["p"]
    name = rg.unique("clipol")
    pol = rg.cli_json(cli("iam", "create-policy", "--policy-name", name, "--policy-document", json.dumps(doc),
                          "--description", "d"))["Policy"]
    assert pol["Arn"] == f"arn:aws:iam::{server.account}:policy/{name}"
    v = rg.cli_json(cli("iam", "create-policy-version", "--policy-arn", pol["Arn"], "--policy-document",
                        json.dumps(allow("iam:ListRoles")), "--set-as-default"))["PolicyVersion"]
    assert v["VersionId"] == "v2" and v["IsDefaultVersion"] is True
    assert [x["VersionId"] for x in rg.cli_json(cli("iam", "list-policy-versions", "--policy-arn",
                                                    pol["Arn"]))["Versions"]] == ["v2", "v1"]
    assert cli("iam", "attach-user-policy", "--user-name", user, "--policy-arn", pol["Arn"])[0] == 0
    ents = rg.cli_json(cli("iam", "list-entities-for-policy", "--policy-arn", pol["Arn"]))
    assert [x["UserName"] for x in ents["PolicyUsers"]] == [user]
    assert rg.cli_error(cli("iam", "delete-policy", "--policy-arn", pol["Arn"])) == (
        "DeleteConflict", "DeletePolicy", "Cannot delete a policy attached to entities.")
    assert rg.cli_error(cli("iam", "put-user-policy", "--user-name", user, "--policy-name", "q",
                            "--policy-document", "{}")) [0] == "MalformedPolicyDocument"
    attached = rg.cli_json(cli("iam", "list-attached-user-policies", "--user-name", user))["AttachedPolicies"]
    assert attached == [{"PolicyName": name, "PolicyArn": pol["Arn"]}]
    assert cli("iam", "detach-user-policy", "--user-name", user, "--policy-arn", pol["Arn"])[0] == 0
    assert cli("iam", "delete-policy-version", "--policy-arn", pol["Arn"], "--version-id", "v1")[0] == 0
    assert cli("iam", "delete-policy", "--policy-arn", pol["Arn"])[0] == 0
    details = rg.cli_json(cli("iam", "get-account-authorization-details", "--filter", "User"))
    mine = [x for x in details["UserDetailList"] if x["UserName"] == user]
    assert mine and mine[0]["UserPolicyList"] == [{"PolicyName": "p", "PolicyDocument": doc}]


# ---- authorization with these policies ---------------------------------------------------------------------------
#
# The server's authorization (src/server/authz.c) loads the caller's policies with principal_policies_load().


def denied(call_):
    code, msg, status = refused(call_)
    assert (code, status) == ("AccessDenied", 403)
    return msg


def test_authz_inline_policy_allows(server, iam):
    user, [creds] = rg.make_user(iam)
    me = rg.client(server, "iam", creds)
    assert "because no identity-based policy allows the iam:ListUsers action" in denied(lambda: me.list_users())
    iam.put_user_policy(UserName=user["UserName"], PolicyName="list", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    assert user["UserName"] in [u["UserName"] for u in me.list_users()["Users"]]
    # only what it allows
    assert "iam:ListRoles" in denied(lambda: me.list_roles())
    iam.delete_user_policy(UserName=user["UserName"], PolicyName="list")
    denied(lambda: me.list_users())


def test_authz_group_and_managed_policies(server, iam):
    user, [creds] = rg.make_user(iam)
    me = rg.client(server, "iam", creds)
    grp = rg.unique("authz")
    iam.create_group(GroupName=grp)
    iam.attach_group_policy(GroupName=grp, PolicyArn=IAM_READONLY)
    denied(lambda: me.list_roles())
    iam.add_user_to_group(GroupName=grp, UserName=user["UserName"])
    me.list_roles()
    me.get_user()
    assert "iam:CreateGroup" in denied(lambda: me.create_group(GroupName=rg.unique()))
    # a managed policy's new default version changes what it grants
    pol = make_policy(iam, doc=allow("iam:ListGroups"))
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=pol["Arn"])
    me.list_groups()
    iam.create_policy_version(PolicyArn=pol["Arn"], PolicyDocument=json.dumps(allow("iam:ListPolicies")),
                              SetAsDefault=True)
    me.list_policies(Scope="Local")


def test_authz_explicit_deny_in_group_wins(server, iam):
    user, [creds] = rg.make_user(iam)
    me = rg.client(server, "iam", creds)
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
    me.list_users()
    grp = rg.unique("deny")
    iam.create_group(GroupName=grp)
    iam.put_group_policy(GroupName=grp, PolicyName="no-list",
                         PolicyDocument=json.dumps(allow("iam:ListUsers", effect="Deny")))
    iam.add_user_to_group(GroupName=grp, UserName=user["UserName"])
    msg = denied(lambda: me.list_users())
    assert msg == (f"User: {user['Arn']} is not authorized to perform: iam:ListUsers on resource: "
                   f"arn:aws:iam::{server.account}:user/ with an explicit deny in an identity-based policy")
    me.list_groups()  # everything else is still allowed


def test_authz_permissions_boundary_limits(server, iam):
    user, [creds] = rg.make_user(iam)
    me = rg.client(server, "iam", creds)
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=ADMIN)
    me.list_roles()
    iam.put_user_permissions_boundary(UserName=user["UserName"], PermissionsBoundary=make_policy(
        iam, doc=allow("iam:ListUsers", "iam:GetUser"))["Arn"])
    me.list_users()
    msg = denied(lambda: me.list_roles())
    assert "iam:ListRoles" in msg and "permissions boundary" in msg
    iam.delete_user_permissions_boundary(UserName=user["UserName"])
    me.list_roles()


def test_policy_id_and_action_syntax(iam):
    """An Id that is not a string and an action with a second colon are refused, as AWS refuses them (found by moto's
    test_iam_policies.py through tests/moto/run-moto-suite.py)."""
    stmt = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}
    for bad_id in (["cd3a324d"], {}):
        doc = json.dumps({"Version": "2012-10-17", "Id": bad_id, "Statement": stmt})
        assert refused(lambda: iam.create_policy(PolicyName=rg.unique("id"), PolicyDocument=doc))[:2] == (
            "MalformedPolicyDocument", "Syntax errors in policy.")
    iam.create_policy(PolicyName=rg.unique("id"), PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Id": "cd3a324d", "Statement": stmt}))
    for action in ("s3:List:Bucket", ["s3:ListBucket", "s:3s:ListBucket"]):
        doc = json.dumps({"Version": "2012-10-17", "Statement": {**stmt, "Action": action}})
        assert refused(lambda: iam.create_policy(PolicyName=rg.unique("colon"), PolicyDocument=doc))[:2] == (
            "MalformedPolicyDocument", "Actions/Condition can contain only one colon.")
    # a resource that is not an ARN is reported first, as AWS does
    doc = json.dumps({"Version": "2012-10-17", "Statement": {**stmt, "Action": "s:3:ListBucket", "Resource": "sdf"}})
    assert refused(lambda: iam.create_policy(PolicyName=rg.unique("colon"), PolicyDocument=doc))[:2] == (
        "MalformedPolicyDocument", 'Resource sdf must be in ARN format or "*".')
