#!/usr/bin/env python3
"""scrape.py - scrapes a /metrics URL every INTERVAL seconds (one kept-alive connection, as Prometheus keeps its
own) until killed, or for SECONDS when given, then prints "scrapes bytes".

    python3 bench/scrape.py URL INTERVAL [SECONDS]

make bench runs it beside wrk to measure what scraping costs the server under load. The body is read and counted,
not parsed: the cost measured is the server's.
"""
import http.client
import signal
import sys
import time
import urllib.parse


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    interval = float(sys.argv[2])
    until = time.monotonic() + float(sys.argv[3]) if len(sys.argv) > 3 else None
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    scrapes = nbytes = 0
    next_at = time.monotonic()
    while not done and (until is None or time.monotonic() < until):
        conn.request("GET", url.path)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit(f"scrape.py: {url.geturl()} answered {r.status}")
        scrapes += 1
        nbytes += len(body)
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    print(scrapes, nbytes)


if __name__ == "__main__":
    main()
