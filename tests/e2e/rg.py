"""Helpers of the end-to-end tests: starting rolegate, boto3 clients, the aws CLI, raw signed HTTP.

Everything here talks to a real build/asan/rolegate process over TCP; nothing is mocked.
"""
import configparser
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

import pgkit
import signer

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("ROLEGATE_BIN") or REPO / "build" / "asan" / "rolegate")
REGION = "us-east-1"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"
FORM = "application/x-www-form-urlencoded; charset=utf-8"

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Every secret handed out during the session (root secrets, CreateAccessKey secrets): the log and the audit trail
# must never contain any of them.
SEEN_SECRETS = set()


def random_key_id():
    return "AKIA" + "".join(secrets.choice(B32) for _ in range(16))


def random_secret():
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40))


def key_id_for_account(account, prefix="AKIA"):
    """A well-formed access key id embedding `account` the way AWS does (bits 7..46 of the first 6 bytes)."""
    z = (int(account) << 7) | secrets.randbelow(128)
    raw = z.to_bytes(6, "big") + secrets.token_bytes(4)
    raw = bytes([raw[0] & 0x7F]) + raw[1:]
    n = int.from_bytes(raw, "big")
    return prefix + "".join(B32[(n >> (75 - 5 * i)) & 31] for i in range(16))


def unique(prefix="u"):
    return f"{prefix}-{secrets.token_hex(5)}"


# ---- the store: SQLite in the data directory, or PostgreSQL ------------------------------------------------------

# ROLEGATE_TEST_STORE=postgres (or pytest --store postgres, conftest.py): every Server runs with --postgres on a
# database of its own in one PostgreSQL started for the whole pytest session (pgkit), created on first use and
# stopped at exit. The database belongs to the data directory, as DATA/rolegate.db does: a Server started again, or
# a new Server on the same directory, finds what the earlier one wrote.
STORE = os.environ.get("ROLEGATE_TEST_STORE", "sqlite")
_pg = None
_pg_lock = threading.Lock()
_pg_databases = {}  # resolved data directory -> database name


def postgres(log_dir=None):
    """The session's PostgreSQL (pgkit.Postgres), started on first call; stopped by close_postgres() or at exit."""
    global _pg
    with _pg_lock:
        if _pg is None:
            import atexit
            pg = pgkit.Postgres(log_dir, "session")
            atexit.register(pg.close)
            _pg = pg.start()
        return _pg


def close_postgres():
    global _pg
    with _pg_lock:
        pg, _pg = _pg, None
        _pg_databases.clear()
    if pg is not None:
        pg.close()


def database_of(data_dir):
    """The session PostgreSQL's database of data_dir (CREATE DATABASE rg_<n> the first time): its name. A copy of
    a node's directory (shutil.copytree of a stopped server's data, as test_throttle makes) gets a copy of the
    database DATA/postgres names, as a copy of DATA/rolegate.db would be."""
    key = str(Path(data_dir).resolve())
    pg = postgres()
    with _pg_lock:
        name = _pg_databases.get(key)
        if name is None:
            name = _pg_databases[key] = f"rg_{len(_pg_databases) + 1}"
            template = None
            try:
                m = re.search(r"(?:^| )dbname=(rg_\d+)(?: |$)", (Path(data_dir) / "postgres").read_text())
                template = m and m.group(1)
            except OSError:
                pass
            if template in _pg_databases.values():
                pg.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            else:
                pg.create_database(name)
    return name


# ---- the server process ------------------------------------------------------------------------------------------

LISTEN_RE = re.compile(r"listening on (https?)://(?:127\.0\.0\.1|0\.0\.0\.0):(\d+) \(management account (\d{12})")
# --metrics-listen's line, logged just before the listening line
METRICS_RE = re.compile(r"serving metrics on http://([0-9.]+|\[[0-9a-f:]+\]):(\d+)/metrics")


