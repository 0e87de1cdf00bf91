//! The host side of one isolate: the ops that belong to the runtime (event
//! outcomes, `env`, console, timers, body streams), and the pending events'
//! reply channels.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix::WeakAddr;
use motu_engine::{Host, HostValue, JsError, OpId, Syntax};
use tokio::sync::oneshot;

use crate::event::response_from_op;
use crate::isolate_actor::{IsolateActor, OpDone};
use crate::streams::{BodyStreams, Settle};
use crate::{Body, FetchResponse, RuntimeError, WorkerSpec};

/// Where the outcome of one event goes.
pub(crate) type Reply = oneshot::Sender<Result<FetchResponse, RuntimeError>>;

/// The runtime's [`Host`] for one isolate.
pub(crate) struct IsolateHost {
    spec: Arc<WorkerSpec>,
    /// Events waiting for their outcome.
    pending: RefCell<HashMap<u64, Reply>>,
    /// Async ops not yet settled, with the event whose turn started them.
    ops: RefCell<HashMap<OpId, Option<u64>>>,
    /// The event the running turn is charged to.
    current_event: Cell<Option<u64>>,
    /// Unsettled `waitUntil` promises, per event.
    waits: RefCell<HashMap<u64, usize>>,
    /// Request and response bodies being streamed.
    streams: BodyStreams,
    actor: Rc<OnceCell<WeakAddr<IsolateActor>>>,
    /// What the pure ops of `motu_webapi` keep for this isolate.
    op_state: motu_webapi::OpState,
}

impl IsolateHost {
    pub(crate) fn new(spec: Arc<WorkerSpec>) -> Self {
        Self {
            spec,
            pending: RefCell::new(HashMap::new()),
            ops: RefCell::new(HashMap::new()),
            current_event: Cell::new(None),
            waits: RefCell::new(HashMap::new()),
            streams: BodyStreams::default(),
            actor: Rc::new(OnceCell::new()),
            op_state: motu_webapi::OpState::new(),
        }
    }

    /// Tells the host which actor settles its async ops.
    pub(crate) fn bind(&self, actor: WeakAddr<IsolateActor>) {
        let _ = self.actor.set(actor);
    }

    /// Remembers where event `id`'s outcome goes.
    pub(crate) fn expect(&self, id: u64, reply: Reply) {
        self.pending.borrow_mut().insert(id, reply);
    }

    /// Charges the turn about to run (and the ops it starts) to `event`.
    pub(crate) fn set_current_event(&self, event: Option<u64>) {
        self.current_event.set(event);
    }

    /// Forgets a settled op and tells which event started it.
    pub(crate) fn op_finished(&self, id: OpId) -> Option<u64> {
        self.ops.borrow_mut().remove(&id).flatten()
    }

    /// How many events wait for their outcome.
    pub(crate) fn pending_events(&self) -> usize {
        self.pending.borrow().len()
    }

    /// Whether event `id` still waits for its outcome.
    pub(crate) fn is_pending(&self, id: u64) -> bool {
        self.pending.borrow().contains_key(&id)
    }

    /// Events whose `waitUntil` promises have not all settled.
    pub(crate) fn waiting_events(&self) -> Vec<u64> {
        self.waits.borrow().keys().copied().collect()
    }

    /// Whether event `id` has unsettled `waitUntil` promises.
    pub(crate) fn is_waiting(&self, id: u64) -> bool {
        self.waits.borrow().contains_key(&id)
    }

    /// Forgets the `waitUntil` promises of every event.
    pub(crate) fn forget_waits(&self) {
        self.waits.borrow_mut().clear();
    }

    /// How many async ops have not settled yet.
    pub(crate) fn pending_ops(&self) -> usize {
        self.ops.borrow().len()
    }

    /// Makes `body` readable from JavaScript as a stream (the prelude reads
    /// it with the `body_read` op); returns its handle. The stream belongs to
    /// the event of the running turn and is released when that event ends.
    /// (For subrequest response bodies.)
    #[allow(dead_code)]
    pub(crate) fn open_readable(&self, body: Body) -> u32 {
        self.streams.open_readable(body, self.current_event.get())
    }

    /// Like [`open_readable`](Self::open_readable), for event `event`.
    pub(crate) fn open_readable_for(&self, body: Body, event: u64) -> u32 {
        self.streams.open_readable(body, Some(event))
    }

    /// Takes the body JavaScript writes into the sink `handle` (opened with
    /// `body_sink_open`), as it is produced; `None` if there is no such sink
    /// or its body was taken already. (For subrequest request bodies.)
    #[allow(dead_code)]
    pub(crate) fn take_sink_body(&self, handle: u32) -> Option<Body> {
        self.streams.take_sink_body(handle, None)
    }

    /// Whether event `id`'s response body is still being produced.
    pub(crate) fn is_streaming(&self, id: u64) -> bool {
        self.streams.is_streaming(id)
    }

    /// How many response bodies are still being produced.
    pub(crate) fn streaming_responses(&self) -> usize {
        self.streams.streaming_responses()
    }

    /// Releases the streams of events that have ended (answered, no
    /// `waitUntil` work, no response body still being produced).
    pub(crate) fn sweep_streams(&self) {
        self.streams
            .sweep(|e| self.is_pending(e) || self.is_waiting(e) || self.streams.is_streaming(e));
    }

    /// Ends every response body still being produced with an error; returns
    /// how many there were.
    pub(crate) fn abort_streaming_responses(&self, message: &str) -> usize {
        self.streams.abort_responses(message)
    }

