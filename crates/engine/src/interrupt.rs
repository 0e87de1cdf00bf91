//! Stopping JavaScript from another thread.

use std::fmt;
use std::sync::Arc;

/// An engine's way of stopping the JavaScript that runs in one isolate.
pub trait Interrupt: Send + Sync {
    /// Stops the JavaScript running now, or, if none runs, the next that
    /// starts. The interrupted call returns [`EngineError::Terminated`]
    /// (crate::EngineError::Terminated) and the isolate stays usable.
    fn terminate(&self);
}

/// A cloneable, `Send + Sync` handle that terminates an isolate's JavaScript.
///
/// It stays valid after its isolate is dropped: terminating then does nothing.
#[derive(Clone)]
pub struct InterruptHandle(Arc<dyn Interrupt>);

impl InterruptHandle {
    /// Wraps an engine's interrupt.
    pub fn new(inner: Arc<dyn Interrupt>) -> Self {
        Self(inner)
    }

    /// Terminates the running (or next) JavaScript execution of the isolate.
    pub fn terminate(&self) {
        self.0.terminate()
    }
}

impl fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InterruptHandle")
    }
}
