//! The QuickJS backend of motu, on the `rquickjs` crate.
//!
//! # Concepts
//!
//! - [`QuickJsEngine`] implements `motu_engine::Engine`; it is stateless, and
//!   QuickJS is compiled into the binary, so it needs nothing from the system.
//! - Each isolate is one QuickJS *runtime* (its own heap, garbage collector,
//!   memory limit and interrupt handler) with one *context* (the global
//!   object). Runtimes share nothing, so isolates are independent; each stays
//!   on the thread that made it.
//! - **Values** cross as `motu_engine::HostValue`, converted in [`convert`]
//!   terms: typed arrays and `ArrayBuffer`s become bytes, arrays lists, plain
//!   objects maps.
//! - **Ops**: the `__motu_op` / `__motu_op_async` globals are Rust functions
//!   that call the isolate's `Host`; an async op's promise keeps its resolving
//!   functions in a table until `settle` is called with its id.
//! - **Interrupts**: QuickJS calls the runtime's interrupt handler now and
//!   then while it runs; the handler answers from an atomic flag that the
//!   `InterruptHandle` sets from any thread.
//! - **Memory**: the isolate's allocator counts the bytes in use and refuses
//!   allocations past the limit; once it has refused one, the running
//!   JavaScript is stopped and the isolate reports `EngineError::OutOfMemory`,
//!   even when the script caught QuickJS's out-of-memory error.
//! - **Modules** resolve with `motu_engine::resolve_specifier` and load from
//!   the Worker's `ModuleSource`.
//! - **Code generation from strings**: QuickJS compiles Worker code through
//!   the same intrinsic that serves `eval`, so it cannot be left out; unless
//!   allowed, `eval` and the `Function` constructors (plain, async, generator,
//!   async generator) are replaced right after the prelude with functions that
//!   throw an `EvalError`, reachable neither from the globals nor through any
//!   function's `constructor`.

mod allocator;
mod convert;
mod errors;
mod isolate;
mod lockdown;
mod modules;
mod ops;

pub use isolate::QuickJsIsolate;

use std::rc::Rc;

use motu_engine::{Engine, EngineError, Host, Isolate, IsolateConfig};

/// The QuickJS engine.
#[derive(Debug, Default, Clone, Copy)]
pub struct QuickJsEngine;

impl QuickJsEngine {
    /// The engine.
    pub fn new() -> Self {
        Self
    }
}

impl Engine for QuickJsEngine {
    fn name(&self) -> &'static str {
        "quickjs"
    }

    fn new_isolate(
        &self,
        cfg: &IsolateConfig,
        host: Rc<dyn Host>,
    ) -> Result<Box<dyn Isolate>, EngineError> {
        Ok(Box::new(QuickJsIsolate::new(cfg, host)?))
    }
}
