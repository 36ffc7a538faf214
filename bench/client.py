#!/usr/bin/env python3
"""The client verbs' benchmark (part of `make bench`): `rolegate exec PROFILE -- true` with a warm cache, beside the
AWS CLI resolving the same profile from the same cache (`aws sts get-caller-identity --profile PROFILE`), and the
cost of merely starting a process (/bin/true) as the floor, all measured in this run.

    python3 bench/client.py URL DATA_DIR [RUNS]

URL and DATA_DIR are those of a server started with `--example seed` (bench/run.sh starts one). The seed's ~/.aws
files go into a temporary HOME; one `rolegate exec` with a fresh MFA code warms the caches (the MFA session and the
role session in ~/.aws/cli/cache); then every measured run is served from the cache without a network call. Also
prints the binary's size and the time of `rolegate version` (start-up).
"""
import base64
import hashlib
import hmac
import os
import re
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath("build/rolegate")


def totp(secret_b32, when):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(when // 30)), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def timed(argv, env, runs):
    """(wall ms, CPU ms) of each of runs runs of argv (each must exit 0). CPU time (user + system of the child) is
    steadier than wall time on a noisy machine."""
    out = []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = (time.perf_counter() - t) * 1000
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.append((wall, (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000))
        if p.returncode != 0:
            sys.exit(f"bench/client.py: {' '.join(argv)} exited {p.returncode}: {p.stderr.decode()}")
    return out


def main():
    url, data = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    seed = open(os.path.join(data, "example-seed.txt")).read()
    home = tempfile.mkdtemp(prefix="rolegate-bench-home-")
    try:
        os.makedirs(os.path.join(home, ".aws"))
        creds = seed.split("# ---- ~/.aws/credentials ----\n")[1].split("# ---- ~/.aws/config ----")[0]
        config = seed.split("# ---- ~/.aws/config ----\n")[1].split("# ---- MFA")[0]
        open(os.path.join(home, ".aws", "credentials"), "w").write(creds)
        open(os.path.join(home, ".aws", "config"), "w").write(config)
        secret = re.search(r"^# anay: otpauth://\S*\?secret=([A-Z2-7]+)", seed, re.M).group(1)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, ".cache"), AWS_PAGER="",
                   AWS_CONFIG_FILE=os.path.join(home, ".aws", "config"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, ".aws", "credentials"),
                   AWS_EC2_METADATA_DISABLED="true", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        for _ in range(2):  # a code is accepted once: when this step's was used already, the next step's
            warm = subprocess.run([BIN, "exec", "--mfa-code", totp(secret, time.time()), "anay-dev", "--", "true"],
                                  env=env, capture_output=True, text=True)
            if warm.returncode == 0:
                break
            time.sleep(30.5 - time.time() % 30)
        if warm.returncode != 0:
            sys.exit(f"bench/client.py: warming the cache failed: {warm.stderr}")
        aws = shutil.which("aws")
        floor = timed(["/bin/true"], env, runs)
        rg = timed([BIN, "exec", "anay-dev", "--", "true"], env, runs)
        cli = timed([aws, "--profile", "anay-dev", "sts", "get-caller-identity"], env, max(5, runs // 20)) \
            if aws else []
        version = timed([BIN, "version"], env, runs)
    finally:
        shutil.rmtree(home, ignore_errors=True)

    def row(name, runs_):
        xs = sorted(w for w, _ in runs_)
        med = statistics.median(xs)
        p90 = xs[int(len(xs) * 0.9) - 1] if len(xs) >= 10 else xs[-1]
        cpu = statistics.median(c for _, c in runs_)
        print(f"{name:<52} {med:9.2f} {p90:9.2f} {cpu:9.2f} {len(xs):6d}")
        return med

    print()
    print("client verbs: time per run, warm cache (the AWS CLI reads the session rolegate cached)")
    print(f"{'case':<52} {'p50_ms':>9} {'p90_ms':>9} {'cpu_ms':>9} {'runs':>6}")
    f = row("f0 spawn /bin/true (floor)", floor)
    r = row("f1 rolegate exec anay-dev -- true", rg)
    v = row("f2 rolegate version (start-up)", version)
    c = row("f3 aws sts get-caller-identity --profile anay-dev", cli) if cli else None
    size = os.path.getsize(BIN)
    print(f"exec above the floor: {r - f:.2f} ms; start-up above the floor: {v - f:.2f} ms; "
          f"binary {size / 1048576:.1f} MiB ({size} bytes, {BIN})")
    if c:
        print(f"exec vs the AWS CLI from its cache: {c / r:.0f}x faster (the CLI also makes one STS call)")
    print("target: f1 <= 5 ms")


if __name__ == "__main__":
    main()
