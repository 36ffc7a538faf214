"""The engineer's side: rolegate's client verbs against a rolegate server started with `--example seed`.

Every verb runs as a person would run it: the seed's ~/.aws files in a temporary HOME, the MFA prompt answered
through a pseudo-terminal, the AWS CLI (pip's, 1.x) beside it sharing ~/.aws/cli/cache. The server, rolegate and the
CLI share seedkit's libfaketime clock so that each MFA code has a time step of its own and sessions can be made to
expire without waiting.
"""
import calendar
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import rg
import seedkit

BIN = str(rg.BIN)
SESSION_FILES = re.compile(r"^[0-9a-f]{40}\.json$")


@pytest.fixture()
def seed(tmp_path):
    """A seeded server of the test's own: MFA devices accept each time step once, so tests must not share one."""
    with seedkit.seeded(tmp_path) as s:
        yield s


def env_of(seed, **extra):
    return seed.broker_env(**extra)


def rolegate(seed, *args, env=None, timeout=120, stdin=subprocess.DEVNULL):
    """Runs a verb without a terminal (start_new_session: no /dev/tty, so an MFA prompt cannot happen)."""
    p = subprocess.run([BIN, *args], env=env or env_of(seed), capture_output=True, text=True, timeout=timeout,
                       stdin=stdin, start_new_session=True)
    return p.returncode, p.stdout, p.stderr


def rolegate_tty(seed, *args, codes=(), env=None, timeout=120):
    """Runs a verb in a pseudo-terminal, typing codes at its MFA prompts. (rc, output, prompts)."""
    return seedkit.pty_run([BIN, *args], env or env_of(seed), list(codes), timeout=timeout)


def identity(out):
    return json.loads(out[out.index("{"):out.rindex("}") + 1])


def aws_cache(seed):
    d = seed.home / ".aws" / "cli" / "cache"
    return sorted(p for p in d.iterdir() if SESSION_FILES.match(p.name)) if d.is_dir() else []


def mfa_cache(seed):
    d = seed.home / ".cache" / "rolegate"
    return sorted(p.name for p in d.iterdir() if p.name.startswith("mfa-")) if d.is_dir() else []


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def who(seed, env, role="admin", session="anay"):
    return f"arn:aws:sts::{seed.accounts[env]}:assumed-role/{role}/{session}"


# ---- exec, env, whoami: one prompt, three accounts ----------------------------------------------------------------

def test_one_mfa_prompt_then_three_accounts(seed):
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", rg.aws_binary(), "sts", "get-caller-identity",
                                    codes=[seed.code("anay")])
    assert rc == 0 and prompts == 1, out
    assert f"Enter MFA code for {seed.serials['anay']}: " in out
    assert identity(out)["Arn"] == who(seed, "Dev")
    # No terminal from here on: a second prompt would fail these.
    rc, out, err = rolegate(seed, "whoami", "anay-stage")
    assert rc == 0, err
    assert identity(out) == {"UserId": identity(out)["UserId"], "Account": seed.accounts["Stage"],
                             "Arn": who(seed, "Stage")}
    rc, out, err = rolegate(seed, "exec", "anay-prod", "--", rg.aws_binary(), "sts", "get-caller-identity")
    assert rc == 0, err
    assert identity(out)["Arn"] == who(seed, "Prod")
    # one MFA session (sealed), three role sessions in the AWS CLI's cache, all 0600
    assert len(mfa_cache(seed)) == 1
    files = aws_cache(seed)
    assert len(files) == 3
    for f in files:
        assert f.stat().st_mode & 0o777 == 0o600
    assert (seed.home / ".aws" / "cli" / "cache").stat().st_mode & 0o777 == 0o700
    sealed = (seed.home / ".cache" / "rolegate" / mfa_cache(seed)[0]).read_bytes()
    assert b"ASIA" not in sealed and b"RGT" not in sealed  # not readable without the key