class Server:
    """One rolegate process on 127.0.0.1:<ephemeral>. Each start() gets its own log file in log_dir."""

    def __init__(self, data_dir, log_dir, root=True, args=(), env=None, config=None, store=None):
        self.data_dir = Path(data_dir)
        # store: "sqlite" or "postgres" (default: STORE); with "postgres" start() adds --postgres CONNINFO of the
        # data directory's database in the session PostgreSQL unless args already name a --postgres
        self.store = store or STORE
        self.database = None  # that database's name (postgres() runs it)
        # config: a config file (--config) that names the listen address and data directory instead of the flags
        self.config = config
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # root: True -> a random key pair through the env vars; (id, secret) -> that pair; None -> no env vars
        if root is True:
            root = (random_key_id(), random_secret())
        self.root = root
        if root:
            SEEN_SECRETS.add(root[1])
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.proc = None
        self.port = None
        self.scheme = "http"  # "https" when started with --tls-cert
        self.account = None
        self.metrics_url = None  # http://127.0.0.1:PORT/metrics when started with --metrics-listen
        self.starts = 0
        self.log_path = None
        self.out_path = None
        self.logs = []
        self.outs = []

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        assert self.proc is None, "already running"
        self.starts += 1
        self.log_path = self.log_dir / f"server-{self.starts}.log"
        self.out_path = self.log_dir / f"server-{self.starts}.stdout"
        self.logs.append(self.log_path)
        self.outs.append(self.out_path)
        env = dict(os.environ)
        env.pop("ROLEGATE_ROOT_ACCESS_KEY_ID", None)
        env.pop("ROLEGATE_ROOT_SECRET_ACCESS_KEY", None)
        if self.root:
            env["ROLEGATE_ROOT_ACCESS_KEY_ID"], env["ROLEGATE_ROOT_SECRET_ACCESS_KEY"] = self.root
        env.update(self.extra_env)
        store_args = []
        if self.store == "postgres" and "--postgres" not in self.args:
            self.database = database_of(self.data_dir)
            store_args = ["--postgres", postgres().conninfo(self.database)]
        if self.config:
            cmd = [str(BIN), "server", "--config", str(self.config), *store_args, *self.args]
        else:
            cmd = [str(BIN), "server", "--listen", "127.0.0.1:0", "--data", str(self.data_dir), *store_args,
                   *self.args]
        with open(self.log_path, "wb") as log, open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=log, env=env)
        deadline = time.monotonic() + timeout
        while True:
            m = LISTEN_RE.search(self.log())
            if m:
                self.scheme = m.group(1)
                self.port = int(m.group(2))
                self.account = m.group(3)
                mm = METRICS_RE.search(self.log())
                host = mm and ("127.0.0.1" if mm.group(1) == "0.0.0.0" else mm.group(1))
                self.metrics_url = f"http://{host}:{mm.group(2)}/metrics" if mm else None
                return self
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise RuntimeError(f"rolegate exited with {rc} before listening:\n{self.log()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"rolegate did not listen within {timeout}s:\n{self.log()}")
            time.sleep(0.02)

    def log(self, which=-1):
        try:
            return self.logs[which].read_text(errors="replace")
        except (IndexError, FileNotFoundError):
            return ""

    def all_logs(self):
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def stdout(self, which=-1):
        try:
            return self.outs[which].read_text(errors="replace")
        except (IndexError, FileNotFoundError):
            return ""

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30):
        """SIGTERM, wait; returns the exit status (a signal gives a negative number)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "timeout"
        self.proc = None
        return rc

    def stop_ok(self, timeout=30):
        rc = self.stop(timeout)
        if rc != 0:
            sys.stdout.write(f"\n===== rolegate log ({self.log_path}) =====\n{self.log()}\n")
        assert rc == 0, f"rolegate exited with status {rc} (sanitizer report or unclean stop); log: {self.log_path}"

    def kill(self):
        """SIGKILL, as a crash or a power cut would."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop_ok()
        return self.start()


# ---- boto3 -------------------------------------------------------------------------------------------------------

_session_lock = threading.Lock()
_session = None


class Offset:
    """A clock `offset` seconds from the real one (negative: the past), for signing at an explicit time."""

    def __init__(self, offset):
        self.offset = offset

    def now(self):
        return time.time() + self.offset


