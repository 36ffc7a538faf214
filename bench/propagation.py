#!/usr/bin/env python3
"""propagation.py - how long a write on one node takes to be in force on another node of the same PostgreSQL.

    python3 bench/propagation.py URL_A URL_B ROOT_CREDENTIALS N

ROOT_CREDENTIALS is a node's DATA/root-credentials (the management account's root key). A user with an access key
is made through node A; then N times: UpdateAccessKey Inactive through A, and node B is asked back to back, on one
kept-alive connection, with the user's signed sts:GetCallerIdentity until it answers InvalidClientTokenId (403);
then Active again through A, and B asked until it accepts. The time of each is taken from the moment the write is
sent to A (its own latency included: an upper bound on what a caller of B could see) to B's first answer in the new
state. bench/run.sh runs this while wrk loads the three nodes behind HAProxy (case k). A refusal of any other kind
(a 5xx, another error code) stops the run: it is a fault, not a propagation.

Prints one line: the deactivations' median and worst, the reactivations' median and worst, and the write's own
latency (median) on A.
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


class Probe:
    """sts:GetCallerIdentity signed once with the user's key, replayed to B on one kept-alive connection (SigV4
    accepts a replay within its 15-minute window: what B checks each time is the key's state)."""

    def __init__(self, url, akid, secret):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.body = "Action=GetCallerIdentity&Version=2011-06-15"
        req = AWSRequest(method="POST", url=url + "/", data=self.body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials(akid, secret), "sts", "us-east-1").add_auth(req)
        self.headers = dict(req.headers.items())
        self.conn = None
        self.asked = 0

    def accepted(self):
        """True when B accepts the key, False when it refuses it as unknown or inactive; exits on anything else."""
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
        if r.status == 403 and b"InvalidClientTokenId" in data:
            return False
        sys.exit("propagation: B answered %d: %s" % (r.status, data[:300].decode(errors="replace")))

    def wait_for(self, want, t0):
        """Asks until B's answer is `want`; the seconds since t0."""
        while self.accepted() != want:
            if time.monotonic() - t0 > GIVE_UP_S:
                sys.exit("propagation: B still %s the key %d s after the write on A"
                         % ("refuses" if want else "accepts", GIVE_UP_S))
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
    key = iam.create_access_key(UserName=user)["AccessKey"]
    probe = Probe(url_b, key["AccessKeyId"], key["SecretAccessKey"])
    probe.wait_for(True, time.monotonic())
    off, on, write = [], [], []
    for _ in range(n):
        t0 = time.monotonic()
        iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        write.append(time.monotonic() - t0)
        off.append(probe.wait_for(False, t0))
        t0 = time.monotonic()
        iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Active")
        on.append(probe.wait_for(True, t0))
    ms = lambda xs, f: "%.1f" % (f(xs) * 1000)
    print("cross-node propagation, %d writes on node A under load, B asked back to back (%d requests): "
          "key deactivated -> B refuses: median %s ms, worst %s ms; reactivated -> B accepts: median %s ms, "
          "worst %s ms (from the write's send; the write itself on A: median %s ms); target <= 1000 ms: %s"
          % (n, probe.asked, ms(off, statistics.median), ms(off, max), ms(on, statistics.median), ms(on, max),
             ms(write, statistics.median), "met" if max(off + on) <= 1.0 else "MISSED"))


if __name__ == "__main__":
    main()
