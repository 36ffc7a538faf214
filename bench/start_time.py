#!/usr/bin/env python3
"""start_time.py - milliseconds from exec to "listening on" in the log of `rolegate server ARGS...`; stops it after.

    python3 bench/start_time.py build/rolegate server --listen 127.0.0.1:0 --data DIR
"""
import os
import selectors
import signal
import subprocess
import sys
import time


def main():
    t0 = time.monotonic()
    p = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    sel = selectors.DefaultSelector()
    sel.register(p.stderr, selectors.EVENT_READ)
    buf = b""
    while b"listening on" not in buf:
        if not sel.select(timeout=30 - (time.monotonic() - t0)):
            p.kill()
            sys.exit("start_time: no 'listening on' within 30 s")
        chunk = os.read(p.stderr.fileno(), 65536)
        if not chunk:
            sys.exit("start_time: the server exited: " + buf.decode(errors="replace"))
        buf += chunk
    ms = (time.monotonic() - t0) * 1000
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    print("%.1f" % ms)


if __name__ == "__main__":
    main()