    /// Releases every stream (the isolate is going away).
    pub(crate) fn release_streams(&self, message: &str) {
        self.streams.release_all(message);
    }

    /// Settles async ops through the actor, from a spawned future.
    fn settler(&self) -> Settle {
        let actor = self.actor.clone();
        Rc::new(move |id, result| {
            if let Some(addr) = actor.get().and_then(WeakAddr::upgrade) {
                addr.do_send(OpDone { id, result });
            }
        })
    }

    /// Fails one event, if it still waits.
    pub(crate) fn fail(&self, id: u64, error: RuntimeError) {
        self.finish(id, Err(error));
    }

    /// Fails every event still waiting for an outcome.
    pub(crate) fn fail_all(&self, error: RuntimeError) {
        for (_, reply) in self.pending.borrow_mut().drain() {
            let _ = reply.send(Err(error.clone()));
        }
    }

    fn finish(&self, id: u64, outcome: Result<FetchResponse, RuntimeError>) {
        if let Some(reply) = self.pending.borrow_mut().remove(&id) {
            let _ = reply.send(outcome);
        }
    }

    fn init(&self) -> HostValue {
        let syntax = match self.spec.code.syntax {
            Syntax::Module => "module",
            Syntax::Script => "script",
        };
        HostValue::Map(vec![
            ("syntax".into(), syntax.into()),
            ("env".into(), HostValue::Map(self.spec.vars.clone())),
        ])
    }

    fn console(&self, args: &[HostValue]) {
        let level = args.first().and_then(HostValue::as_str).unwrap_or("info");
        let text = args.get(1).and_then(HostValue::as_str).unwrap_or("");
        let worker = self.spec.name.as_str();
        match level {
            "error" => tracing::error!(target: "motu::console", worker, "{text}"),
            "warn" => tracing::warn!(target: "motu::console", worker, "{text}"),
            "debug" => tracing::debug!(target: "motu::console", worker, "{text}"),
            "trace" => tracing::trace!(target: "motu::console", worker, "{text}"),
            _ => tracing::info!(target: "motu::console", worker, "{text}"),
        }
    }

    fn exception(&self, args: &[HostValue]) -> RuntimeError {
        let info = args.get(1);
        let field = |k: &str| {
            info.and_then(|i| i.get(k))
                .and_then(HostValue::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let stack = field("stack");
        let error = JsError {
            name: field("name"),
            message: field("message"),
            stack: (!stack.is_empty()).then_some(stack),
        };
        tracing::error!(
            worker = self.spec.name.as_str(),
            stack = error.stack.as_deref().unwrap_or(""),
            "uncaught exception: {error}"
        );
        RuntimeError::Exception {
            worker: self.spec.name.clone(),
            error,
        }
    }
}

impl Host for IsolateHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        let event_id =
            |args: &[HostValue]| args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
        match op {
            "respond" => {
                let id = event_id(&args);
                if !self.is_pending(id) {
                    return Ok(HostValue::Undefined);
                }
                let take = |handle| self.streams.take_sink_body(handle, Some(id));
                let outcome =
                    response_from_op(args, take).map_err(|message| RuntimeError::BadResponse {
                        worker: self.spec.name.clone(),
                        message,
                    });
                self.finish(id, outcome);
            }
            "fail" => {
                let error = self.exception(&args);
                self.finish(event_id(&args), Err(error));
            }
            "console" => self.console(&args),
            "wait_until" => {
                let id = event_id(&args);
                let delta = args.get(1).and_then(HostValue::as_f64).unwrap_or(0.0);
                let mut waits = self.waits.borrow_mut();
                let count = waits.entry(id).or_default();
                if delta > 0.0 {
                    *count += 1;
                } else {
                    *count = count.saturating_sub(1);
                }
                if *count == 0 {
                    waits.remove(&id);
                }
            }
            "init" => return Ok(self.init()),
            "body_sink_open" => {
                return Ok(HostValue::Number(
                    self.streams.open_sink(self.current_event.get()) as f64,
                ))
            }
            "body_sink_close" => self.streams.close(&args)?,
            "body_sink_abort" => self.streams.abort(&args)?,
            "body_cancel" => self.streams.cancel(&args)?,
            _ => {
                return motu_webapi::call(&self.op_state, op, args)
                    .unwrap_or_else(|| Err(JsError::type_error(format!("unknown op '{op}'"))))
            }
        }
        Ok(HostValue::Undefined)
    }

    fn start(&self, op: &str, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        match op {
            "sleep" => {
                self.ops.borrow_mut().insert(id, self.current_event.get());
                let ms = args
                    .first()
                    .and_then(HostValue::as_f64)
                    .unwrap_or(0.0)
                    .max(0.0);
                let actor = self.actor.clone();
                actix_rt::spawn(async move {
                    actix_rt::time::sleep(Duration::from_micros((ms * 1000.0) as u64)).await;
                    if let Some(addr) = actor.get().and_then(WeakAddr::upgrade) {
                        addr.do_send(OpDone {
                            id,
                            result: Ok(HostValue::Undefined),
                        });
                    }
                });
                Ok(())
            }
            "body_read" => {
                self.streams.read(&args, id, self.settler())?;
                self.ops.borrow_mut().insert(id, self.current_event.get());
                Ok(())
            }
            "body_sink_write" => {
                self.streams.write(args, id, self.settler())?;
                self.ops.borrow_mut().insert(id, self.current_event.get());
                Ok(())
            }
            _ => Err(JsError::type_error(format!("unknown async op '{op}'"))),
        }
    }
}
