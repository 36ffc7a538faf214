"""SAML federation (issue 17): IAM SAML providers and sts:AssumeRoleWithSAML, against a test IdP (samlidp.py) whose
responses xmlsec1 signs.

The IAM half through boto3 and the aws CLI (create / get / list / update / tag / untag / delete, their refusals);
the STS half unsigned, as on AWS: a role trusting {"Federated": PROVIDER} with conditions on saml:* keys is entered
by boto3 and by `aws sts assume-role-with-saml`; then every forged, wrapped (XSW 1-8), tampered, expired, misdirected,
unsigned or foreign-key response, and the XML bombs, are refused with AWS's error.
"""
import base64
import json
import os
import subprocess
import tempfile
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

import rg
import samlidp
from samlidp import AWS_SIGNIN, cut


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    return samlidp.IdP(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
def other_idp(tmp_path_factory):
    """Another key, same entityID: what an attacker without the IdP's key can sign."""
    return samlidp.IdP(tmp_path_factory.mktemp("evil"), name="evil")


@pytest.fixture(scope="module")
def fed(server, iam, idp):
    """The provider and a role that trusts it for subject anay, audience AWS's sign-in."""
    name = rg.unique("idp")
    arn = iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=name)["SAMLProviderArn"]
    role = rg.unique("saml-dev")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": AWS_SIGNIN, "saml:sub": "anay",
                                       "saml:iss": idp.entity_id, "saml:sub_type": "persistent"}}}]}
    r = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    return {"provider": arn, "role": r["Arn"], "role_name": role, "name": name}


def unsigned_sts(server):
    return boto3.session.Session().client("sts", endpoint_url=server.url, region_name=rg.REGION,
                                          config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def assume(server, fed, assertion, **kw):
    return unsigned_sts(server).assume_role_with_saml(RoleArn=fed["role"], PrincipalArn=fed["provider"],
                                                      SAMLAssertion=assertion, **kw)


def refused(server, fed, assertion):
    with pytest.raises(ClientError) as ei:
        assume(server, fed, assertion)
    return rg.err(ei)[:3]


def pair(fed):
    return [(fed["role"], fed["provider"])]


# ---- IAM: the provider ---------------------------------------------------------------------------------------------

def test_provider_lifecycle(server, iam, idp):
    name = rg.unique("p")
    out = iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(valid_until=2000000000), Name=name,
                                   Tags=[{"Key": "team", "Value": "platform"}])
    arn = out["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{server.account}:saml-provider/{name}"
    assert out["Tags"] == [{"Key": "team", "Value": "platform"}]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == idp.metadata(valid_until=2000000000)
    assert got["ValidUntil"].timestamp() == 2000000000
    assert len(got["SAMLProviderUUID"]) >= 22 and got["SAMLProviderUUID"].isalnum()
    assert got["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert got["AssertionEncryptionMode"] == "Allowed"
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert arn in [p["Arn"] for p in listed]
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    assert sorted(t["Key"] for t in iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"]) == ["env", "team"]
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"] == arn
    assert "ValidUntil" not in iam.get_saml_provider(SAMLProviderArn=arn)
    iam.delete_saml_provider(SAMLProviderArn=arn)
    with pytest.raises(ClientError) as ei:
        iam.get_saml_provider(SAMLProviderArn=arn)
    assert rg.err(ei)[:3] == ("NoSuchEntity", f"Manifest not found for arn {arn}", 404)
    assert arn not in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]


def test_provider_refusals(server, iam, idp):
    name = rg.unique("p")
    iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=name)
    with pytest.raises(ClientError) as ei:
        iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=name)
    assert rg.err(ei)[0] == "EntityAlreadyExists"
    # a document that is not metadata (long enough for the model's 1000 characters)
    for doc in ("<x>" + "a" * 1000 + "</x>", "not xml " * 200,
                idp.metadata().replace('<md:KeyDescriptor use="signing">', '<md:KeyDescriptor use="encryption">'),
                idp.metadata().replace(idp.cert_b64[:40], "A" * 40),
                '<!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + idp.metadata().split("?>", 1)[1]):
        with pytest.raises(ClientError) as ei:
            iam.create_saml_provider(SAMLMetadataDocument=doc, Name=rg.unique("bad"))
        code, msg, status = rg.err(ei)[:3]
        assert (code, status) == ("InvalidInput", 400) and msg.startswith("Could not parse metadata"), msg
    # the model's 1000 characters at least, checked by the server too
    r = rg.signed(server, rg.iam_form("CreateSAMLProvider", SAMLMetadataDocument=idp.metadata()[:500],
                                      Name=rg.unique("short")))
    assert r.status == 400 and r.error()["code"] == "ValidationError"
    with pytest.raises(ClientError) as ei:
        iam.get_saml_provider(SAMLProviderArn=f"arn:aws:iam::{server.account}:role/x")
    assert rg.err(ei)[:1] == ("InvalidInput",)
    with pytest.raises(ClientError) as ei:
        iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=rg.unique("enc"),
                                 AssertionEncryptionMode="Required")
    assert rg.err(ei)[0] == "InvalidInput"


