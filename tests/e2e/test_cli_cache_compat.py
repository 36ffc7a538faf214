"""The AWS CLI's assume-role cache (~/.aws/cli/cache) shared between the real `aws` CLI and rolegate's cache module
(src/cli/cache.c, driven through its cmocka program build/asan/tests/test_cli_cache), against a real server: the
CLI assumes a role and caches the session, rolegate finds it under the name it computes itself; rolegate caches a
session and the CLI uses it without calling AssumeRole, and the server accepts it."""
import json
import os
import subprocess

import pytest

import rg

CACHE_TEST = rg.REPO / "build" / "asan" / "tests" / "test_cli_cache"


def role_and_profile(server, iam, tmp_path):
    ak, sk = rg.admin_creds(server)
    name = rg.unique("cachecompat")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{server.account}:root"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    cfg = tmp_path / "config"
    cfg.write_text(f"[profile base]\naws_access_key_id = {ak}\naws_secret_access_key = {sk}\nregion = {rg.REGION}\n"
                   f"[profile dev]\nrole_arn = {role['Arn']}\nsource_profile = base\nrole_session_name = anay\n"
                   f"region = {rg.REGION}\n")
    env = rg.cli_env(str(cfg), str(tmp_path / "no-credentials"))
    env.update(HOME=str(tmp_path), AWS_ENDPOINT_URL=server.url, AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
    return role, env, (ak, sk)


def cache_tool(tmp_path, role, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ROLEGATE_COMPAT_"))}
    env.update(ROLEGATE_COMPAT_HOME=str(tmp_path), ROLEGATE_COMPAT_ROLE=role["Arn"], ROLEGATE_COMPAT_SESSION="anay",
               **extra)
    p = subprocess.run([str(CACHE_TEST)], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    [line] = [l for l in p.stdout.splitlines() if l.startswith("compat-")]
    return line.split()


@pytest.fixture
def need_tool():
    if not CACHE_TEST.exists():
        pytest.skip("build/asan/tests/test_cli_cache not built (make unit)")


def test_rolegate_reads_what_the_cli_cached(server, iam, tmp_path, need_tool):
    role, env, _ = role_and_profile(server, iam, tmp_path)
    p = subprocess.run([rg.aws_binary(), "sts", "get-caller-identity", "--profile", "dev"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"].endswith(f":assumed-role/{role['RoleName']}/anay")
    files = list((tmp_path / ".aws" / "cli" / "cache").glob("*.json"))
    assert len(files) == 1
    cached = json.loads(files[0].read_text())["Credentials"]

    _, key, akid, exp, arn = cache_tool(tmp_path, role)
    assert key + ".json" == files[0].name  # the name the CLI computed
    assert akid == cached["AccessKeyId"]
    assert exp[:19] == cached["Expiration"][:19]  # the CLI wrote "...UTC", we print "...Z"
    assert arn.endswith(f":assumed-role/{role['RoleName']}/anay")


def test_cli_uses_what_rolegate_cached(server, iam, tmp_path, need_tool):
    role, env, base = role_and_profile(server, iam, tmp_path)
    r = rg.client(server, "sts", base).assume_role(RoleArn=role["Arn"], RoleSessionName="anay")
    c = r["Credentials"]
    _, key = cache_tool(tmp_path, role, ROLEGATE_COMPAT_WRITE="1", ROLEGATE_COMPAT_AKID=c["AccessKeyId"],
                        ROLEGATE_COMPAT_SECRET=c["SecretAccessKey"], ROLEGATE_COMPAT_TOKEN=c["SessionToken"],
                        ROLEGATE_COMPAT_EXPIRATION=c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"))
    path = tmp_path / ".aws" / "cli" / "cache" / f"{key}.json"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    before = path.read_bytes()

    p = subprocess.run([rg.aws_binary(), "sts", "get-caller-identity", "--profile", "dev", "--debug"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "Credentials for role retrieved from cache." in p.stderr
    assert f"Credential={c['AccessKeyId']}/" in p.stderr
    assert "sts.AssumeRole" not in p.stderr
    assert json.loads(p.stdout)["Arn"].endswith(f":assumed-role/{role['RoleName']}/anay")
    assert path.read_bytes() == before  # the CLI did not need to replace it

    # A corrupted file (say a CLI killed mid-write: botocore writes atomically too, but other tools may not) is
    # a miss for rolegate, not an error. botocore 1.43 itself raises KeyError on one (JSONFileCache.__contains__
    # sees the file, __getitem__ cannot parse it), so rolegate's rewrite is also what makes `aws` work again.
    path.write_text('{"Credentials": {"AccessKeyId": ')
    assert cache_tool(tmp_path, role, ROLEGATE_COMPAT_EXPECT_MISS="1") == ["compat-miss", key]
    r = rg.client(server, "sts", base).assume_role(RoleArn=role["Arn"], RoleSessionName="anay")
    c = r["Credentials"]
    cache_tool(tmp_path, role, ROLEGATE_COMPAT_WRITE="1", ROLEGATE_COMPAT_AKID=c["AccessKeyId"],
               ROLEGATE_COMPAT_SECRET=c["SecretAccessKey"], ROLEGATE_COMPAT_TOKEN=c["SessionToken"],
               ROLEGATE_COMPAT_EXPIRATION=c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"))
    p = subprocess.run([rg.aws_binary(), "sts", "get-caller-identity", "--profile", "dev", "--debug"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert f"Credential={c['AccessKeyId']}/" in p.stderr
