"""The console works with the keyboard and a screen reader (issue 13: "labels, headings, focus order"), checked in a
real browser's DOM (headless chromium, tests/e2e/console_browser.py) on `--example seed`, for every page: the sign-in
page, home (with and without the switch-role bar), the switch role form, users, a user, groups, a group, roles, a
role, policies, a policy, organizations, the audit trail, an audit event, the simulator (with a result), MFA,
password, and an error page (AWS's AccessDenied).

Each page: <html lang>, a <title>, exactly one <h1> first and no skipped heading level, no duplicate id, every
visible input/select/textarea with an accessible name (<label for>, a wrapping <label>, aria-label/-labelledby),
every <label for> pointing at a control, every button and link with a name, images with alt, tables with a caption
(or aria-label) and <th scope> headers, error and notice boxes inside role=alert/status, the <header>, <main> (and,
signed in, a labelled <nav>) landmarks, and a "Skip to content" link first whose target exists.

The keyboard: on the sign-in page Tab reaches account, user name, password, MFA code and Sign in in that order and
Enter in the form signs in; on the home page Tab reaches the skip link first (Enter moves focus to the main content),
the switch buttons (Enter on one switches role), then "Back to <user>" in the role bar; every element focused by Tab
shows a focus indicator (an outline or a box-shadow in its computed style)."""
import json
import re
import urllib.parse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

import console_browser
import rg
import seedkit

PASSWORD = "Console-A11y-7q!pass"
READ_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"

