"""Terraform and SAML federation (issue 17), with the image's Terraform and hashicorp/aws 5.100.0:

aws_iam_saml_provider (the test IdP's metadata, tags) and an aws_iam_role whose trust policy federates from it with a
SAML:aud condition apply, read back through boto3 as written, plan empty, update in place (new metadata with a
validUntil, new tags), plan empty again; the role then takes a response signed by the IdP (AssumeRoleWithSAML,
unsigned as on AWS); destroy leaves nothing behind.
"""
import json
import os
import shutil

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

import rg
import samlidp
from samlidp import AWS_SIGNIN
from test_oidc_terraform import terraform, tf_env


@pytest.fixture(scope="module")
def tf():
    if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
        pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed")


def hcl_map(d):
    return "{" + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in d.items()) + "}"


def test_saml_provider_and_federated_role(tf, server, tmp_path):
    idp = samlidp.IdP(tmp_path / "idp")
    name = rg.unique("corp")
    role_name = rg.unique("saml-tf")
    cli_config = tmp_path / "cli.tfrc"
    cli_config.write_text(rg.TF_CLI_CONFIG)
    work = tmp_path / "saml"
    work.mkdir()
    env = tf_env(work, cli_config, rg.admin_creds(server))

    def write(metadata, tags):
        (work / "metadata.xml").write_text(metadata)
        (work / "main.tf").write_text(rg.tf_iam_provider(server.url) + f"""
resource "aws_iam_saml_provider" "corp" {{
  name                   = "{name}"
  saml_metadata_document = file("${{path.module}}/metadata.xml")
  tags                   = {hcl_map(tags)}
}}
resource "aws_iam_role" "people" {{
  name = "{role_name}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithSAML"
      Principal = {{ Federated = aws_iam_saml_provider.corp.arn }}
      Condition = {{ StringEquals = {{ "SAML:aud" = "{AWS_SIGNIN}" }} }}
    }}]
  }})
}}
output "provider_arn" {{
  value = aws_iam_saml_provider.corp.arn
}}
output "valid_until" {{
  value = aws_iam_saml_provider.corp.valid_until
}}
output "role_arn" {{
  value = aws_iam_role.people.arn
}}
""")

    def outputs():
        return {k: v["value"] for k, v in json.loads(terraform(work, env, "output", "-json").stdout).items()}

    def plan_empty():
        p = terraform(work, env, "plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
        assert p.returncode == 0, p.stdout

    iam = rg.client(server, "iam")
    first = idp.metadata()
    write(first, {"team": "platform"})
    terraform(work, env, "init", "-input=false")
    terraform(work, env, "apply", "-auto-approve", "-input=false")
    out = outputs()
    arn = out["provider_arn"]
    assert arn == f"arn:aws:iam::{server.account}:saml-provider/{name}"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == first
    assert got["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "team", "Value": "platform"}]
    # metadata without validUntil: no ValidUntil (rolegate does not invent one), so a null valid_until
    assert "ValidUntil" not in got and not out.get("valid_until")
    plan_empty()

    # in place: the metadata (now with a validUntil) and the tags; the provider keeps its ARN
    second = idp.metadata(valid_until=2000000000)
    write(second, {"team": "identity", "env": "prod"})
    p = terraform(work, env, "plan", "-input=false")
    assert "1 to change, 0 to destroy" in p.stdout, p.stdout
    terraform(work, env, "apply", "-auto-approve", "-input=false")
    # valid_until is computed: the state has the new value at once, the outputs (planned from the old one) after
    # a refresh; as with AWS
    assert 'valid_until            = "2033-05-18T03:33:20Z"' in terraform(
        work, env, "state", "show", "aws_iam_saml_provider.corp").stdout
    terraform(work, env, "apply", "-refresh-only", "-auto-approve", "-input=false")
    out = outputs()
    assert out["provider_arn"] == arn and out["valid_until"] == "2033-05-18T03:33:20Z"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == second
    assert sorted((t["Key"], t["Value"]) for t in iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"]) == [
        ("env", "prod"), ("team", "identity")]
    plan_empty()

    # the role Terraform made takes the IdP's signed response, with no credentials at all
    sts = boto3.session.Session().client("sts", endpoint_url=server.url, region_name=rg.REGION,
                                         config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    role_arn = out["role_arn"]
    assertion = idp.signed_response(subject="anay", roles=[(role_arn, arn)], session_name="anay")
    res = sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=arn, SAMLAssertion=assertion)
    assert res["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{server.account}:assumed-role/{role_name}/anay"
    assert res["Audience"] == AWS_SIGNIN and res["Issuer"] == idp.entity_id
    who = rg.client(server, "sts", creds=(res["Credentials"]["AccessKeyId"], res["Credentials"]["SecretAccessKey"]),
                    token=res["Credentials"]["SessionToken"]).get_caller_identity()
    assert who["Arn"] == res["AssumedRoleUser"]["Arn"]

    terraform(work, env, "destroy", "-auto-approve", "-input=false")
    assert {"Arn": arn} not in [{"Arn": p["Arn"]} for p in iam.list_saml_providers()["SAMLProviderList"]]
    with pytest.raises(ClientError) as ei:
        iam.get_role(RoleName=role_name)
    assert rg.err(ei)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as ei:  # the provider is gone: the same response is refused
        sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=arn, SAMLAssertion=assertion)
    assert rg.err(ei)[0] in ("InvalidIdentityToken", "AccessDenied")
