"""PostgreSQL 15 (Debian's binaries) for the end-to-end tests: one cluster per Postgres object, in a temporary
directory, on a Unix socket in that directory and a loopback TCP port, stopped and removed by stop()/close().

    pg = pgkit.Postgres(tmp_path).start()
    pg.create_database("rg_1")
    srv = rg.Server(..., args=["--postgres", pg.conninfo("rg_1")])
    standby = pg.standby()          # pg_basebackup -R: a streaming replica of pg, started
    pg.kill(); standby.promote()    # failover
    pg.close(); standby.close()

As root the cluster belongs to the `postgres` OS user (initdb, pg_ctl and pg_basebackup run as that user: the server
refuses to run as root) in a directory of its own directly under /tmp (pytest's temporary directories are 0700
root: the postgres user could not reach them; a Unix socket path is also limited to 107 bytes). The tests connect
as the database superuser `postgres`, trusted on the socket and on 127.0.0.1 (no password anywhere). Durability is
PostgreSQL's default and stated explicitly: fsync on, synchronous_commit on. Every wait is bounded (pg_ctl -w -t,
pg_isready, polls with deadlines).
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("ROLEGATE_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
TIMEOUT = 60  # seconds: pg_ctl's -t and every other wait here

# postgresql.conf of every cluster (copied to a standby by pg_basebackup; the address, port and socket directory
# are given on the command line instead, so that a standby made from it gets its own)
CONF = """
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 256MB
hot_standby = on
max_connections = 300
shared_buffers = 32MB
log_min_messages = warning
log_connections = off
log_line_prefix = '%m [%p] '
"""


def available():
    """Whether PostgreSQL 15's binaries are installed (scripts/install-deps.sh test installs postgresql-15)."""
    return (PG_BIN / "postgres").exists() and (PG_BIN / "initdb").exists()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C.UTF-8", LANG="C.UTF-8")
    return env


class PgError(RuntimeError):
    pass


