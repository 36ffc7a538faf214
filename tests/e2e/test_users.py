"""IAM users through boto3: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser, ListUserTags."""
import datetime
import re

import pytest
from botocore.exceptions import ClientError

import rg


def test_create_user_fields(server, iam):
    name = rg.unique("Create")
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    r = iam.create_user(UserName=name, Path="/division/team/",
                        Tags=[{"Key": "Dept", "Value": "Eng"}, {"Key": "cost-center", "Value": ""}])
    u = r["User"]
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert u["UserName"] == name
    assert u["Path"] == "/division/team/"
    assert u["Arn"] == f"arn:aws:iam::{server.account}:user/division/team/{name}"
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", u["UserId"]), u["UserId"]
    assert before - datetime.timedelta(seconds=5) <= u["CreateDate"] <= before + datetime.timedelta(seconds=60)
    assert u["Tags"] == [{"Key": "Dept", "Value": "Eng"}, {"Key": "cost-center", "Value": ""}]

    got = iam.get_user(UserName=name)["User"]
    assert got["UserId"] == u["UserId"] and got["Arn"] == u["Arn"] and got["Path"] == u["Path"]
    assert got["Tags"] == u["Tags"]


def test_create_user_default_path_and_no_tags(server, iam):
    name = rg.unique()
    u = iam.create_user(UserName=name)["User"]
    assert u["Path"] == "/"
    assert u["Arn"] == f"arn:aws:iam::{server.account}:user/{name}"
    assert "Tags" not in u


def test_create_user_duplicate_is_case_insensitive(iam):
    iam.create_user(UserName="anay")
    for dup in ("anay", "ANAY", "Anay"):
        with pytest.raises(ClientError) as ei:
            iam.create_user(UserName=dup)
        code, msg, status, _ = rg.err(ei)
        assert (code, status) == ("EntityAlreadyExists", 409)
        assert msg == f"User with name {dup} already exists."
    # the original keeps its case, and lookups ignore case
    assert iam.get_user(UserName="ANAY")["User"]["UserName"] == "anay"


def test_get_user_without_name_as_root(server, iam):
    u = iam.get_user()["User"]
    assert u["Arn"] == f"arn:aws:iam::{server.account}:root"
    assert u["UserId"] == server.account
    assert "UserName" not in u


def test_get_user_as_user_without_policy_is_denied(server, iam):
    user, [creds] = rg.make_user(iam)
    me = rg.client(server, "iam", creds)
    with pytest.raises(ClientError) as ei:
        me.get_user()
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (f"User: {user['Arn']} is not authorized to perform: iam:GetUser on resource: {user['Arn']} "
                   f"because no identity-based policy allows the iam:GetUser action")


def test_get_missing_user(iam):
    with pytest.raises(ClientError) as ei:
        iam.get_user(UserName="nobody-here")
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("NoSuchEntity", 404)
    assert msg == "The user with name nobody-here cannot be found."


def test_list_users_path_prefix(iam):
    p = "/" + rg.unique("lp") + "/"
    a = iam.create_user(UserName=rg.unique("lp-a"), Path=p)["User"]
    b = iam.create_user(UserName=rg.unique("lp-b"), Path=p + "sub/")["User"]
    iam.create_user(UserName=rg.unique("lp-c"), Path="/elsewhere/")
    got = iam.list_users(PathPrefix=p)
    assert got["IsTruncated"] is False
    assert sorted(u["UserName"] for u in got["Users"]) == sorted([a["UserName"], b["UserName"]])
    assert {u["UserName"] for u in iam.list_users(PathPrefix=p + "sub/")["Users"]} == {b["UserName"]}
    assert iam.list_users(PathPrefix="/no-such-path/")["Users"] == []
    # the whole listing contains all of them too, with the User fields
    everyone = {u["UserName"]: u for u in iam.get_paginator("list_users").paginate().build_full_result()["Users"]}
    assert everyone[a["UserName"]]["Arn"] == a["Arn"]
    assert everyone[a["UserName"]]["UserId"] == a["UserId"]


