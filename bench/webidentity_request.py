#!/usr/bin/env python3
"""webidentity_request.py - writes a wrk Lua script that replays one sts:AssumeRoleWithWebIdentity of a seed server,
with the issuer's keys already in the server's cache.

    python3 bench/webidentity_request.py ENDPOINT DATA_DIR OUT.lua

DATA_DIR is a server's data directory made with `--example seed`. The script starts the test OIDC issuer of
tests/e2e/oidckit.py (HTTPS on loopback, its own CA), registers it in the Ops account with its CA's thumbprint
(the seed's root key), creates a role trusting it for one GitHub repository (aud and sub conditions), makes one call
so that the server fetches and caches the issuer's keys, writes the unsigned request (a GitHub-Actions-shaped RS256
token valid for an hour) as a wrk script, and stops the issuer: every replay is the whole path with a cached key set
(RS256 verification, the trust policy with the provider's keys, a new sealed token, the audit record durable before
the answer), and none can reach the issuer.
"""
import json
import os
import sys
import tempfile
import time
import urllib.parse

import boto3

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import oidckit  # noqa: E402
from signed_request import lua_str  # noqa: E402


def main():
    endpoint, data_dir, out = sys.argv[1:4]
    creds = dict(line.split(" = ", 1) for line in open(data_dir + "/root-credentials").read().splitlines()
                 if " = " in line)
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=creds["aws_access_key_id"],
              aws_secret_access_key=creds["aws_secret_access_key"])
    iam = boto3.client("iam", **kw)
    with tempfile.TemporaryDirectory() as tmp:
        iss = oidckit.Issuer(tmp)
        try:
            provider = iam.create_open_id_connect_provider(Url=iss.url, ClientIDList=["sts.amazonaws.com"],
                                                           ThumbprintList=[iss.thumbprint])["OpenIDConnectProviderArn"]
            trust = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{iss.host_path}:aud": "sts.amazonaws.com"},
                              "StringLike": {f"{iss.host_path}:sub": "repo:acme/infra:*"}}}]}
            role = iam.create_role(RoleName="bench-ci", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
            token = iss.token(exp=int(time.time()) + 3600)
            body = urllib.parse.urlencode({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                                           "RoleArn": role["Arn"], "RoleSessionName": "bench",
                                           "WebIdentityToken": token})
            from botocore import UNSIGNED
            from botocore.config import Config
            sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                               config=Config(signature_version=UNSIGNED))
            sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="warm", WebIdentityToken=token)
        finally:
            iss.stop()
    with open(out, "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write("wrk.body = %s\n" % lua_str(body))
        f.write("wrk.headers = {}\n")
        f.write('wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"\n')


if __name__ == "__main__":
    main()
