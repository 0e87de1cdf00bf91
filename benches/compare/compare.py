#!/usr/bin/env python3
"""Runs motu (QuickJS, V8), workerd and `deno serve` on the same Worker files
with the same load, one server at a time, and writes one comparison.

Started by run.sh, which installs the peers and builds motu. Each cell (a
server on a workload) is a fresh server process pinned to core 0 (the
affinity `taskset -c 0` sets, applied before exec so the spawn time is not
inflated by taskset itself); wrk runs pinned to core 1 (`taskset -c 1 wrk
-t1 -cN -dD --latency`), after a one-second warm-up run. Measured per cell:
req/s, p50/p99 latency, peak RSS (the kernel's high-water mark of the server
process) and server CPU time per request. Process spawn to first response is
its own phase: every server is spawned on hello many times, the servers taken
in turn so that a noisy moment falls on all alike, and the median is reported.
motu's isolate cold start and memory per idle isolate come from
`motu bench`, which the peers have no equivalent of. The many-Workers
phase (many.py) serves N Workers from one process of motu on each engine
and of workerd, under Zipf and uniform draws, beside each server's
single-Worker hello figure measured in the same run; a budget cell runs
motu with many more Workers under `memory_budget_mb`.

`--phases` picks what runs (default all: cells, spawn, isolates, many,
budget); the sections of benches/RESULTS.md that a run does not measure
are kept from the file as it was.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import many

WORKLOADS = ["hello", "json", "cpu", "echo"]
SERVERS = ["motu-quickjs", "motu-v8", "workerd", "deno"]
PEERS = ["workerd", "deno"]
PHASES = ["cells", "spawn", "isolates", "many", "budget"]
# Servers of the many-Workers phase: Deno serves one program, not Workers.
MANY_SERVERS = ["motu-quickjs", "motu-v8", "workerd"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_response(port, proc, timeout=60.0):
    """Polls until the server answers GET / with 200; returns when it did."""
    deadline = time.monotonic() + timeout
    request = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(request)
                head = s.recv(64)
                if head.startswith(b"HTTP/1.1 200"):
                    return time.monotonic()
        except OSError:
            pass
        time.sleep(0.0002)
    raise RuntimeError("the server did not answer in time")


def command(server, workload, port, tmp, opts):
    """The command line and environment of a server on a workload."""
    worker = os.path.join(opts.workers, f"{workload}.js")
    env = dict(os.environ)
    if server.startswith("motu-"):
        engine = server.split("-", 1)[1]
        # A Worker's files must lie inside its config's folder.
        directory = os.path.join(tmp, f"{server}-{workload}")
        os.makedirs(directory, exist_ok=True)
        shutil.copy(worker, os.path.join(directory, "worker.js"))
        worker = os.path.join(directory, "worker.js")
        config = os.path.join(directory, "motu.toml")
        with open(config, "w") as f:
            f.write(
                f'[server]\nlisten = "127.0.0.1:{port}"\nengine = "{engine}"\n\n'
                # The cpu workload runs for long on an interpreter: measure
                # it rather than stop it.
                "[limits]\ncpu_ms = 30000\n\n"
                f'[[workers]]\nname = "bench"\nmain = "{worker}"\nroutes = ["*/*"]\n'
            )
        env.setdefault("RUST_LOG", "warn")
        return [opts.motu, "serve", "--config", config], env
    if server == "workerd":
        directory = os.path.join(tmp, f"workerd-{workload}")
        os.makedirs(directory, exist_ok=True)
        shutil.copy(worker, os.path.join(directory, "worker.js"))
        config = os.path.join(directory, "config.capnp")
        with open(config, "w") as f:
            f.write(
                'using Workerd = import "/workerd/workerd.capnp";\n\n'
                "const config :Workerd.Config = (\n"
                '  services = [ (name = "main", worker = .bench) ],\n'
                f'  sockets = [ (name = "http", address = "127.0.0.1:{port}", http = (), service = "main") ],\n'
                ");\n\n"
                "const bench :Workerd.Worker = (\n"
                '  modules = [ (name = "worker.js", esModule = embed "worker.js") ],\n'
                '  compatibilityDate = "2025-01-01",\n'
                ");\n"
            )
        return [opts.workerd, "serve", config], env
    if server == "deno":
        env["DENO_DIR"] = os.path.join(tmp, "deno-dir")
        env["DENO_NO_UPDATE_CHECK"] = "1"
        return [opts.deno, "serve", "--quiet", "--host", "127.0.0.1", "--port", str(port), worker], env
    raise ValueError(server)


def cpu_ticks(pid):
    """User + system CPU ticks of a process and its live descendants."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


