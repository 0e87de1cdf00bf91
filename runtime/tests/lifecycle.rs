//! The isolate lifecycle through the embedding API, on every engine: typed
//! eviction reasons and counts, restart on demand, bystander events failed
//! cleanly, idle eviction.

use std::time::Duration;

use motu_runtime::prelude::*;

const WORKER: &str = "
let served = 0;
export default {
  async fetch(request) {
    served++;
    const path = new URL(request.url).pathname;
    if (path === '/spin') for (;;) {}
    if (path === '/slow') await new Promise(r => setTimeout(r, 800));
    return new Response(`${path} ${served}`);
  },
};";

/// The supervisor's counts once they stop changing: evictions reach it
/// after the events they failed were answered.
async fn settled(runtime: &Runtime) -> motu_runtime::SupervisorStats {
    let mut last = runtime.stats().await;
    for _ in 0..100 {
        actix_rt::time::sleep(Duration::from_millis(30)).await;
        let now = runtime.stats().await;
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

fn engines() -> &'static [&'static str] {
    motu_runtime::EngineSet::builtin_names()
}

fn get(path: &str) -> FetchRequest {
    http::Request::get(format!("http://w.localhost{path}"))
        .body(Body::empty())
        .unwrap()
}

fn body(r: &FetchResponse) -> String {
    let bytes = r.body().as_bytes().expect("a whole body");
    String::from_utf8_lossy(bytes).into_owned()
}

async fn start(engine: &str, limits: Limits) -> Runtime {
    start_with(engine, limits, 1, None).await
}

async fn start_with(engine: &str, limits: Limits, threads: usize, max: Option<usize>) -> Runtime {
    let runtime = Runtime::start(RuntimeConfig {
        threads,
        ..Default::default()
    })
    .unwrap();
    let mut spec = WorkerSpec::from_source("w", WORKER)
        .with_engine(engine)
        .with_limits(limits);
    if let Some(max) = max {
        spec = spec.with_max_instances(max);
    }
    runtime.register(spec).await.unwrap();
    runtime
}

#[test]
fn busy_instances_make_room_for_more_up_to_max_instances() {
    for engine in engines() {
        actix::System::new().block_on(async {
            // Two executors, two instances: a request that arrives while the
            // first isolate is busy goes to a second one.
            let runtime = start_with(engine, Limits::default(), 2, None).await;
            let (slow, fast) = futures::join!(runtime.fetch("w", get("/slow")), async {
                actix_rt::time::sleep(Duration::from_millis(150)).await;
                runtime.fetch("w", get("/fast")).await
            });
            assert_eq!(body(&slow.unwrap()), "/slow 1", "{engine}");
            assert_eq!(
                body(&fast.unwrap()),
                "/fast 1",
                "{engine}: a second isolate"
            );
            assert_eq!(runtime.stats().await.starts.get("w"), Some(&2));
            // Idle again: the least-loaded isolate serves, no third starts.
            body(&runtime.fetch("w", get("/again")).await.unwrap());
            assert_eq!(runtime.stats().await.starts.get("w"), Some(&2));

            // With max_instances = 1 the busy isolate takes the second event.
            let runtime = start_with(engine, Limits::default(), 2, Some(1)).await;
            let (slow, fast) = futures::join!(runtime.fetch("w", get("/slow")), async {
                actix_rt::time::sleep(Duration::from_millis(150)).await;
                runtime.fetch("w", get("/fast")).await
            });
            assert_eq!(body(&slow.unwrap()), "/slow 2", "{engine}");
            assert_eq!(
                body(&fast.unwrap()),
                "/fast 2",
                "{engine}: the same isolate"
            );
            assert_eq!(runtime.stats().await.starts.get("w"), Some(&1));
        });
    }
}

#[test]
fn a_cpu_limit_evicts_and_the_next_event_restarts() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = start(engine, Limits::default()).await;
            assert_eq!(body(&runtime.fetch("w", get("/a")).await.unwrap()), "/a 1");
            match runtime.fetch("w", get("/spin")).await {
                Err(RuntimeError::CpuLimit { limit_ms: 50, .. }) => {}
                other => panic!("{engine}: expected a CPU limit, got {other:?}"),
            }
            // A fresh isolate: the counter starts again.
            assert_eq!(body(&runtime.fetch("w", get("/b")).await.unwrap()), "/b 1");
            let stats = settled(&runtime).await;
            assert_eq!(
                stats.evictions_of("w", EvictionReason::CpuLimit),
                1,
                "{engine}"
            );
            assert_eq!(stats.starts.get("w"), Some(&2), "{engine}");
            let last = stats.recent.back().unwrap();
            assert_eq!(last.reason, EvictionReason::CpuLimit);
            assert!(last.cpu_ms >= 50.0, "{engine}: {last:?}");
        });
    }
}

