"""SAML sign-in to the web console (issue 17).

The sign-in page offers "Sign in with SAML" (a link to the identity provider's SingleSignOnService) once an account
has a SAML provider. An identity provider's page posts its SAMLResponse to /saml from its own site (IdP-initiated, as
AWS's https://signin.aws.amazon.com/saml takes it): a real browser (headless chromium, console_browser.py) lands in the
console as the role session the assertion names, through a role choice when it names several, and goes on to the
RelayState page. Forged, refused and misdirected responses get AWS's errors and sign nobody in.
"""
import json
import subprocess
import urllib.parse

import pytest
import requests

import console_browser
import rg
import samlidp
from samlidp import b64


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    return samlidp.IdP(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
def fed(server, iam, idp):
    """A provider and two roles trusting it for subject anay, with the response addressed to this server's /saml."""
    name = rg.unique("corp")
    arn = iam.create_saml_provider(SAMLMetadataDocument=idp.metadata(), Name=name)["SAMLProviderArn"]
    own = server.url + "/saml"
    roles = {}
    for r in ("dev", "ops"):
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"saml:sub": "anay", "saml:aud": own}}}]}
        roles[r] = iam.create_role(RoleName=rg.unique(f"saml-{r}"),
                                   AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        iam.put_role_policy(RoleName=roles[r]["RoleName"], PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]}))
    return {"provider": arn, "roles": roles, "own": own}


def response(idp, fed, roles=("dev",), subject="anay", **kw):
    """A signed response for this server's /saml naming roles (keys of fed["roles"]), base64 as posted."""
    return idp.signed_response(subject=subject, session_name=subject, recipient=fed["own"],
                               roles=[(fed["roles"][r]["Arn"], fed["provider"]) for r in roles], **kw)


def idp_page(action, fields):
    """What an IdP answers a signed-in person with: a page on its own site whose form posts to action by itself."""
    inputs = "".join(f'<input type="hidden" name="{k}" value="{samlidp.esc(v)}">' for k, v in fields.items())
    page = (f'<!DOCTYPE html><html><body onload="document.forms[0].submit()">'
            f'<form method="post" action="{action}">{inputs}</form></body></html>')
    return "data:text/html;charset=utf-8," + urllib.parse.quote(page)


def session_arn(server, role):
    return f"arn:aws:sts::{server.account}:assumed-role/{role['RoleName']}/anay"


def post(server, **fields):
    """The IdP's form post without a browser: (status, body, the cookies set)."""
    r = requests.post(server.url + "/saml", data=fields, allow_redirects=False, timeout=60)
    return r.status_code, r.text, r.headers.get("Set-Cookie", "")


def test_signin_page_without_a_provider(server):
    with console_browser.browser(server.url) as b:
        b.get("/console/signin")
        assert b.exists("signin-form") and not b.exists("saml-signin")


def test_signin_page_offers_saml(server, fed):
    with console_browser.browser(server.url) as b:
        b.get("/console/signin")
        assert b.exists("saml-signin")
        link = b.el("saml-idp-0")
        assert link.get_attribute("href") == "https://idp.example.test/sso"
        assert link.text == "Sign in with SAML: idp.example.test"
        assert not b.console_errors()
        b.screenshot("saml-signin-page")


def test_idp_post_lands_in_the_role(server, fed, idp):
    with console_browser.browser(server.url) as b:
        b.driver.get(idp_page(fed["own"], {"SAMLResponse": response(idp, fed)}))
        assert console_browser.wait_until(lambda: b.path() == "/console/"), b.path()
        assert b.text("signer-arn") == session_arn(server, fed["roles"]["dev"])
        cookie = [c for c in b.cookies().values() if c.get("httpOnly")]
        assert cookie and all(c.get("sameSite") == "Strict" for c in cookie), b.cookies()
        assert not b.console_errors()
        b.screenshot("saml-signin")
    # audited: AssumeRoleWithSAML (in the provider's account) and the console sign-in of its session
    for action in ("sts:AssumeRoleWithSAML", "signin:ConsoleLogin"):
        p = subprocess.run([str(rg.BIN), "audit", "--data", str(server.data_dir), "--format", "json", "--action",
                            action], capture_output=True, text=True, timeout=60)
        who = fed["provider"] if action == "sts:AssumeRoleWithSAML" else session_arn(server, fed["roles"]["dev"])
        assert p.returncode == 0, p.stderr
        assert who in p.stdout and "Success" in p.stdout, (action, p.stdout)


def test_role_choice_and_relay_state(server, fed, idp):
    with console_browser.browser(server.url) as b:
        b.driver.get(idp_page(fed["own"], {"SAMLResponse": response(idp, fed, roles=("dev", "ops")),
                                           "RelayState": "/console/iam/roles"}))
        assert console_browser.wait_until(lambda: b.exists("saml-roles")), b.source()[:2000]
        assert b.path() == "/saml"
        assert fed["roles"]["dev"]["RoleName"] in b.text("saml-roles")
        assert fed["roles"]["ops"]["RoleName"] in b.text("saml-roles")
        b.screenshot("saml-role-choice")
        b.el("role-1").click()
        b.click("saml-signin")
        assert console_browser.wait_until(lambda: b.path() == "/console/iam/roles"), b.path()
        assert not b.console_errors()
        b.get("/console/")
        assert b.text("signer-arn") == session_arn(server, fed["roles"]["ops"])


def test_refusals_sign_nobody_in(server, fed, idp):
    # tampered after signing
    xml = idp.sign(idp.response(idp.assertion(subject="abhi", session_name="abhi", recipient=fed["own"],
                                              roles=[(fed["roles"]["dev"]["Arn"], fed["provider"])])))
    status, body, cookies = post(server, SAMLResponse=b64(xml.replace(">abhi<", ">anay<")))
    assert status == 400 and "InvalidIdentityToken" in body and "Response signature invalid" in body, body
    assert "rg_console=" not in cookies
    # signed, but the trust policy refuses the subject
    status, body, cookies = post(server, SAMLResponse=response(idp, fed, subject="abhi"))
    assert status == 403 and "AccessDenied" in body and "Not authorized to perform sts:AssumeRoleWithSAML" in body
    assert "rg_console=" not in cookies
    # a role the assertion does not name
    status, body, cookies = post(server, SAMLResponse=response(idp, fed), roleIndex=fed["roles"]["ops"]["Arn"])
    assert status == 403 and "AccessDenied" in body and "rg_console=" not in cookies
    # addressed to AWS, not to this server
    status, body, cookies = post(server, SAMLResponse=idp.signed_response(
        roles=[(fed["roles"]["dev"]["Arn"], fed["provider"])]))
    assert status == 403 and "AccessDenied" in body and "rg_console=" not in cookies  # saml:aud is AWS's
    # no response, not a response, no role
    assert post(server)[0] == 400
    status, body, _ = post(server, SAMLResponse="not base64!")
    assert status == 400 and "InvalidIdentityToken" in body
    status, body, _ = post(server, SAMLResponse=response(idp, fed, roles=()))
    assert status == 400 and "names no role" in body