def test_list_users_pagination(iam):
    p = "/" + rg.unique("pg") + "/"
    names = sorted(rg.unique(f"pg{i}") for i in range(5))
    for n in names:
        iam.create_user(UserName=n, Path=p)
    first = iam.list_users(PathPrefix=p, MaxItems=2)
    assert first["IsTruncated"] is True
    assert first["Marker"]
    assert len(first["Users"]) == 2
    second = iam.list_users(PathPrefix=p, MaxItems=2, Marker=first["Marker"])
    assert len(second["Users"]) == 2 and second["IsTruncated"] is True
    third = iam.list_users(PathPrefix=p, MaxItems=2, Marker=second["Marker"])
    assert len(third["Users"]) == 1 and third["IsTruncated"] is False and "Marker" not in third
    pages = [first, second, third]
    assert [u["UserName"] for pg in pages for u in pg["Users"]] == sorted(names, key=str.lower)

    collected = []
    npages = 0
    for page in iam.get_paginator("list_users").paginate(PathPrefix=p, PaginationConfig={"PageSize": 2}):
        npages += 1
        collected += [u["UserName"] for u in page["Users"]]
    assert npages == 3
    assert sorted(collected) == names


def test_list_users_bad_marker(iam):
    with pytest.raises(ClientError) as ei:
        iam.list_users(Marker="not-a-marker")
    code, _, status, _ = rg.err(ei)
    assert (code, status) == ("InvalidInput", 400)


def test_update_user_rename_and_path(server, iam):
    old, new = rg.unique("old"), rg.unique("new")
    u = iam.create_user(UserName=old, Tags=[{"Key": "k", "Value": "v"}])["User"]
    iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
    got = iam.get_user(UserName=new)["User"]
    assert got["UserId"] == u["UserId"]
    assert got["Path"] == "/moved/"
    assert got["Arn"] == f"arn:aws:iam::{server.account}:user/moved/{new}"
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as ei:
        iam.get_user(UserName=old)
    assert rg.err(ei)[0] == "NoSuchEntity"
    # the old name is free again
    iam.create_user(UserName=old)


def test_update_user_rename_keeps_keys_working(server, iam):
    user, [creds] = rg.make_user(iam)
    new = rg.unique("renamed")
    iam.update_user(UserName=user["UserName"], NewUserName=new, NewPath="/x/")
    me = rg.client(server, "sts", creds).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{server.account}:user/x/{new}"
    assert me["UserId"] == user["UserId"]


def test_update_user_onto_existing_name(iam):
    a, b = rg.unique("ua"), rg.unique("ub")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    with pytest.raises(ClientError) as ei:
        iam.update_user(UserName=a, NewUserName=b.upper())
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert msg == f"User with name {b.upper()} already exists."
    assert iam.get_user(UserName=a)["User"]["UserName"] == a  # unchanged


def test_update_missing_user(iam):
    with pytest.raises(ClientError) as ei:
        iam.update_user(UserName="ghost-user", NewPath="/p/")
    assert rg.err(ei)[:3] == ("NoSuchEntity", "The user with name ghost-user cannot be found.", 404)


def test_delete_user_with_keys_conflicts(iam):
    user, creds = rg.make_user(iam, keys=2)
    name = user["UserName"]
    with pytest.raises(ClientError) as ei:
        iam.delete_user(UserName=name)
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("DeleteConflict", 409)
    assert msg == "Cannot delete entity, must delete access keys first."
    iam.delete_access_key(UserName=name, AccessKeyId=creds[0][0])
    with pytest.raises(ClientError) as ei:
        iam.delete_user(UserName=name)
    assert rg.err(ei)[0] == "DeleteConflict"
    iam.delete_access_key(UserName=name, AccessKeyId=creds[1][0])
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as ei:
        iam.get_user(UserName=name)
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("NoSuchEntity", 404)
    assert msg == f"The user with name {name} cannot be found."
    assert name not in [u["UserName"] for u in iam.list_users()["Users"]]
    with pytest.raises(ClientError) as ei:
        iam.delete_user(UserName=name)
    assert rg.err(ei)[0] == "NoSuchEntity"


