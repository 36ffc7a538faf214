#!/usr/bin/env python3
"""propagation.py - how long a write on one node takes to be in force on another node of the same PostgreSQL.

    python3 bench/propagation.py URL_A URL_B ROOT_CREDENTIALS N

ROOT_CREDENTIALS is a node's DATA/root-credentials (the management account's root key). A user with an access key
and IAMReadOnlyAccess attached is made through node A; then N times each:
  key:    UpdateAccessKey Inactive through A; node B is asked back to back, on one kept-alive connection, with the
          user's signed sts:GetCallerIdentity until it answers InvalidClientTokenId (403); then Active again through
          A, and B asked until it accepts;
  policy: DetachUserPolicy IAMReadOnlyAccess through A; B is asked the user's signed iam:GetUser until it answers
          AccessDenied (403); then AttachUserPolicy again, and B asked until it allows.
The time of each is taken from the moment the write is sent to A (its own latency included: an upper bound on what a
caller of B could see) to B's first answer in the new state. bench/run.sh runs this while wrk loads the three nodes
behind HAProxy (case k). An answer of any other kind (a 5xx, another error code) stops the run: it is a fault, not a
propagation.

Prints one line: the median and worst of the writes that take a permission away (deactivate, detach), of those that
give it back (activate, attach), and the writes' own latency (median) on A.
"""
import configparser
import http.client
import os
import statistics
import sys
import time
import urllib.parse

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

GIVE_UP_S = 10  # a write not in force on B after this is reported as such, and the run stops
POLICY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


class Probe:
    """A request signed once with the user's key, replayed to B on one kept-alive connection (SigV4 accepts a replay
    within its 15-minute window: what B checks each time is the key's state and the user's policies). refused: the
    error code that means "no" (anything else but a 200 is a fault)."""

    def __init__(self, url, akid, secret, service, body, refused):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.body = body
        self.refused = refused.encode()
        req = AWSRequest(method="POST", url=url + "/", data=self.body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials(akid, secret), service, "us-east-1").add_auth(req)
        self.headers = dict(req.headers.items())
        self.conn = None
        self.asked = 0

    def accepted(self):
        """True when B answers 200, False when it refuses with the expected code; exits on anything else."""
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
                self.conn.request("POST", "/", body=self.body, headers=self.headers)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 2:
                    raise
        self.asked += 1
        if r.status == 200:
            return True
        if r.status == 403 and self.refused in data:
            return False
        sys.exit("propagation: B answered %d: %s" % (r.status, data[:300].decode(errors="replace")))

    def wait_for(self, want, t0):
        """Asks until B's answer is `want`; the seconds since t0."""
        while self.accepted() != want:
            if time.monotonic() - t0 > GIVE_UP_S:
                sys.exit("propagation: B still %s %d s after the write on A"
                         % ("refuses" if want else "allows", GIVE_UP_S))
        return time.monotonic() - t0


def main():
    url_a, url_b, root_file, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cp = configparser.ConfigParser()
    cp.read(root_file)
    root = cp["default"]
    iam = boto3.client("iam", endpoint_url=url_a, region_name="us-east-1",
                       aws_access_key_id=root["aws_access_key_id"],
                       aws_secret_access_key=root["aws_secret_access_key"])
    user = "bench-propagation-%d" % os.getpid()
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=POLICY)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    akid, secret = key["AccessKeyId"], key["SecretAccessKey"]
    key_probe = Probe(url_b, akid, secret, "sts", "Action=GetCallerIdentity&Version=2011-06-15",
                      "InvalidClientTokenId")
    policy_probe = Probe(url_b, akid, secret, "iam", "Action=GetUser&Version=2010-05-08", "AccessDenied")
    key_probe.wait_for(True, time.monotonic())
    policy_probe.wait_for(True, time.monotonic())
    taken, given, write = [], [], []

    def step(probe, want, call, **kw):
        t0 = time.monotonic()
        call(UserName=user, **kw)
        write.append(time.monotonic() - t0)
        (given if want else taken).append(probe.wait_for(want, t0))

    for _ in range(n):
        step(key_probe, False, iam.update_access_key, AccessKeyId=akid, Status="Inactive")
        step(key_probe, True, iam.update_access_key, AccessKeyId=akid, Status="Active")
        step(policy_probe, False, iam.detach_user_policy, PolicyArn=POLICY)
        step(policy_probe, True, iam.attach_user_policy, PolicyArn=POLICY)
    ms = lambda xs, f: "%.1f" % (f(xs) * 1000)
    print("cross-node propagation under k's load: %d writes through node A (UpdateAccessKey, DetachUserPolicy and "
          "back, %d each), node B asked back to back (%d requests): taken away (key deactivated, policy detached) "
          "-> B refuses: median %s ms, worst %s ms; given back -> B allows: median %s ms, worst %s ms (from the "
          "write's send; the write itself on A: median %s ms); target <= 1000 ms: %s"
          % (len(write), n, key_probe.asked + policy_probe.asked, ms(taken, statistics.median), ms(taken, max),
             ms(given, statistics.median), ms(given, max), ms(write, statistics.median),
             "met" if max(taken + given) <= 1.0 else "MISSED"))


if __name__ == "__main__":
    main()
