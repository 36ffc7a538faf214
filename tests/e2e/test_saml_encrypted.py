"""Encrypted SAML assertions (issue 17): a SAML provider's private keys (AddPrivateKey, RemovePrivateKey, at most
two), AssertionEncryptionMode Required / Allowed, and AssumeRoleWithSAML with an EncryptedAssertion that the test
IdP (samlidp.py) encrypts with `xmlsec1 --encrypt` to a key pair made with openssl.

Through boto3 and the aws CLI: keys listed by GetSAMLProvider without their material and sealed at rest; encrypted
assertions (AES-CBC and AES-GCM, RSA-OAEP and RSA PKCS#1 v1.5, the EncryptedKey inside the KeyInfo or beside it)
give credentials; a plain one is refused under Required and accepted under Allowed; an assertion encrypted to
another key, a tampered inner signature, a signed Response around an encrypted assertion that was swapped, a third
key, a bad PEM, an unknown key id are refused with AWS's error codes.
"""
import json
import os
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

import rg
import samlidp
from samlidp import AWS_SIGNIN


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    return samlidp.IdP(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
def sp(tmp_path_factory):
    return samlidp.SPKey(tmp_path_factory.mktemp("sp"))


@pytest.fixture(scope="module")
def sp2(tmp_path_factory):
    return samlidp.SPKey(tmp_path_factory.mktemp("sp2"), name="sp2")


@pytest.fixture(scope="module")
def stranger(tmp_path_factory):
    """A key the provider was never given."""
    return samlidp.SPKey(tmp_path_factory.mktemp("stranger"), name="stranger")


@pytest.fixture(scope="module")
def fed(server, iam, idp, sp):
    """A provider with sp's key, encryption Required, and a role that trusts it for subject anay."""
    name = rg.unique("encidp")
    arn = iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=name, AddPrivateKey=sp.pem,
                                   AssertionEncryptionMode="Required")["SAMLProviderArn"]
    role = rg.unique("saml-enc")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": AWS_SIGNIN, "saml:sub": "anay"}}}]}
    r = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    return {"provider": arn, "role": r["Arn"], "role_name": role, "name": name}


def unsigned_sts(server):
    return boto3.session.Session().client("sts", endpoint_url=server.url, region_name=rg.REGION,
                                          config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def assume(server, fed, assertion):
    out = unsigned_sts(server).assume_role_with_saml(RoleArn=fed["role"], PrincipalArn=fed["provider"],
                                                     SAMLAssertion=assertion)
    rg.SEEN_SECRETS.add(out["Credentials"]["SecretAccessKey"])
    return out


def refused(server, fed, assertion):
    with pytest.raises(ClientError) as ei:
        assume(server, fed, assertion)
    return rg.err(ei)[:3]


def encrypted_response(idp, fed, sp, sign_response=False, **kw):
    """A Response holding the signed assertion (kw: samlidp.IdP.assertion's) encrypted to sp, base64."""
    enc_kw = {k: kw.pop(k) for k in ("data_alg", "key_alg", "key_inside") if k in kw}
    assertion = idp.sign(idp.assertion(roles=[(fed["role"], fed["provider"])], **kw))
    xml = idp.response(samlidp.encrypt(assertion, sp, **enc_kw), sign_response=sign_response)
    if sign_response:
        xml = idp.sign(xml, node="Response")
    return samlidp.b64(xml)


def invalid(code_msg_status):
    code, msg, status = code_msg_status
    return code == "InvalidIdentityToken" and status == 400


# ---- IAM: keys and mode ------------------------------------------------------------------------------------------

def test_get_lists_keys_without_material(server, iam, fed, sp):
    got = iam.get_saml_provider(SAMLProviderArn=fed["provider"])
    assert got["AssertionEncryptionMode"] == "Required"
    keys = got["PrivateKeyList"]
    assert len(keys) == 1 and set(keys[0]) == {"KeyId", "Timestamp"}
    assert 22 <= len(keys[0]["KeyId"]) <= 64 and keys[0]["KeyId"].isalnum() and keys[0]["KeyId"].isupper()
    raw = rg.signed(server, rg.iam_form("GetSAMLProvider", SAMLProviderArn=fed["provider"])).body
    raw = raw.decode() if isinstance(raw, bytes) else raw
    assert not any(line in raw for line in sp.pem_body) and "PRIVATE KEY" not in raw


def test_keys_add_remove_limit(server, iam, idp, sp, sp2, stranger):
    name = rg.unique("keys")
    arn = iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=name)["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Allowed" and got["PrivateKeyList"] == []
    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=sp.pem)
    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=sp2.pem)
    keys = iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]
    assert len(keys) == 2 and keys[0]["KeyId"] != keys[1]["KeyId"]
    # a third key: AWS's quota of two
    with pytest.raises(ClientError) as ei:
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=stranger.pem)
    code, msg, status = rg.err(ei)[:3]
    assert (code, status) == ("LimitExceeded", 409) and "PrivateKeysPerSAMLProvider: 2" in msg, msg
    # rotation: remove the old, add the new, in one call
    out = iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=keys[0]["KeyId"], AddPrivateKey=stranger.pem)
    assert out["SAMLProviderArn"] == arn
    after = iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]
    assert len(after) == 2 and keys[0]["KeyId"] not in [k["KeyId"] for k in after]
    # an unknown key id (the model's pattern, not this provider's)
    with pytest.raises(ClientError) as ei:
        iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=keys[0]["KeyId"])
    assert rg.err(ei)[0] == "InvalidInput"
    # Required, then removing the keys: the last one cannot go while Required
    iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Required")
    iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=after[0]["KeyId"])
    with pytest.raises(ClientError) as ei:
        iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=after[1]["KeyId"])
    assert rg.err(ei)[0] == "InvalidInput"
    iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=after[1]["KeyId"], AssertionEncryptionMode="Allowed")
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["PrivateKeyList"] == [] and got["AssertionEncryptionMode"] == "Allowed"
    iam.delete_saml_provider(SAMLProviderArn=arn)


