"""`rolegate server --trusted-proxy CIDR` behind Debian's HAProxy: the client's address and scheme from the proxy's
X-Forwarded-For / X-Forwarded-Proto (or RFC 7239 Forwarded) become aws:SourceIp, aws:SecureTransport, the audit's
source IP (and so CloudTrail's sourceIPAddress) and the request log; from any other peer the headers are ignored.

The proxy connects to rolegate from 127.0.0.2 (`source 127.0.0.2` on its server line) and rolegate trusts only
127.0.0.2 and 127.0.0.3 (a second proxy in a chain): the tests' own direct requests come from 127.0.0.1, an untrusted
peer, whatever headers they forge. To play remote clients, the test frontends take the client's address from an
X-Test-Client header (`http-request set-src`, then deleted; a test device, never a production configuration) and
append it to X-Forwarded-For with `option forwardfor`, as HAProxy does for a real client. The header is added to
boto3's requests after signing (the `before-send` event), as a proxy's headers are never signed.
"""
import json
import os
import re
import socket
import subprocess
import time

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

import rg

HAPROXY = "/usr/sbin/haproxy"
REMOTE = "203.0.113.7"   # an allowed remote client (TEST-NET-3)
OTHER = "198.51.100.9"   # a remote client outside the allowed networks (TEST-NET-2)

ONLY_FROM_REMOTE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:ListUsers", "iam:GetUser"], "Resource": "*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}}]}
DENY_INSECURE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
DENY_SECURE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}

HAPROXY_CFG = """global
    log stderr format short local0 info
    maxconn 200
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 60s
    timeout server 60s
# a plain-HTTP edge: the client's address appended to X-Forwarded-For, the scheme set (never passed through)
frontend edge
    bind 127.0.0.1:{edge}
    http-request set-src req.hdr(x-test-client) if {{ req.hdr(x-test-client) -m found }}
    http-request del-header x-test-client
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    default_backend rolegate
# the same, terminating TLS in front of plain-HTTP rolegate
frontend tls
    bind 127.0.0.1:{tls} ssl crt {pem}
    http-request set-src req.hdr(x-test-client) if {{ req.hdr(x-test-client) -m found }}
    http-request del-header x-test-client
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    default_backend rolegate
# RFC 7239 instead: one Forwarded element appended per request
frontend rfc7239
    bind 127.0.0.1:{rfc}
    http-request set-src req.hdr(x-test-client) if {{ req.hdr(x-test-client) -m found }}
    http-request del-header x-test-client
    http-request add-header Forwarded "for=%[src];proto=http"
    default_backend rolegate
# an outer proxy in front of the edge: a chain of two trusted proxies
frontend outer
    bind 127.0.0.1:{outer}
    http-request set-src req.hdr(x-test-client) if {{ req.hdr(x-test-client) -m found }}
    http-request del-header x-test-client
    option forwardfor
    default_backend edge
backend rolegate
    server rg 127.0.0.1:{backend} source 127.0.0.2
backend edge
    server edge 127.0.0.1:{edge} source 127.0.0.3
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_pki(d):
    """A root CA and a leaf for 127.0.0.1; returns (root.pem, haproxy's combined leaf+key PEM)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    (d / "leaf.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    rg.openssl("req", "-x509", *ec, "-keyout", "root.key", "-out", "root.pem", "-days", "2", "-subj",
            "/CN=rolegate proxy test root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    rg.openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost", cwd=d)
    rg.openssl("x509", "-req", "-in", "leaf.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out",
            "leaf.pem", "-days", "2", "-extfile", "leaf.ext", cwd=d)
    (d / "haproxy.pem").write_text((d / "leaf.pem").read_text() + (d / "leaf.key").read_text())
    os.chmod(d / "haproxy.pem", 0o600)
    return str(d / "root.pem"), str(d / "haproxy.pem")


