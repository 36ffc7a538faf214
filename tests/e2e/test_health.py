"""GET /health and GET /ready: unauthenticated probes for load balancers, answered before the AWS protocols."""
import http.client
import json
import signal
import subprocess
import sys
import time

import pytest

import rg

# Another process holds SQLite's WAL read-mark locks exclusively (bytes 123..127 of the -shm file, as os_unix.c lays
# them out; 128 is the DMS lock every connection holds shared): every reader of that database then fails
# (SQLITE_PROTOCOL after SQLite's bounded retries, about 10 s).
LOCKER = r"""
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
for _ in range(200):
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 5, 123, 0)
        break
    except BlockingIOError:
        time.sleep(0.05)
else:
    sys.exit(1)
print("locked", flush=True)
sys.stdin.read()
"""


def get(srv, path, headers=None, timeout=30):
    return rg.send(srv, "GET", path, headers=headers, timeout=timeout)


def test_health_and_ready_on_a_running_server(server):
    for path, status in (("/health", "ok"), ("/ready", "ready")):
        r = get(server, path)
        assert r.status == 200, r
        assert r.headers["content-type"].startswith("application/json")
        assert json.loads(r.body) == {"status": status}
        # no AWS request id, nothing but the status
        assert "x-amzn-requestid" not in r.headers
    # not logged as API calls, not audited
    assert "/health" not in server.log() and "action=-:-" not in server.log()


def test_health_with_an_authorization_header_or_a_query(server):
    r = get(server, "/health", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAX/garbage"})
    assert r.status == 200 and json.loads(r.body) == {"status": "ok"}, r
    r = get(server, "/health?Action=ListUsers&Version=2010-05-08")
    assert r.status == 200 and json.loads(r.body) == {"status": "ok"}, r
    r = get(server, "/ready?verbose=1", headers={"Authorization": "Bearer x"})
    assert r.status == 200 and json.loads(r.body) == {"status": "ready"}, r
    r = rg.send(server, "HEAD", "/health")
    assert r.status == 200 and r.body == b""


def test_other_paths_keep_the_aws_api(server):
    # unsigned requests elsewhere get AWS's refusal, not a probe's answer
    for method, path in (("GET", "/healthz"), ("GET", "/health/"), ("GET", "/"), ("POST", "/health"),
                         ("GET", "/Health")):
        r = rg.send(server, method, path)
        assert r.status in (400, 403), (method, path, r)
        assert r.error()["code"] in ("MissingAuthenticationToken", "MissingAction", "InvalidAction",
                                     "IncompleteSignature"), (method, path, r)
    # a signed API call still works, on any path
    r = rg.signed(server, rg.iam_form("ListUsers"))
    assert r.status == 200, r


@pytest.mark.sqlite_only('locks DATA/rolegate.db-shm')
def test_health_is_503_when_the_store_does_not_answer(server_factory):
    srv = server_factory.start()
    assert get(srv, "/health").status == 200
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(srv.data_dir / "rolegate.db-shm")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        r = get(srv, "/health", timeout=90)
        took = time.monotonic() - t0
        assert r.status == 503, r
        assert json.loads(r.body) == {"status": "unavailable"}
        assert took < 60
        # /ready is about start-up, not the store
        assert get(srv, "/ready").status == 200
    finally:
        locker.stdin.close()
        locker.wait(10)
    # the store answers again: so does /health
    r = get(srv, "/health")
    assert r.status == 200 and json.loads(r.body) == {"status": "ok"}, r
    assert "health: the store does not answer" in srv.log()


def test_ready_is_503_while_stopping(server_factory):
    """After SIGTERM /ready answers 503 on connections already open, while a request in flight is finished."""
    srv = server_factory.start()
    probe = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    probe.request("GET", "/ready")
    r = probe.getresponse()
    assert r.status == 200 and r.read()
    # a request in flight: headers sent, the body not yet
    body = rg.iam_form("CreateUser", UserName=rg.unique("inflight")).encode()
    target, h = rg.sign(srv, body)
    slow = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    slow.putrequest("POST", target, skip_accept_encoding=True)
    for k, v in h.items():
        slow.putheader(k, v)
    slow.putheader("Content-Length", str(len(body)))
    slow.endheaders()
    slow.send(body[:10])
    time.sleep(0.2)
    srv.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    while "received SIGTERM" not in srv.log() and time.monotonic() < deadline:
        time.sleep(0.02)
    probe.request("GET", "/ready")
    r = probe.getresponse()
    assert r.status == 503, r.status
    assert json.loads(r.read()) == {"status": "not ready"}
    slow.send(body[10:])
    r = slow.getresponse()
    assert r.status == 200, r.read()
    rc = srv.proc.wait(30)
    srv.proc = None
    assert rc == 0, srv.log()