UNITS = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0}


def to_us(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else None


def wrk(url, workload, seconds, opts):
    args = ["taskset", "-c", "1", "wrk", "-t1", f"-c{opts.connections}", f"-d{seconds}s", "--latency"]
    if workload == "echo":
        args += ["-s", os.path.join(os.path.dirname(os.path.abspath(__file__)), "echo.lua")]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out):
    """req/s, requests, errors and p50/p99 from wrk's --latency output."""
    result = {"requests": 0, "rps": 0.0, "non2xx": 0, "socket_errors": 0}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(line.split()[1])
        elif re.match(r"^\d+ requests in", line):
            result["requests"] = int(line.split()[0])
        elif line.startswith("Non-2xx or 3xx responses:"):
            result["non2xx"] = int(line.split()[-1])
        elif line.startswith("Socket errors:"):
            result["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", line))
        else:
            m = re.match(r"^(50|99)(?:\.000)?%\s+(\S+)$", line)
            if m:
                result[f"p{m.group(1)}_us"] = to_us(m.group(2))
    return result


def start_server(server, workload, tmp, opts):
    """Spawns a server pinned to core 0 and waits for its first 200 answer to
    GET /; returns the process, its port and the milliseconds from spawn to
    that answer. The caller stops the process (also when this raises)."""
    port = free_port()
    argv, env = command(server, workload, port, tmp, opts)
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.sched_setaffinity(0, {0}),
    )
    try:
        spawn_ms = (first_response(port, proc) - start) * 1000.0
    except BaseException:
        stop(proc)
        raise
    return proc, port, spawn_ms


