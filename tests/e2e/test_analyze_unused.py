"""`rolegate analyze unused --days N`: a server on a shifted clock (seedkit.Clock, libfaketime) so that "N days" is
real: what was made, then 10 days later partly used, is reported as Access Analyzer's unused access findings."""
import json
import os
import subprocess

import pytest

import rg
import seedkit

DAY = 86400


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def unused(srv, clock, *args):
    env = {**os.environ, **clock.env()}
    p = subprocess.run([str(rg.BIN), "analyze", "unused", "--data", str(srv.data_dir), *args], capture_output=True,
                       text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture
def world(server_factory, tmp_path):
    clock = seedkit.Clock(tmp_path)
    srv = server_factory.start(env=clock.env())
    srv.clock = clock
    iam = rg.client(srv, "iam")
    account = rg.client(srv, "sts").get_caller_identity()["Account"]
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"})
    w = {"srv": srv, "clock": clock, "account": account}
    w["used_role"] = iam.create_role(RoleName="used-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    w["idle_role"] = iam.create_role(RoleName="idle-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    _, (w["worker_key"],) = rg.make_user(iam, "worker")
    iam.put_user_policy(UserName="worker", PolicyName="work", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "iam:ListUsers", "iam:CreateGroup",
                                       "iam:CreateUser", "organizations:CreateOrganizationalUnit"], "Resource": "*"}))
    _, (w["idle_key"],) = rg.make_user(iam, "idle")
    iam.create_login_profile(UserName="idle", Password="Idle-password-1!")
    w["worker"], w["idle"] = f"arn:aws:iam::{account}:user/worker", f"arn:aws:iam::{account}:user/idle"
    clock.advance(10 * DAY)
    worker_iam = rg.client(srv, "iam", creds=w["worker_key"])
    worker_iam.list_users()
    worker_iam.create_group(GroupName="made-by-worker")
    rg.client(srv, "sts", creds=w["worker_key"]).assume_role(RoleArn=w["used_role"], RoleSessionName="work")
    return w


def by_type(findings, kind):
    return [f for f in findings if f["findingType"] == kind]


def test_unused_access_after_ten_days(world):
    findings = json.loads(unused(world["srv"], world["clock"], "--days", "5", "--format", "json").stdout)
    roles = [f["principal"] for f in by_type(findings, "UnusedIAMRole")]
    assert world["idle_role"] in roles and world["used_role"] not in roles
    keys = [f["accessKeyId"] for f in by_type(findings, "UnusedIAMUserAccessKey")]
    assert world["idle_key"][0] in keys and world["worker_key"][0] not in keys
    assert [f["principal"] for f in by_type(findings, "UnusedIAMUserPassword")] == [world["idle"]]
    perms = [f for f in by_type(findings, "UnusedPermission") if f["principal"] == world["worker"]]
    assert len(perms) == 1
    services = {s["service"]: s for s in perms[0]["services"]}
    assert "iam:CreateUser" in services["iam"]["actions"] and "iam:CreateGroup" not in services["iam"]["actions"]
    assert "iam:ListUsers" not in services["iam"]["actions"]  # reads leave no audit record: not judged
    assert services["iam"]["serviceUnused"] is False
    assert services["organizations"]["serviceUnused"] is True
    assert "organizations:CreateOrganizationalUnit" in services["organizations"]["actions"]
    assert "sts" not in services  # its one granted action, AssumeRole, was used
    table = unused(world["srv"], world["clock"], "--days", "5").stdout
    assert "UnusedIAMRole" in table and "idle-role" in table and table.strip().endswith(f"{len(findings)} finding(s)")


def test_nothing_made_inside_the_window_is_unused(world):
    findings = json.loads(unused(world["srv"], world["clock"], "--days", "20", "--format", "json").stdout)
    assert not [f for f in findings if f["principal"] in (world["idle_role"], world["idle"], world["worker"])]


def test_bad_days_refused(world):
    p = subprocess.run([str(rg.BIN), "analyze", "unused", "--days", "0", "--data", str(world["srv"].data_dir)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "usage" in p.stderr