class Haproxy:
    """haproxy -db (foreground) on loopback with a config of its own, in front of rolegate on backend_port."""

    def __init__(self, tmp, backend_port, pem):
        self.ports = {"edge": free_port(), "tls": free_port(), "rfc": free_port(), "outer": free_port()}
        self.cfg = tmp / "haproxy.cfg"
        self.cfg.write_text(HAPROXY_CFG.format(backend=backend_port, pem=pem, **self.ports))
        self.log_path = tmp / "haproxy.log"
        check = subprocess.run([HAPROXY, "-c", "-f", str(self.cfg)], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([HAPROXY, "-f", str(self.cfg), "-db"], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        for port in self.ports.values():
            while True:
                assert self.proc.poll() is None, f"haproxy exited:\n{self.log_path.read_text()}"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"haproxy did not listen:\n{self.log_path.read_text()}"
                    time.sleep(0.05)

    def url(self, frontend):
        return f"{'https' if frontend == 'tls' else 'http'}://127.0.0.1:{self.ports[frontend]}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """(rolegate server trusting 127.0.0.2 and 127.0.0.3, haproxy in front of it, the CA root of haproxy's TLS)."""
    if not os.access(HAPROXY, os.X_OK):
        pytest.fail(f"{HAPROXY} is not installed (scripts/install-deps.sh installs haproxy)")
    from conftest import Factory
    tmp = tmp_path_factory.mktemp("proxy")
    root, pem = make_pki(tmp)
    f = Factory(tmp)
    srv = f.start(args=["--trusted-proxy", "127.0.0.2", "--trusted-proxy", "127.0.0.3/32"])
    hap = Haproxy(tmp, srv.port, pem)
    try:
        yield srv, hap, root
    finally:
        hap.stop()
        f.finish()


def client(url, service, creds, client_ip=None, headers=None, verify=None, token=None):
    """A boto3 client of `service` at url; client_ip (the address the test proxy is to see) and headers are added
    to every request after it is signed."""
    c = boto3.session.Session().client(
        service, endpoint_url=url, region_name=rg.REGION, aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
        aws_session_token=token, verify=verify,
        config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30))
    extra = dict(headers or {})
    if client_ip:
        extra["X-Test-Client"] = client_ip

    def add(request, **kwargs):
        for k, v in extra.items():
            request.headers[k] = v

    c.meta.events.register("before-send", add)
    return c


def user_with(srv, policy):
    user, creds = rg.make_user(rg.client(srv, "iam"))
    rg.client(srv, "iam").put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=json.dumps(policy))
    return creds[0]


def denied(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    assert rg.err(e)[0] == "AccessDenied" and rg.err(e)[2] == 403, rg.err(e)
    return rg.err(e)[3]


def test_start_up_names_the_trusted_proxies(env):
    srv, _, _ = env
    assert "trusting the client address and scheme that these proxies forward" in srv.log()
    assert "127.0.0.2/32, 127.0.0.3/32" in srv.log()


def test_source_ip_condition_through_the_proxy(env):
    srv, hap, _ = env
    creds = user_with(srv, ONLY_FROM_REMOTE)
    edge = hap.url("edge")
    # the remote client's address, from the proxy: allowed by the IpAddress condition
    assert "Users" in client(edge, "iam", creds, REMOTE).list_users()
    assert "Users" in client(edge, "iam", creds, "2001:db8::7").list_users()
    # another remote client: denied
    denied(lambda: client(edge, "iam", creds, OTHER).list_users())
    denied(lambda: client(edge, "iam", creds, "2001:db9::7").list_users())
    # without a remote address, the proxy forwards ours (127.0.0.1): denied
    denied(lambda: client(edge, "iam", creds).list_users())
    # spoofing through the proxy: the client's own X-Forwarded-For comes first, the proxy appends what it saw
    denied(lambda: client(edge, "iam", creds, OTHER, {"X-Forwarded-For": REMOTE}).list_users())
    denied(lambda: client(edge, "iam", creds, OTHER, {"X-Forwarded-For": f"{REMOTE}, 127.0.0.2"}).list_users())


def test_forged_headers_from_an_untrusted_peer_are_ignored(env):
    """Straight to rolegate from 127.0.0.1 (not a trusted proxy): X-Forwarded-For and Forwarded mean nothing."""
    srv, _, _ = env
    creds = user_with(srv, ONLY_FROM_REMOTE)
    for forged in ({"X-Forwarded-For": REMOTE}, {"Forwarded": f"for={REMOTE}"},
                   {"X-Forwarded-For": REMOTE, "Forwarded": f"for={REMOTE}", "X-Real-IP": REMOTE}):
        denied(lambda: client(srv.url, "iam", creds, headers=forged).list_users())
    # and nothing refused either: garbage from an untrusted peer is not even read
    iam = client(srv.url, "iam", srv.root, headers={"X-Forwarded-For": "garbage", "Forwarded": "for=\""})
    assert "Users" in iam.list_users()


def test_chain_of_trusted_proxies(env):
    """outer (connects from 127.0.0.3) -> edge (from 127.0.0.2) -> rolegate: X-Forwarded-For is
    "203.0.113.7, 127.0.0.3"; 127.0.0.3 is trusted, so it is skipped and the client is the remote address."""
    srv, hap, _ = env
    creds = user_with(srv, ONLY_FROM_REMOTE)
    assert "Users" in client(hap.url("outer"), "iam", creds, REMOTE).list_users()
    denied(lambda: client(hap.url("outer"), "iam", creds, OTHER).list_users())
    denied(lambda: client(hap.url("outer"), "iam", creds, OTHER, {"X-Forwarded-For": REMOTE}).list_users())


def test_rfc7239_forwarded(env):
    srv, hap, _ = env
    creds = user_with(srv, ONLY_FROM_REMOTE)
    rfc = hap.url("rfc")
    assert "Users" in client(rfc, "iam", creds, REMOTE).list_users()
    denied(lambda: client(rfc, "iam", creds, OTHER).list_users())
    # a forged element first, the proxy's last: the proxy's names the client
    denied(lambda: client(rfc, "iam", creds, OTHER, {"Forwarded": f"for={REMOTE}"}).list_users())


def test_audit_cloudtrail_and_log_show_the_client(env):
    srv, hap, _ = env
    admin = rg.admin_creds(srv)
    iam = rg.client(srv, "iam")
    role = iam.create_role(RoleName=rg.unique("proxied"), AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"AWS": f"arn:aws:iam::{srv.account}:root"}}]}))["Role"]
    got = client(hap.url("edge"), "sts", admin, REMOTE, {"X-Forwarded-For": "10.9.9.9"}).assume_role(
        RoleArn=role["Arn"], RoleSessionName="via-proxy")
    rg.SEEN_SECRETS.add(got["Credentials"]["SecretAccessKey"])
    rid_assume = got["ResponseMetadata"]["RequestId"]
    rid_create = client(hap.url("tls"), "iam", srv.root, "2001:db8::7", verify=env[2]).create_user(
        UserName=rg.unique("v6"))["ResponseMetadata"]["RequestId"]
    rid_direct = client(srv.url, "iam", srv.root, headers={"X-Forwarded-For": REMOTE}).create_user(
        UserName=rg.unique("direct"))["ResponseMetadata"]["RequestId"]
    rid_denied = denied(lambda: client(hap.url("edge"), "iam", user_with(srv, ONLY_FROM_REMOTE), OTHER).list_users())

    p = subprocess.run([str(rg.BIN), "audit", "--data", str(srv.data_dir), "--format", "cloudtrail"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    by_rid = {r["requestID"]: r for r in json.loads(p.stdout)["Records"]}
    assert by_rid[rid_assume]["sourceIPAddress"] == REMOTE
    assert by_rid[rid_assume]["eventName"] == "AssumeRole"
    assert by_rid[rid_create]["sourceIPAddress"] == "2001:db8::7"
    assert by_rid[rid_direct]["sourceIPAddress"] == "127.0.0.1"  # the forged header was ignored
    # the request log: ip= the client, via= the proxy it came through
    log = srv.log()
    assert re.search(rf"req={rid_assume} ip={re.escape(REMOTE)} via=127\.0\.0\.2 ", log), log[-3000:]
    assert re.search(rf"req={rid_denied} ip={re.escape(OTHER)} via=127\.0\.0\.2 .*error=AccessDenied", log)
    assert re.search(rf"req={rid_direct} ip=127\.0\.0\.1 principal=", log)


def test_secure_transport_through_a_tls_terminating_proxy(env):
    """HAProxy terminates TLS and says so (X-Forwarded-Proto: https) to plain-HTTP rolegate."""
    srv, hap, root = env
    creds = user_with(srv, DENY_INSECURE)
    assert "Users" in client(hap.url("tls"), "iam", creds, REMOTE, verify=root).list_users()
    assert "Users" in client(hap.url("tls"), "iam", creds, verify=root).list_users()
    # plain HTTP to the proxy, which says http, even when the client claims https
    denied(lambda: client(hap.url("edge"), "iam", creds, REMOTE).list_users())
    denied(lambda: client(hap.url("edge"), "iam", creds, REMOTE, {"X-Forwarded-Proto": "https"}).list_users())
    # straight to rolegate over plain HTTP: false, and a forged header changes nothing
    denied(lambda: client(srv.url, "iam", creds).list_users())
    denied(lambda: client(srv.url, "iam", creds, headers={"X-Forwarded-Proto": "https"}).list_users())
    denied(lambda: client(srv.url, "iam", creds, headers={"Forwarded": "for=127.0.0.1;proto=https"}).list_users())
    # the key is really "true" through the TLS proxy, not merely absent
    deny_tls = user_with(srv, DENY_SECURE)
    denied(lambda: client(hap.url("tls"), "iam", deny_tls, verify=root).list_users())
    assert "Users" in client(hap.url("edge"), "iam", deny_tls).list_users()


def test_unusable_headers_from_the_proxy_are_refused(env):
    """A client that sends Forwarded through a proxy that appends X-Forwarded-For: both dialects arrive from a
    trusted peer, one of them the client's. Refused (400), never answered with a guessed address."""
    srv, hap, _ = env
    iam = client(hap.url("edge"), "iam", srv.root, REMOTE, {"Forwarded": f"for={OTHER}"})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName=rg.unique("never"))
    code, message, status, rid = rg.err(e)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert "forwarding headers cannot be used" in message and "both Forwarded and X-Forwarded-For" in message
    assert re.search(rf"level=warn .*req={rid} peer=127\.0\.0\.2: refused", srv.log())
    # the same client without the forged header is served
    assert "Users" in client(hap.url("edge"), "iam", srv.root, REMOTE).list_users()


@pytest.mark.parametrize("value,why", [
    ("10.0.0.5/8", "has address bits set beyond its /8 prefix (the network is 10.0.0.0/8)"),
    ("10.0.0.0/33", "the prefix length must be 0 to 32"),
    ("proxy.example", "is not an IPv4 or IPv6 address or CIDR"),
    ("2001:db8::1/129", "the prefix length must be 0 to 128"),
])
def test_bad_trusted_proxy_refused_at_start(tmp_path, value, why):
    data = tmp_path / "data"
    p = subprocess.run([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(data), "--trusted-proxy",
                        "127.0.0.1", "--trusted-proxy", value], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 2, p.stderr
    assert f"rolegate server: --trusted-proxy: '{value}'" in p.stderr and why in p.stderr, p.stderr
    assert not data.exists()
