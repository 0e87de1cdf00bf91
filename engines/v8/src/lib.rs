//! The V8 backend of motu: a small C++ shim over the V8 that Debian ships
//! inside `libnode` (V8 10.2).
//!
//! # Concepts
//!
//! - **Why a shim**: the `v8` crate downloads a prebuilt library at build
//!   time, which these machines cannot reach; Debian's libnode carries a
//!   shared V8 with its headers. `shim/` wraps the long-stable part of V8's
//!   public API behind a C interface (`shim/motu_v8.h`), built with `cc` and
//!   linked against `libnode.so`. No `node::` API is used.
//! - **Values** cross the C boundary as bytes in a small tagged encoding
//!   ([`codec`] here, `shim/codec.cc` there); errors as an encoded
//!   `{ name, message, stack }` map.
//! - **Threading**: V8's platform is started once per process. Each isolate
//!   (with one context) is used only on the thread that made it; every call
//!   enters its isolate and context, so many isolates share a thread.
//! - **Limits**: the heap limit comes from V8's resource constraints; a
//!   near-heap-limit callback terminates the running JavaScript and raises
//!   the limit so V8 unwinds instead of aborting the process.
//!   `InterruptHandle::terminate` calls `TerminateExecution` from any thread;
//!   the isolate cancels the termination once the call has returned, so it
//!   stays usable.
//! - **Code generation from strings** is refused with V8's own switch unless
//!   the config allows it.

mod codec;
mod ffi;
mod isolate;

pub use isolate::V8Isolate;

use std::rc::Rc;

use motu_engine::{Engine, EngineError, Host, Isolate, IsolateConfig};

/// The V8 engine.
#[derive(Debug, Default, Clone, Copy)]
pub struct V8Engine;

impl V8Engine {
    /// The engine. V8 itself starts with the first isolate.
    pub fn new() -> Self {
        Self
    }
}

impl Engine for V8Engine {
    fn name(&self) -> &'static str {
        "v8"
    }

    fn new_isolate(
        &self,
        cfg: &IsolateConfig,
        host: Rc<dyn Host>,
    ) -> Result<Box<dyn Isolate>, EngineError> {
        Ok(Box::new(V8Isolate::new(cfg, host)?))
    }
}
