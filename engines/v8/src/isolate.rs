//! One V8 isolate with one context, through the shim.

use std::ffi::c_int;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{
    contract, EngineError, HeapStats, Host, HostValue, InterruptHandle, Isolate, IsolateConfig,
    JsError, OpId, Syntax, WorkerCode,
};

use crate::cache::{CodeCache, CodeKind};
use crate::codec;
use crate::embedder::{Embedder, CALLBACKS};
use crate::ffi::{self, MotuBuf, MotuBytes};
use crate::interrupt::InterruptState;
use crate::outcome::outcome;

/// Encoding buffers larger than this are not kept for the next call.
const KEPT_SCRATCH_BYTES: usize = 64 << 10;

/// A V8 isolate with one context, the prelude evaluated in it.
///
/// Not `Send`: it stays on the thread that created it. Made by
/// [`V8Engine`](crate::V8Engine).
pub struct V8Isolate {
    raw: NonNull<ffi::MotuIsolate>,
    /// What the shim's callbacks use; owned here (from `Box::into_raw`)
    /// and freed after the isolate.
    embedder: NonNull<Embedder>,
    interrupt: Arc<InterruptState>,
    /// The encoding of events and op results, reused from call to call.
    scratch: Vec<u8>,
    /// Whether an event was dispatched (code cache is refreshed after the
    /// first).
    dispatched: bool,
}

impl V8Isolate {
    /// Creates the isolate, installs the ops and evaluates the prelude.
    pub(crate) fn new(
        cfg: &IsolateConfig,
        host: Rc<dyn Host>,
        cache: Arc<CodeCache>,
    ) -> Result<Self, EngineError> {
        let embedder = NonNull::from(Box::leak(Box::new(Embedder::new(
            host,
            cache,
            cfg.prelude_chunks.clone(),
        ))));
        // SAFETY: just made, and only shared references are taken.
        let state = unsafe { embedder.as_ref() };
        let options = ffi::MotuIsolateOptions {
            heap_limit: cfg.memory_limit.unwrap_or(0),
            allow_code_generation: c_int::from(cfg.allow_code_generation),
            op_sync: MotuBytes::of(contract::OP_SYNC.as_bytes()),
            op_async: MotuBytes::of(contract::OP_ASYNC.as_bytes()),
            op_load: MotuBytes::of(contract::OP_LOAD.as_bytes()),
            hook_dispatch: MotuBytes::of(contract::HOOK_DISPATCH.as_bytes()),
            hook_register_module: MotuBytes::of(contract::HOOK_REGISTER_MODULE.as_bytes()),
            hook_start: MotuBytes::of(contract::HOOK_START.as_bytes()),
            async_context_get: MotuBytes::of(contract::ASYNC_CONTEXT_GET.as_bytes()),
            async_context_set: MotuBytes::of(contract::ASYNC_CONTEXT_SET.as_bytes()),
        };
        // Every isolate's context comes from a startup snapshot of the
        // prelude (see shim/snapshot.cc), so the one made for snapshots.
        let source = cfg.snapshot_prelude.as_ref().unwrap_or(&cfg.prelude);
        let prelude = state.lend(CodeKind::Script, &cfg.prelude_name, source.clone());
        let mut status = ffi::MOTU_OK;
        let mut error = MotuBuf::empty();
        // SAFETY: every pointer is valid for the call; `CALLBACKS` is static
        // and the embedder outlives the isolate (freed in `drop` after it).
        let raw = unsafe {
            ffi::motu_v8_isolate_new(
                &options,
                &CALLBACKS,
                embedder.as_ptr().cast(),
                &prelude,
                &mut status,
                &mut error,
            )
        };
        state.end_call();
        let Some(raw) = NonNull::new(raw) else {
            // SAFETY: the shim kept no pointer to the embedder.
            drop(unsafe { Box::from_raw(embedder.as_ptr()) });
            return Err(outcome(status, error)
                .err()
                .unwrap_or_else(|| EngineError::Setup("V8 could not create an isolate".into())));
        };
        error.take();
        Ok(Self {
            raw,
            embedder,
            interrupt: Arc::new(InterruptState::new(raw)),
            scratch: Vec::new(),
            dispatched: false,
        })
    }

    fn embedder(&self) -> &Embedder {
        // SAFETY: alive until `drop`; only shared references are made.
        unsafe { self.embedder.as_ref() }
    }

