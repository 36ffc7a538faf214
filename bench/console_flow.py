#!/usr/bin/env python3
"""console_flow.py - the web console under the load of BROWSERS people at once, as make bench measures it.

    python3 bench/console_flow.py ENDPOINT DATA_DIR SERVER_LOG BROWSERS SECONDS

DATA_DIR is the data directory of the server at ENDPOINT, made with `--example seed`; SERVER_LOG is its standard
error, where it logs one line per console request with its own time (latency_us). The script makes BROWSERS users
in Ops's group `dev` (each with a console password and an enabled virtual MFA device, through the API as the
management account's root), and then each of them, in its own thread and on its own kept-alive connection, does
what a person does, over and over for SECONDS:

    sign in (password + MFA code; once per person: a code is good once) -> switch role to Dev's admin ->
    the first page in the role (the home page the switch lands on) -> a role page (the account's roles) -> back

The times reported are the server's own, per step (from SERVER_LOG, matched by request id), not the clients':
these threads share the machine's 2 cores with the server, and Python's time to parse a page is not the console's.
It also prints the home page's weight: the HTML and every same-origin asset it references.
"""
import base64
import configparser
import hashlib
import hmac
import http.client
import os
import re
import secrets
import struct
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import boto3

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
ASSET_RE = re.compile(r'(?:href|src)="(/console/static/[^"]+)"')


def totp(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


class Browser:
    """One kept-alive connection with a cookie jar; remembers which request id served which step."""

    def __init__(self, url, steps):
        self.url = url
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.cookies = {}
        self.steps = steps
        self.page = ""
        self.token = None

    def request(self, step, method, path, form=None):
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        for name, value in r.getheaders():
            if name.lower() == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                if v:
                    self.cookies[k.strip()] = v.strip()
                else:
                    self.cookies.pop(k.strip(), None)
        if step:
            self.steps.append((step, r.getheader("x-amzn-RequestId")))
        if r.status >= 400:
            raise RuntimeError(f"{method} {path}: {r.status}: {data[:400]!r}")
        self.page = data.decode()
        m = CSRF_RE.search(self.page)
        if m:
            self.token = m.group(1).replace("&amp;", "&")
        return r.status, r.getheader("Location"), data

    def csrf(self):
        """The CSRF token of the last page that had a form (a session's token stays the same)."""
        if not self.token:
            raise RuntimeError("no CSRF field on any page yet: " + self.page[-600:])
        return self.token


def make_users(endpoint, data_dir, n):
    """BROWSERS users in Ops's group dev, each with a password and an enabled MFA device: [(name, password, seed)]."""
    creds = configparser.ConfigParser()
    creds.read(Path(data_dir) / "root-credentials")
    section = creds[creds.sections()[0]]
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=section["aws_access_key_id"],
                       aws_secret_access_key=section["aws_secret_access_key"])
    users = []
    step = int(time.time() // 30)
    for i in range(n):
        name = f"console-bench-{i:02d}"
        password = secrets.token_urlsafe(18) + "Aa7-"
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="dev", UserName=name)
        iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=False)
        dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        seed = dev["Base32StringSeed"]
        seed = seed.decode() if isinstance(seed, bytes) else seed
        iam.enable_mfa_device(UserName=name, SerialNumber=dev["SerialNumber"],
                              AuthenticationCode1=totp(seed, step - 2), AuthenticationCode2=totp(seed, step - 1))
        users.append((name, password, seed))
    return users


