//! KV `get` through a Worker over HTTP, beside the hello Worker, per
//! engine: `motu serve` (the bench build) with two Workers, `hello`
//! (answers "Hello World!") and `kv` (answers `await env.KV.get("k")`, a
//! 1 KiB value, from a namespace in a fresh state folder), driven by the
//! same closed-loop load (CONNECTIONS keep-alive connections, each sending
//! its next request when the last answer arrived) for SECONDS each,
//! alternating, ROUNDS times. Prints the req/s of each and their ratio,
//! measured in the same run (the target: KV get at least 0.5x hello).
//!
//! `cargo bench --bench storage_kv` (QuickJS); add `--features v8` for
//! both. `KV_BENCH_SECONDS` and `KV_BENCH_CONNECTIONS` change the load.

mod http;

use std::time::Duration;

use http::{Connection, Server, Target};

const ROUNDS: usize = 3;

const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";
const KV: &str = "export default {\n  async fetch(request, env) {\n    if (request.method === 'PUT') {\n      await env.KV.put('k', 'v'.repeat(1024));\n      return new Response('stored');\n    }\n    return new Response(await env.KV.get('k'));\n  },\n};\n";

fn config(engine: &str) -> String {
    format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
         [[workers]]\nname = \"kv\"\nmain = \"kv.js\"\nroutes = [\"kv.test/*\"]\n\
         [[workers.kv_namespaces]]\nbinding = \"KV\"\nid = \"bench\"\n"
    )
}

fn main() {
    let seconds: f64 = http::setting("KV_BENCH_SECONDS", 3.0);
    let connections: usize = http::setting("KV_BENCH_CONNECTIONS", 8);
    let (warmup, time) = (Duration::from_millis(300), Duration::from_secs_f64(seconds));
    println!(
        "KV get of a 1 KiB value vs hello, {connections} connections, {seconds} s per measure, best of {ROUNDS}"
    );
    println!(
        "{:<8} {:>12} {:>12} {:>8}",
        "engine", "hello req/s", "kv get req/s", "ratio"
    );
    for engine in http::engines() {
        let config = config(engine);
        let server = Server::with_files(
            &http::motu_bin(),
            &[("hello.js", HELLO), ("kv.js", KV), ("motu.toml", &config)],
        );
        let (status, _) = Connection::open(&server.addr).request("PUT", "kv.test", "/", b"");
        assert_eq!(status, 200, "the value is stored");
        let (mut hello, mut kv) = (0f64, 0f64);
        for _ in 0..ROUNDS {
            let target = Target::get("hello.test", "/").answering(12);
            hello = hello.max(http::load(&server.addr, target, connections, warmup, time).requests);
            let target = Target::get("kv.test", "/").answering(1024);
            kv = kv.max(http::load(&server.addr, target, connections, warmup, time).requests);
        }
        println!("{engine:<8} {hello:>12.0} {kv:>12.0} {:>7.2}x", kv / hello);
    }
}
