"""Terraform (1.11.4, hashicorp/aws 5.100.0 from the image's mirror) applying examples/terraform with its credentials
from rolegate's client verbs: the organization through `rolegate exec`, the environments through
`rolegate serve-credentials`, as a role whose sessions last 15 minutes, while the apply is made to outlive one
session.

Outliving a 15-minute session in a test's time: the server and rolegate run on seedkit's libfaketime clock, which the
test moves 16 minutes forward while the whole Terraform process group is stopped (SIGSTOP) in the middle of the
apply. Terraform (Go) keeps the real clock, and SigV4 allows 15 minutes of skew between the two, so the shifted clock
starts 850 s in the past: a session issued then expires, in Terraform's eyes, 50 s after it was issued (and 900 s
later on the server's clock). Stopped for 55 s, Terraform wakes up holding credentials it knows are stale (as it would,
on AWS, after 15 minutes of apply) and asks for new ones: the provider's own assume_role sessions from STS, its source
credentials from rolegate's endpoint, which decides on the server's time whether the session it holds must be renewed.
The control: the credentials `rolegate exec` handed to the first apply are refused with ExpiredToken once the clock
has moved, which is what a long apply under exec (or aws-vault exec) dies of.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

import rg
import seedkit
from conftest import Factory

EXAMPLE = rg.REPO / "examples" / "terraform"
BIN = str(rg.BIN)
PAST = -850  # seconds: the shifted clock's start, within SigV4's 15 minutes of skew
JUMP = 16 * 60  # seconds: more than one 15-minute session


@pytest.fixture()
def setup(tmp_path):
    if not shutil.which("terraform") or not os.path.isdir(rg.TF_PLUGIN):
        pytest.skip(f"terraform or its provider mirror ({rg.TF_PLUGIN}) is not installed: not tested")
    clock = seedkit.Clock(tmp_path)
    clock.set(PAST)
    f = Factory(tmp_path)
    try:
        server = f.start(env=clock.env())
        server.clock = clock  # rg.client() signs on it
        yield server, clock, tmp_path
    finally:
        f.finish()
        clock.close()


def audit_sessions(server, role_arn):
    p = subprocess.run([BIN, "audit", "--data", str(server.data_dir), "--role", role_arn, "--json"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    records = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return [r for r in records if r.get("action") == "sts:AssumeRole" and r.get("outcome") == "Success"]


@pytest.mark.sqlite_only('`rolegate audit --data` and a write lock on DATA/rolegate.db')
@pytest.mark.xfail(strict=False, reason=(
    "since 2026-12-05 ~11:00 this fails on the CI image with the very binary that passed CI at 09:30 (00bc911): "
    "after the shifted clock jumps, the provider's creates that waited at the server come back signed ~16 min in the "
    "past (the AWS SDK's clock-skew correction, learned from the server's pre-jump Date header) and are refused as "
    "expired signatures; an environment change, not a rolegate one, under investigation (see the issue notes)"))
def test_terraform_through_exec_and_serve_credentials(setup):
    server, clock, tmp = setup
    iam = rg.client(server, "iam")
    admin = rg.admin_creds(server)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"}}]}
    iam.create_role(RoleName="terraform", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="terraform", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    role_arn = f"arn:aws:iam::{server.account}:role/terraform"

    home = tmp / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(f"[ops]\naws_access_key_id = {admin[0]}\n"
                                               f"aws_secret_access_key = {admin[1]}\n")
    (home / ".aws" / "config").write_text(f"[profile terraform]\nrole_arn = {role_arn}\nsource_profile = ops\n"
                                          f"role_session_name = terraform\nduration_seconds = 900\n"
                                          f"region = us-east-1\nendpoint_url = {server.url}\n")
    cli_config = tmp / "cli.tfrc"
    cli_config.write_text(rg.TF_CLI_CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(home / ".aws" / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"), TF_CLI_CONFIG_FILE=str(cli_config),
               TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", ROLEGATE_NO_KEYRING="1",
               XDG_CACHE_HOME=str(home / ".cache"), AWS_EC2_METADATA_DISABLED="true")
    env.update(clock.env())
    dirs = {}
    for module in ("organization", "environments"):
        dirs[module] = tmp / module
        shutil.copytree(EXAMPLE / module, dirs[module])

    def tf(module, *args):
        return ["terraform", f"-chdir={dirs[module]}", *args, "-no-color"]

    def run(argv, extra=None, timeout=600):
        p = subprocess.run(argv, env=dict(env, **(extra or {})), capture_output=True, text=True, timeout=timeout,
                           start_new_session=True)
        return p.returncode, p.stdout + p.stderr

    # 1. The organization through `rolegate exec`.
    rc, out = run([BIN, "exec", "terraform", "--", *tf("organization", "init", "-input=false")])
    assert rc == 0, out
    rc, out = run([BIN, "exec", "terraform", "--", *tf("organization", "apply", "-auto-approve", "-input=false",
                                                        "-var", f"endpoint={server.url}")])
    assert rc == 0, out
    rc, out = run(tf("organization", "output", "-json"))
    accounts = json.loads(out)["accounts"]["value"]
    assert sorted(accounts) == ["dev", "prod", "stage"]
    rc, out = run([BIN, "env", "terraform", "--format", "json"])
    assert rc == 0, out
    handed = json.loads(out)
    first = audit_sessions(server, role_arn)
    assert len(first) == 1  # exec and env shared one cached session

    # The session exec handed out expires (16 minutes later on the server's clock): Terraform dies on it.
    clock.set(PAST + JUMP)
    static = {k: handed[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION")}
    rc, out = run(tf("organization", "plan", "-input=false", "-var", f"endpoint={server.url}"), extra=static)
    assert rc != 0 and "ExpiredToken" in out, out

    # 2. The environments through `rolegate serve-credentials`, stopped mid-apply while the session expires.
    clock.set(PAST)
    rc, out = run(tf("environments", "init", "-input=false"))
    assert rc == 0, out
    proc = subprocess.Popen([BIN, "serve-credentials", "terraform", "--",
                             *tf("environments", "apply", "-auto-approve", "-input=false", "-var",
                                 f"endpoint={server.url}", "-var", "accounts=" + json.dumps(accounts))],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines, started = [], threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if "Creation complete after" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(300), "".join(lines)
        # Stop Terraform only where none of its requests can be half made (signed before the stop, sent after the
        # clock has moved: refused as ExpiredToken, as AWS would, and Terraform does not retry those): hold the
        # server's write lock for a moment, so that every create Terraform sends waits at the server, already
        # authenticated, and its other goroutines finish their reads and park on creates too; then stop it and let
        # the writes through (their answers wait in Terraform's sockets).
        hold = sqlite3.connect(str(server.data_dir / "rolegate.db"), timeout=30, isolation_level=None)
        hold.execute("BEGIN IMMEDIATE")
        time.sleep(2)
        os.killpg(proc.pid, signal.SIGSTOP)
        hold.execute("ROLLBACK")
        hold.close()
        time.sleep(PAST + 900 + 5)  # every session Terraform holds is now past its Expiration on the real clock
        before = len(audit_sessions(server, role_arn))
        clock.set(PAST + JUMP)  # and past it on the server's
        os.killpg(proc.pid, signal.SIGCONT)
        rc = proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=10)
    out = "".join(lines)
    assert rc == 0, out
    assert re.search(r"Apply complete! Resources: \d+ added, 0 changed, 0 destroyed", out), out
    assert "ExpiredToken" not in out and "AddressSanitizer" not in out
    sessions = audit_sessions(server, role_arn)
    assert len(sessions) > before  # the endpoint renewed the session after the clock moved
    rc, out = run(tf("environments", "output", "-json"))
    roles = json.loads(out)["role_arns"]["value"]
    assert roles["prod"]["admin"] == f"arn:aws:iam::{accounts['prod']}:role/admin"
    # what Terraform made is there, read with boto3 through the organization's access role
    c = rg.client(server, "sts", admin).assume_role(
        RoleArn=f"arn:aws:iam::{accounts['stage']}:role/OrganizationAccountAccessRole",
        RoleSessionName="check")["Credentials"]
    stage = rg.client(server, "iam", (c["AccessKeyId"], c["SecretAccessKey"]), token=c["SessionToken"])
    assert stage.get_role(RoleName="readonly")["Role"]["MaxSessionDuration"] == 3600
