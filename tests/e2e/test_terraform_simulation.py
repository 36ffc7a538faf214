"""Terraform's aws_iam_principal_policy_simulation data source (hashicorp/aws 5.100.0, from the image's mirror)
against rolegate's iam:SimulatePrincipalPolicy: a user whose group policy allows one action, asked about an allowed
and a denied action, and about a resource policy that alone allows a third."""
import json
import os
import shutil
import subprocess

import pytest

import rg
from conftest import Factory

MAIN_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  skip_region_validation      = true
  skip_requesting_account_id  = true
}

variable "user_arn" { type = string }

data "aws_iam_principal_policy_simulation" "mixed" {
  action_names      = ["iam:GetUser", "iam:DeleteUser"]
  policy_source_arn = var.user_arn
  resource_arns     = [var.user_arn]
}

data "aws_iam_principal_policy_simulation" "allowed" {
  action_names      = ["iam:GetUser"]
  policy_source_arn = var.user_arn
}

data "aws_iam_principal_policy_simulation" "by_resource_policy" {
  action_names      = ["s3:GetObject"]
  policy_source_arn = var.user_arn
  resource_arns     = ["arn:aws:s3:::reports/q4.csv"]
  resource_policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.user_arn }
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::reports/*"
    }]
  })
}

output "mixed_all_allowed" { value = data.aws_iam_principal_policy_simulation.mixed.all_allowed }
output "allowed_all_allowed" { value = data.aws_iam_principal_policy_simulation.allowed.all_allowed }
output "mixed" {
  value = { for r in data.aws_iam_principal_policy_simulation.mixed.results : r.action_name => {
    allowed = r.allowed, decision = r.decision, statements = length(r.matched_statements) } }
}
output "by_resource_policy" {
  value = [for r in data.aws_iam_principal_policy_simulation.by_resource_policy.results : r.decision]
}
"""


@pytest.fixture()
def server(tmp_path):
    if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
        pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed")
    f = Factory(tmp_path)
    try:
        yield f.start()
    finally:
        f.finish()


def terraform(cwd, env, *args):
    p = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, f"terraform {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
    return p.stdout


def test_principal_policy_simulation_data_source(server, tmp_path):
    iam = rg.client(server, "iam")
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="read-users", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    user = iam.create_user(UserName="reader")["User"]
    iam.add_user_to_group(GroupName="readers", UserName="reader")

    work = tmp_path / "tf"
    work.mkdir()
    (work / "main.tf").write_text(MAIN_TF)
    cli = tmp_path / "cli.tfrc"
    cli.write_text(rg.TF_CLI_CONFIG)
    admin = rg.admin_creds(server)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(TF_CLI_CONFIG_FILE=str(cli), AWS_ACCESS_KEY_ID=admin[0], AWS_SECRET_ACCESS_KEY=admin[1],
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               AWS_ENDPOINT_URL_IAM=server.url, AWS_ENDPOINT_URL_STS=server.url, TF_IN_AUTOMATION="1",
               CHECKPOINT_DISABLE="1", TF_VAR_user_arn=user["Arn"])
    terraform(work, env, "init", "-input=false")
    terraform(work, env, "apply", "-auto-approve", "-input=false")
    out = json.loads(terraform(work, env, "output", "-json"))

    assert out["allowed_all_allowed"]["value"] is True
    assert out["mixed_all_allowed"]["value"] is False
    mixed = out["mixed"]["value"]
    assert mixed["iam:GetUser"] == {"allowed": True, "decision": "allowed", "statements": 1}
    assert mixed["iam:DeleteUser"] == {"allowed": False, "decision": "implicitDeny", "statements": 0}
    assert out["by_resource_policy"]["value"] == ["allowed"]
