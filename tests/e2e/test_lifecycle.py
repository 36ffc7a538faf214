"""Connections and the process: slow clients are cut off, SIGTERM finishes what is in flight and exits 0."""
import http.client
import signal
import socket
import threading
import time

import pytest

import rg


def wait_closed(sock, limit):
    """Seconds until the server closes sock (recv gives EOF or a reset), or None after `limit` seconds."""
    t0 = time.monotonic()
    sock.settimeout(limit)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return time.monotonic() - t0
    except (ConnectionResetError, BrokenPipeError):
        return time.monotonic() - t0
    except socket.timeout:
        return None


def test_stalled_clients_are_cut(server_factory):
    srv = server_factory.start(args=["--idle-timeout", "2"])
    stalls = {
        "half a request line": b"POST / HTT",
        "headers never end": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl",
        "body never comes": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nAction=Li",
    }
    socks = {}
    for what, data in stalls.items():
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(data)
        socks[what] = s
    # an idle keep-alive connection after one complete request is closed too
    idle = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    target, h = rg.sign(srv, rg.iam_form("ListUsers").encode())
    idle.request("POST", target, rg.iam_form("ListUsers").encode(), h)
    resp = idle.getresponse()
    assert resp.status == 200 and resp.read()
    socks["idle keep-alive"] = idle.sock

    try:
        # all connections were opened together, so they are all cut at about the same time
        for what, s in socks.items():
            t = wait_closed(s, 8)
            assert t is not None, f"{what}: still open 8 s after --idle-timeout 2"
        # meanwhile the server serves others
        assert rg.client(srv, "sts").get_caller_identity()["Account"] == srv.account
    finally:
        for s in socks.values():
            s.close()


def test_stalled_client_is_not_cut_before_the_timeout(server_factory):
    srv = server_factory.start(args=["--idle-timeout", "3"])
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(b"POST / HTT")
        t0 = time.monotonic()
        t = wait_closed(s, 10)
        assert t is not None, "never closed"
        assert t >= 1.5, f"closed after {t:.1f}s, before the 3 s idle timeout"
        assert time.monotonic() - t0 < 9


def test_sigterm_with_requests_in_flight(server_factory):
    srv = server_factory.start()
    prefix = rg.unique("term")
    stop = threading.Event()
    lock = threading.Lock()
    complete, bad, acked = [], [], []
    counter = iter(range(100000))

    def worker():
        conn = None
        while not stop.is_set():
            with lock:
                name = f"{prefix}-{next(counter)}"
            body = rg.iam_form("CreateUser", UserName=name).encode()
            target, h = rg.sign(srv, body)
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
                conn.request("POST", target, body, h)
                r = conn.getresponse()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest, OSError):
                conn = None  # no answer at all: allowed once the server stops
                if stop.is_set():
                    return
                time.sleep(0.01)
                continue
            try:
                raw = rg.Raw(r.status, r.getheaders(), r.read())
                root = raw.xml()
                ns = "{" + rg.IAM_NS + "}"
                assert raw.status == 200, raw
                assert root.findtext(f"{ns}ResponseMetadata/{ns}RequestId") == raw.request_id
                assert root.findtext(f"{ns}CreateUserResult/{ns}User/{ns}UserName") == name
                with lock:
                    complete.append(raw.request_id)
                    acked.append(name)
            except Exception as e:  # a response that started but is cut or malformed
                with lock:
                    bad.append(f"{name}: {e!r}")
                conn = None

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(complete) < 30 and time.monotonic() < deadline:
        time.sleep(0.005)
    srv.proc.send_signal(signal.SIGTERM)
    with lock:
        at_sigterm = len(complete)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(30)
    rc = srv.proc.wait(30)
    srv.proc = None
    if rc != 0:
        print(srv.log())
    assert rc == 0, f"exit status {rc} after SIGTERM under load"
    assert not bad, bad[:5]
    assert len(complete) >= 30
    # the connections already open kept being served after the signal (in-flight work is finished)
    assert len(complete) > at_sigterm, (at_sigterm, len(complete))
    print(f"{at_sigterm} complete at SIGTERM, {len(complete)} in all")
    log = srv.log()
    assert "received SIGTERM" in log and "stopped" in log

    # everything acknowledged before and during the shutdown is there
    srv.start()
    iam = rg.client(srv, "iam")
    present = {u["UserName"] for u in iam.get_paginator("list_users").paginate().build_full_result()["Users"]}
    assert set(acked) <= present


