"""The console's resource pages and MFA self-service (src/console/views_*.c, mfa.c) on `--example seed`: what a
signed-in person sees of users, groups, roles, policies and the organization, each page authorized as that person
(AWS's AccessDenied text when the policies refuse), a policy checked by the engine's validator, and enrolling an
MFA device through the pages with two TOTP codes, then signing in with it.

HTTP-level (requests with a cookie jar): the pages are plain server-rendered HTML."""
import base64
import html
import json
import re
import urllib.parse

import pytest
import requests

import rg
import seedkit

PASSWORD = "Console-Views-9f3!pass"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
READ_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
QUESTIONABLE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "EverythingButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    with seedkit.seeded(tmp_path_factory.mktemp("views")) as s:
        s.root_iam = rg.client(s.server, "iam")
        yield s


def text_of(page):
    """The page's text without tags, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


class Browser:
    """A browser's cookie jar and the console's forms (the CSRF token read from each page)."""

    def __init__(self, server):
        self.base = server.url
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, path, **kw):
        return self.http.get(self.base + path, timeout=30, allow_redirects=kw.pop("allow_redirects", True), **kw)

    def post(self, path, data, page=None, allow_redirects=True):
        """POSTs data with the CSRF token of page (or of a fresh GET of /console/)."""
        page = page if page is not None else self.get("/console/").text
        m = CSRF_RE.search(page)
        assert m, page
        return self.http.post(self.base + path, data=dict(data, csrf=html.unescape(m.group(1))), timeout=30,
                              allow_redirects=allow_redirects)

    def signin(self, account, user, password=PASSWORD, code=""):
        form = self.get("/console/signin").text
        r = self.post("/console/signin", {"usertype": "iam", "account": account, "username": user,
                                          "password": password, "mfacode": code}, page=form)
        assert r.status_code == 200, r.text
        return r


def seed_password(seed, person):
    """The console password `--example seed` printed for person."""
    m = re.search(rf"^# console password of {person}: (\S+)$", seed.text, re.M)
    assert m, seed.text
    return m.group(1)


def login_profile(iam, user):
    iam.create_login_profile(UserName=user, Password=PASSWORD, PasswordResetRequired=False)


def signed_in(seed, user, code="", password=PASSWORD):
    b = Browser(seed.server)
    r = b.signin(seed.accounts["Ops"], user, code=code, password=password)
    assert "/console/signin" not in r.url, text_of(r.text)
    return b


@pytest.fixture(scope="module")
def auditor(seed):
    """An Ops user whose own policies allow the reads (ReadOnlyAccess), signed in."""
    iam = seed.root_iam
    iam.create_user(UserName="auditor")
    iam.attach_user_policy(UserName="auditor", PolicyArn=READ_POLICY)
    login_profile(iam, "auditor")
    return signed_in(seed, "auditor")


@pytest.fixture(scope="module")
def questionable(seed):
    arn = seed.root_iam.create_policy(PolicyName="everything-but-iam", PolicyDocument=json.dumps(QUESTIONABLE),
                                      Description="Allows everything but IAM")["Policy"]["Arn"]
    return arn


def trust_ops(seed):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": f"arn:aws:iam::{seed.accounts['Ops']}:root"}}]}


@pytest.fixture(scope="module")
def deployer(seed):
    """A role of Ops with a managed and an inline policy (iam:PassRole on every role), used once."""
    iam = seed.root_iam
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                      "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(trust), Description="CI deploys")
    iam.attach_role_policy(RoleName="deployer", PolicyArn=READ_POLICY)
    iam.put_role_policy(RoleName="deployer", PolicyName="pass-any-role", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}))
    # used once, so that RoleLastUsed has a date
    admin = rg.admin_creds(seed.server)
    rg.client(seed.server, "sts", admin).assume_role(
        RoleArn=f"arn:aws:iam::{seed.accounts['Ops']}:role/deployer", RoleSessionName="ci")
    return "deployer"


# ---- the pages, as an identity whose policies allow the reads -------------------------------------------------------

def test_users_page_lists_the_accounts_users(seed, auditor):
    r = auditor.get("/console/iam/users")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    t = text_of(r.text)
    for name in ("anay", "abhi", "auditor"):
        assert f'href="/console/iam/users/{name}"' in r.text
    assert "Users" in t
    # a name with every punctuation IAM allows: linked percent-encoded, its page found
    odd = "ci.bot+deploy=1,ops@example-x_y"
    seed.root_iam.create_user(UserName=odd)
    page = auditor.get("/console/iam/users").text
    link = re.search(r'href="(/console/iam/users/ci[^"]*)"', page).group(1)
    assert link == "/console/iam/users/" + urllib.parse.quote(odd, safe="-._~")
    r = auditor.get(html.unescape(link))
    assert r.status_code == 200 and f"arn:aws:iam::{seed.accounts['Ops']}:user/{odd}" in text_of(r.text)
    # no such user: IAM's own error and status
    missing = auditor.get("/console/iam/users/nobody-here")
    assert missing.status_code == 404 and "The user with name nobody-here cannot be found." in text_of(missing.text)


def test_user_page_shows_groups_policies_keys_mfa_and_no_secret(seed, auditor):
    r = auditor.get("/console/iam/users/anay")
    assert r.status_code == 200, text_of(r.text)
    t = text_of(r.text)
    assert f"arn:aws:iam::{seed.accounts['Ops']}:user/anay" in t
    for g in ("dev", "stage", "prod", "people"):
        assert f'href="/console/iam/groups/{g}"' in r.text
    key_id, secret = seed.keys["anay"]
    assert key_id in t and "Active" in t
    assert secret not in r.text  # never a secret
    assert seed.serials["anay"] in t  # the MFA device
    assert re.search(r'id="login-profile">Yes', r.text)  # the seed gave anay a console password
    assert seed_password(seed, "anay") not in r.text
    # an inline policy of a group shows on its group page, pretty-printed and checked
    g = auditor.get("/console/iam/groups/people")
    assert g.status_code == 200
    gt = text_of(g.text)
    assert "self-service" in gt and "iam:CreateVirtualMFADevice" in gt and "No errors or warnings." in gt
    assert 'href="/console/iam/users/anay"' in g.text
    # the auditor's own page: a managed policy attached, and a console password; a user without one says No
    me = auditor.get("/console/iam/users/auditor")
    assert "ReadOnlyAccess" in text_of(me.text) and re.search(r'id="login-profile">Yes', me.text)
    seed.root_iam.create_user(UserName="keyonly")
    assert re.search(r'id="login-profile">No\.', auditor.get("/console/iam/users/keyonly").text)


def test_groups_and_roles_pages(seed, auditor, deployer):
    g = auditor.get("/console/iam/groups")
    assert g.status_code == 200
    for name in ("dev", "stage", "prod", "people"):
        assert f'href="/console/iam/groups/{name}"' in g.text
    roles = auditor.get("/console/iam/roles")
    assert roles.status_code == 200 and 'href="/console/iam/roles/deployer"' in roles.text
    r = auditor.get("/console/iam/roles/deployer")
    assert r.status_code == 200
    t = text_of(r.text)
    assert "Trust policy" in t and '"sts:AssumeRole"' in t and "CI deploys" in t
    assert "ReadOnlyAccess" in t
    # the inline policy's finding, and the trust policy checked as a trust policy
    assert "PassRoleWithStarInResource" in t
    assert "Validation (trust policy)" in t and "PrincipalEveryone" in t
    last = re.search(r'id="last-used">(.*?)</dd>', r.text).group(1)
    assert "<time" in last and "us-east-1" in last
    # data is text, never markup: a description that looks like a script is shown escaped
    probe = '<script>alert("x")</script>'
    seed.root_iam.create_role(RoleName="probe", AssumeRolePolicyDocument=json.dumps(trust_ops(seed)),
                              Description=probe)
    for page in (auditor.get("/console/iam/roles").text, auditor.get("/console/iam/roles/probe").text):
        assert probe not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_policies_list_and_policy_page_with_the_validators_finding(seed, auditor, questionable):
    lst = auditor.get("/console/iam/policies?scope=Local")
    assert lst.status_code == 200
    assert "everything-but-iam" in lst.text and "ReadOnlyAccess" not in text_of(lst.text)
    aws = auditor.get("/console/iam/policies?scope=AWS")
    assert "ReadOnlyAccess" in text_of(aws.text) and "everything-but-iam" not in aws.text
    r = auditor.get("/console/iam/policies/" + questionable)
    assert r.status_code == 200, text_of(r.text)
    t = text_of(r.text)
    # pretty-printed: one member per line, indented
    assert '\n  "Statement": [' in html.unescape(r.text)
    assert "Warning AllowWithNotAction" in t and "Statement 1 (EverythingButIam)" in t
    assert "Allows everything but IAM" in t and "v1 (default)" in t
    # an AWS managed policy's page, through the link the list gives
    m = re.search(r'href="(/console/iam/policies/[^"]*(?:/|%2F)ReadOnlyAccess)"', aws.text)
    ro = auditor.get(html.unescape(m.group(1)))
    assert ro.status_code == 200 and READ_POLICY in text_of(ro.text)
    # a policy that does not exist: IAM's error, with its status
    missing = auditor.get(f"/console/iam/policies/arn:aws:iam::{seed.accounts['Ops']}:policy/nope")
    assert missing.status_code == 404 and "NoSuchEntity" in missing.text


def test_pages_paginate_with_the_apis_marker(seed, auditor):
    iam = seed.root_iam
    for i in range(101):
        iam.create_group(GroupName=f"page-{i:03d}")
    first = auditor.get("/console/iam/groups")
    m = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert m, "a next-page link"
    second = auditor.get(html.unescape(m.group(1)))
    names = lambda p: set(re.findall(r'href="/console/iam/groups/([^"]+)"', p.text))
    assert len(names(first)) == 100 and names(first).isdisjoint(names(second))
    assert len(names(first) | names(second)) == len(iam.list_groups(MaxItems=1000)["Groups"])


def test_anay_in_a_switched_role_sees_the_environments_iam(seed):
    """The seed's way in: anay signs in to Ops with MFA, switches to Dev's readonly role; every page is then Dev's,
    authorized as the role session. Back in Ops, her own policies do not allow the reads."""
    b = signed_in(seed, "anay", code=seed.code("anay"), password=seed_password(seed, "anay"))
    dev = seed.accounts["Dev"]
    r = b.post("/console/switchrole", {"account": dev, "roleName": "readonly", "displayName": "Dev read",
                                       "color": "B7CA9D"})
    assert r.status_code == 200 and 'id="rolebar"' in r.text, text_of(r.text)
    users = b.get("/console/iam/users")
    assert users.status_code == 200 and "No users." in text_of(users.text)  # nobody lives in an environment
    roles = b.get("/console/iam/roles")
    for name in ("admin", "readonly", "OrganizationAccountAccessRole"):
        assert f'href="/console/iam/roles/{name}"' in roles.text
    admin = b.get("/console/iam/roles/admin")
    t = text_of(admin.text)
    assert admin.status_code == 200 and f"arn:aws:iam::{dev}:role/admin" in t
    assert f'"AWS": "arn:aws:iam::{seed.accounts["Ops"]}:root"' in t and '"aws:MultiFactorAuthPresent": "true"' in t
    assert "AdministratorAccess" in t and 'id="rolebar"' in admin.text
    ro = b.get("/console/iam/roles/readonly")
    assert "<time" in re.search(r'id="last-used">(.*?)</dd>', ro.text).group(1)  # the switch just used it
    assert b.get("/console/iam/groups").status_code == 200
    assert "AdministratorAccess" in text_of(b.get("/console/iam/policies?scope=AWS").text)
    org = b.get("/console/organizations")
    assert org.status_code == 400 and "AccessDeniedException" in org.text  # a member account
    b.post("/console/back", {})
    back = b.get("/console/iam/users")
    assert back.status_code == 403 and "is not authorized to perform: iam:ListUsers" in text_of(back.text)


# ---- refusals: the engine decides as the signed-in identity ---------------------------------------------------------

def test_a_user_whose_policies_do_not_allow_listusers_sees_aws_access_denied(seed):
    b = signed_in(seed, "abhi", code=seed.code("abhi"), password=seed_password(seed, "abhi"))
    r = b.get("/console/iam/users")
    assert r.status_code == 403
    arn = f"arn:aws:iam::{seed.accounts['Ops']}:user/abhi"
    assert (f"User: {arn} is not authorized to perform: iam:ListUsers on resource: "
            f"arn:aws:iam::{seed.accounts['Ops']}:user/ because no identity-based policy allows the iam:ListUsers "
            "action") in text_of(r.text)
    assert "AccessDenied" in r.text
    # their own user: GetUser is allowed (self-service), other sections say what is refused
    me = b.get("/console/iam/users/abhi")
    assert me.status_code == 200
    assert "iam:ListAttachedUserPolicies" in text_of(me.text) and "AccessDenied" in me.text
    other = b.get("/console/iam/users/anay")
    assert other.status_code == 403 and "iam:GetUser" in text_of(other.text)
    org = b.get("/console/organizations")
    assert org.status_code in (400, 403) and "AccessDenied" in org.text


def test_signed_out_pages_go_to_signin(seed):
    r = Browser(seed.server).get("/console/iam/users", allow_redirects=False)
    assert r.status_code in (302, 303) and "/console/signin" in r.headers["Location"]


# ---- organizations: the management account, refused elsewhere ------------------------------------------------------

def test_organizations_page_in_the_management_account(seed, auditor):
    org = rg.client(seed.server, "organizations")
    org.enable_policy_type(RootId=org.list_roots()["Roots"][0]["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    scp = {"Version": "2012-10-17", "Statement": [{"Sid": "NoLeaving", "Effect": "Deny",
                                                   "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
    org.create_policy(Name="no-leaving", Description="Members stay", Type="SERVICE_CONTROL_POLICY",
                      Content=json.dumps(scp))
    r = auditor.get("/console/organizations")
    assert r.status_code == 200, text_of(r.text)
    t = text_of(r.text)
    listed = {a["Id"]: a for a in org.list_accounts()["Accounts"]}
    assert set(listed) == set(seed.accounts.values())
    for acct, a in listed.items():
        assert " ".join(v for v in (acct, a.get("Name"), a.get("Email"), a["Status"]) if v) in t
    for env in ("Dev", "Stage", "Prod"):
        assert listed[seed.accounts[env]]["Name"] == env
    assert "ACTIVE" in t and "@" in t  # status, email
    assert "no-leaving" in t and "organizations:LeaveOrganization" in t and "Validation (scp policy)" in t
    # AWS's FullAWSAccess (Allow * on *) is a limit in an SCP, not a grant: nothing to warn about
    assert "FullAWSAccess" in t and "FullAccess" not in r.text.replace("FullAWSAccess", "")


def test_organizations_page_refused_in_a_member_account(seed):
    admin = rg.admin_creds(seed.server)
    c = rg.client(seed.server, "sts", admin).assume_role(
        RoleArn=f"arn:aws:iam::{seed.accounts['Dev']}:role/OrganizationAccountAccessRole",
        RoleSessionName="setup")["Credentials"]
    dev = rg.client(seed.server, "iam", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    dev.create_user(UserName="devops")
    dev.attach_user_policy(UserName="devops", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    login_profile(dev, "devops")
    b = Browser(seed.server)
    r = b.signin(seed.accounts["Dev"], "devops")
    assert "/console/signin" not in r.url
    r = b.get("/console/organizations")
    assert r.status_code == 400 and "AccessDeniedException" in r.text
    assert "You don't have permissions to access this resource." in text_of(r.text)
    assert seed.accounts["Prod"] not in r.text
    # the member account's own users are there to see
    assert b.get("/console/iam/users").status_code == 200


# ---- MFA self-service -----------------------------------------------------------------------------------------------

def enrol_page_secret(page):
    m = re.search(r'id="mfa-secret">([A-Z2-7]{64})<', page)
    assert m, text_of(page)
    return m.group(1)


def test_mfa_enrolment_through_the_pages_then_sign_in_with_mfa(seed):
    iam = seed.root_iam
    iam.create_user(UserName="carol")
    iam.add_user_to_group(GroupName="people", UserName="carol")
    login_profile(iam, "carol")
    b = signed_in(seed, "carol")  # no device: no code asked
    page = b.get("/console/mfa")
    assert page.status_code == 200 and 'id="mfa-assign"' in page.text, text_of(page.text)
    r = b.post("/console/mfa/create", {}, page=page.text)
    assert r.status_code == 200, text_of(r.text)
    assert "no-store" in r.headers["Cache-Control"]
    secret = enrol_page_secret(r.text)
    rg.SEEN_SECRETS.add(secret)  # conftest: never in the server's log
    qr = re.search(r'id="mfa-qr" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', r.text)
    assert qr and base64.b64decode(qr.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
    assert secret not in r.url and secret not in "".join(h.url for h in r.history)
    # a wrong pair: AWS's error, asked again (the device stays unassigned)
    bad = b.post("/console/mfa/enable", {"serial": f"arn:aws:iam::{seed.accounts['Ops']}:mfa/carol",
                                         "code1": "000000", "code2": "000000"}, page=r.text)
    assert bad.status_code == 403 and "Authentication code for device is not valid." in text_of(bad.text)
    assert iam.list_mfa_devices(UserName="carol")["MFADevices"] == []
    now = seed.clock.now()
    step = int(now // 30)
    code1, code2 = seedkit.totp(secret, (step - 1) * 30 + 1), seedkit.totp(secret, step * 30 + 1)
    ok = b.post("/console/mfa/enable", {"serial": f"arn:aws:iam::{seed.accounts['Ops']}:mfa/carol",
                                        "code1": code1, "code2": code2}, page=bad.text)
    assert ok.status_code == 200 and 'id="mfa-enabled"' in ok.text, text_of(ok.text)
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="carol")["MFADevices"]] == [
        f"arn:aws:iam::{seed.accounts['Ops']}:mfa/carol"]
    assert "Remove" in ok.text and 'id="mfa-assign"' not in ok.text
    # from now on the sign-in asks for a code: without one it is refused, with one from the device it works
    b.post("/console/signout", {})
    again = Browser(seed.server)
    refused = again.signin(seed.accounts["Ops"], "carol")
    assert "/console/signin" in refused.url or 'id="signin-form"' in refused.text
    seed.clock.advance(30 - seed.clock.now() % 30 + 1)
    code = seedkit.totp(secret, seed.clock.now())
    r = again.signin(seed.accounts["Ops"], "carol", code=code)
    assert 'id="signin-form"' not in r.text, text_of(r.text)
    # removing it needs MFA (the seed's policy): this session has it
    mfa = again.get("/console/mfa")
    gone = again.post("/console/mfa/remove", {"serial": f"arn:aws:iam::{seed.accounts['Ops']}:mfa/carol"},
                      page=mfa.text)
    assert gone.status_code == 200 and 'id="mfa-removed"' in gone.text, text_of(gone.text)
    assert iam.list_mfa_devices(UserName="carol")["MFADevices"] == []
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] and all(
        not d["SerialNumber"].endswith(":mfa/carol") for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"])


def test_an_abandoned_enrolment_starts_over_with_a_new_secret(seed):
    iam = seed.root_iam
    iam.create_user(UserName="dave")
    iam.add_user_to_group(GroupName="people", UserName="dave")
    login_profile(iam, "dave")
    b = signed_in(seed, "dave")
    first = b.post("/console/mfa/create", {})
    s1 = enrol_page_secret(first.text)
    rg.SEEN_SECRETS.add(s1)
    second = b.post("/console/mfa/create", {}, page=first.text)
    s2 = enrol_page_secret(second.text)
    rg.SEEN_SECRETS.add(s2)
    assert s1 != s2


def test_a_user_without_the_permission_is_not_offered_enrolment(seed):
    iam = seed.root_iam
    iam.create_user(UserName="erin")
    login_profile(iam, "erin")
    iam.put_user_policy(UserName="erin", PolicyName="see-own-devices", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListMFADevices",
                                                 "Resource": "arn:aws:iam::*:user/${aws:username}"}]}))
    b = signed_in(seed, "erin")
    page = b.get("/console/mfa")
    assert page.status_code == 200
    assert 'id="mfa-assign"' not in page.text and 'id="mfa-not-offered"' in page.text
    assert "is not authorized to perform: iam:CreateVirtualMFADevice" in text_of(page.text)
    # and posting the form anyway is refused by the engine, with AWS's text
    r = b.post("/console/mfa/create", {}, page=page.text)
    assert r.status_code == 403 and "iam:CreateVirtualMFADevice" in text_of(r.text)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == [] or all(
        not d["SerialNumber"].endswith(":mfa/erin") for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"])


def test_the_root_user_assigns_its_device_from_the_console(seed):
    """As on AWS, the root user's MFA device is assigned from the console (IAM names the root by its account id)."""
    import subprocess
    ops = seed.accounts["Ops"]
    root_pw = "Root-Views-Passw0rd-9"
    rg.SEEN_SECRETS.add(root_pw)
    p = subprocess.run([str(rg.BIN), "root-password", "--data", str(seed.server.data_dir)], input=root_pw + "\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    b = Browser(seed.server)
    form = b.get("/console/signin").text
    r = b.post("/console/signin", {"usertype": "root", "account": ops, "username": "", "password": root_pw,
                                   "mfacode": ""}, page=form)
    assert 'id="signin-form"' not in r.text, text_of(r.text)
    page = b.get("/console/mfa")
    assert 'id="mfa-assign"' in page.text, text_of(page.text)
    r = b.post("/console/mfa/create", {}, page=page.text)
    secret = enrol_page_secret(r.text)
    rg.SEEN_SECRETS.add(secret)
    serial = f"arn:aws:iam::{ops}:mfa/root-account-mfa-device"
    step = int(seed.clock.now() // 30)
    ok = b.post("/console/mfa/enable", {"serial": serial, "code1": seedkit.totp(secret, (step - 1) * 30 + 1),
                                        "code2": seedkit.totp(secret, step * 30 + 1)}, page=r.text)
    assert 'id="mfa-enabled"' in ok.text and serial in ok.text, text_of(ok.text)
    assert [d["SerialNumber"] for d in seed.root_iam.list_mfa_devices()["MFADevices"]] == [serial]
    gone = b.post("/console/mfa/remove", {"serial": serial}, page=ok.text)
    assert 'id="mfa-removed"' in gone.text, text_of(gone.text)
    assert seed.root_iam.list_mfa_devices()["MFADevices"] == []


def test_mfa_forms_need_the_csrf_token(seed, auditor):
    r = auditor.http.post(auditor.base + "/console/mfa/create", data={}, timeout=30, allow_redirects=False)
    assert r.status_code == 403


# ---- in a real browser: the pages as a person sees them (screenshots in build/console-screens/) ----------------------

def browser_signin(b, account, user, password, code=""):
    b.get("/console/signin")
    b.fill("account", account)
    b.fill("username", user)
    b.fill("password", password)
    if code:
        b.fill("mfacode", code)
    b.click("signin-button")
    assert not b.path().startswith("/console/signin"), b.source()


def test_in_a_browser_pages_and_mfa_enrolment(seed, questionable, deployer):
    import console_browser

    ops = seed.accounts["Ops"]
    iam = seed.root_iam
    iam.create_user(UserName="grace")
    iam.add_user_to_group(GroupName="people", UserName="grace")
    iam.attach_user_policy(UserName="grace", PolicyArn=READ_POLICY)
    login_profile(iam, "grace")
    with console_browser.browser(seed.server.url) as b:
        browser_signin(b, ops, "grace", PASSWORD)
        b.get("/console/iam/users")
        assert b.exists("users") and "anay" in b.text("users")
        b.screenshot("users")
        b.get("/console/iam/roles/" + deployer)
        assert "Trust policy" in b.source()
        b.screenshot("role-detail")
        b.get("/console/iam/policies/" + questionable)
        assert "AllowWithNotAction" in b.source()
        b.screenshot("policy")
        b.get("/console/organizations")
        assert b.exists("org-accounts")
        b.screenshot("organizations")
        # enrolment: the offer, the QR code (a data: image the CSP lets load) and the secret, two codes
        b.get("/console/mfa")
        b.submit_form("mfa-assign")
        qr = b.el("mfa-qr")
        assert b.driver.execute_script("return arguments[0].naturalWidth", qr) > 0
        secret = b.text("mfa-secret")
        rg.SEEN_SECRETS.add(secret)
        b.screenshot("mfa-enrolment")
        step = int(seed.clock.now() // 30)
        b.fill("code1", seedkit.totp(secret, (step - 1) * 30 + 1))
        b.fill("code2", seedkit.totp(secret, step * 30 + 1))
        b.submit_form("mfa-codes")
        assert b.exists("mfa-enabled") and f"{ops}:mfa/grace" in b.text("mfa-devices")
        assert not [e for e in b.console_errors() if "Content Security Policy" in e["message"]]
    # anay, with her seed password and MFA: her own device is listed; the account's users are not hers to list
    with console_browser.browser(seed.server.url) as b:
        browser_signin(b, ops, "anay", seed_password(seed, "anay"), seed.code("anay"))
        b.get("/console/mfa")
        assert seed.serials["anay"] in b.text("mfa-devices")
        b.get("/console/iam/users")
        assert "is not authorized to perform: iam:ListUsers" in b.text("error")
        b.screenshot("users-access-denied")
        # AWS's switch-role link, then Prod's readonly role as the role sees it (the bar in its colour)
        prod = seed.accounts["Prod"]
        b.get(f"/console/switchrole?account={prod}&roleName=readonly&displayName=Prod%20read&color=F2B0A9")
        b.click("switchrole-button")
        b.get("/console/iam/roles/admin")
        assert b.exists("rolebar") and f"arn:aws:iam::{prod}:role/admin" in b.text("arn")
        b.screenshot("role-detail-in-prod")
