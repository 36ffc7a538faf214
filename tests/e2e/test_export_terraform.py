"""`rolegate export terraform OUTDIR` against a server made with `--example seed` plus more shapes (an inline policy,
a managed policy with two versions, a permissions boundary, an instance profile, an SCP on an OU, tags, an alias, a
password policy, a group membership, a virtual MFA device): the image's Terraform (hashicorp/aws 5.100.0 from its
filesystem mirror) plans only imports ("0 to add, 0 to change, 0 to destroy"), applies them, and plans again with
no changes. The export reads the store (--data) beside the running server; Terraform reaches the server through the
standard AWS_ENDPOINT_URL_* variables and an administrator's key: the files need no variables."""
import json
import os
import re
import shutil
import subprocess

import pytest

import rg
from conftest import Factory

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                               "Resource": "arn:aws:s3:::bucket/${aws:username}/*"}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
        pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed")
    f = Factory(tmp_path_factory.mktemp("export"))
    try:
        yield f.start(args=["--example", "seed"])
    finally:
        f.finish()


def shapes(srv):
    """What the seed lacks, made in the management account (Ops) and in an OU."""
    iam = rg.client(srv, "iam")
    iam.create_policy(PolicyName="bucket-read", Path="/team/", Description="two versions, %{literal}",
                      PolicyDocument=json.dumps(DOC), Tags=[{"Key": "owner", "Value": "platform"}])
    arn = f"arn:aws:iam::{srv.account}:policy/team/bucket-read"
    doc2 = dict(DOC, Statement=[dict(DOC["Statement"][0], Action=["s3:GetObject", "s3:ListBucket"])])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc2), SetAsDefault=True)
    iam.create_user(UserName="ci", Path="/bots/", PermissionsBoundary=arn, Tags=[{"Key": "team", "Value": "ci"}])
    iam.put_user_policy(UserName="ci", PolicyName="ci-inline", PolicyDocument=json.dumps(DOC))
    iam.attach_user_policy(UserName="ci", PolicyArn=arn)
    iam.create_group(GroupName="bots", Path="/bots/")
    iam.add_user_to_group(UserName="ci", GroupName="bots")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(trust), Description='say "hi"',
                    MaxSessionDuration=7200, PermissionsBoundary=arn, Tags=[{"Key": "tier", "Value": "web"}])
    iam.create_instance_profile(InstanceProfileName="web", Path="/app/")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="ci-device", Path="/bots/")
    iam.update_account_password_policy(MinimumPasswordLength=16, RequireSymbols=True, MaxPasswordAge=90)
    iam.create_account_alias(AccountAlias="rolegate-ops")
    o = rg.client(srv, "organizations")
    root = o.list_roots()["Roots"][0]["Id"]
    o.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = o.create_organizational_unit(ParentId=root, Name="Sandbox",
                                      Tags=[{"Key": "cost", "Value": "low"}])["OrganizationalUnit"]["Id"]
    scp = o.create_policy(Name="NoLeaving", Description="stay", Type="SERVICE_CONTROL_POLICY",
                          Content=json.dumps({"Version": "2012-10-17", "Statement": [
                              {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}))
    o.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=ou)


def terraform(cwd, env, *args, ok=(0,)):
    p = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=900)
    assert p.returncode in ok, f"terraform {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
    return p


def test_export_plans_only_imports_then_no_changes(server, tmp_path):
    shapes(server)
    out = tmp_path / "tf"
    p = subprocess.run([str(rg.BIN), "export", "terraform", str(out), "--data", str(server.data_dir)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    files = sorted(os.listdir(out))
    assert "providers.tf" in files and "organization.tf" in files
    text = "".join((out / f).read_text() for f in files)
    assert "%%{literal}" in text and "$${aws:username}" in text
    assert "OrganizationAccountAccessRole" in text
    # deterministic: a second export writes the same bytes
    again = tmp_path / "tf2"
    subprocess.run([str(rg.BIN), "export", "terraform", str(again), "--data", str(server.data_dir)], check=True,
                   capture_output=True, timeout=120)
    assert all((out / f).read_text() == (again / f).read_text() for f in files)

    admin = rg.admin_creds(server)
    cli = tmp_path / "cli.tfrc"
    cli.write_text(rg.TF_CLI_CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(TF_CLI_CONFIG_FILE=str(cli), AWS_ACCESS_KEY_ID=admin[0], AWS_SECRET_ACCESS_KEY=admin[1],
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               AWS_ENDPOINT_URL_IAM=server.url, AWS_ENDPOINT_URL_STS=server.url,
               AWS_ENDPOINT_URL_ORGANIZATIONS=server.url, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    terraform(out, env, "init", "-input=false")
    plan = terraform(out, env, "plan", "-input=false").stdout
    summary = [line for line in plan.splitlines() if line.startswith("Plan:")]
    print("\n".join(summary))
    assert summary and re.match(r"Plan: \d+ to import, 0 to add, 0 to change, 0 to destroy\.", summary[0]), plan
    terraform(out, env, "apply", "-auto-approve", "-input=false")
    second = terraform(out, env, "plan", "-input=false", "-detailed-exitcode", ok=(0, 2))
    assert second.returncode == 0 and "No changes." in second.stdout, second.stdout
