//! `node:zlib` against hostile input, on every engine: a small "zip bomb"
//! (256 MiB of zeros in about 256 KiB) makes a Worker that inflates it
//! without a cap run out of its own memory (what it inflates lands in its
//! heap, a step at a time), in the sync and stream forms, while a neighbour
//! keeps being served; with `maxOutputLength` the Worker gets Node's
//! `RangeError` instead.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};

const BOMB_WORKER: &str = "\
import { inflateSync, createInflate } from 'node:zlib';
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/ok') return new Response('ok');
    const body = new Uint8Array(await request.arrayBuffer());
    if (path === '/capped') {
      try { inflateSync(body, { maxOutputLength: 1 << 20 }); return new Response('inflated'); }
      catch (e) { return new Response(`${e.name} ${e.code}`); }
    }
    if (path === '/sync') return new Response(String(inflateSync(body).length));
    const parts = [];
    const inflate = createInflate();
    inflate.on('data', c => parts.push(c));
    const done = new Promise((resolve, reject) => { inflate.on('end', resolve); inflate.on('error', reject); });
    inflate.end(body);
    await done;
    return new Response(String(parts.length));
  },
};
";

const NEIGHBOUR: &str = "export default { fetch() { return new Response('neighbour'); } };\n";

fn config(engine: &str) -> TempConfig {
    TempConfig::new(&[
        ("bomb.mjs", BOMB_WORKER),
        ("neighbour.mjs", NEIGHBOUR),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n\
                 [[workers]]\nname = \"bomb\"\nmain = \"bomb.mjs\"\nroutes = [\"bomb.test/*\"]\n\
                 compatibility_date = \"2025-04-01\"\ncompatibility_flags = [\"nodejs_compat\"]\n\
                 [workers.limits]\ncpu_ms = 60000\nmemory_mb = 32\n\
                 [[workers]]\nname = \"neighbour\"\nmain = \"neighbour.mjs\"\nroutes = [\"neighbour.test/*\"]\n"
            ),
        ),
    ])
}

/// 256 MiB of zeros, deflated (zlib format).
fn bomb() -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        z.write_all(&zeros).unwrap();
    }
    z.finish().unwrap()
}

fn ask(s: &Server, worker: &str, path: &str, body: &[u8]) -> (u16, String) {
    let host = format!("{worker}.test");
    match common::try_request(&s.addr, "POST", path, &[("host", &host)], body) {
        Some(r) => (r.status, r.text()),
        None => panic!("{worker}{path}: no answer; log:\n{}", s.log()),
    }
}

fn memory_evictions(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("isolate evicted") && l.contains("bomb"))
        .filter(|l| l.contains("MemoryLimit"))
        .count()
}

#[test]
fn a_zip_bomb_costs_only_its_own_worker() {
    let bomb = bomb();
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    on_each_engine("a_zip_bomb_costs_only_its_own_worker", |engine| {
        let c = config(engine);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        assert_eq!(
            ask(&s, "bomb", "/capped", &bomb),
            (200, "RangeError ERR_BUFFER_TOO_LARGE".to_owned())
        );
        for (i, path) in ["/sync", "/stream"].into_iter().enumerate() {
            let (status, text) = ask(&s, "bomb", path, &bomb);
            assert_eq!(
                (status, text.as_str()),
                (503, "Worker exceeded its memory limit.\n"),
                "{path}: {}",
                s.log()
            );
            let start = Instant::now();
            while memory_evictions(&s.log()) < i + 1 && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert_eq!(memory_evictions(&s.log()), i + 1, "{path}: {}", s.log());
            assert_eq!(
                ask(&s, "neighbour", "/", b""),
                (200, "neighbour".to_owned())
            );
            assert_eq!(ask(&s, "bomb", "/ok", b""), (200, "ok".to_owned()));
        }
    });
}