def test_key_refusals(server, iam, idp, sp, tmp_path):
    bad = [
        "not a key at all",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        sp.cert.read_text(),  # a certificate, not a private key
    ]
    ec = tmp_path / "ec.key"
    rg.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(ec), cwd=tmp_path)
    bad.append(ec.read_text())  # not RSA
    enc = tmp_path / "enc.key"
    rg.openssl("pkey", "-in", str(sp.key), "-aes256", "-passout", "pass:secret", "-out", str(enc), cwd=tmp_path)
    bad.append(enc.read_text())  # encrypted PEM: no passphrase is ever given
    small = tmp_path / "small.key"
    rg.openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", str(small), cwd=tmp_path)
    bad.append(small.read_text())
    for pem in bad:
        name = rg.unique("bad")
        with pytest.raises(ClientError) as ei:
            iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=name, AddPrivateKey=pem)
        assert rg.err(ei)[0] == "InvalidInput", pem[:40]
        assert name not in json.dumps([p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]])
    # Required without a key
    with pytest.raises(ClientError) as ei:
        iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=rg.unique("req"),
                                 AssertionEncryptionMode="Required")
    assert rg.err(ei)[0] == "InvalidInput"
    # the key never in the audit trail nor the log
    assert not any(line in server.log() for line in sp.pem_body)


def test_keys_sealed_at_rest(server, iam, fed, sp):
    if rg.STORE == "postgres":
        pg = rg.postgres()
        dump = pg.psql("SELECT encode(key_sealed, 'base64') FROM saml_private_keys",
                       dbname=rg.database_of(server.data_dir))
        assert dump, "no key stored"
        text = dump + pg.psql("SELECT metadata FROM saml_providers", dbname=rg.database_of(server.data_dir))
    else:
        text = ""
        for f in Path(server.data_dir).iterdir():
            if f.name.startswith(("rolegate.db", "audit.db")):
                text += f.read_bytes().decode("latin-1")
    assert "PRIVATE KEY" not in text
    assert not any(line in text for line in sp.pem_body)
    der = subprocess.run(["openssl", "pkey", "-in", str(sp.key), "-outform", "DER"], capture_output=True,
                         check=True).stdout
    assert der[40:80].decode("latin-1") not in text


# ---- STS: encrypted assertions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("data_alg,key_alg,key_inside", [
    ("aes256-cbc", "rsa-oaep", True), ("aes128-cbc", "rsa-1_5", True), ("aes256-gcm", "rsa-oaep", True),
    ("aes128-gcm", "rsa-oaep", False)])
