"""Issue 16's end-to-end test of `rolegate policy generate` with Terraform and examples/terraform: its organization
(an OU, an SCP, Dev/Stage/Prod) and its environments (groups, users, MFA devices in Ops; admin/readonly roles in each
environment through the provider's assume_role) applied in soft mode as an IAM user with no permissions at all; the
policy generated from what the trail recorded (granted and would-be-denied calls) validated and given to a fresh
user; the environments destroyed and applied again in strict mode by that user: it succeeds, and the organization
plans empty; without the statement that grants iam:CreateGroup the apply fails, AccessDenied naming that action.

The organization is not destroyed between the two applies: CreateAccount makes new account ids each time, and a
policy generated from observed calls names the roles it saw (OrganizationAccountAccessRole in those accounts)."""
import json
import os
import shutil
import subprocess

import pytest

import rg
from conftest import Factory
from test_terraform_example import Terraform


def generate(server, arn):
    p = subprocess.run([str(rg.BIN), "policy", "generate", "--principal", arn, "--data", str(server.data_dir)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def user_with(iam, doc):
    """A new user with doc as a customer managed policy (the generated policy outgrows an inline user policy's
    2048 characters; a managed policy may have 6144)."""
    user, [creds] = rg.make_user(iam, rg.unique("tf"))
    if doc is not None:
        arn = iam.create_policy(PolicyName=rg.unique("generated"), PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
        iam.attach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    return user, creds


def as_user(tf, creds):
    tf.env.update(AWS_ACCESS_KEY_ID=creds[0], AWS_SECRET_ACCESS_KEY=creds[1])
    return tf


def soft_denied(server, arn):
    p = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--format", "json", "--principal", arn,
                        "--limit", "100000"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [json.loads(ln) for ln in p.stdout.splitlines() if '"soft-denied"' in ln]


def test_soft_apply_generate_strict_apply(tmp_path):
    if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
        pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed")
    f = Factory(tmp_path / "servers")
    try:
        srv = f.start(args=["--enforce", "soft"])
        iam = rg.client(srv, "iam")
        admin = rg.admin_creds(srv)
        cli = tmp_path / "cli.tfrc"
        cli.write_text(rg.TF_CLI_CONFIG)

        # soft: a user with no permissions applies the whole example; every call is let through and recorded
        nobody, creds = user_with(iam, None)
        org = Terraform("organization", tmp_path, srv, creds, cli)
        org.vars += ["-var", "email_domain=generate.example.com"]
        accounts = org.apply()["accounts"]
        env = Terraform("environments", tmp_path, srv, creds, cli)
        env.vars += ["-var", "accounts=" + json.dumps(accounts)]
        env.apply()
        denied = {r["action"] for r in soft_denied(srv, nobody["Arn"])}
        assert {"organizations:CreateAccount", "iam:CreateGroup", "iam:CreateUser", "sts:AssumeRole"} <= denied

        doc = generate(srv, nobody["Arn"])
        f_doc = tmp_path / "generated.json"
        f_doc.write_text(json.dumps(doc))
        v = subprocess.run([str(rg.BIN), "policy", "validate", str(f_doc), "--kind", "identity"],
                           capture_output=True, text=True, timeout=60)
        assert v.returncode == 0, v.stdout + v.stderr
        as_user(env, admin).destroy()

        # strict: a fresh user with the generated policy applies the environments again; the organization plans empty
        srv.stop_ok()
        srv.args = [a for a in srv.args if a not in ("--enforce", "soft")] + ["--enforce", "strict"]
        srv.start()
        iam = rg.client(srv, "iam")
        org.vars[1] = env.vars[1] = f"endpoint={srv.url}"  # a new port
        _, creds2 = user_with(iam, doc)
        as_user(env, creds2).apply()
        assert as_user(org, creds2).plan_is_empty()
        as_user(env, admin).destroy()

        # one statement fewer: the apply fails, AccessDenied naming the action that statement granted
        statement = next(s for s in doc["Statement"] if "iam:CreateGroup" in json.dumps(s["Action"]))
        smaller = dict(doc, Statement=[s for s in doc["Statement"] if s is not statement])
        _, creds3 = user_with(iam, smaller)
        p = as_user(env, creds3).run("apply", "-auto-approve", "-input=false", *env.vars, ok=(1,))
        out = p.stdout + p.stderr
        assert "AccessDenied" in out and "not authorized to perform: iam:CreateGroup" in out, out[-3000:]
        as_user(env, admin).destroy()
        as_user(org, admin).destroy()
    finally:
        f.finish()
