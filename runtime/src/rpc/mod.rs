//! JS RPC: a Worker calls methods of an object that lives in another
//! isolate — `await env.API.add(1, 2)` on a service binding to an
//! `export class Api extends WorkerEntrypoint`, or a function or
//! `RpcTarget` that such a call passed along — as Cloudflare's Workers RPC
//! does, in-process.
//!
//! # The pieces
//!
//! - **The wire form** of arguments and results is made and read by the
//!   prelude (`crates/webapi/js/cloudflare/rpc_wire.js`): structured clone
//!   plus stubs, as a [`HostValue`] the host carries from one isolate to
//!   the other without looking inside.
//! - **A call** ([`CallEvent`]) is an event for the isolate actor that
//!   holds the receiver: a new event there, with its own CPU budget and the
//!   isolate's memory limit, like a fetch event. Its [`Receiver`] says what
//!   the prelude calls (`dispatchRpc` in `cloudflare/rpc.js`): a new
//!   instance of an entrypoint class, or something the isolate exported. Its
//!   answer ([`Answer`]) comes back when the method's promise settles: the
//!   result, or the error it threw (rethrown on the caller's side with its
//!   name and message).
//! - **Routing** ([`Target`]): a call to an entrypoint goes through the
//!   registry ([`RpcCall`], `registry.rs`), which picks or starts an
//!   isolate of the Worker as for a fetch; a call to an export goes straight
//!   to the isolate that exported it.
//! - **Stubs** (`peers.rs`): a function or an `RpcTarget` in a call's
//!   arguments or result is exported by the sending isolate under a number,
//!   in a *grant*; the value names that isolate and grant ([`Origin`]), and
//!   the receiving host registers it as a *peer* handle its stubs call
//!   through. A call's argument grant ends when the call settles; a
//!   result's grant ends when the caller disposes of every stub from it or
//!   its event ends ([`Release`] tells the exporting isolate). A duplicate
//!   (`stub.dup()`) holds its export on its own ([`Retain`], [`Hold`]): it
//!   outlives the call or event that gave the original, until it is
//!   disposed of (or the isolate holding it goes away), as Cloudflare's
//!   RPC lifecycle has it — an object may keep a callback it was passed.
//! - **Limits**: arguments and results are at most [`MAX_MESSAGE_BYTES`]
//!   (32 MiB, as on Cloudflare); each call counts as a subrequest of the calling event; a
//!   call is one step deeper in the chain of service-binding calls
//!   ([`crate::service::MAX_CHAIN_DEPTH`]); a callee that runs out of CPU
//!   or memory is evicted like any other, and its caller gets an error.
//!
//! # Kinds of receivers
//!
//! "Call method M on target T" is [`CallEvent`] delivered to an isolate
//! actor; what differs between kinds of receivers is only how the call is
//! routed ([`Target`], [`route`]) and what the prelude calls ([`Receiver`],
//! `dispatchRpc` in `cloudflare/rpc.js`):
//! - a Worker's entrypoint: through the registry, to any isolate of the
//!   Worker, on a new instance of the class;
//! - an export (a function or an `RpcTarget` sent along): straight to the
//!   isolate that exported it;
//! - a Durable Object (`stub.increment(2)` on a stub from
//!   `env.NS.get(id)`, [`Target::Object`]): through the registry's
//!   directory of objects (`crate::durable`), so the call is an event of
//!   the object like its `fetch` — one live object per id, one event at a
//!   time, held back by `blockConcurrencyWhile` — and its answer leaves
//!   once the object's writes before it are durable (the output gate,
//!   `cloudflare/durable.js`).
//!
//! Everything else (the wire, stubs, errors, path resolution, limits) is
//! shared. A stub on the JS side is made by `makeStub(state)` with
//! `state.target = [kind, a, b]` (`['object', target, null]` for a
//! Durable Object, the target as `durable_fetch` names it).

mod event;
mod held;
mod peers;
mod registry;

use std::sync::{Arc, Mutex};

use actix::prelude::*;
use actix::WeakAddr;
use motu_engine::{HostValue, JsError};