# One script, run in the page: the list of what is wrong with it (empty: nothing).
AUDIT_JS = r"""
const signedIn = arguments[0];
const out = [];
const text = e => (e.textContent || '').replace(/\s+/g, ' ').trim();
const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length) &&
                     getComputedStyle(e).visibility !== 'hidden';
const describe = e => '<' + e.tagName.toLowerCase() + (e.id ? ' id=' + e.id : '') +
                      (e.getAttribute('name') ? ' name=' + e.getAttribute('name') : '') +
                      (e.className && typeof e.className === 'string' ? ' class="' + e.className + '"' : '') + '>' +
                      (text(e) ? ' "' + text(e).slice(0, 40) + '"' : '');
function ariaNamed(e) {
  if ((e.getAttribute('aria-label') || '').trim()) return true;
  const ids = (e.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
  return ids.some(id => { const t = document.getElementById(id); return t && text(t); });
}
function named(e) {
  if (ariaNamed(e) || text(e)) return true;
  if ((e.getAttribute('title') || '').trim()) return true;
  return [...e.querySelectorAll('img[alt]')].some(i => i.getAttribute('alt').trim());
}

// the document
if (!(document.documentElement.getAttribute('lang') || '').trim()) out.push('<html> has no lang');
if (!document.title.trim()) out.push('no <title>');
// headings: exactly one h1, the first heading; no level skipped going down
const hs = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')];
const h1s = hs.filter(h => h.tagName === 'H1');
if (h1s.length !== 1) out.push('expected exactly one <h1>, found ' + h1s.length);
if (hs.length && hs[0].tagName !== 'H1') out.push('the first heading is not the <h1>: ' + describe(hs[0]));
let prev = 0;
for (const h of hs) {
  const level = +h.tagName[1];
  if (prev && level > prev + 1) out.push('heading level skipped (h' + prev + ' then h' + level + '): ' + describe(h));
  if (!text(h)) out.push('empty heading: ' + describe(h));
  prev = level;
}
// ids are unique (labels and aria references depend on it)
const seen = {};
for (const e of document.querySelectorAll('[id]')) {
  if (seen[e.id]) out.push('duplicate id "' + e.id + '"');
  seen[e.id] = true;
}
// form controls have a name; labels point at controls
for (const e of document.querySelectorAll('input, select, textarea')) {
  if ((e.type || '').toLowerCase() === 'hidden' || !visible(e)) continue;
  const labelled = [...(e.labels || [])].some(l => text(l));
  if (!labelled && !ariaNamed(e)) out.push('form control without a label: ' + describe(e));
}
for (const l of document.querySelectorAll('label[for]')) {
  const t = document.getElementById(l.htmlFor);
  if (!t || !['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName)) out.push('<label for> without its control: ' + describe(l));
}
// buttons and links have a name
for (const e of document.querySelectorAll('button, [role=button]')) {
  if (visible(e) && !named(e)) out.push('button without a name: ' + describe(e));
}
for (const e of document.querySelectorAll('input[type=submit], input[type=button], input[type=reset]')) {
  if (visible(e) && !(e.value || '').trim() && !ariaNamed(e)) out.push('button without a name: ' + describe(e));
}
for (const e of document.querySelectorAll('a[href]')) {
  if (!named(e)) out.push('link without a name: ' + describe(e) + ' href=' + e.getAttribute('href'));
}
// images
for (const e of document.querySelectorAll('img')) {
  if (!e.hasAttribute('alt')) out.push('image without alt: ' + describe(e));
}
// tables: a caption or a label, header cells with a scope
for (const t of document.querySelectorAll('table')) {
  const cap = t.querySelector(':scope > caption');
  if (!(cap && text(cap)) && !ariaNamed(t)) out.push('table without a caption or aria-label: ' + describe(t));
  const ths = t.querySelectorAll('th');
  if (!ths.length) out.push('table without <th> headers: ' + describe(t));
  for (const th of ths) {
    if (!['col', 'row', 'colgroup', 'rowgroup'].includes(th.getAttribute('scope') || ''))
      out.push('<th> without scope in ' + describe(t) + ': "' + text(th) + '"');
  }
}
// error and notice boxes are live regions
for (const e of document.querySelectorAll('.error, .notice, #error, #notice')) {
  if (!e.closest('[role=alert], [role=status]')) out.push('error/notice not in role=alert/status: ' + describe(e));
}
// landmarks
const mains = document.querySelectorAll('main');
if (mains.length !== 1) out.push('expected one <main>, found ' + mains.length);
if (!document.querySelector('body > header')) out.push('no <header> (banner)');
if (signedIn) {
  const navs = document.querySelectorAll('nav');
  if (!navs.length) out.push('no <nav>');
  for (const n of navs) if (navs.length > 1 && !ariaNamed(n)) out.push('<nav> without a label among several: ' + describe(n));
  if (!document.querySelector('header nav')) out.push('the site navigation is not in the <header>');
}
// the skip link: the first focusable element, to an existing target in <main> (or <main> itself)
const focusable = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
  .filter(e => e.tabIndex >= 0 && !e.disabled && (e.type || '') !== 'hidden');
const skip = focusable[0];
if (!skip || skip.tagName !== 'A' || !/skip to (the )?(main )?content/i.test(text(skip))) {
  out.push('the first focusable element is not a "Skip to content" link: ' + (skip ? describe(skip) : 'none'));
} else {
  const href = skip.getAttribute('href') || '';
  const target = href.startsWith('#') ? document.getElementById(href.slice(1)) : null;
  if (!target) out.push('the skip link\'s target ' + href + ' does not exist');
  else if (!(target.tagName === 'MAIN' || target.closest('main'))) out.push('the skip link\'s target is not the main content');
  else if (target.tabIndex < -1 || !(target.hasAttribute('tabindex') || target.tabIndex >= 0))
    out.push('the skip link\'s target cannot take focus (no tabindex)');
}
return out;
"""

FOCUS_JS = r"""
const e = document.activeElement;
if (!e || e === document.body) return null;
const s = getComputedStyle(e);
const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
const shadow = s.boxShadow && s.boxShadow !== 'none';
const r = e.getBoundingClientRect();
return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '',
        text: (e.textContent || e.value || '').replace(/\s+/g, ' ').trim().slice(0, 60),
        visible_focus: !!(outline || shadow), on_screen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 &&
        r.left < window.innerWidth};
"""


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    with seedkit.seeded(tmp_path_factory.mktemp("console-a11y")) as s:
        iam = rg.client(s.server, "iam")
        # a reader of Ops (every page has content there: users, groups, an organization, a role)
        rg.SEEN_SECRETS.add(PASSWORD)
        iam.create_user(UserName="reader")
        iam.attach_user_policy(UserName="reader", PolicyArn=READ_POLICY)
        iam.create_login_profile(UserName="reader", Password=PASSWORD, PasswordResetRequired=False)
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                          "Principal": {"AWS": f"arn:aws:iam::{s.accounts['Ops']}:root"}}]}
        # a newcomer without an MFA device, who may assign one (the seed's people group)
        iam.create_user(UserName="newcomer")
        iam.add_user_to_group(GroupName="people", UserName="newcomer")
        iam.create_login_profile(UserName="newcomer", Password=PASSWORD, PasswordResetRequired=False)
        iam.create_role(RoleName="inspector", AssumeRolePolicyDocument=json.dumps(trust), Description="Reads")
        iam.attach_role_policy(RoleName="inspector", PolicyArn=READ_POLICY)
        s.passwords = {p: re.search(rf"^# console password of {p}: (\S+)$", s.text, re.M).group(1)
                       for p in ("anay", "abhi")}
        for p in s.passwords.values():
            rg.SEEN_SECRETS.add(p)
        yield s


