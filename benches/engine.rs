//! The engine layer alone, per engine: isolate creation with the Web API
//! prelude, loading a Worker, a cold first request, a warm request and the
//! cost of one op call.
//!
//! The cold first request of a Worker that reads `new URL(request.url)`
//! and makes an `AbortController` (what most Workers' first requests load)
//! is measured twice: with the config every runtime uses, whose prelude
//! for engines that snapshot it has the events and URL groups evaluated in
//! it (`motu_webapi::snapshot_prelude`), and without that prelude, where
//! every isolate loads those groups on first use (QuickJS does either way:
//! the two figures are the same there).
//!
//! `cargo bench --bench engine` (QuickJS); add `--features v8` for both.

mod common;

use std::rc::Rc;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use motu_engine::{IsolateConfig, MemoryModules, Syntax, WorkerCode};

/// Op calls per request in the op-call bench.
const OP_CALLS: u32 = 1000;

fn engine_layer(c: &mut Criterion) {
    for engine in common::engines() {
        let engine = &*engine;
        let name = engine.name();
        c.bench_function(&format!("{name}/isolate_create"), |b| {
            b.iter(|| {
                engine
                    .new_isolate(&common::config(), Rc::new(common::BenchHost::default()))
                    .unwrap()
            })
        });
        c.bench_function(&format!("{name}/isolate_create_and_load"), |b| {
            b.iter(|| common::loaded(engine))
        });
        c.bench_function(&format!("{name}/cold_first_request"), |b| {
            b.iter(|| {
                let (mut iso, host) = common::loaded(engine);
                common::request(&mut *iso, &host, 1);
                iso
            })
        });
        let url_worker = url_reader();
        let lazy = IsolateConfig {
            snapshot_prelude: None,
            ..common::config()
        };
        for (label, config) in [("", common::config()), ("_groups_on_first_use", lazy)] {
            c.bench_function(&format!("{name}/cold_first_request_url{label}"), |b| {
                b.iter(|| {
                    let host = common::BenchHost::default();
                    let (mut iso, host) =
                        common::loaded_configured(engine, &url_worker, host, &config);
                    common::request(&mut *iso, &host, 1);
                    iso
                })
            });
        }
        let (mut iso, host) = common::loaded(engine);
        let mut id = 0;
        c.bench_function(&format!("{name}/warm_request"), |b| {
            b.iter(|| {
                id += 1;
                common::request(&mut *iso, &host, id);
            })
        });
        // One op call from JavaScript into Rust and back: a request that
        // makes 1000 `performance.now()` calls; less `warm_request`, / 1000.
        let (mut iso, host) = common::loaded_with(engine, &common::op_caller(OP_CALLS));
        c.bench_function(&format!("{name}/warm_request_{OP_CALLS}_op_calls"), |b| {
            b.iter(|| {
                id += 1;
                common::request(&mut *iso, &host, id);
            })
        });
    }
}

/// A module Worker whose `fetch` reads its URL and makes an
/// `AbortController`.
fn url_reader() -> WorkerCode {
    WorkerCode {
        syntax: Syntax::Module,
        entry: "worker.js".into(),
        modules: Arc::new(MemoryModules::new().with(
            "worker.js",
            "export default { fetch(request) { const { pathname } = new URL(request.url); \
             const c = new AbortController(); return new Response(pathname + c.signal.aborted) } }",
        )),
    }
}

criterion_group!(benches, engine_layer);
criterion_main!(benches);
