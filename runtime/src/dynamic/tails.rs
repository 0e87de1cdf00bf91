//! Tail Workers of a dynamic Worker (`WorkerCode.tails`): after each of its
//! events ends (its `waitUntil` work included), every tail's `tail(events)`
//! is called over RPC with one trace item, as Cloudflare's Tail Workers
//! receive them: the event (`request` and `response` of a fetch,
//! `rpcMethod` of an RPC call), its `console`
//! lines (`logs`, each `{ message: [text], level, timestamp }`), its
//! uncaught `exceptions` (`{ name, message, stack, timestamp }`), the
//! `outcome` (`ok`, `exception`, `exceededCpu`, `exceededMemory`,
//! `canceled`) and the `eventTimestamp`.
//!
//! Traces are made by the host ([`Traces`]), from what the isolate's ops
//! see, not by the prelude: the sandboxed code cannot change them. A
//! trace's delivery is not an event of the traced Worker (it costs it no
//! CPU and no subrequest) and its failure is only logged.

use std::cell::RefCell;
use std::collections::HashMap;

use motu_engine::HostValue;

use super::ServiceRef;
use crate::supervisor::EvictionReason;

/// What kind of event a trace is of.
#[derive(Debug, Clone)]
pub(crate) enum TracedEvent {
    /// A request: its method and URL.
    Fetch { method: String, url: String },
    /// An RPC call of a method.
    Rpc { method: String },
}

/// One event's trace, as it goes on.
#[derive(Debug)]
struct Trace {
    event: TracedEvent,
    started_ms: f64,
    /// `(level, text, timestamp)`.
    logs: Vec<(String, String, f64)>,
    /// `(name, message, stack, timestamp)`.
    exceptions: Vec<(String, String, String, f64)>,
    status: Option<u16>,
    outcome: &'static str,
}

/// The most lines and exceptions a trace keeps (the rest are counted as
/// `truncated`).
const MAX_ITEMS: usize = 1000;

/// The traces of an isolate's events, for its Worker's tails (none: no
/// traces are kept).
#[derive(Debug, Default)]
pub(crate) struct Traces {
    tails: Vec<ServiceRef>,
    worker: String,
    open: RefCell<HashMap<u64, Trace>>,
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
        .floor()
}

impl Traces {
    /// Traces of `worker`'s events for `tails`.
    pub(crate) fn new(worker: &str, tails: &[ServiceRef]) -> Self {
        Self {
            tails: tails.to_vec(),
            worker: worker.to_owned(),
            open: RefCell::default(),
        }
    }

    /// Whether events are traced at all.
    pub(crate) fn on(&self) -> bool {
        !self.tails.is_empty()
    }

    /// Event `id` began.
    pub(crate) fn begin(&self, id: u64, event: TracedEvent) {
        if self.on() {
            let trace = Trace {
                event,
                started_ms: now_ms(),
                logs: Vec::new(),
                exceptions: Vec::new(),
                status: None,
                outcome: "ok",
            };
            self.open.borrow_mut().insert(id, trace);
        }
    }

    /// Event `id` logged `text` at `level`.
    pub(crate) fn log(&self, id: Option<u64>, level: &str, text: &str) {
        let Some(id) = id else { return };
        if let Some(trace) = self.open.borrow_mut().get_mut(&id) {
            if trace.logs.len() < MAX_ITEMS {
                trace
                    .logs
                    .push((level.to_owned(), text.to_owned(), now_ms()));
            }
        }
    }

    /// Event `id` threw `error` (uncaught).
    pub(crate) fn exception(&self, id: u64, error: &motu_engine::JsError) {
        if let Some(trace) = self.open.borrow_mut().get_mut(&id) {
            if trace.exceptions.len() < MAX_ITEMS {
                trace.exceptions.push((
                    error.name.clone(),
                    error.message.clone(),
                    error.stack.clone().unwrap_or_default(),
                    now_ms(),
                ));
            }
            trace.outcome = "exception";
        }
    }

    /// Event `id` answered with `status`.
    pub(crate) fn responded(&self, id: u64, status: u16) {
        if let Some(trace) = self.open.borrow_mut().get_mut(&id) {
            trace.status = Some(status);
        }
    }