class Audit:
    """The failures found, per page."""

    def __init__(self):
        self.failures = {}

    def page(self, b, name, signed_in=True):
        problems = b.driver.execute_script(AUDIT_JS, signed_in)
        b.screenshot(f"a11y-{name}")
        if problems:
            self.failures.setdefault(name, []).extend(problems)

    def add(self, name, problem):
        self.failures.setdefault(name, []).append(problem)

    def check(self):
        report = "\n".join(f"{page} ({len(p)}):\n" + "\n".join(f"  - {x}" for x in p)
                           for page, p in self.failures.items())
        assert not self.failures, "accessibility problems:\n" + report


def tab(b):
    ActionChains(b.driver).send_keys(Keys.TAB).perform()
    return b.driver.execute_script(FOCUS_JS)


def tab_walk(b, audit, page, limit=80, until=None):
    """Presses Tab until until(focused) is true or `limit` times; returns the focused elements in order. Each must
    show a focus indicator."""
    walk = []
    for _ in range(limit):
        f = tab(b)
        if f is None:
            continue
        walk.append(f)
        if not f["visible_focus"]:
            audit.add(page, f"no visible focus indicator on <{f['tag']} id={f['id']}> \"{f['text']}\"")
        if not f["on_screen"]:
            audit.add(page, f"focused element off screen: <{f['tag']} id={f['id']}> \"{f['text']}\"")
        if until and until(f):
            break
    return walk


def in_order(walk, wanted):
    """True when the ids `wanted` appear in walk in that order."""
    ids = iter(f["id"] for f in walk)
    return all(any(i == w for i in ids) for w in wanted)


def load(b, path):
    b.get(path)
    WebDriverWait(b.driver, console_browser.WAIT).until(lambda d: d.execute_script("return document.readyState")
                                                       == "complete")


