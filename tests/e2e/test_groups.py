"""IAM groups through boto3 and the aws CLI: CreateGroup, GetGroup (paged users), UpdateGroup, DeleteGroup, ListGroups,
AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser, and DeleteUser's refusals while memberships remain."""
import json
import re

import pytest
from botocore.exceptions import ClientError

import rg

ALLOW_LIST_USERS = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]})


def refused(call):
    with pytest.raises(ClientError) as ei:
        call()
    return rg.err(ei)[:3]


def test_create_get_group(server, iam):
    name = rg.unique("Grp")
    g = iam.create_group(GroupName=name, Path="/teams/")["Group"]
    assert g["GroupName"] == name and g["Path"] == "/teams/"
    assert g["Arn"] == f"arn:aws:iam::{server.account}:group/teams/{name}"
    assert re.fullmatch(r"AGPA[A-Z2-7]{17}", g["GroupId"]), g["GroupId"]
    got = iam.get_group(GroupName=name.upper())
    assert got["Group"] == g
    assert got["Users"] == [] and got["IsTruncated"] is False
    # default path
    h = iam.create_group(GroupName=rg.unique("grp"))["Group"]
    assert h["Path"] == "/" and h["Arn"] == f"arn:aws:iam::{server.account}:group/{h['GroupName']}"


def test_group_name_taken_without_regard_to_case(iam):
    name = rg.unique("dup")
    iam.create_group(GroupName=name)
    assert refused(lambda: iam.create_group(GroupName=name.upper())) == (
        "EntityAlreadyExists", f"Group with name {name.upper()} already exists.", 409)


def test_missing_group(iam):
    for call in (lambda: iam.get_group(GroupName="no-such-group"),
                 lambda: iam.delete_group(GroupName="no-such-group"),
                 lambda: iam.update_group(GroupName="no-such-group", NewPath="/x/"),
                 lambda: iam.add_user_to_group(GroupName="no-such-group", UserName="whoever"),
                 lambda: iam.list_group_policies(GroupName="no-such-group")):
        assert refused(call) == ("NoSuchEntity", "The group with name no-such-group cannot be found.", 404)


def test_group_name_validation(iam):
    code, msg, status = refused(lambda: iam.create_group(GroupName="bad name!"))
    assert (code, status) == ("ValidationError", 400)
    assert "groupName" in msg
    # group names take up to 128 characters, more than user names
    long = "g" * 128
    assert iam.create_group(GroupName=long)["Group"]["GroupName"] == long
    assert iam.get_group(GroupName=long)["Group"]["GroupName"] == long
    assert refused(lambda: iam.create_group(GroupName="g" * 129))[0] == "ValidationError"


def test_membership(server, iam):
    grp = rg.unique("members")
    iam.create_group(GroupName=grp)
    users = sorted((rg.unique(f"m{i}") for i in range(5)), key=str.lower)
    for u in users:
        iam.create_user(UserName=u)
        iam.add_user_to_group(GroupName=grp, UserName=u)
    # adding twice changes nothing
    iam.add_user_to_group(GroupName=grp, UserName=users[0].upper())
    got = iam.get_group(GroupName=grp)
    assert [u["UserName"] for u in got["Users"]] == users
    assert got["Users"][0]["Arn"] == f"arn:aws:iam::{server.account}:user/{users[0]}"
    assert got["Users"][0]["UserId"].startswith("AIDA")
    # paged
    first = iam.get_group(GroupName=grp, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    second = iam.get_group(GroupName=grp, MaxItems=2, Marker=first["Marker"])
    third = iam.get_group(GroupName=grp, MaxItems=2, Marker=second["Marker"])
    assert third["IsTruncated"] is False and "Marker" not in third
    assert [u["UserName"] for p in (first, second, third) for u in p["Users"]] == users
    assert [u["UserName"] for u in iam.get_paginator("get_group").paginate(
        GroupName=grp, PaginationConfig={"PageSize": 3}).build_full_result()["Users"]] == users

    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=users[1])["Groups"]] == [grp]
    iam.remove_user_from_group(GroupName=grp, UserName=users[1])
    assert iam.list_groups_for_user(UserName=users[1])["Groups"] == []
    assert users[1] not in [u["UserName"] for u in iam.get_group(GroupName=grp)["Users"]]
    assert refused(lambda: iam.remove_user_from_group(GroupName=grp, UserName=users[1])) == (
        "NoSuchEntity", f"The user with name {users[1]} cannot be found.", 404)
    assert refused(lambda: iam.add_user_to_group(GroupName=grp, UserName="nobody-x")) == (
        "NoSuchEntity", "The user with name nobody-x cannot be found.", 404)
    assert refused(lambda: iam.list_groups_for_user(UserName="nobody-x"))[0] == "NoSuchEntity"


