"""`rolegate server --tls-cert/--tls-key`: HTTPS through libmicrohttpd's GnuTLS, aws:SecureTransport, and the refusal
of plain HTTP on a non-loopback address without --insecure-http.

The test makes its own PKI with the openssl command: a root CA, an intermediate CA and a leaf for 127.0.0.1 and
localhost; the server gets the chain as nginx takes it (leaf, then intermediate) and clients trust only the root.
"""
import http.client
import json
import os
import re
import socket
import ssl
import subprocess

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

import rg

ALL_IAM = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
# The common statement: deny everything that did not come over TLS.
DENY_INSECURE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """{root, chain, key, other_root, other_chain, other_key}: paths of PEM files made here."""
    d = tmp_path_factory.mktemp("pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    (d / "ca.ext").write_text("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
    (d / "leaf.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    rg.openssl("req", "-x509", *ec, "-keyout", "root.key", "-out", "root.pem", "-days", "2", "-subj",
            "/CN=rolegate test root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    rg.openssl("req", *ec, "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=rolegate test intermediate", cwd=d)
    rg.openssl("x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out",
            "int.pem", "-days", "2", "-extfile", "ca.ext", cwd=d)
    rg.openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost", cwd=d)
    rg.openssl("x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-out",
            "leaf.pem", "-days", "2", "-extfile", "leaf.ext", cwd=d)
    (d / "chain.pem").write_text((d / "leaf.pem").read_text() + (d / "int.pem").read_text())
    # the certificate a SIGHUP rotates to
    rg.openssl("req", *ec, "-keyout", "leaf2.key", "-out", "leaf2.csr", "-subj", "/CN=rotated", cwd=d)
    rg.openssl("x509", "-req", "-in", "leaf2.csr", "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-out",
            "leaf2.pem", "-days", "2", "-extfile", "leaf.ext", cwd=d)
    (d / "chain2.pem").write_text((d / "leaf2.pem").read_text() + (d / "int.pem").read_text())
    # a second, unrelated root: a client that trusts only it does not trust the server
    rg.openssl("req", "-x509", *ec, "-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj",
            "/CN=someone else's root", cwd=d)
    os.chmod(d / "leaf.key", 0o600)
    return {"root": str(d / "root.pem"), "chain": str(d / "chain.pem"), "key": str(d / "leaf.key"),
            "leaf": str(d / "leaf.pem"), "other_root": str(d / "other.pem"), "int_key": str(d / "int.key"),
            "chain2": str(d / "chain2.pem"), "key2": str(d / "leaf2.key")}


@pytest.fixture(scope="module")
def tls_server(pki, tmp_path_factory):
    from conftest import Factory
    f = Factory(tmp_path_factory.mktemp("tls"))
    srv = f.start(args=["--tls-cert", pki["chain"], "--tls-key", pki["key"]])
    yield srv
    f.finish()


def tls_client(server, service, verify, creds=None):
    ak, sk = creds or server.root
    return boto3.session.Session().client(
        service, endpoint_url=server.url, region_name=rg.REGION, aws_access_key_id=ak, aws_secret_access_key=sk,
        verify=verify, config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30))


def cli(server, *args, env_extra=None, creds=None):
    ak, sk = creds or server.root
    d = server.log_dir
    cfg, cred = d / "cli-config", d / "cli-credentials"
    cfg.write_text(f"[default]\nregion = {rg.REGION}\noutput = json\nmax_attempts = 1\n")
    cred.write_text(f"[default]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}\n")
    env = rg.cli_env(str(cfg), str(cred))
    env.update(env_extra or {})
    p = subprocess.run([rg.aws_binary(), "--endpoint-url", server.url, *args], env=env, capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


# ---- real clients over HTTPS ---------------------------------------------------------------------------------------

def test_log_says_https(tls_server):
    assert tls_server.url.startswith("https://127.0.0.1:")
    assert f"listening on https://127.0.0.1:{tls_server.port}" in tls_server.log()


def test_boto3_with_verify_ca(tls_server, pki):
    iam = tls_client(tls_server, "iam", pki["root"])
    name = rg.unique()
    iam.create_user(UserName=name)
    assert name in [u["UserName"] for u in iam.list_users()["Users"]]
    ident = tls_client(tls_server, "sts", pki["root"]).get_caller_identity()
    assert ident["Account"] == tls_server.account


def test_boto3_assume_role_over_tls(tls_server, pki):
    iam = tls_client(tls_server, "iam", pki["root"])
    admin = secure_transport_user(iam, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    role = rg.unique("role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{tls_server.account}:root"}}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    creds = tls_client(tls_server, "sts", pki["root"], creds=admin).assume_role(
        RoleArn=f"arn:aws:iam::{tls_server.account}:role/{role}", RoleSessionName="tls")["Credentials"]
    rg.SEEN_SECRETS.add(creds["SecretAccessKey"])
    sts = boto3.session.Session().client(
        "sts", endpoint_url=tls_server.url, region_name=rg.REGION, verify=pki["root"],
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"])
    assert sts.get_caller_identity()["Arn"].endswith(f":assumed-role/{role}/tls")


def test_aws_cli_with_ca_bundle_env_and_flag(tls_server, pki):
    ok = rg.cli_json(cli(tls_server, "sts", "get-caller-identity", env_extra={"AWS_CA_BUNDLE": pki["root"]}))
    assert ok["Account"] == tls_server.account
    ok = rg.cli_json(cli(tls_server, "--ca-bundle", pki["root"], "iam", "list-users"))
    assert "Users" in ok


def test_aws_cli_without_the_ca_fails(tls_server, pki):
    rc, out, errout = cli(tls_server, "sts", "get-caller-identity")
    assert rc != 0 and "SSL" in errout and "Account" not in out
    rc, out, errout = cli(tls_server, "sts", "get-caller-identity", env_extra={"AWS_CA_BUNDLE": pki["other_root"]})
    assert rc != 0 and "SSL" in errout and "Account" not in out


def test_boto3_that_does_not_trust_the_ca_fails(tls_server, pki):
    for verify in (True, pki["other_root"]):
        with pytest.raises(botocore.exceptions.SSLError):
            tls_client(tls_server, "sts", verify).get_caller_identity()


def test_chain_is_sent_leaf_first(tls_server, pki):
    """The client trusts only the root, so the handshake works only if the server sends the intermediate."""
    ctx = ssl.create_default_context(cafile=pki["root"])
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            assert t.version() in ("TLSv1.2", "TLSv1.3")
            assert t.getpeercert()["subject"] == ((("commonName", "localhost"),),)


def test_plain_http_to_the_tls_port_fails(tls_server):
    conn = http.client.HTTPConnection("127.0.0.1", tls_server.port, timeout=10)
    try:
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            conn.request("POST", "/", body=rg.iam_form("ListUsers"),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            conn.getresponse().read()
    finally:
        conn.close()
    iam = boto3.session.Session().client(
        "iam", endpoint_url=f"http://127.0.0.1:{tls_server.port}", region_name=rg.REGION,
        aws_access_key_id=tls_server.root[0], aws_secret_access_key=tls_server.root[1],
        config=Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=10))
    with pytest.raises(botocore.exceptions.BotoCoreError):
        iam.list_users()


def handshake(port, version, ciphers=None):
    """Negotiates exactly `version`; returns the protocol, or raises ssl.SSLError / OSError."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers(ciphers or "ALL:@SECLEVEL=0")
    ctx.minimum_version = ctx.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            return t.version()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_old_protocols_and_weak_ciphers_refused(tls_server):
    assert handshake(tls_server.port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(tls_server.port, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        with pytest.raises((ssl.SSLError, OSError)) as e:
            handshake(tls_server.port, old)
        # the server refused it, not this client (which would say NO_PROTOCOLS_AVAILABLE before connecting)
        assert "NO_PROTOCOLS_AVAILABLE" not in str(e.value)
    # TLS 1.2 with only CBC suites, or only RSA key transport: no forward secrecy or no AEAD, refused
    for ciphers in ("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:@SECLEVEL=0", "AES128-GCM-SHA256:@SECLEVEL=0"):
        with pytest.raises((ssl.SSLError, OSError)):
            handshake(tls_server.port, ssl.TLSVersion.TLSv1_2, ciphers)


def test_openssl_s_client_tls1_1_refused(tls_server, pki):
    base = ["openssl", "s_client", "-connect", f"127.0.0.1:{tls_server.port}", "-CAfile", pki["root"]]
    ok = subprocess.run(base + ["-tls1_2"], input="", capture_output=True, text=True, timeout=30)
    assert "Verify return code: 0 (ok)" in ok.stdout and "Protocol  : TLSv1.2" in ok.stdout, ok.stdout + ok.stderr
    old = subprocess.run(base + ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], input="", capture_output=True,
                         text=True, timeout=30)
    assert "Cipher is (NONE)" in old.stdout and "no peer certificate available" in old.stdout, old.stdout


# ---- SIGHUP: a new certificate without dropping connections -----------------------------------------------------

def peer_cn(port, root):
    ctx = ssl.create_default_context(cafile=root)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            return dict(x[0] for x in t.getpeercert()["subject"])["commonName"]


def list_users_on(conn, server):
    """A signed iam:ListUsers on an open HTTPSConnection (keep-alive); returns the HTTP status."""
    body = rg.iam_form("ListUsers")
    target, h = rg.sign(server, body.encode())
    conn.request("POST", target, body=body, headers=h)
    r = conn.getresponse()
    r.read()
    return r.status


def test_sighup_reloads_the_certificate_keeping_connections(server_factory, pki, tmp_path):
    import shutil
    import signal
    import time
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    shutil.copy(pki["chain"], cert)
    shutil.copy(pki["key"], key)
    srv = server_factory.start(args=["--tls-cert", str(cert), "--tls-key", str(key)])
    assert peer_cn(srv.port, pki["root"]) == "localhost"
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=10,
                                       context=ssl.create_default_context(cafile=pki["root"]))
    try:
        assert list_users_on(conn, srv) == 200
        sock = conn.sock

        def reload_and_wait(n):
            srv.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while srv.log().count("received SIGHUP") < n:
                assert time.monotonic() < deadline, srv.log()
                time.sleep(0.02)

        shutil.copy(pki["chain2"], cert)
        shutil.copy(pki["key2"], key)
        reload_and_wait(1)
        assert "reloaded the TLS certificate" in srv.log()
        assert peer_cn(srv.port, pki["root"]) == "rotated"  # new handshakes: the new certificate
        assert list_users_on(conn, srv) == 200 and conn.sock is sock  # the open connection was not dropped

        # a broken file on SIGHUP: refused, the server keeps serving the certificate it has
        cert.write_text("not a certificate\n")
        reload_and_wait(2)
        assert "TLS certificate not reloaded; still serving the previous one" in srv.log()
        assert peer_cn(srv.port, pki["root"]) == "rotated"
        # a key that is not the certificate's: refused too
        shutil.copy(pki["chain"], cert)
        reload_and_wait(3)
        assert srv.log().count("TLS certificate not reloaded") == 2
        assert peer_cn(srv.port, pki["root"]) == "rotated"
        assert list_users_on(conn, srv) == 200 and conn.sock is sock
        assert srv.running()
    finally:
        conn.close()


def test_sighup_on_plain_http_keeps_serving(fresh_server):
    import signal
    import time
    fresh_server.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    assert fresh_server.running()
    assert "Users" in rg.client(fresh_server, "iam").list_users()


# ---- aws:SecureTransport -------------------------------------------------------------------------------------------

def secure_transport_user(iam, policy):
    user, creds = rg.make_user(iam)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=json.dumps(policy))
    return creds[0]


def test_deny_unless_secure_transport(tls_server, pki, server_factory):
    """The common "Deny unless aws:SecureTransport" statement: allowed over TLS, denied over plain HTTP."""
    creds = secure_transport_user(tls_client(tls_server, "iam", pki["root"]), DENY_INSECURE)
    assert "Users" in tls_client(tls_server, "iam", pki["root"], creds=creds).list_users()

    plain = server_factory.start()
    creds = secure_transport_user(rg.client(plain, "iam"), DENY_INSECURE)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rg.client(plain, "iam", creds=creds).list_users()
    assert rg.err(e)[0] == "AccessDenied" and rg.err(e)[2] == 403
    # and the same user without the Deny statement is allowed over plain HTTP: the Deny is what refused
    ok = secure_transport_user(rg.client(plain, "iam"), ALL_IAM)
    assert "Users" in rg.client(plain, "iam", creds=ok).list_users()


def test_secure_transport_is_true_over_tls(tls_server, pki):
    """A Deny on aws:SecureTransport true refuses over TLS: the key is really "true", not merely absent."""
    deny_tls = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    creds = secure_transport_user(tls_client(tls_server, "iam", pki["root"]), deny_tls)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        tls_client(tls_server, "iam", pki["root"], creds=creds).list_users()
    assert rg.err(e)[0] == "AccessDenied"


# ---- start-up refusals ---------------------------------------------------------------------------------------------

def run_server(tmp_path, *args, timeout=30):
    data = tmp_path / "data"
    p = subprocess.run([str(rg.BIN), "server", "--data", str(data), *args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p, data


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "[::]:0", ":0"])
def test_plain_http_off_loopback_refused(tmp_path, listen):
    p, data = run_server(tmp_path, "--listen", listen)
    assert p.returncode == 1
    assert "level=error" in p.stderr and "refusing plain HTTP on non-loopback address" in p.stderr
    assert "--insecure-http" in p.stderr
    assert not data.exists(), "nothing is written before the refusal"


def test_insecure_http_starts_and_warns(server_factory):
    srv = server_factory.start(args=["--listen", "0.0.0.0:0", "--insecure-http"])
    assert "level=warn" in srv.log() and "--insecure-http: serving plain HTTP on non-loopback address" in srv.log()
    assert "Users" in rg.client(srv, "iam").list_users()


def test_loopback_plain_http_needs_no_flag(fresh_server):
    assert "--insecure-http" not in fresh_server.log()


def test_tls_off_loopback_needs_no_flag(server_factory, pki):
    srv = server_factory.start(args=["--listen", "0.0.0.0:0", "--tls-cert", pki["chain"], "--tls-key", pki["key"]])
    assert "--insecure-http" not in srv.log()
    assert "Users" in tls_client(srv, "iam", pki["root"]).list_users()


def test_tls_option_mistakes_refused(tmp_path, pki):
    p, data = run_server(tmp_path, "--tls-cert", pki["chain"])
    assert p.returncode == 2 and "--tls-cert and --tls-key go together" in p.stderr
    p, data = run_server(tmp_path, "--listen", "127.0.0.1:0", "--tls-cert", pki["chain"], "--tls-key",
                         pki["int_key"])
    assert p.returncode == 1 and "does not match the first certificate" in p.stderr and not data.exists()
    p, data = run_server(tmp_path, "--listen", "127.0.0.1:0", "--tls-cert", pki["chain"], "--tls-key",
                         str(tmp_path / "missing.key"))
    assert p.returncode == 1 and "missing.key" in p.stderr and not data.exists()
    p, data = run_server(tmp_path, "--listen", "127.0.0.1:0", "--tls-cert", pki["key"], "--tls-key", pki["key"])
    assert p.returncode == 1 and "no PEM certificate" in p.stderr and not data.exists()
    p, data = run_server(tmp_path, "--listen", "127.0.0.1:0", "--insecure-http=yes")
    assert p.returncode == 2 and "takes no value" in p.stderr


# ---- rolegate's own client verbs over TLS ----------------------------------------------------------------------

def client_home(tmp_path, server, pki, ca_line=""):
    """~/.aws of an engineer: a base profile with an administrator's key and a role profile assumed through it."""
    iam = tls_client(server, "iam", pki["root"])
    admin = secure_transport_user(iam, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    role = rg.unique("role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"}}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[base]\naws_access_key_id = {admin[0]}\naws_secret_access_key = {admin[1]}\n")
    (home / ".aws" / "config").write_text(
        f"[profile base]\nregion = {rg.REGION}\nendpoint_url = {server.url}\n{ca_line}"
        f"[profile target]\nregion = {rg.REGION}\nendpoint_url = {server.url}\n{ca_line}"
        f"role_arn = arn:aws:iam::{server.account}:role/{role}\nsource_profile = base\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), ROLEGATE_NO_KEYRING="1", XDG_CACHE_HOME=str(home / ".cache"),
               AWS_CONFIG_FILE=str(home / ".aws" / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"))
    return env, role


def exec_identity(env, *cli_args):
    p = subprocess.run([str(rg.BIN), "exec", "target", "--", rg.aws_binary(), *cli_args, "sts", "get-caller-identity"],
                       env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def test_rolegate_exec_with_aws_ca_bundle(tls_server, pki, tmp_path):
    env, role = client_home(tmp_path, tls_server, pki)
    # rolegate assumes the role over TLS (AWS_CA_BUNDLE), then the AWS CLI it runs uses the same bundle
    rc, out, errout = exec_identity(dict(env, AWS_CA_BUNDLE=pki["root"]))
    assert rc == 0, errout
    assert json.loads(out)["Arn"].startswith(f"arn:aws:sts::{tls_server.account}:assumed-role/{role}/")
    # without the CA (the system's roots only) or with someone else's: refused, nothing cached or run
    for extra in ({}, {"AWS_CA_BUNDLE": pki["other_root"]}):
        shutil_rm(tmp_path / "home" / ".aws" / "cli")
        shutil_rm(tmp_path / "home" / ".cache")
        rc, out, errout = exec_identity(dict(env, **extra))
        assert rc != 0 and "assumed-role" not in out, (out, errout)
        assert "rolegate" in errout and "certificate" in errout.lower(), errout


def test_rolegate_exec_with_ca_bundle_in_the_profile(tls_server, pki, tmp_path):
    env, role = client_home(tmp_path, tls_server, pki, ca_line=f"ca_bundle = {pki['root']}\n")
    # rolegate reads ca_bundle from the profile; the CLI it runs is not told the profile, so it gets --ca-bundle
    rc, out, errout = exec_identity(env, "--ca-bundle", pki["root"])
    assert rc == 0, errout
    assert f"assumed-role/{role}/" in json.loads(out)["Arn"]


def shutil_rm(path):
    import shutil
    shutil.rmtree(path, ignore_errors=True)


# ---- aws-sdk-go-v2 and Terraform, configured as for real AWS ---------------------------------------------------

GO_SRC = rg.REPO / "tests" / "e2e" / "go"


def go_tlsident():
    """build/go/tlsident, built in GOPATH mode against Debian's golang-github-aws-aws-sdk-go-v2-dev."""
    out = rg.REPO / "build" / "go" / "tlsident"
    env = dict(os.environ, GO111MODULE="off", GOPATH=f"/usr/share/gocode:{GO_SRC}",
               GOCACHE=str(rg.REPO / "build" / "go-cache"), GOFLAGS="")
    p = subprocess.run(["go", "build", "-o", str(out), "tlsident"], env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    return out


def test_go_sdk_with_aws_ca_bundle(tls_server, pki):
    binary = go_tlsident()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(RG_ENDPOINT=tls_server.url, AWS_ACCESS_KEY_ID=tls_server.root[0],
               AWS_SECRET_ACCESS_KEY=tls_server.root[1], AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    for ca, ok in ((pki["root"], True), (None, False), (pki["other_root"], False)):
        e = dict(env, AWS_CA_BUNDLE=ca) if ca else env
        p = subprocess.run([str(binary)], env=e, capture_output=True, text=True, timeout=120)
        res = json.loads(p.stdout.strip().splitlines()[-1])
        if ok:
            assert p.returncode == 0 and res["account"] == tls_server.account, p.stdout + p.stderr
        else:
            assert p.returncode == 1 and "certificate" in res["error"], res


TF_IDENT = """terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
provider "aws" {
  region                  = "us-east-1"
  skip_region_validation  = true
  skip_metadata_api_check = true
  endpoints {
    sts = "ENDPOINT"
    iam = "ENDPOINT"
  }
}
data "aws_caller_identity" "me" {}
resource "aws_iam_user" "u" { name = "made-over-tls" }
output "account" { value = data.aws_caller_identity.me.account_id }
output "user_arn" { value = aws_iam_user.u.arn }
"""


def test_terraform_with_ssl_cert_file(tls_server, pki, tmp_path):
    import shutil
    if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
        pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed: Terraform test not run")
    (tmp_path / "cli.tfrc").write_text(rg.TF_CLI_CONFIG)
    (tmp_path / "main.tf").write_text(TF_IDENT.replace("ENDPOINT", tls_server.url))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_", "SSL_CERT"))}
    env.update(TF_CLI_CONFIG_FILE=str(tmp_path / "cli.tfrc"), AWS_ACCESS_KEY_ID=tls_server.root[0],
               AWS_SECRET_ACCESS_KEY=tls_server.root[1], AWS_EC2_METADATA_DISABLED="true", TF_IN_AUTOMATION="1",
               CHECKPOINT_DISABLE="1", HOME=str(tmp_path))

    def tf(*args, **extra):
        p = subprocess.run(["terraform", f"-chdir={tmp_path}", *args, "-no-color"], env=dict(env, **extra),
                           capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout + p.stderr

    rc, out = tf("init", "-input=false")
    assert rc == 0, out
    # (Not trusting the CA is not run here: the provider retries the certificate error for many minutes. The
    # refusal of an untrusting client is covered by boto3, the AWS CLI, aws-sdk-go-v2 and rolegate exec above.)
    rc, out = tf("apply", "-auto-approve", "-input=false", SSL_CERT_FILE=pki["root"])
    assert rc == 0, out
    rc, out = tf("output", "-json")
    outputs = json.loads(out)
    assert outputs["account"]["value"] == tls_server.account
    assert outputs["user_arn"]["value"] == f"arn:aws:iam::{tls_server.account}:user/made-over-tls"
    rc, out = tf("destroy", "-auto-approve", "-input=false", SSL_CERT_FILE=pki["root"])
    assert rc == 0, out


# ---- --example seed under TLS ----------------------------------------------------------------------------------

def test_example_seed_profiles_use_https(server_factory, pki, tmp_path):
    srv = server_factory.start(args=["--tls-cert", pki["chain"], "--tls-key", pki["key"], "--example", "seed"])
    text = srv.stdout()
    assert f"endpoint_url = https://127.0.0.1:{srv.port}\n" in text, text
    assert "endpoint_url = http://" not in text
    assert "ca_bundle = /path/to/ca.pem" in text and "AWS_CA_BUNDLE" in text  # the hint, as comments
    creds = text.split("# ---- ~/.aws/credentials ----\n")[1].split("# ---- ~/.aws/config ----")[0]
    config = text.split("# ---- ~/.aws/config ----\n")[1].split("# ---- MFA")[0]
    for m in re.findall(r"aws_secret_access_key = (\S+)", creds):
        rg.SEEN_SECRETS.add(m)
    (tmp_path / "credentials").write_text(creds)
    (tmp_path / "config").write_text(config)
    env = rg.cli_env(str(tmp_path / "config"), str(tmp_path / "credentials"))
    # the printed profile works as printed, given the CA
    p = subprocess.run([rg.aws_binary(), "--profile", "rolegate-anay", "sts", "get-caller-identity"],
                       env=dict(env, AWS_CA_BUNDLE=pki["root"]), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"].endswith(":user/anay")


# ---- rolegate serve-credentials over TLS -------------------------------------------------------------------------

def serve_identity(env, server):
    """`rolegate serve-credentials target -- aws sts get-caller-identity`: the CLI as the child, on the served
    credentials (it names the endpoint itself: serve-credentials hands it credentials, not a profile)."""
    p = subprocess.run([str(rg.BIN), "serve-credentials", "target", "--", rg.aws_binary(), "--endpoint-url",
                        server.url, "--region", rg.REGION, "sts", "get-caller-identity"],
                       env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def test_serve_credentials_with_aws_ca_bundle(tls_server, pki, tmp_path):
    env, role = client_home(tmp_path, tls_server, pki)
    # rolegate assumes the role over TLS trusting AWS_CA_BUNDLE; the child (which inherits it) uses the credentials
    rc, out, errout = serve_identity(dict(env, AWS_CA_BUNDLE=pki["root"]), tls_server)
    assert rc == 0, errout
    assert json.loads(out)["Arn"].startswith(f"arn:aws:sts::{tls_server.account}:assumed-role/{role}/")
    # without the CA, or with someone else's: the endpoint never starts and the child never runs
    for extra in ({}, {"AWS_CA_BUNDLE": pki["other_root"]}):
        shutil_rm(tmp_path / "home" / ".aws" / "cli")
        shutil_rm(tmp_path / "home" / ".cache")
        rc, out, errout = serve_identity(dict(env, **extra), tls_server)
        assert rc == 1 and "assumed-role" not in out, (rc, out, errout)
        assert "rolegate" in errout and "certificate" in errout.lower(), errout


def test_serve_credentials_with_ca_bundle_in_the_profile(tls_server, pki, tmp_path):
    env, role = client_home(tmp_path, tls_server, pki, ca_line=f"ca_bundle = {pki['root']}\n")
    # the profile's ca_bundle serves rolegate; the child CLI is told the bundle as for any endpoint
    p = subprocess.run([str(rg.BIN), "serve-credentials", "target", "--", rg.aws_binary(), "--endpoint-url",
                        tls_server.url, "--region", rg.REGION, "--ca-bundle", pki["root"], "sts",
                        "get-caller-identity"], env=env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert f"assumed-role/{role}/" in json.loads(p.stdout)["Arn"]