use crate::isolate_actor::IsolateActor;
use crate::RuntimeError;

pub(crate) use event::Answered;
pub(crate) use held::HeldExports;
pub(crate) use peers::Peers;
pub use registry::RpcCall;

/// The largest arguments or result one call carries, as Cloudflare limits
/// serialized RPC values: 32 MiB (measured here on the wire form: the
/// bytes of its strings and buffers, and 8 for every other value).
pub const MAX_MESSAGE_BYTES: usize = 32 << 20;

/// The error for a value of `size` bytes, past [`MAX_MESSAGE_BYTES`].
fn too_large(size: usize) -> String {
    format!(
        "Serialized RPC arguments or return values are limited to 32MiB, but the size of this value was: {size} bytes."
    )
}

/// Checks that `value` (arguments or a result in wire form) is within
/// [`MAX_MESSAGE_BYTES`].
pub(crate) fn check_size(value: &HostValue) -> Result<(), String> {
    match wire_size(value) {
        size if size > MAX_MESSAGE_BYTES => Err(too_large(size)),
        _ => Ok(()),
    }
}

/// An error as the wire form has it: `['E', name, message, stack, hasCause,
/// cause]`.
pub(crate) fn wire_error(name: &str, message: String) -> HostValue {
    HostValue::List(vec![
        "E".into(),
        name.into(),
        message.into(),
        HostValue::Null,
        HostValue::Bool(false),
        HostValue::Null,
    ])
}

/// The size of a value in wire form, for [`MAX_MESSAGE_BYTES`].
fn wire_size(value: &HostValue) -> usize {
    match value {
        HostValue::String(s) => s.len(),
        HostValue::Bytes(b) => b.len(),
        HostValue::Chunks(c) => c.iter().map(|c| c.len()).sum(),
        HostValue::List(l) => l.iter().map(wire_size).sum::<usize>() + 8,
        HostValue::Map(m) => m.iter().map(|(k, v)| k.len() + wire_size(v)).sum(),
        _ => 8,
    }
}

/// What a call goes to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A Worker's entrypoint: its default export (`None`) or a named
    /// export, each call on a new instance of the class.
    Entrypoint {
        /// The Worker.
        worker: String,
        /// The export's name.
        entrypoint: Option<String>,
        /// The props each call gives the entrypoint's `ctx.props`, in wire
        /// form (`Undefined`: none).
        props: HostValue,
    },
    /// What another isolate exported to this one.
    Export {
        /// The exporting isolate.
        origin: Origin,
        /// The export's number there.
        export: u64,
    },
    /// A Durable Object: a call is one of its events.
    Object(crate::ObjectTarget),
}

/// What the receiving isolate calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Receiver {
    /// A new instance of the entrypoint class (the default export's when
    /// `None`), with the props (wire form, `Undefined`: none) its
    /// `ctx.props` reads.
    Entrypoint(Option<String>, HostValue),
    /// What the isolate exported under this number.
    Export(u64),
    /// The live instance of a Durable Object (made by this event if need
    /// be).
    Object(crate::ObjectTarget),
}

impl Receiver {
    /// As the prelude gets it: `[kind, name-or-number]`.
    fn to_value(&self) -> HostValue {
        match self {
            Receiver::Entrypoint(name, props) => HostValue::List(vec![
                "entrypoint".into(),
                name.as_deref().map_or(HostValue::Null, Into::into),
                props.clone(),
            ]),
            Receiver::Export(n) => HostValue::List(vec!["export".into(), (*n as f64).into()]),
            Receiver::Object(target) => {
                HostValue::List(vec!["object".into(), target.id.as_str().into()])
            }
        }
    }
}

/// Where the stubs in a value call back to: the isolate that exported
/// them, and the grant they are in there.
#[derive(Debug, Clone)]
pub struct Origin {
    pub(crate) isolate: WeakAddr<IsolateActor>,
    pub(crate) grant: u64,
    /// Counts in the exporting isolate while the origin is held (see
    /// [`HeldExports`]).
    pub(crate) _held: Arc<held::ExportHold>,
}

