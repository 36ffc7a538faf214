"""The federation endpoint (/federation) and `rolegate login` against a rolegate server.

AWS's custom identity broker flow, served by rolegate: Action=getSigninToken turns a role session's temporary
credentials (Session JSON) into a single-use sign-in token valid 15 minutes; Action=login with that token signs a
browser in to the console of this server (Destination: its own /console only) as the role session. The server runs
`--example seed` on seedkit's libfaketime clock, so that tokens and sessions can be made to expire without waiting.
"""
import html
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest
import requests

import console_browser
import rg
import seedkit

BIN = str(rg.BIN)


@pytest.fixture()
def seed(tmp_path):
    with seedkit.seeded(tmp_path) as s:
        yield s


def env_of(seed, **extra):
    return seed.broker_env(**extra)


def rolegate(seed, *args, env=None):
    p = subprocess.run([BIN, *args], env=env or env_of(seed), capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL, start_new_session=True)
    return p.returncode, p.stdout, p.stderr


def who(seed, env, role="admin", session="anay"):
    return f"arn:aws:sts::{seed.accounts[env]}:assumed-role/{role}/{session}"


def login_url(seed, profile="anay-prod"):
    rc, out, err = rolegate(seed, "login", "--print", "--mfa-code", seed.code("anay"), profile)
    assert rc == 0, err
    url = out.strip()
    rg.SEEN_SECRETS.add(urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["SigninToken"][0])
    return url


def continue_url(r):
    """Where a 200 page goes on to by itself (login's answer: <meta http-equiv="refresh" content="0;url=PATH">), with
    the same place as its plain link; None for another page."""
    m = re.search(r'<meta http-equiv="refresh" content="0;url=([^"]*)">', r.text) if r.status_code == 200 else None
    if not m:
        return None
    link = re.search(r'<a href="([^"]*)" id="continue">', r.text)
    assert link and link.group(1) == m.group(1), r.text
    return html.unescape(m.group(1))


class Browser:
    """An HTTP client that keeps the cookies the server sets (whatever their Secure flag: the test server is plain
    HTTP on loopback) and follows redirects, and pages that go on by themselves, on the server only."""

    def __init__(self, seed):
        self.seed = seed
        self.cookies = {}
        self.http = requests.Session()
        self.http.trust_env = False

    def get(self, url, follow=True):
        for _ in range(5):
            r = self.http.get(url, allow_redirects=False, timeout=60,
                              headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())})
            for c in r.raw.headers.getlist("Set-Cookie"):
                name, _, rest = c.partition("=")
                value = rest.split(";", 1)[0]
                if value and "max-age=0" not in c.lower():
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
            nxt = r.headers["Location"] if r.status_code in (301, 302, 303, 307, 308) else continue_url(r)
            if not follow or not nxt:
                return r
            url = urllib.parse.urljoin(url, nxt)
            assert url.startswith(self.seed.server.url + "/"), f"redirected off the server: {url}"
        raise AssertionError("too many redirects")


def assume(seed, env="Prod", role="admin", session="script", **extra):
    """A role session of anay's (AssumeRole with MFA, signed on the seed's clock): (akid, secret, token)."""
    sts = rg.client(seed.server, "sts", seed.keys["anay"])
    c = sts.assume_role(RoleArn=seed.role_arn(env, role), RoleSessionName=session,
                        SerialNumber=seed.serials["anay"], TokenCode=seed.code("anay"), **extra)["Credentials"]
    rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]


def get_signin_token(seed, session, duration=None, method="GET"):
    """getSigninToken as AWS's documentation's script calls it: (HTTP status, body)."""
    params = {"Action": "getSigninToken", "Session": session if isinstance(session, str) else json.dumps(session)}
    if duration is not None:
        params["SessionDuration"] = str(duration)
    fed = seed.server.url + "/federation"
    if method == "GET":
        r = requests.get(fed, params=params, timeout=60)
    else:
        r = requests.post(fed, data=params, timeout=60)
    return r.status_code, r.text


def session_of(akid, secret, token=None):
    s = {"sessionId": akid, "sessionKey": secret}
    if token is not None:
        s["sessionToken"] = token
    return s


def signed_in_as(page, seed, env, session="anay"):
    """Whether a console page shows the role session of env as the one signed in (its ARN as the signer)."""
    return re.search(r'id="signer-arn"[^>]*>\s*' + re.escape(who(seed, env, session=session)), page) is not None