def test_sigint_stops_cleanly(server_factory):
    srv = server_factory.start()
    assert rg.client(srv, "sts").get_caller_identity()["Account"] == srv.account
    srv.proc.send_signal(signal.SIGINT)
    rc = srv.proc.wait(30)
    srv.proc = None
    assert rc == 0, srv.log()
    assert "received SIGINT" in srv.log()


@pytest.mark.parametrize("body_at,release_at", [(0, 0.5), (3, 11.5)], ids=["within-grace", "beyond-grace"])
@pytest.mark.sqlite_only("holds DATA/audit.db's write lock")
def test_sigterm_answers_a_request_whose_audit_is_pending(server_factory, body_at, release_at):
    """A GetSessionToken in flight at SIGTERM (its headers sent, its body `body_at` s after the signal) whose durable
    audit record must wait (another process holds DATA/audit.db's write lock until `release_at` s after the
    signal): the server stops accepting at once, still answers that request with its credentials once the record
    is written, exits 0, and the record is in the trail. beyond-grace: the record is written after the 10 s grace
    for requests in flight has run out (but within the audit committer's 10 s busy timeout): the held response is
    still waited for (libmicrohttpd aborts the process if stopped with a connection suspended)."""
    import sqlite3

    srv = server_factory.start()
    admin = rg.admin_creds(srv)
    body = rg.form(Action="GetSessionToken", Version="2011-06-15").encode()
    target, h = rg.sign(srv, body, creds=admin, service="sts")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    conn.putrequest("POST", target, skip_accept_encoding=True)
    for k, v in h.items():
        conn.putheader(k, v)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    conn.send(body[:5])
    lock = sqlite3.connect(str(srv.data_dir / "audit.db"), timeout=30, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        time.sleep(0.2)
        srv.proc.send_signal(signal.SIGTERM)
        t_sig = time.monotonic()
        while "received SIGTERM" not in srv.log() and time.monotonic() - t_sig < 20:
            time.sleep(0.02)
        assert "received SIGTERM" in srv.log()
        # no longer accepting: a new connection is refused
        refused = False
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
            except ConnectionRefusedError:
                refused = True
                break
            time.sleep(0.02)
        assert refused, "still accepting connections after SIGTERM"
        time.sleep(max(0, body_at - (time.monotonic() - t_sig)))
        conn.send(body[5:])
        time.sleep(max(0, release_at - (time.monotonic() - t_sig)))
        assert srv.running(), srv.log()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    r = conn.getresponse()
    raw = rg.Raw(r.status, r.getheaders(), r.read())
    conn.close()
    assert raw.status == 200, raw
    ns = "{https://sts.amazonaws.com/doc/2011-06-15/}"
    creds = raw.xml().find(f"{ns}GetSessionTokenResult/{ns}Credentials")
    rg.SEEN_SECRETS.add(creds.findtext(f"{ns}SecretAccessKey"))
    assert creds.findtext(f"{ns}AccessKeyId").startswith("ASIA")
    rc = srv.proc.wait(30)
    srv.proc = None
    assert rc == 0, srv.log()
    db = sqlite3.connect(f"file:{srv.data_dir / 'audit.db'}?mode=ro", uri=True)
    rows = db.execute("SELECT action, outcome FROM audit WHERE request_id = ?", (raw.request_id,)).fetchall()
    db.close()
    assert rows == [("sts:GetSessionToken", "Success")], (rows, srv.log())


def test_sighup_does_not_stop_the_server(server_factory):
    """systemctl reload (contrib/systemd: ExecReload=kill -HUP) leaves the server serving."""
    srv = server_factory.start()
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 20
    while "received SIGHUP" not in srv.log() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "received SIGHUP" in srv.log()
    assert srv.running()
    assert rg.client(srv, "sts").get_caller_identity()["Account"] == srv.account
    assert rg.send(srv, "GET", "/ready").status == 200
    srv.stop_ok()
