//! One V8 isolate with one context, through the shim.

use std::ffi::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{
    resolve_specifier, EngineError, HeapStats, Host, HostValue, Interrupt, InterruptHandle,
    Isolate, IsolateConfig, JsError, OpId, Syntax, WorkerCode,
};

use crate::codec;
use crate::ffi;

/// A V8 isolate. Not `Send`: it stays on the thread that created it.
pub struct V8Isolate {
    raw: *mut ffi::MotuIsolate,
    /// The host, boxed so the shim can hold a thin pointer to it.
    host: *mut Rc<dyn Host>,
}

impl V8Isolate {
    /// Creates the isolate, installs the ops and evaluates the prelude.
    pub fn new(cfg: &IsolateConfig, host: Rc<dyn Host>) -> Result<Self, EngineError> {
        let host = Box::into_raw(Box::new(host));
        let mut status = ffi::MOTU_OK;
        let mut error = ffi::MotuBuf::empty();
        // SAFETY: every pointer is valid for the call; `host` outlives the
        // isolate (freed in `drop` after it).
        let raw = unsafe {
            ffi::motu_v8_isolate_new(
                cfg.memory_limit.unwrap_or(0),
                cfg.allow_code_generation as c_int,
                host.cast(),
                op_callback,
                cfg.prelude.as_ptr().cast(),
                cfg.prelude.len(),
                cfg.prelude_name.as_ptr().cast(),
                cfg.prelude_name.len(),
                &mut status,
                &mut error,
            )
        };
        if raw.is_null() {
            // SAFETY: the shim did not keep the pointer.
            drop(unsafe { Box::from_raw(host) });
            return Err(outcome(status, error)
                .err()
                .unwrap_or_else(|| EngineError::Setup("V8 could not create an isolate".into())));
        }
        Ok(Self { raw, host })
    }
}

/// Turns a shim status (and its error buffer) into a result.
fn outcome(status: c_int, error: ffi::MotuBuf) -> Result<(), EngineError> {
    let bytes = error.take();
    match status {
        ffi::MOTU_OK => Ok(()),
        ffi::MOTU_TERMINATED => Err(EngineError::Terminated),
        ffi::MOTU_OUT_OF_MEMORY => Err(EngineError::OutOfMemory),
        ffi::MOTU_EXCEPTION => Err(EngineError::Exception(codec::decode_error(&bytes))),
        other => Err(EngineError::Setup(format!(
            "the V8 shim answered with status {other}"
        ))),
    }
}

/// Writes bytes into a shim-owned output buffer.
fn write_out(out: *mut c_void, bytes: &[u8]) {
    // SAFETY: `out` is the shim's buffer for this call.
    unsafe { ffi::motu_v8_out_write(out, bytes.as_ptr(), bytes.len()) };
}

/// Reads a (pointer, length) pair from the shim.
///
/// # Safety
/// `ptr` must point at `len` readable bytes, or `len` must be 0.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        // SAFETY: promised by the caller.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Reads a UTF-8 (pointer, length) pair from the shim.
///
/// # Safety
/// As for [`bytes`].
unsafe fn text<'a>(ptr: *const c_char, len: usize) -> &'a str {
    // SAFETY: promised by the caller.
    std::str::from_utf8(unsafe { bytes(ptr.cast(), len) }).unwrap_or("")
}

unsafe extern "C" fn op_callback(
    host: *mut c_void,
    op: *const c_char,
    op_len: usize,
    args: *const u8,
    args_len: usize,
    is_async: c_int,
    op_id: u64,
    out: *mut c_void,
) -> c_int {
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `host` is the boxed host given at creation; the strings
        // and bytes are valid for this call.
        let host = unsafe { &*(host as *const Rc<dyn Host>) };
        let name = unsafe { text(op, op_len) };
        let args = match codec::decode(unsafe { bytes(args, args_len) }) {
            Some(HostValue::List(args)) => args,
            _ => return Err(JsError::type_error("the op's arguments could not be read")),
        };
        if is_async != 0 {
            host.start(name, args, op_id).map(|()| HostValue::Undefined)
        } else {
            host.call(name, args)
        }
    }));
    match result {
        Ok(Ok(v)) => {
            write_out(out, &codec::to_bytes(&v));
            0
        }
        Ok(Err(e)) => {
            write_out(out, &codec::error_to_bytes(&e));
            1
        }
        Err(_) => {
            write_out(
                out,
                &codec::error_to_bytes(&JsError::new("Error", "an op failed inside the host")),
            );
            1
        }
    }
}

