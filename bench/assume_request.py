#!/usr/bin/env python3
"""assume_request.py - writes a wrk Lua script that replays one enforced sts:AssumeRole of the seed.

    python3 bench/assume_request.py ENDPOINT DATA_DIR OUT.lua [ENDPOINT2 OUT2.lua ...]

DATA_DIR is a server's data directory made with `--example seed`. anay calls GetSessionToken with a code of her
MFA device (from DATA_DIR/example-seed.txt), and the script signs, with those session credentials, AssumeRole into
Dev's `admin` role, whose trust policy asks for MFA (aws:MultiFactorAuthPresent, aws:MultiFactorAuthAge). Each
replay is the whole enforced path: SigV4, the sealed session token, anay's group policies, the trust policy with the
MFA context, a new sealed token and the audit record, durable before the answer.

Each further ENDPOINT OUT.lua pair gets the same request signed for that endpoint (its Host), with the same session:
the nodes of one PostgreSQL database, or a load balancer in front of them, share the seed, and anay's MFA code is
single-use across them.
"""
import base64
import hashlib
import hmac
import re
import struct
import sys
import time

import boto3
from botocore.credentials import Credentials

from signed_request import write_lua


def totp(secret_b32, when):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(when // 30)), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def main():
    endpoint, data_dir, out = sys.argv[1:4]
    more = sys.argv[4:]
    if len(more) % 2:
        sys.exit("assume_request: ENDPOINT OUT.lua pairs expected after the first three arguments")
    text = open(data_dir + "/example-seed.txt").read()
    accounts = dict(re.findall(r"^#   (Ops|Dev|Stage|Prod)\s+(\d{12})", text, re.M))
    akid, secret = re.search(r"^\[rolegate-anay\]\naws_access_key_id = (\S+)\naws_secret_access_key = (\S+)",
                             text, re.M).groups()
    seed = re.search(r"^# anay: otpauth://totp/\S*\?secret=([A-Z2-7]+)", text, re.M).group(1)
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=akid,
                       aws_secret_access_key=secret)
    c = sts.get_session_token(SerialNumber=f"arn:aws:iam::{accounts['Ops']}:mfa/anay",
                              TokenCode=totp(seed, time.time()))["Credentials"]
    body = ("Action=AssumeRole&Version=2011-06-15&RoleSessionName=bench&RoleArn=arn%3Aaws%3Aiam%3A%3A"
            + accounts["Dev"] + "%3Arole%2Fadmin")
    creds = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    write_lua(endpoint, creds, body, out)
    for other, other_out in zip(more[::2], more[1::2]):
        write_lua(other, creds, body, other_out)


if __name__ == "__main__":
    main()
