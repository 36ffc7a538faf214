#!/usr/bin/env python3
"""signed_request.py - writes a wrk Lua script that replays one SigV4-signed STS request.

    python3 bench/signed_request.py ENDPOINT ACCESS_KEY_ID SECRET OUT.lua      (sts:GetCallerIdentity)

SigV4 accepts a replayed request while its date is within the 15-minute skew window, so one signature serves a
whole benchmark run: what is measured is the server's verification, not the client's signing.
bench/assume_request.py uses write_lua for its sts:AssumeRole request.
"""
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def lua_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_lua(endpoint, credentials, body, out):
    """Signs POST `body` (an STS query-protocol form) with botocore's Credentials and writes the wrk script."""
    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(credentials, "sts", "us-east-1").add_auth(req)
    with open(out, "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write("wrk.body = %s\n" % lua_str(body))
        f.write("wrk.headers = {}\n")
        for k, v in req.headers.items():
            f.write("wrk.headers[%s] = %s\n" % (lua_str(k), lua_str(v)))


def main():
    endpoint, akid, secret, out = sys.argv[1:5]
    write_lua(endpoint, Credentials(akid, secret), "Action=GetCallerIdentity&Version=2011-06-15", out)


if __name__ == "__main__":
    main()