    /// Ends a call into the shim: frees what was lent to it for the call
    /// and turns its status into a result.
    fn finish(&mut self, status: c_int, error: MotuBuf) -> Result<(), EngineError> {
        self.embedder().end_call();
        if self.scratch.capacity() > KEPT_SCRATCH_BYTES {
            self.scratch = Vec::new();
        }
        let result = outcome(status, error);
        if matches!(result, Err(EngineError::Terminated)) {
            self.interrupt.delivered();
        }
        result
    }

    /// Replaces the engine's cold code cache for this isolate's code, now
    /// that it served an event. Failing to is no failure of the call.
    fn refresh_caches(&mut self) {
        let raw = self.raw.as_ptr();
        let embedder = self.embedder();
        let tokens = embedder.refresh_tokens();
        embedder.refresh(|| {
            let mut error = MotuBuf::empty();
            // SAFETY: `raw` is a live isolate of this thread, the tokens
            // live for the call.
            unsafe {
                ffi::motu_v8_refresh_caches(raw, tokens.as_ptr(), tokens.len(), &mut error);
            }
            error.take();
        });
    }

    /// `value` encoded into the scratch buffer, its large byte strings lent
    /// by address.
    ///
    /// # Safety
    /// `value` must stay alive and unchanged until the shim has read the
    /// bytes returned.
    unsafe fn encode(&mut self, value: &HostValue) -> MotuBytes {
        self.scratch.clear();
        // SAFETY: promised by the caller.
        unsafe { codec::encode_lending(value, &mut self.scratch) };
        MotuBytes::of(&self.scratch)
    }
}

impl Isolate for V8Isolate {
    fn engine_name(&self) -> &'static str {
        "v8"
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle::new(self.interrupt.clone())
    }

    fn heap_stats(&self) -> HeapStats {
        let (mut used, mut total, mut limit, mut footprint, mut young) = (0, 0, 0, 0, 0);
        // SAFETY: `raw` is a live isolate of this thread.
        unsafe {
            ffi::motu_v8_heap_stats(
                self.raw.as_ptr(),
                &mut used,
                &mut total,
                &mut limit,
                &mut footprint,
                &mut young,
            )
        };
        HeapStats {
            used,
            total,
            limit,
            footprint,
            young,
        }
    }

    fn collect_garbage(&mut self) {
        // SAFETY: `raw` is a live isolate of this thread, not running.
        unsafe { ffi::motu_v8_collect_garbage(self.raw.as_ptr()) };
    }

    fn load_worker(&mut self, code: &WorkerCode) -> Result<(), EngineError> {
        let source = code.entry_source()?;
        let embedder = self.embedder();
        embedder.set_modules(code.modules.clone());
        let (kind, run): (_, unsafe extern "C" fn(_, _, _) -> _) = match code.syntax {
            Syntax::Script => (CodeKind::Script, ffi::motu_v8_run_script),
            Syntax::Module => (CodeKind::Module, ffi::motu_v8_run_module),
        };
        let entry = embedder.lend(kind, &code.entry, source);
        let mut error = MotuBuf::empty();
        // SAFETY: `entry` points at code the embedder keeps until `finish`.
        let status = unsafe { run(self.raw.as_ptr(), &entry, &mut error) };
        self.finish(status, error)
    }

    fn dispatch(&mut self, id: u64, event: HostValue) -> Result<(), EngineError> {
        // SAFETY: `event` lives until the call below returns.
        let encoded = unsafe { self.encode(&event) };
        let mut error = MotuBuf::empty();
        // SAFETY: the bytes live in `scratch` and `event` for the call.
        let status = unsafe { ffi::motu_v8_dispatch(self.raw.as_ptr(), id, encoded, &mut error) };
        drop(event);
        self.dispatched = true;
        self.finish(status, error)
    }

    fn dispatch_turn(&mut self, id: u64, event: HostValue) -> Result<(), EngineError> {
        // SAFETY: `event` lives until the call below returns.
        let encoded = unsafe { self.encode(&event) };
        let mut error = MotuBuf::empty();
        // SAFETY: the bytes live in `scratch` and `event` for the call.
        let status =
            unsafe { ffi::motu_v8_dispatch_turn(self.raw.as_ptr(), id, encoded, &mut error) };
        drop(event);
        self.dispatched = true;
        self.finish(status, error)?;
        if !self.embedder().served() {
            self.refresh_caches();
        }
        Ok(())
    }

    fn settle(
        &mut self,
        id: OpId,
        mut result: Result<HostValue, JsError>,
    ) -> Result<(), EngineError> {
        let mut error = MotuBuf::empty();
        if let Ok(HostValue::Bytes(bytes)) = &mut result {
            if bytes.len() >= codec::ADOPT_MIN {
                self.scratch.clear();
                let capacity = bytes.capacity();
                if let Some(flag) = codec::encode_adoptable(bytes, capacity, &mut self.scratch) {
                    let value = MotuBytes {
                        data: self.scratch.as_mut_ptr(),
                        len: self.scratch.len(),
                    };
                    // SAFETY: the encoding lives in `scratch`, which the
                    // shim may write its flag into, and the bytes in
                    // `result`, for the call.
                    let status =
                        unsafe { ffi::motu_v8_resolve(self.raw.as_ptr(), id, value, &mut error) };
                    if self.scratch[flag] == 1 {
                        // The buffer owns them now, and frees them.
                        std::mem::forget(std::mem::take(bytes));
                    }
                    return self.finish(status, error);
                }
            }
        }
        let status = match &result {
            Ok(value) => {
                // SAFETY: `result` lives until the call below returns.
                let value = unsafe { self.encode(value) };
                // SAFETY: the bytes live in `scratch` and `result` for the
                // call.
                unsafe { ffi::motu_v8_resolve(self.raw.as_ptr(), id, value, &mut error) }
            }
            // SAFETY: the strings live in `result` for the call.
            Err(e) => unsafe {
                ffi::motu_v8_reject(
                    self.raw.as_ptr(),
                    id,
                    MotuBytes::of(e.name.as_bytes()),
                    MotuBytes::of(e.message.as_bytes()),
                    &mut error,
                )
            },
        };
        self.finish(status, error)
    }

    fn run_microtasks(&mut self) -> Result<(), EngineError> {
        let mut error = MotuBuf::empty();
        // SAFETY: `raw` is a live isolate of this thread.
        let status = unsafe { ffi::motu_v8_run_microtasks(self.raw.as_ptr(), &mut error) };
        self.finish(status, error)?;
        if self.dispatched && !self.embedder().served() {
            self.refresh_caches();
        }
        Ok(())
    }
}

