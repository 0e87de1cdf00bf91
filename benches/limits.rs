//! How precisely the CPU limit is enforced and what a restart costs, per
//! engine, through the embedding API:
//!
//! - enforcement precision: 100 events that loop forever under `cpu_ms = 50`;
//!   how far past 50 ms each ran before it was terminated (median, max);
//! - restart cost: after each eviction, the time until the next request is
//!   answered by a fresh isolate (median, max);
//! - overhead: hello requests through one isolate with the watchdog armed
//!   around each turn and without, in alternating rounds of the same run;
//!   the ratio of the times (1.0 = free). (Through the whole runtime the
//!   cross-thread hops drown the difference in scheduling noise.)
//!
//! `cargo bench --bench limits` (add `--features v8` for both engines).

mod common;

use std::time::{Duration, Instant};

use motu_runtime::prelude::*;
use motu_runtime::Watchdog;

const WORKER: &str = "export default { fetch(r) { \
    if (new URL(r.url).pathname === '/spin') for (;;) {} \
    return new Response('ok'); } }";
const RUNS: usize = 100;

fn get(path: &str) -> FetchRequest {
    http::Request::get(format!("http://w.localhost{path}"))
        .body(Body::empty())
        .unwrap()
}

fn median_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[v.len() - 1])
}

/// Hello requests through one isolate, each turn with and without the
/// watchdog armed, in alternating rounds of one run; the ratio of the times.
fn overhead(engine: &dyn motu_engine::Engine) -> f64 {
    let watchdog = Watchdog::start();
    let (mut iso, host) = common::loaded(engine);
    let interrupt = iso.interrupt_handle();
    let mut id = 0;
    let mut round = |watched: bool| {
        let start = Instant::now();
        for _ in 0..2000 {
            id += 1;
            let turn = watched.then(|| watchdog.arm(Duration::from_millis(50), interrupt.clone()));
            common::request(&mut *iso, &host, id);
            if let Some(turn) = turn {
                assert!(!turn.finish().1);
            }
        }
        start.elapsed()
    };
    round(false);
    round(true);
    let (mut on, mut off) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..10 {
        off += round(false);
        on += round(true);
    }
    on.as_secs_f64() / off.as_secs_f64()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let watchdog = Watchdog::start();
    let engine = motu_quickjs::QuickJsEngine::new();
    let (iso, _host) = common::loaded(&engine);
    let interrupt = iso.interrupt_handle();
    let start = Instant::now();
    for _ in 0..100_000 {
        watchdog
            .arm(Duration::from_millis(50), interrupt.clone())
            .finish();
    }
    println!(
        "watchdog: arming and finishing one turn costs {:.2} µs",
        start.elapsed().as_secs_f64() * 1e6 / 100_000.0
    );
    for engine in common::engines() {
        println!(
            "{:8} overhead: {:.3} (a hello request's turn with the watchdog armed / without; 1.000 = free)",
            engine.name(),
            overhead(&*engine)
        );
    }
    for engine in motu_runtime::EngineSet::builtin_names() {
        actix::System::new().block_on(async {
            let runtime = Runtime::start(RuntimeConfig {
                threads: 1,
                ..Default::default()
            })
            .unwrap();
            runtime
                .register(WorkerSpec::from_source("w", WORKER).with_engine(*engine))
                .await
                .unwrap();
            runtime.fetch("w", get("/")).await.unwrap();
            let mut restarts = Vec::new();
            for _ in 0..RUNS {
                let r = runtime.fetch("w", get("/spin")).await;
                assert!(matches!(r, Err(RuntimeError::CpuLimit { .. })), "{r:?}");
                let evicted = Instant::now();
                runtime.fetch("w", get("/")).await.unwrap();
                restarts.push(evicted.elapsed().as_secs_f64() * 1e3);
            }
            let stats = runtime.stats().await;
            let overruns: Vec<f64> = stats.recent.iter().map(|e| e.cpu_ms - 50.0).collect();
            assert_eq!(overruns.len(), RUNS);
            let (over_med, over_max) = median_max(overruns);
            let (restart_med, restart_max) = median_max(restarts);
            println!(
                "{engine:8} cpu_ms=50: ran {over_med:.2} ms past the limit (median), {over_max:.2} ms (max) over {RUNS} runs"
            );
            println!(
                "{engine:8} restart: next request answered by a fresh isolate {restart_med:.2} ms after the eviction (median), {restart_max:.2} ms (max)"
            );
        });
    }
}
