"""A test OpenID Connect issuer on loopback (issue 17): its own CA and HTTPS certificate (made with the openssl
command), a discovery document and a JWKS over HTTPS, and GitHub-Actions-shaped ID tokens signed with the openssl
command (RS256, ES256), so that the tests need no optional Python package.

    iss = Issuer(tmp_path)          # started; iss.url is https://127.0.0.1:PORT, iss.thumbprint the CA's SHA-1
    tok = iss.token(sub="repo:acme/infra:ref:refs/heads/main")
    iss.stop()
"""
import base64
import hashlib
import http.server
import json
import os
import ssl
import subprocess
import threading
import time
from pathlib import Path


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _openssl(*args, cwd, stdin=None):
    p = subprocess.run(["openssl", *args], cwd=cwd, input=stdin, capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


def _der_len(data, i):
    n = data[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(data[i + 1:i + 1 + k], "big"), i + 1 + k


def ecdsa_der_to_raw(der, size):
    """ECDSA-Sig-Value (DER SEQUENCE of r, s) -> JOSE's r || s, each `size` bytes."""
    assert der[0] == 0x30
    _, i = _der_len(der, 1)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n, i = _der_len(der, i + 1)
        out += int.from_bytes(der[i:i + n], "big").to_bytes(size, "big")
        i += n
    return out


class Key:
    """A signing key made with the openssl command: RSA 2048 or EC P-256."""

    def __init__(self, workdir, name, kind="RSA", kid=None):
        self.dir = Path(workdir)
        self.kind = kind
        self.kid = kid or name
        self.path = self.dir / f"{name}.key"
        if kind == "RSA":
            _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(self.path),
                     cwd=self.dir)
        else:
            _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(self.path),
                     cwd=self.dir)

    def jwk(self):
        if self.kind == "RSA":
            mod = _openssl("rsa", "-in", str(self.path), "-noout", "-modulus", cwd=self.dir).decode()
            n = bytes.fromhex(mod.strip().split("=", 1)[1])
            return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": b64url(n), "e": "AQAB"}
        spki = _openssl("pkey", "-in", str(self.path), "-pubout", "-outform", "DER", cwd=self.dir)
        point = spki[-65:]
        assert point[0] == 4
        return {"kty": "EC", "kid": self.kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                "x": b64url(point[1:33]), "y": b64url(point[33:])}

    def sign(self, data):
        der = _openssl("dgst", "-sha256", "-sign", str(self.path), cwd=self.dir, stdin=data)
        return der if self.kind == "RSA" else ecdsa_der_to_raw(der, 32)

    def public_pem(self):
        return _openssl("pkey", "-in", str(self.path), "-pubout", cwd=self.dir)


def jwt(header, claims, signer=None, signature=None):
    """A compact JWS: signer(signing_input) -> signature bytes, or an explicit signature (b"" for alg none)."""
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    sig = signer(signing_input.encode()) if signer else (signature or b"")
    return signing_input + "." + b64url(sig)


class Issuer:
    """An OIDC issuer on 127.0.0.1 over HTTPS with a certificate chained to its own CA."""

    def __init__(self, workdir, path="", name="issuer"):
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self._make_certs()
        self.rsa = Key(self.dir, "rsa", "RSA", kid="rsa-1")
        self.ec = Key(self.dir, "ec", "EC", kid="ec-1")
        self.keys = [self.rsa, self.ec]
        self.requests = {"discovery": 0, "jwks": 0}
        self.lock = threading.Lock()
        self.path = path
        self._serve()
        self.url = f"https://127.0.0.1:{self.port}{path}"
        self.host_path = self.url[len("https://"):]

    def _make_certs(self):
        d = str(self.dir)
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                 "-subj", "/CN=rolegate test OIDC CA", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                 "-subj", "/CN=127.0.0.1", cwd=d)
        (self.dir / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                          "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
        (self.dir / "chain.pem").write_bytes((self.dir / "server.pem").read_bytes() + (self.dir / "ca.pem").read_bytes())
        der = _openssl("x509", "-in", "ca.pem", "-outform", "DER", cwd=d)
        self.thumbprint = hashlib.sha1(der).hexdigest()

    def _serve(self):
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path == issuer.path + "/.well-known/openid-configuration":
                    which, body = "discovery", {"issuer": issuer.url, "jwks_uri": issuer.url + "/keys",
                                                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                                                "response_types_supported": ["id_token"],
                                                "subject_types_supported": ["public"]}
                elif self.path == issuer.path + "/keys":
                    which, body = "jwks", {"keys": [k.jwk() for k in issuer.keys]}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                with issuer.lock:
                    issuer.requests[which] += 1
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.dir / "chain.pem"), str(self.dir / "server.key"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def claims(self, **over):
        """GitHub Actions' ID token claims for acme/infra's main branch, valid for 5 minutes."""
        now = int(time.time())
        c = {"iss": self.url, "aud": "sts.amazonaws.com", "sub": "repo:acme/infra:ref:refs/heads/main",
             "repository": "acme/infra", "repository_owner": "acme", "ref": "refs/heads/main",
             "workflow": "deploy", "actor": "anay", "event_name": "push", "jti": os.urandom(8).hex(),
             "iat": now - 5, "nbf": now - 5, "exp": now + 300}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def token(self, key=None, alg=None, kid=None, **claims):
        key = key or self.rsa
        alg = alg or ("RS256" if key.kind == "RSA" else "ES256")
        header = {"alg": alg, "typ": "JWT", "kid": kid or key.kid}
        return jwt(header, self.claims(**claims), key.sign)
