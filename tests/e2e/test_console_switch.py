"""Switch role in the web console (src/console/switchrole.c, home_roles.c, switchable.c) on `--example seed`:
anay (groups dev, stage, prod) switches to Dev, Stage and Prod's admin and the role bar shows it; abhi (dev only)
is refused Stage and Prod with AWS's AccessDenied text and his home page lists only Dev's roles; AWS's switch-role
link fills the form; back to the user; a POST without the CSRF token is refused; every switch is an sts:AssumeRole
in the audit trail. HTTP level, with a cookie jar, signing in through the form like a browser."""
import concurrent.futures
import re
import sqlite3
import urllib.parse
from html import unescape

import pytest
import requests

import seedkit

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def password_of(seed, person):
    return re.search(rf"^# console password of {person}: (\S+)$", seed.text, re.M).group(1)


class Browser:
    """A cookie jar and the last page, signing in through /console/signin."""

    def __init__(self, seed):
        self.seed = seed
        self.base = seed.server.url
        self.s = requests.Session()
        self.s.trust_env = False
        self.page = None

    def get(self, path, **kw):
        self.page = self.s.get(self.base + path, timeout=30, **kw)
        return self.page

    def csrf(self):
        m = CSRF_RE.search(self.page.text)
        assert m, self.page.text
        return unescape(m.group(1))

    def post(self, path, data, csrf=True):
        data = dict(data)
        if csrf:
            data["csrf"] = self.csrf()
        self.page = self.s.post(self.base + path, data=data, timeout=60)
        return self.page

    def sign_in(self, person):
        self.get("/console/signin")
        r = self.post("/console/signin", {"usertype": "iam", "account": self.seed.accounts["Ops"], "username": person,
                                          "password": password_of(self.seed, person),
                                          "mfacode": self.seed.code(person)})
        assert r.status_code == 200 and r.url.endswith("/console/"), r.text
        return r

    def switch(self, env, role="admin", **extra):
        self.get("/console/")
        return self.post("/console/switchrole", {"account": self.seed.accounts[env], "roleName": role, **extra})


def switchable(page):
    """The (account id, role name) pairs of the home page's switchable roles."""
    return set(re.findall(r'<tr class="switchable-role" data-account="(\d{12})" data-role="([^"]+)"', page.text))


def rolebar(page):
    m = re.search(r'<section class="rolebar role-color-(\w+)" id="rolebar".*?</section>', page.text, re.S)
    if not m:
        return None
    text = re.sub(r"<[^>]+>", " ", m.group(0))
    return m.group(1), " ".join(unescape(text).split())


def assume_role_audit(seed):
    db = sqlite3.connect(f"file:{seed.server.data_dir / 'audit.db'}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in db.execute(
            "SELECT principal_arn, resource, outcome FROM audit WHERE action = 'sts:AssumeRole' ORDER BY seq")]
    finally:
        db.close()


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    with seedkit.seeded(tmp_path_factory.mktemp("console-switch")) as s:
        yield s


@pytest.mark.sqlite_only('reads DATA/audit.db with sqlite3')
def test_anay_switches_to_each_environment(seed):
    b = Browser(seed)
    home = b.sign_in("anay")
    ops = seed.accounts["Ops"]
    # every environment's roles are switchable for anay, and nothing else (Ops has no roles)
    assert switchable(home) == {(seed.accounts[e], r) for e in ("Dev", "Stage", "Prod") for r in ("admin", "readonly")}
    assert rolebar(home) is None
    for env, color in (("Dev", "99BCE3"), ("Stage", "FAD791"), ("Prod", "F2B0A9")):
        r = b.switch(env, displayName=f"{env} admin", color=color)
        assert r.status_code == 200 and r.url.endswith("/console/"), r.text
        bar = rolebar(r)
        assert bar, r.text
        assert bar[0] == color
        assert f"{env} admin" in bar[1] and seed.accounts[env] in bar[1] and "admin" in bar[1]
        assert "Back to anay" in bar[1]
        assert f"arn:aws:sts::{seed.accounts[env]}:assumed-role/admin/anay" in r.text
    # switching while in Prod switched from the user each time: the audit says anay (not a role) assumed each
    rows = [row for row in assume_role_audit(seed) if row[0].endswith(":user/anay")]
    for env in ("Dev", "Stage", "Prod"):
        assert (f"arn:aws:iam::{ops}:user/anay", seed.role_arn(env), "Success") in rows
    assert not [row for row in assume_role_audit(seed) if "assumed-role" in row[0]]
    # recent roles, most recent first, with their display names
    home = b.get("/console/")
    recent = re.findall(r'<li class="recent-role" data-account="(\d{12})" data-role="([^"]+)"', home.text)
    assert recent[:3] == [(seed.accounts[e], "admin") for e in ("Prod", "Stage", "Dev")]
    assert "Stage admin" in home.text
    # back to the user
    r = b.post("/console/back", {})
    assert r.status_code == 200 and r.url.endswith("/console/")
    assert rolebar(r) is None and "Back to anay" not in r.text


