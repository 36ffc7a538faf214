"""The e2e runner (tests/e2e/run_pytest.py) gives every machine the same path: botocore signs in Python, never
through the CRT, even where Debian's awscli has installed python3-awscrt. No test here patches botocore: the tests
about time sign at an explicit time (tests/e2e/signer.py), and this checks the rest sign as they do everywhere."""
import os
import subprocess
import sys

import botocore.auth
import botocore.compat
import pytest

import rg
import signer

DIST = "/usr/lib/python3/dist-packages"


def test_botocore_signs_without_the_crt():
    assert botocore.compat.HAS_CRT is False
    assert botocore.auth.AUTH_TYPE_MAPS["v4"] is botocore.auth.SigV4Auth
    assert botocore.auth.AUTH_TYPE_MAPS["v4-query"] is botocore.auth.SigV4QueryAuth
    with pytest.raises(ImportError):
        import awscrt  # noqa: F401
    # the whole of Debian's directory is not on the path (only pytest's own packages, through links)
    assert DIST not in [os.path.abspath(p or ".") for p in sys.path]


def test_processes_started_by_the_tests_do_not_use_the_crt():
    env = rg.cli_env(os.devnull, os.devnull)
    assert env.get("BOTO_DISABLE_CRT") == "true"
    # the python the aws CLI (pip's, next to this python) runs on: botocore there signs without the CRT too
    p = subprocess.run([sys.executable, "-c", "import botocore.compat as c, botocore.auth as a; "
                        "print(c.HAS_CRT, a.AUTH_TYPE_MAPS['v4'].__name__)"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["False", "SigV4Auth"]


def test_explicit_time_signer_matches_botocore(server):
    """tests/e2e/signer.py and botocore's SigV4Auth agree byte for byte on a request, so the tests signed with it
    test the server as a real client does."""
    import calendar
    import time

    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    ak, sk = server.root
    url = server.url + "/?Path=%2Fa%2Bb%2F&Action=ListUsers&Version=2010-05-08&Empty="
    req = AWSRequest(method="GET", url=url, data=b"", headers={})
    botocore.auth.SigV4Auth(Credentials(ak, sk), "iam", rg.REGION).add_auth(req)
    when = calendar.timegm(time.strptime(req.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    ours = signer.sign_headers("GET", url, {}, b"", sk, ak, when, "iam", rg.REGION)
    assert ours["X-Amz-Date"] == req.headers["X-Amz-Date"]
    assert ours["Authorization"] == req.headers["Authorization"]
    # and the server takes it
    r = rg.send(server, "GET", url[len(server.url):], headers={k: v for k, v in ours.items() if k != "Host"})
    assert r.status == 200, r
