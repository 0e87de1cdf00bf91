//! R2 `get` of a 1 MiB object through a Worker over HTTP, beside the hello
//! Worker measured in the same run, per engine.
//!
//! One `motu serve` (release build) runs two Workers: the fixture project
//! `tests/projects/storage-r2` (`GET /get/KEY` answers
//! `new Response(object.body)` with the object's HTTP metadata) and
//! `benches/workers/hello.js`. Keep-alive HTTP/1.1 connections from this
//! process send requests back to back; after a warm-up, each load runs for
//! a fixed time. Printed: hello req/s; R2 get req/s, as a ratio to hello;
//! and the body bytes per second the R2 Worker served (GB/s, 10^9 bytes;
//! the target is at least 1 GB/s).
//!
//! `cargo bench --bench storage_r2` (QuickJS); add `--features v8` for
//! both engines. `R2_BENCH_SECS` sets the seconds per load (default 5),
//! `R2_BENCH_CONNECTIONS` the connections (default 8), `MOTU_BIN` another
//! build of the binary.

mod http;

use std::path::Path;
use std::time::Duration;

use http::{Connection, Server, Target};

const OBJECT: usize = 1 << 20;

/// A server with the R2 fixture project and the hello Worker.
fn start(bin: &str, engine: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    http::copy_dir(&root.join("tests/projects/storage-r2"), dir.path());
    std::fs::copy(
        root.join("benches/workers/hello.js"),
        dir.path().join("hello.js"),
    )
    .unwrap();
    let config = format!(
        "[server]\nengine = \"{engine}\"\n\
         [[workers]]\nname = \"r2\"\nmain = \"src/index.ts\"\nroutes = [\"r2.test/*\"]\n\
         [[workers.r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"bench\"\n\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n"
    );
    std::fs::write(dir.path().join("motu.toml"), config).unwrap();
    Server::serve(bin, dir)
}

fn main() {
    let bin = http::motu_bin();
    let secs: u64 = http::setting("R2_BENCH_SECS", 5);
    let connections: usize = http::setting("R2_BENCH_CONNECTIONS", 8);
    println!("binary: {bin}; {connections} connections, {secs} s per load after 1 s of warm-up");
    println!(
        "| engine | hello req/s | R2 get 1 MiB req/s | ÷ hello | body GB/s |\n| --- | ---: | ---: | ---: | ---: |"
    );
    for engine in http::engines() {
        let s = start(&bin, engine);
        let object: Vec<u8> = (0..OBJECT).map(|i| (i % 251) as u8).collect();
        let (status, _) =
            Connection::open(&s.addr).request("PUT", "r2.test", "/put/bench-1mib", &object);
        assert_eq!(status, 200, "storing the object");
        let (warmup, time) = (Duration::from_secs(1), Duration::from_secs(secs));
        let hello = http::load(
            &s.addr,
            Target::get("hello.test", "/"),
            connections,
            warmup,
            time,
        );
        let target = Target::get("r2.test", "/get/bench-1mib").answering(OBJECT);
        let r2 = http::load(&s.addr, target, connections, warmup, time);
        println!(
            "| {engine} | {:.0} | {:.0} | {:.3}× | {:.2} |",
            hello.requests,
            r2.requests,
            r2.requests / hello.requests,
            r2.bytes / 1e9
        );
    }
}
