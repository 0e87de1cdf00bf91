//! A Durable Object counter through HTTP, beside the hello Worker, per
//! engine: `motu serve` (the bench build) with two Workers, `hello`
//! (answers "Hello World!") and `counter`, whose fetch handler calls one
//! object (`get(idFromName("c"))`) through its stub:
//!
//! - `/rpc-increment`: the RPC method `increment()` (`storage.get`, then
//!   `put`; its result waits for the fsync of the object's log: the output
//!   gate) — the target: at least 0.3x hello;
//! - `/rpc-read`: the RPC method `read()` (`get` only, no write, no fsync);
//! - `/increment`: the same increment through `stub.fetch` and the
//!   object's `fetch` handler.
//!
//! Every request goes to the same object, so its events are one at a time.
//! Driven by the same closed-loop load (CONNECTIONS keep-alive connections,
//! each sending its next request when the last answer arrived) for SECONDS
//! each, alternating, ROUNDS times. Prints the req/s of each and their
//! ratios to hello, measured in the same run. The fsync is reported on its
//! own, from the server's `motu_durable_object_flush_seconds` histogram
//! read before and after each RPC increment load: how long one flush took
//! on average, how many increments one flush covered (flushes are grouped
//! while one is going on), and the share of the load's wall time during
//! which a flush of the object was going on. The read column against the
//! increment column is what the write and its fsync cost.
//!
//! `cargo bench --bench durable_objects` (QuickJS); add `--features v8` for
//! both. `DO_BENCH_SECONDS` and `DO_BENCH_CONNECTIONS` change the load.

mod http;

use std::time::Duration;

use http::{Server, Target};

const ROUNDS: usize = 3;

const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";
const COUNTER: &str = "import { DurableObject } from 'cloudflare:workers';\n\
export class Counter extends DurableObject {\n\
  async increment() {\n\
    const n = ((await this.ctx.storage.get('n')) ?? 0) + 1;\n\
    await this.ctx.storage.put('n', n);\n\
    return n;\n\
  }\n\
  async read() { return (await this.ctx.storage.get('n')) ?? 0; }\n\
  async fetch(request) {\n\
    const n = (await this.ctx.storage.get('n')) ?? 0;\n\
    if (new URL(request.url).pathname === '/increment') await this.ctx.storage.put('n', n + 1);\n\
    return new Response(String(n));\n\
  }\n\
}\n\
export default {\n\
  async fetch(request, env) {\n\
    const stub = env.COUNTER.get(env.COUNTER.idFromName('c'));\n\
    const path = new URL(request.url).pathname;\n\
    if (path === '/rpc-increment') await stub.increment();\n\
    else if (path === '/rpc-read') await stub.read();\n\
    else await (await stub.fetch(new URL(path, 'https://do.internal'))).text();\n\
    return new Response('ok');\n\
  },\n\
};\n";

/// The flush histogram's sum (seconds) and count for the counter Worker.
fn flushes(admin: &str) -> (f64, f64) {
    let mut c = http::Connection::open(admin);
    let (status, body) = c.request_body("GET", "admin", "/metrics", b"");
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&body);
    let value = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name}{{worker=\"counter\"}}")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        value("motu_durable_object_flush_seconds_sum"),
        value("motu_durable_object_flush_seconds_count"),
    )
}

fn main() {
    let seconds: f64 = http::setting("DO_BENCH_SECONDS", 3.0);
    let connections: usize = http::setting("DO_BENCH_CONNECTIONS", 8);
    let (warmup, time) = (Duration::from_millis(300), Duration::from_secs_f64(seconds));
    println!(
        "Durable Object counter vs hello, {connections} connections, {seconds} s per measure, best of {ROUNDS}"
    );
    println!(
        "{:<8} {:>11} {:>13} {:>6} {:>12} {:>6} {:>14} {:>6} | {:>13} {:>13} {:>11}",
        "engine",
        "hello req/s",
        "RPC incr. r/s",
        "ratio",
        "RPC read r/s",
        "ratio",
        "fetch incr r/s",
        "ratio",
        "fsync mean ms",
        "incr./fsync",
        "fsync share"
    );
    for engine in http::engines() {
        let config = format!(
            "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
             [admin]\nlisten = \"127.0.0.1:0\"\n\
             [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
             [[workers]]\nname = \"counter\"\nmain = \"counter.js\"\nroutes = [\"counter.test/*\"]\n\
             [[workers.durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n"
        );
        let server = Server::with_files(
            &http::motu_bin(),
            &[
                ("hello.js", HELLO),
                ("counter.js", COUNTER),
                ("motu.toml", &config),
            ],
        );
        let admin = server
            .admin
            .clone()
            .expect("motu printed its admin address");
        let measure = |host, path, length| {
            let target = Target::get(host, path).answering(length);
            http::load(&server.addr, target, connections, warmup, time)
        };
        let (mut hello, mut rpc, mut read, mut fetch) = (0f64, 0f64, 0f64, 0f64);
        let (mut flush_s, mut flush_n, mut increments) = (0f64, 0f64, 0u64);
        for _ in 0..ROUNDS {
            hello = hello.max(measure("hello.test", "/", 12).requests);
            let before = flushes(&admin);
            let rate = measure("counter.test", "/rpc-increment", 2);
            let after = flushes(&admin);
            rpc = rpc.max(rate.requests);
            (flush_s, flush_n) = (flush_s + after.0 - before.0, flush_n + after.1 - before.1);
            increments += rate.all_answers;
            read = read.max(measure("counter.test", "/rpc-read", 2).requests);
            fetch = fetch.max(measure("counter.test", "/increment", 2).requests);
        }
        let wall = (warmup + time).as_secs_f64() * ROUNDS as f64;
        println!(
            "{engine:<8} {hello:>11.0} {rpc:>13.0} {:>5.2}x {read:>12.0} {:>5.2}x {fetch:>14.0} {:>5.2}x | {:>13.2} {:>13.1} {:>10.0}%",
            rpc / hello,
            read / hello,
            fetch / hello,
            flush_s / flush_n.max(1.0) * 1e3,
            increments as f64 / flush_n.max(1.0),
            flush_s / wall * 100.0,
        );
    }
}