impl Drop for V8Isolate {
    fn drop(&mut self) {
        // Handles that outlive the isolate must not reach it.
        self.interrupt.detach();
        // SAFETY: the isolate is freed once, then the embedder it pointed
        // at, which came from `Box::leak`.
        unsafe {
            ffi::motu_v8_isolate_free(self.raw.as_ptr());
            drop(Box::from_raw(self.embedder.as_ptr()));
        }
    }
}

impl V8Isolate {
    /// Whether the context came from a startup snapshot of the prelude
    /// rather than from evaluating the prelude in it.
    fn made_from_snapshot(&self) -> bool {
        // SAFETY: a live isolate.
        unsafe { ffi::motu_v8_isolate_from_snapshot(self.raw.as_ptr()) != 0 }
    }
}

impl std::fmt::Debug for V8Isolate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V8Isolate")
            .field("from_snapshot", &self.made_from_snapshot())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::sync::Arc;

    use motu_engine::{Host, HostValue, JsError, OpId};

    use super::V8Isolate;
    use crate::cache::CodeCache;

    /// Answers the web prelude's start-up op, nothing else.
    struct StartHost;

    impl Host for StartHost {
        fn call(&self, op: &str, _args: Vec<HostValue>) -> Result<HostValue, JsError> {
            match op {
                "init" => Ok(HostValue::Map(vec![
                    ("syntax".into(), "script".into()),
                    ("env".into(), HostValue::Map(vec![])),
                ])),
                _ => Err(JsError::type_error(op.to_owned())),
            }
        }

        fn start(&self, _op: &str, _args: Vec<HostValue>, _id: OpId) -> Result<(), JsError> {
            Err(JsError::type_error("no async ops"))
        }
    }

    #[test]
    fn the_web_prelude_with_its_preloaded_groups_is_snapshotted() {
        // A prelude whose evaluation called the host (a group loaded
        // through the engine, an op) would be evaluated in every isolate
        // instead, silently costing each cold start the whole prelude.
        crate::shim::load().expect("the V8 shim");
        let cfg = motu_webapi::isolate_config();
        let cache = Arc::new(CodeCache::new(1 << 20));
        for _ in 0..2 {
            let isolate =
                V8Isolate::new(&cfg, Rc::new(StartHost), cache.clone()).expect("an isolate");
            assert!(isolate.made_from_snapshot(), "{isolate:?}");
        }
    }
}
