//! How precisely the CPU limit is enforced and what a restart costs, per
//! engine, through the embedding API:
//!
//! - enforcement precision: for each hostile shape (an empty endless loop,
//!   and endless loops whose body is one long built-in or host operation),
//!   events under `cpu_ms = 50` on one executor thread; how far past 50 ms
//!   each ran before it was terminated (median, p99, max);
//! - one call's cost: for shapes that an engine may run in slices to stop
//!   them (`encode`, `sort`, `json`), the CPU time of one call of the
//!   built-in, outside a loop (median of 20), so that slicing is seen to
//!   cost nothing; for V8's `sort` and `json`, also
//!   V8's own built-in on the same data (measured by a child process of this
//!   bench with `MOTU_V8_OWN_BUILTINS=1`, in the same run) and the ratio;
//! - restart cost: after each eviction, the time until the next request is
//!   answered by a fresh isolate (median, max);
//! - overhead: hello requests through one isolate with the watchdog armed
//!   around each turn and without, in alternating rounds of the same run;
//!   the ratio of the times (1.0 = free). (Through the whole runtime the
//!   cross-thread hops drown the difference in scheduling noise.)
//!
//! The process's C heap is tuned as the server's (src/heap.rs).
//!
//! `cargo bench --bench limits` (add `--features v8` for both engines).
//! Arguments after `--`: shape names to run only those, `--runs N` for the
//! events per shape (default 100), `--engine NAME` for one engine,
//! `--reuse-isolate` to measure every stop of a shape in one isolate (see
//! `stop_latency`).

mod common;
// The server's C heap settings (`motu serve` applies them first thing), so
// that the figures here are the server's.
#[allow(dead_code)]
#[path = "../src/heap.rs"]
mod heap;

use std::time::{Duration, Instant};

use motu_runtime::prelude::*;
use motu_runtime::Watchdog;

/// A Worker that answers `/` unless the path is `/spin`, for the restart
/// figure.
const SPIN: &str = "export default { fetch(r) { \
    if (new URL(r.url).pathname === '/spin') for (;;) {} \
    return new Response('ok'); } }";

/// The hostile shapes: a name, top-level set-up (start-up CPU time, not the
/// event's) and the body of the event's endless loop.
const SHAPES: &[(&str, &str, &str)] = &[
    ("spin", "", "for (;;) {}"),
    ("fill", "", "for (;;) new Array(1e6).fill(1.5);"),
    ("repeat", "", "for (;;) 'x'.repeat(1 << 24);"),
    (
        "sort",
        "const items = Array.from({ length: 200000 }, (_, i) => (i * 7919) % 200000);",
        "for (;;) items.slice().sort();",
    ),
    (
        "join",
        "const parts = Array.from({ length: 1000000 }, (_, i) => 'p' + (i % 10));",
        "for (;;) parts.join(',');",
    ),
    (
        "encode",
        "const text = 'x'.repeat(1 << 24); const encoder = new TextEncoder();",
        "for (;;) encoder.encode(text);",
    ),
    (
        "atob",
        "const b64 = 'QUJD'.repeat(1 << 22);",
        "for (;;) atob(b64);",
    ),
    (
        "json",
        "const json = '[' + '1,'.repeat(2000000 - 1) + '1]';",
        "for (;;) JSON.parse(json);",
    ),
    (
        "alloc",
        "",
        "const keep = []; for (;;) keep.push({ n: keep.length, s: 'item ' + keep.length });",
    ),
];

/// One call of a shape's built-in, for its cost: the shape's name and the
/// call (the shape's set-up is run first).
const ONE_CALLS: &[(&str, &str)] = &[
    ("encode", "encoder.encode(text)"),
    ("sort", "items.slice().sort()"),
    ("json", "JSON.parse(json)"),
];

fn get(path: &str) -> FetchRequest {
    http::Request::get(format!("http://w.localhost{path}"))
        .body(Body::empty())
        .unwrap()
}

/// Median, 99th percentile and maximum.
fn percentiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    (v[v.len() / 2], at(0.99), v[v.len() - 1])
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

/// The Worker of one shape.
fn shape_worker(name: &str, setup: &str, body: &str, engine: &str) -> WorkerSpec {
    let source = format!("{setup}\nexport default {{ fetch() {{ {body} }} }}");
    WorkerSpec::from_source(name, source)
        .with_engine(engine)
        // Room for each shape's data: the CPU limit, not memory, stops them.
        .with_limits(Limits {
            memory_bytes: 1 << 30,
            ..Limits::default()
        })
}

/// The CPU time a thread has used, read from any thread.
#[derive(Clone, Copy)]
struct ThreadClock(libc::clockid_t);