def test_exec_environment_and_exit_status(seed):
    env = env_of(seed, AWS_PROFILE="rolegate-abhi", AWS_DEFAULT_PROFILE="rolegate-abhi", AWS_SECURITY_TOKEN="old")
    rc, out, _ = rolegate_tty(seed, "exec", "--mfa-code", seed.code("anay"), "anay-dev", "--", "/usr/bin/env",
                              env=env)
    assert rc == 0, out
    got = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert got["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert len(got["AWS_SECRET_ACCESS_KEY"]) == 40 and got["AWS_SESSION_TOKEN"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", got["AWS_CREDENTIAL_EXPIRATION"])
    assert got["AWS_REGION"] == got["AWS_DEFAULT_REGION"] == "us-east-1"
    assert got["AWS_ENDPOINT_URL"] == seed.server.url
    assert got["ROLEGATE_PROFILE"] == "anay-dev"
    for gone in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"):
        assert gone not in got
    # the exit status passes through; a missing command is 127
    rc, _, _ = rolegate(seed, "exec", "anay-dev", "--", "sh", "-c", "exit 7")
    assert rc == 7
    rc, _, err = rolegate(seed, "exec", "anay-dev", "--", "no-such-command-here")
    assert rc == 127 and "no-such-command-here" in err
    # without a command: $SHELL
    p = subprocess.run([BIN, "exec", "anay-dev"], env=dict(env_of(seed), SHELL="/bin/sh"), input="echo $ROLEGATE_PROFILE\n",
                       capture_output=True, text=True, timeout=60, start_new_session=True)
    assert p.returncode == 0 and p.stdout.strip() == "anay-dev", p.stderr


