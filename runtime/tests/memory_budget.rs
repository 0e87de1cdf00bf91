//! The server-wide memory budget through the embedding API, on every
//! engine: over `memory_budget_mb`, idle isolates go least recently used
//! first (reason `Pressure`), a busy isolate never does, and an evicted
//! Worker starts again on its next event with a clean global scope.

use std::time::Duration;

use motu_runtime::prelude::*;
use motu_runtime::{PoolLimits, SupervisorStats};

/// Keeps 16 MiB of `ArrayBuffer` contents per isolate (`/fill`), counts
/// the events its isolate served, and holds an event open until another
/// releases it (`/hold`, `/release`; a long timer keeps the held event from
/// counting as hung).
const HOLDER: &str = "
let served = 0;
let kept = null;
let release = null;
export default {
  async fetch(request) {
    served++;
    const path = new URL(request.url).pathname;
    if (path === '/fill' || path === '/hold') kept = new Uint8Array(16 << 20).fill(7);
    if (path === '/hold') await new Promise(r => { release = r; setTimeout(r, 600000); });
    if (path === '/release') release();
    return new Response(`${served} ${kept ? kept.length : 0}`);
  },
};";

/// The memory `worker`'s isolates hold, from the metrics.
fn memory_of(worker: &str) -> f64 {
    let series = format!("motu_isolate_memory_bytes{{worker=\"{worker}\"}} ");
    motu_runtime::metrics::render()
        .lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
        .unwrap_or(0.0)
}

fn engines() -> &'static [&'static str] {
    motu_runtime::EngineSet::builtin_names()
}

fn get(worker: &str, path: &str) -> FetchRequest {
    http::Request::get(format!("http://{worker}.localhost{path}"))
        .body(Body::empty())
        .unwrap()
}

fn body(r: &FetchResponse) -> String {
    let bytes = r.body().as_bytes().expect("a whole body");
    String::from_utf8_lossy(bytes).into_owned()
}

