"""Starting the server safely: the listen address is checked before anything is written, fatal errors say why at
level=error, the root secret goes only to a terminal (else the log says where the 0600 file is), every file in the
data directory is private whatever the umask, and request ids are random version-4 UUIDs."""
import os
import pty
import re
import select
import socket
import stat
import subprocess
import time

import pytest

import rg

UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def env_without_root():
    env = dict(os.environ)
    env.pop("ROLEGATE_ROOT_ACCESS_KEY_ID", None)
    env.pop("ROLEGATE_ROOT_SECRET_ACCESS_KEY", None)
    return env


def test_port_in_use_leaves_nothing_behind(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    data = tmp_path / "data"
    try:
        p = subprocess.run([str(rg.BIN), "server", "--listen", f"127.0.0.1:{port}", "--data", str(data)],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env_without_root())
    finally:
        taken.close()
    assert p.returncode != 0
    errors = [line for line in p.stderr.splitlines() if "level=error" in line]
    assert any(f"127.0.0.1:{port}" in line and os.strerror(98) in line for line in errors), p.stderr
    # no data directory, master key or root credentials, and nothing on stdout
    assert not data.exists()
    assert p.stdout == ""
    assert "AWS_SECRET_ACCESS_KEY" not in p.stderr


def test_unusable_data_directory_is_an_error_with_its_reason(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    p = subprocess.run([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(blocker / "data")],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env_without_root())
    assert p.returncode != 0
    assert any("level=error" in line and os.strerror(20) in line for line in p.stderr.splitlines()), p.stderr


def test_root_secret_is_printed_only_to_a_terminal(tmp_path):
    master, slave = pty.openpty()
    data, log_path = tmp_path / "data", tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(data)],
                                stdin=subprocess.DEVNULL, stdout=slave, stderr=log, env=env_without_root())
    os.close(slave)
    out = b""
    try:
        deadline = time.monotonic() + 30
        while b"AWS_SECRET_ACCESS_KEY=" not in out or not out.endswith(b"\n"):
            assert time.monotonic() < deadline, (out, log_path.read_text())
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
            assert proc.poll() is None, log_path.read_text()
        text = out.decode()
        kid = re.search(r"AWS_ACCESS_KEY_ID=(AKIA[A-Z2-7]{16})", text).group(1)
        secret = re.search(r"AWS_SECRET_ACCESS_KEY=(\S{40})", text).group(1)
        rg.SEEN_SECRETS.add(secret)
        assert rg.read_credentials_file(data / "root-credentials") == (kid, secret)
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
        os.close(master)
    assert secret not in log_path.read_text()


@pytest.mark.sqlite_only("checks the modes of DATA's SQLite files")
def test_every_data_file_is_private_whatever_the_umask(server_factory, tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    old = os.umask(0o022)
    try:
        srv = server_factory.start(data_dir=data)
        iam = rg.client(srv, "iam")
        user, [key] = rg.make_user(iam, name=rg.unique("files"))
        rg.client(srv, "sts", key).get_session_token()  # a durable audit record: audit.db

        def modes():
            return {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.rglob("*")}

        # while it runs (a clean stop removes the -wal and -shm files)
        found = modes()
        for name in ("rolegate.db", "rolegate.db-wal", "rolegate.db-shm", "audit.db", "audit.db-wal", "master.key"):
            assert name in found, found
        assert {n: oct(m) for n, m in found.items() if m & 0o077} == {}
        srv.stop_ok()

        # files an earlier version left readable by others are made private on the next start
        for p in data.iterdir():
            os.chmod(p, 0o644)
        srv.start()
        assert rg.client(srv, "iam").get_user(UserName=user["UserName"])["User"]["UserId"] == user["UserId"]
        found = modes()
        assert "rolegate.db-wal" in found, found
        assert {n: oct(m) for n, m in found.items() if m & 0o077} == {}
        assert "made it 0600" in srv.log()
        srv.stop_ok()
    finally:
        os.umask(old)


def test_request_ids_are_random_uuid4(server):
    sts = rg.client(server, "sts")
    ids = [sts.get_caller_identity()["ResponseMetadata"]["RequestId"] for _ in range(20)]
    assert all(UUID4_RE.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    # not a counter: consecutive ids differ from their first digits on
    assert all(a[:8] != b[:8] for a, b in zip(ids, ids[1:])), ids


def test_a_bad_option_leaves_nothing_behind(tmp_path):
    data = tmp_path / "data"
    env = env_without_root()
    env["ROLEGATE_ROOT_ACCESS_KEY_ID"] = "AKIA" + "A" * 16  # without its secret
    p = subprocess.run([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(data)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode != 0
    assert any("level=error" in line and "ROLEGATE_ROOT_SECRET_ACCESS_KEY" in line for line in p.stderr.splitlines())
    assert not data.exists()
