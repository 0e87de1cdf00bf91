"""The many-Workers phase of compare.py: N distinct Workers in one server
process, each `export default { fetch }` answering its own short string at
wK.localhost, loaded by wrk with the Worker drawn per request (many.lua):
Zipf(1.1) over a fixed shuffle of the Workers, then uniformly.

motu serves them from one config of N `[[workers]]`; workerd, as its users
serve many Workers, from one router Worker holding N service bindings (the
router reads the Host header and forwards to the binding of that name).

Measured per server, in one fresh process pinned to core 0 (wrk on core 1):
- spawn → ready: from spawning the process to the first 200 answer of the
  last Worker declared (motu is ready once it listens with every Worker
  registered and its code checked);
- touch: one request to every Worker in turn over one keep-alive
  connection, each answer checked to be that Worker's own; the time it
  took, and the server's resident memory after it;
- per distribution, after a 1 s warm-up with the same draw: req/s, p50,
  p99, errors (non-2xx answers and socket errors), CPU per request, and
  the resident memory after it;
- motu only, from its /metrics: isolates started and evicted (by reason)
  over the whole run.

A budget cell runs motu with `memory_budget_mb` set (10,000 Workers and
2048 MiB by default): its peak resident memory against the budget, and the
cold starts (isolates started) and evictions the Zipf load caused. What a
registered Worker with no live isolate costs is the resident memory at
ready of that server less that of the same server with one Worker, per
Worker (both with the one isolate the readiness probe started).
"""

import os
import re
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))

WORKER = """export default {{
  fetch() {{
    return new Response("hello from w{i}");
  }},
}};
"""

ROUTER = """export default {
  fetch(request, env) {
    const host = request.headers.get("host") || "";
    const service = env[host.slice(0, host.indexOf("."))];
    return service ? service.fetch(request) : new Response("no such Worker", { status: 404 });
  },
};
"""


def body_of(i):
    return f"hello from w{i}"


def write_workers(directory, n):
    os.makedirs(directory, exist_ok=True)
    for i in range(n):
        with open(os.path.join(directory, f"w{i}.js"), "w") as f:
            f.write(WORKER.format(i=i))


def motu_config(path, engine, n, workers_dir, port, admin_port, budget_mb=None):
    lines = [
        "[server]",
        f'listen = "127.0.0.1:{port}"',
        f'engine = "{engine}"',
        "",
        "[admin]",
        f'listen = "127.0.0.1:{admin_port}"',
        "",
        "[limits]",
    ]
    if budget_mb:
        lines.append(f"memory_budget_mb = {budget_mb}")
    lines.append("")
    for i in range(n):
        lines += [
            "[[workers]]",
            f'name = "w{i}"',
            f'main = "{os.path.join(workers_dir, f"w{i}.js")}"',
            "workers_dev = true",
            "",
        ]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def workerd_config(path, n, workers_dir):
    """The capnp config at `path`, which must be a folder above
    `workers_dir` (workerd embeds files by paths relative to the config)."""
    rel = os.path.relpath(workers_dir, os.path.dirname(path))
    services = ['    (name = "router", worker = .router),']
    services += [f'    (name = "w{i}", worker = .w{i}),' for i in range(n)]
    bindings = ",\n".join(f'      (name = "w{i}", service = "w{i}")' for i in range(n))
    workers = [
        f'const w{i} :Workerd.Worker = (\n'
        f'  modules = [ (name = "w{i}.js", esModule = embed "{rel}/w{i}.js") ],\n'
        '  compatibilityDate = "2025-01-01",\n'
        ");\n"
        for i in range(n)
    ]
    with open(os.path.join(os.path.dirname(path), "router.js"), "w") as f:
        f.write(ROUTER)
    text = (
        'using Workerd = import "/workerd/workerd.capnp";\n\n'
        "const config :Workerd.Config = (\n"
        "  services = [\n" + "\n".join(services) + "\n  ],\n"
        '  sockets = [ (name = "http", address = "127.0.0.1:PORT", http = (), service = "router") ],\n'
        ");\n\n"
        "const router :Workerd.Worker = (\n"
        '  modules = [ (name = "router.js", esModule = embed "router.js") ],\n'
        '  compatibilityDate = "2025-01-01",\n'
        "  bindings = [\n" + bindings + "\n  ],\n"
        ");\n\n" + "\n".join(workers)
    )
    with open(path, "w") as f:
        f.write(text)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Conn:
    """One keep-alive HTTP/1.1 connection for GET requests, reconnecting
    when the server closes it."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.buf = b""

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None
        self.buf = b""

    def get(self, host, timeout=30.0):
        for attempt in range(2):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                return self._read()
            except (OSError, ConnectionError):
                self.close()
                if attempt:
                    raise
        raise ConnectionError("unreachable")

    def _read(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    self._fill()
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.buf += data


def wait_ready(port, proc, host, timeout):
    """Polls GET / at `host` until it answers 200; returns when it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            status, _ = Conn(port).get(host, timeout=5)
            if status == 200:
                return time.monotonic()
        except (OSError, ConnectionError, ValueError, IndexError):
            pass
        time.sleep(0.001)
    raise RuntimeError("the server did not answer in time")