def test_groups_for_user_paged_and_quota(iam):
    user = rg.unique("joiner")
    iam.create_user(UserName=user)
    groups = sorted((rg.unique(f"q{i}") for i in range(10)), key=str.lower)
    for g in groups:
        iam.create_group(GroupName=g)
        iam.add_user_to_group(GroupName=g, UserName=user)
    page = iam.list_groups_for_user(UserName=user, MaxItems=4)
    assert page["IsTruncated"] is True and len(page["Groups"]) == 4
    assert [g["GroupName"] for g in iam.get_paginator("list_groups_for_user").paginate(
        UserName=user, PaginationConfig={"PageSize": 4}).build_full_result()["Groups"]] == groups
    extra = rg.unique("q-extra")
    iam.create_group(GroupName=extra)
    assert refused(lambda: iam.add_user_to_group(GroupName=extra, UserName=user)) == (
        "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)
    assert iam.get_group(GroupName=extra)["Users"] == []
    # re-adding to a group it is in is still fine at the quota
    iam.add_user_to_group(GroupName=groups[0], UserName=user)


def test_list_groups_path_prefix_and_pages(iam):
    p = "/" + rg.unique("gp") + "/"
    names = sorted((rg.unique(f"lg{i}") for i in range(5)), key=str.lower)
    for n in names:
        iam.create_group(GroupName=n, Path=p)
    iam.create_group(GroupName=rg.unique("other"), Path="/other/")
    got = iam.list_groups(PathPrefix=p)
    assert [g["GroupName"] for g in got["Groups"]] == names and got["IsTruncated"] is False
    first = iam.list_groups(PathPrefix=p, MaxItems=3)
    assert first["IsTruncated"] is True and len(first["Groups"]) == 3
    rest = iam.list_groups(PathPrefix=p, MaxItems=3, Marker=first["Marker"])
    assert [g["GroupName"] for g in first["Groups"] + rest["Groups"]] == names
    assert rest["IsTruncated"] is False
    assert refused(lambda: iam.list_groups(Marker="garbage"))[0] == "InvalidInput"


def test_update_group(server, iam):
    old, new = rg.unique("old"), rg.unique("new")
    g = iam.create_group(GroupName=old)["Group"]
    user = rg.unique("inside")
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=old, UserName=user)
    iam.update_group(GroupName=old, NewGroupName=new, NewPath="/moved/")
    got = iam.get_group(GroupName=new)
    assert got["Group"]["GroupId"] == g["GroupId"]
    assert got["Group"]["Arn"] == f"arn:aws:iam::{server.account}:group/moved/{new}"
    assert [u["UserName"] for u in got["Users"]] == [user]
    assert refused(lambda: iam.get_group(GroupName=old))[0] == "NoSuchEntity"
    other = rg.unique("taken")
    iam.create_group(GroupName=other)
    assert refused(lambda: iam.update_group(GroupName=new, NewGroupName=other.upper())) == (
        "EntityAlreadyExists", f"Group with name {other.upper()} already exists.", 409)


def test_delete_group_conflicts(iam):
    grp, user = rg.unique("del"), rg.unique("delu")
    iam.create_group(GroupName=grp)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=grp, UserName=user)
    iam.put_group_policy(GroupName=grp, PolicyName="inline", PolicyDocument=ALLOW_LIST_USERS)
    iam.attach_group_policy(GroupName=grp, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert refused(lambda: iam.delete_group(GroupName=grp)) == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    iam.remove_user_from_group(GroupName=grp, UserName=user)
    assert refused(lambda: iam.delete_group(GroupName=grp)) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_group_policy(GroupName=grp, PolicyName="inline")
    assert refused(lambda: iam.delete_group(GroupName=grp)) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_group_policy(GroupName=grp, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.delete_group(GroupName=grp)
    assert refused(lambda: iam.get_group(GroupName=grp))[0] == "NoSuchEntity"
    # the name is free again, and the new group starts empty
    iam.create_group(GroupName=grp)
    assert iam.get_group(GroupName=grp)["Users"] == []
    assert iam.list_group_policies(GroupName=grp)["PolicyNames"] == []


def test_delete_user_conflicts(iam):
    user, grp = rg.unique("du"), rg.unique("dug")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=grp)
    iam.add_user_to_group(GroupName=grp, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=ALLOW_LIST_USERS)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert refused(lambda: iam.delete_user(UserName=user)) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_user_policy(UserName=user, PolicyName="p")
    assert refused(lambda: iam.delete_user(UserName=user)) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert refused(lambda: iam.delete_user(UserName=user)) == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    iam.remove_user_from_group(GroupName=grp, UserName=user)
    iam.delete_user(UserName=user)
    assert iam.get_group(GroupName=grp)["Users"] == []


def test_groups_cli(server, iam, cli):
    grp, user = rg.unique("cligrp"), rg.unique("cliusr")
    g = rg.cli_json(cli("iam", "create-group", "--group-name", grp, "--path", "/cli/"))["Group"]
    assert g["Arn"] == f"arn:aws:iam::{server.account}:group/cli/{grp}"
    iam.create_user(UserName=user)
    assert cli("iam", "add-user-to-group", "--group-name", grp, "--user-name", user)[0] == 0
    got = rg.cli_json(cli("iam", "get-group", "--group-name", grp))
    assert [u["UserName"] for u in got["Users"]] == [user]
    assert [x["GroupName"] for x in rg.cli_json(cli("iam", "list-groups-for-user", "--user-name", user))["Groups"]] \
        == [grp]
    assert grp in [x["GroupName"] for x in rg.cli_json(cli("iam", "list-groups", "--path-prefix", "/cli/"))["Groups"]]
    assert rg.cli_error(cli("iam", "delete-group", "--group-name", grp)) == (
        "DeleteConflict", "DeleteGroup", "Cannot delete entity, must remove users from group first.")
    assert cli("iam", "remove-user-from-group", "--group-name", grp, "--user-name", user)[0] == 0
    assert cli("iam", "update-group", "--group-name", grp, "--new-path", "/cli2/")[0] == 0
    assert cli("iam", "delete-group", "--group-name", grp)[0] == 0
    assert rg.cli_error(cli("iam", "get-group", "--group-name", grp)) == (
        "NoSuchEntity", "GetGroup", f"The group with name {grp} cannot be found.")
