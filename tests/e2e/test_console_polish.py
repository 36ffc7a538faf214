"""The console's finishing touches, on `--example seed` (its libfaketime clock):

- /federation login opened from a page of ANOTHER site (a link on http://localhost:P to the server at
  http://127.0.0.1:Q): the browser lands signed in on /console/ as the role (login answers a same-origin page that
  goes on by itself, so the SameSite=Strict cookie goes with the next navigation)
- a switch role colour other than AWS's five paints the role bar (/console/session.css: CSP allows no inline style)
- a signed-out visitor of a console link (AWS's switch-role link) signs in and lands on that link; the sign-in form
  takes only a local /console/ path to go back to (no open redirect)
- when the switched-to role session's credentials expire, the next page says so, once
- /favicon.ico and /console/favicon.ico are 404s (not the API's 403)
"""
import http.server
import re
import subprocess
import threading
import urllib.parse
from html import unescape

import pytest
import requests

import console_browser
import rg
import seedkit

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
ENDED = "Your role session ended; switch role again"


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    with seedkit.seeded(tmp_path_factory.mktemp("console-polish")) as s:
        yield s


def password_of(seed, person):
    return re.search(rf"^# console password of {person}: (\S+)$", seed.text, re.M).group(1)


class Http:
    """A cookie jar (requests, redirects followed on the server) signing in through the form."""

    def __init__(self, seed):
        self.seed = seed
        self.base = seed.server.url
        self.s = requests.Session()
        self.s.trust_env = False

    def get(self, path, **kw):
        try:
            return self.s.get(self.base + path, timeout=60, **kw)
        except requests.ConnectionError:
            # a kept-alive connection the server closed as the request went out (its idle timeout, once a test has
            # moved its clock on an hour): a browser sends an idempotent request again on a new connection (RFC 9112
            # 9.3.1); a server that is down fails this one too
            return self.s.get(self.base + path, timeout=60, **kw)

    def sign_in_form(self, page, person, **extra):
        """Posts the sign-in form of page (its hidden fields kept) as person."""
        form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        form = {k: unescape(v) for k, v in form.items()}
        form.update(usertype="iam", account=self.seed.accounts["Ops"], username=person,
                    password=password_of(self.seed, person), mfacode=self.seed.code(person), **extra)
        return self.s.post(self.base + "/console/signin", data=form, timeout=60)

    def sign_in(self, person):
        r = self.sign_in_form(self.get("/console/signin"), person)
        assert r.status_code == 200 and r.url == self.base + "/console/", r.url
        return r

    def post(self, path, data, page):
        data = dict(data, csrf=unescape(CSRF_RE.search(page.text).group(1)))
        return self.s.post(self.base + path, data=data, timeout=60)


# ---- /favicon.ico -------------------------------------------------------------------------------------------------

def test_favicon_is_not_found(seed):
    for path in ("/favicon.ico", "/console/favicon.ico"):
        r = requests.get(seed.server.url + path, timeout=60)
        assert r.status_code == 404, (path, r.status_code)


# ---- after sign-in, the page first asked for ---------------------------------------------------------------------

def test_signin_goes_back_to_the_link_first_opened(seed):
    h = Http(seed)
    q = urllib.parse.urlencode({"account": seed.accounts["Dev"], "roleName": "readonly",
                                "displayName": "Dev read & only", "color": "123ABC"})
    link = f"/console/switchrole?{q}"
    page = h.get(link)
    assert page.url.startswith(seed.server.url + "/console/signin?"), page.url
    assert urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["redirect_uri"] == [link]
    r = h.sign_in_form(page, "anay")
    assert r.status_code == 200 and r.url == seed.server.url + link, r.url
    assert f'name="account" value="{seed.accounts["Dev"]}"' in r.text and 'name="roleName" value="readonly"' in r.text
    assert 'value="Dev read &amp; only"' in r.text and 'value="123ABC" id="color-123ABC" checked' in r.text
    # another console page, with no query
    h = Http(seed)
    page = h.get("/console/iam/roles")
    r = h.sign_in_form(page, "anay")
    assert r.url == seed.server.url + "/console/iam/roles", r.url


@pytest.mark.parametrize("target", [
    "https://evil.example/console/", "//evil.example/console/", "/\\evil.example/console/",
    "/console//evil.example/", "/console/\\evil.example", "/console/../federation", "/console/x/..",
    "javascript:alert(1)", "/federation?Action=login", "/console/" + "a" * 3000, "/console/a b",
    "/console/a\r\nSet-Cookie: x=1", "/console/signin", " /console/iam/users",
])
def test_signin_refuses_to_go_elsewhere(seed, target):
    h = Http(seed)
    page = h.get("/console/signin?" + urllib.parse.urlencode({"redirect_uri": target}))
    assert page.status_code == 200
    assert 'name="redirect_uri"' not in page.text  # not carried by the form
    # posted anyway: signed in, and home
    r = h.sign_in_form(page, "anay", redirect_uri=target)
    assert r.status_code == 200 and r.url == seed.server.url + "/console/", r.url
    assert [x.headers.get("Location") for x in r.history] == ["/console/"]