def test_env_formats(seed):
    code = seed.code("anay")
    rc, out, err = rolegate(seed, "env", "--mfa-code", code, "anay-dev", "--format", "json")
    assert rc == 0, err
    j = json.loads(out)
    assert j["AWS_ACCESS_KEY_ID"].startswith("ASIA") and "AWS_PROFILE" not in j
    # sh: eval'd by a shell, the AWS CLI is anay in Dev
    rc, out, err = rolegate(seed, "env", "anay-dev")
    assert rc == 0, err
    assert "unset AWS_PROFILE\n" in out and f"export AWS_ACCESS_KEY_ID='{j['AWS_ACCESS_KEY_ID']}'\n" in out
    p = subprocess.run(["sh", "-c", out + f"\nexec {rg.aws_binary()} sts get-caller-identity"],
                       env=dict(seed.cli_env(), AWS_PROFILE="rolegate-abhi"), capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert identity(p.stdout)["Arn"] == who(seed, "Dev")
    rc, out, _ = rolegate(seed, "env", "anay-dev", "--format", "fish")
    assert rc == 0
    assert f"set -gx AWS_ACCESS_KEY_ID '{j['AWS_ACCESS_KEY_ID']}'\n" in out and "set -e AWS_PROFILE\n" in out
    if shutil.which("fish"):
        p = subprocess.run(["fish", "-c", out + "\necho $AWS_ACCESS_KEY_ID $AWS_REGION"], capture_output=True,
                           text=True, timeout=60)
        assert p.stdout.split() == [j["AWS_ACCESS_KEY_ID"], "us-east-1"], p.stderr
    rc, _, err = rolegate(seed, "env", "anay-dev", "--format", "yaml")
    assert rc == 2 and "--format" in err


# ---- credential_process and the AWS CLI's cache -------------------------------------------------------------------

def test_aws_cli_with_credential_process(seed):
    config = seed.home / ".aws" / "config"
    config.write_text(config.read_text() + f"""
[profile tf-dev]
credential_process = {BIN} credential-process anay-dev
region = us-east-1
endpoint_url = {seed.server.url}
""")
    rc, out, err = rolegate(seed, "credential-process", "--mfa-code", seed.code("anay"), "anay-dev")
    assert rc == 0, err
    j = json.loads(out)
    assert set(j) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert j["Version"] == 1 and j["AccessKeyId"].startswith("ASIA")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", j["Expiration"])
    # the AWS CLI runs it (no terminal needed: the session is cached) and is anay in Dev
    env = dict(seed.cli_env(), **seed.clock.env())
    p = subprocess.run([rg.aws_binary(), "--profile", "tf-dev", "sts", "get-caller-identity"], env=env,
                       capture_output=True, text=True, timeout=120, start_new_session=True)
    assert p.returncode == 0, p.stderr
    assert identity(p.stdout)["Arn"] == who(seed, "Dev")
    # and boto3 too
    import botocore.session
    core = botocore.session.Session(profile="tf-dev")
    core.set_config_variable("config_file", str(config))
    core.set_config_variable("credentials_file", str(seed.home / ".aws" / "credentials"))
    seed.sign_on_clock(core)
    old = os.environ.copy()
    os.environ.update(seed.clock.env())
    os.environ.update(HOME=str(seed.home), ROLEGATE_NO_KEYRING="1", XDG_CACHE_HOME=str(seed.home / ".cache"),
                      AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(seed.home / ".aws" / "credentials"))
    try:
        import boto3
        sts = boto3.Session(botocore_session=core).client("sts", endpoint_url=seed.server.url)
        assert sts.get_caller_identity()["Arn"] == who(seed, "Dev")
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_cache_shared_with_the_aws_cli_both_ways(seed):
    # The CLI assumes anay-stage (asking for a code) and caches it; rolegate uses that session, asking nothing.
    rc, out, prompted = seed.cli("--profile", "anay-stage", "sts", "get-caller-identity", code=seed.code("anay"))
    assert rc == 0 and prompted, out
    [cli_file] = aws_cache(seed)
    cli_key = json.loads(cli_file.read_text())["Credentials"]["AccessKeyId"]
    rc, out, err = rolegate(seed, "exec", "anay-stage", "--", "sh", "-c", "echo $AWS_ACCESS_KEY_ID")
    assert rc == 0, err
    assert out.strip() == cli_key
    assert mfa_cache(seed) == []  # nothing was asked of STS
    # rolegate assumes anay-prod; the CLI then uses rolegate's session without a prompt
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-prod", "--", "true", codes=[seed.code("anay")])
    assert rc == 0 and prompts == 1, out
    rc, out, prompted = seed.cli("--profile", "anay-prod", "sts", "get-caller-identity")
    assert rc == 0 and not prompted, out
    assert identity(out)["Arn"] == who(seed, "Prod")
    assert len(aws_cache(seed)) == 2


def test_corrupted_foreign_and_unreadable_cache_files_are_misses(seed):
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=[seed.code("anay")])
    assert rc == 0, out
    [f] = aws_cache(seed)
    good_key = json.loads(f.read_text())["Credentials"]["AccessKeyId"]
    rolegate(seed, "clear")
    for bad in (b"{not json", b"\x00\xff" * 50, json.dumps({"Credentials": {"AccessKeyId": 5}}).encode(),
                json.dumps({"Credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": "s", "SessionToken": "t",
                                            "Expiration": "2001-01-01T00:00:00Z"}}).encode()):
        f.write_bytes(bad)
        rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", "sh", "-c", "echo KEY=$AWS_ACCESS_KEY_ID",
                                        codes=[seed.code("anay")])
        assert rc == 0 and prompts == 1, out
        key = re.search(r"KEY=(\S+)", out).group(1)
        assert key.startswith("ASIA") and key != good_key
        assert json.loads(f.read_text())["Credentials"]["AccessKeyId"] == key  # rewritten
        rolegate(seed, "clear")
    # a cache entry that cannot be read at all (a directory in its place) is a miss too, and not overwritten
    f.unlink(missing_ok=True)
    f.mkdir()
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=[seed.code("anay")])
    assert rc == 0 and prompts == 1, out
    assert "warning" in out and f.is_dir()
    # a sealed MFA session that was tampered with is ignored: the next run asks again
    f.rmdir()
    rolegate(seed, "clear", "anay-dev")
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=[seed.code("anay")])
    assert rc == 0 and prompts == 1, out
    [mfa] = mfa_cache(seed)
    sealed = seed.home / ".cache" / "rolegate" / mfa
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 1
    sealed.write_bytes(bytes(data))
    aws_cache(seed)[0].unlink()
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=[seed.code("anay")])
    assert rc == 0 and prompts == 1, out
    rc, out, _ = rolegate(seed, "clear", "anay-dev")
    assert out == "Cleared 2 sessions.\n"
    assert aws_cache(seed) == [] and mfa_cache(seed) == []


# ---- MFA ---------------------------------------------------------------------------------------------------------

