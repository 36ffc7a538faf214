"""Slow clients cannot keep a signed call waiting: a per-address connection cap, a deadline for a request's whole
head and body (not an idle timer that every byte resets), and, when every connection is taken, the requests still
arriving after 2 s are cut. Loopback only: the slow clients come from other 127.x addresses."""
import errno
import http.client
import re
import resource
import socket
import threading
import time

import pytest

import rg

SLOW = 1100


@pytest.fixture(autouse=True)
def enough_descriptors():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < SLOW + 200:
        pytest.skip("this process may not open enough sockets")
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class Slowloris:
    """Sockets from the given source addresses that send a request line, then a header line every `every` seconds,
    never finishing their request."""

    def __init__(self, port, sources, every=2.0):
        self.socks = []
        self.stop = threading.Event()
        for src in sources:
            s = socket.socket()
            s.bind((src, 0))
            s.settimeout(10)
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            try:
                s.send(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            except OSError:
                pass
            self.socks.append(s)
        self.thread = threading.Thread(target=self.dribble, args=(every,), daemon=True)
        self.thread.start()

    def dribble(self, every):
        n = 0
        while not self.stop.wait(every):
            n += 1
            for s in self.socks:
                try:
                    s.send(b"X-Slow-%d: x\r\n" % n)
                except OSError:
                    pass

    def closed(self):
        """Which sockets the server has closed (EOF or reset)."""
        out = []
        for s in self.socks:
            try:
                out.append(s.recv(1, socket.MSG_DONTWAIT) == b"")
            except BlockingIOError:
                out.append(False)
            except OSError as e:
                out.append(e.errno in (errno.ECONNRESET, errno.EPIPE))
        return out

    def close(self):
        self.stop.set()
        self.thread.join(10)
        for s in self.socks:
            s.close()


def timed_call(srv):
    sts = rg.client(srv, "sts", connect_timeout=5, read_timeout=5)
    t0 = time.monotonic()
    me = sts.get_caller_identity()
    took = time.monotonic() - t0
    assert me["Account"] == srv.account
    return took


def test_slow_clients_from_one_address_do_not_delay_a_signed_call(server_factory):
    srv = server_factory.start()  # the default caps
    timed_call(srv)  # warm: boto3's client and the server's caches
    slow = Slowloris(srv.port, ["127.0.0.2"] * SLOW)
    try:
        time.sleep(1)
        took = [timed_call(srv) for _ in range(3)]
        assert max(took) < 1.0, took
        # beyond the per-address cap (128) the server refused them
        closed = slow.closed()
        assert sum(closed) >= SLOW - 128, sum(closed)
        assert sum(closed) < SLOW  # those under the cap are still being served
    finally:
        slow.close()


def test_slow_clients_from_many_addresses_do_not_delay_a_signed_call(server_factory):
    srv = server_factory.start()
    timed_call(srv)
    # 22 addresses x 50: each under the per-address cap, together more than --max-connections (1024)
    sources = [f"127.0.1.{1 + i % 22}" for i in range(SLOW)]
    slow = Slowloris(srv.port, sources, every=1.0)
    try:
        time.sleep(3)  # every connection is taken and the slow ones have been at it for more than 2 s
        took = [timed_call(srv) for _ in range(3)]
        assert max(took) < 1.0, took
    finally:
        slow.close()


def test_connections_beyond_the_per_address_cap_are_refused(server_factory):
    srv = server_factory.start(args=["--max-connections-per-ip", "5"])
    slow = Slowloris(srv.port, ["127.0.0.3"] * 10)
    try:
        deadline = time.monotonic() + 5
        while sum(slow.closed()) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sum(slow.closed()) == 5
        # another address is served
        assert timed_call(srv) < 1.0
    finally:
        slow.close()


def test_a_slow_request_is_cut_at_the_deadline(server_factory):
    srv = server_factory.start(args=["--request-deadline", "2", "--idle-timeout", "30"])
    # one dribbles its headers, one its body: both every 0.3 s, far inside the idle timeout
    heads = Slowloris(srv.port, ["127.0.0.4"], every=0.3)
    body = socket.create_connection(("127.0.0.1", srv.port), source_address=("127.0.0.5", 0))
    body.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: 1000\r\n\r\n")
    body.setblocking(False)
    t0 = time.monotonic()
    cut = {}
    try:
        while len(cut) < 2 and time.monotonic() - t0 < 8:
            try:
                body.send(b"a")
            except OSError:
                pass
            if heads.closed()[0]:
                cut.setdefault("heads", time.monotonic() - t0)
            try:
                if body.recv(1) == b"":
                    cut.setdefault("body", time.monotonic() - t0)
            except BlockingIOError:
                pass
            except OSError:
                cut.setdefault("body", time.monotonic() - t0)
            time.sleep(0.3)
        assert set(cut) == {"heads", "body"}, cut
        assert all(1.5 <= t <= 4 for t in cut.values()), cut
        assert re.search(r"level=warn msg=\"http: cut [12] connection\(s\) whose request was not in within "
                         r"--request-deadline", srv.log()), srv.log()
        # a request that arrives in time is answered
        assert timed_call(srv) < 1.0
    finally:
        heads.close()
        body.close()


def test_a_kept_alive_connection_may_wait_longer_than_the_deadline(server_factory):
    """The deadline is for a request's arrival: between requests a kept-alive connection has the idle timeout."""
    srv = server_factory.start(args=["--request-deadline", "1", "--idle-timeout", "30"])
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        for _ in range(2):
            body = rg.form(Action="GetCallerIdentity", Version=rg.STS_VERSION).encode()
            target, headers = rg.sign(srv, body, service="sts")
            conn.request("POST", target, body=body, headers=headers)
            r = conn.getresponse()
            assert r.status == 200, r.read()
            r.read()
            time.sleep(2.5)  # longer than the deadline, shorter than the idle timeout
        assert conn.sock is not None  # the same connection served both
    finally:
        conn.close()