/// Waits (up to 20 s) until `done` says the supervisor's counts are what
/// the test waits for, and returns them.
async fn wait_for(runtime: &Runtime, done: impl Fn(&SupervisorStats) -> bool) -> SupervisorStats {
    for _ in 0..400 {
        let stats = runtime.stats().await;
        if done(&stats) {
            return stats;
        }
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
    runtime.stats().await
}

async fn start(engine: &str, budget_mb: usize, workers: &[&str]) -> Runtime {
    let runtime = Runtime::start(RuntimeConfig {
        threads: 1,
        pool: PoolLimits {
            memory_budget_bytes: Some(budget_mb << 20),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    for name in workers {
        let limits = Limits {
            // Filling 16 MiB takes a while in a debug build.
            cpu: Duration::from_secs(10),
            ..Limits::default()
        };
        let spec = WorkerSpec::from_source(*name, HOLDER)
            .with_engine(engine)
            .with_limits(limits);
        runtime.register(spec).await.unwrap();
    }
    runtime
}

#[test]
fn over_the_budget_the_least_recently_used_idle_isolate_goes_and_a_busy_one_stays() {
    for engine in engines() {
        actix::System::new().block_on(async {
            // Each isolate holds a little over 16 MiB: three are over 40,
            // two are not.
            let runtime = start(engine, 40, &["busy", "a", "b"]).await;
            // The busy isolate is the least recently used of all.
            let held = runtime.fetch("busy", get("busy", "/hold"));
            let (held, ()) = futures::join!(held, async {
                let mut answered = String::new();
                // Its event is under way once it takes another (queued to
                // the same isolate, which has its memory by then).
                while answered.is_empty() {
                    actix_rt::time::sleep(Duration::from_millis(20)).await;
                    let stats = runtime.stats().await;
                    if stats.starts.get("busy").copied().unwrap_or(0) > 0 {
                        answered = "started".into();
                    }
                }
                assert_eq!(
                    body(&runtime.fetch("a", get("a", "/fill")).await.unwrap()),
                    "1 16777216"
                );
                assert_eq!(
                    body(&runtime.fetch("b", get("b", "/fill")).await.unwrap()),
                    "1 16777216"
                );
                // Until a is gone and the rest fits.
                let stats = wait_for(&runtime, |s| {
                    s.evictions_of("a", EvictionReason::Pressure) > 0
                        && ["busy", "a", "b"].iter().map(|w| memory_of(w)).sum::<f64>()
                            <= (40 << 20) as f64
                })
                .await;
                assert_eq!(
                    stats.evictions_of("a", EvictionReason::Pressure),
                    1,
                    "{engine}: a, the least recently used idle isolate, goes; {:?}",
                    stats.recent
                );
                assert_eq!(
                    stats.evictions_of("b", EvictionReason::Pressure),
                    0,
                    "{engine}: with a gone the rest fits; {:?}",
                    stats.recent
                );
                assert_eq!(
                    stats.evictions_of("busy", EvictionReason::Pressure),
                    0,
                    "{engine}: a busy isolate is never evicted; {:?}",
                    stats.recent
                );
                // The held event is let go by the next one of its Worker.
                let released = runtime.fetch("busy", get("busy", "/release")).await;
                assert_eq!(body(&released.unwrap()), "2 16777216", "{engine}");
            });
            assert_eq!(body(&held.unwrap()), "2 16777216", "{engine}");
            // b kept its state; a starts over with a clean global scope.
            assert_eq!(
                body(&runtime.fetch("b", get("b", "/")).await.unwrap()),
                "2 16777216"
            );
            assert_eq!(
                body(&runtime.fetch("a", get("a", "/")).await.unwrap()),
                "1 0",
                "{engine}: an evicted Worker starts again with nothing of its old globals"
            );
            let stats = runtime.stats().await;
            assert_eq!(stats.restarts.get("a"), Some(&1), "{engine}");
        });
    }
}

#[test]
fn when_every_isolate_over_the_budget_is_busy_none_is_evicted() {
    for engine in engines() {
        actix::System::new().block_on(async {
            // One held isolate alone is over the budget; an idle one is
            // evicted, the busy one serves on.
            let runtime = start(engine, 8, &["held", "idle"]).await;
            let held = runtime.fetch("held", get("held", "/hold"));
            let (held, ()) = futures::join!(held, async {
                loop {
                    actix_rt::time::sleep(Duration::from_millis(20)).await;
                    if runtime
                        .stats()
                        .await
                        .starts
                        .get("held")
                        .copied()
                        .unwrap_or(0)
                        > 0
                    {
                        break;
                    }
                }
                assert_eq!(
                    body(&runtime.fetch("idle", get("idle", "/")).await.unwrap()),
                    "1 0"
                );
                let stats = wait_for(&runtime, |s| {
                    s.evictions_of("idle", EvictionReason::Pressure) > 0
                })
                .await;
                assert_eq!(
                    stats.evictions_of("idle", EvictionReason::Pressure),
                    1,
                    "{engine}: {:?}",
                    stats.recent
                );
                assert_eq!(
                    stats.evictions_of("held", EvictionReason::Pressure),
                    0,
                    "{engine}: {:?}",
                    stats.recent
                );
                let released = runtime.fetch("held", get("held", "/release")).await;
                assert_eq!(body(&released.unwrap()), "2 16777216", "{engine}");
            });
            assert_eq!(body(&held.unwrap()), "2 16777216", "{engine}");
        });
    }
}

#[test]
fn an_isolate_used_again_after_evictions_began_is_not_the_next_to_go() {
    for engine in engines() {
        actix::System::new().block_on(async {
            // Three isolates of a little over 16 MiB fit in 56 MiB, four do
            // not.
            let runtime = start(engine, 56, &["a", "b", "c", "d", "e"]).await;
            for worker in ["a", "b", "c", "d"] {
                assert_eq!(
                    body(&runtime.fetch(worker, get(worker, "/fill")).await.unwrap()),
                    "1 16777216",
                    "{engine}"
                );
            }
            // a, the least recently used, goes; the registry has chosen the
            // isolates to go next (b, then c) by then.
            let stats = wait_for(&runtime, |s| {
                s.evictions_of("a", EvictionReason::Pressure) > 0
            })
            .await;
            assert_eq!(
                stats.evictions_of("a", EvictionReason::Pressure),
                1,
                "{engine}: {:?}",
                stats.recent
            );
            // b is used again: c is now the least recently used.
            assert_eq!(
                body(&runtime.fetch("b", get("b", "/")).await.unwrap()),
                "2 16777216",
                "{engine}: {:?}",
                runtime.stats().await.recent
            );
            assert_eq!(
                body(&runtime.fetch("e", get("e", "/fill")).await.unwrap()),
                "1 16777216",
                "{engine}"
            );
            let stats = wait_for(&runtime, |s| {
                ["b", "c", "d"]
                    .iter()
                    .any(|w| s.evictions_of(w, EvictionReason::Pressure) > 0)
            })
            .await;
            for (worker, evictions) in [("b", 0), ("c", 1), ("d", 0), ("e", 0)] {
                assert_eq!(
                    stats.evictions_of(worker, EvictionReason::Pressure),
                    evictions,
                    "{engine}: {worker}; {:?}",
                    stats.recent
                );
            }
            assert_eq!(
                body(&runtime.fetch("b", get("b", "/")).await.unwrap()),
                "3 16777216",
                "{engine}: b kept its isolate"
            );
        });
    }
}