def person(url, ops, dev, user, until, steps, errors):
    name, password, seed = user
    b = Browser(url, steps)
    try:
        b.request(None, "GET", "/console/signin")
        status, loc, _ = b.request("sign-in", "POST", "/console/signin", {
            "csrf": b.csrf(), "usertype": "iam", "account": ops, "username": name, "password": password,
            "mfacode": totp(seed, int(time.time() // 30))})
        b.request(None, "GET", urllib.parse.urlsplit(loc).path if loc else "/console/")
        while time.monotonic() < until:
            status, loc, _ = b.request("switch role", "POST", "/console/switchrole", {
                "csrf": b.csrf(), "account": dev, "roleName": "admin", "displayName": "Dev admin",
                "color": "99BCE3"})
            b.request("first page in the role", "GET", urllib.parse.urlsplit(loc).path if loc else "/console/")
            b.request("a role page (roles)", "GET", "/console/iam/roles")
            b.request("back to the user", "POST", "/console/back", {"csrf": b.csrf()})
    except Exception as e:  # reported, and the run fails
        errors.append(f"{name}: {e}")


def page_weight(url, ops, user):
    """Bytes of the signed-in home page and of every same-origin asset it references."""
    steps = []
    b = Browser(url, steps)
    name, password, seed = user
    b.request(None, "GET", "/console/signin")
    # the previous code of this device was spent by its run: the next time step's code
    step = int(time.time() // 30) + 1
    time.sleep(max(0.0, step * 30 - time.time() + 0.5))
    b.request(None, "POST", "/console/signin", {"csrf": b.csrf(), "usertype": "iam", "account": ops, "username": name,
                                                "password": password, "mfacode": totp(seed, step)})
    _, _, html = b.request(None, "GET", "/console/")
    total, parts = len(html), [f"html {len(html)}"]
    for asset in sorted(set(ASSET_RE.findall(html.decode()))):
        _, _, data = b.request(None, "GET", asset)
        total += len(data)
        parts.append(f"{asset.rsplit('/', 1)[-1]} {len(data)}")
    return total, parts


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    endpoint, data_dir, log, n, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    url = urllib.parse.urlsplit(endpoint)
    text = (Path(data_dir) / "example-seed.txt").read_text()
    accounts = dict(re.findall(r"^#   (Ops|Dev|Stage|Prod)\s+(\d{12})", text, re.M))
    users = make_users(endpoint, data_dir, n)
    # start at the beginning of a time step, so that every person's code is good for the whole sign-in
    time.sleep(max(0.0, (int(time.time() // 30) + 1) * 30 - time.time() + 0.2))
    steps, errors = [], []
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=person, args=(url, accounts["Ops"], accounts["Dev"], u, until, steps, errors))
               for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("console_flow.py: " + "; ".join(errors[:5]))
    weight, parts = page_weight(url, accounts["Ops"], users[0])
    time.sleep(0.5)  # the log lines of the last requests
    latency = dict(re.findall(r"\breq=(\S+) .*\bconsole=.*\blatency_us=(\d+)", Path(log).read_text()))
    order = ["sign-in", "switch role", "first page in the role", "a role page (roles)", "back to the user"]
    print(f"console: {n} people at once for {seconds:.0f} s; server time per step (its log's latency_us)")
    print(f"{'step':<32} {'requests':>9} {'p50_ms':>8} {'p99_ms':>8} {'max_ms':>8}")
    worst = {}
    for step in order:
        times = [int(latency[rid]) / 1000 for s, rid in steps if s == step and rid in latency]
        if not times:
            sys.exit(f"console_flow.py: no server times for {step}")
        worst[step] = percentile(times, 99)
        print(f"{step:<32} {len(times):>9} {percentile(times, 50):>8.2f} {worst[step]:>8.2f} {max(times):>8.2f}")
    print(f"home page weight: {weight / 1024:.1f} KiB ({', '.join(parts)}); target <= 100 KB: "
          f"{'met' if weight <= 100 * 1000 else 'MISSED'}")
    # What a sign-in cannot do without: checking the password's PBKDF2-HMAC-SHA256 hash (600 000 iterations, as
    # OWASP asks; src/iam/login.c), here on one core of this machine, with the same OpenSSL.
    t0 = time.process_time()
    hashlib.pbkdf2_hmac("sha256", b"password", b"0123456789abcdef", 600000)
    kdf_ms = (time.process_time() - t0) * 1000
    print(f"a sign-in's password hash alone (PBKDF2-HMAC-SHA256, 600 000 iterations): {kdf_ms:.0f} ms of one core; "
          f"{n} at once on {os.cpu_count()} cores queue behind each other")
    over = [s for s in order if worst[s] > 20]
    print("target: every step <= 20 ms at p99: " + ("met" if not over else "MISSED for " + ", ".join(over)))


if __name__ == "__main__":
    main()