def test_wrong_code_reprompts_at_most_three_times(seed):
    good = seed.code("anay")
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=["000000", "12345", "111111", good])
    # "12345" is not six digits: the prompt asks again locally; the two wrong codes are refused by the server
    assert rc == 0, out
    assert prompts == 4
    assert out.count("The MFA code was not accepted: MultiFactorAuthentication failed with invalid MFA one time "
                     "pass code.") == 2
    rolegate(seed, "clear")
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=["000000", "111111", "222222"])
    assert rc == 1 and prompts == 3, out
    assert "profile anay-dev: GetSessionToken (MFA " in out and "AccessDenied: MultiFactorAuthentication failed" in out
    assert aws_cache(seed) == [] and mfa_cache(seed) == []  # nothing half-written
    # --mfa-code is not asked again
    rc, out, err = rolegate(seed, "exec", "--mfa-code", "000000", "anay-dev", "--", "true")
    assert rc == 1 and "invalid MFA one time pass code" in err
    # mfa_process: a command that prints the code
    code_file = seed.home / "code"
    code_file.write_text(seed.code("anay") + "\n")
    config = seed.home / ".aws" / "config"
    config.write_text(config.read_text().replace("[profile anay-dev]\n",
                                                 f"[profile anay-dev]\nmfa_process = cat {code_file}\n"))
    rc, out, err = rolegate(seed, "whoami", "anay-dev")
    assert rc == 0, err
    assert identity(out)["Arn"] == who(seed, "Dev")


def test_no_terminal_no_code_is_a_clear_error(seed):
    rc, out, err = rolegate(seed, "exec", "anay-dev", "--", "true")
    assert rc == 1
    assert f"an MFA code is needed for {seed.serials['anay']} and there is no terminal" in err
    assert aws_cache(seed) == [] and mfa_cache(seed) == []


def test_abhi_refused_stage_with_awss_message(seed):
    config = seed.home / ".aws" / "config"
    config.write_text(config.read_text() + f"""
[profile abhi-stage]
role_arn = {seed.role_arn('Stage')}
source_profile = rolegate-abhi
mfa_serial = {seed.serials['abhi']}
role_session_name = abhi
endpoint_url = {seed.server.url}
""")
    rc, out, err = rolegate(seed, "whoami", "--mfa-code", seed.code("abhi"), "abhi-stage")
    assert rc == 1
    assert (f"rolegate: profile abhi-stage: AssumeRole {seed.role_arn('Stage')}: AccessDenied: User: "
            f"arn:aws:sts::{seed.accounts['Ops']}:federated-user" in err or
            f"rolegate: profile abhi-stage: AssumeRole {seed.role_arn('Stage')}: AccessDenied: User: " in err), err
    assert f"is not authorized to perform: sts:AssumeRole on resource: {seed.role_arn('Stage')}" in err
    rc, out, err = rolegate(seed, "whoami", "abhi-dev")  # the MFA session made above still serves Dev
    assert rc == 0, err
    assert identity(out)["Arn"] == who(seed, "Dev", session="abhi")