def test_deleted_user_recreated_has_no_old_tags(iam):
    name = rg.unique("re")
    first = iam.create_user(UserName=name, Tags=[{"Key": "old", "Value": "1"}])["User"]
    iam.delete_user(UserName=name)
    second = iam.create_user(UserName=name)["User"]
    assert second["UserId"] != first["UserId"]
    assert iam.list_user_tags(UserName=name)["Tags"] == []


# ---- tags --------------------------------------------------------------------------------------------------------

def test_tag_untag_list(iam):
    name = rg.unique("tags")
    iam.create_user(UserName=name, Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_user(UserName=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}])
    assert iam.list_user_tags(UserName=name)["Tags"] == [
        {"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]
    iam.untag_user(UserName=name, TagKeys=["b", "not-there"])
    r = iam.list_user_tags(UserName=name)
    assert r["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "c", "Value": "3"}]
    assert r["IsTruncated"] is False
    assert iam.get_user(UserName=name)["User"]["Tags"] == r["Tags"]


def test_tag_key_is_case_insensitive(iam):
    name = rg.unique("tagci")
    iam.create_user(UserName=name, Tags=[{"Key": "Env", "Value": "dev"}])
    iam.tag_user(UserName=name, Tags=[{"Key": "ENV", "Value": "prod"}])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "ENV", "Value": "prod"}]
    iam.untag_user(UserName=name, TagKeys=["env"])
    assert iam.list_user_tags(UserName=name)["Tags"] == []


def test_tag_duplicate_keys_in_one_call(iam):
    name = rg.unique("tagdup")
    iam.create_user(UserName=name)
    for tags in ([{"Key": "x", "Value": "1"}, {"Key": "x", "Value": "2"}],
                 [{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]):
        with pytest.raises(ClientError) as ei:
            iam.tag_user(UserName=name, Tags=tags)
        code, msg, status, _ = rg.err(ei)
        assert (code, status) == ("InvalidInput", 400)
        assert "Duplicate tag keys" in msg
    with pytest.raises(ClientError) as ei:
        iam.create_user(UserName=rg.unique(), Tags=[{"Key": "d", "Value": "1"}, {"Key": "D", "Value": "2"}])
    assert rg.err(ei)[0] == "InvalidInput"
    assert iam.list_user_tags(UserName=name)["Tags"] == []


def test_tag_limit_50(iam):
    name = rg.unique("taglim")
    iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(30)])
    iam.tag_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "w"} for i in range(30, 50)])
    assert len(iam.list_user_tags(UserName=name)["Tags"]) == 50
    # replacing existing keys (any case) does not count against the quota
    iam.tag_user(UserName=name, Tags=[{"Key": f"K{i}", "Value": "z"} for i in range(0, 50, 7)])
    with pytest.raises(ClientError) as ei:
        iam.tag_user(UserName=name, Tags=[{"Key": "one-more", "Value": "v"}])
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("LimitExceeded", 409)
    assert "TagsPerUser" in msg and "50" in msg
    tags = iam.list_user_tags(UserName=name)["Tags"]
    assert len(tags) == 50
    assert "one-more" not in [t["Key"] for t in tags]