def audit(seed, *args):
    out = subprocess.run([BIN, "audit", "--data", str(seed.server.data_dir), "--json", "--limit", "1000", *args],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


# ---- rolegate login: the URL signs the browser in, once ----------------------------------------------------------

def test_rolegate_login_signs_in_to_the_console_once(seed):
    url = login_url(seed, "anay-prod")
    u = urllib.parse.urlparse(url)
    q = urllib.parse.parse_qs(u.query)
    assert f"{u.scheme}://{u.netloc}{u.path}" == seed.server.url + "/federation"
    assert q["Action"] == ["login"] and q["Issuer"] == ["rolegate"]
    assert q["Destination"] == [seed.server.url + "/console/"]

    b = Browser(seed)
    r = b.get(url, follow=False)
    assert r.status_code == 200 and "Location" not in r.headers, r.text
    assert continue_url(r) == "/console/"
    assert b.cookies, "no console session cookie"
    page = b.get(url=seed.server.url + "/console/")
    assert page.status_code == 200
    assert signed_in_as(page.text, seed, "Prod"), page.text[:2000]

    # the token is single-use: a second browser following the same URL is refused and gets no session
    other = Browser(seed)
    r = other.get(url, follow=False)
    assert r.status_code == 400 and "Location" not in r.headers
    assert not other.cookies
    home = other.get(seed.server.url + "/console/")
    assert not signed_in_as(home.text, seed, "Prod")
    # the first browser's session is unaffected ... until the role session's credentials end (no SessionDuration)
    assert signed_in_as(b.get(seed.server.url + "/console/").text, seed, "Prod")
    seed.clock.advance(3600 + 5)
    assert not signed_in_as(b.get(seed.server.url + "/console/").text, seed, "Prod")


def test_login_token_expires_after_15_minutes_and_cannot_be_altered(seed):
    url = login_url(seed, "anay-dev")
    token = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["SigninToken"][0]
    # altered: one character changed, or cut short
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:-4], "", "x" * 5000):
        b = Browser(seed)
        r = b.get(url.replace(urllib.parse.quote(token, safe=""), urllib.parse.quote(bad, safe="")), follow=False)
        assert r.status_code == 400 and not b.cookies, (bad[:10], r.status_code)
    # the real one is still good for 15 minutes (a refused attempt did not spend it) ... but not after
    seed.clock.advance(15 * 60 + 5)
    b = Browser(seed)
    r = b.get(url, follow=False)
    assert r.status_code == 400 and not b.cookies


def test_destination_must_be_this_console(seed):
    akid, secret, token = assume(seed)
    for dest in ("https://evil.example/console/", "//evil.example/console/", "https://console.aws.amazon.com/",
                 "/\\evil.example/", "/federation", "javascript:alert(1)",
                 seed.server.url.replace("127.0.0.1", "localhost") + "/console/"):
        status, body = get_signin_token(seed, session_of(akid, secret, token))
        assert status == 200, body
        st = json.loads(body)["SigninToken"]
        rg.SEEN_SECRETS.add(st)
        b = Browser(seed)
        r = b.get(seed.server.url + "/federation?" + urllib.parse.urlencode(
            {"Action": "login", "Issuer": "Example.org", "Destination": dest, "SigninToken": st}), follow=False)
        assert r.status_code == 400, (dest, r.status_code)
        assert "Location" not in r.headers and not continue_url(r) and not b.cookies, dest
    # a HEAD (a link checker's) does not spend the token; an absolute destination on this server keeps its path
    status, body = get_signin_token(seed, session_of(akid, secret, token))
    st = json.loads(body)["SigninToken"]
    login = seed.server.url + "/federation?" + urllib.parse.urlencode(
        {"Action": "login", "Destination": seed.server.url + "/console/iam/roles?x=1", "SigninToken": st})
    assert requests.head(login, timeout=60, allow_redirects=False).status_code == 405
    r = Browser(seed).get(login, follow=False)
    assert r.status_code == 200 and continue_url(r) == "/console/iam/roles?x=1"
    # a relative destination under /console is fine
    status, body = get_signin_token(seed, session_of(akid, secret, token))
    st = json.loads(body)["SigninToken"]
    b = Browser(seed)
    r = b.get(seed.server.url + "/federation?" + urllib.parse.urlencode(
        {"Action": "login", "Destination": "/console/", "SigninToken": st}), follow=False)
    assert r.status_code == 200 and continue_url(r) == "/console/"


# ---- getSigninToken: what it takes and what it refuses -----------------------------------------------------------

