//! One QuickJS runtime and context: an isolate.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use motu_engine::{
    contract, EngineError, HeapStats, Host, HostValue, Interrupt, InterruptHandle, Isolate,
    IsolateConfig, JsError, OpId, Syntax, WorkerCode,
};
use rquickjs::context::EvalOptions;
use rquickjs::promise::PromiseState;
use rquickjs::{Context, Ctx, Function, Module, Object, Persistent, Runtime};

use crate::allocator::LimitedAllocator;
use crate::convert::to_js;
use crate::errors::{caught, make};
use crate::lockdown::LOCKDOWN;
use crate::modules::{SharedSource, WorkerLoader, WorkerResolver};
use crate::ops::{install, OpState};

/// The flag an [`InterruptHandle`] sets and the interrupt handler reads.
struct Flag(AtomicBool);

impl Interrupt for Flag {
    fn terminate(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The prelude's hooks.
struct Hooks {
    dispatch: Persistent<Function<'static>>,
    register_module: Persistent<Function<'static>>,
}

/// A QuickJS isolate. Field order matters: everything holding JavaScript
/// values is dropped before the context and the runtime.
pub struct QuickJsIsolate {
    hooks: Option<Hooks>,
    ops: Rc<OpState>,
    modules: SharedSource,
    interrupt: Arc<Flag>,
    /// Set by the interrupt handler when it stopped execution.
    interrupted: Rc<Cell<bool>>,
    /// Bytes allocated, as the allocator counts them.
    used: Rc<Cell<usize>>,
    /// The memory limit (0: none).
    limit: usize,
    /// Set by the allocator when it refused an allocation.
    exhausted: Rc<Cell<bool>>,
    context: Context,
    runtime: Runtime,
}

impl QuickJsIsolate {
    /// Creates the runtime and context, installs the ops and evaluates the
    /// prelude.
    pub fn new(cfg: &IsolateConfig, host: Rc<dyn Host>) -> Result<Self, EngineError> {
        let setup = |e: rquickjs::Error| EngineError::Setup(e.to_string());
        let used = Rc::new(Cell::new(0));
        let exhausted = Rc::new(Cell::new(false));
        let allocator = LimitedAllocator::new(
            cfg.memory_limit.unwrap_or(usize::MAX),
            used.clone(),
            exhausted.clone(),
        );
        let runtime = Runtime::new_with_alloc(allocator).map_err(setup)?;
        let interrupt = Arc::new(Flag(AtomicBool::new(false)));
        let interrupted = Rc::new(Cell::new(false));
        {
            let flag = interrupt.clone();
            let hit = interrupted.clone();
            let exhausted = exhausted.clone();
            runtime.set_interrupt_handler(Some(Box::new(move || {
                if exhausted.get() {
                    return true;
                }
                let stop = flag.0.swap(false, Ordering::SeqCst);
                if stop {
                    hit.set(true);
                }
                stop
            })));
        }
        let modules: SharedSource = Rc::new(RefCell::new(None));
        runtime.set_loader(WorkerResolver, WorkerLoader(modules.clone()));
        let context = Context::full(&runtime).map_err(setup)?;
        let mut isolate = Self {
            hooks: None,
            ops: Rc::new(OpState::new(host)),
            modules,
            interrupt,
            interrupted,
            used,
            limit: cfg.memory_limit.unwrap_or(0),
            exhausted,
            context,
            runtime,
        };
        let ops = isolate.ops.clone();
        let prelude = cfg.prelude.clone();
        let prelude_name = cfg.prelude_name.to_string();
        let allow_eval = cfg.allow_code_generation;
        let hooks = isolate.enter(|ctx| {
            install(&ctx, &ops)?;
            let mut opts = EvalOptions::default();
            opts.strict = false;
            opts.filename = Some(prelude_name);
            let hooks: Object = ctx.eval_with_options(prelude.as_bytes(), opts)?;
            let dispatch: Function = hooks.get(contract::HOOK_DISPATCH)?;
            let register: Function = hooks.get(contract::HOOK_REGISTER_MODULE)?;
            if !allow_eval {
                ctx.eval::<(), _>(LOCKDOWN)?;
            }
            Ok(Hooks {
                dispatch: Persistent::save(&ctx, dispatch),
                register_module: Persistent::save(&ctx, register),
            })
        })?;
        isolate.hooks = Some(hooks);
        Ok(isolate)
    }

    /// Runs `f` in the context and turns a thrown exception into an
    /// `EngineError`.
    fn enter<R>(
        &self,
        f: impl for<'js> FnOnce(Ctx<'js>) -> rquickjs::Result<R>,
    ) -> Result<R, EngineError> {
        self.context.with(|ctx| match f(ctx.clone()) {
            Ok(_) if self.exhausted.get() => Err(EngineError::OutOfMemory),
            Ok(v) => Ok(v),
            Err(e) => {
                let error = caught(&ctx, e);
                Err(self.classify(error))
            }
        })
    }

    /// Tells an interrupt and an out-of-memory error from a plain exception.
    fn classify(&self, error: JsError) -> EngineError {
        if self.exhausted.get() {
            EngineError::OutOfMemory
        } else if self.interrupted.replace(false) {
            EngineError::Terminated
        } else if error.name == "InternalError" && error.message == "out of memory" {
            EngineError::OutOfMemory
        } else {
            EngineError::Exception(error)
        }
    }

    fn hook(
        &self,
        which: fn(&Hooks) -> &Persistent<Function<'static>>,
    ) -> Persistent<Function<'static>> {
        which(self.hooks.as_ref().expect("hooks are set at creation")).clone()
    }
}