def test_tag_more_than_50_in_one_call(iam):
    name = rg.unique("tag51")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as ei:
        iam.tag_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    code, msg, status, _ = rg.err(ei)
    assert (code, status) == ("ValidationError", 400)
    assert "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50" in msg
    with pytest.raises(ClientError) as ei:
        iam.create_user(UserName=name + "x", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert rg.err(ei)[0] == "ValidationError"
    with pytest.raises(ClientError):
        iam.get_user(UserName=name + "x")


def test_list_user_tags_pagination(iam):
    name = rg.unique("tagpg")
    tags = [{"Key": f"key{i:02d}", "Value": str(i)} for i in range(7)]
    iam.create_user(UserName=name, Tags=tags)
    got, marker, pages = [], None, 0
    while True:
        kw = {"UserName": name, "MaxItems": 3}
        if marker:
            kw["Marker"] = marker
        r = iam.list_user_tags(**kw)
        pages += 1
        got += r["Tags"]
        if not r["IsTruncated"]:
            break
        marker = r["Marker"]
    assert pages == 3
    assert got == tags


def test_tags_of_missing_user(iam):
    for call in (lambda: iam.tag_user(UserName="nope-user", Tags=[{"Key": "a", "Value": "b"}]),
                 lambda: iam.untag_user(UserName="nope-user", TagKeys=["a"]),
                 lambda: iam.list_user_tags(UserName="nope-user")):
        with pytest.raises(ClientError) as ei:
            call()
        assert rg.err(ei)[:3] == ("NoSuchEntity", "The user with name nope-user cannot be found.", 404)


# ---- characters --------------------------------------------------------------------------------------------------

def test_unicode_tags(iam):
    # tag keys and values allow any letter or number (\p{L}, \p{N}), not just ASCII
    name = rg.unique("uni")
    tags = [{"Key": "größe", "Value": "café"}, {"Key": "東京", "Value": "٣ ٤"}, {"Key": "k", "Value": "é" * 256}]
    u = iam.create_user(UserName=name, Tags=tags)["User"]
    assert u["Tags"] == tags
    assert iam.list_user_tags(UserName=name)["Tags"] == tags
    # lengths count characters, not bytes: 256 two-byte characters fit, 257 do not
    with pytest.raises(ClientError) as ei:
        iam.tag_user(UserName=name, Tags=[{"Key": "k2", "Value": "é" * 257}])
    code, msg, _, _ = rg.err(ei)
    assert code == "ValidationError" and "Member must have length less than or equal to 256" in msg


def test_xml_special_characters_round_trip(server, iam):
    # the path allows every printable ASCII character, XML's special ones included
    path = "/a<b>&c'd\"e/"
    name = rg.unique("xml")
    u = iam.create_user(UserName=name, Path=path)["User"]
    assert u["Path"] == path
    assert u["Arn"] == f"arn:aws:iam::{server.account}:user{path}{name}"
    assert iam.get_user(UserName=name)["User"]["Path"] == path
    assert [x["UserName"] for x in iam.list_users(PathPrefix="/a<b>&")["Users"]] == [name]
    # and an error message that echoes them is still well-formed XML
    with pytest.raises(ClientError) as ei:
        iam.create_user(UserName="x<y&z")
    code, msg, _, _ = rg.err(ei)
    assert code == "ValidationError" and "Value 'x<y&z' at 'userName'" in msg


def test_path_prefix_is_not_a_pattern(iam):
    # '%' and '_' are LIKE wildcards in SQL; a path prefix must match literally
    a = rg.unique("lit")
    iam.create_user(UserName=a, Path="/lit_x%/")
    b = rg.unique("lit")
    iam.create_user(UserName=b, Path="/litAxyz/")
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/lit_x%/")["Users"]] == [a]
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/lit_")["Users"]] == [a]
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/lit%")["Users"]] == []


def test_rename_to_other_case_of_own_name(iam):
    name = rg.unique("case")
    u = iam.create_user(UserName=name)["User"]
    iam.update_user(UserName=name, NewUserName=name.upper())
    got = iam.get_user(UserName=name)["User"]
    assert got["UserName"] == name.upper() and got["UserId"] == u["UserId"]


def test_delete_user_with_login_profile_or_mfa_device(server, iam):
    """DeleteUser refuses while the user has a login profile or an MFA device, in IAM's words."""
    from test_mfa import create as create_mfa, pair, step

    user, _ = rg.make_user(iam, keys=0)
    name = user["UserName"]
    iam.create_login_profile(UserName=name, Password="Correct-Horse-9-Battery")
    with pytest.raises(ClientError) as ei:
        iam.delete_user(UserName=name)
    assert rg.err(ei)[:3] == ("DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)
    iam.delete_login_profile(UserName=name)
    serial, seed = create_mfa(iam)
    c1, c2 = pair(seed, step() - 1)
    iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1=c1, AuthenticationCode2=c2)
    with pytest.raises(ClientError) as ei:
        iam.delete_user(UserName=name)
    assert rg.err(ei)[:3] == ("DeleteConflict", "Cannot delete entity, must delete MFA device first.", 409)
    iam.deactivate_mfa_device(UserName=name, SerialNumber=serial)
    iam.delete_user(UserName=name)
