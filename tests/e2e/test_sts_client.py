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
    tmp = tmp_path_factory.mktemp("seed")
    clock = seedkit.Clock(tmp)
    f = Factory(tmp)
    srv = f.start(args=["--example", "seed"], env=clock.env())
    s = seedkit.Seed(srv, clock, tmp / "home")
    yield s
    f.finish()
    clock.close()


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
    assert "SKIPPED" not in out, out
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