impl Isolate for QuickJsIsolate {
    fn engine_name(&self) -> &'static str {
        "quickjs"
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle::new(self.interrupt.clone())
    }

    fn heap_stats(&self) -> HeapStats {
        let usage = self.runtime.memory_usage();
        HeapStats {
            used: self.used.get(),
            total: (usage.malloc_size.max(0) as usize).max(self.used.get()),
            limit: self.limit,
        }
    }

    fn load_worker(&mut self, code: &WorkerCode) -> Result<(), EngineError> {
        let source = code.entry_source()?;
        *self.modules.borrow_mut() = Some(code.modules.clone());
        match code.syntax {
            Syntax::Script => {
                let entry = code.entry.clone();
                self.enter(|ctx| {
                    let mut opts = EvalOptions::default();
                    opts.strict = false;
                    opts.filename = Some(entry);
                    ctx.eval_with_options::<(), _>(source.as_bytes(), opts)
                })
            }
            Syntax::Module => {
                let entry = code.entry.clone();
                let (namespace, promise) = self.enter(|ctx| {
                    let (module, promise) =
                        Module::declare(ctx.clone(), entry, source.as_bytes())?.eval()?;
                    let namespace = module.namespace()?;
                    Ok((
                        Persistent::save(&ctx, namespace),
                        Persistent::save(&ctx, promise),
                    ))
                })?;
                self.run_microtasks()?;
                let register = self.hook(|h| &h.register_module);
                self.enter(|ctx| {
                    let promise = promise.restore(&ctx)?;
                    match promise.state() {
                        PromiseState::Resolved => {}
                        PromiseState::Rejected => {
                            promise.result::<rquickjs::Value>().transpose()?;
                        }
                        PromiseState::Pending => {
                            return Err(crate::errors::throw(
                                &ctx,
                                &JsError::new(
                                    "Error",
                                    "the Worker's top-level await never finished",
                                ),
                            ))
                        }
                    }
                    register
                        .restore(&ctx)?
                        .call::<_, ()>((namespace.restore(&ctx)?,))
                })
            }
        }
    }

    fn dispatch(&mut self, id: u64, event: HostValue) -> Result<(), EngineError> {
        let dispatch = self.hook(|h| &h.dispatch);
        self.enter(|ctx| {
            let event = to_js(&ctx, event)?;
            dispatch.restore(&ctx)?.call::<_, ()>((id as f64, event))
        })
    }

    fn settle(&mut self, id: OpId, result: Result<HostValue, JsError>) -> Result<(), EngineError> {
        let Some((resolve, reject)) = self.ops.pending.borrow_mut().remove(&id) else {
            return Ok(());
        };
        self.enter(|ctx| match result {
            Ok(v) => resolve.restore(&ctx)?.call::<_, ()>((to_js(&ctx, v)?,)),
            Err(e) => reject.restore(&ctx)?.call::<_, ()>((make(&ctx, &e)?,)),
        })
    }

    fn run_microtasks(&mut self) -> Result<(), EngineError> {
        loop {
            match self.runtime.execute_pending_job() {
                Ok(true) => continue,
                Ok(false) if self.exhausted.get() => return Err(EngineError::OutOfMemory),
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
