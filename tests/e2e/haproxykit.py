"""Debian's HAProxy (/usr/sbin/haproxy) on loopback in front of N rolegate nodes, for the cluster tests.

    hap = haproxykit.Haproxy(tmp_path, [srv1.port, srv2.port, srv3.port]).start()
    hap.wait_up(3)              # every node passed its health check
    boto3 ... endpoint_url=hap.url
    srv2.kill(); hap.wait_up(2) # the killed node left the pool (< 1 s: see CONFIG)
    hap.stop()

Round robin; `option httpchk GET /health` every 200 ms, a node is out after 2 failed checks and back after 2 good
ones; a request whose connection to a node fails is tried again (`retries`) on another node (`option redispatch`).
A request already sent to a node that dies is not replayed by HAProxy (it may have been executed): the client gets
502 and retries it (boto3's standard retry mode retries 502). Its configuration and its admin socket live in a
directory of their own; every wait is bounded; stop() always ends the process.
"""
import csv
import io
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HAPROXY = "/usr/sbin/haproxy"

CONFIG = """global
    log stderr format short local0 notice
    maxconn 1000
    stats socket {sock} mode 600 level admin
defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout check 1s
    retries 3
    option redispatch 1
    retry-on conn-failure
frontend rolegate
    bind 127.0.0.1:{port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /health
    http-check expect status 200
    default-server inter 200ms fastinter 100ms downinter 200ms fall 2 rise 2 on-marked-down shutdown-sessions
{servers}
"""


def available():
    return Path(HAPROXY).exists()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Haproxy:
    """haproxy -db (foreground) on 127.0.0.1:<port> in front of the rolegate nodes on node_ports (named n1..nN)."""

    def __init__(self, tmpdir, node_ports):
        self.dir = Path(tempfile.mkdtemp(prefix="haproxy-", dir=tmpdir))
        self.port = free_port()
        self.sock = self.dir / "admin.sock"
        self.cfg = self.dir / "haproxy.cfg"
        self.log_path = self.dir / "haproxy.log"
        self.node_ports = list(node_ports)
        servers = "\n".join(f"    server n{i + 1} 127.0.0.1:{p} check" for i, p in enumerate(self.node_ports))
        self.cfg.write_text(CONFIG.format(sock=self.sock, port=self.port, servers=servers))
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        check = subprocess.run([HAPROXY, "-c", "-f", str(self.cfg)], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy -c: {check.stdout}{check.stderr}")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([HAPROXY, "-f", str(self.cfg), "-db"], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"haproxy exited {self.proc.returncode}:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if self.sock.exists():
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"haproxy did not listen within {timeout}s:\n{self.log()}")
            time.sleep(0.05)

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def admin(self, command, timeout=5):
        """One command on the admin socket (`show stat`, `set server nodes/n1 addr 127.0.0.1 port P`, ...)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(str(self.sock))
            s.sendall(command.encode() + b"\n")
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out.decode(errors="replace")
                out += chunk

    def status(self):
        """{server name: status} of the backend's nodes ("UP", "DOWN", "UP 1/2", "MAINT", ...)."""
        text = self.admin("show stat").lstrip("# ")
        return {r["svname"]: r["status"] for r in csv.DictReader(io.StringIO(text))
                if r.get("pxname") == "nodes" and r["svname"] not in ("BACKEND", "FRONTEND")}

    def up(self):
        return sorted(name for name, st in self.status().items() if st == "UP")

    def wait_up(self, count, timeout=15):
        """Waits until exactly `count` nodes are UP; returns the seconds it took."""
        t0 = time.monotonic()
        while len(self.up()) != count:
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"{count} nodes not UP within {timeout}s: {self.status()}")
            time.sleep(0.02)
        return time.monotonic() - t0

    def wait_status(self, node, prefix, timeout=15):
        """Waits until node ("n1", ...) has a status starting with prefix ("DOWN", "UP"); returns the seconds."""
        t0 = time.monotonic()
        while not self.status().get(node, "").startswith(prefix):
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"{node} not {prefix} within {timeout}s: {self.status()}")
            time.sleep(0.01)
        return time.monotonic() - t0

    def set_node_port(self, index, port):
        """Points node n<index+1> at another port (a node started again gets a new ephemeral port)."""
        self.node_ports[index] = port
        out = self.admin(f"set server nodes/n{index + 1} addr 127.0.0.1 port {port}")
        if "changed" not in out and "no need to change" not in out:
            raise RuntimeError(out)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
