"""`rolegate keys retire KEYID`: the sessions sealed with a retired key stop working (InvalidClientTokenId) within
seconds on a running server, sessions under the other keys keep working, and the issuing key and unknown keys are
refused."""
import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

import rg


def keys(srv, *args):
    return subprocess.run([str(rg.BIN), "keys", *args, "--data", str(srv.data_dir)], capture_output=True, text=True,
                          timeout=60)


def assume(srv, creds, role_arn, name):
    c = rg.client(srv, "sts", creds).assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    rg.SEEN_SECRETS.add(c["SecretAccessKey"])
    return (c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"]


def who(srv, creds, token):
    return rg.client(srv, "sts", creds, token=token).get_caller_identity()["Arn"]


def test_keys_retire(server_factory):
    srv = server_factory.start()
    iam = rg.client(srv, "iam")
    admin = rg.admin_creds(srv)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": f"arn:aws:iam::{srv.account}:root"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName=rg.unique("ret"), AssumeRolePolicyDocument=trust)["Role"]
    old_c, old_t = assume(srv, admin, role["Arn"], "old")
    old_kid = old_t.split(".")[1]
    assert who(srv, old_c, old_t).endswith("/old")

    # the issuing key cannot be retired; an unknown one is not there to retire
    p = keys(srv, "retire", old_kid)
    assert p.returncode != 0 and "issuing key" in p.stderr
    p = keys(srv, "retire", "0" * len(old_kid))
    assert p.returncode != 0 and "no session-token key" in p.stderr
    assert keys(srv, "retire").returncode == 2

    assert keys(srv, "rotate").returncode == 0
    deadline = time.monotonic() + 15
    while True:
        new_c, new_t = assume(srv, admin, role["Arn"], "new")
        if new_t.split(".")[1] != old_kid or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert new_t.split(".")[1] != old_kid

    p = keys(srv, "retire", old_kid)
    assert p.returncode == 0, p.stderr
    assert old_kid not in keys(srv, "list").stdout
    # within seconds the old session is refused as AWS refuses an unknown token; the new one still works
    deadline = time.monotonic() + 10
    while True:
        try:
            who(srv, old_c, old_t)
        except ClientError as e:
            code, _, status, _ = rg.err(_Info(e))
            break
        assert time.monotonic() < deadline, "a session sealed with a retired key still works"
        time.sleep(0.3)
    assert (code, status) == ("InvalidClientTokenId", 403)
    assert who(srv, new_c, new_t).endswith("/new")
    # and after a restart
    srv.restart()
    with pytest.raises(ClientError) as ei:
        who(srv, old_c, old_t)
    assert rg.err(ei)[0] == "InvalidClientTokenId"
    assert who(srv, new_c, new_t).endswith("/new")


class _Info:
    """What rg.err reads from a pytest ExceptionInfo: .value."""

    def __init__(self, e):
        self.value = e
