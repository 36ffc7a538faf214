"""The client side's STS transport (src/cli/sts_client.c) against a real rolegate started with `--example seed`.

The C end-to-end test in build/asan/tests/test_sts_client (test_e2e_rolegate, skipped unless ROLEGATE_STS_TEST_* are
set) runs here with anay's key, her MFA device and two fresh codes: GetCallerIdentity; AssumeRole without MFA
refused; GetSessionToken with MFA and the code's replay refused; AssumeRole into Dev's admin role from the MFA
session and directly with SerialNumber/TokenCode; a wrong MFA code, a wrong secret (SignatureDoesNotMatch), an
unknown key (InvalidClientTokenId) and a tampered session token refused with the server's code and message.
Then the server is stopped and the same binary must fail cleanly with a connection error (no sanitizer report).

Needs `make -f build.mk asan unit`.
"""
import os
import subprocess

import pytest

import rg
import seedkit
from conftest import Factory

TEST_BIN = rg.REPO / "build" / "asan" / "tests" / "test_sts_client"


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    with seedkit.seeded(tmp_path_factory.mktemp("seed")) as s:
        yield s


def run_client(env_extra, timeout=180):
    if not TEST_BIN.exists():
        pytest.fail(f"{TEST_BIN} does not exist: build it first (make -f build.mk asan unit)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_STS_TEST_")}
    env.update(env_extra)
    p = subprocess.run([str(TEST_BIN)], env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def client_env(seed, person="anay", env="Dev"):
    ak, sk = seed.keys[person]
    # Two codes of steps of their own, in the order the test uses them (the server accepts one step back).
    code1 = seed.code(person)
    code2 = seed.code(person)
    return {
        "ROLEGATE_STS_TEST_ENDPOINT": seed.server.url,
        "ROLEGATE_STS_TEST_ACCESS_KEY_ID": ak,
        "ROLEGATE_STS_TEST_SECRET_ACCESS_KEY": sk,
        "ROLEGATE_STS_TEST_USER_ARN": f"arn:aws:iam::{seed.accounts['Ops']}:user/{person}",
        "ROLEGATE_STS_TEST_MFA_SERIAL": seed.serials[person],
        "ROLEGATE_STS_TEST_MFA_CODE": code1,
        "ROLEGATE_STS_TEST_MFA_CODE2": code2,
        "ROLEGATE_STS_TEST_ROLE_ARN": seed.role_arn(env),
    }


def test_sts_client_against_rolegate(seed):
    rc, out = run_client(client_env(seed))
    assert rc == 0, out
    assert "[       OK ] test_e2e_rolegate" in out, out
    assert "SKIPPED ] test_e2e_rolegate" not in out, out
    assert "AddressSanitizer" not in out and "runtime error" not in out, out
    dev = seed.accounts["Dev"]
    assert f"assumed arn:aws:sts::{dev}:assumed-role/admin/sts-client-test until " in out, out
    assert "GetCallerIdentity: SignatureDoesNotMatch: " in out, out
    # nothing secret in what the client printed
    ak, sk = seed.keys["anay"]
    assert sk not in out


def test_sts_client_abhi_may_not_enter_prod(seed):
    """The seed locks Abhi out of Prod: AssumeRole's refusal reaches the caller with AWS's code and message."""
    rc, out = run_client(client_env(seed, "abhi", "Prod"))
    assert rc != 0 and rc < 128, out
    role = seed.role_arn("Prod")
    assert f"AssumeRole {role}: AccessDenied: User: arn:aws:iam::{seed.accounts['Ops']}:user/abhi is not " \
           f"authorized to perform: sts:AssumeRole on resource: {role}" in out, out
    assert "AddressSanitizer" not in out, out


def test_sts_client_server_down(tmp_path):
    """A server that is not there: a clear connection error after the retries, a clean non-zero exit."""
    f = Factory(tmp_path)
    srv = f.start()
    url = srv.url
    srv.stop_ok()
    rc, out = run_client({
        "ROLEGATE_STS_TEST_ENDPOINT": url,
        "ROLEGATE_STS_TEST_ACCESS_KEY_ID": srv.root[0],
        "ROLEGATE_STS_TEST_SECRET_ACCESS_KEY": srv.root[1],
        "ROLEGATE_STS_TEST_USER_ARN": f"arn:aws:iam::{srv.account}:root",
        "ROLEGATE_STS_TEST_MFA_SERIAL": "x", "ROLEGATE_STS_TEST_MFA_CODE": "1",
        "ROLEGATE_STS_TEST_MFA_CODE2": "2", "ROLEGATE_STS_TEST_ROLE_ARN": "x",
    })
    assert rc == 1, out  # one failed test, not a crash
    assert "[  FAILED  ] test_e2e_rolegate" in out, out
    assert f"GetCallerIdentity: cannot reach STS at {url}: " in out, out
    assert "(after 3 attempts)" in out, out
    assert "AddressSanitizer" not in out and "runtime error" not in out, out
    f.finish()


# ---- HTTPS and AWS_CA_BUNDLE ------------------------------------------------------------------------------------

GCI_ANSWER = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
              b'<Arn>arn:aws:iam::123456789012:user/tls</Arn><UserId>AIDATLS</UserId><Account>123456789012</Account>'
              b'</GetCallerIdentityResult><ResponseMetadata><RequestId>tls-1</RequestId></ResponseMetadata>'
              b'</GetCallerIdentityResponse>')


@pytest.fixture
def tls_sts(tmp_path):
    """A canned STS over HTTPS on 127.0.0.1 with a self-signed certificate for localhost: (url, cert path, requests)."""
    import http.server
    import shutil
    import ssl
    import threading

    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.headers.get("Authorization", ""), body))
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(GCI_ANSWER)))
            self.end_headers()
            self.wfile.write(GCI_ANSWER)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"https://localhost:{httpd.server_address[1]}", cert, seen
    httpd.shutdown()
    httpd.server_close()


def test_sts_client_https_with_aws_ca_bundle(tls_sts):
    url, cert, seen = tls_sts
    rc, out = run_client({"ROLEGATE_STS_TEST_TLS_ENDPOINT": url, "ROLEGATE_STS_TEST_TLS_EXPECT": "ok",
                          "AWS_CA_BUNDLE": str(cert)})
    assert rc == 0 and "tls: arn:aws:iam::123456789012:user/tls" in out, out
    assert "[       OK ] test_tls_endpoint" in out, out
    assert len(seen) == 1
    auth, body = seen[0]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/") and "/us-east-1/sts/aws4_request" in auth
    assert body == b"Action=GetCallerIdentity&Version=2011-06-15"


def test_sts_client_https_untrusted_certificate(tls_sts):
    """Without the bundle the self-signed certificate is refused, once (another attempt would not change it)."""
    url, cert, seen = tls_sts
    rc, out = run_client({"ROLEGATE_STS_TEST_TLS_ENDPOINT": url, "ROLEGATE_STS_TEST_TLS_EXPECT": "untrusted"})
    assert rc == 0, out
    assert f"tls refused: GetCallerIdentity: cannot reach STS at {url}: " in out, out
    assert "certificate" in out.lower(), out
    assert seen == []
