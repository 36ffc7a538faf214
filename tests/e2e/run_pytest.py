#!/usr/bin/env python3
"""Runs pytest for the end-to-end tests with the python that has boto3 and the AWS CLI.

pytest comes from Debian (python3-pytest, /usr/lib/python3/dist-packages); boto3/botocore come from pip. The path is
the same on every machine: this python's own packages, then ONLY pytest and the packages it needs, from Debian's
directory (symbolic links in a temporary directory), never the whole of it. Appending the whole directory brought in
whatever else Debian had installed there: python3-awscrt (which Debian's awscli installs) made botocore sign through
the CRT. awscrt is also refused outright (and BOTO_DISABLE_CRT is set for the processes the tests start), so that
botocore signs in Python here whatever is installed; tests/e2e/test_runner.py checks it.

    ROLEGATE_BIN=build/asan/rolegate python3 tests/e2e/run_pytest.py -q tests/e2e
"""
import atexit
import importlib.abc
import os
import shutil
import sys
import tempfile

DIST = "/usr/lib/python3/dist-packages"
# pytest 7 and what it imports (Debian 12's python3-pytest depends on these; attrs and others come from pip).
PYTEST_PACKAGES = ("pytest", "_pytest", "py.py", "pluggy", "iniconfig", "packaging", "exceptiongroup", "tomli")
# What the tests themselves take from Debian: python3-prometheus-client (test_metrics.py parses /metrics with it),
# python3-selenium (the console's browser tests: tests/e2e/console_browser.py drives chromium with it).
TEST_PACKAGES = ("prometheus_client", "selenium")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class RefuseAwsCrt(importlib.abc.MetaPathFinder):
    """Makes `import awscrt` fail: botocore then signs in Python (it decides once, at import: compat.HAS_CRT)."""

    def find_spec(self, name, path=None, target=None):
        if name == "awscrt" or name.startswith("awscrt."):
            raise ModuleNotFoundError(f"No module named {name!r} (refused by tests/e2e/run_pytest.py)", name=name)
        return None


def pytest_path():
    """A temporary directory holding links to pytest's packages and TEST_PACKAGES in DIST (those that exist there)."""
    d = tempfile.mkdtemp(prefix="rg-pytest-")
    atexit.register(shutil.rmtree, d, True)
    for name in PYTEST_PACKAGES + TEST_PACKAGES:
        src = os.path.join(DIST, name)
        if os.path.exists(src):
            os.symlink(src, os.path.join(d, name))
    return d


os.environ["BOTO_DISABLE_CRT"] = "true"
sys.meta_path.insert(0, RefuseAwsCrt())
# None in sys.modules also refuses `import awscrt`, and makes importlib.util.find_spec("awscrt") answer None (not
# installed) instead of raising: moto asks that way (moto/core/compat.py), tests/moto/ run through this python.
sys.modules["awscrt"] = None
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != DIST]
sys.path.append(pytest_path())

if not os.environ.get("ROLEGATE_BIN"):
    os.environ["ROLEGATE_BIN"] = os.path.join(REPO, "build", "asan", "rolegate")

import pytest  # noqa: E402

if __name__ == "__main__":
    sys.exit(pytest.main(sys.argv[1:]))
