#!/usr/bin/env python3
"""simulate_bench.py - the policy simulator's benchmark (part of `make bench`): one signed SimulatePrincipalPolicy
call for 100 actions x 10 resources (1 000 evaluation results) through the server, timed over many calls.

    python3 bench/simulate_bench.py URL ACCESS_KEY_ID SECRET [CALLS]

The credentials are an administrator's (bench/run.sh passes its root key). The script makes a user `simbench` in a
group with two policies (an allow of iam:Get* / iam:List* on roles, a deny of iam:Delete* on prod roles) and a
permissions boundary, then replays one request signed with botocore's SigV4 (valid for the whole run: the 15-minute
skew window) over one keep-alive connection. Prints the median and p99 time per call against the target (<= 20 ms).
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

VERBS = ["Get", "List", "Create", "Delete", "Update", "Put", "Tag", "Untag", "Attach", "Detach"]
NOUNS = ["Role", "User", "Group", "Policy", "RolePolicy", "UserPolicy", "GroupPolicy", "InstanceProfile",
         "AccessKey", "LoginProfile"]
TARGET_MS = 20.0


def setup(url, akid, secret):
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=akid,
                       aws_secret_access_key=secret)
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "arn:aws:iam::*:role/*"},
        {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:role/dev-*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iam:Delete*", "Resource": "arn:aws:iam::*:role/prod-*"}]}
    boundary = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    iam.create_user(UserName="simbench")
    iam.create_group(GroupName="simbench")
    iam.add_user_to_group(GroupName="simbench", UserName="simbench")
    iam.put_group_policy(GroupName="simbench", PolicyName="allow", PolicyDocument=json.dumps(allow))
    arn = iam.create_policy(PolicyName="simbench-deny", PolicyDocument=json.dumps(deny))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="simbench", PolicyArn=arn)
    barn = iam.create_policy(PolicyName="simbench-boundary", PolicyDocument=json.dumps(boundary))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="simbench", PermissionsBoundary=barn)
    return iam.get_user(UserName="simbench")["User"]["Arn"]


def main():
    url, akid, secret = sys.argv[1:4]
    calls = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    user_arn = setup(url, akid, secret)
    account = user_arn.split(":")[4]
    actions = ["iam:%s%s" % (v, n) for v in VERBS for n in NOUNS]
    resources = ["arn:aws:iam::%s:role/%s-%d" % (account, env, i) for env in ("dev", "prod") for i in range(5)]
    form = [("Action", "SimulatePrincipalPolicy"), ("Version", "2010-05-08"), ("PolicySourceArn", user_arn),
            ("MaxItems", "1000")]
    form += [("ActionNames.member.%d" % (i + 1), a) for i, a in enumerate(actions)]
    form += [("ResourceArns.member.%d" % (i + 1), r) for i, r in enumerate(resources)]
    body = urllib.parse.urlencode(form)
    req = AWSRequest(method="POST", url=url + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(akid, secret), "iam", "us-east-1").add_auth(req)
    headers = dict(req.headers.items())
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    times = []
    for i in range(calls + 10):
        t = time.perf_counter()
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        ms = (time.perf_counter() - t) * 1000
        if resp.status != 200:
            sys.exit("bench/simulate_bench.py: HTTP %d: %s" % (resp.status, data[:300]))
        if i == 0:
            results = data.count(b"<EvalDecision>")
            if results != len(actions) * len(resources):
                sys.exit("bench/simulate_bench.py: %d results, expected %d" % (results, len(actions) * len(resources)))
        if i >= 10:  # the first calls warm the caches
            times.append(ms)
    times.sort()
    med = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print("SimulatePrincipalPolicy, %d actions x %d resources (%d results, one signed call): median %.1f ms, "
          "p99 %.1f ms over %d calls (target <= %.0f ms: %s)" % (len(actions), len(resources),
                                                                 len(actions) * len(resources), med, p99, calls,
                                                                 TARGET_MS, "met" if med <= TARGET_MS else "MISSED"))


if __name__ == "__main__":
    main()
