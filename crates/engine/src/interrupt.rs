//! Stopping JavaScript from another thread.

use std::fmt;
use std::sync::Arc;

/// An engine's way of stopping the JavaScript that runs in one isolate.
pub trait Interrupt: Send + Sync {
    /// Stops the JavaScript running now, or, if none runs, the next that
    /// starts. The interrupted call returns [`EngineError::Terminated`]
    /// (crate::EngineError::Terminated) and the isolate stays usable.
    fn terminate(&self);

    /// Whether a termination was asked for and the JavaScript it stops has
    /// not yet unwound. Host code that can run long on the isolate's thread
    /// (a synchronous op on a large input) asks this as it goes and gives
    /// up early, so that the isolate stops promptly.
    fn is_terminating(&self) -> bool;
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

    /// Whether the isolate is being terminated (see
    /// [`Interrupt::is_terminating`]).
    pub fn is_terminating(&self) -> bool {
        self.0.is_terminating()
    }
}

impl fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InterruptHandle")
    }
}