impl ThreadClock {
    fn current() -> Self {
        let mut id: libc::clockid_t = libc::CLOCK_THREAD_CPUTIME_ID;
        // SAFETY: `id` is a valid place to write to.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
        assert_eq!(rc, 0);
        Self(id)
    }

    fn now(self) -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid place to write to.
        unsafe { libc::clock_gettime(self.0, &mut ts) };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

/// How long an isolate takes to stop once terminated, by itself: events of
/// one shape through the engine directly, each terminated by a thread of
/// this bench once the event has used 50 ms of CPU time; the CPU time the
/// event's thread then spent until the call returned (milliseconds). Unlike
/// the runtime's figure, it leaves out how late the terminating thread
/// looked (on a loaded machine, a scheduling delay of its own).
///
/// Each event runs in a fresh isolate, as in the server, which evicts an
/// isolate whose event broke the CPU limit: an isolate used again would
/// carry on with the garbage of the stopped events before it (an
/// allocation loop's, tens of megabytes each), whose collections are the
/// server's never. With `reuse`, one isolate serves every event (the
/// bench's figure before; `--reuse-isolate`).
fn stop_latency(
    engine: &dyn motu_engine::Engine,
    setup: &str,
    body: &str,
    runs: usize,
    reuse: bool,
) -> Vec<f64> {
    let code = motu_engine::WorkerCode {
        syntax: motu_engine::Syntax::Module,
        entry: "worker.js".into(),
        modules: std::sync::Arc::new(motu_engine::MemoryModules::new().with(
            "worker.js",
            format!("{setup}\nexport default {{ fetch() {{ {body} }} }}"),
        )),
    };
    let fresh = || {
        let host = std::rc::Rc::new(common::BenchHost::default());
        let mut config = common::config();
        config.memory_limit = Some(1 << 30);
        let mut iso = engine.new_isolate(&config, host.clone()).unwrap();
        host.set_interrupt(iso.interrupt_handle());
        iso.load_worker(&code).unwrap();
        iso.run_microtasks().unwrap();
        (iso, host)
    };
    let clock = ThreadClock::current();
    let mut latencies = Vec::new();
    let mut kept = None;
    for id in 0..runs as u64 {
        let (mut iso, host) = kept.take().unwrap_or_else(fresh);
        let interrupt = iso.interrupt_handle();
        let start = clock.now();
        let terminator = std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_micros(200));
            let now = clock.now();
            if now - start >= Duration::from_millis(50) {
                interrupt.terminate();
                return now;
            }
        });
        let result = iso
            .dispatch(id, common::event())
            .and_then(|()| iso.run_microtasks());
        let end = clock.now();
        assert!(
            matches!(result, Err(motu_engine::EngineError::Terminated)),
            "{result:?}"
        );
        let fired = terminator.join().unwrap();
        latencies.push((end - fired).as_secs_f64() * 1e3);
        if reuse {
            kept = Some((iso, host));
        }
    }
    latencies
}

/// The CPU time of one `call` after `setup`, each in an event of its own
/// (milliseconds, median of 20 after two unmeasured ones).
fn one_call(engine: &dyn motu_engine::Engine, setup: &str, call: &str) -> f64 {
    let code = motu_engine::WorkerCode {
        syntax: motu_engine::Syntax::Module,
        entry: "worker.js".into(),
        modules: std::sync::Arc::new(motu_engine::MemoryModules::new().with(
            "worker.js",
            format!("{setup}\nexport default {{ fetch() {{ {call}; return new Response(''); }} }}"),
        )),
    };
    let host = std::rc::Rc::new(common::BenchHost::default());
    let mut config = common::config();
    config.memory_limit = Some(1 << 30);
    let mut iso = engine.new_isolate(&config, host.clone()).unwrap();
    iso.load_worker(&code).unwrap();
    iso.run_microtasks().unwrap();
    let clock = ThreadClock::current();
    let mut times = Vec::new();
    for id in 0..22u64 {
        let start = clock.now();
        iso.dispatch(id, common::event()).unwrap();
        iso.run_microtasks().unwrap();
        if id >= 2 {
            times.push((clock.now() - start).as_secs_f64() * 1e3);
        }
    }
    percentiles(times).0
}

/// The shapes whose built-in V8 runs in slices only without
/// `MOTU_V8_OWN_BUILTINS=1`.
const OWN_BUILTINS: &[&str] = &["sort", "json"];