#[test]
fn events_in_flight_beside_a_terminated_one_fail_cleanly() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = start(engine, Limits::default()).await;
            let slow = runtime.fetch("w", get("/slow"));
            let spin = async {
                actix_rt::time::sleep(Duration::from_millis(150)).await;
                runtime.fetch("w", get("/spin")).await
            };
            let (slow, spin) = futures::join!(slow, spin);
            assert!(
                matches!(spin, Err(RuntimeError::CpuLimit { .. })),
                "{engine}: {spin:?}"
            );
            assert!(
                matches!(
                    slow,
                    Err(RuntimeError::Evicted {
                        reason: EvictionReason::CpuLimit,
                        ..
                    })
                ),
                "{engine}: {slow:?}"
            );
            assert_eq!(body(&runtime.fetch("w", get("/c")).await.unwrap()), "/c 1");
        });
    }
}

#[test]
fn idle_isolates_are_evicted() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let limits = Limits {
                idle_timeout: Duration::from_millis(300),
                ..Limits::default()
            };
            let runtime = start(engine, limits).await;
            assert_eq!(body(&runtime.fetch("w", get("/a")).await.unwrap()), "/a 1");
            assert_eq!(body(&runtime.fetch("w", get("/a")).await.unwrap()), "/a 2");
            actix_rt::time::sleep(Duration::from_millis(800)).await;
            let stats = settled(&runtime).await;
            assert_eq!(stats.evictions_of("w", EvictionReason::Idle), 1, "{engine}");
            assert_eq!(body(&runtime.fetch("w", get("/a")).await.unwrap()), "/a 1");
        });
    }
}

/// A runtime of one thread with the pool limits given and `workers`
/// registered, each running [`WORKER`].
async fn start_pool(engine: &str, pool: PoolLimits, workers: &[&str]) -> Runtime {
    let runtime = Runtime::start(RuntimeConfig {
        threads: 1,
        pool,
        ..Default::default()
    })
    .unwrap();
    for name in workers {
        let spec = WorkerSpec::from_source(*name, WORKER).with_engine(engine);
        runtime.register(spec).await.unwrap();
    }
    runtime
}

#[test]
fn max_isolates_evicts_the_least_recently_used_idle_isolate() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let pool = PoolLimits {
                max_isolates: Some(2),
                ..Default::default()
            };
            let runtime = start_pool(engine, pool, &["a", "b", "c"]).await;
            let fetch = |w: &'static str| {
                let runtime = runtime.clone();
                async move { body(&runtime.fetch(w, get("/")).await.unwrap()) }
            };
            assert_eq!(fetch("a").await, "/ 1");
            assert_eq!(fetch("b").await, "/ 1");
            assert_eq!(fetch("a").await, "/ 2", "{engine}: a keeps its isolate");
            // A third isolate is over the cap: b, used least recently, goes.
            assert_eq!(fetch("c").await, "/ 1");
            let stats = settled(&runtime).await;
            assert_eq!(
                stats.evictions_of("b", EvictionReason::Pressure),
                1,
                "{engine}"
            );
            assert_eq!(
                stats.evictions_of("a", EvictionReason::Pressure),
                0,
                "{engine}"
            );
            assert_eq!(fetch("a").await, "/ 3", "{engine}: a was not evicted");
            // b comes back on a fresh isolate, pushing out c (now the least
            // recently used), and its start is counted as a restart.
            assert_eq!(fetch("b").await, "/ 1", "{engine}: b restarts clean");
            let stats = settled(&runtime).await;
            assert_eq!(
                stats.evictions_of("c", EvictionReason::Pressure),
                1,
                "{engine}"
            );
            assert_eq!(stats.restarts.get("b"), Some(&1), "{engine}");
        });
    }
}

