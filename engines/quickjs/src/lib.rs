//! The QuickJS backend of motu, on the `rquickjs` crate (QuickJS-ng inside).
//!
//! # Concepts
//!
//! - [`QuickJsEngine`] implements `motu_engine::Engine`. QuickJS is compiled
//!   into the binary, so it needs nothing from the system. The engine holds
//!   a bytecode cache shared by all its isolates; otherwise it is stateless.
//! - **Isolates**: each [`QuickJsIsolate`] is one QuickJS *runtime* (its own
//!   heap, garbage collector, allocator and interrupt handler) with one
//!   *context* (the global object and built-ins). Runtimes share nothing, so
//!   isolates are independent; each stays on the thread that made it.
//! - **Code is compiled once, as bytecode**: the prelude and Worker sources
//!   are compiled on a per-thread compiler runtime to QuickJS bytecode, kept
//!   in the engine's cache (keyed by the full text), and read into each
//!   isolate. A second isolate of the same Worker parses nothing.
//! - **Code generation from strings** is then a property of the context
//!   alone: unless `IsolateConfig::allow_code_generation`, the context lacks
//!   QuickJS's eval intrinsic, so `eval`, `new Function` and the async,
//!   generator and async generator function constructors throw a
//!   `TypeError`, however they are reached. No JavaScript lockdown is
//!   needed.
//! - **Values** cross as `motu_engine::HostValue`: typed arrays, `DataView`s
//!   and `ArrayBuffer`s become bytes, arrays lists, other objects maps of
//!   their own enumerable string keys; nesting is cut off at 64 levels.
//! - **Ops**: the `__motu_op` / `__motu_op_async` globals (see
//!   `motu_engine::contract`) are Rust functions that call the isolate's
//!   `Host`; an async op's promise keeps its resolving functions, under its
//!   op id, until `Isolate::settle`. A host error is thrown as a `TypeError`,
//!   `RangeError`, `SyntaxError` or `ReferenceError`, or as an `Error` whose
//!   `name` is set.
//! - **Async context**: `__motu_async_context_get`/`_set` read and write a
//!   value that QuickJS carries along its promise jobs (see
//!   `motu_engine::contract`), through a small patch of the vendored
//!   QuickJS (`vendor/rquickjs-sys/MOTU.md`).
//! - **`__motu_define_getter`** (see `motu_engine::contract`) is a C
//!   function of QuickJS's own, so that making an event (its own
//!   `isTrusted` getter) reads no descriptor object.
//! - **WebSocket messages** reach the prelude's `dispatch` hook as three
//!   arguments of their own (`Isolate::dispatch_message_turn`), with their
//!   microtasks in the same entry into the runtime.
//! - **Prelude chunks** (`IsolateConfig::prelude_chunks`) go through the
//!   same cache; `__motu_load(i)` reads chunk `i`'s bytecode into the
//!   context and runs it when the prelude first needs that part.
//! - **Precompiled prelude**: a binary may embed the prelude's bytecode,
//!   written at build time by [`precompile`], and give it to
//!   [`QuickJsEngine::with_precompiled`]; the first isolate then reads it
//!   instead of compiling the prelude. It is used only where it was compiled
//!   by this QuickJS from the same text (see [`compiler_id`] and
//!   [`fingerprint`]); otherwise the prelude is compiled as usual.
//! - **Interrupts**: QuickJS calls the runtime's interrupt handler every few
//!   thousand instructions; the handler answers from an atomic flag that the
//!   `InterruptHandle` raises from any thread. The interrupted call returns
//!   `EngineError::Terminated` and the isolate stays usable.
//! - **Memory**: the runtime allocates through a counting allocator that
//!   refuses allocations past `IsolateConfig::memory_limit` (default: no
//!   limit). QuickJS's out-of-memory error can be caught by JavaScript, so
//!   the allocator also raises a flag: the interrupt handler then stops all
//!   JavaScript, and every call reports `EngineError::OutOfMemory`.
//! - **Modules** resolve with the Worker's `ModuleSource::resolve` and load from
//!   the Worker's `ModuleSource`, through the bytecode cache, for static
//!   imports and dynamic `import()` alike. Top-level `await` must settle
//!   within the promise jobs run while loading.
//! - **Errors** become `JsError { name, message, stack }`; stacks name the
//!   Worker's files and lines, and the prelude's as
//!   `IsolateConfig::prelude_name`.

mod accessors;
mod async_context;
mod cache;
mod chunks;
mod compile;
mod context;
mod convert;
mod encode;
mod errors;
mod exec;
mod interrupt;
mod isolate;
mod load;
mod memory;
mod modules;
mod ops;
mod precompiled;
mod strings;

pub use isolate::QuickJsIsolate;
pub use precompiled::{compiler_id, fingerprint, precompile, Precompiled};

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{Engine, EngineError, Host, Isolate, IsolateConfig};

use crate::cache::BytecodeCache;

/// The QuickJS engine.
///
/// Clones share one bytecode cache.
#[derive(Clone)]
pub struct QuickJsEngine {
    cache: Arc<BytecodeCache>,
}

impl QuickJsEngine {
    /// The default size of the bytecode cache: 64 MiB of source and
    /// bytecode.
    pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

    /// The engine, with a bytecode cache of [`Self::DEFAULT_CACHE_BYTES`].
    pub fn new() -> Self {
        Self::with_cache_bytes(Self::DEFAULT_CACHE_BYTES)
    }

    /// The engine with a bytecode cache of at most `max_bytes` (source texts
    /// plus their bytecode; least recently used entries go first). A larger
    /// cache spares more isolates the parsing of their prelude and Worker;
    /// `0` turns caching off, so that every isolate compiles its code.
    pub fn with_cache_bytes(max_bytes: usize) -> Self {
        Self {
            cache: Arc::new(BytecodeCache::new(max_bytes)),
        }
    }

    /// The engine with a fresh cache of the same size that answers its
    /// misses from `entries` (bytecode written by [`precompile`] at build
    /// time), where an entry was compiled by this QuickJS from the text
    /// asked for; other entries are never read.
    pub fn with_precompiled(self, entries: &[Precompiled]) -> Self {
        let cache = BytecodeCache::new(self.cache.max_bytes).with_precompiled(entries);
        Self {
            cache: Arc::new(cache),
        }
    }

    /// How many scripts this engine's isolates took from precompiled
    /// bytecode instead of compiling them.
    pub fn precompiled_used(&self) -> usize {
        self.cache.precompiled_used()
    }
}

impl Default for QuickJsEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for QuickJsEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuickJsEngine").finish_non_exhaustive()
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
        Ok(Box::new(QuickJsIsolate::new(
            cfg,
            host,
            self.cache.clone(),
        )?))
    }
}
#[cfg(test)]
mod tests;
