//! One QuickJS runtime and context: an isolate.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{
    contract, EngineError, HeapStats, Host, HostValue, InterruptHandle, Isolate, IsolateConfig,
    JsError, OpId, WorkerCode,
};
use rquickjs::{qjs, Context, Ctx, Function, Object, Persistent, Runtime};

use crate::cache::BytecodeCache;
use crate::chunks::{install_load, Chunks};
use crate::compile::{Kind, Options};
use crate::context::new_context;
use crate::convert::to_js;
use crate::errors::{caught, is_out_of_memory, make};
use crate::exec::run_script;
use crate::interrupt::{handler, TerminateFlag};
use crate::memory::{LimitedAllocator, MemoryState};
use crate::modules::{SharedSource, WorkerLoader, WorkerResolver};
use crate::ops::{install, OpState};

extern "C" {
    /// The vendored QuickJS's (see `vendor/rquickjs-sys/MOTU.md`): frees the
    /// objects whose frees were put off since an interrupt.
    fn JS_FlushDeferredFrees(rt: *mut qjs::JSRuntime);
    /// Whether objects wait for `JS_FlushDeferredFrees`.
    #[cfg(test)]
    fn JS_HasDeferredFrees(rt: *mut qjs::JSRuntime) -> bool;
}

/// How the prelude compiles: without its source text and debug
/// information, which only cost time and memory in every isolate (its
/// functions then print, and show in stack traces, like built-ins).
pub(crate) const PRELUDE: Options = Options {
    kind: Kind::Script,
    strip_source: true,
    strip_debug: true,
};

/// How much an isolate may allocate while it is created before QuickJS
/// collects garbage: creating one makes almost none (the prelude's objects
/// all stay), so the collections QuickJS would run on the way (its first
/// mark is 256 KiB, in the middle of evaluating the prelude) would only
/// cost time.
const CREATION_GC_MARK: usize = 4 << 20;

/// An error from evaluating the prelude, its stack naming the prelude: its
/// frames, compiled without debug information, do not.
fn from_prelude(error: EngineError, name: &str) -> EngineError {
    match error {
        EngineError::Exception(mut e) => {
            let mut stack = e.stack.take().unwrap_or_default();
            if !stack.contains(name) {
                if !stack.is_empty() && !stack.ends_with('\n') {
                    stack.push('\n');
                }
                stack.push_str(&format!("    at {name}\n"));
            }
            e.stack = Some(stack);
            EngineError::Exception(e)
        }
        other => other,
    }
}

/// The prelude's hooks (see `motu_engine::contract`).
struct Hooks {
    dispatch: Persistent<Function<'static>>,
    register_module: Persistent<Function<'static>>,
}

/// A QuickJS isolate: one runtime with one context.
///
/// Field order matters: everything holding JavaScript values is dropped
/// before the context and the runtime.
pub struct QuickJsIsolate {
    hooks: Option<Hooks>,
    ops: Rc<OpState>,
    pub(crate) modules: SharedSource,
    cache: Arc<BytecodeCache>,
    memory: Rc<MemoryState>,
    memory_limit: Option<usize>,
    terminate: Arc<TerminateFlag>,
    /// Set by the interrupt handler when it stopped execution on request.
    interrupted: Rc<Cell<bool>>,
    context: Context,
    runtime: Runtime,
}