unsafe extern "C" fn resolve_callback(
    _loader: *mut c_void,
    referrer: *const c_char,
    referrer_len: usize,
    specifier: *const c_char,
    specifier_len: usize,
    out: *mut c_void,
) -> c_int {
    // SAFETY: the strings are valid for this call.
    let (referrer, specifier) =
        unsafe { (text(referrer, referrer_len), text(specifier, specifier_len)) };
    match resolve_specifier(referrer, specifier) {
        Ok(name) => {
            write_out(out, name.as_bytes());
            0
        }
        Err(message) => {
            write_out(out, message.as_bytes());
            1
        }
    }
}

unsafe extern "C" fn source_callback(
    loader: *mut c_void,
    name: *const c_char,
    name_len: usize,
    out: *mut c_void,
) -> c_int {
    let found = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `loader` is the `WorkerCode` of the running load_worker.
        let code = unsafe { &*(loader as *const WorkerCode) };
        code.modules.source(unsafe { text(name, name_len) })
    }));
    match found {
        Ok(Some(source)) => {
            write_out(out, source.as_bytes());
            0
        }
        _ => 1,
    }
}

/// The shim's interrupt handle, usable from any thread.
struct V8Interrupt(*mut ffi::MotuInterrupt);

// SAFETY: the shim guards the handle's state with a mutex, and V8's
// `TerminateExecution` may be called from any thread.
unsafe impl Send for V8Interrupt {}
// SAFETY: as above.
unsafe impl Sync for V8Interrupt {}

impl Interrupt for V8Interrupt {
    fn terminate(&self) {
        // SAFETY: the handle is valid until dropped.
        unsafe { ffi::motu_v8_interrupt_terminate(self.0) }
    }
}

impl Drop for V8Interrupt {
    fn drop(&mut self) {
        // SAFETY: freed once.
        unsafe { ffi::motu_v8_interrupt_free(self.0) }
    }
}

impl Isolate for V8Isolate {
    fn engine_name(&self) -> &'static str {
        "v8"
    }

    fn interrupt_handle(&self) -> InterruptHandle {
        // SAFETY: `raw` is a live isolate.
        InterruptHandle::new(Arc::new(V8Interrupt(unsafe {
            ffi::motu_v8_interrupt_new(self.raw)
        })))
    }

    fn heap_stats(&self) -> HeapStats {
        let (mut used, mut total, mut limit) = (0, 0, 0);
        // SAFETY: `raw` is a live isolate.
        unsafe { ffi::motu_v8_heap_stats(self.raw, &mut used, &mut total, &mut limit) };
        HeapStats { used, total, limit }
    }

    fn load_worker(&mut self, code: &WorkerCode) -> Result<(), EngineError> {
        let source = code.entry_source()?;
        let mut error = ffi::MotuBuf::empty();
        // SAFETY: the strings and `code` are valid for the call.
        let status = unsafe {
            match code.syntax {
                Syntax::Script => ffi::motu_v8_eval_script(
                    self.raw,
                    code.entry.as_ptr().cast(),
                    code.entry.len(),
                    source.as_ptr().cast(),
                    source.len(),
                    &mut error,
                ),
                Syntax::Module => ffi::motu_v8_load_module(
                    self.raw,
                    code.entry.as_ptr().cast(),
                    code.entry.len(),
                    source.as_ptr().cast(),
                    source.len(),
                    (code as *const WorkerCode).cast_mut().cast(),
                    resolve_callback,
                    source_callback,
                    &mut error,
                ),
            }
        };
        outcome(status, error)
    }

    fn dispatch(&mut self, id: u64, event: HostValue) -> Result<(), EngineError> {
        let event = codec::to_bytes(&event);
        let mut error = ffi::MotuBuf::empty();
        // SAFETY: the bytes are valid for the call.
        let status =
            unsafe { ffi::motu_v8_dispatch(self.raw, id, event.as_ptr(), event.len(), &mut error) };
        outcome(status, error)
    }

    fn settle(&mut self, id: OpId, result: Result<HostValue, JsError>) -> Result<(), EngineError> {
        let (ok, bytes) = match &result {
            Ok(v) => (1, codec::to_bytes(v)),
            Err(e) => (0, codec::error_to_bytes(e)),
        };
        let mut error = ffi::MotuBuf::empty();
        // SAFETY: the bytes are valid for the call.
        let status = unsafe {
            ffi::motu_v8_settle(self.raw, id, ok, bytes.as_ptr(), bytes.len(), &mut error)
        };
        outcome(status, error)
    }

    fn run_microtasks(&mut self) -> Result<(), EngineError> {
        let mut error = ffi::MotuBuf::empty();
        // SAFETY: `raw` is a live isolate.
        let status = unsafe { ffi::motu_v8_run_microtasks(self.raw, &mut error) };
        outcome(status, error)
    }
}

impl Drop for V8Isolate {
    fn drop(&mut self) {
        // SAFETY: the isolate is freed once, then the host it pointed at.
        unsafe {
            ffi::motu_v8_isolate_free(self.raw);
            drop(Box::from_raw(self.host));
        }
    }
}