# ---- any colour --------------------------------------------------------------------------------------------------

def test_session_css_is_the_sessions_own(seed):
    r = requests.get(seed.server.url + "/console/session.css", timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/css")
    assert r.headers["Cache-Control"] == "no-store" and "#rolebar" not in r.text  # signed out: nothing
    h = Http(seed)
    home = h.sign_in("anay")
    r = h.post("/console/switchrole", {"account": seed.accounts["Dev"], "roleName": "admin", "color": "99BCE3"}, home)
    assert "role-color-99BCE3" in r.text and "/console/session.css" not in r.text  # a named colour: its class
    r = h.post("/console/switchrole", {"account": seed.accounts["Dev"], "roleName": "admin", "color": "#0a0b0c"}, r)
    assert '<link rel="stylesheet" href="/console/session.css">' in r.text
    css = h.get("/console/session.css")
    assert css.status_code == 200 and css.headers["Cache-Control"] == "no-store"
    assert "#rolebar { background: #0A0B0C; color: #ffffff; }" in css.text


def test_browser_role_bar_in_any_colour(seed):
    with console_browser.browser(seed.server.url) as b:
        b.get("/console/signin")
        b.fill("account", seed.accounts["Ops"])
        b.fill("username", "anay")
        b.fill("password", password_of(seed, "anay"))
        b.fill("mfacode", seed.code("anay"))
        b.click("signin-button")
        assert b.path() == "/console/", b.source()
        q = urllib.parse.urlencode({"account": seed.accounts["Stage"], "roleName": "readonly",
                                    "displayName": "Stage teal", "color": "123ABC"})
        b.get(f"/console/switchrole?{q}")
        b.click("switchrole-button")
        assert "Stage teal" in b.text("rolebar")
        assert b.el("rolebar").value_of_css_property("background-color") == "rgba(18, 58, 188, 1)"
        b.screenshot("role-bar-any-colour")
        assert not b.console_errors()  # no CSP violation, no favicon error


# ---- /federation login from another site --------------------------------------------------------------------------

def login_url(seed, profile="anay-stage"):
    env = seed.cli_env()
    env.update(seed.clock.env())
    env.update(ROLEGATE_NO_KEYRING="1", XDG_CACHE_HOME=str(seed.home / ".cache"))
    p = subprocess.run([str(rg.BIN), "login", "--print", "--mfa-code", seed.code("anay"), profile], env=env,
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    url = p.stdout.strip()
    rg.SEEN_SECRETS.add(urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["SigninToken"][0])
    return url


class OtherSite:
    """A page of another site (http://localhost:PORT; the server is http://127.0.0.1:PORT) with one link."""

    def __init__(self, href):
        body = (f'<!DOCTYPE html><html><head><title>elsewhere</title><link rel="icon" href="data:,"></head><body>'
                f'<a id="go" href="{href.replace("&", "&amp;")}">Open the console</a></body></html>').encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_browser_login_link_on_another_site(seed):
    url = login_url(seed)
    assert url.startswith("http://127.0.0.1:")
    site = OtherSite(url)
    try:
        with console_browser.browser(seed.server.url) as b:
            b.driver.get(site.url)
            b.click("go")
            assert console_browser.wait_until(lambda: b.path() == "/console/"), b.path()
            arn = f"arn:aws:sts::{seed.accounts['Stage']}:assumed-role/admin/anay"
            assert b.text("signer-arn") == arn, b.source()[:2000]
            assert not [e for e in b.console_errors() if "localhost" not in e["message"]]
    finally:
        site.close()


# ---- the role session ends -----------------------------------------------------------------------------------------

def test_role_session_end_is_said_once(seed):
    """Last in this module: it moves the clock an hour on."""
    h = Http(seed)
    home = h.sign_in("anay")
    r = h.post("/console/switchrole", {"account": seed.accounts["Prod"], "roleName": "readonly",
                                       "displayName": "Prod ro"}, home)
    assert 'id="rolebar"' in r.text and ENDED not in r.text
    seed.clock.advance(3600 + 5)  # AssumeRole's default hour: the role session's credentials expire
    page = h.get("/console/")
    assert page.status_code == 200 and ENDED in page.text and 'id="rolebar"' not in page.text
    assert f"arn:aws:iam::{seed.accounts['Ops']}:user/anay" in page.text  # the user again, still signed in
    page = h.get("/console/")
    assert ENDED not in page.text and 'id="rolebar"' not in page.text  # said once
