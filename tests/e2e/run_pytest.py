#!/usr/bin/env python3
"""Runs pytest for the end-to-end tests with the python that has boto3 and the AWS CLI.

pytest comes from Debian (python3-pytest, /usr/lib/python3/dist-packages); boto3/botocore come from pip. The Debian
directory is APPENDED to sys.path so that pip's packages still win.

    ROLEGATE_BIN=build/asan/rolegate python3 tests/e2e/run_pytest.py -q tests/e2e
"""
import os
import sys

DIST = "/usr/lib/python3/dist-packages"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if DIST not in sys.path:
    sys.path.append(DIST)

if not os.environ.get("ROLEGATE_BIN"):
    os.environ["ROLEGATE_BIN"] = os.path.join(REPO, "build", "asan", "rolegate")

import pytest  # noqa: E402

if __name__ == "__main__":
    sys.exit(pytest.main(sys.argv[1:]))
