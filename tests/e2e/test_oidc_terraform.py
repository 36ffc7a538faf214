"""Terraform and OIDC federation (issue 17), with the image's Terraform and hashicorp/aws 5.100.0:

  - aws_iam_openid_connect_provider applies, plans empty, updates (client ids, thumbprints, tags) and destroys;
  - a CI pipeline with no keys at all: the provider blocks of examples/terraform get assume_role_with_web_identity
    (an override file beside the unchanged example; the token from a file, GitHub-Actions-shaped, from the loopback
    issuer of oidckit.py) and Terraform applies the organization and the environments as the federated role, plans
    empty, and destroys them. The audit trail shows the AssumeRoleWithWebIdentity calls and the writes made by the
    role's sessions.
"""
import json
import os
import shutil
import subprocess
import time

import pytest

import oidckit
import rg

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(REPO, "examples", "terraform")


@pytest.fixture(scope="module")
def tf():
    if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
        pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed")


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    iss = oidckit.Issuer(tmp_path_factory.mktemp("oidc-tf"))
    yield iss
    iss.stop()


def terraform(workdir, env, *args, ok=(0,), timeout=900):
    p = subprocess.run(["terraform", *args, "-no-color"], cwd=workdir, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert p.returncode in ok, f"terraform {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
    return p


def tf_env(workdir, cli_config, creds=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(TF_CLI_CONFIG_FILE=str(cli_config), AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_REGION="us-east-1", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
               TF_DATA_DIR=str(workdir / ".terraform"), AWS_EC2_METADATA_DISABLED="true")
    if creds:
        env.update(AWS_ACCESS_KEY_ID=creds[0], AWS_SECRET_ACCESS_KEY=creds[1])
    return env


def test_openid_connect_provider_resource(tf, server, issuer, tmp_path):
    """CRUD only: the issuer need not answer. Its URL has no port: hashicorp/aws's diff suppression of `url` cannot
    parse "HOST:PORT" (AWS refuses ports), so a provider with a port would plan a replacement each time."""
    url = "https://" + rg.unique("oidc") + ".example.com/ci"
    cli_config = tmp_path / "cli.tfrc"
    cli_config.write_text(rg.TF_CLI_CONFIG)
    work = tmp_path / "provider"
    work.mkdir()
    env = tf_env(work, cli_config, rg.admin_creds(server))

    def write(client_ids, thumbs, tags):
        (work / "main.tf").write_text(rg.tf_iam_provider(server.url) + f"""
resource "aws_iam_openid_connect_provider" "gha" {{
  url             = "{url}"
  client_id_list  = {json.dumps(client_ids)}
  thumbprint_list = {json.dumps(thumbs)}
  tags            = {json.dumps(tags).replace('":', '" =')}
}}
output "arn" {{
  value = aws_iam_openid_connect_provider.gha.arn
}}
""")

    write(["sts.amazonaws.com"], [issuer.thumbprint], {"team": "platform"})
    terraform(work, env, "init", "-input=false")
    terraform(work, env, "apply", "-auto-approve", "-input=false")
    arn = json.loads(terraform(work, env, "output", "-json").stdout)["arn"]["value"]
    assert arn.endswith(":oidc-provider/" + url[8:])
    iam = rg.client(server, "iam")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["sts.amazonaws.com"] and got["ThumbprintList"] == [issuer.thumbprint]
    assert got["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert terraform(work, env, "plan", "-detailed-exitcode", "-input=false", ok=(0, 2)).returncode == 0
    # in place: client ids, thumbprints, tags
    write(["sts.amazonaws.com", "other"], [issuer.thumbprint, "a" * 40], {"team": "ci"})
    terraform(work, env, "apply", "-auto-approve", "-input=false")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert sorted(got["ClientIDList"]) == ["other", "sts.amazonaws.com"]
    assert sorted(got["ThumbprintList"]) == sorted([issuer.thumbprint, "a" * 40])
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert terraform(work, env, "plan", "-detailed-exitcode", "-input=false", ok=(0, 2)).returncode == 0
    terraform(work, env, "destroy", "-auto-approve", "-input=false")
    assert {"Arn": arn} not in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]


OVERRIDE = """provider "aws" {{
  {alias}
  assume_role_with_web_identity {{
    role_arn                = "{role}"
    session_name            = "terraform-ci"
    web_identity_token_file = "{token_file}"
  }}
}}
"""


def test_examples_applied_by_a_federated_role(tf, server, issuer, tmp_path):
    """examples/terraform applied with no access key anywhere: every provider block authenticates with the CI's
    token (assume_role_with_web_identity), the aliased ones then assume OrganizationAccountAccessRole from it."""
    iam = rg.client(server, "iam")
    account = rg.client(server, "sts").get_caller_identity()["Account"]
    provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=[issuer.thumbprint])["OpenIDConnectProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{issuer.host_path}:aud": "sts.amazonaws.com",
                                       f"{issuer.host_path}:sub": "repo:acme/infra:ref:refs/heads/main"}}}]}
    role = iam.create_role(RoleName="ci-terraform", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.attach_role_policy(RoleName="ci-terraform", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    token_file = tmp_path / "gha-token"
    token_file.write_text(issuer.token(exp=int(time.time()) + 3600))
    cli_config = tmp_path / "cli.tfrc"
    cli_config.write_text(rg.TF_CLI_CONFIG)

    def module(name, aliases):
        work = tmp_path / name
        shutil.copytree(os.path.join(EXAMPLE, name), work)
        (work / "ci_override.tf").write_text("".join(
            OVERRIDE.format(alias=f'alias = "{a}"' if a else "", role=role["Arn"], token_file=token_file)
            for a in aliases))
        return work, tf_env(work, cli_config)  # no AWS_ACCESS_KEY_ID: the token is all there is

    org, org_env = module("organization", [None])
    url = ["-var", f"endpoint={server.url}", "-var", "email_domain=ci.example.com"]
    terraform(org, org_env, "init", "-input=false")
    terraform(org, org_env, "apply", "-auto-approve", "-input=false", *url)
    accounts = {k: v["value"] for k, v in json.loads(terraform(org, org_env, "output", "-json").stdout).items()}[
        "accounts"]
    assert sorted(accounts) == ["dev", "prod", "stage"]

    envs, envs_env = module("environments", [None, "dev", "stage", "prod"])
    evars = ["-var", f"endpoint={server.url}", "-var", "accounts=" + json.dumps(accounts)]
    terraform(envs, envs_env, "init", "-input=false")
    terraform(envs, envs_env, "apply", "-auto-approve", "-input=false", *evars)
    out = {k: v["value"] for k, v in json.loads(terraform(envs, envs_env, "output", "-json").stdout).items()}
    assert out["role_arns"]["prod"]["admin"] == f"arn:aws:iam::{accounts['prod']}:role/admin"
    assert terraform(envs, envs_env, "plan", "-detailed-exitcode", "-input=false", *evars,
                     ok=(0, 2)).returncode == 0
    assert terraform(org, org_env, "plan", "-detailed-exitcode", "-input=false", *url, ok=(0, 2)).returncode == 0

    # who did it: the federated role's sessions, obtained with the token
    ct = rg.client(server, "cloudtrail")
    fed = [json.loads(e["CloudTrailEvent"]) for p in ct.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithWebIdentity"}])
        for e in p["Events"]]
    granted = [e for e in fed if not e.get("errorCode") and role["Arn"] in json.dumps(e)]
    assert granted, fed
    made = [json.loads(e["CloudTrailEvent"]) for p in ct.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateOrganizationalUnit"}])
        for e in p["Events"]]
    assert made and all(f"assumed-role/ci-terraform/terraform-ci" in e["userIdentity"]["arn"] for e in made), made

    terraform(envs, envs_env, "destroy", "-auto-approve", "-input=false", *evars)
    terraform(org, org_env, "destroy", "-auto-approve", "-input=false", *url)
    assert account  # the management account the role lives in
