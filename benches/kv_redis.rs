//! KV through a Worker over HTTP, on the Redis backend (`[cluster] redis`)
//! beside the embedded one, per engine: two `motu serve` processes (the
//! bench build) with the same Worker, one keeping its namespace in its
//! state folder (SQLite), one in a `redis-server` this bench starts on a
//! free loopback port. Each is driven by the same closed-loop load
//! (CONNECTIONS keep-alive connections, each sending its next request when
//! the last answer arrived) for SECONDS per measure, alternating, best of
//! ROUNDS: `get` of a 1 KiB value and `put` of a 1 KiB value. Prints the
//! req/s and the ratios Redis/embedded measured in the same run (the
//! target: Redis get at least 0.5x embedded get), then `redis-benchmark`'s
//! own GET figure against the same server, the limit of what Redis gives
//! on this machine.
//!
//! The Worker's CPU limit is raised to 1 s: on a busy machine an embedded
//! put's share of SQLite's work (a WAL checkpoint, now and then) can pass
//! the default 50 ms, which is not what this measures.
//!
//! The two backends do not promise the same thing: an embedded put is on
//! disk (SQLite, `synchronous=FULL`) when it is acknowledged; a Redis put
//! is as durable as the Redis server is configured to make it (here its
//! defaults: no append-only file).
//!
//! `cargo bench --bench kv_redis` (QuickJS); add `--features v8` for both.
//! `KV_BENCH_SECONDS` and `KV_BENCH_CONNECTIONS` change the load. Needs
//! `redis-server` and `redis-benchmark` (scripts/install-redis.sh).

mod http;

use std::time::Duration;

use http::redis::Redis;
use http::{Connection, Server, Target};

const ROUNDS: usize = 3;

const KV: &str = "export default {\n  async fetch(request, env) {\n    if (new URL(request.url).pathname === '/put') {\n      await env.KV.put('k', 'v'.repeat(1024));\n      return new Response('stored');\n    }\n    return new Response(await env.KV.get('k'));\n  },\n};\n";

/// The KV Worker, its namespace embedded or in the Redis at `redis`.
fn motu(engine: &str, redis: Option<&str>) -> Server {
    let cluster = redis
        .map(|url| format!("[cluster]\nredis = \"{url}\"\n"))
        .unwrap_or_default();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n{cluster}\
         [limits]\ncpu_ms = 1000\n\
         [[workers]]\nname = \"kv\"\nmain = \"kv.js\"\n\
         [[workers.kv_namespaces]]\nbinding = \"KV\"\nid = \"bench\"\n"
    );
    Server::with_files(&http::motu_bin(), &[("kv.js", KV), ("motu.toml", &config)])
}

fn main() {
    let seconds: f64 = http::setting("KV_BENCH_SECONDS", 3.0);
    let connections: usize = http::setting("KV_BENCH_CONNECTIONS", 8);
    let (warmup, time) = (Duration::from_millis(300), Duration::from_secs_f64(seconds));
    let redis =
        Redis::start(&[]).expect("redis-server runs (scripts/install-redis.sh installs it)");
    println!(
        "KV through a Worker, 1 KiB values, embedded (SQLite) vs Redis, {connections} connections, \
         {seconds} s per measure, best of {ROUNDS}"
    );
    println!(
        "{:<8} {:>10} {:>10} {:>7} {:>10} {:>10} {:>7}",
        "engine", "get emb", "get redis", "ratio", "put emb", "put redis", "ratio"
    );
    for engine in http::engines() {
        let embedded = motu(engine, None);
        let clustered = motu(engine, Some(&redis.url()));
        for server in [&embedded, &clustered] {
            // The value that `get` reads.
            let (status, _) = Connection::open(&server.addr).request("GET", "kv.test", "/put", b"");
            assert_eq!(status, 200);
        }
        let load = |server: &Server, path, length| {
            let target = Target::get("kv.test", path).answering(length);
            http::load(&server.addr, target, connections, warmup, time).requests
        };
        let mut best = [0f64; 4];
        for _ in 0..ROUNDS {
            let figures = [
                load(&embedded, "/", 1024),
                load(&clustered, "/", 1024),
                load(&embedded, "/put", 6),
                load(&clustered, "/put", 6),
            ];
            for (b, f) in best.iter_mut().zip(figures) {
                *b = b.max(f);
            }
        }
        let [ge, gr, pe, pr] = best;
        println!(
            "{engine:<8} {ge:>10.0} {gr:>10.0} {:>6.2}x {pe:>10.0} {pr:>10.0} {:>6.2}x",
            gr / ge,
            pr / pe
        );
    }
    match redis.benchmark(connections, &["-t", "get", "-d", "1024"]) {
        Some(rps) => println!(
            "redis-benchmark GET (1 KiB, {connections} clients) on this machine: {rps:.0} req/s"
        ),
        None => println!("redis-benchmark GET: could not run redis-benchmark"),
    }
}