def test_provider_cli(server, idp, tmp_path):
    md = tmp_path / "md.xml"
    md.write_text(idp.metadata())
    name = rg.unique("cli")
    out = rg.cli_json(rg.aws_cli(server, "iam", "create-saml-provider", "--name", name,
                                 "--saml-metadata-document", f"file://{md}"))
    arn = out["SAMLProviderArn"]
    got = rg.cli_json(rg.aws_cli(server, "iam", "get-saml-provider", "--saml-provider-arn", arn))
    assert got["SAMLMetadataDocument"] == idp.metadata()
    rg.cli_json(rg.aws_cli(server, "iam", "delete-saml-provider", "--saml-provider-arn", arn))
    code, _, msg = rg.cli_error(rg.aws_cli(server, "iam", "delete-saml-provider", "--saml-provider-arn", arn))
    assert code == "NoSuchEntity"


# ---- STS: granted --------------------------------------------------------------------------------------------------

def test_assume_role_with_saml_boto3(server, fed, idp):
    out = assume(server, fed, idp.signed_response(roles=pair(fed)))
    assert out["Subject"] == "anay" and out["SubjectType"] == "persistent"
    assert out["Issuer"] == idp.entity_id and out["Audience"] == AWS_SIGNIN
    expected = base64.b64encode(__import__("hashlib").sha1(
        (idp.entity_id + server.account + "/" + fed["name"]).encode()).digest()).decode()
    assert out["NameQualifier"] == expected
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{server.account}:assumed-role/{fed['role_name']}/anay"
    c = out["Credentials"]
    rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    sts = rg.client(server, "sts", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    left = c["Expiration"].timestamp() - time.time()
    assert 3300 < left <= 3600


def test_role_pair_either_order_and_duration(server, fed, idp):
    out = assume(server, fed, idp.signed_response(roles=[(fed["provider"], fed["role"])], duration=900))
    assert 800 < out["Credentials"]["Expiration"].timestamp() - time.time() <= 900
    rg.SEEN_SECRETS.add(out["Credentials"]["SecretAccessKey"])


def test_assume_role_with_saml_cli(server, fed, idp, tmp_path):
    f = tmp_path / "assertion.b64"
    f.write_text(idp.signed_response(roles=pair(fed)))
    cfg = tmp_path / "config"
    cfg.write_text(f"[default]\nregion = {rg.REGION}\noutput = json\n")
    env = rg.cli_env(str(cfg), os.devnull)  # no credentials at all: the call is unsigned
    p = subprocess.run([rg.aws_binary(), "--endpoint-url", server.url, "sts", "assume-role-with-saml",
                        "--role-arn", fed["role"], "--principal-arn", fed["provider"],
                        "--saml-assertion", f"file://{f}"], env=env, capture_output=True, text=True, timeout=120)
    out = rg.cli_json((p.returncode, p.stdout, p.stderr))
    rg.SEEN_SECRETS.add(out["Credentials"]["SecretAccessKey"])
    assert out["Subject"] == "anay"
    assert out["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{fed['role_name']}/anay")


def test_trust_policy_conditions(server, fed, idp):
    # another subject: the trust policy's saml:sub does not match
    assert refused(server, fed, idp.signed_response(subject="abhi", session_name="abhi", roles=pair(fed)))[:3] == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)
    # the role is not among the assertion's pairs
    other = f"arn:aws:iam::{server.account}:role/someone-else"
    assert refused(server, fed, idp.signed_response(roles=[(other, fed["provider"])]))[0] == "AccessDenied"


