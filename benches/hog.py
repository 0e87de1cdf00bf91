#!/usr/bin/env python3
"""A neighbour's latency while another Worker holds an executor thread.

Serves three Workers on two executor threads: `hog` (each request spins for
HOG_MS of CPU, within `cpu_ms = 5000`, `max_instances = 1`), `filler` and
`neighbour` (hello). The Workers' first isolates start on the executors in
turn, so the neighbour's isolate sits beside the hog's. For each motu binary
given, it first asks the neighbour alone for DURATION seconds (one request
at a time, a fresh connection each), then again while a client keeps the hog
busy (its requests back to back), and prints the neighbour's p50, p99 and
maximum latency in both phases, and the hog phase's p99 as a ratio to the
baseline p99 of the same run.

    benches/hog.py --motu target/release/motu [--motu /tmp/motu-before] \\
        [--engine quickjs] [--duration 10] [--hog-ms 1000]

Several binaries run one after the other, each in a fresh server.
"""

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOG = """
export default {
  fetch(request) {
    const ms = Number(new URL(request.url).searchParams.get('ms') || 1000);
    const start = Date.now();
    while (Date.now() - start < ms);
    return new Response('spun');
  },
};
"""

HELLO = """
export default {
  fetch() {
    return new Response('Hello World!');
  },
};
"""


def config(engine):
    return f"""
[server]
engine = "{engine}"
threads = 2

[[workers]]
name = "hog"
main = "hog.js"
routes = ["hog.test/*"]
max_instances = 1
[workers.limits]
cpu_ms = 5000

[[workers]]
name = "filler"
main = "hello.js"
routes = ["filler.test/*"]

[[workers]]
name = "neighbour"
main = "hello.js"
routes = ["neighbour.test/*"]
"""


def start(motu, folder):
    proc = subprocess.Popen(
        [motu, "serve", "--config", os.path.join(folder, "motu.toml"), "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in proc.stdout:
        if line.startswith("motu listening on http://"):
            host, port = line.strip().rsplit("/", 1)[1].rsplit(":", 1)
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, (host, int(port))
    raise SystemExit(f"{motu} exited before listening")


def get(addr, host, path="/", timeout=60):
    conn = http.client.HTTPConnection(*addr, timeout=timeout)
    try:
        conn.request("GET", path, headers={"host": host, "connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def neighbour_latencies(addr, seconds):
    """Latencies (s) of the neighbour's answers, one request at a time."""
    out, wrong = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        began = time.monotonic()
        try:
            status, body = get(addr, "neighbour.test")
        except (OSError, http.client.HTTPException):
            status, body = None, b""
        out.append(time.monotonic() - began)
        if (status, body) != (200, b"Hello World!"):
            wrong += 1
    return out, wrong


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def run(motu, engine, seconds, hog_ms):
    with tempfile.TemporaryDirectory() as folder:
        for name, text in [("hog.js", HOG), ("hello.js", HELLO), ("motu.toml", config(engine))]:
            with open(os.path.join(folder, name), "w") as f:
                f.write(text)
        proc, addr = start(motu, folder)
        try:
            get(addr, "neighbour.test")
            base, base_wrong = neighbour_latencies(addr, seconds)
            stop = threading.Event()
            hogged = [0]

            def hog():
                while not stop.is_set():
                    try:
                        get(addr, "hog.test", f"/?ms={hog_ms}")
                        hogged[0] += 1
                    except (OSError, http.client.HTTPException):
                        pass

            thread = threading.Thread(target=hog, daemon=True)
            thread.start()
            time.sleep(0.2)
            under, under_wrong = neighbour_latencies(addr, seconds)
            stop.set()
            thread.join(timeout=hog_ms / 1000 * 6 + 10)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return base, base_wrong, under, under_wrong, hogged[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--motu", action="append", required=True)
    parser.add_argument("--engine", default="quickjs")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--hog-ms", type=int, default=1000)
    args = parser.parse_args()
    ms = lambda s: f"{s * 1000:9.2f}"
    print(f"engine {args.engine}, neighbour asked for {args.duration:g} s alone, then beside a hog "
          f"spinning {args.hog_ms} ms per request (latencies in ms)")
    print(f"{'binary':<32} {'phase':<8} {'answers':>8} {'wrong':>6} {'p50':>9} {'p99':>9} {'max':>9} {'p99 / alone':>12}")
    for motu in args.motu:
        base, base_wrong, under, under_wrong, hogged = run(motu, args.engine, args.duration, args.hog_ms)
        base_p99 = percentile(base, 0.99)
        for phase, values, wrong in [("alone", base, base_wrong), ("hog", under, under_wrong)]:
            p99 = percentile(values, 0.99)
            print(f"{motu[-32:]:<32} {phase:<8} {len(values):>8} {wrong:>6} {ms(percentile(values, 0.5))} "
                  f"{ms(p99)} {ms(max(values))} {p99 / base_p99:>11.1f}x")
        print(f"{'':<32} (the hog answered {hogged} requests)")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
