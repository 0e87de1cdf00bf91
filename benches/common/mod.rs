//! A minimal host for driving an engine directly, as the runtime would.

#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{
    Engine, Host, HostValue, Isolate, IsolateConfig, JsError, MemoryModules, OpId, Syntax,
    WorkerCode,
};

/// Answers the runtime's ops the simplest way and records responses.
#[derive(Default)]
pub struct BenchHost {
    ops: motu_webapi::OpState,
    /// Bodies of the responses, in order.
    pub responses: RefCell<Vec<HostValue>>,
    /// What `init` says of stack positions (the runtime says whether the
    /// Worker's modules were transpiled).
    pub maps_positions: bool,
    /// Whether `init` gives the Worker Node.js compatibility (the
    /// `process` and `Buffer` globals; `node:*` modules come from the
    /// loader, which these benches do not use).
    pub nodejs: bool,
}

impl BenchHost {
    /// A host whose `init` says whether stack positions are mapped.
    pub fn mapping_positions(maps_positions: bool) -> Self {
        Self {
            maps_positions,
            ..Self::default()
        }
    }
}

impl Host for BenchHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        match op {
            "init" => Ok(HostValue::Map(vec![
                ("syntax".into(), "module".into()),
                ("env".into(), HostValue::Map(vec![])),
                ("mapsPositions".into(), HostValue::Bool(self.maps_positions)),
                (
                    "nodejs".into(),
                    if self.nodejs {
                        HostValue::Map(vec![
                            ("globals".into(), HostValue::Bool(true)),
                            ("populateEnv".into(), HostValue::Bool(true)),
                        ])
                    } else {
                        HostValue::Undefined
                    },
                ),
            ])),
            "respond" => {
                self.responses
                    .borrow_mut()
                    .push(args.into_iter().nth(4).unwrap_or_default());
                Ok(HostValue::Undefined)
            }
            "fail" => panic!("the Worker failed: {args:?}"),
            "console" => Ok(HostValue::Undefined),
            _ => motu_webapi::call(&self.ops, op, args)
                .unwrap_or_else(|| Err(JsError::type_error(op.to_owned()))),
        }
    }

    fn start(&self, _op: &str, _args: Vec<HostValue>, _id: OpId) -> Result<(), JsError> {
        Err(JsError::type_error("no async ops in benches"))
    }
}

impl BenchHost {
    /// Lets the ops see the isolate's terminations, as the runtime does.
    pub fn set_interrupt(&self, interrupt: motu_engine::InterruptHandle) {
        self.ops.set_interrupt(interrupt);
    }
}

/// The process's resident memory (KiB), from `/proc/self/status`.
pub fn resident_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The engines this build has.
pub fn engines() -> Vec<Box<dyn Engine>> {
    #[allow(unused_mut)]
    let mut engines: Vec<Box<dyn Engine>> = vec![Box::new(motu_quickjs::QuickJsEngine::new())];
    #[cfg(feature = "v8")]
    engines.push(Box::new(motu_v8::V8Engine::new()));
    engines
}

/// The isolate config with the Web API prelude.
pub fn config() -> IsolateConfig {
    motu_webapi::isolate_config()
}

/// The hello-world module Worker.
pub fn hello() -> WorkerCode {
    WorkerCode {
        syntax: Syntax::Module,
        entry: "worker.js".into(),
        modules: Arc::new(MemoryModules::new().with(
            "worker.js",
            "export default { fetch() { return new Response('Hello World!') } }",
        )),
    }
}

/// A module Worker whose `fetch` calls `performance.now()` (one `perf_now`
/// op each) `calls` times, then answers.
pub fn op_caller(calls: u32) -> WorkerCode {
    WorkerCode {
        syntax: Syntax::Module,
        entry: "worker.js".into(),
        modules: Arc::new(MemoryModules::new().with(
            "worker.js",
            format!(
                "export default {{ fetch() {{ let t = 0; for (let i = 0; i < {calls}; i++) t += performance.now(); return new Response(String(t > 0)) }} }}"
            ),
        )),
    }
}

/// A fetch event for `/`, as the runtime hands it to the prelude:
/// `[method, url, headers, body]`.
pub fn event() -> HostValue {
    HostValue::List(vec![
        "GET".into(),
        "http://bench.localhost/".into(),
        HostValue::List(vec![]),
        HostValue::Null,
    ])
}

/// A fresh isolate with the prelude and the hello Worker loaded.
pub fn loaded(engine: &dyn Engine) -> (Box<dyn Isolate>, Rc<BenchHost>) {
    loaded_with(engine, &hello())
}

/// A fresh isolate with the prelude and `code` loaded.
pub fn loaded_with(engine: &dyn Engine, code: &WorkerCode) -> (Box<dyn Isolate>, Rc<BenchHost>) {
    loaded_host(engine, code, BenchHost::default())
}

/// A fresh isolate of the hello Worker with Node.js compatibility on.
pub fn loaded_nodejs(engine: &dyn Engine) -> (Box<dyn Isolate>, Rc<BenchHost>) {
    let host = BenchHost {
        nodejs: true,
        ..BenchHost::default()
    };
    loaded_host(engine, &hello(), host)
}

/// A fresh isolate with the prelude and `code` loaded, on `host`.
pub fn loaded_host(
    engine: &dyn Engine,
    code: &WorkerCode,
    host: BenchHost,
) -> (Box<dyn Isolate>, Rc<BenchHost>) {
    loaded_configured(engine, code, host, &config())
}

/// A fresh isolate made with `config` and `code` loaded, on `host`.
pub fn loaded_configured(
    engine: &dyn Engine,
    code: &WorkerCode,
    host: BenchHost,
    config: &IsolateConfig,
) -> (Box<dyn Isolate>, Rc<BenchHost>) {
    let host = Rc::new(host);
    let mut iso = engine.new_isolate(config, host.clone()).unwrap();
    iso.load_worker(code).unwrap();
    iso.run_microtasks().unwrap();
    (iso, host)
}

/// One request through an isolate; panics unless it answered.
pub fn request(iso: &mut dyn Isolate, host: &BenchHost, id: u64) {
    iso.dispatch(id, event()).unwrap();
    iso.run_microtasks().unwrap();
    assert!(host.responses.borrow_mut().pop().is_some(), "no response");
}