def client(server, service, creds=None, token=None, clock=None, **config):
    """A boto3 client of `service` against server, with creds (default: the server's root) and no retries.

    clock (default: server.clock when the server runs on a shifted clock, as seedkit's do): an object whose now()
    gives the signing time; every request is then signed again by tests/e2e/signer.py at that time (botocore's own
    signing clock is never patched)."""
    global _session
    ak, sk = creds or server.root
    cfg = Config(**{"retries": {"max_attempts": 1}, "connect_timeout": 10, "read_timeout": 60, **config})
    with _session_lock:  # creating clients from one session is not thread-safe
        if _session is None:
            _session = boto3.session.Session()
        c = _session.client(service, endpoint_url=server.url, region_name=REGION, aws_access_key_id=ak,
                            aws_secret_access_key=sk, aws_session_token=token, config=cfg)
    clock = clock or getattr(server, "clock", None)
    if clock is not None:
        signer.resign_at(c.meta.events, clock.now, {ak: sk}.__getitem__)
    return c


def presign(server, service, query, when, expires=60, creds=None, token=None, method="GET"):
    """A presigned URL of server with the action's parameters `query` (a dict), signed by tests/e2e/signer.py at
    `when` (seconds since the epoch) for `expires` seconds."""
    ak, sk = creds or server.root
    url = server.url + "/?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
    return signer.presign(method, url, sk, ak, when, service, REGION, expires, token=token)


def err(exc_info):
    """(code, message, http status, request id) of a botocore ClientError caught by pytest.raises."""
    e = exc_info.value.response
    return (e["Error"]["Code"], e["Error"].get("Message"), e["ResponseMetadata"]["HTTPStatusCode"],
            e["ResponseMetadata"].get("RequestId"))