class Postgres:
    """One PostgreSQL cluster. tmpdir (optional) receives a copy of the server log when the cluster is closed, so a
    failed test's temporary directory holds it; the cluster itself lives in its own directory under /tmp."""

    def __init__(self, tmpdir=None, name="pg", _datadir_from=None):
        self.name = name
        self.log_copy_dir = Path(tmpdir) if tmpdir else None
        self.as_postgres = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix=f"rg-{name}-", dir="/tmp" if os.path.isdir("/tmp") else None))
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.datadir = self.dir / "data"
        self.logfile = self.dir / "server.log"
        self.port = free_port()
        self.started = False
        self.initialized = False
        self.standbys = []

    # ---- running the binaries --------------------------------------------------------------------------------

    def _run(self, argv, timeout=TIMEOUT, check=True, as_owner=True):
        """Runs a PostgreSQL program (as the postgres user when we are root and as_owner); returns the result."""
        kw = {}
        if as_owner and self.as_postgres:
            kw = {"user": "postgres", "group": "postgres", "extra_groups": []}
        try:
            p = subprocess.run([str(a) for a in argv], cwd=self.dir, env=_clean_env(), capture_output=True,
                               text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
        except subprocess.TimeoutExpired as e:
            raise PgError(f"{argv[0]} did not finish within {timeout}s: {e.stdout} {e.stderr}\n{self.log()}")
        if check and p.returncode != 0:
            raise PgError(f"{' '.join(map(str, argv))} exited {p.returncode}:\n{p.stdout}{p.stderr}\n"
                          f"---- {self.logfile} ----\n{self.log()[-4000:]}")
        return p

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except (FileNotFoundError, PermissionError):
            return ""

    # ---- life cycle ------------------------------------------------------------------------------------------

    def init(self):
        """initdb: trust on the socket and on 127.0.0.1 (replication included), superuser `postgres`."""
        self._run([PG_BIN / "initdb", "-D", self.datadir, "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync"], timeout=120)
        with open(self.datadir / "postgresql.conf", "a") as f:
            f.write(CONF)
        self.initialized = True
        return self

    def start(self):
        """Starts the cluster (initdb first when it has none) and waits until it accepts connections."""
        if not self.initialized:
            self.init()
        opts = f"-k {self.dir} -c listen_addresses=127.0.0.1 -c port={self.port}"
        self._run([PG_BIN / "pg_ctl", "-D", self.datadir, "-l", self.logfile, "-o", opts, "-w", "-t", TIMEOUT,
                   "start"], timeout=TIMEOUT + 10)
        self.started = True
        self.wait_ready()
        return self

    def wait_ready(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            p = self._run([PG_BIN / "pg_isready", "-h", self.dir, "-p", self.port, "-U", SUPERUSER, "-t", "5"],
                          check=False, as_owner=False)
            if p.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PgError(f"PostgreSQL not ready within {timeout}s: {p.stdout}\n{self.log()[-4000:]}")
            time.sleep(0.1)

    def postmaster_pid(self):
        try:
            return int((self.datadir / "postmaster.pid").read_text().split("\n")[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def stop(self, mode="fast"):
        """pg_ctl stop -m MODE (fast: aborts sessions, clean shutdown); SIGKILL when it does not stop in time."""
        if not self.started:
            return
        p = self._run([PG_BIN / "pg_ctl", "-D", self.datadir, "-m", mode, "-w", "-t", TIMEOUT, "stop"],
                      check=False, timeout=TIMEOUT + 10)
        if p.returncode != 0 and self.postmaster_pid():
            self.kill()
        self.started = False

    def kill(self):
        """SIGKILL to the postmaster and every process of the cluster, as a crash of its machine would: the next
        start() runs crash recovery."""
        pid = self.postmaster_pid()
        if pid is None:
            self.started = False
            return
        victims = [pid] + _children(pid)
        for v in victims:
            try:
                os.kill(v, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while any(_alive(v) for v in victims) and time.monotonic() < deadline:
            time.sleep(0.02)
        # a killed postmaster may stay a zombie for a while (whoever adopted it reaps it when it will): its pid
        # still answers kill(pid, 0), and the next postmaster would refuse to start on the lock files it left
        if not any(_alive(v) for v in victims):
            for lock in (self.datadir / "postmaster.pid", self.dir / f".s.PGSQL.{self.port}.lock"):
                try:
                    lock.unlink()
                except FileNotFoundError:
                    pass
        self.started = False

    def restart(self, down=0.0, mode="fast"):
        """stop (mode, or "kill" for SIGKILL), `down` seconds without a server, start."""
        if mode == "kill":
            self.kill()
        else:
            self.stop(mode)
        if down:
            time.sleep(down)
        return self.start()

    def close(self):
        """Stops the cluster (and its standbys) and removes its directory; the log is copied to tmpdir first."""
        for s in self.standbys:
            s.close()
        self.standbys = []
        try:
            self.stop()
        finally:
            if self.log_copy_dir is not None and self.logfile.exists():
                try:
                    self.log_copy_dir.mkdir(parents=True, exist_ok=True)
                    shutil.copy(self.logfile, self.log_copy_dir / f"postgres-{self.name}-{self.port}.log")
                except OSError:
                    pass
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # ---- connecting ------------------------------------------------------------------------------------------

    def conninfo(self, dbname="postgres"):
        """libpq conninfo through the Unix socket."""
        return f"host={self.dir} port={self.port} dbname={dbname} user={SUPERUSER}"

    def tcp_conninfo(self, dbname="postgres"):
        """libpq conninfo through 127.0.0.1:port."""
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={SUPERUSER}"

    def psql(self, sql, dbname="postgres", timeout=30, check=True):
        """Runs sql with psql (unaligned, tuples only, stops at the first error); returns stdout, stripped.
        With check=False returns (returncode, stdout, stderr)."""
        p = self._run([PG_BIN / "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p",
                       self.port, "-U", SUPERUSER, "-d", dbname, "-c", sql], timeout=timeout, check=check,
                      as_owner=False)
        if not check:
            return p.returncode, p.stdout.strip(), p.stderr
        return p.stdout.strip()

    def rows(self, sql, dbname="postgres", timeout=30):
        """The rows of a query as lists of strings (fields split on |)."""
        out = self.psql(sql, dbname, timeout)
        return [line.split("|") for line in out.split("\n")] if out else []

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def in_recovery(self):
        return self.psql("SELECT pg_is_in_recovery()") == "t"

    # ---- replication -----------------------------------------------------------------------------------------

    def standby(self, synchronous=True, name=None):
        """A second cluster made with pg_basebackup -R (streaming, replication slot) from this one, started as a
        hot standby. synchronous: this primary waits for the standby to flush every commit before acknowledging it
        (synchronous_standby_names), so that nothing acknowledged is lost when the standby is promoted."""
        s = Postgres(self.log_copy_dir, name or f"{self.name}-standby")
        slot = f"standby_{s.port}"
        self.psql(f"SELECT pg_create_physical_replication_slot('{slot}')")
        # the target directory must not exist (or be empty): pg_basebackup creates it with mode 0700
        s._run([PG_BIN / "pg_basebackup", "-D", s.datadir, "-h", self.dir, "-p", self.port, "-U", SUPERUSER,
                "-R", "-X", "stream", "-c", "fast", "-S", slot, "--no-sync"], timeout=120)
        with open(s.datadir / "postgresql.auto.conf", "a") as f:
            f.write(f"primary_slot_name = '{slot}'\n")
            # the primary's own synchronous_standby_names must not follow the standby (after a promotion it would
            # wait for a standby it does not have)
            f.write("synchronous_standby_names = ''\n")
        s.initialized = True
        s.start()
        self.standbys.append(s)
        if synchronous:
            self.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
            self.psql("SELECT pg_reload_conf()")
        self.wait_streaming()
        return s

    def wait_streaming(self, timeout=TIMEOUT):
        """Waits until a standby streams from this primary (pg_stat_replication says streaming)."""
        deadline = time.monotonic() + timeout
        while self.psql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "0":
            if time.monotonic() > deadline:
                raise PgError(f"no standby streaming within {timeout}s")
            time.sleep(0.1)

    def wait_replayed(self, standby, timeout=TIMEOUT):
        """Waits until standby has replayed everything this primary has written so far."""
        lsn = self.psql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while standby.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") != "t":
            if time.monotonic() > deadline:
                raise PgError(f"standby did not replay {lsn} within {timeout}s")
            time.sleep(0.05)

    def promote(self, timeout=TIMEOUT):
        """Promotes this standby (pg_ctl promote -w) and waits until it takes writes."""
        self._run([PG_BIN / "pg_ctl", "-D", self.datadir, "-w", "-t", timeout, "promote"], timeout=timeout + 10)
        deadline = time.monotonic() + timeout
        while self.in_recovery():
            if time.monotonic() > deadline:
                raise PgError(f"still in recovery {timeout}s after pg_ctl promote")
            time.sleep(0.05)
        return self


def multi_host_conninfo(clusters, dbname, **extra):
    """A libpq conninfo listing every cluster (host=a,b port=p,q) with target_session_attrs=read-write: libpq
    connects to whichever of them takes writes."""
    hosts = ",".join("127.0.0.1" for _ in clusters)
    ports = ",".join(str(c.port) for c in clusters)
    opts = {"target_session_attrs": "read-write", "connect_timeout": "2", **extra}
    return f"host={hosts} port={ports} dbname={dbname} user={SUPERUSER} " + " ".join(
        f"{k}={v}" for k, v in opts.items())


def _children(pid):
    """Every descendant of pid (from /proc), so that kill() reaches the backends too."""
    parent = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            parent[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