def test_session_name_rules(server, fed, idp):
    code, msg, status = refused(server, fed, idp.signed_response(roles=pair(fed), session_name=None))
    assert (code, msg, status) == ("InvalidIdentityToken", "RoleSessionName is required in AuthnResponse", 400)
    code, msg, _ = refused(server, fed, idp.signed_response(roles=pair(fed), session_name="a b"))
    assert code == "InvalidIdentityToken" and "[a-zA-Z_0-9+=,.@-]{2,64}" in msg


def test_audited_durably(server, fed, idp):
    """Granted and refused calls are in the audit trail, in the provider's account, before the answer."""
    refused(server, fed, idp.signed_response(subject="abhi", session_name="abhi", roles=pair(fed)))
    ok = assume(server, fed, idp.signed_response(roles=pair(fed)))
    rg.SEEN_SECRETS.add(ok["Credentials"]["SecretAccessKey"])
    p = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--format", "json", "--action",
                        "sts:AssumeRoleWithSAML"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    text = p.stdout
    assert "AccessDenied" in text and "Success" in text
    assert fed["provider"] in text
    assert ok["Credentials"]["SecretAccessKey"] not in text and "SAMLAssertion" in text


# ---- STS: refused --------------------------------------------------------------------------------------------------

def test_tampered(server, fed, idp):
    xml = idp.sign(idp.response(idp.assertion(subject="abhi", session_name="abhi", roles=pair(fed))))
    forged = xml.replace(">abhi<", ">anay<")
    assert forged != xml
    assert refused(server, fed, samlidp.b64(forged)) == ("InvalidIdentityToken", "Response signature invalid", 400)


def test_unsigned(server, fed, idp):
    xml = idp.response(idp.assertion(roles=pair(fed), signed=False))
    code, msg, status = refused(server, fed, samlidp.b64(xml))
    assert (code, status) == ("InvalidIdentityToken", 400) and msg.startswith("Response signature invalid"), msg


def test_other_key(server, fed, idp, other_idp):
    xml = idp.response(idp.assertion(roles=pair(fed)))
    forged = idp.sign(xml, key=other_idp.key, cert=other_idp.cert)
    assert refused(server, fed, samlidp.b64(forged)) == ("InvalidIdentityToken", "Response signature invalid", 400)


def test_expired(server, fed, idp):
    code, msg, status = refused(server, fed, idp.signed_response(roles=pair(fed), now=time.time() - 3600))
    assert (code, status) == ("ExpiredTokenException", 400), msg


def test_wrong_audience(server, fed, idp):
    code, msg, status = refused(server, fed, idp.signed_response(roles=pair(fed), audience="https://evil.example/"))
    assert (code, status) == ("InvalidIdentityToken", 400) and "audience" in msg.lower(), msg


def test_wrong_recipient(server, fed, idp):
    code, msg, status = refused(server, fed,
                                idp.signed_response(roles=pair(fed), recipient="https://evil.example/saml"))
    assert (code, status) == ("InvalidIdentityToken", 400) and "Recipient" in msg, msg


def test_wrong_issuer(server, fed, idp):
    code, msg, _ = refused(server, fed, idp.signed_response(roles=pair(fed), issuer="https://other.example/"))
    assert (code, msg) == ("InvalidIdentityToken", "Issuer not present in specified provider")


