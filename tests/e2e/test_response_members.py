"""Which members AWS puts in an IAM answer, where moto's suite (tests/moto/run-moto-suite.py, its
test_iam_response_attributes.py, verified against AWS) showed rolegate answering otherwise:

  ListUsers      no PermissionsBoundary, no Tags (GetUser and CreateUser have them when set)
  CreatePolicy   no Description; Tags only when the policy has some
  GetPolicy      Description when set; Tags always, an empty list when none
  ListPolicies   neither Description nor Tags
"""
import json
import uuid

import rg

BOUNDARY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
TAGS = [{"Key": "somekey", "Value": "somevalue"}]


def test_user_lists_leave_out_boundary_and_tags(iam):
    path = f"/{uuid.uuid4().hex}/"
    boundary = iam.create_policy(PolicyName=rg.unique("b"), PolicyDocument=BOUNDARY)["Policy"]["Arn"]
    name = rg.unique("u")
    user = iam.create_user(Path=path, UserName=name, PermissionsBoundary=boundary, Tags=TAGS)["User"]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary and user["Tags"] == TAGS
    got = iam.get_user(UserName=name)["User"]
    assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary and got["Tags"] == TAGS
    [listed] = iam.list_users(PathPrefix=path)["Users"]
    assert listed["UserName"] == name
    assert "PermissionsBoundary" not in listed and "Tags" not in listed
    group = rg.unique("g")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    [member] = iam.get_group(GroupName=group)["Users"]
    assert "PermissionsBoundary" not in member and "Tags" not in member


def test_policy_members_per_answer(iam):
    for optional in (True, False):
        path = f"/{uuid.uuid4().hex}/"
        params = {"Path": path, "PolicyName": rg.unique("p"), "PolicyDocument": BOUNDARY}
        if optional:
            params.update(Description="test description", Tags=TAGS)
        created = iam.create_policy(**params)["Policy"]
        assert "Description" not in created
        assert ("Tags" in created) is optional
        got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
        assert ("Description" in got) is optional
        assert got["Tags"] == (TAGS if optional else [])
        [listed] = iam.list_policies(PathPrefix=path)["Policies"]
        assert "Description" not in listed and "Tags" not in listed