@pytest.mark.sqlite_only('reads DATA/audit.db with sqlite3')
def test_abhi_only_dev(seed):
    b = Browser(seed)
    home = b.sign_in("abhi")
    assert switchable(home) == {(seed.accounts["Dev"], "admin"), (seed.accounts["Dev"], "readonly")}
    ops = seed.accounts["Ops"]
    for env in ("Stage", "Prod"):
        r = b.switch(env)
        assert r.status_code == 403, r.text
        assert "AccessDenied" in r.text
        assert (f"User: arn:aws:iam::{ops}:user/abhi is not authorized to perform: sts:AssumeRole on resource: "
                f"{seed.role_arn(env)}") in unescape(r.text)
        assert rolebar(r) is None
        assert (f"arn:aws:iam::{ops}:user/abhi", seed.role_arn(env), "AccessDenied") in assume_role_audit(seed)
    r = b.switch("Dev")
    assert r.status_code == 200 and rolebar(r) and seed.accounts["Dev"] in rolebar(r)[1]
    # the default display name is AWS's: ROLE @ ACCOUNT
    assert rolebar(r)[1].startswith(f"admin @ {seed.accounts['Dev']}")
    assert (f"arn:aws:iam::{ops}:user/abhi", seed.role_arn("Dev"), "Success") in assume_role_audit(seed)
    # while in Dev's admin (which may do anything in Dev), Stage stays refused: the switch is abhi's, not the role's
    r = b.switch("Stage")
    assert r.status_code == 403 and "AccessDenied" in r.text


def test_switch_role_link(seed):
    b = Browser(seed)
    b.sign_in("anay")
    dev = seed.accounts["Dev"]
    q = urllib.parse.urlencode({"account": dev, "roleName": "readonly", "displayName": "Dev <read>", "color": "b7ca9d"})
    r = b.get(f"/console/switchrole?{q}")
    assert r.status_code == 200
    form = r.text
    assert f'name="account" value="{dev}"' in form and 'name="roleName" value="readonly"' in form
    assert 'value="Dev &lt;read&gt;"' in form  # escaped, never raw markup
    assert re.search(r'value="B7CA9D" id="color-B7CA9D" checked', form)
    assert rolebar(r) is None  # a GET switches nobody
    # submitting the prefilled form switches
    r = b.post("/console/switchrole", {"account": dev, "roleName": "readonly", "displayName": "Dev <read>",
                                       "color": "B7CA9D"})
    assert rolebar(r) == ("B7CA9D", rolebar(r)[1]) and "Dev <read>" in rolebar(r)[1] and "readonly" in rolebar(r)[1]
    # a bad colour or an overlong display name in a link is refused, not stored
    r = b.get("/console/switchrole?" + urllib.parse.urlencode({"account": dev, "roleName": "admin", "color": "red"}))
    assert r.status_code == 400 and "6 hexadecimal digits" in r.text
    r = b.get("/console/switchrole?" + urllib.parse.urlencode({"account": dev, "roleName": "admin",
                                                                "displayName": "x" * 65}))
    assert r.status_code == 400 and "at most 64 characters" in r.text


@pytest.mark.sqlite_only('reads DATA/audit.db with sqlite3')
def test_csrf_refused(seed):
    b = Browser(seed)
    b.sign_in("anay")
    before = len(assume_role_audit(seed))
    r = b.post("/console/switchrole", {"account": seed.accounts["Prod"], "roleName": "admin"}, csrf=False)
    assert r.status_code == 403 and "InvalidCsrfToken" in r.text
    r = b.post("/console/switchrole", {"account": seed.accounts["Prod"], "roleName": "admin", "csrf": "x" * 43},
               csrf=False)
    assert r.status_code == 403
    assert len(assume_role_audit(seed)) == before  # nothing was attempted
    assert rolebar(b.get("/console/")) is None
    b.switch("Prod")
    r = b.post("/console/back", {}, csrf=False)
    assert r.status_code == 403
    assert rolebar(b.get("/console/")) is not None  # still in the role


