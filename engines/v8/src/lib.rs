//! The V8 backend of motu: a small C++ shim over the V8 that Debian ships
//! inside `libnode` (V8 10.2, the V8 of Node 18).
//!
//! # Concepts
//!
//! - **Why a shim over libnode**: the `v8` crate downloads a prebuilt
//!   library at build time, which motu's build machines cannot reach, and
//!   building V8 from source is out of reach too. Debian's `libnode`
//!   packages carry a shared V8 with its headers. `shim/` wraps the
//!   long-stable part of V8's public API (no `node::` call) behind a C
//!   interface (`shim/motu_v8.h`, declared here in `ffi`); `build.rs`
//!   compiles it with the `cc` crate into a shared object linked against
//!   `libnode.so`. Run `scripts/fetch-libnode.sh` once to unpack libnode
//!   into the workspace.
//! - **Loaded on first use**: the shim, and with it libnode, is loaded with
//!   `dlopen` when the first V8 isolate is made (the `shim` module), so a
//!   process serving only QuickJS Workers starts without libnode's load
//!   time and runs where libnode is missing. When the shim cannot be
//!   loaded, making a V8 isolate fails with `EngineError::Setup` saying
//!   "V8 engine unavailable: …" and why. `$MOTU_V8_SHIM` names another
//!   copy of the shim to load.
//! - [`V8Engine`] implements `motu_engine::Engine`. It starts V8 (its
//!   platform, once per process) with the first isolate, and holds a code
//!   cache shared by its isolates.
//! - **Isolates**: each [`V8Isolate`] is one V8 isolate (its own heap and
//!   garbage collector) with one context. The prelude runs in it first
//!   with the op functions installed; its hooks are kept (see
//!   `motu_engine::contract`).
//! - **Threading**: an isolate is `!Send` and is used only on the thread
//!   that made it; every call enters its isolate and context, so several
//!   isolates share a thread, and isolates on different threads run at
//!   once. Only [`InterruptHandle`](motu_engine::InterruptHandle)s cross
//!   threads. The tasks V8 posts for an isolate's thread (garbage
//!   collection steps, FinalizationRegistry cleanups) run at the end of
//!   `Isolate::run_microtasks`. WebAssembly compiles on the isolate's
//!   thread, so `WebAssembly.compile` settles within the turn. On threads
//!   with less stack than V8's usual megabyte, the isolate's stack limit is
//!   moved so that deep recursion is a `RangeError`, not a crash.
//! - **Values** cross the C boundary as bytes in a small tagged encoding
//!   (the `codec` module here, `shim/codec.cc` there): one encoding per
//!   side, no JSON, no per-kind FFI. Typed arrays, `DataView`s and
//!   `ArrayBuffer`s become bytes, arrays lists, other objects maps of
//!   their own enumerable string keys; nesting is cut off at 64 levels. A
//!   getter or proxy trap that throws while a value is read makes the op
//!   throw that exception. Errors cross as `{ name, message, stack }`.
//! - **Ops**: `__motu_op` and `__motu_op_async` are V8 functions that call
//!   back into Rust with the isolate's `Host`. An async op's promise
//!   resolver is kept under its op id until `Isolate::settle`. A host error
//!   is thrown as a `TypeError`, `RangeError`, `SyntaxError` or
//!   `ReferenceError`, or as an `Error` whose `name` is set. The hot path
//!   (ops, dispatch, settle) reuses its encoding buffers.
//! - **Async context**: `__motu_async_context_get`/`_set` (see
//!   `motu_engine::contract`) read and write V8's continuation-preserved
//!   embedder data, which V8 itself carries along promise jobs.
//! - **Code is compiled once per process**: the first isolate to compile
//!   the prelude, a script or a module stores V8's code cache for it in the
//!   engine (made after the code ran, so it covers the functions that ran);
//!   later isolates deserialize it instead of parsing. The first isolate to
//!   serve an event replaces that entry once with one that also covers the
//!   functions serving the event compiled.
//! - **Modules** resolve with the Worker's `ModuleSource::resolve` and load from
//!   the Worker's `ModuleSource`, compiled once per isolate and kept by
//!   resolved name, for static imports and dynamic `import()` alike (whose
//!   loading runs as a promise job). Top-level `await` must settle within
//!   the promise jobs run while loading.
//! - **Limits**: the heap limit comes from V8's resource constraints; a
//!   near-heap-limit callback terminates the running JavaScript and raises
//!   the limit (by the heap's size plus 1.25 GiB, V8's largest single
//!   allocation and some) so that V8 unwinds instead of aborting the
//!   process. ArrayBuffer contents go through a counting allocator capped
//!   at the same number of bytes, so an isolate may hold up to twice its
//!   limit. Either way the call fails with `EngineError::OutOfMemory` and
//!   the isolate refuses every later call. One value handed to the host
//!   may encode to at most twice the limit (1 GiB without one); a larger
//!   one throws a `RangeError`.
//!   `InterruptHandle::terminate` calls V8's `TerminateExecution` from any
//!   thread; the interrupted call cancels the termination once it has
//!   returned, so the isolate stays usable.
//! - **Code generation from strings** (`eval`, `new Function`) is refused
//!   with V8's own switch unless `IsolateConfig::allow_code_generation`.
//! - **Failures**: C++ exceptions never cross into Rust or V8, Rust panics
//!   (in a `Host` or a `ModuleSource`) never cross into C++: they become
//!   JavaScript errors. A fatal error V8 reports through its API (a failed
//!   API check) leaves the isolate unusable, and every later call fails
//!   with `EngineError::Setup`. V8 10.2 still aborts the process in a few
//!   places no embedder can reach: when the process itself runs out of
//!   memory, and on its "invalid size" check for an array of more than
//!   2^27 elements (e.g. `'x'.repeat(2 ** 28).split('')`).
//! - **Stacks** name the Worker's files (the resource names scripts and
//!   modules are compiled with) and the prelude as
//!   `IsolateConfig::prelude_name`; a syntax error's stack gets the place
//!   V8 reports for it.

mod cache;
mod codec;
mod embedder;
mod ffi;
mod interrupt;
mod isolate;
mod outcome;
mod shim;

pub use isolate::V8Isolate;

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{Engine, EngineError, Host, Isolate, IsolateConfig};

use crate::cache::CodeCache;

/// The V8 engine.
///
/// Clones share one code cache.
#[derive(Clone)]
pub struct V8Engine {
    cache: Arc<CodeCache>,
}

impl V8Engine {
    /// The default size of the code cache: 64 MiB of names, sources and
    /// V8 code cache.
    pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

    /// The engine, with a code cache of [`Self::DEFAULT_CACHE_BYTES`]. V8
    /// itself starts with the first isolate.
    pub fn new() -> Self {
        Self::with_cache_bytes(Self::DEFAULT_CACHE_BYTES)
    }

    /// The engine with a code cache of at most `max_bytes` (least recently
    /// used entries go first). A larger cache spares more isolates the
    /// parsing of their prelude and Worker; `0` turns caching off, so that
    /// every isolate compiles its code (and none produces code cache).
    pub fn with_cache_bytes(max_bytes: usize) -> Self {
        Self {
            cache: Arc::new(CodeCache::new(max_bytes)),
        }
    }
}

impl Default for V8Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for V8Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V8Engine").finish_non_exhaustive()
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
        shim::load()?;
        Ok(Box::new(V8Isolate::new(cfg, host, self.cache.clone())?))
    }
}
