//! The actor runtime of motu.
//!
//! # Concepts
//!
//! - **Executors** ([`Executors`]): a fixed set of threads (default: one per
//!   core), each running an actix arbiter. Every isolate lives and dies on the
//!   arbiter thread it was started on. An executor whose running turn has
//!   used more than a threshold of CPU time is *stalled*: new work avoids it
//!   (another isolate of the Worker starts elsewhere, within its
//!   `max_instances`).
//! - **Isolate actor** ([`IsolateActor`]): owns one engine isolate running one
//!   Worker. It serves many events at once: while one awaits an async op (a
//!   timer, later a subrequest), others run. Async ops are futures spawned on
//!   the arbiter; when one finishes, the actor settles its promise and runs the
//!   microtasks that follow.
//! - **Registry** ([`Registry`]): knows every registered Worker and its live
//!   isolates, and starts one on demand when an event arrives for a Worker
//!   that has none.
//! - **Idle collection**: an isolate idle for a second after running
//!   JavaScript collects the garbage its engine put off, paced per
//!   executor so that many isolates' collections never take more than a
//!   small share of a busy executor's time; over the server's memory
//!   budget, idle isolates collect before any is evicted.
//! - **Supervisor** ([`Supervisor`]) and **watchdog** ([`Watchdog`]): every
//!   turn of JavaScript runs under the watchdog with its event's remaining
//!   CPU budget ([`Limits`]); an isolate that breaks a limit or hangs is
//!   condemned and evicted, with a typed [`EvictionReason`] that the
//!   supervisor logs and counts, and the next event starts a fresh one.
//! - **Host work**: ops whose Rust work may take long (`crypto.subtle`,
//!   compression streams, `formData()`, and the bindings to come) run at
//!   once when they are quick, and otherwise on a work pool off the executor
//!   threads; either way their CPU time is charged to the event that asked
//!   for them ([`CpuAccount`], shared by the event's turns and its pool
//!   jobs, measured by the watchdog), and they are cancelled once the
//!   event's budget is used up.
//! - **WebSockets** ([`websocket`]): a Worker's end of a socket lives in its
//!   isolate, the network end in a task of its own; each message is an
//!   event with its own CPU budget, and open sockets keep the isolate.
//! - **Runtime** ([`Runtime`]): the handle an embedding program holds: start
//!   it inside an actix system, register Workers from a string or a file, and
//!   send them fetch events, with no HTTP involved.
//! - **Storage bindings** ([`StorageBinding`], [`Storage`]): a Worker's
//!   KV namespaces (and D1 databases, R2 buckets) are stores of
//!   `motu_storage` in the runtime's state folder, opened once per id and
//!   shared by every Worker that names it; their methods run as host work
//!   on the work pool, counted against Cloudflare's per-invocation limits
//!   (see the `bindings` module).
//! - **Queues** ([`QueueConsumer`], [`start_consumer`]): a Worker's
//!   `queues.producers` are storage bindings (`env.JOBS.send(…)`); each
//!   consumed queue has a loop that delivers its messages in batches to the
//!   consumer Worker's `queue` handler, as events under the Worker's
//!   limits, at least once (see the `queues` module).
//! - **Email** ([`email::DeliverEmail`]): `send_email` bindings write what
//!   they send to the state folder instead of sending it, and an incoming
//!   message runs the Worker's `email` handler (see the `email` module).
//! - **Assets binding** ([`AssetFetcher`]): a Worker's `env.ASSETS.fetch`
//!   is answered by a Rust object its embedder attaches (motu's gateway
//!   attaches its asset server).
//! - **Bodies** ([`Body`]): requests and responses carry whole bytes or a
//!   stream of chunks. A streamed request body reaches the Worker as a
//!   `ReadableStream` it reads chunk by chunk; a Worker's `ReadableStream`
//!   response body leaves while it is produced, with backpressure.
//!
//! ```no_run
//! use motu_runtime::prelude::*;
//!
//! #[actix::main]
//! async fn main() -> Result<(), RuntimeError> {
//!     let runtime = Runtime::start(RuntimeConfig::default())?;
//!     runtime
//!         .register(WorkerSpec::from_source(
//!             "hello",
//!             "export default { fetch() { return new Response('Hello World!') } }",
//!         ))
//!         .await?;
//!     let request = http::Request::get("http://hello.localhost/").body(Body::empty()).unwrap();
//!     let response = runtime.fetch("hello", request).await?;
//!     let body = response.into_body().collect().await.unwrap();
//!     assert_eq!(body.as_ref(), b"Hello World!");
//!     Ok(())
//! }
//! ```