#[test]
fn busy_isolates_are_never_evicted_under_pressure() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let pool = PoolLimits {
                max_isolates: Some(1),
                ..Default::default()
            };
            let runtime = start_pool(engine, pool, &["a", "b"]).await;
            // a is busy for 400 ms while b needs an isolate: both answer.
            let (slow, other) = futures::join!(runtime.fetch("a", get("/slow")), async {
                actix_rt::time::sleep(Duration::from_millis(150)).await;
                runtime.fetch("b", get("/")).await
            });
            assert_eq!(body(&slow.unwrap()), "/slow 1", "{engine}");
            assert_eq!(body(&other.unwrap()), "/ 1", "{engine}");
            let stats = settled(&runtime).await;
            assert_eq!(
                stats.evictions_of("a", EvictionReason::Pressure),
                0,
                "{engine}"
            );
        });
    }
}

/// The Worker keeps 6 MiB from its start, and each request leaves 1.5 MiB
/// of garbage in cycles, too little for either engine to collect on its own
/// while serving: only a collection gives it back. (The 6 MiB are made when
/// the module loads, so that QuickJS's collection mark, half the heap again
/// above it, is already above what a request adds: a heap grown past the
/// mark during a call is collected when the next call starts.)
const HUNGRY: &str = "
  const kept = new Uint8Array(6 << 20).fill(1);
  let served = 0;
  export default {
    async fetch() {
      for (let i = 0; i < 6; i++) {
        const o = { data: new Uint8Array(1 << 18).fill(2) };
        o.self = o;
      }
      served += kept[0];
      return new Response(String(served));
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

/// What an isolate of HUNGRY holds after one request, with its garbage and
/// once it has collected it (idle for a second), in bytes.
async fn hungry_footprint(engine: &str) -> (usize, usize) {
    let runtime = Runtime::start(RuntimeConfig {
        threads: 1,
        ..Default::default()
    })
    .unwrap();
    let name = format!("hungry-calibration-{engine}");
    let limits = Limits {
        cpu: Duration::from_secs(5),
        ..Limits::default()
    };
    let spec = WorkerSpec::from_source(name.as_str(), HUNGRY)
        .with_engine(engine)
        .with_limits(limits);
    runtime.register(spec).await.unwrap();
    runtime.fetch(&name, get("/")).await.unwrap();
    // The gauge is read at most every few milliseconds: the isolate's
    // memory with its garbage is the highest figure it shows.
    let mut with_garbage = memory_of(&name);
    let mut collected = with_garbage;
    for _ in 0..200 {
        actix_rt::time::sleep(Duration::from_millis(50)).await;
        collected = memory_of(&name);
        with_garbage = with_garbage.max(collected);
        if collected < with_garbage - (1 << 20) as f64 {
            break;
        }
    }
    assert!(
        collected < with_garbage - (1 << 20) as f64,
        "{engine}: the idle isolate collects its garbage ({with_garbage} -> {collected})"
    );
    (with_garbage as usize, collected as usize)
}

#[test]
fn the_memory_budget_evicts_idle_isolates_until_the_heap_fits() {
    for engine in engines() {
        actix::System::new().block_on(async {
            // One isolate fits the budget once it has collected its garbage,
            // not before; two do not fit even then.
            let (with_garbage, collected) = hungry_footprint(engine).await;
            let budget = collected + (with_garbage - collected) / 2;
            let runtime = Runtime::start(RuntimeConfig {
                threads: 1,
                pool: PoolLimits {
                    memory_budget_bytes: Some(budget),
                    ..Default::default()
                },
                ..Default::default()
            })
            .unwrap();
            for name in ["hungry-a", "hungry-b"] {
                // Filling the arrays takes a while in a debug build.
                let limits = Limits {
                    cpu: Duration::from_secs(5),
                    ..Limits::default()
                };
                let spec = WorkerSpec::from_source(name, HUNGRY)
                    .with_engine(*engine)
                    .with_limits(limits);
                runtime.register(spec).await.unwrap();
            }
            assert_eq!(
                body(&runtime.fetch("hungry-a", get("/")).await.unwrap()),
                "1"
            );
            assert_eq!(
                body(&runtime.fetch("hungry-b", get("/")).await.unwrap()),
                "1"
            );
            // Until the pool settles: a is gone, and b either went too or
            // collected its garbage and fits.
            for _ in 0..200 {
                actix_rt::time::sleep(Duration::from_millis(100)).await;
                let stats = settled(&runtime).await;
                let b = memory_of("hungry-b") as usize;
                if stats.evictions_of("hungry-a", EvictionReason::Pressure) > 0
                    && (stats.evictions_of("hungry-b", EvictionReason::Pressure) > 0
                        || (b > 0 && b <= budget))
                {
                    break;
                }
            }
            let stats = settled(&runtime).await;
            assert_eq!(
                stats.evictions_of("hungry-a", EvictionReason::Pressure),
                1,
                "{engine}: a, the least recently used, goes; evictions: {:?}",
                stats.recent
            );
            // b, over the budget alone until it collected its garbage,
            // collected it rather than go too.
            assert_eq!(
                stats.evictions_of("hungry-b", EvictionReason::Pressure),
                0,
                "{engine}: {:?}",
                stats.recent
            );
            // b kept its state; a starts over.
            assert_eq!(
                body(&runtime.fetch("hungry-b", get("/")).await.unwrap()),
                "2"
            );
            assert_eq!(
                body(&runtime.fetch("hungry-a", get("/")).await.unwrap()),
                "1"
            );
        });
    }
}

#[test]
fn registering_again_reloads_after_in_flight_events_finish() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = start(engine, Limits::default()).await;
            let (slow, ()) = futures::join!(runtime.fetch("w", get("/slow")), async {
                actix_rt::time::sleep(Duration::from_millis(150)).await;
                let v2 = "export default { fetch() { return new Response('v2'); } };";
                let spec = WorkerSpec::from_source("w", v2).with_engine(*engine);
                runtime.register(spec).await.unwrap();
            });
            assert_eq!(
                body(&slow.unwrap()),
                "/slow 1",
                "{engine}: old code finishes"
            );
            assert_eq!(body(&runtime.fetch("w", get("/")).await.unwrap()), "v2");
            actix_rt::time::sleep(Duration::from_millis(150)).await;
            let stats = settled(&runtime).await;
            assert_eq!(
                stats.evictions_of("w", EvictionReason::Reload),
                1,
                "{engine}"
            );
        });
    }
}