def test_signed_out_cannot_switch(seed):
    b = Browser(seed)
    r = b.get("/console/switchrole?account=123456789012&roleName=admin")
    assert urllib.parse.urlparse(r.url).path == "/console/signin"  # (with the link to go back to once signed in)
    assert 'id="switchrole-form"' not in r.text
    r = b.s.post(seed.server.url + "/console/switchrole", data={"account": seed.accounts["Dev"], "roleName": "admin"},
                 timeout=30)
    assert r.status_code == 403


# ---- in a real browser (headless chromium: tests/e2e/console_browser.py) ----------------------------------------

def browser_sign_in(b, seed, person):
    b.get("/console/signin")
    b.fill("account", seed.accounts["Ops"])
    b.fill("username", person)
    b.fill("password", password_of(seed, person))
    b.fill("mfacode", seed.code(person))
    b.click("signin-button")
    assert b.path() == "/console/", b.source()


def browser_switch(b, account, role, display=None, color=None):
    b.get("/console/switchrole")
    b.fill("account", account)
    b.fill("roleName", role)
    if display:
        b.fill("displayName", display)
    if color:
        b.el(f"color-{color}").click()
    b.click("switchrole-button")


def test_browser_switch_role(seed):
    import console_browser
    from selenium.webdriver.common.by import By

    with console_browser.browser(seed.server.url) as b:
        browser_sign_in(b, seed, "anay")
        rows = b.driver.find_elements(By.CSS_SELECTOR, "#switchable tr.switchable-role")
        assert len(rows) == 6
        b.screenshot("home-switchable-roles")
        colors = {"Dev": "99BCE3", "Stage": "FAD791", "Prod": "F2B0A9"}
        for env in ("Dev", "Stage", "Prod"):
            browser_switch(b, seed.accounts[env], "admin", display=f"{env} admin", color=colors[env])
            assert b.path() == "/console/", b.source()
            bar = b.el("rolebar")
            assert f"role-color-{colors[env]}" in bar.get_attribute("class")
            assert f"{env} admin" in bar.text and seed.accounts[env] in bar.text and "admin" in bar.text
            # the bar's colour is really painted (console.css, no inline style)
            assert bar.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
        b.screenshot("role-bar")
        assert "Back to anay" in b.text("rolebar")
        # the recent roles, most recent first
        recent = [li.get_attribute("data-account") for li in
                  b.driver.find_elements(By.CSS_SELECTOR, "#recent-roles li.recent-role")]
        assert recent[:3] == [seed.accounts[e] for e in ("Prod", "Stage", "Dev")]
        b.driver.execute_script("arguments[0].scrollIntoView()", b.el("recent-roles-heading"))
        b.screenshot("home-recent-roles")
        # back to anay
        b.click("back-button")
        assert b.path() == "/console/"
        assert not b.exists("rolebar")
        # AWS's link: prefilled form, one click
        q = urllib.parse.urlencode({"account": seed.accounts["Dev"], "roleName": "readonly",
                                    "displayName": "Dev read-only", "color": "B7CA9D"})
        b.get(f"/console/switchrole?{q}")
        assert b.el("account").get_attribute("value") == seed.accounts["Dev"]
        assert b.el("color-B7CA9D").is_selected()
        b.screenshot("switch-role-form")
        b.click("switchrole-button")
        assert "Dev read-only" in b.text("rolebar")
        # no CSP violation, script error or failed load (the pages link the console's icon)
        assert b.console_errors() == []


def test_browser_abhi_refused(seed):
    import console_browser
    from selenium.webdriver.common.by import By

    with console_browser.browser(seed.server.url) as b:
        browser_sign_in(b, seed, "abhi")
        rows = {r.get_attribute("data-account") for r in
                b.driver.find_elements(By.CSS_SELECTOR, "#switchable tr.switchable-role")}
        assert rows == {seed.accounts["Dev"]}
        for env in ("Stage", "Prod"):
            browser_switch(b, seed.accounts[env], "admin")
            assert b.text("error-code") == "AccessDenied"
            assert b.text("error-message") == (
                f"User: arn:aws:iam::{seed.accounts['Ops']}:user/abhi is not authorized to perform: sts:AssumeRole "
                f"on resource: {seed.role_arn(env)}")
            assert not b.exists("rolebar")
        b.screenshot("switch-role-refused")