def rss_kib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def metrics(admin_port):
    """motu's isolate starts and evictions by reason, from /metrics."""
    try:
        with socket.create_connection(("127.0.0.1", admin_port), timeout=30) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n")
            chunks = []
            while True:
                data = s.recv(1 << 20)
                if not data:
                    break
                chunks.append(data)
    except OSError:
        return {}
    text = b"".join(chunks).decode("utf-8", "replace")
    out = {"starts": 0, "live": 0, "evictions": {}}
    for line in text.splitlines():
        if line.startswith("motu_isolate_starts_total{"):
            out["starts"] += int(float(line.rsplit(" ", 1)[1]))
        elif line.startswith("motu_isolates_live{"):
            out["live"] += int(float(line.rsplit(" ", 1)[1]))
        elif line.startswith("motu_isolate_evictions_total{"):
            m = re.search(r'reason="([^"]+)"', line)
            if m:
                reason = m.group(1)
                out["evictions"][reason] = out["evictions"].get(reason, 0) + int(float(line.rsplit(" ", 1)[1]))
    return out


def wrk_many(port, n, dist, seconds, opts, wrk_parse):
    args = ["taskset", "-c", "1", "wrk", "-t1", f"-c{opts.connections}", f"-d{seconds}s", "--latency",
            "-s", os.path.join(HERE, "many.lua"), f"http://127.0.0.1:{port}/", "--", str(n),
            dist, "1.1" if dist == "zipf" else "0", "1"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return wrk_parse(out)


def spawn(argv, env):
    return subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {0}),
    )


def run_cell(server, n, tmp, opts, helpers, budget_mb=None, dists=("zipf", "uniform")):
    """One server with `n` Workers: the figures described in the module's
    docs. `helpers` gives compare.py's wrk parser, CPU ticks and stop."""
    workers_dir = os.path.join(tmp, f"many-{n}")
    if not os.path.isdir(workers_dir):
        write_workers(workers_dir, n)
    port = free_port()
    admin_port = None
    env = dict(os.environ)
    if server.startswith("motu-"):
        engine = server.split("-", 1)[1]
        admin_port = free_port()
        config = os.path.join(tmp, f"many-{server}-{n}-{budget_mb or 0}.toml")
        motu_config(config, engine, n, workers_dir, port, admin_port, budget_mb)
        env.setdefault("RUST_LOG", "warn")
        argv = [opts.motu, "serve", "--config", config]
    elif server == "workerd":
        config = os.path.join(tmp, f"many-workerd-{n}.capnp")
        workerd_config(config, n, workers_dir)
        with open(config) as f:
            text = f.read().replace("127.0.0.1:PORT", f"127.0.0.1:{port}")
        with open(config, "w") as f:
            f.write(text)
        argv = [opts.workerd, "serve", config]
    else:
        raise ValueError(f"{server} has no many-Workers cell")
    result = {"n": n, "budget_mb": budget_mb}
    start = time.monotonic()
    proc = spawn(argv, env)
    try:
        ready = wait_ready(port, proc, f"w{n - 1}.localhost", timeout=600)
        result["spawn_s"] = ready - start
        result["rss_ready_kib"] = rss_kib(proc.pid)
        conn = Conn(port)
        wrong = 0
        t0 = time.monotonic()
        for i in range(n):
            status, body = conn.get(f"w{i}.localhost")
            if status != 200 or body.decode("utf-8", "replace") != body_of(i):
                wrong += 1
        result["touch_s"] = time.monotonic() - t0
        result["touch_wrong"] = wrong
        conn.close()
        time.sleep(0.5)
        result["rss_touch_kib"] = rss_kib(proc.pid)
        if admin_port:
            result["metrics_touch"] = metrics(admin_port)
        for dist in dists:
            wrk_many(port, n, dist, 1, opts, helpers["wrk_parse"])  # warm-up
            ticks0 = helpers["cpu_ticks"](proc.pid)
            r = wrk_many(port, n, dist, opts.duration, opts, helpers["wrk_parse"])
            ticks1 = helpers["cpu_ticks"](proc.pid)
            r["cpu_us_per_request"] = (ticks1 - ticks0) / helpers["clk_tck"] * 1e6 / max(r["requests"], 1)
            r["rss_kib"] = rss_kib(proc.pid)
            if admin_port:
                r["metrics"] = metrics(admin_port)
            result[dist] = r
        result["peak_rss_kib"] = rss_kib(proc.pid, "VmHWM")
        return result
    finally:
        helpers["stop"](proc)


def rss_at_ready(server, n, tmp, opts, helpers):
    """The resident memory of `server` with `n` Workers right after its
    first answer (of the last Worker), in KiB."""
    workers_dir = os.path.join(tmp, f"many-{n}")
    if not os.path.isdir(workers_dir):
        write_workers(workers_dir, n)
    port, admin_port = free_port(), free_port()
    engine = server.split("-", 1)[1]
    config = os.path.join(tmp, f"ready-{server}-{n}.toml")
    motu_config(config, engine, n, workers_dir, port, admin_port)
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "warn")
    proc = spawn([opts.motu, "serve", "--config", config], env)
    try:
        wait_ready(port, proc, f"w{n - 1}.localhost", timeout=600)
        return rss_kib(proc.pid)
    finally:
        helpers["stop"](proc)
