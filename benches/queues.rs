//! Queue throughput through a Worker, beside the hello Worker, per engine
//! and per backend: `motu serve` (the bench build) with two Workers, `hello`
//! (answers "Hello World!") and `queue`, which sends to a queue on `POST /`
//! (one `send`, or a `sendBatch` of BATCH messages) and consumes the same
//! queue (its `queue` handler returns, so each batch is acknowledged), in a
//! fresh state folder. The producers are closed-loop clients (CONNECTIONS
//! keep-alive connections) for SECONDS; the figure is the messages sent
//! divided by the time from the first send until the queue is empty again,
//! every message acknowledged: messages/s from `send` to `ack`.
//!
//! Each engine is measured with the embedded backend (SQLite in the state
//! folder) and with the queue in Redis Streams (`[cluster] redis`, a
//! `redis-server` the bench starts, with its defaults: no append-only
//! file). Printed beside hello's req/s measured in the same run, and
//! beside `redis-benchmark`'s own XADD figure against the same Redis (one
//! small entry per command, as many clients as connections): the limit of
//! what Redis gives on this machine, as a ratio.
//!
//! The backends do not promise the same thing: an embedded send is on disk
//! (`synchronous=FULL`) when it resolves; a send to Redis is as durable as
//! the Redis server is configured to make it.
//!
//! `cargo bench --bench queues` (QuickJS); add `--features v8` for both.
//! `QUEUE_BENCH_SECONDS` and `QUEUE_BENCH_CONNECTIONS` change the load.
//! Needs `redis-server` and `redis-benchmark` (scripts/install-redis.sh)
//! for the Redis rows; without them only the embedded rows are printed.

mod http;

use std::time::{Duration, Instant};

use http::redis::Redis;
use http::{Connection, Server, Target};

const ROUNDS: usize = 3;
/// Messages per `sendBatch` in the batched measure.
const BATCH: usize = 10;

const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";
const QUEUE: &str = "export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/backlog') {
      return new Response(String((await env.Q.metrics()).backlogCount));
    }
    if (url.pathname === '/batch') {
      await env.Q.sendBatch(Array.from({ length: 10 }, (_, i) => ({ body: { n: i } })));
    } else {
      await env.Q.send({ n: 1 });
    }
    return new Response('ok');
  },
  async queue(batch) {
    let sum = 0;
    for (const m of batch.messages) sum += m.body.n;
    if (sum < 0) throw new Error('never');
  },
};
";

/// The server: hello and the queue Worker, its queue embedded or in the
/// Redis at `redis`.
fn start(engine: &str, redis: Option<&str>) -> Server {
    let cluster = redis
        .map(|url| format!("[cluster]\nredis = \"{url}\"\n"))
        .unwrap_or_default();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n{cluster}\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
         [[workers]]\nname = \"queue\"\nmain = \"queue.js\"\nroutes = [\"queue.test/*\"]\n\
         [[workers.queues.producers]]\nbinding = \"Q\"\nqueue = \"bench\"\n\
         [[workers.queues.consumers]]\nqueue = \"bench\"\nmax_batch_size = 100\nmax_batch_timeout = 0.05\n"
    );
    Server::with_files(
        &http::motu_bin(),
        &[
            ("hello.js", HELLO),
            ("queue.js", QUEUE),
            ("motu.toml", &config),
        ],
    )
}

/// Requests `connections` closed-loop clients sent with `method` to `host`
/// and `path` in `seconds`, every one answered 200 with `length` bytes.
fn requests(addr: &str, target: Target, connections: usize, seconds: f64) -> u64 {
    let time = Duration::from_secs_f64(seconds);
    http::load(addr, target, connections, Duration::ZERO, time).all_answers
}

/// The queue's backlog, as the Worker reports it.
fn backlog(addr: &str) -> u64 {
    let (status, body) = Connection::open(addr).request_body("GET", "queue.test", "/backlog", b"");
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap().trim().parse().unwrap()
}

/// Messages per second from `send` to `ack`: producers on `path` for
/// `seconds`, each request sending `per_request` messages, then waiting
/// until the queue is empty.
fn throughput(addr: &str, path: &str, per_request: usize, connections: usize, seconds: f64) -> f64 {
    let started = Instant::now();
    let target = Target {
        method: "POST",
        ..Target::get("queue.test", path).answering(2)
    };
    let sent = requests(addr, target, connections, seconds);
    while backlog(addr) > 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed().as_secs_f64();
    (sent * per_request as u64) as f64 / elapsed
}

/// The best of ROUNDS of `send` and `sendBatch` throughput on `server`.
fn measure(server: &Server, connections: usize, seconds: f64) -> (f64, f64) {
    let (mut single, mut batched) = (0f64, 0f64);
    for _ in 0..ROUNDS {
        single = single.max(throughput(&server.addr, "/", 1, connections, seconds));
        batched = batched.max(throughput(
            &server.addr,
            "/batch",
            BATCH,
            connections,
            seconds,
        ));
    }
    (single, batched)
}

fn main() {
    let seconds: f64 = http::setting("QUEUE_BENCH_SECONDS", 3.0);
    let connections: usize = http::setting("QUEUE_BENCH_CONNECTIONS", 8);
    let redis = Redis::start(&["--save", "", "--appendonly", "no"]);
    let xadd = redis.as_ref().and_then(|r| {
        r.benchmark(
            connections,
            &["XADD", "motu-bench-stream", "*", "body", "{\"n\":1}"],
        )
    });
    println!(
        "Queue messages/s from send to ack vs hello req/s, {connections} connections, {seconds} s of sending per measure, best of {ROUNDS}"
    );
    match xadd {
        Some(x) => println!(
            "redis-benchmark XADD ({connections} clients) on the same Redis: {x:.0} commands/s"
        ),
        None => println!("redis-benchmark XADD: could not run redis-server/redis-benchmark"),
    }
    println!(
        "{:<8} {:<9} {:>11} {:>11} {:>7} {:>8} {:>14} {:>7} {:>8}",
        "engine",
        "backend",
        "hello req/s",
        "send msg/s",
        "/hello",
        "/XADD",
        "batch10 msg/s",
        "/hello",
        "/XADD"
    );
    let vs_xadd = |v: f64| xadd.map_or("-".to_owned(), |x| format!("{:.3}x", v / x));
    for engine in http::engines() {
        let mut hello = 0f64;
        let mut backends: Vec<(&str, Option<String>)> = vec![("embedded", None)];
        if let Some(r) = &redis {
            backends.push(("redis", Some(r.url())));
        }
        for (backend, url) in backends {
            let server = start(engine, url.as_deref());
            if hello == 0.0 {
                for _ in 0..ROUNDS {
                    let target = Target::get("hello.test", "/").answering(12);
                    let sent = requests(&server.addr, target, connections, seconds);
                    hello = hello.max(sent as f64 / seconds);
                }
            }
            let (single, batched) = measure(&server, connections, seconds);
            println!(
                "{engine:<8} {backend:<9} {hello:>11.0} {single:>11.0} {:>6.2}x {:>8} {batched:>14.0} {:>6.2}x {:>8}",
                single / hello,
                vs_xadd(single),
                batched / hello,
                vs_xadd(batched)
            );
        }
    }
}
