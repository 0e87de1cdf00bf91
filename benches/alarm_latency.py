#!/usr/bin/env python3
"""How late Durable Object alarms and Workflow wake-ups start, and the idle CPU.

Serves a Worker (written to a temporary folder) with a Durable Object class
whose `alarm()` records how long after its scheduled time it started, and a
Workflow whose first step records the time since just before `create()`,
and whose step after `waitForEvent` the time since just before
`sendEvent()`. One at a time (each set at a random offset, so as not to be
in step with any poll), N of each: alarms set for now and 30 ms ahead, then
Workflow instances. Prints the median, p99 and maximum of each, in ms.

With `--idle SECONDS` it measures instead the CPU the server takes while
idle: 10 objects hold alarms an hour ahead (so the alarm index exists),
left out of memory, then SECONDS of nothing.

    benches/alarm_latency.py --motu target/release/motu [--motu /tmp/motu-before] \\
        [--engine quickjs] [--count 50] [--rounds 2] [--idle 60]

Several binaries alternate, round after round, each in a fresh server with
a fresh state folder; `uptime` is printed before each.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time

WRANGLER = """{
  "name": "alarm-latency",
  "main": "index.js",
  "compatibility_date": "2025-10-08",
  "workflows": [{ "name": "flow", "binding": "FLOW", "class_name": "Flow" }],
  "durable_objects": { "bindings": [{ "name": "BENCH", "class_name": "Bench" }] },
  "migrations": [{ "tag": "v1", "new_sqlite_classes": ["Bench"] }]
}
"""

WORKER = """
import { DurableObject, WorkflowEntrypoint } from 'cloudflare:workers';

export class Bench extends DurableObject {
  async arm(ahead) {
    const at = Date.now() + ahead;
    await this.ctx.storage.put('at', at);
    await this.ctx.storage.delete('late');
    await this.ctx.storage.setAlarm(at);
    return at;
  }
  async alarm() {
    await this.ctx.storage.put('late', Date.now() - (await this.ctx.storage.get('at')));
  }
  async late() { return (await this.ctx.storage.get('late')) ?? null; }
}

export class Flow extends WorkflowEntrypoint {
  async run(event, step) {
    const first = await step.do('first', async () => Date.now() - event.payload.t0);
    const ev = await step.waitForEvent('go', { type: 'go', timeout: '1 hour' });
    const resumed = await step.do('after', async () => Date.now() - ev.payload.t0);
    return { first, resumed };
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const id = url.searchParams.get('id');
    switch (url.pathname) {
      case '/arm': return Response.json(await env.BENCH.getByName(id).arm(Number(url.searchParams.get('in'))));
      case '/late': return Response.json(await env.BENCH.getByName(id).late());
      case '/create':
        await env.FLOW.create({ id, params: { t0: Date.now() } });
        return Response.json(null);
      case '/send':
        await (await env.FLOW.get(id)).sendEvent({ type: 'go', payload: { t0: Date.now() } });
        return Response.json(null);
      case '/status': return Response.json(await (await env.FLOW.get(id)).status());
    }
    return Response.json('alarm-latency');
  },
};
"""


class Server:
    def __init__(self, motu, engine, project, port):
        self.port = port
        self.state = tempfile.mkdtemp(prefix="alarm-latency-state-")
        self.proc = subprocess.Popen(
            [motu, "serve", "--config", os.path.join(project, "wrangler.jsonc"),
             "--engine", engine, "--persist-to", self.state, "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.get("/")

    def get(self, path):
        for _ in range(600):
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                c.request("GET", path)
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status == 200:
                    return json.loads(body)
            except (ConnectionRefusedError, ConnectionResetError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"GET {path} never answered 200")

    def wait(self, path, pick):
        while (v := pick(self.get(path))) is None:
            time.sleep(0.002)
        return v

    def cpu_seconds(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.state, ignore_errors=True)


def summary(xs):
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, round(0.99 * (len(xs) - 1)))]
    return f"median {statistics.median(xs):.1f} ms, p99 {p99:.1f} ms, max {xs[-1]:.1f} ms (n={len(xs)})"


def latencies(server, count):
    out = {}
    for ahead in (0, 30):
        lates = []
        for i in range(count):
            time.sleep(random.uniform(0, 0.25))
            server.get(f"/arm?id=o{ahead}-{i}&in={ahead}")
            lates.append(server.wait(f"/late?id=o{ahead}-{i}", lambda v: v))
        out[f"setAlarm(now + {ahead} ms) -> alarm()"] = summary(lates)
    first, resumed = [], []
    for i in range(count):
        time.sleep(random.uniform(0, 0.25))
        server.get(f"/create?id=w{i}")
        server.wait(f"/status?id=w{i}", lambda s: s if s["status"] == "waiting" else None)
        time.sleep(random.uniform(0, 0.25))
        server.get(f"/send?id=w{i}")
        s = server.wait(f"/status?id=w{i}", lambda s: s if s["status"] == "complete" else None)
        first.append(s["output"]["first"])
        resumed.append(s["output"]["resumed"])
    out["Workflow create() -> first step"] = summary(first)
    out["Workflow sendEvent() -> step after waitForEvent"] = summary(resumed)
    return out


def idle(server, seconds):
    for i in range(10):
        server.get(f"/arm?id=idle{i}&in=3600000")
    time.sleep(15)  # past the objects' idle timeout (10 s): out of memory
    c0, t0 = server.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    c1, t1 = server.cpu_seconds(), time.monotonic()
    return {"idle CPU": f"{1000 * (c1 - c0) / (t1 - t0):.2f} ms per s ({c1 - c0:.2f} s in {t1 - t0:.0f} s)"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--motu", action="append", required=True)
    p.add_argument("--engine", default="quickjs")
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--idle", type=float, default=None)
    p.add_argument("--port", type=int, default=18620)
    a = p.parse_args()
    project = tempfile.mkdtemp(prefix="alarm-latency-")
    with open(os.path.join(project, "wrangler.jsonc"), "w") as f:
        f.write(WRANGLER)
    with open(os.path.join(project, "index.js"), "w") as f:
        f.write(WORKER)
    try:
        for r in range(a.rounds):
            for motu in a.motu:
                print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
                server = Server(motu, a.engine, project, a.port)
                try:
                    out = idle(server, a.idle) if a.idle else latencies(server, a.count)
                finally:
                    server.stop()
                for k, v in out.items():
                    print(f"round {r + 1} {a.engine} {motu}: {k}: {v}", flush=True)
    finally:
        shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