impl QuickJsIsolate {
    /// Creates the runtime and context, installs the ops, evaluates the
    /// prelude (its bytecode from `cache`) and keeps its hooks.
    pub(crate) fn new(
        cfg: &IsolateConfig,
        host: Rc<dyn Host>,
        cache: Arc<BytecodeCache>,
    ) -> Result<Self, EngineError> {
        let setup = |e: rquickjs::Error| EngineError::Setup(e.to_string());
        let terminate = Arc::new(TerminateFlag::default());
        let memory = MemoryState::new(cfg.memory_limit, terminate.clone());
        let runtime =
            Runtime::new_with_alloc(LimitedAllocator::new(memory.clone())).map_err(setup)?;
        let limit = cfg.memory_limit.unwrap_or(usize::MAX);
        runtime.set_gc_threshold(CREATION_GC_MARK.min(limit / 2));
        let context = new_context(&runtime, cfg.allow_code_generation).map_err(|e| {
            if memory.exhausted() {
                EngineError::OutOfMemory
            } else {
                setup(e)
            }
        })?;
        // SAFETY: the allocator serves this runtime, which outlives every
        // allocation it makes.
        unsafe { memory.attach(context.get_runtime_ptr()) };
        context.with(|ctx| {
            ctx.store_userdata(crate::convert::Adopter(memory.clone()))
                .map(drop)
                .map_err(|e| EngineError::Setup(e.to_string()))
        })?;
        let runtime_ptr = context.get_runtime_ptr();
        let interrupted = Rc::new(Cell::new(false));
        runtime.set_interrupt_handler(Some(handler(
            terminate.clone(),
            interrupted.clone(),
            memory.clone(),
        )));
        let modules: SharedSource = Rc::new(RefCell::new(None));
        runtime.set_loader(
            WorkerResolver {
                source: modules.clone(),
            },
            WorkerLoader {
                source: modules.clone(),
                cache: cache.clone(),
                memory_limit: cfg.memory_limit,
            },
        );
        let mut isolate = Self {
            hooks: None,
            ops: Rc::new(OpState::new(
                host,
                memory.clone(),
                terminate.clone(),
                interrupted.clone(),
            )),
            modules,
            cache,
            memory,
            memory_limit: cfg.memory_limit,
            terminate,
            interrupted,
            context,
            runtime,
        };
        let prelude = isolate.compile(&cfg.prelude_name, &cfg.prelude, PRELUDE)?;
        let ops = isolate.ops.clone();
        let chunks = Rc::new(Chunks {
            chunks: cfg.prelude_chunks.clone(),
            cache: isolate.cache.clone(),
            memory_limit: cfg.memory_limit,
        });
        let hooks = isolate.enter(|ctx| {
            install(&ctx, &ops)?;
            crate::async_context::install(&ctx)?;
            crate::accessors::install(&ctx)?;
            install_load(&ctx, chunks)?;
            let hooks: Object = run_script(&ctx, &prelude)?.get()?;
            let dispatch: Function = hooks.get(contract::HOOK_DISPATCH)?;
            let register: Function = hooks.get(contract::HOOK_REGISTER_MODULE)?;
            let start: Option<Function> = hooks.get(contract::HOOK_START)?;
            if let Some(start) = start {
                start.call::<_, ()>(())?;
            }
            Ok(Hooks {
                dispatch: Persistent::save(&ctx, dispatch),
                register_module: Persistent::save(&ctx, register),
            })
        });
        let hooks = hooks.map_err(|e| from_prelude(e, &cfg.prelude_name))?;
        isolate.hooks = Some(hooks);
        // From now on the mark is where QuickJS puts it after a collection:
        // half as much again as the heap in use (the allocator lowers it
        // near the limit).
        let used = isolate.memory.used();
        // SAFETY: the runtime is alive; setting its mark allocates nothing.
        unsafe { qjs::JS_SetGCThreshold(runtime_ptr, (used + used / 2) as _) };
        Ok(isolate)
    }

    /// The bytecode of `source`, from the cache or compiled now.
    pub(crate) fn compile(
        &self,
        name: &str,
        source: &Arc<str>,
        options: Options,
    ) -> Result<Arc<[u8]>, EngineError> {
        self.cache.get(name, source, options, self.memory_limit)
    }

    /// Runs `f` in the context and turns what went wrong into an
    /// `EngineError`.
    pub(crate) fn enter<R>(
        &self,
        f: impl for<'js> FnOnce(Ctx<'js>) -> rquickjs::Result<R>,
    ) -> Result<R, EngineError> {
        self.begin();
        self.context.with(|ctx| match f(ctx.clone()) {
            Ok(_) if self.memory.exhausted() => Err(EngineError::OutOfMemory),
            // A termination asked for during the call whose refused
            // allocations the JavaScript caught, before any interrupt check.
            Ok(_) if self.terminate.take() => Err(EngineError::Terminated),
            Ok(v) => Ok(v),
            Err(e) => {
                let error = caught(&ctx, e);
                Err(self.classify(error))
            }
        })
    }

    /// Prepares a call into JavaScript: an interrupt noted earlier (and
    /// swallowed somehow) is not this call's, what an earlier termination
    /// left to free is freed, a collection put off is made (see `memory`),
    /// and QuickJS measures its stack limit from
    /// where the stack is now.
    fn begin(&self) {
        self.interrupted.set(false);
        // What a terminated call left to free goes before anything runs.
        // SAFETY: the runtime is alive and runs no JavaScript now.
        unsafe { JS_FlushDeferredFrees(self.context.get_runtime_ptr()) };
        self.memory.begin_call();
        // SAFETY: the runtime is alive; this only records the stack pointer.
        unsafe { qjs::JS_UpdateStackTop(self.context.get_runtime_ptr()) };
    }

    /// Whether objects a terminated call let go of wait to be freed.
    #[cfg(test)]
    pub(crate) fn has_deferred_frees(&self) -> bool {
        // SAFETY: the runtime is alive; this reads two of its fields.
        unsafe { JS_HasDeferredFrees(self.context.get_runtime_ptr()) }
    }

    /// Tells an interrupt and running out of memory from a plain exception.
    ///
    /// A termination asked for during the call ends it as terminated, even
    /// when what reached here is the out-of-memory error of an allocation
    /// refused meanwhile (the flag is then still up, and is taken down: the
    /// termination was delivered).
    fn classify(&self, error: JsError) -> EngineError {
        let terminated = self.interrupted.replace(false) | self.terminate.take();
        if self.memory.exhausted() {
            EngineError::OutOfMemory
        } else if terminated {
            EngineError::Terminated
        } else if is_out_of_memory(&error) {
            EngineError::OutOfMemory
        } else {
            EngineError::Exception(error)
        }
    }

    /// The prelude's `registerModule` hook.
    pub(crate) fn register_module_hook(&self) -> Persistent<Function<'static>> {
        self.hooks().register_module.clone()
    }

    fn hooks(&self) -> &Hooks {
        self.hooks.as_ref().expect("hooks are set at creation")
    }
}