def wait_account_created(org, car_id, timeout=15):
    """The CreateAccountStatus of request car_id once it is no longer IN_PROGRESS (polled, bounded by timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        s = org.describe_create_account_status(CreateAccountRequestId=car_id)["CreateAccountStatus"]
        if s["State"] != "IN_PROGRESS":
            return s
        assert time.monotonic() < deadline, s
        time.sleep(0.2)


def openssl(*args, cwd):
    """Runs the openssl command in cwd (certificates for the TLS tests); fails the test when it fails."""
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


def make_user(iam, name=None, path=None, keys=1):
    """Creates a user (root's iam client) with `keys` access keys; returns (user, [(id, secret), ...])."""
    name = name or unique()
    kw = {"UserName": name}
    if path:
        kw["Path"] = path
    user = iam.create_user(**kw)["User"]
    creds = []
    for _ in range(keys):
        k = iam.create_access_key(UserName=name)["AccessKey"]
        SEEN_SECRETS.add(k["SecretAccessKey"])
        creds.append((k["AccessKeyId"], k["SecretAccessKey"]))
    return user, creds


def admin_creds(server):
    """Access key of an administrator user (AdministratorAccess) of the server's management account, made once per
    server: AWS refuses sts:AssumeRole to root users ("Roles may not be assumed by root accounts.")."""
    cached = getattr(server, "_admin_creds", None)
    if cached:
        return cached
    iam = client(server, "iam")
    _, creds = make_user(iam, unique("admin"))
    user = iam.get_access_key_last_used(AccessKeyId=creds[0][0])["UserName"]
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    server._admin_creds = creds[0]
    return creds[0]


# ---- the aws CLI -------------------------------------------------------------------------------------------------

def aws_binary():
    # The CLI installed next to this python (skips the pyenv shim, whose start-up costs ~0.5 s per call).
    here = Path(sys.executable).parent / "aws"
    if here.exists():
        return str(here)
    found = shutil.which("aws")
    assert found, "the aws CLI is not on PATH"
    return found


def aws_cli(server, *args, creds=None, timeout=120):
    """Runs `aws --endpoint-url URL ARGS` with throwaway config/credentials files; returns (rc, stdout, stderr)."""
    ak, sk = creds or server.root
    tmp = tempfile.mkdtemp(prefix="rg-cli-")
    try:
        cfg, cred = os.path.join(tmp, "config"), os.path.join(tmp, "credentials")
        with open(cfg, "w") as f:
            f.write(f"[default]\nregion = {REGION}\noutput = json\nmax_attempts = 1\nretry_mode = standard\n")
        with open(cred, "w") as f:
            f.write(f"[default]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}\n")
        env = cli_env(cfg, cred)
        p = subprocess.run([aws_binary(), "--endpoint-url", server.url, *args], env=env, capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cli_env(config_file, credentials_file):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=config_file, AWS_SHARED_CREDENTIALS_FILE=credentials_file,
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost")
    return env


def cli_json(result):
    rc, out, errout = result
    assert rc == 0, f"aws exited {rc}: {errout}"
    return json.loads(out) if out.strip() else {}


CLI_ERROR_RE = re.compile(r"An error occurred \((\w+)\) when calling the (\w+) operation"
                          r"(?: \(reached max retries: \d+\))?: (.*)")


def cli_error(result):
    """(code, operation, message) of a failed aws CLI call."""
    rc, out, errout = result
    assert rc != 0, f"aws succeeded: {out}"
    m = CLI_ERROR_RE.search(errout)
    assert m, errout
    return m.group(1), m.group(2), m.group(3).strip()


# ---- raw HTTP ----------------------------------------------------------------------------------------------------

class Raw:
    """A response read with http.client: status, headers (lowercased names), body bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def request_id(self):
        return self.headers.get("x-amzn-requestid")

    def xml(self):
        return ET.fromstring(self.body)

    def error(self):
        """(code, message, type, request id, root tag) of an <ErrorResponse>."""
        root = self.xml()
        ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        q = (lambda n: f"{{{ns}}}{n}") if ns else (lambda n: n)
        assert root.tag == q("ErrorResponse"), self.body
        e = root.find(q("Error"))
        return {
            "code": e.findtext(q("Code")),
            "message": e.findtext(q("Message")),
            "type": e.findtext(q("Type")),
            "request_id": root.findtext(q("RequestId")),
            "ns": ns,
        }

    def __repr__(self):
        return f"<Raw {self.status} {self.body[:300]!r}>"


def sign(server, body=b"", creds=None, service="iam", method="POST", path="/", query="", headers=None, when=None):
    """Returns (url path with query, headers) of a SigV4-signed request, signed by botocore, or at `when` (seconds
    since the epoch) by tests/e2e/signer.py."""
    ak, sk = creds or server.root
    url = server.url + path + (("?" + query) if query else "")
    h = {"Content-Type": FORM} if method == "POST" else {}
    h.update(headers or {})
    if when is not None:
        h.update(signer.sign_headers(method, url, h, body, sk, ak, when, service, REGION))
        return path + (("?" + query) if query else ""), h
    req = AWSRequest(method=method, url=url, data=body, headers=h)
    SigV4Auth(Credentials(ak, sk), service, REGION).add_auth(req)
    prepared = req.prepare()
    return path + (("?" + query) if query else ""), dict(prepared.headers.items())


def send(server, method, target, body=b"", headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return Raw(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def signed(server, body, creds=None, service="iam", method="POST", query="", headers=None, when=None):
    """Signs and sends a request; body is str (sent as UTF-8) or bytes, exactly as given."""
    if isinstance(body, str):
        body = body.encode()
    target, h = sign(server, body, creds=creds, service=service, method=method, query=query, headers=headers,
                     when=when)
    return send(server, method, target, body, h)


def form(**params):
    return urllib.parse.urlencode(params)


def iam_form(action, **params):
    return urllib.parse.urlencode({"Action": action, "Version": IAM_VERSION, **params})


def read_credentials_file(path):
    cp = configparser.ConfigParser()
    cp.read(path)
    return cp["default"]["aws_access_key_id"], cp["default"]["aws_secret_access_key"]


# ---- Terraform -------------------------------------------------------------------------------------------------

def tf_iam_provider(url):
    """The terraform and provider blocks of a configuration whose IAM and STS endpoints are url: the image's
    hashicorp/aws 5.100.0, us-east-1, no metadata API, the account id asked of STS."""
    return f"""terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "5.100.0" }}
  }}
}}
provider "aws" {{
  region                      = "us-east-1"
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false
  endpoints {{
    iam = "{url}"
    sts = "{url}"
  }}
}}
"""


# The image's hashicorp/aws provider, and a CLI configuration (TF_CLI_CONFIG_FILE) that installs it from the
# filesystem mirror: no registry is reachable.
TF_PLUGIN = "/opt/tf-plugins/registry.terraform.io/hashicorp/aws/5.100.0"
TF_CLI_CONFIG = """provider_installation {
  filesystem_mirror {
    path    = "/opt/tf-plugins"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
"""