def test_encrypted_assertion_boto3(server, fed, idp, sp, data_alg, key_alg, key_inside):
    out = assume(server, fed, encrypted_response(idp, fed, sp, data_alg=data_alg, key_alg=key_alg,
                                                 key_inside=key_inside))
    assert out["Subject"] == "anay" and out["Issuer"] == idp.entity_id
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{server.account}:assumed-role/{fed['role_name']}/anay"
    c = out["Credentials"]
    sts = rg.client(server, "sts", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]


def test_encrypted_assertion_signed_response(server, fed, idp, sp):
    """The Response signed over its encrypted form, the assertion inside signed too."""
    assume(server, fed, encrypted_response(idp, fed, sp, sign_response=True))


def test_encrypted_assertion_cli(server, fed, idp, sp, tmp_path):
    f = tmp_path / "assertion.b64"
    f.write_text(encrypted_response(idp, fed, sp))
    cfg = tmp_path / "config"
    cfg.write_text(f"[default]\nregion = {rg.REGION}\noutput = json\n")
    env = rg.cli_env(str(cfg), os.devnull)
    p = subprocess.run([rg.aws_binary(), "--endpoint-url", server.url, "sts", "assume-role-with-saml",
                        "--role-arn", fed["role"], "--principal-arn", fed["provider"],
                        "--saml-assertion", f"file://{f}"], env=env, capture_output=True, text=True, timeout=120)
    out = rg.cli_json((p.returncode, p.stdout, p.stderr))
    rg.SEEN_SECRETS.add(out["Credentials"]["SecretAccessKey"])
    assert out["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{fed['role_name']}/anay")


def test_plain_refused_when_required_then_allowed(server, iam, fed, idp):
    plain = idp.signed_response(roles=[(fed["role"], fed["provider"])])
    code, msg, status = refused(server, fed, plain)
    assert (code, status) == ("InvalidIdentityToken", 400) and "requires encrypted assertions" in msg, msg
    iam.update_saml_provider(SAMLProviderArn=fed["provider"], AssertionEncryptionMode="Allowed")
    try:
        assume(server, fed, plain)
    finally:
        iam.update_saml_provider(SAMLProviderArn=fed["provider"], AssertionEncryptionMode="Required")
    assert invalid(refused(server, fed, plain))


def test_encrypted_to_another_key(server, fed, idp, stranger):
    code, msg, status = refused(server, fed, encrypted_response(idp, fed, stranger))
    assert (code, status) == ("InvalidIdentityToken", 400) and "could not be decrypted" in msg, msg


def test_second_key_decrypts(server, iam, fed, idp, sp2):
    """Both keys are tried: an assertion encrypted to the newer one opens too; once it is removed, it does not."""
    iam.update_saml_provider(SAMLProviderArn=fed["provider"], AddPrivateKey=sp2.pem)
    assume(server, fed, encrypted_response(idp, fed, sp2))
    newest = iam.get_saml_provider(SAMLProviderArn=fed["provider"])["PrivateKeyList"][-1]["KeyId"]
    iam.update_saml_provider(SAMLProviderArn=fed["provider"], RemovePrivateKey=newest)
    assert invalid(refused(server, fed, encrypted_response(idp, fed, sp2)))


def test_tampered_inner_signature(server, fed, idp, sp):
    assertion = idp.sign(idp.assertion(subject="abhi", session_name="abhi", roles=[(fed["role"], fed["provider"])]))
    forged = assertion.replace(">abhi<", ">anay<")
    assert forged != assertion
    xml = idp.response(samlidp.encrypt(forged, sp))
    assert refused(server, fed, samlidp.b64(xml)) == ("InvalidIdentityToken", "Response signature invalid", 400)


def test_unsigned_inside_encryption(server, fed, idp, sp):
    """Encryption is not a signature: an unsigned assertion, encrypted, in an unsigned Response is refused."""
    assertion = idp.assertion(roles=[(fed["role"], fed["provider"])], signed=False)
    code, msg, status = refused(server, fed, samlidp.b64(idp.response(samlidp.encrypt(assertion, sp))))
    assert (code, status) == ("InvalidIdentityToken", 400) and msg.startswith("Response signature invalid"), msg


