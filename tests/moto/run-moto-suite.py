#!/usr/bin/env python3
"""Runs moto's own IAM and STS test suites in server mode against `rolegate server --compat moto`.

    tests/moto/run-moto-suite.py MOTO_SRC [--suite tests/test_iam] [--out DIR] [-- PYTEST_ARGS...]

MOTO_SRC is a moto source tree (its tests are not in the wheel pip installs). From the search tool's mirror, a bare
git directory, take the tag matching the installed moto:

    git --git-dir=/work/.mirror/getmoto+moto/repo archive 5.2.1 tests | tar -x -C /tmp/moto-src

For each suite (default: tests/test_iam and tests/test_sts) it starts a fresh rolegate (ROLEGATE_BIN, default
build/asan/rolegate) with --compat moto on 127.0.0.1, runs pytest through tests/e2e/run_pytest.py's python with
TEST_SERVER_MODE=true TEST_SERVER_MODE_ENDPOINT=<its URL> (moto's decorators then send every boto3 call there and
POST /moto-api/reset around each test), and prints passed/failed/errors/skipped per suite and the failures grouped
by their error line. The installed moto is the one used: only MOTO_SRC's tests/ are read. Debian's
python3-freezegun is added to the path when installed (two of moto's files import it). No network: every request
goes to the local server. Not run by `make test` (moto's source is not in the repository); docs/moto-compat.md holds
the numbers it printed last.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "tests" / "e2e" / "run_pytest.py"
LISTEN_RE = re.compile(r"listening on http://127\.0\.0\.1:(\d+) ")
DIST = Path("/usr/lib/python3/dist-packages")


def start_server(binary, data, log_path, extra):
    log = open(log_path, "wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_ROOT_")}
    proc = subprocess.Popen([str(binary), "server", "--listen", "127.0.0.1:0", "--data", str(data), "--compat", "moto",
                             *extra], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=log, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        m = LISTEN_RE.search(Path(log_path).read_text(errors="replace"))
        if m:
            return proc, f"http://127.0.0.1:{m.group(1)}"
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"rolegate did not start:\n{Path(log_path).read_text(errors='replace')}")


def extra_path(tmp):
    """A directory of links to Debian's freezegun (when installed), for PYTHONPATH."""
    d = Path(tmp) / "pypath"
    d.mkdir()
    for name in ("freezegun",):
        if (DIST / name).exists():
            (d / name).symlink_to(DIST / name)
    return str(d)


def first_line(el):
    text = (el.get("message") or el.text or "").strip()
    for line in text.splitlines():
        line = line.strip()
        if line:
            return re.sub(r"[0-9a-f]{8,}|\d{6,}", "#", line)[:200]
    return "(no message)"


def summarize(xml_path):
    root = ET.parse(xml_path).getroot()
    counts = collections.Counter()
    reasons = collections.defaultdict(list)
    for case in root.iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        for kind in ("failure", "error", "skipped"):
            el = case.find(kind)
            if el is not None:
                counts[{"failure": "failed", "error": "errors", "skipped": "skipped"}[kind]] += 1
                if kind != "skipped":
                    reasons[f"{kind}: {first_line(el)}"].append(name)
                break
        else:
            counts["passed"] += 1
    return counts, reasons


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("moto_src")
    ap.add_argument("--suite", action="append", help="a test directory or file of MOTO_SRC (repeatable)")
    ap.add_argument("--out", help="keep the logs and junit files here (default: a temporary directory)")
    ap.add_argument("pytest_args", nargs="*")
    args = ap.parse_args()
    src = Path(args.moto_src).resolve()
    suites = args.suite or ["tests/test_iam", "tests/test_sts"]
    binary = Path(os.environ.get("ROLEGATE_BIN") or REPO / "build" / "asan" / "rolegate")
    if not (src / "tests" / "conftest.py").exists():
        sys.exit(f"{src} is not a moto source tree (no tests/conftest.py)")
    tmp = tempfile.mkdtemp(prefix="rg-moto-")
    out = Path(args.out or tmp)
    out.mkdir(parents=True, exist_ok=True)
    total = collections.Counter()
    try:
        pypath = extra_path(tmp)
        for suite in suites:
            tag = suite.strip("/").replace("/", "_")
            proc, url = start_server(binary, Path(tmp) / f"data-{tag}", out / f"{tag}.server.log", [])
            env = dict(os.environ, TEST_SERVER_MODE="true", TEST_SERVER_MODE_ENDPOINT=url,
                       PYTHONPATH=pypath + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH")
                                            else ""))
            for k in [k for k in env if k.startswith("AWS_")]:
                del env[k]
            junit = out / f"{tag}.xml"
            cmd = [sys.executable, str(RUNNER), "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--color=no",
                   f"--junitxml={junit}", suite, *args.pytest_args]
            with open(out / f"{tag}.pytest.log", "wb") as log:
                subprocess.run(cmd, cwd=src, env=env, stdout=log, stderr=subprocess.STDOUT)
            proc.terminate()
            proc.wait(60)
            counts, reasons = summarize(junit)
            total += counts
            run = counts["passed"] + counts["failed"] + counts["errors"]
            print(f"{suite}: {counts['passed']} passed, {counts['failed']} failed, {counts['errors']} errors, "
                  f"{counts['skipped']} skipped ({100 * counts['passed'] / max(run, 1):.1f} % of those run passed)")
            for reason, names in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
                print(f"  {len(names):4d}  {reason}")
                for n in names[:3]:
                    print(f"          {n}")
        print(f"total: {total['passed']} passed, {total['failed']} failed, {total['errors']} errors, "
              f"{total['skipped']} skipped")
        print(f"logs and junit files: {out}")
    finally:
        if not args.out:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
