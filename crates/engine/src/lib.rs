//! The engine layer of motu: one narrow, synchronous trait that both JavaScript
//! engines (QuickJS and V8) implement, so nothing above it names either engine.
//!
//! # Concepts
//!
//! - An [`Engine`] is process-wide and thread-safe; it creates isolates.
//! - An [`Isolate`] is one JavaScript heap with one global context: one live
//!   instance of a Worker. It is `!Send`: it lives and dies on the thread that
//!   created it. Everything on it is synchronous; asynchronous work lives in the
//!   actor that owns the isolate.
//! - A [`Host`] is the owner's side of the bridge. JavaScript reaches it through
//!   *ops*: synchronous ones answer at once, asynchronous ones return a promise
//!   that the owner settles later with [`Isolate::settle`].
//! - Values cross the boundary as a [`HostValue`], a small tree of plain data.
//! - An [`InterruptHandle`] is `Send + Sync` and stops running JavaScript from
//!   any thread (the supervisor's watchdog uses it).
//! - The *prelude* is the JavaScript that implements the Web APIs over the ops.
//!   Its shape, and the globals an engine provides for it, are fixed in
//!   [`contract`].
//!
//! Errors thrown by JavaScript cross as a [`JsError`] `{ name, message, stack }`
//! inside an [`EngineError`].

mod error;
mod host;
mod interrupt;
mod isolate;
mod module;
mod value;

pub mod contract;
pub mod lru;
#[cfg(feature = "testsuite")]
pub mod testsuite;

pub use error::{EngineError, JsError};
pub use host::{Host, OpId};
pub use interrupt::{Interrupt, InterruptHandle};
pub use isolate::{Engine, HeapStats, Isolate, IsolateConfig, PreludeChunk};
pub use module::{resolve_specifier, MemoryModules, ModuleSource, Syntax, WorkerCode};
pub use value::HostValue;