def test_get_signin_token_refusals(seed):
    akid, secret, token = assume(seed, "Dev")
    good = session_of(akid, secret, token)
    status, body = get_signin_token(seed, good)
    assert status == 200 and set(json.loads(body)) == {"SigninToken"}
    # a form POST is taken too
    status, body = get_signin_token(seed, good, method="POST")
    assert status == 200 and json.loads(body)["SigninToken"]

    ak, sk = seed.keys["anay"]
    gst = rg.client(seed.server, "sts", seed.keys["anay"]).get_session_token()["Credentials"]
    rg.SEEN_SECRETS.add(gst["SecretAccessKey"])
    refused = {
        "long-term keys": session_of(ak, sk),
        "long-term keys with a token": session_of(ak, sk, token),
        "wrong secret": session_of(akid, secret[:-1] + ("A" if secret[-1] != "A" else "B"), token),
        "another access key id": session_of(gst["AccessKeyId"], secret, token),
        "tampered token": session_of(akid, secret, token[:-6] + ("AAAAAA" if token[-6:] != "AAAAAA" else "BBBBBB")),
        "GetSessionToken session": session_of(gst["AccessKeyId"], gst["SecretAccessKey"], gst["SessionToken"]),
        "not JSON": "{sessionId:" + akid,
        "no Session": None,
        "duplicate keys": '{"sessionId":"%s","sessionId":"%s","sessionKey":"%s","sessionToken":"%s"}' % (
            akid, akid, secret, token),
    }
    for why, session in refused.items():
        if session is None:
            r = requests.get(seed.server.url + "/federation", params={"Action": "getSigninToken"}, timeout=60)
            status, body = r.status_code, r.text
        else:
            status, body = get_signin_token(seed, session)
        assert status == 400, (why, status, body[:300])
        assert "SigninToken" not in body, why
    # SessionDuration: 900..43200
    for d in (899, 43201, "abc", "-1"):
        assert get_signin_token(seed, good, duration=d)[0] == 400, d
    for d in (900, 43200):
        assert get_signin_token(seed, good, duration=d)[0] == 200, d
    # an unknown action
    r = requests.get(seed.server.url + "/federation", params={"Action": "nothing"}, timeout=60)
    assert r.status_code == 400
    # expired credentials (the role session lasts an hour)
    seed.clock.advance(3600 + 5)
    status, body = get_signin_token(seed, good)
    assert status == 400 and "SigninToken" not in body


