"""`rolegate analyze reach --endpoint-url URL` reads the organization over the AWS API as a principal of the management
account (Organizations, then each account's GetAccountAuthorizationDetails, members entered by AssumeRole into
OrganizationAccountAccessRole) and answers with the same rows as the store mode on that server; a principal that is
not of the management account, one without the permissions, and an account that cannot be read are errors (exit 1,
nothing printed), never a smaller answer."""
import json
import os
import subprocess

import pytest
import requests

import rg
import seedkit
from test_organizations import orgs

AUDIT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Resource": "*", "Action": [
        "organizations:Describe*", "organizations:List*", "iam:GetAccountAuthorizationDetails", "iam:ListRoles"]},
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}]}


def user_with_keys(iam, name, policy=None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    rg.SEEN_SECRETS.add(k["SecretAccessKey"])
    return k["AccessKeyId"], k["SecretAccessKey"]


def run_api(seed, creds, *args):
    """`rolegate analyze reach --endpoint-url` with creds in the environment, on the seed's clock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(seed.clock.env(), HOME=str(seed.home), AWS_CONFIG_FILE=str(seed.home / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(seed.home / "none"), AWS_ACCESS_KEY_ID=creds[0],
               AWS_SECRET_ACCESS_KEY=creds[1], TMPDIR=str(seed.home))
    return subprocess.run([str(rg.BIN), "analyze", "reach", "--endpoint-url", seed.server.url, *args],
                          capture_output=True, text=True, timeout=300, env=env)


def run_store(seed):
    p = subprocess.run([str(rg.BIN), "analyze", "reach", "--format", "json", "--data", str(seed.server.data_dir)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def leftovers(seed):
    return [p.name for p in seed.home.glob("rolegate-reach-*")]


@pytest.fixture
def seed(tmp_path):
    with seedkit.seeded(tmp_path) as s:
        s.home.mkdir(parents=True, exist_ok=True)
        s.iam = rg.client(s.server, "iam")
        s.auditor = user_with_keys(s.iam, "auditor", AUDIT)
        yield s


def test_same_rows_as_the_store(seed):
    p = run_api(seed, seed.auditor, "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert rows == run_store(seed)
    got = {(r["principal_name"], r["account"]["name"], r["role"]["name"], r["mfa"], r["mfa_max_age"]) for r in rows
           if r["principal_name"] in ("anay", "abhi")}
    want = {(p, env, role, True, 3600) for p, envs in (("anay", ("Dev", "Stage", "Prod")), ("abhi", ("Dev",)))
            for env in envs for role in ("admin", "readonly")}
    assert got == want
    # the auditor's own way in: OrganizationAccountAccessRole of every member account, without conditions
    assert {r["account"]["name"] for r in rows if r["principal_name"] == "auditor"} == {"Dev", "Stage", "Prod"}
    assert leftovers(seed) == []
    # the other formats come from the same rows; --account keeps one account's
    p = run_api(seed, seed.auditor, "--account", seed.accounts["Dev"], "--format", "json")
    assert p.returncode == 0, p.stderr
    assert {r["account"]["name"] for r in json.loads(p.stdout)} == {"Dev"}
    out = seed.home / "reach.html"
    p = run_api(seed, seed.auditor, "--format", "html", "--output", str(out))
    assert p.returncode == 0 and out.read_text().startswith("<!DOCTYPE html>") and "user/anay" in out.read_text()


def refused(seed, creds, *want):
    p = run_api(seed, creds, "--format", "json")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stdout == ""
    for w in want:
        assert w in p.stderr, p.stderr
    assert leftovers(seed) == []
    return p.stderr


def test_a_principal_outside_the_management_account_is_refused(seed):
    sts = rg.client(seed.server, "sts", creds=seed.auditor)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{seed.accounts['Dev']}:role/OrganizationAccountAccessRole",
                        RoleSessionName="test")["Credentials"]
    dev = rg.client(seed.server, "iam", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    outsider = user_with_keys(dev, "outsider")
    dev.attach_user_policy(UserName="outsider", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    refused(seed, outsider, "not a principal of the organization's management account")


def test_a_principal_without_the_permissions_is_refused(seed):
    refused(seed, user_with_keys(seed.iam, "nobody"), "AccessDenied")
    reader = user_with_keys(seed.iam, "orgs-only", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["organizations:Describe*", "organizations:List*"], "Resource": "*"}]})
    refused(seed, reader, "AccessDenied")


def test_an_account_that_cannot_be_read_is_an_error_not_a_smaller_answer(seed):
    o = orgs(seed.server)
    root = o.list_roots()["Roots"][0]
    if not any(t["Type"] == "SERVICE_CONTROL_POLICY" and t["Status"] == "ENABLED" for t in root.get("PolicyTypes", [])):
        o.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    pid = o.create_policy(Name="no-iam-reading", Description="d", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                                                {"Effect": "Deny", "Action": "iam:GetAccountAuthorization*",
                                                 "Resource": "*"}]}))["Policy"]["PolicySummary"]["Id"]
    o.attach_policy(PolicyId=pid, TargetId=seed.accounts["Prod"])
    refused(seed, seed.auditor, seed.accounts["Prod"], "AccessDenied")
    o.detach_policy(PolicyId=pid, TargetId=seed.accounts["Prod"])
    # a member account whose role does not trust the management account cannot be entered
    sts = rg.client(seed.server, "sts", creds=seed.auditor)
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{seed.accounts['Stage']}:role/OrganizationAccountAccessRole",
                        RoleSessionName="test")["Credentials"]
    stage = rg.client(seed.server, "iam", creds=(c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    stage.update_assume_role_policy(RoleName="OrganizationAccountAccessRole", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
            "AWS": f"arn:aws:iam::{seed.accounts['Stage']}:root"}}]}))
    refused(seed, seed.auditor, f"cannot enter account {seed.accounts['Stage']}", "AccessDenied")


def test_flags(seed):
    p = subprocess.run([str(rg.BIN), "analyze", "reach", "--endpoint-url", seed.server.url, "--data", "x"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "one or the other" in p.stderr
    p = run_api(seed, seed.auditor, "--role-name", "NoSuchRole")
    assert p.returncode == 1 and p.stdout == "" and "NoSuchRole" in p.stderr


def test_the_console_links_to_the_report(seed):
    """DATA/reach.html (the --reach-report default), written by `analyze reach --format html --output`: the home
    page links to /console/reach for the auditor (management account, allowed to read the organization); anay
    (management account, without those permissions) gets no link and a 403; with no report, no link and a 404."""
    from test_console_views import login_profile, seed_password, signed_in
    login_profile(seed.iam, "auditor")
    report = seed.server.data_dir / "reach.html"
    auditor = signed_in(seed, "auditor")
    assert 'href="/console/reach"' not in auditor.get("/console/").text
    assert auditor.get("/console/reach").status_code == 404
    p = run_api(seed, seed.auditor, "--format", "html", "--output", str(report))
    assert p.returncode == 0, p.stderr
    home = auditor.get("/console/").text
    assert "Access analysis" in home and 'href="/console/reach"' in home
    r = auditor.get("/console/reach")
    assert r.status_code == 200 and r.text == report.read_text()
    assert r.headers["Content-Type"].startswith("text/html")
    assert "script-src" not in r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    anay = signed_in(seed, "anay", code=seed.code("anay"), password=seed_password(seed, "anay"))
    assert 'href="/console/reach"' not in anay.get("/console/").text
    r = anay.get("/console/reach")
    assert r.status_code == 403 and "AccessDenied" in r.text
    # signed out: the sign-in page, not the report
    anon = requests.get(seed.server.url + "/console/reach", timeout=30, allow_redirects=False)
    assert anon.status_code in (302, 303) and "/console/signin" in anon.headers["Location"]


def test_in_a_browser_the_link_opens_the_report(seed):
    """Chromium: the home page's link leads to the report, whose own style applies (its CSP allows the inline
    <style>, nothing else) without a console error."""
    import console_browser
    from test_console_views import PASSWORD, browser_signin, login_profile
    login_profile(seed.iam, "auditor")
    p = run_api(seed, seed.auditor, "--format", "html", "--output", str(seed.server.data_dir / "reach.html"))
    assert p.returncode == 0, p.stderr
    with console_browser.browser(seed.server.url) as b:
        browser_signin(b, seed.accounts["Ops"], "auditor", PASSWORD)
        b.get("/console/")
        b.click("reach-link")
        assert b.path() == "/console/reach" and "user/anay" in b.source()
        cell = b.driver.find_element("css selector", "td.mfa")
        assert cell.value_of_css_property("background-color") == "rgba(255, 243, 196, 1)"
        assert b.console_errors() == []
        b.screenshot("reach-report")