mod assets;
mod bindings;
mod body;
mod builtins;
mod cpu;
mod durable;
mod dynamic;
pub mod email;
mod engines;
mod error;
mod event;
mod executors;
mod fast_path;
mod fetch;
mod host;
mod idle_gc;
mod isolate_actor;
mod log_rate;
pub mod metrics;
mod moving;
mod queues;
mod registry;
mod request_id;
mod request_url;
mod rpc;
mod runtime;
mod service;
mod sockets;
mod streams;
mod supervisor;
mod trigger;
mod watchdog;
pub mod websocket;
mod work;
mod worker;

pub use assets::{AssetBinding, AssetFetcher};
pub use bindings::{
    BindingKind, Queue, Storage, StorageBinding, StoreOptions, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES,
    MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES,
};
pub use body::{Body, BodyError, BodySender, BodyStream};
pub use builtins::builtin_modules;
pub use durable::listing::{live_objects, live_objects_json, LiveObject};
pub use durable::{
    apply_migrations, namespace_key, reconcile_alarms, AlarmEvent, DurableBinding, ObjectTarget,
};
pub use dynamic::{GlobalOutbound, ServiceRef};
pub use engines::{quickjs_engine, EngineSet};
pub use error::RuntimeError;
pub use event::{FetchRequest, FetchResponse};
pub use executors::Executors;
pub use fast_path::{FastPath, GetFastPath, Picked};
pub use fetch::{is_public, EgressPolicy, Outbound, RedirectMode};
pub use isolate_actor::{Condemn, Fetch, IsolateActor, Scheduled, WhenQuiet};
/// Project loading options, for [`WorkerSpec::from_project`].
pub use motu_loader::{BuiltinModules, ModuleRule, ProjectOptions, RuleType};
pub use queues::{
    start_consumer, BatchMessage, DeliverBatch, Delivered, Fate, QueueConsumer, QueueEvent, Report,
};
pub use registry::{Check, CheckInBackground, Checked, Dispatch, Drain, Register, Registry, Warm};
pub use request_id::{RequestId, MAX_REQUEST_ID_LEN, REQUEST_ID_HEADER};
pub use rpc::{Answer, CallEvent, Origin, Receiver, RpcCall, Target};
pub use runtime::{Runtime, RuntimeConfig};
pub use service::{ChainDepth, MAX_CHAIN_DEPTH};
pub use sockets::database::DatabaseTls;
pub use supervisor::{
    Evicted, EvictionReason, GetStats, IsolateStarted, ScheduledOutcome, ScheduledRan, Supervisor,
    SupervisorStats, RECENT_EVICTIONS,
};
pub use trigger::Trigger;
pub use watchdog::{CpuAccount, Turn, Watchdog};
pub use worker::{detect_syntax, project_root, WorkerSpec};

pub use motu_config::{Limits, NodeCompat, PoolLimits};
pub use motu_engine::{Engine, EngineError, HostValue, JsError, Syntax};

/// The names most embedding programs need.
pub mod prelude {
    pub use crate::{
        Body, EvictionReason, FetchRequest, FetchResponse, Limits, PoolLimits, Runtime,
        RuntimeConfig, RuntimeError, WorkerSpec,
    };
    pub use motu_engine::HostValue;
}