def test_signed_response_swapped_ciphertext(server, fed, idp, sp):
    """A signed Response whose EncryptedAssertion was replaced after signing: its signature no longer holds."""
    assertion = idp.assertion(roles=[(fed["role"], fed["provider"])], signed=False)
    xml = idp.sign(idp.response(samlidp.encrypt(assertion, sp), sign_response=True), node="Response")
    other = samlidp.encrypt(idp.assertion(subject="abhi", roles=[(fed["role"], fed["provider"])], signed=False), sp)
    start = xml.index("<saml:EncryptedAssertion")
    end = xml.index("</saml:EncryptedAssertion>") + len("</saml:EncryptedAssertion>")
    assume(server, fed, samlidp.b64(xml))  # signed Response, unsigned assertion inside: accepted
    swapped = xml[:start] + other + xml[end:]
    assert refused(server, fed, samlidp.b64(swapped)) == ("InvalidIdentityToken", "Response signature invalid", 400)


def test_entities_in_the_plaintext(server, fed, idp, sp):
    """The decrypted content is parsed without DTD or entities, as the document is."""
    assertion = idp.sign(idp.assertion(roles=[(fed["role"], fed["provider"])]))
    for evil in ('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + assertion,
                 assertion.replace(">anay<", ">&x;<", 1)):
        xml = idp.response(samlidp.encrypt(evil, sp, raw=True))
        assert invalid(refused(server, fed, samlidp.b64(xml)))


def test_two_encrypted_assertions(server, fed, idp, sp):
    one = samlidp.encrypt(idp.sign(idp.assertion(roles=[(fed["role"], fed["provider"])])), sp)
    code, msg, status = refused(server, fed, samlidp.b64(idp.response(one + one)))
    assert (code, status) == ("InvalidIdentityToken", 400) and "exactly one Assertion" in msg, msg


@pytest.mark.sqlite_only("`rolegate master-key rotate --data` refuses a PostgreSQL node's directory")
def test_master_key_rotation_reseals_saml_keys(server_factory, idp, sp):
    """`rolegate master-key rotate` re-seals a provider's private key with the rest: it still decrypts after."""
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    f = {"name": rg.unique("rot")}
    f["provider"] = iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=f["name"],
                                             AddPrivateKey=sp.pem,
                                             AssertionEncryptionMode="Required")["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f["provider"]}, "Action": "sts:AssumeRoleWithSAML"}]}
    f["role_name"] = rg.unique("rot")
    f["role"] = iam.create_role(RoleName=f["role_name"], AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    assume(srv, f, encrypted_response(idp, f, sp))
    srv.stop_ok()
    p = subprocess.run([str(rg.BIN), "master-key", "rotate", "--data", str(srv.data_dir)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    srv.start()
    assume(srv, f, encrypted_response(idp, f, sp))


# ---- the console's /saml -------------------------------------------------------------------------------------------

def test_console_signin_with_encrypted_assertion(server, iam, fed, idp, sp, stranger):
    """An IdP posts an encrypted assertion to this server's /saml: a real browser lands in the console as the role
    session; encrypted to a key the provider does not hold, nobody is signed in."""
    import console_browser
    import requests
    from test_console_saml import idp_page

    own = server.url + "/saml"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": fed["provider"]}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"saml:sub": "anay", "saml:aud": own}}}]}
    role = iam.create_role(RoleName=rg.unique("saml-console"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    f = dict(fed, role=role["Arn"])
    with console_browser.browser(server.url) as b:
        b.driver.get(idp_page(own, {"SAMLResponse": encrypted_response(idp, f, sp, recipient=own)}))
        assert console_browser.wait_until(lambda: b.path() == "/console/"), b.path()
        assert b.text("signer-arn") == f"arn:aws:sts::{server.account}:assumed-role/{role['RoleName']}/anay"
        assert not b.console_errors()
    r = requests.post(own, data={"SAMLResponse": encrypted_response(idp, f, stranger, recipient=own)},
                      allow_redirects=False, timeout=60)
    assert r.status_code == 400 and "InvalidIdentityToken" in r.text and "could not be decrypted" in r.text, r.text
    assert "rg_console=" not in r.headers.get("Set-Cookie", "")