/// The one-call figure of a shape on V8 with `MOTU_V8_OWN_BUILTINS=1`
/// (V8's own built-in), from a child process of this bench.
fn own_one_call(name: &str) -> f64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--bench", "--own-one-call", name])
        .env("MOTU_V8_OWN_BUILTINS", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Events of each selected shape under `cpu_ms = 50`; prints the overruns.
async fn precision(runtime: &Runtime, engine: &str, shapes: &[&str], runs: usize, reuse: bool) {
    for &(name, setup, body) in SHAPES {
        if !shapes.is_empty() && !shapes.contains(&name) {
            continue;
        }
        runtime
            .register(shape_worker(name, setup, body, engine))
            .await
            .unwrap();
        let mut overruns = Vec::new();
        for _ in 0..runs {
            let r = runtime.fetch(name, get("/")).await;
            assert!(
                matches!(r, Err(RuntimeError::CpuLimit { .. })),
                "{name}: {r:?}"
            );
            let stats = runtime.stats().await;
            let last = stats
                .recent
                .iter()
                .rev()
                .find(|e| e.worker == name)
                .unwrap();
            overruns.push(last.cpu_ms - 50.0);
        }
        let (median, p99, max) = percentiles(overruns);
        println!(
            "{engine:8} {name:7} cpu_ms=50: ran past the limit {median:8.2} ms (median) {p99:8.2} ms (p99) {max:8.2} ms (max) over {runs} runs"
        );
        let engine = common::engines()
            .into_iter()
            .find(|e| e.name() == engine)
            .unwrap();
        let (median, p99, max) = percentiles(stop_latency(&*engine, setup, body, runs, reuse));
        println!(
            "{:8} {name:7} stopped, once terminated, after {median:8.2} ms (median) {p99:8.2} ms (p99) {max:8.2} ms (max) of CPU time",
            engine.name()
        );
        if let Some((_, call)) = ONE_CALLS.iter().find(|c| c.0 == name) {
            let ms = one_call(&*engine, setup, call);
            println!(
                "{:8} {name:7} one call ({call}) takes {ms:8.2} ms of CPU time (median)",
                engine.name(),
            );
            if OWN_BUILTINS.contains(&name) && engine.name() == "v8" {
                let own = own_one_call(name);
                println!(
                    "{:8} {name:7} one call of V8's own built-in takes {own:8.2} ms of CPU time (median); ratio {:.2}",
                    engine.name(),
                    ms / own
                );
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    heap::tune();
    let mut runs = 100;
    let mut shapes = Vec::new();
    let mut only_engine = None;
    let mut reuse = false;
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--runs" => runs = rest.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--engine" => only_engine = rest.next().cloned(),
            "--reuse-isolate" => reuse = true,
            "--own-one-call" => {
                // The child of own_one_call: prints the figure only.
                let name = rest.next().expect("--own-one-call NAME");
                let (_, setup, _) = SHAPES.iter().find(|s| s.0 == name).unwrap();
                let (_, call) = ONE_CALLS.iter().find(|c| c.0 == name).unwrap();
                let engine = common::engines()
                    .into_iter()
                    .find(|e| e.name() == "v8")
                    .unwrap();
                println!("{}", one_call(&*engine, setup, call));
                return;
            }
            "--bench" => {}
            name if SHAPES.iter().any(|s| s.0 == name) => shapes.push(name),
            other => panic!("unknown argument {other}"),
        }
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
        if only_engine.as_ref().is_some_and(|e| e != engine.name()) {
            continue;
        }
        println!(
            "{:8} overhead: {:.3} (a hello request's turn with the watchdog armed / without; 1.000 = free)",
            engine.name(),
            overhead(&*engine)
        );
    }
    for engine in motu_runtime::EngineSet::builtin_names() {
        if only_engine.as_ref().is_some_and(|e| e != engine) {
            continue;
        }
        actix::System::new().block_on(async {
            let runtime = Runtime::start(RuntimeConfig {
                threads: 1,
                ..Default::default()
            })
            .unwrap();
            precision(&runtime, engine, &shapes, runs, reuse).await;
            if !shapes.is_empty() {
                return;
            }
            runtime
                .register(WorkerSpec::from_source("w", SPIN).with_engine(*engine))
                .await
                .unwrap();
            runtime.fetch("w", get("/")).await.unwrap();
            let mut restarts = Vec::new();
            for _ in 0..runs {
                let r = runtime.fetch("w", get("/spin")).await;
                assert!(matches!(r, Err(RuntimeError::CpuLimit { .. })), "{r:?}");
                let evicted = Instant::now();
                runtime.fetch("w", get("/")).await.unwrap();
                restarts.push(evicted.elapsed().as_secs_f64() * 1e3);
            }
            let (restart_med, _, restart_max) = percentiles(restarts);
            println!(
                "{engine:8} restart: next request answered by a fresh isolate {restart_med:.2} ms after the eviction (median), {restart_max:.2} ms (max)"
            );
        });
    }
}