def stop(proc):
    """Terminates a server and waits for it (kills it after 10 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_cell(server, workload, tmp, opts):
    proc, port, _ = start_server(server, workload, tmp, opts)
    try:
        url = f"http://127.0.0.1:{port}/"
        wrk(url, workload, 1, opts)  # warm-up (JIT, isolates)
        ticks0 = cpu_ticks(proc.pid)
        result = wrk(url, workload, opts.duration, opts)
        ticks1 = cpu_ticks(proc.pid)
        result["peak_rss_kib"] = peak_rss_kib(proc.pid)
        answered = max(result["requests"], 1)
        result["cpu_us_per_request"] = (ticks1 - ticks0) / CLK_TCK * 1e6 / answered
        return result
    finally:
        stop(proc)


def spawn_times(servers, tmp, opts):
    """Spawn to first response on hello, `opts.spawn_runs` times per server,
    the servers in turn; returns each server's sorted milliseconds."""
    times = {server: [] for server in servers}
    for i in range(opts.spawn_runs):
        for server in servers:
            try:
                proc, _, ms = start_server(server, "hello", tmp, opts)
            except RuntimeError as e:
                print(f"spawn of {server} failed: {e}", file=sys.stderr)
                continue
            stop(proc)
            times[server].append(ms)
        print(f"\rspawn to first response: run {i + 1}/{opts.spawn_runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {server: sorted(v) for server, v in times.items() if v}


def median(sorted_values):
    n = len(sorted_values)
    mid = n // 2
    return sorted_values[mid] if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2


def nearest_rank(sorted_values, p):
    """The p-th percentile (nearest rank) of sorted values."""
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def motu_bench(tmp, opts):
    """Cold start and idle-isolate memory per engine, from `motu bench`."""
    out = os.path.join(tmp, "motu-bench")
    subprocess.run(
        [opts.motu, "bench", "--workload", "hello", "--duration", "1s", "--isolates", "100", "--out", out],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with open(os.path.join(out, "results.json")) as f:
        return {row["engine"]: row for row in json.load(f)}


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
        return out.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def fmt_us(v):
    if v is None:
        return "-"
    return f"{v:.0f} µs" if v < 1000 else f"{v / 1000:.2f} ms"


def fmt_kib(v):
    return "-" if v is None else f"{v / 1024:.1f} MiB"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "-"


def markdown_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "".join(" --- |" if i < 2 else " ---: |" for i in range(len(headers)))]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def targets(cells, cold, spawn):
    """The issue's targets, each as (what, figure, met)."""
    out = []

    def rps(server, workload):
        return cells.get((server, workload), {}).get("rps")

    for w in ["hello", "json"]:
        v8, wd = rps("motu-v8", w), rps("workerd", w)
        if v8 and wd:
            out.append((f"{w} on V8 at least 2× workerd's req/s", f"{v8 / wd:.2f}×", v8 >= 2 * wd))
        p99 = cells.get(("motu-v8", w), {}).get("p99_us")
        if p99 is not None:
            out.append((f"{w} on V8: p99 under 5 ms", fmt_us(p99), p99 < 5000))
    for engine in ["quickjs", "v8"]:
        m, d = rps(f"motu-{engine}", "echo"), rps("deno", "echo")
        if m and d:
            out.append((f"echo 64 KiB on {engine}: at least Deno's req/s", f"{m / d:.2f}×", m >= d))
    v8, wd = rps("motu-v8", "cpu"), rps("workerd", "cpu")
    if v8 and wd:
        out.append(("cpu on V8 at least 0.9× workerd", f"{v8 / wd:.2f}×", v8 >= 0.9 * wd))
    for engine, limit_us, mib in [("quickjs", 1000, 0.5), ("v8", 5000, 2.0)]:
        row = cold.get(engine)
        if row:
            c = row.get("cold_p50_us")
            out.append((f"isolate cold start on {engine} under {limit_us // 1000} ms (median)", fmt_us(c), c < limit_us))
            m = row.get("idle_isolate_kib")
            out.append((f"memory per idle isolate on {engine} under {mib} MiB", f"{m / 1024:.2f} MiB", m < mib * 1024))
    for engine in ["quickjs", "v8"]:
        times = spawn.get(f"motu-{engine}")
        if times:
            m = median(times)
            out.append((f"process spawn to first response on {engine} under 10 ms (median)", f"{m:.1f} ms", m < 10))
        cell = cells.get((f"motu-{engine}", "hello"))
        if cell:
            out.append((f"peak RSS under the hello load on {engine} under 64 MiB", fmt_kib(cell["peak_rss_kib"]), cell["peak_rss_kib"] < 64 * 1024))
    return out


def read_sections(path):
    """The `## ` sections of an earlier RESULTS.md, by title (empty when
    there is none)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return {}
    sections = {}
    for part in text.split("\n## ")[1:]:
        title, _, body = part.partition("\n")
        sections[title.strip()] = body.strip("\n")
    return sections


def many_baseline(cells, server, tmp, opts):
    """The server's single-Worker hello cell of this run, measured now if
    the cells phase did not."""
    if (server, "hello") not in cells:
        print(f"hello  {server:13} (single-Worker baseline) ...", end="", flush=True, file=sys.stderr)
        try:
            cells[(server, "hello")] = run_cell(server, "hello", tmp, opts)
            print(f" {cells[(server, 'hello')]['rps']:.0f} req/s", file=sys.stderr)
        except (RuntimeError, subprocess.CalledProcessError) as e:
            print(f" failed: {e}", file=sys.stderr)
    return cells.get((server, "hello"), {})


def many_phase(servers, cells, tmp, opts):
    """Each server's single-Worker hello and its many-Workers cell, one
    server after the other."""
    out = {}
    helpers = {"wrk_parse": parse_wrk, "cpu_ticks": cpu_ticks, "clk_tck": CLK_TCK, "stop": stop}
    for server in servers:
        many_baseline(cells, server, tmp, opts)
        print(f"many   {server:13} ({opts.many} Workers) ...", end="", flush=True, file=sys.stderr)
        try:
            r = many.run_cell(server, opts.many, tmp, opts, helpers)
            out[server] = r
            print(f" ready {r['spawn_s']:.2f} s, zipf {r['zipf']['rps']:.0f} req/s p99 {fmt_us(r['zipf'].get('p99_us'))},"
                  f" uniform {r['uniform']['rps']:.0f} req/s p99 {fmt_us(r['uniform'].get('p99_us'))}", file=sys.stderr)
        except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
            print(f" failed: {e}", file=sys.stderr)
    return out


def budget_phase(servers, tmp, opts):
    """motu on each engine with `opts.budget` Workers under
    `memory_budget_mb`."""
    n, mb = (int(x) for x in opts.budget.split(":"))
    out = {}
    helpers = {"wrk_parse": parse_wrk, "cpu_ticks": cpu_ticks, "clk_tck": CLK_TCK, "stop": stop}
    for server in [s for s in servers if s.startswith("motu-")]:
        print(f"budget {server:13} ({n} Workers, {mb} MiB) ...", end="", flush=True, file=sys.stderr)
        try:
            r = many.run_cell(server, n, tmp, opts, helpers, budget_mb=mb, dists=("zipf",))
            r["rss_ready_one_kib"] = many.rss_at_ready(server, 1, tmp, opts, helpers)
            out[server] = r
            print(f" zipf {r['zipf']['rps']:.0f} req/s p99 {fmt_us(r['zipf'].get('p99_us'))}, peak RSS {fmt_kib(r['peak_rss_kib'])}",
                  file=sys.stderr)
        except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
            print(f" failed: {e}", file=sys.stderr)
    return out


def errors_of(r):
    return r.get("non2xx", 0) + r.get("socket_errors", 0)


def metric_delta(after, before, key, reason=None):
    if not after or not before:
        return None
    if reason:
        return after["evictions"].get(reason, 0) - before["evictions"].get(reason, 0)
    return after[key] - before[key]


def many_sections(results, cells, opts):
    """The many-Workers tables and their targets."""
    rows, ratio_rows, out_targets = [], [], []
    for server, r in results.items():
        z, u = r["zipf"], r["uniform"]
        rows.append([
            server, f"{r['spawn_s']:.2f} s", f"{r['touch_s']:.2f} s", str(r["touch_wrong"]), fmt_kib(r["rss_touch_kib"]),
            f"{z['rps']:.0f}", fmt_us(z.get("p50_us")), fmt_us(z.get("p99_us")), fmt_us(z["cpu_us_per_request"]), str(errors_of(z)),
            f"{u['rps']:.0f}", fmt_us(u.get("p50_us")), fmt_us(u.get("p99_us")), fmt_us(u["cpu_us_per_request"]), str(errors_of(u)),
            fmt_kib(r["peak_rss_kib"]),
        ])
        single = cells.get((server, "hello"), {})
        wd = results.get("workerd", {})
        ratio_rows.append([
            server, f"{single.get('rps', 0):.0f}", ratio(z["rps"], single.get("rps")), ratio(u["rps"], single.get("rps")),
            ratio(z.get("cpu_us_per_request"), single.get("cpu_us_per_request")),
            ratio(z["rps"], wd.get("zipf", {}).get("rps")) if server != "workerd" else "-",
            ratio(u["rps"], wd.get("uniform", {}).get("rps")) if server != "workerd" else "-",
        ])
        if server.startswith("motu-"):
            engine = server.split("-", 1)[1]
            out_targets.append((f"{opts.many} Workers on {engine}: spawn → ready under 1 s", f"{r['spawn_s']:.2f} s", r["spawn_s"] < 1.0))
            if single.get("rps"):
                out_targets.append((f"{opts.many} Workers on {engine}, Zipf: at least 0.7× its single-Worker hello req/s",
                                    ratio(z["rps"], single["rps"]), z["rps"] >= 0.7 * single["rps"]))
            out_targets.append((f"{opts.many} Workers on {engine}, Zipf: p99 under 10 ms", fmt_us(z.get("p99_us")),
                                (z.get("p99_us") or 1e12) < 10_000))
            out_targets.append((f"{opts.many} Workers on {engine}, uniform: p99 under 20 ms", fmt_us(u.get("p99_us")),
                                (u.get("p99_us") or 1e12) < 20_000))
            out_targets.append((f"{opts.many} Workers on {engine}: every Worker answered its own body", f"{r['touch_wrong']} wrong",
                                r["touch_wrong"] == 0))
    v8, wd = results.get("motu-v8"), results.get("workerd")
    if v8 and wd and wd["zipf"]["rps"]:
        out_targets.append((f"{opts.many} Workers, Zipf: V8 at least 2× workerd's req/s", ratio(v8["zipf"]["rps"], wd["zipf"]["rps"]),
                            v8["zipf"]["rps"] >= 2 * wd["zipf"]["rps"]))
    table = markdown_table(
        ["server", "spawn → ready", "touch all", "wrong answers", "RSS after touch",
         "Zipf req/s", "Zipf p50", "Zipf p99", "Zipf CPU/req", "Zipf errors",
         "uniform req/s", "uniform p50", "uniform p99", "uniform CPU/req", "uniform errors", "peak RSS"], rows)
    ratios = markdown_table(
        ["server", "single-Worker hello req/s", "Zipf ÷ single", "uniform ÷ single", "Zipf CPU/req ÷ single",
         "Zipf req/s ÷ workerd", "uniform req/s ÷ workerd"], ratio_rows)
    isolate_rows = []
    for server, r in results.items():
        before, z, u = r.get("metrics_touch"), r["zipf"].get("metrics"), r["uniform"].get("metrics")
        if before and z and u:
            isolate_rows.append([server, str(before["starts"]), str(before["live"]),
                                 str(metric_delta(z, before, "starts")), str(metric_delta(u, z, "starts")),
                                 ", ".join(f"{k} {v}" for k, v in sorted(u["evictions"].items())) or "none"])
    isolates = markdown_table(["server", "isolates started by touch", "live after touch", "started under Zipf (with its warm-up)",
                               "started under uniform (with its warm-up)", "evictions, whole run"], isolate_rows)
    return table, ratios, isolates, out_targets


def budget_section(results, opts):
    n, mb = (int(x) for x in opts.budget.split(":"))
    rows, out_targets = [], []
    for server, r in results.items():
        z = r["zipf"]
        before, after = r.get("metrics_touch"), z.get("metrics")
        starts = metric_delta(after, before, "starts")
        pressure = metric_delta(after, before, None, "Pressure")
        per_worker = (r["rss_ready_kib"] - r["rss_ready_one_kib"]) / max(n - 1, 1)
        rows.append([
            server, f"{r['spawn_s']:.2f} s", f"{per_worker:.1f} KiB", f"{r['touch_s']:.1f} s", str(r["touch_wrong"]),
            fmt_kib(r["rss_touch_kib"]), fmt_kib(z["rss_kib"]), fmt_kib(r["peak_rss_kib"]),
            str(before["live"] if before else "-"), str(after["live"] if after else "-"),
            f"{z['rps']:.0f}", fmt_us(z.get("p50_us")), fmt_us(z.get("p99_us")), str(errors_of(z)),
            str(starts), str(pressure),
        ])
        engine = server.split("-", 1)[1]
        out_targets.append((f"{n} Workers on {engine} under memory_budget_mb = {mb}, Zipf: p99 under 20 ms", fmt_us(z.get("p99_us")),
                            (z.get("p99_us") or 1e12) < 20_000))
        out_targets.append((f"{n} Workers on {engine} under memory_budget_mb = {mb}: peak RSS within the budget plus "
                            f"{opts.budget_overhead} MiB", fmt_kib(r["peak_rss_kib"]),
                            r["peak_rss_kib"] <= (mb + opts.budget_overhead) * 1024))
        out_targets.append((f"{n} Workers on {engine} under memory_budget_mb = {mb}: every Worker answered its own body",
                            f"{r['touch_wrong']} wrong", r["touch_wrong"] == 0))
        out_targets.append((f"a registered Worker with no live isolate on {engine}: under 16 KiB", f"{per_worker:.1f} KiB",
                            per_worker < 16))
    table = markdown_table(
        ["server", "spawn → ready", "per registered Worker", "touch all", "wrong answers", "RSS after touch", "RSS after Zipf", "peak RSS",
         "live isolates after touch", "live after Zipf", "Zipf req/s", "Zipf p50", "Zipf p99", "Zipf errors",
         "cold starts under Zipf (with its warm-up)", "Pressure evictions under Zipf"], rows)
    return table, out_targets


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--motu", required=True)
    p.add_argument("--workerd", required=True)
    p.add_argument("--deno", required=True)
    p.add_argument("--workers", required=True)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--results", required=True)
    p.add_argument("--servers", default=",".join(SERVERS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--spawn-runs", type=int, default=20, help="spawns per server for the spawn figure")
    p.add_argument("--phases", default=",".join(PHASES), help="what to measure: " + ", ".join(PHASES))
    p.add_argument("--many", type=int, default=1000, help="Workers of the many-Workers phase")
    p.add_argument("--budget", default="10000:2048", help="Workers:MiB of the memory-budget cell")
    p.add_argument("--budget-overhead", type=int, default=512,
                   help="MiB of resident memory the budget cell allows above the budget (the process and its registered Workers)")
    opts = p.parse_args()
    opts.workers = os.path.abspath(opts.workers)
    if (os.cpu_count() or 1) < 2:
        sys.exit("compare.py: needs two cores (server on 0, wrk on 1)")
    servers = opts.servers.split(",")
    workloads = opts.workloads.split(",")
    phases = [ph for ph in opts.phases.split(",") if ph]
    for ph in phases:
        if ph not in PHASES:
            sys.exit(f"compare.py: unknown phase '{ph}' (phases: {', '.join(PHASES)})")

    cells, spawn, cold, many_results, budget_results = {}, {}, {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="motu-compare-") as tmp:
        if "cells" in phases:
            for workload in workloads:
                for server in servers:
                    print(f"{workload:6} {server:13} ...", end="", flush=True, file=sys.stderr)
                    try:
                        cells[(server, workload)] = run_cell(server, workload, tmp, opts)
                        c = cells[(server, workload)]
                        print(f" {c['rps']:.0f} req/s, p99 {fmt_us(c.get('p99_us'))}", file=sys.stderr)
                    except (RuntimeError, subprocess.CalledProcessError) as e:
                        print(f" failed: {e}", file=sys.stderr)
        if "spawn" in phases:
            spawn = spawn_times(servers, tmp, opts)
        if "isolates" in phases:
            print("motu bench (cold start, idle isolate memory) ...", file=sys.stderr)
            cold = motu_bench(tmp, opts)
        if "many" in phases:
            many_results = many_phase([s for s in servers if s in MANY_SERVERS], cells, tmp, opts)
        if "budget" in phases:
            budget_results = budget_phase(servers, tmp, opts)

    sections = {}
    if "cells" in phases:
        rows = []
        for workload in workloads:
            for server in servers:
                c = cells.get((server, workload))
                if not c:
                    rows.append([workload, server, "failed", "", "", "", "", ""])
                    continue
                rows.append([
                    workload, server, f"{c['rps']:.0f}", fmt_us(c.get("p50_us")), fmt_us(c.get("p99_us")),
                    fmt_kib(c["peak_rss_kib"]), fmt_us(c["cpu_us_per_request"]),
                    str(c["non2xx"] + c["socket_errors"]),
                ])
        sections["Per server"] = markdown_table(
            ["workload", "server", "req/s", "p50", "p99", "peak RSS", "CPU/req", "errors"], rows
        )
        ratio_rows = []
        for workload in workloads:
            for m in [s for s in servers if s.startswith("motu-")]:
                mc = cells.get((m, workload), {})
                row = [workload, m]
                for peer in PEERS:
                    pc = cells.get((peer, workload), {})
                    row += [ratio(mc.get("rps"), pc.get("rps")), ratio(mc.get("p99_us"), pc.get("p99_us")),
                            ratio(mc.get("peak_rss_kib"), pc.get("peak_rss_kib"))]
                ratio_rows.append(row)
        sections["motu as ratios to each peer"] = markdown_table(
            ["workload", "motu on", "req/s ÷ workerd", "p99 ÷ workerd", "RSS ÷ workerd", "req/s ÷ deno", "p99 ÷ deno", "RSS ÷ deno"],
            ratio_rows,
        )
    if "spawn" in phases:
        sections["Process spawn to first response"] = markdown_table(
            ["server", "median", "p90", "min", "runs"],
            [[server, f"{median(v):.1f} ms", f"{nearest_rank(v, 90):.1f} ms", f"{v[0]:.1f} ms", str(len(v))]
             for server, v in spawn.items()],
        )
    if "isolates" in phases:
        cold_rows = [[e, "motu bench", fmt_us(r.get("cold_p50_us")), fmt_us(r.get("cold_p99_us")),
                      f"{r.get('idle_isolate_kib', 0):.0f} KiB"] for e, r in cold.items()]
        sections["Isolates (motu only)"] = markdown_table(
            ["engine", "source", "cold start p50", "cold start p99", "memory per idle isolate"], cold_rows)
    if {"cells", "spawn", "isolates"} & set(phases):
        sections["Targets"] = markdown_table(
            ["target", "figure", "met"],
            [[w, f, "yes" if ok else "**no**"] for w, f, ok in targets(cells, cold, spawn)])
    many_targets = []
    if "many" in phases and many_results:
        table, ratios, isolates, many_targets = many_sections(many_results, cells, opts)
        sections[f"Many Workers ({opts.many} in one process)"] = table
        sections["Many Workers as ratios"] = ratios
        sections["Many Workers: isolates (motu, from /metrics)"] = isolates
    budget_targets = []
    if "budget" in phases and budget_results:
        n, mb = opts.budget.split(":")
        table, budget_targets = budget_section(budget_results, opts)
        sections[f"Many Workers under a memory budget ({n} Workers, memory_budget_mb = {mb})"] = table
    if many_targets or budget_targets:
        sections["Many Workers: targets"] = markdown_table(
            ["target", "figure", "met"], [[w, f, "yes" if ok else "**no**"] for w, f, ok in many_targets + budget_targets])

    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    repo = os.path.dirname(os.path.dirname(opts.workers))
    rev = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    partial = set(phases) != set(PHASES)
    header = "\n".join([
        "# motu beside workerd and Deno",
        "",
        "Written by `benches/compare/run.sh`; the last run's result is committed.",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {cpu}, {os.cpu_count()} cores; Linux {platform.release()}",
        f"- motu: {version([opts.motu, '--version'])} (commit {rev or 'unknown'}), release build, QuickJS and V8 (Debian libnode)",
        f"- workerd: {version([opts.workerd, '--version'])} (npm package `workerd`)",
        f"- deno: {version([opts.deno, '--version'])} (PyPI package `deno`)",
        f"- load: `taskset -c 1 wrk -t1 -c{opts.connections} -d{opts.duration}s --latency` after a 1 s warm-up, "
        "each server alone on core 0, one fresh server process per cell"
        + (f" ({opts.duration} s per cell, shorter than the 10 s default, to keep the run short)" if opts.duration < 10 else ""),
        "- Worker files: `benches/workers/{hello,json,cpu,echo}.js`, the same for every server; echo posts 64 KiB",
        f"- many Workers: {opts.many} Workers (`wK.localhost`, each answering `hello from wK`), "
        "`wrk -s benches/compare/many.lua` drawing the Worker per request (Zipf(1.1) over a fixed shuffle, then uniform); "
        "workerd serves them through one router Worker with a service binding to each",
    ] + ([f"- this run measured the phases {', '.join(phases)}; the other sections are kept from an earlier run"] if partial else []) + [""])
    notes = "\n".join([
        f"- **spawn → first response**: from starting the server process (pinned to core 0) to the first 200 answer to `GET /` of hello "
        f"(polled every 0.2 ms); {opts.spawn_runs} spawns per server, the servers taken in turn.",
        "- **peak RSS**: the server process's high-water mark (VmHWM) after the load; **CPU/req**: its user + system time during the measured run per request.",
        "- Cold start and idle-isolate memory come from `motu bench --workload hello --duration 1s --isolates 100` (both cores, in-process load generator): "
        "create an isolate, load the prelude, evaluate the Worker, answer one request over loopback HTTP.",
        "- **many Workers**: *spawn → ready* is from spawning the server to the first 200 answer of the last Worker declared; "
        "*touch all* sends one request to every Worker in turn over one connection and checks each answer is that Worker's own; "
        "*single* is the same server's hello with one Worker, measured in the same run. The budget cell's cold starts and evictions are "
        "the differences of motu's `/metrics` before and after the Zipf load.",
        "- Two cores shared with other work may add noise; figures from one run.",
    ])
    sections["Notes"] = notes
    order = ["Per server", "motu as ratios to each peer", "Process spawn to first response", "Isolates (motu only)", "Targets"]
    kept = read_sections(opts.results) if partial else {}
    merged = dict(kept)
    merged.update(sections)
    titles = order + [t for t in merged if t not in order and t != "Notes"] + ["Notes"]
    text = header + "\n" + "".join(f"\n## {t}\n\n{merged[t]}\n" for t in titles if t in merged)
    with open(opts.results, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