    /// Event `id` is over: its trace goes to the tails. `evicted`: the
    /// isolate went while it ran, for that reason.
    pub(crate) fn end(
        &self,
        id: u64,
        evicted: Option<EvictionReason>,
        rpc: Option<&actix::Recipient<crate::rpc::RpcCall>>,
    ) {
        let Some(mut trace) = self.open.borrow_mut().remove(&id) else {
            return;
        };
        if let Some(reason) = evicted {
            trace.outcome = match reason {
                EvictionReason::CpuLimit => "exceededCpu",
                EvictionReason::MemoryLimit => "exceededMemory",
                _ => "canceled",
            };
        }
        let Some(registry) = rpc.cloned() else {
            return;
        };
        let item = self.item(&trace);
        // tail(events): one argument, a list of one trace item.
        let args = list(vec![list(vec![item])]);
        for tail in &self.tails {
            let call = crate::rpc::CallEvent {
                receiver: crate::rpc::Receiver::Export(0),
                path: vec!["tail".into()],
                call: true,
                args: args.clone(),
                origin: None,
                streams: Default::default(),
                depth: 1,
                request_id: None,
                from_draining: None,
            };
            let target = crate::rpc::Target::Entrypoint {
                worker: tail.worker.clone(),
                entrypoint: tail.entrypoint.clone(),
                props: tail.props.clone(),
            };
            let (registry, worker) = (registry.clone(), self.worker.clone());
            actix_rt::spawn(async move {
                let answer = crate::rpc::route(Some(registry), None, None, target, call).await;
                if let Err(e) = answer {
                    tracing::warn!(worker = worker.as_str(), "a tail Worker failed: {e}");
                }
            });
        }
    }

    /// Every open trace's event is over (the isolate went, for `reason`).
    pub(crate) fn end_all(
        &self,
        reason: EvictionReason,
        rpc: Option<&actix::Recipient<crate::rpc::RpcCall>>,
    ) {
        let ids: Vec<u64> = self.open.borrow().keys().copied().collect();
        for id in ids {
            self.end(id, Some(reason), rpc);
        }
    }

    /// The trace item of `trace`, in RPC wire form.
    fn item(&self, trace: &Trace) -> HostValue {
        let event = match &trace.event {
            TracedEvent::Fetch { method, url } => {
                let request = object(vec![
                    ("url", text(url)),
                    ("method", text(method)),
                    ("headers", object(vec![])),
                    ("cf", object(vec![])),
                ]);
                let mut fields = vec![("request", request)];
                if let Some(status) = trace.status {
                    fields.push((
                        "response",
                        object(vec![("status", HostValue::Number(status.into()))]),
                    ));
                }
                object(fields)
            }
            TracedEvent::Rpc { method } => object(vec![("rpcMethod", text(method))]),
        };
        let logs = trace
            .logs
            .iter()
            .map(|(level, line, at)| {
                object(vec![
                    ("message", list(vec![text(line)])),
                    ("level", text(level)),
                    ("timestamp", HostValue::Number(*at)),
                ])
            })
            .collect();
        let exceptions = trace
            .exceptions
            .iter()
            .map(|(name, message, stack, at)| {
                object(vec![
                    ("name", text(name)),
                    ("message", text(message)),
                    ("stack", text(stack)),
                    ("timestamp", HostValue::Number(*at)),
                ])
            })
            .collect();
        let truncated = trace.logs.len() >= MAX_ITEMS || trace.exceptions.len() >= MAX_ITEMS;
        object(vec![
            ("scriptName", text(&self.worker)),
            ("entrypoint", HostValue::Undefined),
            ("event", event),
            ("eventTimestamp", HostValue::Number(trace.started_ms)),
            ("logs", list(logs)),
            ("exceptions", list(exceptions)),
            ("diagnosticsChannelEvents", list(vec![])),
            ("outcome", text(trace.outcome)),
            ("truncated", HostValue::Bool(truncated)),
            ("executionModel", text("stateless")),
        ])
    }
}

fn text(s: &str) -> HostValue {
    HostValue::String(s.to_owned())
}

/// An array in wire form.
fn list(items: Vec<HostValue>) -> HostValue {
    let mut out = Vec::with_capacity(items.len() + 1);
    out.push(text("a"));
    out.extend(items);
    HostValue::List(out)
}

/// A plain object in wire form.
fn object(fields: Vec<(&str, HostValue)>) -> HostValue {
    let mut out = Vec::with_capacity(fields.len() * 2 + 1);
    out.push(text("o"));
    for (k, v) in fields {
        out.push(text(k));
        out.push(v);
    }
    HostValue::List(out)
}
