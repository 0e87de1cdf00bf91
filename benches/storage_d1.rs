//! D1 through a Worker over HTTP, beside the hello Worker, per engine:
//! `motu serve` (the bench build) with two Workers, `hello` (answers "Hello
//! World!") and `d1`, over a database in a fresh state folder with the
//! fixture project's schema (`tests/projects/storage-d1/migrations`,
//! applied with `motu d1 migrations apply`). `d1` answers a point select
//! by primary key (`GET /`: `prepare(…).bind(1).first()`, the row as JSON)
//! or an insert (`GET /insert`: `prepare(…).bind(…).run()`, a durable
//! commit each). The same closed-loop load (CONNECTIONS keep-alive
//! connections, each sending its next request when the last answer
//! arrived) drives each for SECONDS, alternating, ROUNDS times; printed:
//! the best req/s of each (the machine is shared: the best round is the
//! one least disturbed) and the ratios to hello measured in the same run
//! (target: select at least 0.5x hello). The KV bench measures the same
//! way.
//!
//! `cargo bench --bench storage_d1` (QuickJS); add `--features v8` for
//! both. `D1_BENCH_SECONDS` (default 3) and `D1_BENCH_CONNECTIONS`
//! (default 8) change the load.

mod http;

use std::process::{Command, Stdio};
use std::time::Duration;

use http::{Server, Target};

const ROUNDS: usize = 3;
const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";
const D1: &str = "export default {\n  async fetch(request, env) {\n    if (request.url.endsWith('/insert')) {\n      const r = await env.DB.prepare('INSERT INTO entries (k, v) VALUES (?, ?)').bind(crypto.randomUUID(), 'v').run();\n      return new Response(String(r.meta.changes));\n    }\n    const row = await env.DB.prepare('SELECT id, email, name FROM users WHERE id = ?').bind(1).first();\n    return Response.json(row);\n  },\n};\n";

/// A server over a fresh state folder whose D1 database has the fixture
/// project's schema.
fn start(bin: &str, engine: &str) -> Server {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.js"), HELLO).unwrap();
    std::fs::write(dir.path().join("d1.js"), D1).unwrap();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
         [[workers]]\nname = \"d1\"\nmain = \"d1.js\"\nroutes = [\"d1.test/*\"]\n\
         [[workers.d1_databases]]\nbinding = \"DB\"\ndatabase_id = \"bench\"\n\
         migrations_dir = \"{root}/tests/projects/storage-d1/migrations\"\n"
    );
    let file = dir.path().join("motu.toml");
    std::fs::write(&file, config).unwrap();
    let status = Command::new(bin)
        .args(["d1", "migrations", "apply", "DB", "--config"])
        .arg(&file)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "migrations");
    Server::serve(bin, dir)
}

fn main() {
    let bin = http::motu_bin();
    let seconds: f64 = http::setting("D1_BENCH_SECONDS", 3.0);
    let connections: usize = http::setting("D1_BENCH_CONNECTIONS", 8);
    let (warmup, time) = (Duration::from_millis(300), Duration::from_secs_f64(seconds));
    println!(
        "binary: {bin}; {connections} connections, best of {ROUNDS} rounds of {seconds} s per figure"
    );
    println!(
        "{:<8} {:>12} {:>14} {:>8} {:>14} {:>8}",
        "engine", "hello req/s", "select req/s", "ratio", "insert req/s", "ratio"
    );
    for engine in http::engines() {
        let s = start(&bin, engine);
        let measure = |host, path| {
            http::load(&s.addr, Target::get(host, path), connections, warmup, time).requests
        };
        let (mut hello, mut select, mut insert) = (0.0f64, 0.0f64, 0.0f64);
        for _ in 0..ROUNDS {
            hello = hello.max(measure("hello.test", "/"));
            select = select.max(measure("d1.test", "/"));
            insert = insert.max(measure("d1.test", "/insert"));
        }
        println!(
            "{engine:<8} {hello:>12.0} {select:>14.0} {:>7.2}x {insert:>14.0} {:>7.2}x",
            select / hello,
            insert / hello
        );
    }
}
