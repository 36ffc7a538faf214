"""The web console's sign-in (src/console/signin.c, session.c, console.c, page.c), in a real browser (headless
chromium, tests/e2e/console_browser.py) and over plain HTTP for the refusals:

- anay of `--example seed` signs in with the console password and a TOTP code of the seed; the home page says who
  (ARN, account, MFA used); the session cookie is HttpOnly and SameSite=Strict; screenshots of both pages
- a wrong password gets AWS's text, is audited as CloudTrail's ConsoleLogin (signin.amazonaws.com, Failure), and
  failures in a row make later attempts wait (refused unseen); a replayed MFA code is refused
- PasswordResetRequired: nothing but the password page until a new password meeting the policy is set
  (iam:ChangePassword through the console); the old password stops working
- the root user signs in with the password `rolegate root-password` set (read from stdin), and with its MFA code once
  it has a device
- sign-out deletes the session: the old cookie opens nothing afterwards
- CSRF: a POST without the token, or with a wrong one, is refused and changes nothing
- a cookie of another server (another data directory), or a tampered one, is a signed-out browser
- the security headers (CSP, frame-ancestors, nosniff, no-store) on every page, Secure cookies and HSTS over TLS
"""
import http.client
import json
import re
import ssl
import subprocess
import urllib.parse

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import console_browser
import rg
import seedkit

INCORRECT = "Your authentication information is incorrect. Please try again."
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")


# ---- an HTTP client with a cookie jar, no redirects followed ----------------------------------------------------

class Http:
    """Plain HTTP(S) to the server, keeping its cookies (name -> value) as a browser would for /console."""

    def __init__(self, server, cafile=None):
        self.server = server
        self.cookies = {}
        self.cafile = cafile

    def request(self, method, path, form=None, cookies=None, headers=None):
        """(status, headers as a list of (name, value), body text)."""
        if self.server.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.cafile)
            conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=ctx, timeout=60)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        h = {"User-Agent": "rolegate-console-test"}
        jar = self.cookies if cookies is None else cookies
        if jar:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        text = r.read().decode()
        hdrs = r.getheaders()
        conn.close()
        if cookies is None:
            for name, value in hdrs:
                if name.lower() == "set-cookie":
                    k, v = value.split(";")[0].split("=", 1)
                    if "Max-Age=0" in value:
                        self.cookies.pop(k, None)
                    else:
                        self.cookies[k] = v
        return r.status, hdrs, text

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, form=form, **kw)


def header(hdrs, name):
    return [v for k, v in hdrs if k.lower() == name.lower()]


def csrf_of(text):
    m = re.search(r'name="csrf" value="([^"]+)"', text)
    assert m, text
    return m.group(1)


def sign_in(h, account, user, password, code="", root=False, redirect_uri=None):
    """Signs in over HTTP: (status, headers, body) of the form's POST (redirect_uri: the page first asked for, as the
    form carries it)."""
    st, _, page = h.get("/console/signin")
    assert st == 200
    form = {"csrf": csrf_of(page), "account": account, "username": "" if root else user, "password": password,
            "mfacode": code, "usertype": "root" if root else "iam"}
    if redirect_uri:
        form["redirect_uri"] = redirect_uri
    return h.post("/console/signin", form)


def location(hdrs):
    return (header(hdrs, "Location") or [None])[0]