/// The fast path's pick for `w` once the registry has published it.
async fn picked(fast: &motu_runtime::FastPath) -> Option<motu_runtime::Picked> {
    for _ in 0..100 {
        if let Some(p) = fast.pick("w", None) {
            return Some(p);
        }
        actix_rt::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// The runtime's fast path, as the gateway gets it.
async fn fast_path(runtime: &Runtime) -> motu_runtime::FastPath {
    runtime
        .registry()
        .send(motu_runtime::GetFastPath)
        .await
        .unwrap()
}

#[test]
fn the_fast_path_picks_what_the_registry_would_and_falls_back_to_it() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = start_with(engine, Limits::default(), 2, None).await;
            let fast = fast_path(&runtime).await;
            assert!(fast.pick("w", None).is_none(), "{engine}: nothing started");
            runtime.warm("w").await.unwrap();
            let first = picked(&fast).await.expect("the started isolate");
            assert_eq!(
                body(&first.fetch("w", get("/a")).await.unwrap()),
                "/a 1",
                "{engine}"
            );
            // While its only isolate is busy and the Worker may have two,
            // the registry would start one: no pick.
            let busy = picked(&fast).await.unwrap();
            let (slow, ()) = futures::join!(busy.fetch("w", get("/slow")), async {
                actix_rt::time::sleep(Duration::from_millis(150)).await;
                assert!(fast.pick("w", None).is_none(), "{engine}: busy");
            });
            assert_eq!(body(&slow.unwrap()), "/slow 2", "{engine}");
            assert_eq!(
                body(
                    &picked(&fast)
                        .await
                        .unwrap()
                        .fetch("w", get("/b"))
                        .await
                        .unwrap()
                ),
                "/b 3",
                "{engine}: idle again, the same isolate"
            );
            // A pick whose isolate goes away before the event reaches it is
            // dispatched again through the registry, to the new version.
            let stale = picked(&fast).await.unwrap();
            let v2 = "export default { fetch() { return new Response('v2'); } };";
            let spec = WorkerSpec::from_source("w", v2).with_engine(*engine);
            runtime.register(spec).await.unwrap();
            settled(&runtime).await;
            assert_eq!(
                body(&stale.fetch("w", get("/")).await.unwrap()),
                "v2",
                "{engine}"
            );
            assert_eq!(runtime.stats().await.starts.get("w"), Some(&2), "{engine}");
        });
    }
}

