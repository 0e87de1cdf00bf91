//! Measures a V8 isolate's cold start (create it, load a Worker, answer one
//! event) and its resident memory once idle, with the conformance suite's
//! test prelude and with the Web API prelude and a hello-world module Worker.
//!
//! `cargo run --release -p motu-v8 --example v8_coldstart`

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use motu_engine::{
    testsuite, Engine, Host, HostValue, Isolate, IsolateConfig, JsError, MemoryModules, OpId,
    Syntax, WorkerCode,
};
use motu_v8::V8Engine;

/// Answers the ops the Web API prelude needs and counts responses.
#[derive(Default)]
struct MeasureHost {
    ops: motu_webapi::OpState,
    responses: Cell<usize>,
}

impl Host for MeasureHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        match op {
            "init" => Ok(HostValue::Map(vec![
                ("syntax".into(), "module".into()),
                ("env".into(), HostValue::Map(vec![])),
            ])),
            "respond" => {
                self.responses.set(self.responses.get() + 1);
                Ok(HostValue::Undefined)
            }
            "fail" => panic!("the Worker failed: {args:?}"),
            "console" => Ok(HostValue::Undefined),
            _ => motu_webapi::call(&self.ops, op, args)
                .unwrap_or_else(|| Err(JsError::type_error(op.to_owned()))),
        }
    }

    fn start(&self, _op: &str, _args: Vec<HostValue>, _id: OpId) -> Result<(), JsError> {
        Err(JsError::type_error("no async ops here"))
    }
}

fn web_config() -> IsolateConfig {
    IsolateConfig {
        memory_limit: Some(128 << 20),
        allow_code_generation: false,
        prelude: Arc::from(motu_webapi::prelude()),
        prelude_name: Arc::from(motu_webapi::PRELUDE_NAME),
    }
}

fn worker() -> WorkerCode {
    WorkerCode {
        syntax: Syntax::Module,
        entry: "worker.js".into(),
        modules: Arc::new(MemoryModules::new().with(
            "worker.js",
            "export default { fetch() { return new Response('Hello World!') } }",
        )),
    }
}

fn event() -> HostValue {
    HostValue::Map(vec![
        ("type".into(), "fetch".into()),
        ("method".into(), "GET".into()),
        ("url".into(), "http://bench.localhost/".into()),
        ("headers".into(), HostValue::List(vec![])),
        ("body".into(), HostValue::Null),
    ])
}

/// Creates an isolate, loads the Worker and answers one request.
fn web_start(engine: &V8Engine, cfg: &IsolateConfig, code: &WorkerCode) -> Box<dyn Isolate> {
    let host = Rc::new(MeasureHost::default());
    let mut iso = engine.new_isolate(cfg, host.clone()).unwrap();
    iso.load_worker(code).unwrap();
    iso.run_microtasks().unwrap();
    iso.dispatch(1, event()).unwrap();
    iso.run_microtasks().unwrap();
    assert_eq!(host.responses.get(), 1, "no response");
    iso
}

/// Creates an isolate with the test prelude and a one-line Worker, and runs
/// one event.
fn test_start(engine: &V8Engine) -> Box<dyn Isolate> {
    let (mut iso, host) = testsuite::isolate(engine);
    iso.load_worker(&testsuite::script("addEventListener('test', e => e)"))
        .unwrap();
    assert!(testsuite::run(&mut *iso, &host, 1, HostValue::Null).is_some());
    iso
}

fn resident_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Mean milliseconds of `f` over `runs` runs, after one warm-up run.
fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> f64 {
    drop(f());
    let t = Instant::now();
    for _ in 0..runs {
        drop(f());
    }
    t.elapsed().as_secs_f64() * 1e3 / f64::from(runs)
}

/// Resident KiB per idle isolate kept, and the used heap of one.
fn memory(mut make: impl FnMut() -> Box<dyn Isolate>) -> String {
    const KEPT: usize = 200;
    drop(make());
    let before = resident_kib();
    let kept: Vec<_> = (0..KEPT).map(|_| make()).collect();
    let after = resident_kib();
    let heap = kept[0].heap_stats().used;
    format!(
        "{:.0} KiB resident per idle isolate (heap {} KiB)",
        after.saturating_sub(before) as f64 / KEPT as f64,
        heap / 1024
    )
}

fn main() {
    const RUNS: u32 = 200;
    let engine = V8Engine::new();
    let cfg = web_config();
    let code = worker();
    // Memory is measured in a fresh process each, so that memory freed by
    // other measurements does not hide growth.
    match std::env::args().nth(1).as_deref() {
        Some("memory-test") => return println!("{}", memory(|| test_start(&engine))),
        Some("memory-web") => return println!("{}", memory(|| web_start(&engine, &cfg, &code))),
        _ => {}
    }
    let child = |which: &str| {
        let exe = std::env::current_exe().expect("the example's path");
        let out = std::process::Command::new(exe)
            .arg(which)
            .output()
            .expect("a child run");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };

    let create = time(RUNS, || {
        engine
            .new_isolate(
                &testsuite::config(),
                Rc::new(testsuite::RecordingHost::default()),
            )
            .unwrap()
    });
    let cold = time(RUNS, || test_start(&engine));
    println!(
        "test prelude:    create {create:.3} ms, cold start {cold:.3} ms, {}",
        child("memory-test")
    );

    let create = time(RUNS, || {
        engine
            .new_isolate(&cfg, Rc::new(MeasureHost::default()))
            .unwrap()
    });
    let cold = time(RUNS, || web_start(&engine, &cfg, &code));
    println!(
        "Web API prelude: create {create:.3} ms, cold start {cold:.3} ms, {}",
        child("memory-web")
    );

    let host = Rc::new(MeasureHost::default());
    let mut iso = engine.new_isolate(&cfg, host.clone()).unwrap();
    iso.load_worker(&code).unwrap();
    let warm = time(20 * RUNS, || {
        iso.dispatch(1, event()).unwrap();
        iso.run_microtasks().unwrap();
    });
    println!("Web API prelude: warm request {:.1} µs", warm * 1e3);

    let uncached = V8Engine::with_cache_bytes(0);
    let cold = time(RUNS / 4, || web_start(&uncached, &cfg, &code));
    println!("Web API prelude without the code cache: cold start {cold:.3} ms");
}