def test_direct_mode_and_sessions_longer_than_an_hour(seed):
    # A Dev role whose sessions may last 12 hours, trusting Ops with MFA, made by anay as Dev's admin.
    rc, out, err = rolegate(seed, "env", "--mfa-code", seed.code("anay"), "anay-dev", "--format", "json")
    assert rc == 0, err
    j = json.loads(out)
    iam = rg.client(seed.server, "iam", (j["AWS_ACCESS_KEY_ID"], j["AWS_SECRET_ACCESS_KEY"]),
                    token=j["AWS_SESSION_TOKEN"])
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{seed.accounts['Ops']}:root"},
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    iam.create_role(RoleName="long", AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=43200)
    long_arn = f"arn:aws:iam::{seed.accounts['Dev']}:role/long"
    rg.client(seed.server, "iam").put_user_policy(UserName="anay", PolicyName="long", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": long_arn}]}))
    # AWS caps a role assumed with an MFA session (GetSessionToken) at one hour, as role chaining
    sess = rg.client(seed.server, "sts", seed.keys["anay"]).get_session_token(
        SerialNumber=seed.serials["anay"], TokenCode=seed.code("anay"))["Credentials"]
    with pytest.raises(ClientError) as ei:
        rg.client(seed.server, "sts", (sess["AccessKeyId"], sess["SecretAccessKey"]),
                  token=sess["SessionToken"]).assume_role(RoleArn=long_arn, RoleSessionName="xx",
                                                          DurationSeconds=7200)
    assert rg.err(ei)[:2] == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for "
                                                 "roles assumed by role chaining.")
    config = seed.home / ".aws" / "config"
    config.write_text(config.read_text() + f"""
[profile anay-long]
role_arn = {long_arn}
source_profile = rolegate-anay
mfa_serial = {seed.serials['anay']}
duration_seconds = 43200
endpoint_url = {seed.server.url}
""")
    rolegate(seed, "clear")
    # a 12-hour session: rolegate goes direct by itself (one code, no MFA session made)
    code = seed.code("anay")
    t0 = seed.clock.now()
    rc, out, err = rolegate(seed, "credential-process", "--mfa-code", code, "anay-long")
    assert rc == 0, err
    left = epoch(json.loads(out)["Expiration"]) - t0
    assert 43200 - 120 < left <= 43200 + 5
    assert mfa_cache(seed) == []
    # --direct for an ordinary profile: AssumeRole with SerialNumber/TokenCode, still no MFA session
    rc, out, err = rolegate(seed, "whoami", "--direct", "--mfa-code", seed.code("anay"), "anay-prod")
    assert rc == 0, err
    assert identity(out)["Arn"] == who(seed, "Prod") and mfa_cache(seed) == []
    # --duration changes the session asked for (and so its cache entry, as it would for the CLI)
    rc, out, err = rolegate(seed, "credential-process", "--direct", "--duration", "900", "--mfa-code",
                            seed.code("anay"), "anay-prod")
    assert rc == 0, err
    left = epoch(json.loads(out)["Expiration"]) - seed.clock.now()
    assert 800 < left <= 905


# ---- list, clear -------------------------------------------------------------------------------------------------

def test_list_and_clear(seed):
    rc, out, _ = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=[seed.code("anay")])
    assert rc == 0
    rc, out, err = rolegate(seed, "list")
    assert rc == 0, err
    block = out.split("anay-dev\n", 1)[1].split("\nanay-dev-readonly\n", 1)[0]
    assert "chain:   anay-dev -> rolegate-anay (static keys, " in block
    assert re.search(rf"session: {re.escape(who(seed, 'Dev'))} until \S+Z \((59|60) min left\)", block), block
    assert re.search(rf"mfa:     {re.escape(seed.serials['anay'])}, session until \S+Z", block), block
    assert "session: none cached" in out.split("anay-prod\n", 1)[1]
    assert f"mfa:     {seed.serials['abhi']}, no session cached" in out
    rc, out, _ = rolegate(seed, "clear", "anay-dev")
    assert rc == 0 and out == "Cleared 2 sessions.\n"
    assert aws_cache(seed) == [] and mfa_cache(seed) == []
    rc, out, _ = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=[seed.code("anay")])
    rc, out, _ = rolegate(seed, "clear")
    assert rc == 0 and out == "Cleared 2 sessions.\n"
    assert not (seed.home / ".cache" / "rolegate" / "key").exists()
    rc, _, err = rolegate(seed, "clear", "nope")
    assert rc == 1 and "nope" in err


# ---- serve-credentials --------------------------------------------------------------------------------------------

