//! The actor runtime of motu.
//!
//! # Concepts
//!
//! - **Executors** ([`Executors`]): a fixed set of threads (default: one per
//!   core), each running an actix arbiter. Every isolate lives and dies on the
//!   arbiter thread it was started on.
//! - **Isolate actor** ([`IsolateActor`]): owns one engine isolate running one
//!   Worker. It serves many events at once: while one awaits an async op (a
//!   timer, later a subrequest), others run. Async ops are futures spawned on
//!   the arbiter; when one finishes, the actor settles its promise and runs the
//!   microtasks that follow.
//! - **Registry** ([`Registry`]): knows every registered Worker and its live
//!   isolates, and starts one on demand when an event arrives for a Worker
//!   that has none.
//! - **Runtime** ([`Runtime`]): the handle an embedding program holds: start
//!   it inside an actix system, register Workers from a string or a file, and
//!   send them fetch events, with no HTTP involved.
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
//!     let request = http::Request::get("http://hello.localhost/").body(Default::default()).unwrap();
//!     let response = runtime.fetch("hello", request).await?;
//!     assert_eq!(response.body().as_ref(), b"Hello World!");
//!     Ok(())
//! }
//! ```

mod engines;
mod error;
mod event;
mod executors;
mod host;
mod isolate_actor;
mod registry;
mod runtime;
mod worker;

pub use engines::EngineSet;
pub use error::RuntimeError;
pub use event::{FetchRequest, FetchResponse};
pub use executors::Executors;
pub use isolate_actor::{Fetch, IsolateActor};
pub use registry::{Dispatch, Register, Registry, Warm};
pub use runtime::{Runtime, RuntimeConfig};
pub use worker::{detect_syntax, DirModules, WorkerSpec};

pub use motu_engine::{Engine, EngineError, HostValue, JsError, Syntax};

/// The names most embedding programs need.
pub mod prelude {
    pub use crate::{
        FetchRequest, FetchResponse, Runtime, RuntimeConfig, RuntimeError, WorkerSpec,
    };
    pub use motu_engine::HostValue;
}
