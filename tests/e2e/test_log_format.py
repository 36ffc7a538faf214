"""--log-format: logfmt by default, json on request (one object per line, every line, with ts, level and msg)."""
import json
import re
import subprocess

import rg


def exercise(srv):
    """Requests that log: a granted call, a refused one, an unsigned one, a probe."""
    iam = rg.client(srv, "iam")
    name = rg.unique("logfmt")
    iam.create_user(UserName=name)
    assert rg.signed(srv, rg.iam_form("GetUser", UserName="no-such-user")).status == 404
    assert rg.send(srv, "GET", '/?Action=%22%0A%FF').status == 403
    assert rg.send(srv, "GET", "/health").status == 200
    return name


def test_json_every_line_parses(server_factory):
    srv = server_factory.start(args=["--log-format", "json", "--log-level", "debug"])
    name = exercise(srv)
    srv.stop_ok()
    lines = srv.log().splitlines()
    assert len(lines) >= 8, lines
    records = []
    for line in lines:
        rec = json.loads(line)  # every line: a JSON object
        assert isinstance(rec, dict), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["ts"]), line
        assert rec["level"] in ("debug", "info", "warn", "error"), line
        assert isinstance(rec["msg"], str), line
        records.append(rec)
    assert any(r["msg"].startswith(f"listening on http://127.0.0.1:{srv.port}") for r in records)
    requests = [r for r in records if r["msg"] == "request"]
    ok = [r for r in requests if r.get("action") == "iam:CreateUser"]
    assert len(ok) == 1 and ok[0]["status"] == 200 and ok[0]["error"] == "-", requests
    assert ok[0]["principal"] == f"arn:aws:iam::{srv.account}:root"
    assert isinstance(ok[0]["latency_us"], int) and re.fullmatch(r"[0-9a-f-]{36}", ok[0]["req"])
    refused = [r for r in requests if r.get("action") == "iam:GetUser"]
    assert refused and refused[0]["status"] == 404 and refused[0]["error"] == "NoSuchEntity"
    assert any(r["status"] == 403 and r["error"] == "MissingAuthenticationToken" for r in requests)
    assert any(r["msg"] == "stopped" for r in records)
    assert name  # no secret in the log
    assert srv.root[1] not in srv.log()


def test_logfmt_is_the_default(server_factory):
    srv = server_factory.start()
    exercise(srv)
    srv.stop_ok()
    lines = srv.log().splitlines()
    line_re = re.compile(r"ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) \S")
    for line in lines:
        assert line_re.match(line), line
        assert not line.startswith("{"), line
    assert any(re.search(r"level=info msg=\"listening on http://127\.0\.0\.1:\d+ ", l) for l in lines)
    assert any(re.search(r"level=info req=\S+ ip=127\.0\.0\.1 principal=arn:aws:iam::\d{12}:root "
                         r"action=iam:CreateUser status=200 error=- latency_us=\d+$", l) for l in lines)


def test_an_unknown_format_is_refused(tmp_path):
    p = subprocess.run([str(rg.BIN), "server", "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d"),
                        "--log-format", "xml"], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "--log-format: 'xml' is not one of logfmt|json" in p.stderr
    assert not (tmp_path / "d").exists()


def test_logfmt_message_stays_one_line(tmp_path):
    """A value an operator or a client controls, with a newline and quotes, cannot forge a second log line."""
    listen = 'nowhere\nts=2026-01-01T00:00:00.000Z level=error msg="forged" x=\\'
    p = subprocess.run([str(rg.BIN), "server", "--data", str(tmp_path / "d"), "--listen", listen],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    lines = p.stderr.splitlines()
    bad = [l for l in lines if "refusing plain HTTP on non-loopback address nowhere" in l]
    assert len(bad) == 1 and "forged" in bad[0], p.stderr
    assert not any(l.startswith("ts=2026-01-01") for l in lines), p.stderr
    assert 'nowhere\\nts=2026-01-01T00:00:00.000Z level=error msg=\\"forged\\" x=\\\\' in bad[0], bad[0]
