//! A Durable Object counter through HTTP, beside the hello Worker, per
//! engine: `motu serve` (the bench build) with two Workers, `hello`
//! (answers "Hello World!") and `counter`, whose fetch handler calls one
//! object (`idFromName("c")`) through its stub: `/read` reads the count
//! (`storage.get`, no write), `/increment` reads and writes it (`get`, then
//! `put`, whose response waits for the fsync of the object's log: the
//! output gate). Every request goes to the same object, so its events are
//! one at a time. Driven by the same closed-loop load (CONNECTIONS
//! keep-alive connections, each sending its next request when the last
//! answer arrived) for SECONDS each, alternating, ROUNDS times. Prints the
//! req/s of each and their ratios to hello, measured in the same run (the
//! target: increments at least 0.3x hello); the read column against the
//! increment column is what the durable write (its fsync) costs.
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
  async fetch(request) {\n\
    const n = (await this.ctx.storage.get('n')) ?? 0;\n\
    if (new URL(request.url).pathname === '/increment') await this.ctx.storage.put('n', n + 1);\n\
    return new Response(String(n));\n\
  }\n\
}\n\
export default {\n\
  async fetch(request, env) {\n\
    const stub = env.COUNTER.getByName('c');\n\
    const response = await stub.fetch(new URL(new URL(request.url).pathname, 'https://do.internal'));\n\
    await response.text();\n\
    return new Response('ok');\n\
  },\n\
};\n";

fn main() {
    let seconds: f64 = http::setting("DO_BENCH_SECONDS", 3.0);
    let connections: usize = http::setting("DO_BENCH_CONNECTIONS", 8);
    let (warmup, time) = (Duration::from_millis(300), Duration::from_secs_f64(seconds));
    println!(
        "Durable Object counter vs hello, {connections} connections, {seconds} s per measure, best of {ROUNDS}"
    );
    println!(
        "{:<8} {:>12} {:>10} {:>7} {:>12} {:>7}",
        "engine", "hello req/s", "read req/s", "ratio", "incr. req/s", "ratio"
    );
    for engine in http::engines() {
        let config = format!(
            "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
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
        let measure = |host, path, length| {
            let target = Target::get(host, path).answering(length);
            http::load(&server.addr, target, connections, warmup, time).requests
        };
        let (mut hello, mut read, mut increment) = (0f64, 0f64, 0f64);
        for _ in 0..ROUNDS {
            hello = hello.max(measure("hello.test", "/", 12));
            read = read.max(measure("counter.test", "/read", 2));
            increment = increment.max(measure("counter.test", "/increment", 2));
        }
        println!(
            "{engine:<8} {hello:>12.0} {read:>10.0} {:>6.2}x {increment:>12.0} {:>6.2}x",
            read / hello,
            increment / hello
        );
    }
}