def test_reference_to_another_id(server, fed, idp):
    """A signature of the Response moved into the Assertion: it verifies, but over another element."""
    aid = "_a" + os.urandom(8).hex()
    xml = idp.sign(idp.response(idp.assertion(roles=pair(fed), signed=False, aid=aid), sign_response=True),
                   node="Response")
    sig = cut(xml, "<ds:Signature", "</ds:Signature>")
    moved = xml.replace(sig, "", 1)
    moved = moved.replace("</saml:Issuer><saml:Subject>", "</saml:Issuer>" + sig + "<saml:Subject>", 1)
    code, msg, _ = refused(server, fed, samlidp.b64(moved))
    assert code == "InvalidIdentityToken" and msg.startswith("Response signature invalid"), msg


def test_comment_injection(server, fed, idp, iam):
    """A NameID signed as "anay.evil" with a comment after "anay": the whole text is read, never the prefix."""
    xml = idp.sign(idp.response(idp.assertion(subject="anay.evil", roles=pair(fed))))
    injected = xml.replace(">anay.evil<", ">anay<!---->.evil<")
    assert injected != xml
    # exclusive c14n without comments: the signature still verifies, and the subject is all of it
    assert refused(server, fed, samlidp.b64(injected))[0] == "AccessDenied"  # saml:sub is "anay.evil", not "anay"
    loose = rg.unique("loose")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": fed["provider"]},
                                                     "Action": "sts:AssumeRoleWithSAML"}]}
    arn = iam.create_role(RoleName=loose, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    f2 = dict(fed, role=arn)
    xml = idp.sign(idp.response(idp.assertion(subject="anay.evil", roles=pair(f2))))
    out = assume(server, f2, samlidp.b64(xml.replace(">anay.evil<", ">anay<!---->.evil<")))
    rg.SEEN_SECRETS.add(out["Credentials"]["SecretAccessKey"])
    assert out["Subject"] == "anay.evil"


def test_xxe_and_entity_expansion(server, fed, idp):
    signed = idp.sign(idp.response(idp.assertion(roles=pair(fed))))
    xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
           signed.replace(">anay<", ">&xxe;<", 1))
    laughs = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' +
              "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) +
              ']>' + signed.replace(">anay<", ">&j;<", 1))
    for doc in (xxe, laughs):
        t0 = time.monotonic()
        code, msg, status = refused(server, fed, samlidp.b64(doc))
        assert (code, status) == ("InvalidIdentityToken", 400) and "document type" in msg, msg
        assert time.monotonic() - t0 < 5


def test_not_base64_and_oversized(server, fed, idp):
    assert refused(server, fed, "!!!!not base64")[0] == "InvalidIdentityToken"
    # past the model's 100 000 characters (botocore would not send it: sent raw, unsigned)
    body = rg.form(Action="AssumeRoleWithSAML", Version=rg.STS_VERSION, RoleArn=fed["role"],
                   PrincipalArn=fed["provider"], SAMLAssertion="A" * 100004)
    r = rg.send(server, "POST", "/", body, {"Content-Type": rg.FORM})
    assert r.status == 400 and r.error()["code"] == "ValidationError"
    # an unsigned call of any other action is still refused as unauthenticated
    r = rg.send(server, "POST", "/", rg.form(Action="GetCallerIdentity", Version=rg.STS_VERSION),
                {"Content-Type": rg.FORM})
    assert r.status == 403 and r.error()["code"] == "MissingAuthenticationToken"


def test_unknown_provider(server, fed, idp):
    f = dict(fed, provider=f"arn:aws:iam::{server.account}:saml-provider/nope")
    code, msg, _ = refused(server, f, idp.signed_response(roles=pair(f)))
    assert (code, msg) == ("InvalidIdentityToken", "Specified provider doesn't exist.")


# ---- XML signature wrapping: the eight variants of "On Breaking SAML" (Somorovsky et al., 2012) ----------------------

