//! The engine and isolate traits.

use std::rc::Rc;
use std::sync::Arc;

use crate::{EngineError, Host, HostValue, InterruptHandle, JsError, OpId, WorkerCode};

/// How to create an isolate.
#[derive(Debug, Clone)]
pub struct IsolateConfig {
    /// Heap limit in bytes. `None`: the engine's own default. Reaching it
    /// fails the running call with [`EngineError::OutOfMemory`] and never
    /// aborts the process.
    pub memory_limit: Option<usize>,
    /// Whether `eval` and `new Function` may compile code from strings.
    /// Workers disallow it by default, as Cloudflare's runtime does.
    pub allow_code_generation: bool,
    /// The prelude script (see [`crate::contract`]).
    pub prelude: Arc<str>,
    /// The file name the prelude's stack frames show.
    pub prelude_name: Arc<str>,
    /// Parts of the prelude evaluated on demand: the prelude (or a chunk)
    /// evaluates chunk `i` by calling [`contract::OP_LOAD`](crate::contract::OP_LOAD)`(i)`.
    /// Each is compiled once per process, like the prelude.
    pub prelude_chunks: Arc<[PreludeChunk]>,
    /// The prelude an engine that evaluates it once for many isolates (V8
    /// makes every isolate's context from a startup snapshot of it)
    /// evaluates instead of `prelude`: the same hooks and behaviour, with
    /// more of the chunks evaluated in it, since there each isolate gets
    /// them without evaluating them. `None`: `prelude`. An engine that
    /// evaluates the prelude in every isolate ignores it.
    pub snapshot_prelude: Option<Arc<str>>,
}

/// A part of the prelude that is evaluated only when the prelude asks for it
/// (see [`crate::contract::OP_LOAD`]).
#[derive(Debug, Clone)]
pub struct PreludeChunk {
    /// The file name its stack frames show.
    pub name: Arc<str>,
    /// A classic script; its completion value is what loading it returns.
    pub source: Arc<str>,
}

/// Heap figures of one isolate, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes in use by live and not yet collected objects.
    pub used: usize,
    /// Bytes the engine has reserved for the heap.
    pub total: usize,
    /// The heap limit in force (0 when the engine has none).
    pub limit: usize,
    /// Bytes of memory the isolate holds: its heap as the process sees it
    /// (pages in use, whether or not their objects are still live), what
    /// the engine allocates beside the heap for this isolate, and the
    /// contents of its `ArrayBuffer`s. A server-wide memory budget counts
    /// this.
    pub footprint: usize,
    /// Bytes the young generation (where a generational engine puts new
    /// objects) spans now; it grows with allocation up to a bound, and a
    /// collection of it copies what survives in one pause. 0 for an engine
    /// without one.
    pub young: usize,
}

/// A JavaScript engine: process-wide, creates isolates.
pub trait Engine: Send + Sync + 'static {
    /// The engine's name as used in configuration (`quickjs`, `v8`).
    fn name(&self) -> &'static str;

    /// Creates an isolate on the calling thread, evaluates the prelude in it
    /// and keeps the prelude's hooks (see [`crate::contract`]).
    fn new_isolate(
        &self,
        cfg: &IsolateConfig,
        host: Rc<dyn Host>,
    ) -> Result<Box<dyn Isolate>, EngineError>;
}

/// One JavaScript heap and context: one live instance of a Worker.
///
/// Not `Send`: it stays on the thread that created it. Every method runs
/// JavaScript synchronously and returns when it stops running; promise jobs
/// queued meanwhile run only in [`Isolate::run_microtasks`].
pub trait Isolate {
    /// The engine's name.
    fn engine_name(&self) -> &'static str;

    /// A handle that terminates this isolate's JavaScript from any thread.
    fn interrupt_handle(&self) -> InterruptHandle;

    /// Current heap figures.
    fn heap_stats(&self) -> HeapStats;

    /// Collects the garbage the engine can find now. Engines put off
    /// collecting while a Worker runs, to spend its time on its requests;
    /// the runtime calls this once an isolate has gone quiet, so that an
    /// idle isolate does not keep what it put off.
    fn collect_garbage(&mut self);

    /// Evaluates a Worker: the entry script, or the entry module with the
    /// modules it imports (then the module namespace goes to the prelude's
    /// `registerModule` hook). A module whose top-level `await` is still
    /// pending after microtasks ran is an error.
    fn load_worker(&mut self, code: &WorkerCode) -> Result<(), EngineError>;

    /// Calls the prelude's `dispatch(id, event)` hook.
    fn dispatch(&mut self, id: u64, event: HostValue) -> Result<(), EngineError>;

    /// A whole turn of an event: [`dispatch`](Self::dispatch), then, when
    /// it returned `Ok`, [`run_microtasks`](Self::run_microtasks). An
    /// engine may do both in one entry into its isolate.
    fn dispatch_turn(&mut self, id: u64, event: HostValue) -> Result<(), EngineError> {
        self.dispatch(id, event)?;
        self.run_microtasks()
    }

    /// A whole turn of a WebSocket message: the prelude's `dispatch` hook
    /// gets the event `[socket, data, timeStamp]` (`data`: a string, or
    /// bytes), then the microtasks run, as [`dispatch_turn`](Self::dispatch_turn)
    /// does. An engine may hand the three to the hook as arguments of their
    /// own instead (`dispatch(id, socket, data, timeStamp)`), which spares
    /// it making a list for each message; the prelude takes both forms.
    fn dispatch_message_turn(
        &mut self,
        id: u64,
        socket: u32,
        data: HostValue,
        time_stamp: f64,
    ) -> Result<(), EngineError> {
        let event = HostValue::List(vec![
            HostValue::Number(socket.into()),
            data,
            HostValue::Number(time_stamp),
        ]);
        self.dispatch_turn(id, event)
    }

    /// Settles the promise of an asynchronous op: resolves it with the value
    /// or rejects it with an error of the given name. Unknown ids are ignored.
    fn settle(&mut self, id: OpId, result: Result<HostValue, JsError>) -> Result<(), EngineError>;

    /// Runs promise jobs until none is left.
    fn run_microtasks(&mut self) -> Result<(), EngineError>;
}
