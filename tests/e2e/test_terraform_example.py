"""examples/terraform through the image's Terraform and hashicorp/aws 5.100.0 (from its filesystem mirror), twice in
a row against one server: the organization (SCP, OU, Dev/Stage/Prod), then the environments (Ops groups, users, MFA
devices; admin/readonly roles in each account reached with the provider's assume_role). Each round applies, checks
what was made through boto3, plans again (no changes), proves that the access model it built is enforced (anay
enters Prod with MFA, abhi does not, nobody enters without MFA) and destroys everything.

Terraform runs as an administrator IAM user of the management account, as it would on AWS (roots may not assume
roles). The test skips, with a message, only where terraform or the provider mirror is absent.

Also on that server: a role whose trust names a user (stored by IAM as the user's id) plans empty after the apply.
"""
import json
import os
import shutil
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

import rg
from conftest import Factory
from seedkit import totp

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(REPO, "examples", "terraform")
ENVS = ("dev", "stage", "prod")


class Terraform:
    """One module of examples/terraform, copied into its own directory (init writes a lock file beside the HCL)."""

    def __init__(self, module, workdir, server, creds, cli_config):
        self.dir = workdir / module
        shutil.copytree(os.path.join(EXAMPLE, module), self.dir)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env.update(TF_CLI_CONFIG_FILE=str(cli_config), AWS_ACCESS_KEY_ID=creds[0],
                        AWS_SECRET_ACCESS_KEY=creds[1], AWS_CONFIG_FILE=os.devnull,
                        AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_REGION="us-east-1", TF_IN_AUTOMATION="1",
                        CHECKPOINT_DISABLE="1", TF_DATA_DIR=str(self.dir / ".terraform"))
        self.vars = ["-var", f"endpoint={server.url}"]

    def run(self, *args, ok=(0,), timeout=600):
        p = subprocess.run(["terraform", *args, "-no-color"], cwd=self.dir, env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        assert p.returncode in ok, f"terraform {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
        return p

    def apply(self):
        self.run("init", "-input=false")
        self.run("apply", "-auto-approve", "-input=false", *self.vars)
        return {k: v["value"] for k, v in json.loads(self.run("output", "-json").stdout).items()}

    def plan_is_empty(self):
        return self.run("plan", "-detailed-exitcode", "-input=false", *self.vars, ok=(0, 2)).returncode == 0

    def destroy(self):
        self.run("destroy", "-auto-approve", "-input=false", *self.vars)

    def resource_values(self, address):
        state = json.loads(self.run("show", "-json").stdout)
        for r in state["values"]["root_module"].get("resources", []):
            if r["address"] == address:
                return r["values"]
        raise AssertionError(f"{address} not in the state")


@pytest.fixture(scope="module")
def tf_server(tmp_path_factory):
    if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
        pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed: Terraform example not tested")
    f = Factory(tmp_path_factory.mktemp("tfsrv"))
    yield f.start()
    f.finish()


def assume(server, creds, role_arn, serial=None, code=None):
    sts = rg.client(server, "sts", creds=creds)
    kw = {"RoleArn": role_arn, "RoleSessionName": "terraform-test"}
    if serial:
        kw.update(SerialNumber=serial, TokenCode=code)
    return sts.assume_role(**kw)["Credentials"]


def check_round(server, admin, n, tmp_path):
    cli_config = tmp_path / "cli.tfrc"
    cli_config.write_text(rg.TF_CLI_CONFIG)
    org_tf = Terraform("organization", tmp_path, server, admin, cli_config)
    org_tf.vars += ["-var", f"email_domain=round{n}.example.com"]
    accounts = org_tf.apply()["accounts"]
    assert sorted(accounts) == sorted(ENVS)

    o = rg.client(server, "organizations", creds=admin)
    listed = {a["Id"]: a for p in o.get_paginator("list_accounts").paginate() for a in p["Accounts"]}
    for env, acct in accounts.items():
        assert listed[acct]["Email"] == f"{env}@round{n}.example.com"
        assert listed[acct]["Status"] == "ACTIVE"
        [parent] = o.list_parents(ChildId=acct)["Parents"]
        assert parent["Type"] == "ORGANIZATIONAL_UNIT"
        assert o.describe_organizational_unit(OrganizationalUnitId=parent["Id"])["OrganizationalUnit"]["Name"] \
            == "Environments"
        scps = {p["Name"] for p in o.list_policies_for_target(TargetId=parent["Id"],
                                                              Filter="SERVICE_CONTROL_POLICY")["Policies"]}
        assert scps == {"FullAWSAccess", "StayInTheOrganization"}
    assert org_tf.plan_is_empty()

    env_tf = Terraform("environments", tmp_path, server, admin, cli_config)
    env_tf.vars += ["-var", "accounts=" + json.dumps(accounts)]
    out = env_tf.apply()
    ops = out["ops_account_id"]
    assert out["role_arns"] == {env: {r: f"arn:aws:iam::{accounts[env]}:role/{r}" for r in ("admin", "readonly")}
                                for env in ENVS}
    assert env_tf.plan_is_empty()

    # What the environments module made, read back in each account through OrganizationAccountAccessRole.
    for env in ENVS:
        c = assume(server, admin, f"arn:aws:iam::{accounts[env]}:role/OrganizationAccountAccessRole")
        iam = rg.client(server, "iam", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
        role = iam.get_role(RoleName="admin")["Role"]
        trust = role["AssumeRolePolicyDocument"]
        assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ops}:root"}
        assert trust["Statement"][0]["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
        assert role["MaxSessionDuration"] == 3600
        attached = {r: [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=r)["AttachedPolicies"]]
                    for r in ("admin", "readonly")}
        assert attached == {"admin": ["AdministratorAccess"], "readonly": ["ReadOnlyAccess"]}
        assert iam.list_account_aliases()["AccountAliases"] == [f"rolegate-seed-{env}"]

    iam = rg.client(server, "iam", creds=admin)
    groups = {g: sorted(x["GroupName"] for x in iam.list_groups_for_user(UserName=g)["Groups"])
              for g in ("anay", "abhi")}
    assert groups == {"anay": ["dev", "people", "prod", "stage"], "abhi": ["dev", "people"]}
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14
    assert out["mfa_serials"] == {p: f"arn:aws:iam::{ops}:mfa/{p}" for p in ("anay", "abhi")}

    # The access model is enforced: each person enables the device Terraform made and gets a key.
    keys = {}
    for person in ("anay", "abhi"):
        seed = env_tf.resource_values(f'aws_iam_virtual_mfa_device.person["{person}"]')["base_32_string_seed"]
        now = time.time()
        iam.enable_mfa_device(UserName=person, SerialNumber=out["mfa_serials"][person],
                              AuthenticationCode1=totp(seed, now - 60), AuthenticationCode2=totp(seed, now - 30))
        k = iam.create_access_key(UserName=person)["AccessKey"]
        keys[person] = ((k["AccessKeyId"], k["SecretAccessKey"]), seed)
    prod_admin = out["role_arns"]["prod"]["admin"]
    with pytest.raises(ClientError) as ei:
        assume(server, keys["anay"][0], prod_admin)
    assert rg.err(ei)[0] == "AccessDenied"
    c = assume(server, keys["anay"][0], prod_admin, out["mfa_serials"]["anay"], totp(keys["anay"][1], time.time()))
    who = rg.client(server, "sts", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    assert who.get_caller_identity()["Arn"] == f"arn:aws:sts::{accounts['prod']}:assumed-role/admin/terraform-test"
    with pytest.raises(ClientError) as ei:
        assume(server, keys["abhi"][0], prod_admin, out["mfa_serials"]["abhi"], totp(keys["abhi"][1], time.time()))
    assert rg.err(ei)[0] == "AccessDenied"
    c = assume(server, keys["abhi"][0], out["role_arns"]["dev"]["readonly"], out["mfa_serials"]["abhi"],
               totp(keys["abhi"][1], time.time() + 30))
    assert c["AccessKeyId"].startswith("ASIA")

    # What people did by hand is theirs to undo before Terraform deletes their users (as on AWS: DeleteConflict).
    for person, ((akid, _), _) in keys.items():
        iam.delete_access_key(UserName=person, AccessKeyId=akid)
        iam.deactivate_mfa_device(UserName=person, SerialNumber=out["mfa_serials"][person])
    env_tf.destroy()
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == []
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    org_tf.destroy()
    with pytest.raises(ClientError) as ei:
        o.describe_organization()
    assert rg.err(ei)[0] == "AWSOrganizationsNotInUseException"


def test_terraform_example_twice_in_a_row(tf_server, tmp_path):
    admin = rg.admin_creds(tf_server)
    for n in (1, 2):
        (tmp_path / f"round{n}").mkdir()
        check_round(tf_server, admin, n, tmp_path / f"round{n}")
    refusals = [line for line in tf_server.log().splitlines()
                if "status=5" in line]
    assert refusals == [], refusals


TRUST_TF = """
variable "endpoint" { type = string }
provider "aws" {
  region                  = "us-east-1"
  skip_metadata_api_check = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}
resource "aws_iam_user" "u" {
  name = "tf-trusted-user"
  path = "/people/"
}
resource "aws_iam_role" "r" {
  name = "tf-trusts-a-user"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = aws_iam_user.u.arn } }]
  })
}
"""


def test_role_trusting_a_user_plans_empty(tf_server, tmp_path):
    """IAM stores a trust naming a user by the user's unique id and shows its ARN: Terraform reads the trust back as
    written, and a plan after the apply has nothing to do (test_trust_ids.py has the rest of that behaviour)."""
    admin = rg.admin_creds(tf_server)
    (tmp_path / "cli.tfrc").write_text(rg.TF_CLI_CONFIG)
    (tmp_path / "main.tf").write_text(TRUST_TF)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(TF_CLI_CONFIG_FILE=str(tmp_path / "cli.tfrc"), AWS_ACCESS_KEY_ID=admin[0],
               AWS_SECRET_ACCESS_KEY=admin[1], AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_REGION="us-east-1", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")

    def tf(*args, ok=(0,)):
        p = subprocess.run(["terraform", *args, "-no-color", "-input=false", "-var", f"endpoint={tf_server.url}"]
                           if args[0] != "init" else ["terraform", "init", "-no-color", "-input=false"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert p.returncode in ok, f"terraform {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
        return p.returncode

    tf("init")
    tf("apply", "-auto-approve")
    iam = rg.client(tf_server, "iam", admin)
    user = iam.get_user(UserName="tf-trusted-user")["User"]
    role = iam.get_role(RoleName="tf-trusts-a-user")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == user["Arn"]
    assert tf("plan", "-detailed-exitcode", ok=(0, 2)) == 0
    tf("destroy", "-auto-approve")