def xsw_parts(idp, fed):
    """(signed response text, the signed Assertion's exact text, an evil Assertion: same ID, subject admin, no
    signature)."""
    aid = "_a" + os.urandom(8).hex()
    signed = idp.sign(idp.response(idp.assertion(subject="abhi", session_name="abhi", roles=pair(fed), aid=aid)))
    original = cut(signed, "<saml:Assertion", "</saml:Assertion>")
    sig = cut(original, "<ds:Signature", "</ds:Signature>")
    evil = original.replace(sig, "").replace(">abhi<", ">anay<")
    return signed, original, evil, sig


def response_signed_parts(idp, fed):
    rid = "_r" + os.urandom(8).hex()
    signed = idp.sign(idp.response(idp.assertion(subject="abhi", session_name="abhi", roles=pair(fed),
                                                 signed=False), rid=rid, sign_response=True), node="Response")
    return signed, rid


def xsw_variants(idp, fed):
    signed, original, evil, sig = xsw_parts(idp, fed)
    unsigned_original = original.replace(sig, "")
    rsigned, rid = response_signed_parts(idp, fed)
    rsig = cut(rsigned, "<ds:Signature", "</ds:Signature>")
    evil_resp = rsigned.replace(rsig, "").replace(">abhi<", ">anay<").replace(f'ID="{rid}"', 'ID="_evil"', 1)
    orig_resp_nosig = rsigned  # the whole signed Response
    v = {}
    # 1: a new Response (evil) carrying the original Signature, the original Response inside it as ds:Object
    v[1] = evil_resp.replace("<samlp:Status>", rsig.replace("</ds:Signature>", f"<ds:Object>{orig_resp_nosig}"
                                                           "</ds:Object></ds:Signature>") + "<samlp:Status>", 1)
    # 2: as 1, the original Response detached beside the Signature instead of inside it
    v[2] = evil_resp.replace("<samlp:Status>", rsig + orig_resp_nosig + "<samlp:Status>", 1)
    # 3: the evil Assertion (same ID) before the signed one
    v[3] = signed.replace(original, evil + original)
    # 4: the signed Assertion inside the evil one
    v[4] = signed.replace(original, evil.replace("</saml:Assertion>", original + "</saml:Assertion>"))
    # 5: the evil Assertion carries the signature; an unsigned copy of the original is appended at the end
    evil_with_sig = evil.replace("</saml:Issuer>", "</saml:Issuer>" + sig, 1)
    v[5] = signed.replace(original, evil_with_sig).replace("</samlp:Response>",
                                                          unsigned_original + "</samlp:Response>")
    # 6: the evil Assertion carries the signature, the original copy inside the Signature element
    v[6] = signed.replace(original, evil.replace("</saml:Issuer>", "</saml:Issuer>" + sig.replace(
        "</ds:Signature>", unsigned_original + "</ds:Signature>"), 1))
    # 7: the original inside samlp:Extensions, the evil Assertion (unsigned) where it was
    v[7] = signed.replace("<samlp:Status>", f"<samlp:Extensions>{original}</samlp:Extensions><samlp:Status>", 1
                          ).replace(original + "</samlp:Response>", evil + "</samlp:Response>")
    # 8: the evil Assertion carries the signature, the original copy in a ds:Object inside it
    v[8] = signed.replace(original, evil.replace("</saml:Issuer>", "</saml:Issuer>" + sig.replace(
        "</ds:Signature>", f"<ds:Object>{unsigned_original}</ds:Object></ds:Signature>"), 1))
    return signed, v


@pytest.mark.parametrize("variant", range(1, 9))
def test_signature_wrapping(server, fed, idp, variant):
    signed, v = xsw_variants(idp, fed)
    # the genuine response is well signed: only the subject is wrong for this role (abhi, not anay)
    assert refused(server, fed, samlidp.b64(signed))[0] == "AccessDenied"
    code, msg, status = refused(server, fed, samlidp.b64(v[variant]))
    assert (code, status) == ("InvalidIdentityToken", 400), (variant, msg)