@pytest.mark.sqlite_only('reads DATA/audit.db with sqlite3')
def test_switch_by_account_alias(seed):
    """The account field (form and link) takes the account's alias, as AWS's does."""
    iam = seed.boto3_session("anay-stage", code_for="anay").client("iam")
    iam.create_account_alias(AccountAlias="seed-stage")
    b = Browser(seed)
    b.sign_in("anay")
    r = b.get("/console/switchrole?account=seed-stage&roleName=readonly")
    assert r.status_code == 200 and 'name="account" value="seed-stage"' in r.text
    r = b.post("/console/switchrole", {"account": "seed-stage", "roleName": "readonly"})
    bar = rolebar(r)
    assert bar and bar[1].startswith("readonly @ seed-stage") and seed.accounts["Stage"] in bar[1], r.text
    # an alias nobody has: AWS's switch-role page's answer, no AssumeRole attempted
    before = len(assume_role_audit(seed))
    r = b.post("/console/switchrole", {"account": "no-such-alias", "roleName": "readonly"})
    assert r.status_code == 400 and "Invalid information in one or more fields" in r.text
    assert len(assume_role_audit(seed)) == before


def test_many_roles_bounded(tmp_path):
    """An organization with more roles than one list weighs (SWITCHABLE_MAX, 500): the home page says so and lists
    only allowed roles of the first ones, rather than taking unbounded time."""
    with seedkit.seeded(tmp_path) as seed:
        iam = seed.boto3_session("anay-dev", code_for="anay").client("iam")
        trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},'
                 '"Action":"sts:AssumeRole"}]}' % seed.accounts["Ops"])
        with concurrent.futures.ThreadPoolExecutor(4) as pool:  # a boto3 client may be shared between threads
            list(pool.map(lambda i: iam.create_role(RoleName=f"r{i:04d}", AssumeRolePolicyDocument=trust),
                          range(500)))
        b = Browser(seed)
        home = b.sign_in("anay")
        assert 'id="switchable-truncated"' in home.text
        everything = {(seed.accounts[e], r) for e in ("Dev", "Stage", "Prod") for r in ("admin", "readonly")}
        assert switchable(home) <= everything  # anay's policies allow only these, whatever the trust policies say


def test_root_cannot_switch(seed):
    """As on AWS, the root user cannot switch roles: no role is offered, and a switch is AssumeRole's refusal."""
    import subprocess
    import rg

    root_pw = "Root-Switch-Passw0rd"
    rg.SEEN_SECRETS.add(root_pw)
    p = subprocess.run([str(rg.BIN), "root-password", "--data", str(seed.server.data_dir)], input=root_pw + "\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    b = Browser(seed)
    b.get("/console/signin")
    home = b.post("/console/signin", {"usertype": "root", "account": seed.accounts["Ops"], "password": root_pw})
    assert home.url.endswith("/console/") and f"arn:aws:iam::{seed.accounts['Ops']}:root" in home.text, home.text
    assert switchable(home) == set() and "Roles may not be assumed by root accounts." in home.text
    r = b.switch("Dev")
    assert r.status_code == 403 and "Roles may not be assumed by root accounts." in r.text and rolebar(r) is None


def test_boundary_narrows_list_and_switch_alike(seed):
    """The list is the engine's answer, with everything a real switch weighs: a permissions boundary on abhi that
    allows only Dev's readonly leaves only that role listed, and a switch to Dev's admin is refused."""
    import json
    import rg

    iam = rg.client(seed.server, "iam")
    assert seed.server.account == seed.accounts["Ops"]
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                   "Resource": seed.role_arn("Dev", "readonly")}]}
    arn = iam.create_policy(PolicyName="abhi-boundary", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="abhi", PermissionsBoundary=arn)
    try:
        b = Browser(seed)
        home = b.sign_in("abhi")
        assert switchable(home) == {(seed.accounts["Dev"], "readonly")}
        r = b.switch("Dev", "admin")
        assert r.status_code == 403 and "AccessDenied" in r.text and rolebar(r) is None
        r = b.switch("Dev", "readonly")
        assert rolebar(r) is not None
    finally:
        iam.delete_user_permissions_boundary(UserName="abhi")