def test_session_duration_not_with_role_chaining(seed):
    """AWS refuses SessionDuration for a role session obtained with role-session credentials."""
    akid, secret, token = assume(seed, "Dev")
    # Dev's admin makes a role that trusts Dev's admin role, and assumes it with its role session: a chain
    iam = rg.client(seed.server, "iam", (akid, secret), token=token)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": seed.role_arn("Dev")}}]}
    iam.create_role(RoleName="chained", AssumeRolePolicyDocument=json.dumps(trust))
    sts = rg.client(seed.server, "sts", (akid, secret), token=token)
    c = sts.assume_role(RoleArn=seed.role_arn("Dev", "chained"), RoleSessionName="chained")["Credentials"]
    rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    chained = session_of(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    assert get_signin_token(seed, chained, duration=3600)[0] == 400
    assert get_signin_token(seed, chained)[0] == 200


# ---- a script that builds the console URL itself, as in AWS's documentation ----------------------------------

def test_script_from_aws_documentation(seed):
    akid, secret, token = assume(seed, "Stage")
    # step 3 and 4 of AWS's Python example, with urllib only, the federation endpoint swapped for this server's
    json_string_with_temp_credentials = '{'
    json_string_with_temp_credentials += '"sessionId":"' + akid + '",'
    json_string_with_temp_credentials += '"sessionKey":"' + secret + '",'
    json_string_with_temp_credentials += '"sessionToken":"' + token + '"'
    json_string_with_temp_credentials += '}'
    request_parameters = "?Action=getSigninToken"
    request_parameters += "&SessionDuration=43200"
    request_parameters += "&Session=" + urllib.parse.quote_plus(json_string_with_temp_credentials)
    request_url = seed.server.url + "/federation" + request_parameters
    with urllib.request.urlopen(request_url, timeout=60) as r:
        signin_token = json.loads(r.read())
    rg.SEEN_SECRETS.add(signin_token["SigninToken"])
    request_parameters = "?Action=login"
    request_parameters += "&Issuer=Example.org"
    request_parameters += "&Destination=" + urllib.parse.quote_plus(seed.server.url + "/console/")
    request_parameters += "&SigninToken=" + signin_token["SigninToken"]
    request_url = seed.server.url + "/federation" + request_parameters

    b = Browser(seed)
    page = b.get(request_url)
    assert page.status_code == 200 and page.url.endswith("/console/")
    assert signed_in_as(page.text, seed, "Stage", session="script"), page.text[:2000]
    # SessionDuration=43200: the console session outlives the role session's hour
    seed.clock.advance(2 * 3600)
    assert signed_in_as(b.get(seed.server.url + "/console/").text, seed, "Stage", session="script")


# ---- the audit trail ---------------------------------------------------------------------------------------------

def test_audit_records_the_sign_in(seed):
    url = login_url(seed, "anay-prod")
    Browser(seed).get(url)
    Browser(seed).get(url)  # refused: recorded too
    got = audit(seed, "--principal", who(seed, "Prod"))
    tokens = [a for a in got if a["action"] == "signin:GetSigninToken"]
    logins = [a for a in got if a["action"] == "signin:ConsoleLogin"]
    assert len(tokens) == 1 and tokens[0]["outcome"] == "Success", got
    assert [a["outcome"] for a in logins][:1] == ["Success"], got
    # a refused try with a real session token (a wrong secret) is recorded under that session
    akid, secret, tok = assume(seed, "Prod", session="thief")
    assert get_signin_token(seed, session_of(akid, "x" * 40, tok))[0] == 400
    got = audit(seed, "--principal", who(seed, "Prod", session="thief"))
    assert [a["outcome"] for a in got if a["action"] == "signin:GetSigninToken"] == ["InvalidClientTokenId"], got
    # no secret in the trail: not the session's secret, not the sign-in token
    token = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["SigninToken"][0]
    text = json.dumps(audit(seed))
    assert token not in text
    ct = subprocess.run([BIN, "audit", "--data", str(seed.server.data_dir), "--format", "cloudtrail"],
                        capture_output=True, text=True, timeout=60)
    assert ct.returncode == 0, ct.stderr
    assert re.search(r'"eventSource":\s*"signin\.amazonaws\.com"', ct.stdout), ct.stdout[:2000]


# ---- a browser ----------------------------------------------------------------------------------------------------

def test_browser_opens_the_login_url(seed):
    """What `rolegate login` opens with xdg-open: a real browser lands in the console as the role session."""
    url = login_url(seed, "anay-stage")
    with console_browser.browser(seed.server.url) as b:
        b.get(url[len(seed.server.url):])
        assert console_browser.wait_until(lambda: b.path() == "/console/"), b.path()
        assert b.text("signer-arn") == who(seed, "Stage")
        cookie = [c for c in b.cookies().values() if c.get("httpOnly")]
        assert cookie and all(c.get("sameSite") == "Strict" for c in cookie), b.cookies()
        assert not b.console_errors()  # no CSP violation, no failed load (the pages link the console's icon)
        b.screenshot("federation-login")
        # the same URL again: refused, and this browser stays signed in
        b.get(url[len(seed.server.url):])
        assert b.exists("error")
        b.get("/console/")
        assert b.text("signer-arn") == who(seed, "Stage")


# ---- over TLS: the profile's ca_bundle ---------------------------------------------------------------------------

def test_login_over_tls_with_the_profiles_ca_bundle(tmp_path):
    """A TLS server: `rolegate login` reaches its /federation with the profile's ca_bundle (as STS is reached, no
    AWS_CA_BUNDLE), and the URL signs in over HTTPS with a Secure cookie."""
    from conftest import Factory

    d = tmp_path / "pki"
    d.mkdir()
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    (d / "leaf.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    rg.openssl("req", "-x509", *ec, "-keyout", "root.key", "-out", "root.pem", "-days", "2", "-subj",
               "/CN=rolegate federation test root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
               "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    rg.openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    rg.openssl("x509", "-req", "-in", "leaf.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial",
               "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext", cwd=d)
    clock = seedkit.Clock(tmp_path)
    f = Factory(tmp_path)
    try:
        srv = f.start(args=["--example", "seed", "--tls-cert", str(d / "leaf.pem"), "--tls-key", str(d / "leaf.key")],
                      env=clock.env())
        srv.clock = clock
        seed = seedkit.Seed(srv, clock, tmp_path / "home")
        assert srv.url.startswith("https://")
        config = seed.home / ".aws" / "config"
        config.write_text(config.read_text().replace("[profile anay-prod]\n",
                                                     f"[profile anay-prod]\nca_bundle = {d / 'root.pem'}\n"))
        rc, out, err = rolegate(seed, "login", "--print", "--mfa-code", seed.code("anay"), "anay-prod")
        assert rc == 0, err
        url = out.strip()
        rg.SEEN_SECRETS.add(urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["SigninToken"][0])
        assert url.startswith(srv.url + "/federation?Action=login&")
        r = requests.get(url, allow_redirects=False, timeout=60, verify=str(d / "root.pem"))
        assert r.status_code == 200 and continue_url(r) == "/console/"
        cookies = r.raw.headers.getlist("Set-Cookie")
        assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies), cookies
        # the profile without its ca_bundle: the server is not trusted (no AWS_CA_BUNDLE either)
        config.write_text(config.read_text().replace(f"ca_bundle = {d / 'root.pem'}\n", ""))
        rc, out, err = rolegate(seed, "login", "--print", "--mfa-code", seed.code("anay"), "anay-prod")
        assert rc != 0 and "SigninToken" not in out
    finally:
        f.finish()
        clock.close()
