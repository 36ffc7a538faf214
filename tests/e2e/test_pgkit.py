"""tests/e2e/pgkit.py itself: a PostgreSQL 15 cluster starts, takes a database and rows (psql round trips over the
socket and over TCP), survives a SIGKILL (crash recovery keeps committed rows), and a streaming standby made with
pg_basebackup receives every commit and, promoted, takes writes. Everything is stopped and removed after."""
import pytest

import pgkit

pytestmark = pytest.mark.skipif(not pgkit.available(), reason="PostgreSQL 15 is not installed (install-deps.sh test)")


def test_start_create_kill_restart(tmp_path):
    pg = pgkit.Postgres(tmp_path)
    directory = pg.dir
    try:
        pg.start()
        assert pg.psql("SHOW fsync") == "on" and pg.psql("SHOW synchronous_commit") == "on"
        assert pg.psql("SHOW listen_addresses") == "127.0.0.1"
        pg.create_database("rg_kit")
        pg.psql("CREATE TABLE t (k text PRIMARY KEY, v int)", "rg_kit")
        pg.psql("INSERT INTO t VALUES ('a', 1), ('b', 2)", "rg_kit")
        assert pg.rows("SELECT k, v FROM t ORDER BY k", "rg_kit") == [["a", "1"], ["b", "2"]]
        # the same database over TCP (what tcp_conninfo names)
        p = pg._run([pgkit.PG_BIN / "psql", "-X", "-At", "-d", pg.tcp_conninfo("rg_kit"), "-c", "SELECT sum(v) FROM t"],
                    as_owner=False)
        assert p.stdout.strip() == "3"
        old = pg.postmaster_pid()
        pg.kill()
        assert not pgkit._alive(old)
        rc, _, _ = pg.psql("SELECT 1", check=False)
        assert rc != 0  # nothing answers while it is down
        pg.start()  # crash recovery
        assert pg.rows("SELECT k FROM t ORDER BY k", "rg_kit") == [["a"], ["b"]]
        pg.restart()
        assert pg.psql("SELECT count(*) FROM t", "rg_kit") == "2"
    finally:
        pg.close()
    assert not directory.exists()
    assert list(tmp_path.glob("postgres-*.log"))


def test_standby_streams_and_promotes(tmp_path):
    pg = pgkit.Postgres(tmp_path, "primary").start()
    try:
        pg.create_database("rg_repl")
        pg.psql("CREATE TABLE t (n int)", "rg_repl")
        standby = pg.standby()
        assert standby.in_recovery() and not pg.in_recovery()
        # synchronous: a commit acknowledged by the primary is already on the standby
        for n in range(20):
            pg.psql(f"INSERT INTO t VALUES ({n})", "rg_repl")
        pg.wait_replayed(standby)
        assert standby.psql("SELECT count(*) FROM t", "rg_repl") == "20"
        rc, _, err = standby.psql("INSERT INTO t VALUES (99)", "rg_repl", check=False)
        assert rc != 0 and "read-only" in err
        # failover: the primary dies, the standby is promoted and takes writes
        pg.kill()
        standby.promote()
        standby.psql("INSERT INTO t VALUES (100)", "rg_repl")
        assert standby.psql("SELECT count(*) FROM t", "rg_repl") == "21"
        # a multi-host conninfo reaches whichever takes writes
        conninfo = pgkit.multi_host_conninfo([pg, standby], "rg_repl")
        p = standby._run([pgkit.PG_BIN / "psql", "-X", "-At", "-d", conninfo, "-c",
                          "SELECT pg_is_in_recovery(), current_setting('port')"], as_owner=False)
        assert p.stdout.strip() == f"f|{standby.port}"
        standby_dir = standby.dir
    finally:
        pg.close()
    assert not standby_dir.exists() and not pg.dir.exists()
