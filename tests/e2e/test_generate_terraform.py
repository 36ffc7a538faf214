"""Issue 16's end-to-end test of `rolegate policy generate` with Terraform: an apply in soft mode as a user with no
permissions, the policy generated from what the trail recorded (granted and would-be-denied calls), attached to a
fresh user, and the same apply in strict mode succeeds; without one statement the apply fails, naming that action.

It needs `rolegate server --enforce soft` (the SOFT part of issue 16) and reads audited: until the binary has that
flag the test skips, and runs by itself once it has. The configuration is IAM in the management account with fixed
names (a user under /team/, a group, a managed policy, a role with its attachment), so both applies touch the same
resources."""
import json
import os
import shutil
import subprocess

import pytest

import rg
from conftest import Factory


def has_soft_mode():
    p = subprocess.run([str(rg.BIN), "server", "--help"], capture_output=True, text=True, timeout=30)
    return "--enforce" in p.stdout + p.stderr


pytestmark = pytest.mark.skipif(not has_soft_mode(), reason="needs --enforce soft (rolegate server --help has no "
                                                              "--enforce)")

MAIN_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" { type = string }

provider "aws" {
  region                      = "us-east-1"
  skip_region_validation      = true
  skip_requesting_account_id  = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

resource "aws_iam_user" "app" {
  name = "gen-app"
  path = "/team/"
}

resource "aws_iam_group" "devs" {
  name = "gen-devs"
}

resource "aws_iam_user_group_membership" "app" {
  user   = aws_iam_user.app.name
  groups = [aws_iam_group.devs.name]
}

resource "aws_iam_policy" "read" {
  name   = "gen-read"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "iam:GetUser", Resource = "*" }]
  })
}

resource "aws_iam_role" "deploy" {
  name = "gen-deploy"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = aws_iam_user.app.arn } }]
  })
}

resource "aws_iam_role_policy_attachment" "deploy" {
  role       = aws_iam_role.deploy.name
  policy_arn = aws_iam_policy.read.arn
}
"""


class Tf:
    def __init__(self, tmp_path, server):
        if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
            pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed")
        self.dir = tmp_path / "tf"
        self.dir.mkdir()
        (self.dir / "main.tf").write_text(MAIN_TF)
        cli = tmp_path / "cli.tfrc"
        cli.write_text(rg.TF_CLI_CONFIG)
        self.base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.base.update(TF_CLI_CONFIG_FILE=str(cli), AWS_CONFIG_FILE=os.devnull,
                         AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
                         TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        self.server = server

    def run(self, creds, *args, ok=True):
        env = dict(self.base, AWS_ACCESS_KEY_ID=creds[0], AWS_SECRET_ACCESS_KEY=creds[1])
        p = subprocess.run(["terraform", *args, "-no-color"], cwd=self.dir, env=env, capture_output=True, text=True,
                           timeout=600)
        if ok:
            assert p.returncode == 0, f"terraform {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
        return p

    def apply(self, creds, ok=True):
        return self.run(creds, "apply", "-auto-approve", "-input=false", "-var", f"endpoint={self.server.url}",
                        ok=ok)

    def destroy(self, creds):
        return self.run(creds, "destroy", "-auto-approve", "-input=false", "-var", f"endpoint={self.server.url}")


def generate(server, arn):
    p = subprocess.run([str(rg.BIN), "policy", "generate", "--principal", arn, "--data", str(server.data_dir)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def user_with(iam, doc):
    user, [creds] = rg.make_user(iam, rg.unique("tf"))
    if doc is not None:
        iam.put_user_policy(UserName=user["UserName"], PolicyName="generated", PolicyDocument=json.dumps(doc))
    return user, creds


def test_soft_apply_generate_strict_apply(tmp_path):
    f = Factory(tmp_path)
    try:
        srv = f.start(args=["--enforce", "soft"])
        iam = rg.client(srv, "iam")
        admin = rg.admin_creds(srv)
        tf = Tf(tmp_path, srv)
        tf.run(admin, "init", "-input=false")

        nobody, creds = user_with(iam, None)  # no permissions at all: soft mode lets it through and records it
        tf.apply(creds)
        doc = generate(srv, nobody["Arn"])
        f_doc = tmp_path / "generated.json"
        f_doc.write_text(json.dumps(doc))
        v = subprocess.run([str(rg.BIN), "policy", "validate", str(f_doc), "--kind", "identity"],
                           capture_output=True, text=True, timeout=60)
        assert v.returncode == 0, v.stdout + v.stderr
        tf.destroy(admin)

        srv.stop_ok()
        srv.args = [a for a in srv.args if a not in ("--enforce", "soft")] + ["--enforce", "strict"]
        srv.start()
        iam = rg.client(srv, "iam")
        _, creds2 = user_with(iam, doc)
        tf.apply(creds2)
        tf.destroy(admin)

        statement = next(s for s in doc["Statement"] if "iam:CreateGroup" in json.dumps(s["Action"]))
        smaller = dict(doc, Statement=[s for s in doc["Statement"] if s is not statement])
        _, creds3 = user_with(iam, smaller)
        p = tf.apply(creds3, ok=False)
        assert p.returncode != 0
        assert "iam:CreateGroup" in p.stdout + p.stderr
        tf.destroy(admin)
    finally:
        f.finish()
