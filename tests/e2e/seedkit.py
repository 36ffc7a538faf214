"""Helpers for tests of `rolegate server --example seed` and of MFA through real clients.

A one-time code is accepted once per device, and a device accepts no code from a time step at or before the last
one it accepted, so a test that assumes roles with MFA many times would have to wait 30 s between codes. Instead
the server (and the aws CLI) run under libfaketime with a clock file this module moves forward: every code is made
for a step of its own, and expiry (ExpiredToken) and lockout periods pass in an instant. boto3 in this process
signs on the same shifted clock without touching botocore's: the server object carries the clock (server.clock), so
rg.client() signs its requests again at clock.now() with tests/e2e/signer.py, and so do the boto3 sessions made here
(Seed.boto3_session, Seed.sign_on_clock).
"""
import base64
import contextlib
import hashlib
import hmac
import os
import re
import struct
import subprocess
import time
from pathlib import Path

import rg
import signer

FAKETIME_LIBS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1")


def faketime_lib():
    for p in FAKETIME_LIBS:
        if os.path.exists(p):
            return p
    raise AssertionError("libfaketime is missing: scripts/install-deps.sh test installs it")


class Clock:
    """The shifted clock: real time + offset seconds, shared by the server and the aws CLI (libfaketime) and the
    requests boto3 sends here (signed at now() by tests/e2e/signer.py)."""

    def __init__(self, directory):
        self.path = Path(directory) / "faketime"
        self.offset = 0
        self._write()

    def _write(self):
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{self.offset:+d}\n")
        os.replace(tmp, self.path)

    def close(self):
        """Nothing outside the clock file was changed: kept so that callers need not know."""

    def env(self):
        """Environment of a process that should run on this clock."""
        return {"LD_PRELOAD": faketime_lib(), "FAKETIME_TIMESTAMP_FILE": str(self.path), "FAKETIME_NO_CACHE": "1",
                "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}

    def now(self):
        return time.time() + self.offset

    def set(self, offset):
        """Puts the clock at real time + offset (may be negative: the past)."""
        self.offset = int(offset)
        self._write()

    def advance(self, seconds):
        self.offset += int(seconds + 0.999)
        self._write()


def totp(secret_b32, when):
    """The RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32 seed at Unix time `when`."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(when // 30)), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


class Seed:
    """What `rolegate server --example seed` printed: accounts, people's keys, MFA serials and seeds, profiles."""

    def __init__(self, server, clock, home):
        self.server = server
        self.clock = clock
        text = server.stdout()
        self.text = text
        self.accounts = dict(re.findall(r"^#   (Ops|Dev|Stage|Prod)\s+(\d{12})", text, re.M))
        self.keys = {m[0]: (m[1], m[2]) for m in re.findall(
            r"^\[rolegate-(\w+)\]\naws_access_key_id = (\S+)\naws_secret_access_key = (\S+)", text, re.M)}
        self.seeds = dict(re.findall(r"^# (\w+): otpauth://totp/\S*\?secret=([A-Z2-7]+)&issuer=rolegate", text, re.M))
        self.last_step = {}
        self.serials = {p: f"arn:aws:iam::{self.accounts['Ops']}:mfa/{p}" for p in self.keys}
        for name in self.keys:
            rg.SEEN_SECRETS.add(self.keys[name][1])
        credentials = text.split("# ---- ~/.aws/credentials ----\n")[1].split("# ---- ~/.aws/config ----")[0]
        config = text.split("# ---- ~/.aws/config ----\n")[1].split("# ---- MFA")[0]
        self.home = Path(home)
        (self.home / ".aws").mkdir(parents=True, exist_ok=True)
        (self.home / ".aws" / "credentials").write_text(credentials)
        (self.home / ".aws" / "config").write_text(config)

    def code(self, person):
        """A fresh code of person's device, from a time step later than any code used before: when the current step
        has had its code, the clock moves on to the start of the next one."""
        now = self.clock.now()
        step = max(int(now // 30), self.last_step.get(person, -1) + 1)
        if step * 30 > now:
            self.clock.advance(step * 30 - now + 1)
        self.last_step[person] = step
        return totp(self.seeds[person], step * 30 + 1)

    def role_arn(self, env, role="admin"):
        return f"arn:aws:iam::{self.accounts[env]}:role/{role}"

    def cli_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(self.home), AWS_CONFIG_FILE=str(self.home / ".aws" / "config"),
                   AWS_SHARED_CREDENTIALS_FILE=str(self.home / ".aws" / "credentials"),
                   AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="", NO_PROXY="127.0.0.1,localhost",
                   no_proxy="127.0.0.1,localhost", AWS_MAX_ATTEMPTS="1")
        env.update(self.clock.env())
        env.pop("ASAN_OPTIONS", None)
        return env

    def broker_env(self, **extra):
        """cli_env for the rolegate broker verbs: its session cache in the test's home, sealed under a key file
        there (no kernel keyring shared between tests), plus extra."""
        env = self.cli_env()
        env.update(self.clock.env())  # rolegate runs on the fake clock: its ASAN_OPTIONS too, which cli_env drops
        env.update(ROLEGATE_NO_KEYRING="1", XDG_CACHE_HOME=str(self.home / ".cache"))
        env.update(extra)
        return env

    def cli(self, *args, code=None, extra_env=None, timeout=120):
        """Runs `aws ARGS` with the seed's ~/.aws files on the shifted clock, in a pseudo-terminal so that the CLI
        asks for an MFA code as it asks a person; `code` is typed at the prompt. (rc, output, prompted)."""
        rc, out, prompts = pty_run([rg.aws_binary(), *args], dict(self.cli_env(), **(extra_env or {})),
                                   [code or ""], timeout=timeout)
        return rc, out, prompts > 0

    def boto3_session(self, profile, code_for=None):
        """A boto3 session of a seed profile whose MFA prompt is answered with a fresh code of person code_for."""
        import boto3
        import botocore.session

        core = botocore.session.Session(profile=profile)
        core.set_config_variable("config_file", str(self.home / ".aws" / "config"))
        core.set_config_variable("credentials_file", str(self.home / ".aws" / "credentials"))
        # botocore's own assume-role provider, made with a prompter that answers (its public constructor), ahead of
        # the one botocore made (which asks the terminal): no attribute of botocore's is changed
        from botocore.credentials import AssumeRoleProvider
        answering = AssumeRoleProvider(load_config=lambda: core.full_config, client_creator=core.create_client,
                                       cache={}, profile_name=profile, prompter=lambda prompt: self.code(code_for))
        core.get_component("credential_provider").insert_before("assume-role", answering)
        self.sign_on_clock(core)
        return boto3.Session(botocore_session=core)

    def sign_on_clock(self, core):
        """Makes every client of the botocore session `core` (made after this call) sign at this seed's clock: its
        requests are signed again by tests/e2e/signer.py at clock.now(). The secrets are the seed's keys, the
        credentials the session's own STS calls receive, and the session's resolved credentials."""
        secrets = {ak: sk for ak, sk in self.keys.values()}

        def remember(parsed=None, **_):
            c = parsed.get("Credentials") if isinstance(parsed, dict) else None
            if isinstance(c, dict) and "AccessKeyId" in c:
                secrets[c["AccessKeyId"]] = c["SecretAccessKey"]

        def secret_of(akid):
            if akid not in secrets:
                frozen = core.get_credentials().get_frozen_credentials()
                secrets[frozen.access_key] = frozen.secret_key
            return secrets[akid]

        core.register("after-call.sts", remember)
        signer.resign_at(core, self.clock.now, secret_of)


def pty_run(argv, env, answers, timeout=120, prompt=b"Enter MFA code for "):
    """Runs argv in a pseudo-terminal (its controlling terminal, so /dev/tty is the pty) and types answers[i] at
    the i-th prompt (nothing once they run out: the process then reads EOF). (rc, output, prompts seen)."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out, prompts, deadline = b"", 0, time.monotonic() + timeout
    try:
        while True:
            r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                os.kill(pid, 9)
                break
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the process has exited
                break
            if not chunk:
                break
            out += chunk
            while out.count(prompt) > prompts:
                if prompts < len(answers):
                    os.write(fd, (answers[prompts] + "\n").encode())
                else:
                    os.write(fd, b"\x04")  # ^D: end of input
                prompts += 1
    finally:
        os.close(fd)
    status = os.waitpid(pid, 0)[1]
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace").replace("\r\n", "\n"), prompts


def run_go(args, env=None, timeout=300):
    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


@contextlib.contextmanager
def seeded(tmp):
    """A server started with `--example seed` on a libfaketime clock, in directory tmp: yields its Seed; stops the
    server (its exit status checked, as conftest's Factory does) and the clock after."""
    from conftest import Factory

    clock = Clock(tmp)
    f = Factory(tmp)
    try:
        srv = f.start(args=["--example", "seed"], env=clock.env())
        srv.clock = clock  # rg.client() signs on it
        yield Seed(srv, clock, tmp / "home")
    finally:
        f.finish()
        clock.close()