#[test]
fn admit_has_the_registry_choose_the_isolate_and_sends_the_event_to_it() {
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = start_with(engine, Limits::default(), 2, None).await;
            let fast = fast_path(&runtime).await;
            // Nothing started: the registry starts the isolate (on the
            // executor asked for) and the event goes to it.
            let first = fast.admit("w", Some(1), get("/a")).await.unwrap();
            assert_eq!(body(&first), "/a 1", "{engine}");
            assert!(picked(&fast).await.is_some(), "{engine}: published");
            // While that isolate is busy, the Worker may have another.
            let (slow, other) = futures::join!(fast.admit("w", Some(1), get("/slow")), async {
                actix_rt::time::sleep(Duration::from_millis(150)).await;
                fast.admit("w", Some(1), get("/b")).await
            });
            assert_eq!(body(&slow.unwrap()), "/slow 2", "{engine}");
            assert_eq!(body(&other.unwrap()), "/b 1", "{engine}: a second isolate");
            assert_eq!(
                settled(&runtime).await.starts.get("w"),
                Some(&2),
                "{engine}"
            );
            // Idle again: an existing isolate takes the event.
            let again = fast.admit("w", None, get("/c")).await.unwrap();
            assert!(body(&again).starts_with("/c "), "{engine}");
            assert_eq!(
                settled(&runtime).await.starts.get("w"),
                Some(&2),
                "{engine}"
            );
            assert!(
                matches!(
                    fast.admit("nobody", None, get("/")).await,
                    Err(RuntimeError::UnknownWorker(name)) if name == "nobody"
                ),
                "{engine}"
            );
        });
    }
}

/// The heap the metrics show for `worker`'s live isolates, in bytes.
fn heap_bytes(worker: &str) -> f64 {
    let text = motu_runtime::metrics::render();
    let prefix = format!("motu_isolate_heap_bytes{{worker=\"{worker}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn an_idle_isolate_collects_the_garbage_its_engine_put_off() {
    // Cycles that reference counting cannot free, and that survive into
    // V8's old generation while `junk` holds them.
    const GARBAGE: &str = "
      let junk = null;
      export default {
        fetch(request) {
          if (new URL(request.url).pathname === '/fill') {
            junk = [];
            for (let i = 0; i < 20000; i++) {
              const a = { i, pad: 'x'.repeat(16) + i };
              a.b = { a };
              junk.push(a);
            }
          } else {
            junk = null;
          }
          return new Response('ok');
        },
      };";
    for engine in engines() {
        actix::System::new().block_on(async {
            let runtime = Runtime::start(RuntimeConfig {
                threads: 1,
                ..Default::default()
            })
            .unwrap();
            let name = format!("idle-gc-{engine}");
            let limits = Limits {
                cpu: Duration::from_secs(5),
                ..Limits::default()
            };
            let spec = WorkerSpec::from_source(&name, GARBAGE)
                .with_engine(*engine)
                .with_limits(limits);
            runtime.register(spec).await.unwrap();
            assert_eq!(
                body(&runtime.fetch(&name, get("/fill")).await.unwrap()),
                "ok"
            );
            assert_eq!(
                body(&runtime.fetch(&name, get("/drop")).await.unwrap()),
                "ok"
            );
            // Read once the gauge has caught up with the last event.
            actix_rt::time::sleep(Duration::from_millis(100)).await;
            let with_garbage = heap_bytes(&name);
            assert!(with_garbage > 0.0, "{engine}: no heap figure");
            let mut now = with_garbage;
            for _ in 0..40 {
                actix_rt::time::sleep(Duration::from_millis(100)).await;
                now = heap_bytes(&name);
                if now < with_garbage / 2.0 {
                    break;
                }
            }
            assert!(
                now < with_garbage / 2.0,
                "{engine}: heap {with_garbage} bytes with garbage, {now} after idling"
            );
            // The isolate still serves.
            assert_eq!(body(&runtime.fetch(&name, get("/")).await.unwrap()), "ok");
        });
    }
}
