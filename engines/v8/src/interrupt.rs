//! Terminating an isolate's JavaScript from any thread.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use motu_engine::Interrupt;

use crate::ffi;

/// The isolate an interrupt handle stops, shared (through an `Arc`) by the
/// isolate and its handles. The isolate detaches it before it is freed;
/// handles that outlive it then do nothing.
pub(crate) struct InterruptState {
    isolate: Mutex<Option<RawIsolate>>,
    /// Raised by `terminate`, taken down once a call into the isolate
    /// reports the termination: V8 keeps a termination asked for while no
    /// JavaScript runs for the next JavaScript that starts, and so does this.
    requested: AtomicBool,
}

/// The shim's isolate pointer, only ever used under the mutex.
struct RawIsolate(NonNull<ffi::MotuIsolate>);

// SAFETY: the pointer is used only for `motu_v8_terminate`, which V8 allows
// from any thread, and only while the mutex shows the isolate alive.
unsafe impl Send for RawIsolate {}

impl InterruptState {
    /// The state of a live isolate.
    pub(crate) fn new(isolate: NonNull<ffi::MotuIsolate>) -> Self {
        Self {
            isolate: Mutex::new(Some(RawIsolate(isolate))),
            requested: AtomicBool::new(false),
        }
    }

    /// A call into the isolate ended terminated: the termination was
    /// delivered.
    pub(crate) fn delivered(&self) {
        self.requested.store(false, Ordering::SeqCst);
    }

    /// Called before the isolate is freed: later terminations do nothing.
    pub(crate) fn detach(&self) {
        *self.isolate.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

impl Interrupt for InterruptState {
    fn terminate(&self) {
        self.requested.store(true, Ordering::SeqCst);
        let isolate = self.isolate.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(raw) = &*isolate {
            // SAFETY: the isolate is alive while the mutex holds it, and
            // termination may be requested from any thread.
            unsafe { ffi::motu_v8_terminate(raw.0.as_ptr()) }
        }
    }

    fn is_terminating(&self) -> bool {
        self.requested.load(Ordering::Relaxed)
    }
}