def served(uri, token):
    req = urllib.request.Request(uri, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_serve_credentials_to_the_aws_cli(seed):
    script = ("set -e; " + rg.aws_binary() + " sts get-caller-identity; "
              "python3 -c 'import os,json,urllib.request as u; "
              "r=u.urlopen(u.Request(os.environ[\"AWS_CONTAINER_CREDENTIALS_FULL_URI\"], headers={\"Authorization\": "
              "os.environ[\"AWS_CONTAINER_AUTHORIZATION_TOKEN\"]})); print(\"SERVED\", json.loads(r.read())[\"AccessKeyId\"])'; "
              "echo PROFILE=${AWS_PROFILE-unset} KEY=${AWS_ACCESS_KEY_ID-unset}")
    env = env_of(seed, AWS_PROFILE="rolegate-abhi", AWS_ACCESS_KEY_ID="AKIAFROMTHESHELL")
    rc, out, prompts = rolegate_tty(seed, "serve-credentials", "anay-dev", "--", "sh", "-c", script,
                                    codes=[seed.code("anay")], env=env)
    assert rc == 0 and prompts == 1, out
    assert identity(out)["Arn"] == who(seed, "Dev")
    assert re.search(r"SERVED ASIA\w+", out) and "PROFILE=unset KEY=unset" in out
    rc, _, _ = rolegate(seed, "serve-credentials", "anay-dev", "--", "sh", "-c", "exit 3")
    assert rc == 3


def test_serve_credentials_renews_before_expiry(seed):
    """A role whose sessions last 15 minutes: the endpoint hands out a new session once the held one has less than
    a third of its life left, and the old one then expires at the server while the new one works."""
    config = seed.home / ".aws" / "config"
    config.write_text(config.read_text().replace("[profile anay-dev]\n", "[profile anay-dev]\nduration_seconds = 900\n"))
    p = subprocess.Popen([BIN, "serve-credentials", "--mfa-code", seed.code("anay"), "anay-dev"],
                         env=env_of(seed), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        uri = re.match(r"export AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)", p.stdout.readline()).group(1)
        token = re.match(r"export AWS_CONTAINER_AUTHORIZATION_TOKEN=(\S+)", p.stdout.readline()).group(1)
        assert uri.startswith("http://127.0.0.1:")
        # refusals: no token, a wrong token, another path
        assert served(uri, None)[0] == 403
        assert served(uri, token[:-1] + ("A" if token[-1] != "A" else "B"))[0] == 403
        assert served(uri + "other", token)[0] == 404
        status, first = served(uri, token)
        assert status == 200 and set(first) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
        assert served(uri, token)[1]["AccessKeyId"] == first["AccessKeyId"]  # not renewed while fresh
        seed.clock.advance(11 * 60)  # 4 minutes left: within the renewal window (300 s of 900)
        status, second = served(uri, token)
        assert status == 200 and second["AccessKeyId"] != first["AccessKeyId"]
        assert second["Expiration"] > first["Expiration"]
        seed.clock.advance(5 * 60)  # the first session has expired; the second has not
        for c, ok in ((first, False), (second, True)):
            sts = rg.client(seed.server, "sts", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["Token"])
            if ok:
                assert sts.get_caller_identity()["Arn"] == who(seed, "Dev")
            else:
                with pytest.raises(ClientError) as ei:
                    sts.get_caller_identity()
                assert rg.err(ei)[0] == "ExpiredToken"
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 0, p.stderr.read()
    assert "AddressSanitizer" not in p.stderr.read()


# ---- bad input ---------------------------------------------------------------------------------------------------

def test_bad_configuration_is_reported_with_file_and_line(seed):
    config = seed.home / ".aws" / "config"
    good = config.read_text()
    config.write_text(good + "\n[profile broken]\nthis line has no delimiter\n")
    n = (good + "\n[profile broken]\n").count("\n") + 1
    rc, _, err = rolegate(seed, "exec", "anay-dev", "--", "true")
    assert rc == 1 and f"Unable to parse config file: {config}, line {n}" in err, err
    assert "no delimiter" not in err  # the offending text is not echoed (it might be a secret)
    for verb in ("list", "clear"):
        rc, _, err = rolegate(seed, verb)
        assert rc == 1 and f"rolegate: Unable to parse config file: {config}, line {n}" in err, (verb, err)
    config.write_text(good + "\n[profile orphan]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
                             "source_profile = missing\n"
                             "\n[profile a]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = b\n"
                             "\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = a\n")
    rc, _, err = rolegate(seed, "exec", "orphan", "--", "true")
    assert rc == 1 and "missing" in err, err
    rc, _, err = rolegate(seed, "whoami", "a")
    assert rc == 1 and "a -> b -> a" in err, err
    rc, _, err = rolegate(seed, "exec", "no-such-profile", "--", "true")
    assert rc == 1 and "no-such-profile" in err
    rc, _, err = rolegate(seed, "exec")
    assert rc == 2 and "PROFILE" in err
    rc, _, err = rolegate(seed, "exec", "--bogus", "anay-dev")
    assert rc == 2 and "--bogus" in err
    rc, out, _ = rolegate(seed, "exec", "--help")
    assert rc == 0 and out.startswith("usage: rolegate exec")


def test_server_down_is_a_clear_error_and_writes_nothing(seed):
    seed.server.stop()
    rc, out, prompts = rolegate_tty(seed, "exec", "anay-dev", "--", "true", codes=[seed.code("anay")])
    assert rc == 1, out
    assert "profile anay-dev: GetSessionToken" in out and ("Connection refused" in out or "connect" in out.lower())
    assert aws_cache(seed) == [] and mfa_cache(seed) == []
    assert "AddressSanitizer" not in out
    seed.server.start()


# ---- login -------------------------------------------------------------------------------------------------------

def test_login_builds_the_console_sign_in_url(seed):
    """AWS's federation endpoint is not reachable here: a stand-in checks the session it is given against rolegate
    (GetCallerIdentity with those credentials, as AWS validates them) and answers a sign-in token."""
    import http.server
    import threading
    import urllib.parse

    seen = []

    class Federation(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            session = json.loads(q["Session"][0])
            seen.append((q["Action"][0], session))
            sts = rg.client(seed.server, "sts", (session["sessionId"], session["sessionKey"]),
                            token=session["sessionToken"])
            arn = sts.get_caller_identity()["Arn"]
            body = json.dumps({"SigninToken": "token+for/" + arn}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Federation)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    fed = f"http://127.0.0.1:{httpd.server_address[1]}/federation"
    try:
        rc, out, err = rolegate(seed, "login", "--print", "--mfa-code", seed.code("anay"), "anay-prod",
                                env=env_of(seed, ROLEGATE_FEDERATION_ENDPOINT=fed))
        assert rc == 0, err
        [(action, session)] = seen
        assert action == "getSigninToken" and session["sessionId"].startswith("ASIA")
        url = urllib.parse.urlparse(out.strip())
        q = urllib.parse.parse_qs(url.query)
        assert f"{url.scheme}://{url.netloc}{url.path}" == fed
        assert q["Action"] == ["login"] and q["Issuer"] == ["rolegate"]
        # the profile has endpoint_url: the destination is that server's console, whichever endpoint gave the token
        assert q["Destination"] == [seed.server.url + "/console/"]
        assert q["SigninToken"] == ["token+for/" + who(seed, "Prod")]
        # refusal: long-term keys cannot sign in
        rc, _, err = rolegate(seed, "login", "--print", "rolegate-anay",
                              env=env_of(seed, ROLEGATE_FEDERATION_ENDPOINT=fed))
        assert rc == 1 and "does not assume a role" in err
        assert len(seen) == 1
    finally:
        httpd.shutdown()


def test_environment_source_and_keyring(seed):
    """credential_source = Environment: the role is assumed with the keys in the environment. Without
    ROLEGATE_NO_KEYRING the MFA cache key goes to the kernel keyring where it can (no key file then)."""
    config = seed.home / ".aws" / "config"
    config.write_text(config.read_text() + f"""
[profile from-env]
role_arn = {seed.role_arn('Dev', 'readonly')}
credential_source = Environment
mfa_serial = {seed.serials['anay']}
role_session_name = anay
endpoint_url = {seed.server.url}
""")
    ak, sk = seed.keys["anay"]
    env = env_of(seed, AWS_ACCESS_KEY_ID=ak, AWS_SECRET_ACCESS_KEY=sk)
    env.pop("ROLEGATE_NO_KEYRING")
    rc, out, err = rolegate(seed, "whoami", "--mfa-code", seed.code("anay"), "from-env", env=env)
    assert rc == 0, err
    assert identity(out)["Arn"] == who(seed, "Dev", role="readonly")
    import ctypes
    import platform
    nr = {"x86_64": 250, "aarch64": 219}[platform.machine()]  # keyctl(KEYCTL_GET_KEYRING_ID, USER_KEYRING, 1)
    keyring = ctypes.CDLL(None, use_errno=True).syscall(nr, 0, -4, 1) >= 0
    key_file = seed.home / ".cache" / "rolegate" / "key"
    assert key_file.exists() != keyring, f"keyring usable: {keyring}, key file: {key_file.exists()}"
    # without the variables the profile is refused, saying why
    rc, _, err = rolegate(seed, "whoami", "from-env")
    assert rc == 1 and "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in err, err
