"""`rolegate import authorization-details FILE --account ID`: the JSON of `aws iam get-account-authorization-details`
(the AWS CLI, against an account this test builds) imported into the account of another server reproduces it (the
two GetAccountAuthorizationDetails agree modulo ids, dates and account id); a hand-written file using every shape of
that output (tests/data/authorization-details.json) imports; refusals (bad JSON, unknown account, an entity that
exists) write nothing. The importing server is stopped while the verb writes its store, then started again."""
import json
import os
import re
import subprocess

import pytest

import rg
from conftest import Factory

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HAND = os.path.join(REPO, "tests", "data", "authorization-details.json")
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


@pytest.fixture
def servers(tmp_path):
    f = Factory(tmp_path)
    try:
        yield f
    finally:
        f.finish()


def build(srv):
    iam = rg.client(srv, "iam")
    arn = iam.create_policy(PolicyName="p", Path="/x/", Description="d", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(dict(DOC, Statement=[
        dict(DOC["Statement"][0], Action="s3:*")])), SetAsDefault=False)
    iam.create_group(GroupName="g", Path="/team/")
    iam.put_group_policy(GroupName="g", PolicyName="gi", PolicyDocument=json.dumps(DOC))
    iam.attach_group_policy(GroupName="g", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.create_user(UserName="u", Path="/people/", PermissionsBoundary=arn, Tags=[{"Key": "k", "Value": "v"}])
    iam.add_user_to_group(UserName="u", GroupName="g")
    iam.put_user_policy(UserName="u", PolicyName="ui", PolicyDocument=json.dumps(DOC))
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust), PermissionsBoundary=arn,
                    Tags=[{"Key": "t", "Value": "1"}])
    iam.put_role_policy(RoleName="r", PolicyName="ri", PolicyDocument=json.dumps(DOC))
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    iam.create_instance_profile(InstanceProfileName="ip", Path="/app/")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r")


def normalised(srv):
    """GetAccountAuthorizationDetails of srv's root with ids, dates and the account id taken out."""
    iam = rg.client(srv, "iam")
    d = iam.get_account_authorization_details()
    d = {k: d[k] for k in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")}
    text = json.dumps(d, default=str).replace(srv.account, "ACCOUNT")
    for key in ("UserId", "GroupId", "RoleId", "PolicyId", "InstanceProfileId", "CreateDate", "UpdateDate",
                "LastUsedDate"):
        text = re.sub(rf'"{key}": "[^"]*"', f'"{key}": "-"', text)
    d = json.loads(text)
    d["Policies"] = [p for p in d["Policies"] if ":aws:policy/" not in p["Arn"]]
    return d


def run_import(srv, path, account):
    return subprocess.run([str(rg.BIN), "import", "authorization-details", str(path), "--account", account,
                           "--data", str(srv.data_dir)], capture_output=True, text=True, timeout=120)


def test_cli_output_reproduces_the_account(servers, tmp_path):
    src = servers.start()
    build(src)
    rc, out, err = rg.aws_cli(src, "iam", "get-account-authorization-details")
    assert rc == 0, err
    f = tmp_path / "details.json"
    f.write_text(out)
    dst = servers.start()
    dst.stop()
    p = run_import(dst, f, dst.account)
    assert p.returncode == 0, p.stderr
    dst.start()
    assert normalised(dst) == normalised(src)


def test_hand_written_file_with_every_shape(servers):
    srv = servers.start()
    srv.stop()
    p = run_import(srv, HAND, srv.account)
    assert p.returncode == 0, p.stderr
    srv.start()
    iam = rg.client(srv, "iam")
    bob = iam.get_user(UserName="Bob")["User"]
    assert bob["Path"] == "/engineering/" and bob["Tags"] == [{"Key": "team", "Value": "engineering"}]
    assert bob["PermissionsBoundary"]["PermissionsBoundaryArn"] == f"arn:aws:iam::{srv.account}:policy/Provisioner"
    doc = iam.get_user_policy(UserName="Bob", PolicyName="inline-url-encoded")["PolicyDocument"]
    assert doc["Statement"][0]["Resource"] == "arn:aws:iam::*:user/${aws:username}"
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="Alice")["Groups"]] == ["Admins"]
    arn = f"arn:aws:iam::{srv.account}:policy/Provisioner"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 2
    default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    got = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]["Document"]
    assert got["Statement"][0]["Action"] == ["ec2:*", "iam:PassRole"]
    role = iam.get_role(RoleName="EC2-for-Ops")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="EC2-for-Ops")["AttachedPolicies"]} \
        == {"ReadOnlyAccess", "Provisioner"}
    ip = iam.get_instance_profile(InstanceProfileName="ec2-for-ops")["InstanceProfile"]
    assert [r["RoleName"] for r in ip["Roles"]] == ["EC2-for-Ops"]
    assert iam.get_group_policy(GroupName="Dev", PolicyName="dev-object")["PolicyDocument"]["Statement"][0][
        "Action"] == "ec2:Describe*"
    # the same file again: every entity is there and identical, so nothing is refused and nothing changes
    before = normalised(srv)
    srv.stop()
    p = run_import(srv, HAND, srv.account)
    assert p.returncode == 0, p.stderr
    srv.start()
    assert normalised(srv) == before


def test_refusals_write_nothing(servers, tmp_path):
    srv = servers.start()
    iam = rg.client(srv, "iam")
    iam.create_group(GroupName="Dev")  # the hand-written file makes Dev after Admins, Alice, Bob and Provisioner
    srv.stop()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    p = run_import(srv, bad, srv.account)
    assert p.returncode == 1 and "not JSON" in p.stderr
    p = run_import(srv, HAND, "999999999999")
    assert p.returncode == 1 and "no account 999999999999" in p.stderr
    p = run_import(srv, HAND, srv.account)
    assert p.returncode == 1 and "group Dev: EntityAlreadyExists" in p.stderr, p.stderr
    srv.start()
    iam = rg.client(srv, "iam")
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["Dev"]
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_reimport_with_lists_in_another_order(servers, tmp_path):
    """A list of names says nothing by its order: the file again with a user's GroupList in either order is the
    existing user (skipped), not EntityAlreadyExists."""
    srv = servers.start()
    srv.stop()
    d = json.load(open(HAND))
    alice = next(u for u in d["UserDetailList"] if u["UserName"] == "Alice")
    alice["GroupList"] = ["Admins", "Dev"]
    first = tmp_path / "first.json"
    first.write_text(json.dumps(d))
    p = run_import(srv, first, srv.account)
    assert p.returncode == 0, p.stderr
    for order in (["Dev", "Admins"], ["Admins", "Dev"]):
        alice["GroupList"] = order
        again = tmp_path / "again.json"
        again.write_text(json.dumps(d))
        p = run_import(srv, again, srv.account)
        assert p.returncode == 0, (order, p.stderr)
    srv.start()
    groups = rg.client(srv, "iam").list_groups_for_user(UserName="Alice")["Groups"]
    assert sorted(g["GroupName"] for g in groups) == ["Admins", "Dev"]
