"""Fixtures of the end-to-end tests.

  server          module-scoped rolegate (fresh data directory, random root key through the env vars)
  fresh_server    function-scoped, same setup, for tests that need a server of their own
  server_factory  function-scoped: start(data_dir=None, root=True, args=(), env=None) -> Server, any number, for restarts and
                  custom options; every server still running at teardown is stopped and must exit 0
  iam, sts        boto3 clients of `server` as its root
  cli             runs the aws CLI against `server`: cli(*args, creds=None) -> (returncode, stdout, stderr)

Teardown of every server: SIGTERM, wait, and the exit status must be 0. Under ASan/UBSan a sanitizer or
LeakSanitizer report makes it non-zero; the server's log is printed then.

The store: SQLite in each data directory by default; ROLEGATE_TEST_STORE=postgres or `--store postgres` runs every
server on a database of its own in one PostgreSQL 15 started for the session (rg.postgres(), pgkit.py) and stopped
at its end. A test that reads SQLite files or runs a verb on DATA's SQLite database is marked
@pytest.mark.sqlite_only("why") and is skipped, with that reason, on PostgreSQL.
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


def pytest_addoption(parser):
    parser.addoption("--store", choices=("sqlite", "postgres"), default=None,
                     help="the store of every server the tests start (default: $ROLEGATE_TEST_STORE or sqlite)")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): the test reads DATA's SQLite files or runs a verb on "
                            "them; skipped when the servers run on PostgreSQL")
    store = config.getoption("--store", default=None)
    if store:
        rg.STORE = os.environ["ROLEGATE_TEST_STORE"] = store
    if rg.STORE not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"ROLEGATE_TEST_STORE={rg.STORE}: sqlite or postgres")
    if not rg.BIN.exists():
        raise pytest.UsageError(f"{rg.BIN} does not exist: build it first (make -f build.mk asan)")


def pytest_report_header(config):
    return f"rolegate store: {rg.STORE}"


def pytest_collection_modifyitems(config, items):
    if rg.STORE != "postgres":
        return
    for item in items:
        m = item.get_closest_marker("sqlite_only")
        if m:
            why = m.args[0] if m.args else "reads DATA's SQLite files"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))


@pytest.fixture(scope="session", autouse=True)
def session_postgres(tmp_path_factory):
    """With the PostgreSQL store: the session's PostgreSQL, started before the first test (its log kept in the
    session's temporary directory) and stopped after the last."""
    if rg.STORE == "postgres":
        yield rg.postgres(tmp_path_factory.getbasetemp())
        rg.close_postgres()
    else:
        yield None


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    """A PostgreSQL of the test module's own (tests/e2e/pgkit.py), whichever store the session's servers use, for
    tests that run PostgreSQL themselves (test_cluster, test_migrate, test_postgres_cli); stopped after the module."""
    import pgkit

    p = pgkit.Postgres(tmp_path_factory.mktemp("pg"))
    try:
        yield p.start()
    finally:
        p.close()


class Factory:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.servers = []

    def start(self, data_dir=None, root=True, args=(), log_dir=None, env=None, store=None):
        n = len(self.servers) + 1
        data_dir = data_dir or self.tmp / f"data-{n}"
        srv = rg.Server(data_dir, log_dir or self.tmp / f"logs-{n}", root=root, args=args, env=env, store=store)
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