def audit_records(data_dir):
    p = subprocess.run([str(rg.BIN), "audit", "--data", str(data_dir), "--format", "cloudtrail"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["Records"]


# ---- the seeded server -----------------------------------------------------------------------------------------

class Console:
    def __init__(self, seed):
        self.seed = seed
        self.srv = seed.server
        self.ops = seed.accounts["Ops"]
        self.passwords = dict(re.findall(r"^# console password of (\w+): (\S+)", seed.text, re.M))
        for p in self.passwords.values():
            rg.SEEN_SECRETS.add(p)  # never in a log
        self.iam = rg.client(self.srv, "iam")

    def user_with_password(self, name, password, reset=False, change_own=True):
        """A user of Ops with a console password (and, change_own, the right to change it: the seed's `people`)."""
        rg.SEEN_SECRETS.add(password)
        self.iam.create_user(UserName=name)
        self.iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=reset)
        if change_own:
            self.iam.add_user_to_group(GroupName="people", UserName=name)
        return f"arn:aws:iam::{self.ops}:user/{name}"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    with seedkit.seeded(tmp_path_factory.mktemp("console")) as seed:
        yield Console(seed)


# ---- the browser -----------------------------------------------------------------------------------------------

def test_browser_signin_with_password_and_totp(console):
    arn = f"arn:aws:iam::{console.ops}:user/anay"
    with console_browser.browser(console.srv.url) as b:
        b.get("/console/")
        assert b.path() == "/console/signin"  # signed out: to the sign-in page
        assert b.el("account").get_attribute("required") == "true"
        b.screenshot("signin")
        b.fill("account", console.ops)
        b.fill("username", "anay")
        b.fill("password", console.passwords["anay"])
        b.fill("mfacode", console.seed.code("anay"))
        b.click("signin-button")
        assert b.path() == "/console/"
        assert b.text("signer-arn") == arn
        assert b.text("account-id") == console.ops
        assert b.text("mfa-used") == "Yes"
        assert b.text("active-arn") == arn  # sts:GetCallerIdentity, through console_call with the session's token
        assert "anay" in b.text("identity")
        assert b.exists("switchable-roles")
        b.screenshot("home")
        cookie = b.cookies()["rg_console"]
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
        assert not [e for e in b.console_errors() if "Content Security Policy" in e.get("message", "")]

        # sign out: back to the sign-in page, and the home page asks to sign in again
        b.click("signout-button")
        assert b.path() == "/console/signin"
        b.get("/console/")
        assert b.path() == "/console/signin"


def test_browser_wrong_password_shows_aws_text(console):
    with console_browser.browser(console.srv.url) as b:
        b.get("/console/signin")
        b.fill("account", console.ops)
        b.fill("username", "abhi")
        b.fill("password", "not-" + console.passwords["abhi"])
        # the answer is a new page (the password hash takes a while under ASan on a busy machine): wait until the
        # form submitted is gone and the new page's #error is there before reading it, never an element of the old
        form = b.el("signin-form")
        b.el("signin-button").click()
        b.wait_gone(form, timeout=120)
        error = WebDriverWait(b.driver, 60, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.find_element(By.ID, "error").text)
        assert error == INCORRECT
        assert b.path() == "/console/signin"
        b.screenshot("signin-incorrect")


# ---- refusals over HTTP ----------------------------------------------------------------------------------------

def test_wrong_password_audited_and_delayed(console):
    arn = console.user_with_password("guessed", "Guessed-Passw0rd-1")
    h = Http(console.srv)
    for _ in range(3):
        st, hdrs, page = sign_in(h, console.ops, "guessed", "wrong-password")
        assert st == 200 and INCORRECT in page and location(hdrs) is None
    # the third failure in a row: the next attempt must wait, even with the right password
    st, hdrs, page = sign_in(h, console.ops, "guessed", "Guessed-Passw0rd-1")
    assert "Too many failed attempts" in page and location(hdrs) is None
    # an unknown user and an unknown account get the same answer
    assert INCORRECT in sign_in(h, console.ops, "nobody-here", "whatever")[2]
    assert INCORRECT in sign_in(h, "no-such-alias", "anay", console.passwords["anay"])[2]

    records = [r for r in audit_records(console.srv.data_dir) if r["eventName"] == "ConsoleLogin"]
    failed = [r for r in records if r["userIdentity"].get("arn") == arn]
    assert len(failed) >= 3
    for r in failed:
        assert r["eventSource"] == "signin.amazonaws.com" and r["eventType"] == "AwsConsoleSignIn"
        assert r["responseElements"] == {"ConsoleLogin": "Failure"}
        assert r["additionalEventData"]["MFAUsed"] == "No"
        assert r["sourceIPAddress"] == "127.0.0.1" and r["userAgent"] == "rolegate-console-test"
    ok = [r for r in records if r["userIdentity"].get("arn") == f"arn:aws:iam::{console.ops}:user/anay"
          and r["responseElements"] == {"ConsoleLogin": "Success"}]
    assert ok and ok[0]["additionalEventData"]["MFAUsed"] == "Yes"


def test_mfa_required_and_replay_refused(console):
    h = Http(console.srv)
    # the right password without a code: asked for the code, not signed in
    st, hdrs, page = sign_in(h, console.ops, "abhi", console.passwords["abhi"])
    assert location(hdrs) is None and "Enter the MFA code" in page and "rg_console" not in h.cookies
    code = console.seed.code("abhi")
    st, hdrs, _ = sign_in(h, console.ops, "abhi", console.passwords["abhi"], code)
    assert st == 303 and location(hdrs) == "/console/"
    # the same code again (another browser): refused
    h2 = Http(console.srv)
    st, hdrs, page = sign_in(h2, console.ops, "abhi", console.passwords["abhi"], code)
    assert INCORRECT in page and location(hdrs) is None and "rg_console" not in h2.cookies


def returns_to(hdrs):
    """(path, redirect_uri) of the redirect: where it goes and the page to go on to afterwards."""
    loc = urllib.parse.urlparse(location(hdrs))
    return loc.path, urllib.parse.parse_qs(loc.query).get("redirect_uri", [None])[0]


def test_password_reset_required(console):
    old, new = "Reset-Me-Passw0rd", "Brand-New-Passw0rd-2"
    rg.SEEN_SECRETS.add(new)
    arn = console.user_with_password("newcomer", old, reset=True)
    h = Http(console.srv)
    # signed in from a link to the users page: the password first, and the link kept for afterwards
    st, hdrs, _ = sign_in(h, console.ops, "newcomer", old, redirect_uri="/console/iam/users")
    assert st == 303 and returns_to(hdrs) == ("/console/password", "/console/iam/users")
    # nothing else until the password is changed; a page asked for meanwhile is the one gone on to
    st, hdrs, _ = h.get("/console/")
    assert st == 303 and location(hdrs) == "/console/password"
    st, hdrs, _ = h.get("/console/iam/roles?x=1")
    assert st == 303 and returns_to(hdrs) == ("/console/password", "/console/iam/roles?x=1")
    st, _, page = h.get("/console/password?" + urllib.parse.urlencode({"redirect_uri": "/console/iam/users"}))
    assert st == 200 and 'id="reset-required"' in page
    assert 'name="redirect_uri" value="/console/iam/users"' in page
    token = csrf_of(page)
    st, _, _ = h.post("/console/iam/users", {"csrf": token})
    assert st == 403
    # a password the account's policy refuses: AWS's error, still required
    st, _, page = h.post("/console/password", {"csrf": token, "oldpassword": old, "newpassword": "short",
                                               "newpassword2": "short", "redirect_uri": "/console/iam/users"})
    assert "PasswordPolicyViolation" in page
    assert h.get("/console/")[0] == 303
    # another site is never gone on to
    st, _, page = h.get("/console/password?" + urllib.parse.urlencode({"redirect_uri": "//evil.example/"}))
    assert 'name="redirect_uri"' not in page
    st, hdrs, _ = h.post("/console/password", {"csrf": token, "oldpassword": old, "newpassword": new,
                                               "newpassword2": new, "redirect_uri": "/console/iam/users"})
    assert st == 303 and location(hdrs) == "/console/iam/users"
    st, _, page = h.get("/console/")
    assert st == 200 and arn in page
    assert console.iam.get_login_profile(UserName="newcomer")["LoginProfile"]["PasswordResetRequired"] is False
    # the old password no longer signs in; the new one does
    assert INCORRECT in sign_in(Http(console.srv), console.ops, "newcomer", old)[2]
    assert location(sign_in(Http(console.srv), console.ops, "newcomer", new)[1]) == "/console/"


def test_root_signin(console):
    root_pw = "Root-Console-Passw0rd"
    rg.SEEN_SECRETS.add(root_pw)
    h = Http(console.srv)
    # no root password yet: refused
    assert INCORRECT in sign_in(h, console.ops, "", root_pw, root=True)[2]
    p = subprocess.run([str(rg.BIN), "root-password", "--data", str(console.srv.data_dir)], input=root_pw + "\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert root_pw not in p.stdout + p.stderr
    st, hdrs, _ = sign_in(h, console.ops, "", root_pw, root=True)
    assert st == 303 and location(hdrs) == "/console/"
    st, _, page = h.get("/console/")
    assert st == 200 and f'<dd id="signer-arn">arn:aws:iam::{console.ops}:root</dd>' in page
    # the root user has no IAM password to change: the password page says so
    assert "root-password" in h.get("/console/password")[2]
    # with an MFA device, the root user must give its code too
    dev = console.iam.create_virtual_mfa_device(VirtualMFADeviceName="root-console")["VirtualMFADevice"]
    seed_b32 = dev["Base32StringSeed"].decode()
    rg.SEEN_SECRETS.add(seed_b32)
    step = int(console.seed.clock.now() // 30)
    # (the root names itself by its account id where UserName is required)
    console.iam.enable_mfa_device(UserName=console.ops, SerialNumber=dev["SerialNumber"],
                                  AuthenticationCode1=seedkit.totp(seed_b32, (step - 2) * 30 + 1),
                                  AuthenticationCode2=seedkit.totp(seed_b32, (step - 1) * 30 + 1))
    h = Http(console.srv)
    st, hdrs, page = sign_in(h, console.ops, "", root_pw, root=True)
    assert location(hdrs) is None and "Enter the MFA code" in page
    st, hdrs, page = sign_in(h, console.ops, "", root_pw, "000000" if seedkit.totp(seed_b32, step * 30 + 1) != "000000"
                             else "111111", root=True)
    assert location(hdrs) is None and INCORRECT in page
    st, hdrs, _ = sign_in(h, console.ops, "", root_pw, seedkit.totp(seed_b32, console.seed.clock.now()), root=True)
    assert st == 303 and location(hdrs) == "/console/"
    assert '<dd id="mfa-used">Yes</dd>' in h.get("/console/")[2]
    # a too short password is refused by the verb
    p = subprocess.run([str(rg.BIN), "root-password", "--data", str(console.srv.data_dir)], input="short\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0


def test_signout_deletes_the_session(console):
    console.user_with_password("leaver", "Leaver-Passw0rd-3")
    h = Http(console.srv)
    assert location(sign_in(h, console.ops, "leaver", "Leaver-Passw0rd-3")[1]) == "/console/"
    old = dict(h.cookies)
    st, _, page = h.get("/console/")
    assert st == 200
    st, hdrs, _ = h.post("/console/signout", {"csrf": csrf_of(page)})
    assert st == 303 and location(hdrs) == "/console/signin"
    assert any("rg_console=;" in c and "Max-Age=0" in c for c in header(hdrs, "Set-Cookie"))
    # the old cookie, replayed by anyone: signed out
    st, hdrs, _ = h.get("/console/", cookies=old)
    assert st == 303 and location(hdrs) == "/console/signin"
    st, _, _ = h.post("/console/signout", {"csrf": csrf_of(page)}, cookies=old)
    assert st == 403


def test_csrf_refused(console):
    console.user_with_password("victim", "Victim-Passw0rd-4")
    h = Http(console.srv)
    assert location(sign_in(h, console.ops, "victim", "Victim-Passw0rd-4")[1]) == "/console/"
    st, _, page = h.get("/console/")
    token = csrf_of(page)
    # sign-out without the token, with a wrong one, with the token of another form's pre-session: refused
    for form in ({}, {"csrf": "x" * len(token)}, {"csrf": token[:-1] + ("A" if token[-1] != "A" else "B")}):
        st, _, body = h.post("/console/signout", form)
        assert st == 403 and "InvalidCsrfToken" in body
    assert h.get("/console/")[0] == 200  # still signed in
    # the sign-in form without its pre-session cookie (a cross-site POST carries no SameSite=Strict cookie)
    h2 = Http(console.srv)
    st, _, page = h2.get("/console/signin")
    st, hdrs, body = h2.post("/console/signin", {"csrf": csrf_of(page), "account": console.ops, "username": "victim",
                                                  "password": "Victim-Passw0rd-4", "usertype": "iam"}, cookies={})
    assert st == 403 and location(hdrs) is None
    # the token of the session itself works
    st, hdrs, _ = h.post("/console/signout", {"csrf": token})
    assert st == 303


def test_cookie_of_another_server_refused(console, server_factory):
    other = server_factory.start()
    iam = rg.client(other, "iam")
    iam.create_user(UserName="elsewhere")
    rg.SEEN_SECRETS.add("Elsewhere-Passw0rd-5")
    iam.create_login_profile(UserName="elsewhere", Password="Elsewhere-Passw0rd-5")
    h = Http(other)
    assert location(sign_in(h, other.account, "elsewhere", "Elsewhere-Passw0rd-5")[1]) == "/console/"
    assert h.get("/console/")[0] == 200
    cookie = h.cookies["rg_console"]
    # that cookie on the seeded server (its own data directory and keys): signed out
    st, hdrs, _ = Http(console.srv).get("/console/", cookies={"rg_console": cookie})
    assert st == 303 and location(hdrs) == "/console/signin"
    # tampered with on its own server: signed out
    i = len(cookie) - 5
    bad = cookie[:i] + ("0" if cookie[i] != "0" else "1") + cookie[i + 1:]
    st, hdrs, _ = Http(other).get("/console/", cookies={"rg_console": bad})
    assert st == 303 and location(hdrs) == "/console/signin"
    assert Http(other).get("/console/", cookies={"rg_console": cookie})[0] == 200


def test_security_headers(console):
    h = Http(console.srv)
    for path in ("/console/signin", "/console/", "/console/no-such-page"):
        st, hdrs, page = h.get(path)
        assert header(hdrs, "Content-Security-Policy") == [CSP], path
        assert header(hdrs, "X-Frame-Options") == ["DENY"]
        assert header(hdrs, "X-Content-Type-Options") == ["nosniff"]
        assert header(hdrs, "Cache-Control") == ["no-store"]
        assert header(hdrs, "Referrer-Policy") == ["no-referrer"]
    st, hdrs, page = Http(console.srv).get("/console/signin")  # a browser's first visit: the pre-session cookie
    assert '<html lang="en">' in page and "<script>" not in page and "style=" not in page
    cookie = header(hdrs, "Set-Cookie")[0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    for name, ctype in (("console.css", "text/css"), ("console.js", "text/javascript")):
        st, hdrs, body = h.get(f"/console/static/{name}")
        assert st == 200 and header(hdrs, "Content-Type")[0].startswith(ctype) and body
        assert header(hdrs, "X-Content-Type-Options") == ["nosniff"]
    assert h.get("/console/static/nothing.js")[0] == 404
    # the API is where it was
    assert h.get("/")[0] != 200


@pytest.fixture
def tls_server(server_factory, tmp_path):
    rg.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem",
               "-out", "cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
               cwd=tmp_path)
    srv = server_factory.start(args=["--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem")])
    assert srv.scheme == "https"
    return srv, str(tmp_path / "cert.pem")


def test_secure_cookie_over_tls(tls_server):
    srv, ca = tls_server
    h = Http(srv, cafile=ca)
    st, hdrs, page = h.get("/console/signin")
    assert st == 200
    cookie = header(hdrs, "Set-Cookie")[0]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert header(hdrs, "Strict-Transport-Security")
    assert header(hdrs, "Content-Security-Policy") == [CSP]