def press_enter_and_wait(b):
    old = b.driver.find_element("tag name", "html")
    ActionChains(b.driver).send_keys(Keys.ENTER).perform()
    b.wait_gone(old, timeout=120)
    WebDriverWait(b.driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_console_pages_are_accessible(seed):
    audit = Audit()
    ops, dev = seed.accounts["Ops"], seed.accounts["Dev"]
    with console_browser.browser(seed.server.url) as b:
        # ---- the sign-in page, by keyboard ----
        load(b, "/console/signin")
        audit.page(b, "signin", signed_in=False)
        start = b.driver.execute_script(FOCUS_JS)
        walk = ([start] if start else []) + tab_walk(b, audit, "signin (keyboard)", limit=30,
                                                     until=lambda f: f["id"] == "signin-button")
        order = ["account", "username", "password", "mfacode", "signin-button"]
        if not in_order(walk, order):
            audit.add("signin (keyboard)", f"Tab order {[f['id'] or f['tag'] for f in walk]} does not reach {order} "
                                           "in that order")
        b.fill("account", ops)
        b.fill("username", "anay")
        b.fill("password", seed.passwords["anay"])
        b.fill("mfacode", seed.code("anay"))
        press_enter_and_wait(b)  # Enter in the MFA code field submits the form
        assert b.path() == "/console/", "Enter in the sign-in form did not sign in: " + b.path()

        # ---- home: skip link, switch buttons ----
        load(b, "/console/")
        audit.page(b, "home")
        first = tab(b)
        if not first or "skip" not in first["text"].lower():
            audit.add("home (keyboard)", f"the first Tab does not reach the skip link: {first}")
        else:
            if not first["on_screen"] or not first["visible_focus"]:
                audit.add("home (keyboard)", "the skip link is not visible when focused")
            ActionChains(b.driver).send_keys(Keys.ENTER).perform()
            active = b.driver.execute_script("return document.activeElement.id || document.activeElement.tagName")
            if active != "main":
                audit.add("home (keyboard)", f"Enter on the skip link focused {active!r}, not the main content")
        load(b, "/console/")
        label = "Switch to admin @ Dev"
        walk = tab_walk(b, audit, "home (keyboard)", until=lambda f: f["text"] == label)
        if not walk or walk[-1]["text"] != label:
            audit.add("home (keyboard)", f"Tab never reaches the {label!r} button: {[f['text'] for f in walk]}")
            b.driver.execute_script("arguments[0].focus()",
                                    b.driver.find_element("xpath", f"//button[normalize-space()='{label}']"))
        press_enter_and_wait(b)  # Enter on the focused switch button switches
        assert b.exists("rolebar"), "Enter on the switch button did not switch role"
        assert dev in b.text("rolebar")
        audit.page(b, "home in a role")
        load(b, "/console/")
        walk = tab_walk(b, audit, "home in a role (keyboard)", until=lambda f: f["text"].startswith("Back to"))
        if not walk or walk[-1]["text"] != "Back to anay":
            audit.add("home in a role (keyboard)", f"Tab never reaches \"Back to anay\": {[f['text'] for f in walk]}")
        # in the role: the pages of Dev
        for name, path in (("users (in a role)", "/console/iam/users"), ("role (in a role)", "/console/iam/roles/admin")):
            load(b, path)
            audit.page(b, name)
        load(b, "/console/")
        tab_walk(b, Audit(), "home in a role (keyboard)", until=lambda f: f["text"].startswith("Back to"))
        press_enter_and_wait(b)  # Enter on "Back to anay"
        assert not b.exists("rolebar"), "Enter on \"Back to\" did not go back"

        # ---- anay's own pages and a refusal ----
        q = urllib.parse.urlencode({"account": dev, "roleName": "admin", "displayName": "Dev admin", "color": "99BCE3"})
        for name, path in (("switch role form", "/console/switchrole?" + q), ("mfa", "/console/mfa"),
                           ("password", "/console/password"), ("access denied", "/console/organizations")):
            load(b, path)
            audit.page(b, name)
        assert b.exists("error") and "AccessDenied" in b.source(), "expected AWS's AccessDenied page"
        b.click("signout-button")

        # ---- every resource page, as a reader of Ops ----
        load(b, "/console/signin")
        b.fill("account", ops)
        b.fill("username", "reader")
        b.fill("password", PASSWORD)
        b.click("signin-button")
        assert b.path() == "/console/", b.path()
        policy = urllib.parse.quote(READ_POLICY, safe="")
        pages = (("users", "/console/iam/users"), ("user", "/console/iam/users/anay"),
                 ("groups", "/console/iam/groups"), ("group", "/console/iam/groups/people"),
                 ("roles", "/console/iam/roles"), ("role", "/console/iam/roles/inspector"),
                 ("policies", "/console/iam/policies?scope=AWS"), ("policy", "/console/iam/policies/" + policy),
                 ("organizations", "/console/organizations"), ("audit", "/console/audit"),
                 ("simulator", "/console/simulator?" + urllib.parse.urlencode(
                     {"action": "iam:ListUsers,s3:PutObject", "resource": "*"})),
                 ("mfa (no device)", "/console/mfa"), ("not found", "/console/iam/users/nobody-here"))
        for name, path in pages:
            load(b, path)
            audit.page(b, name)
        load(b, "/console/audit")
        links = b.driver.find_elements("css selector", "a[href^='/console/audit/event']")
        assert links, "the audit trail lists no event"
        load(b, links[0].get_attribute("href")[len(b.base):])
        audit.page(b, "audit event")
        b.click("signout-button")

        # ---- a refused sign-in, then assigning an MFA device (the QR code, the two codes, refused codes) ----
        load(b, "/console/signin")
        b.fill("account", ops)
        b.fill("username", "newcomer")
        b.fill("password", "not-" + PASSWORD)
        press_enter_and_wait(b)
        assert b.exists("error"), "expected the sign-in's error"
        audit.page(b, "signin refused", signed_in=False)
        b.fill("password", PASSWORD)
        press_enter_and_wait(b)
        assert b.path() == "/console/", b.path()
        load(b, "/console/mfa")
        audit.page(b, "mfa (offer)")
        b.submit_form("mfa-assign")
        assert b.exists("mfa-qr"), "expected the enrolment page"
        audit.page(b, "mfa (enrolment)")
        b.fill("code1", "000000")
        b.fill("code2", "000001")
        b.submit_form("mfa-codes")
        audit.page(b, "mfa (codes refused)")
    audit.check()
