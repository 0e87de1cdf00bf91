//! The engine layer alone, per engine: isolate creation with the Web API
//! prelude, loading a Worker, a cold first request, a warm request and the
//! cost of one op call.
//!
//! `cargo bench --bench engine` (QuickJS); add `--features v8` for both.

mod common;

use std::rc::Rc;

use criterion::{criterion_group, criterion_main, Criterion};

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

criterion_group!(benches, engine_layer);
criterion_main!(benches);