/// The byte streams a value carries, by index in the wire form: its
/// `ReadableStream`s and the bodies of its `Request`s and `Response`s
/// (bodies the receiver reads), and its `WritableStream`s (the producing
/// ends of pipes whose readable the sender pipes into the stream, see
/// `crate::streams`, which the receiver writes into). Taken once, by the
/// isolate that receives the value.
#[derive(Clone, Default)]
pub struct Streams(Arc<Mutex<StreamParts>>);

#[derive(Default)]
struct StreamParts {
    bodies: Vec<crate::Body>,
    writers: Vec<crate::body::BodySender>,
}

impl Streams {
    /// Streams of `bodies` and `writers`.
    pub(crate) fn new(bodies: Vec<crate::Body>, writers: Vec<crate::body::BodySender>) -> Self {
        Self(Arc::new(Mutex::new(StreamParts { bodies, writers })))
    }

    /// The bodies and the writers, once (later: none).
    pub(crate) fn take(&self) -> (Vec<crate::Body>, Vec<crate::body::BodySender>) {
        let parts = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        (parts.bodies, parts.writers)
    }
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, w) = self
            .0
            .lock()
            .map_or((0, 0), |p| (p.bodies.len(), p.writers.len()));
        write!(f, "Streams({n} bodies, {w} writers)")
    }
}

/// A call of `path` of a receiver, as an event of the isolate that holds
/// it.
#[derive(Debug, Clone)]
pub struct CallEvent {
    /// What is called.
    pub receiver: Receiver,
    /// The property path: `["add"]` for `stub.add(…)`, `["a", "b"]` for
    /// `stub.a.b(…)`, `[]` for a function stub.
    pub path: Vec<String>,
    /// A call (`true`) or a property read.
    pub call: bool,
    /// The arguments' list in wire form (`Undefined` for a read).
    pub args: HostValue,
    /// Where the stubs among the arguments call back to.
    pub origin: Option<Origin>,
    /// The byte streams among the arguments.
    pub streams: Streams,
    /// The call's depth in its chain of calls (1 for one made by a
    /// request from outside).
    pub depth: u32,
    /// The id of the request the chain serves.
    pub request_id: Option<crate::RequestId>,
    /// For a Durable Object: whether the calling isolate is condemned,
    /// read at delivery (see `crate::durable::draining`).
    pub(crate) from_draining: Option<crate::durable::draining::FromDraining>,
}

impl Message for CallEvent {
    type Result = Result<Answer, RuntimeError>;
}

impl CallEvent {
    /// The bytes the event carries into the isolate (roughly).
    fn size(&self) -> usize {
        wire_size(&self.args)
    }
}

/// How a call ended: its result, or what it threw, in wire form.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Whether the method threw (or its promise rejected).
    pub threw: bool,
    /// The result or the error.
    pub value: HostValue,
    /// Where the stubs in the value call back to.
    pub origin: Option<Origin>,
    /// The byte streams in the value.
    pub streams: Streams,
}

/// What a peer holds of the isolate that exported its values: a grant (the
/// values of one argument list or result), or one export a duplicate stub
/// (`stub.dup()`) retained on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hold {
    /// A grant: its exports stay until it is released.
    Grant(u64),
    /// One export, retained by [`Retain`]: it stays until every grant
    /// holding it and every retain of it are released.
    Export(u64),
}

/// What a peer held of an isolate's exports is over: it is released.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Release {
    pub(crate) hold: Hold,
}

/// An export is kept for one more holder, beyond its grant: a duplicate
/// (`stub.dup()`) of a stub of it was made in another isolate. Sent before
/// the call that carried the stub is answered, so it arrives before the
/// grant is released (an actor's mailbox keeps the order of what is sent
/// to it).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct Retain {
    pub(crate) export: u64,
}

