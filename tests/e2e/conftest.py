"""Fixtures of the end-to-end tests.

  server          module-scoped rolegate (fresh data directory, random root key through the env vars)
  fresh_server    function-scoped, same setup, for tests that need a server of their own
  server_factory  function-scoped: start(data_dir=None, root=True, args=(), env=None) -> Server, any number, for restarts and
                  custom options; every server still running at teardown is stopped and must exit 0
  iam, sts        boto3 clients of `server` as its root
  cli             runs the aws CLI against `server`: cli(*args, creds=None) -> (returncode, stdout, stderr)

Teardown of every server: SIGTERM, wait, and the exit status must be 0. Under ASan/UBSan a sanitizer or
LeakSanitizer report makes it non-zero; the server's log is printed then.
"""
import os

import pytest

import rg

# Keep boto3 and the CLI away from this machine's AWS settings and any HTTP proxy.
for _k in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_k]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def pytest_configure(config):
    if not rg.BIN.exists():
        raise pytest.UsageError(f"{rg.BIN} does not exist: build it first (make -f build.mk asan)")


class Factory:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.servers = []

    def start(self, data_dir=None, root=True, args=(), log_dir=None, env=None):
        n = len(self.servers) + 1
        data_dir = data_dir or self.tmp / f"data-{n}"
        srv = rg.Server(data_dir, log_dir or self.tmp / f"logs-{n}", root=root, args=args, env=env)
        self.servers.append(srv)
        return srv.start()

    def finish(self):
        failures = []
        for srv in self.servers:
            if srv.proc is not None:
                rc = srv.stop()
                if rc != 0:
                    print(f"\n===== rolegate log ({srv.log_path}) =====\n{srv.log()}")
                    failures.append(f"{srv.log_path}: exit status {rc}")
            # no secret (root or CreateAccessKey) ever reaches the log
            log = srv.all_logs()
            leaked = [s for s in rg.SEEN_SECRETS if s in log]
            if leaked:
                failures.append(f"{len(leaked)} secret(s) in the log of {srv.log_dir}")
        assert not failures, "; ".join(failures)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    f = Factory(tmp_path_factory.mktemp("srv"))
    srv = f.start()
    yield srv
    f.finish()


@pytest.fixture
def fresh_server(tmp_path):
    f = Factory(tmp_path)
    srv = f.start()
    yield srv
    f.finish()


@pytest.fixture
def server_factory(tmp_path):
    f = Factory(tmp_path)
    yield f
    f.finish()


@pytest.fixture(scope="module")
def iam(server):
    return rg.client(server, "iam")


@pytest.fixture(scope="module")
def sts(server):
    return rg.client(server, "sts")


@pytest.fixture(scope="module")
def cli(server):
    def run(*args, creds=None):
        return rg.aws_cli(server, *args, creds=creds)

    return run
