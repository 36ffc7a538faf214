"""`rolegate server --config FILE` and `--print-config`: a real server started from a config file only (listen,
data directory, log format, a raised quota) answers boto3; flags override the file; --print-config prints the
effective configuration as a file that --config reads back to the same output, without starting and without the
root secret; a bad file stops the server with exit status 2 and a message naming FILE:LINE, before any data
directory is made."""
import json
import os
import subprocess

import pytest

import rg


def write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


def run(*args, env=None, cwd=None):
    return subprocess.run([str(rg.BIN), "server", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def config_text(data):
    return ("# rolegate for the e2e test\n"
            "[server]\n"
            "listen = 127.0.0.1:0\n"
            f"data = {data}\n"
            "log-format = json\n"
            "threads = 2\n"
            "quota = users=6000\n"
            "quota = roles=1500\n")


def start(tmp_path, config, args=()):
    srv = rg.Server(tmp_path / "data", tmp_path / "logs", args=args, config=config)
    return srv.start()


def test_server_from_config_file(tmp_path):
    conf = write(tmp_path / "rolegate.ini", config_text(tmp_path / "data"))
    srv = start(tmp_path, conf)
    try:
        iam = rg.client(srv, "iam")
        summary = iam.get_account_summary()["SummaryMap"]
        assert summary["UsersQuota"] == 6000 and summary["RolesQuota"] == 1500
        assert rg.client(srv, "sts").get_caller_identity()["Account"] == srv.account
        assert (tmp_path / "data" / "master.key").exists()  # the file's data directory
    finally:
        srv.stop_ok()
    lines = srv.log().splitlines()
    assert lines and all(isinstance(json.loads(line), dict) for line in lines), lines  # the file's log-format


def test_flags_override_the_file(tmp_path):
    conf = write(tmp_path / "rolegate.ini", config_text(tmp_path / "data"))
    # --log-format before --config still wins; --quota as a flag replaces the file's whole list
    srv = start(tmp_path, conf, args=["--log-format", "logfmt", "--quota", "groups=400"])
    try:
        summary = rg.client(srv, "iam").get_account_summary()["SummaryMap"]
        assert summary["GroupsQuota"] == 400
        assert summary["UsersQuota"] == 5000 and summary["RolesQuota"] == 1000  # the file's quotas replaced
    finally:
        srv.stop_ok()
    assert srv.log().startswith("ts="), srv.log()


def test_print_config_round_trip(tmp_path):
    secret = rg.random_secret()
    env = {"ROLEGATE_ROOT_ACCESS_KEY_ID": rg.random_key_id(), "ROLEGATE_ROOT_SECRET_ACCESS_KEY": secret}
    conf = write(tmp_path / "rolegate.ini", config_text(tmp_path / "data"))
    p = run("--log-level", "warn", "--config", str(conf), "--print-config", env=env)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert secret not in out and secret not in p.stderr
    assert "\nlisten = 127.0.0.1:0\n" in out and f"\ndata = {tmp_path / 'data'}\n" in out
    assert "\nlog-level = warn\n" in out and "\nlog-format = json\n" in out
    assert "\nquota = users=6000\nquota = roles=1500\n" in out
    assert "\ninsecure-http = false\n" in out and "\nmax-body = 1048576\n" in out  # the defaults too
    assert not (tmp_path / "data").exists()  # nothing started
    again = write(tmp_path / "printed.ini", out)
    p2 = run("--config", str(again), "--print-config")
    assert p2.returncode == 0, p2.stderr
    assert p2.stdout == out
    # and a server starts from the printed file
    srv = start(tmp_path, again, args=["--log-level", "info"])
    srv.stop_ok()


@pytest.mark.parametrize("text,message", [
    ("listen = 127.0.0.1:0\n\nlisen = 127.0.0.1:0\n", "rolegate.ini:3: unknown key 'lisen'"),
    ("[server]\nthreads = eight\n", "rolegate.ini:2: threads: 'eight' is not a valid number"),
    ("config = /etc/other.ini\n", "rolegate.ini:1: config: only a command-line flag"),
    ("log-format = xml\n", "rolegate.ini:1: log-format: 'xml' is not one of logfmt|json"),
    ("[client]\nlisten = 127.0.0.1:0\n", "rolegate.ini:2: section [client] is not known"),
    ("just words\n", "rolegate.ini:1: not a `name = value` line"),
])
def test_bad_file_refused(tmp_path, text, message):
    conf = write(tmp_path / "rolegate.ini", text)
    p = run("--config", str(conf), cwd=tmp_path)  # the default data directory: ./data
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert f"{conf.parent}/{message}" in p.stderr, p.stderr
    assert not (tmp_path / "data").exists()


def test_unsafe_or_missing_file_refused(tmp_path):
    conf = write(tmp_path / "rolegate.ini", "listen = 127.0.0.1:0\n", mode=0o666)
    p = run("--config", str(conf))
    assert p.returncode == 2 and "is writable by every user" in p.stderr, p.stderr
    p = run("--config", str(tmp_path))
    assert p.returncode == 2 and "is not a regular file" in p.stderr, p.stderr
    p = run("--config", str(tmp_path / "absent.ini"))
    assert p.returncode == 2 and "No such file or directory" in p.stderr, p.stderr
    os.chmod(conf, 0o600)
    p = run("--config", str(conf), "--config", str(conf))
    assert p.returncode == 2 and "--config is given twice" in p.stderr, p.stderr