impl Target {
    /// The receiver the prelude's `rpc_call(kind, a, b, …)` names, with the
    /// peers this isolate holds and `object`, which reads a Durable Object
    /// stub's target.
    pub(crate) fn from_args(
        args: &[HostValue],
        peers: &Peers,
        object: impl FnOnce(&str) -> Result<crate::ObjectTarget, JsError>,
    ) -> Result<Target, JsError> {
        let kind = args.first().and_then(HostValue::as_str).unwrap_or("");
        match kind {
            "service" => {
                let worker = args
                    .get(1)
                    .and_then(HostValue::as_str)
                    .ok_or_else(|| JsError::type_error("rpc_call: the service must be a string"))?
                    .to_owned();
                let entrypoint = args.get(2).and_then(HostValue::as_str).map(str::to_owned);
                // After the call's own arguments (see the host's `rpc_call`).
                let props = args.get(9).cloned().unwrap_or_default();
                Ok(Target::Entrypoint {
                    worker,
                    entrypoint,
                    props,
                })
            }
            "peer" => {
                let number = |i: usize| args.get(i).and_then(HostValue::as_f64).unwrap_or(-1.0);
                let origin = peers.origin(number(1) as u32).ok_or_else(|| {
                    JsError::new(
                        "Error",
                        "RPC stub is no longer valid: the event that received it has ended",
                    )
                })?;
                Ok(Target::Export {
                    origin,
                    export: number(2) as u64,
                })
            }
            "object" => {
                let target = args
                    .get(1)
                    .and_then(HostValue::as_str)
                    .ok_or_else(|| JsError::type_error("rpc_call: a malformed stub"))?;
                Ok(Target::Object(object(target)?))
            }
            other => Err(JsError::type_error(format!(
                "rpc_call: unknown receiver kind '{other}'"
            ))),
        }
    }
}

/// Delivers `event` for `target`: for an entrypoint, straight to a live
/// isolate of the Worker that `fast` picks, else through `registry`;
/// straight to the exporting isolate for an export, and straight to the
/// hosting isolate for a Durable Object that `objects` knows to be live
/// (else through `registry`'s directory, see `crate::durable::direct`).
pub(crate) async fn route(
    registry: Option<Recipient<RpcCall>>,
    fast: Option<crate::FastPath>,
    objects: Option<crate::durable::direct::Homes>,
    target: Target,
    mut event: CallEvent,
) -> Result<Answer, JsError> {
    if event.depth > crate::service::MAX_CHAIN_DEPTH {
        return Err(JsError::new(
            "Error",
            format!(
                "service binding chain too deep: more than {} nested calls",
                crate::service::MAX_CHAIN_DEPTH
            ),
        ));
    }
    let (outcome, what) = match target {
        Target::Entrypoint {
            worker,
            entrypoint,
            props,
        } => {
            let registry = registry
                .ok_or_else(|| JsError::new("Error", "service bindings are not available"))?;
            event.receiver = Receiver::Entrypoint(entrypoint, props);
            // Straight to a live isolate of the Worker when the fast path
            // has one to pick, as a service binding's fetch goes.
            let picked = fast.and_then(|fast| fast.pick(&worker, None));
            if let Some(picked) = picked {
                if let Some(answer) = picked.call(event.clone()).await {
                    return answer.map_err(|error| {
                        JsError::new("Error", format!("RPC to '{worker}' failed: {error}"))
                    });
                }
            }
            let sent = registry
                .send(RpcCall {
                    worker: worker.clone(),
                    event,
                    retried: false,
                })
                .await
                .map_err(|_| RuntimeError::Lost(worker.clone()));
            (sent.and_then(|r| r), format!("RPC to '{worker}'"))
        }
        Target::Export { origin, export } => {
            let gone = || {
                JsError::new(
                    "Error",
                    "RPC stub is no longer valid: the isolate it calls into has gone",
                )
            };
            let addr = origin.isolate.upgrade().ok_or_else(gone)?;
            event.receiver = Receiver::Export(export);
            let sent = addr.send(event).await.map_err(|_| gone())?;
            (sent, "RPC stub call".to_owned())
        }
        Target::Object(target) => {
            let registry = registry
                .ok_or_else(|| JsError::new("Error", "Durable Objects are not available"))?;
            let sent =
                crate::durable::direct::call(objects.as_ref(), &registry, target, event).await;
            (sent, "Durable Object RPC".to_owned())
        }
    };
    outcome.map_err(|error| JsError::new("Error", format!("{what} failed: {error}")))
}
