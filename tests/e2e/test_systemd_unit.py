"""contrib/systemd/rolegate.service: `systemd-analyze verify` accepts it without a word, its hardening is there (and
`systemd-analyze security --offline` rates it), and its ExecStart command line runs a server that answers.

systemd-analyze comes from Debian's systemd package (scripts/install-deps.sh test). The unit is checked as a temp
copy whose ExecStart names the binary under test (verify requires the command to exist).
"""
import json
import re
import shlex
import shutil
import signal
import subprocess
import time

import rg

UNIT = rg.REPO / "contrib" / "systemd" / "rolegate.service"

# setting -> the value it must have (every value the unit gives it, in order)
HARDENING = {
    "DynamicUser": ["yes"],
    "StateDirectory": ["rolegate"],
    "StateDirectoryMode": ["0700"],
    "UMask": ["0077"],
    "ProtectSystem": ["strict"],
    "ProtectHome": ["yes"],
    "PrivateTmp": ["yes"],
    "PrivateDevices": ["yes"],
    "NoNewPrivileges": ["yes"],
    "CapabilityBoundingSet": [""],
    "AmbientCapabilities": [""],
    "RestrictAddressFamilies": ["AF_INET AF_INET6 AF_UNIX"],
    "SystemCallFilter": ["@system-service", "~@privileged"],
    "SystemCallArchitectures": ["native"],
    "MemoryDenyWriteExecute": ["yes"],
    "LockPersonality": ["yes"],
    "RestrictNamespaces": ["yes"],
    "RestrictRealtime": ["yes"],
    "RestrictSUIDSGID": ["yes"],
    "ProtectKernelTunables": ["yes"],
    "ProtectKernelModules": ["yes"],
    "ProtectControlGroups": ["yes"],
    "KillSignal": ["SIGTERM"],
    "ExecReload": ["/bin/kill -HUP $MAINPID"],
}


def systemd_analyze():
    path = shutil.which("systemd-analyze")
    assert path, "systemd-analyze is not installed (scripts/install-deps.sh test installs Debian's systemd)"
    return path


def settings(text):
    """{key: [values]} of the unit's [Service] section (comments and other sections skipped)."""
    out, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            k, _, v = line.partition("=")
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def unit_copy(tmp_path, text=None, name="rolegate.service"):
    """A copy of the unit whose ExecStart runs the binary under test."""
    text = UNIT.read_text() if text is None else text
    text, n = re.subn(r"^ExecStart=/usr/local/bin/rolegate ", f"ExecStart={rg.BIN} ", text, flags=re.M)
    assert n == 1, "ExecStart=/usr/local/bin/rolegate ... not found in the unit"
    path = tmp_path / name
    path.write_text(text)
    return path


def verify(path):
    p = subprocess.run([systemd_analyze(), "verify", "--man=no", str(path)], capture_output=True, text=True,
                       timeout=120)
    # verify also speaks of other units it loads (dependencies): only what it says about this one counts
    said = [l for l in (p.stdout + p.stderr).splitlines() if path.name in l or str(path) in l]
    return p.returncode, said


def test_unit_verifies_clean(tmp_path):
    rc, said = verify(unit_copy(tmp_path))
    assert rc == 0 and not said, said


def test_verify_catches_a_broken_unit(tmp_path):
    """The check above can fail: a misspelt key, a bad value or a missing binary are all reported."""
    text = UNIT.read_text()
    broken = {
        "typo.service": text.replace("\nDynamicUser=yes", "\nDynamicUzer=yes"),
        "value.service": text.replace("ProtectSystem=strict", "ProtectSystem=stricter"),
    }
    for name, t in broken.items():
        assert t != text
        rc, said = verify(unit_copy(tmp_path, t, name))
        assert said, f"{name}: systemd-analyze verify said nothing"
    missing = tmp_path / "missing.service"
    missing.write_text(text.replace("/usr/local/bin/rolegate ", str(tmp_path / "no-such-rolegate") + " ", 1))
    rc, said = verify(missing)
    assert rc != 0 and said


def test_unit_hardening(tmp_path):
    s = settings(UNIT.read_text())
    for key, want in HARDENING.items():
        assert s.get(key) == want, f"{key}: {s.get(key)} (want {want})"
    assert "User" not in s, "DynamicUser=yes: no fixed user"
    # systemd's own rating of the sandbox (0 = fully locked down, 10 = none): "OK" is below 2.0
    path = unit_copy(tmp_path)
    p = subprocess.run([systemd_analyze(), "security", "--offline=yes", "--threshold=20", "--json=short", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    checks = {c["name"]: c for c in json.loads(p.stdout)}
    for name in ("NoNewPrivileges=", "ProtectSystem=", "ProtectHome=", "PrivateTmp=", "MemoryDenyWriteExecute=",
                 "LockPersonality=", "RestrictAddressFamilies=~AF_PACKET", "SystemCallFilter=~@mount",
                 "CapabilityBoundingSet=~CAP_SYS_ADMIN", "User=/DynamicUser="):
        assert checks[name]["set"], (name, checks[name])


def test_execstart_runs_a_server(tmp_path):
    """The unit's command line, with its state directory and port swapped for a temporary one, serves."""
    argv = shlex.split(settings(UNIT.read_text())["ExecStart"][0])
    assert argv[0] == "/usr/local/bin/rolegate" and argv[1] == "server"
    assert argv[argv.index("--data") + 1] == "/var/lib/rolegate"
    listen = argv[argv.index("--listen") + 1]
    assert re.fullmatch(r"127\.0\.0\.1:\d+", listen), listen
    argv[0] = str(rg.BIN)
    argv[argv.index("--data") + 1] = str(tmp_path / "state")
    argv[argv.index("--listen") + 1] = "127.0.0.1:0"
    log = tmp_path / "log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 30
        while not (m := rg.LISTEN_RE.search(log.read_text())) and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.02)
        assert m, log.read_text()

        assert m.group(1) == "http"  # the unit listens on loopback without TLS

        class S:
            port = int(m.group(2))
        assert rg.send(S, "GET", "/ready").status == 200
        assert rg.send(S, "GET", "/health").status == 200
        # generated root credentials land in the state directory, mode 0600
        creds = tmp_path / "state" / "root-credentials"
        assert creds.is_file() and creds.stat().st_mode & 0o077 == 0
        secret = re.search(r"^aws_secret_access_key\s*=\s*(\S+)", creds.read_text(), re.M)
        assert secret and secret.group(1) not in log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(60)
    assert rc == 0, log.read_text()


def test_install_deps_names_systemd():
    """The test set installs systemd-analyze on a fresh machine."""
    text = (rg.REPO / "scripts" / "install-deps.sh").read_text()
    m = re.search(r'^test_pkgs="([^"]*)"', text, re.M)
    assert m and "systemd" in m.group(1).split(), m