impl Isolate for QuickJsIsolate {
    fn engine_name(&self) -> &'static str {
        "quickjs"
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle::new(self.terminate.clone())
    }

    /// `used`, `total` and `footprint` are all the bytes QuickJS has
    /// allocated (malloc slack and headers included): QuickJS reserves no
    /// heap beyond them, and everything it holds is allocated through them.
    /// QuickJS has no young generation.
    fn heap_stats(&self) -> HeapStats {
        let used = self.memory.used();
        HeapStats {
            used,
            total: used,
            limit: self.memory_limit.unwrap_or(0),
            footprint: used,
            young: 0,
        }
    }

    fn collect_garbage(&mut self) {
        self.runtime.run_gc();
    }

    fn load_worker(&mut self, code: &WorkerCode) -> Result<(), EngineError> {
        self.load(code)
    }

    fn dispatch(&mut self, id: u64, event: HostValue) -> Result<(), EngineError> {
        self.memory.serving();
        let dispatch = &self.hooks().dispatch;
        self.enter(|ctx| {
            let event = to_js(&ctx, event)?;
            dispatch
                .clone()
                .restore(&ctx)?
                .call::<_, ()>((id as f64, event))
        })
    }

    /// The message's three values as arguments of the hook (no list is
    /// made), and its microtasks in the same entry into the runtime.
    fn dispatch_message_turn(
        &mut self,
        id: u64,
        socket: u32,
        data: HostValue,
        time_stamp: f64,
    ) -> Result<(), EngineError> {
        self.memory.serving();
        let dispatch = &self.hooks().dispatch;
        self.enter(|ctx| {
            let data = to_js(&ctx, data)?;
            dispatch.clone().restore(&ctx)?.call::<_, ()>((
                id as f64,
                f64::from(socket),
                data,
                time_stamp,
            ))
        })?;
        if !self.runtime.is_job_pending() {
            // Nothing queued: what run_microtasks would find out, and its
            // checks after a call are the ones `enter` just made.
            return Ok(());
        }
        self.run_microtasks()
    }

    fn settle(&mut self, id: OpId, result: Result<HostValue, JsError>) -> Result<(), EngineError> {
        let Some(resolvers) = self.ops.pending.borrow_mut().remove(&id) else {
            return Ok(());
        };
        self.enter(|ctx| match result {
            Ok(v) => resolvers
                .resolve
                .restore(&ctx)?
                .call::<_, ()>((to_js(&ctx, v)?,)),
            Err(e) => resolvers
                .reject
                .restore(&ctx)?
                .call::<_, ()>((make(&ctx, &e)?,)),
        })
    }

    fn run_microtasks(&mut self) -> Result<(), EngineError> {
        self.begin();
        loop {
            match self.runtime.execute_pending_job() {
                Ok(true) => {}
                Ok(false) if self.memory.exhausted() => return Err(EngineError::OutOfMemory),
                Ok(false) if self.terminate.take() => return Err(EngineError::Terminated),
                Ok(false) => return Ok(()),
                Err(_) => {
                    let error = self
                        .context
                        .with(|ctx| caught(&ctx, rquickjs::Error::Exception));
                    return Err(self.classify(error));
                }
            }
        }
    }
}

impl Drop for QuickJsIsolate {
    fn drop(&mut self) {
        // Release every JavaScript value held from Rust while the runtime is
        // still alive; the op closures' references go with the context.
        self.hooks = None;
        self.ops.pending.borrow_mut().clear();
        *self.modules.borrow_mut() = None;
    }
}
