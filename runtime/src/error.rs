//! The runtime's errors.

use motu_engine::{EngineError, JsError};

/// Everything that can go wrong between an event and its response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    /// No Worker of that name is registered.
    #[error("no Worker named '{0}' is registered")]
    UnknownWorker(String),
    /// The engine named is not built into this binary.
    #[error("engine '{name}' is not built in (available: {available})")]
    UnknownEngine {
        /// The engine asked for.
        name: String,
        /// The engines this build has, comma-separated.
        available: String,
    },
    /// The Worker's code could not be read.
    #[error("cannot read Worker '{worker}': {message}")]
    Source {
        /// The Worker's name.
        worker: String,
        /// What went wrong.
        message: String,
    },
    /// The Worker failed to start: its isolate could not be created or its
    /// top-level code threw.
    #[error("Worker '{worker}' failed to start: {error}{}", at(error))]
    StartFailed {
        /// The Worker's name.
        worker: String,
        /// Why.
        error: EngineError,
    },
    /// The Worker's handler threw or its promise rejected.
    #[error("Worker '{worker}' threw: {error}")]
    Exception {
        /// The Worker's name.
        worker: String,
        /// The exception.
        error: JsError,
        /// Whether the handler had called `ctx.passThroughOnException()`:
        /// the request should then go to the Worker's origin instead.
        pass_through: bool,
    },
    /// The engine stopped the event (terminated, out of memory).
    #[error("Worker '{worker}' was stopped: {error}")]
    Engine {
        /// The Worker's name.
        worker: String,
        /// The engine's error.
        error: EngineError,
    },
    /// An event used up its CPU time and was terminated.
    #[error("Worker '{worker}' exceeded its CPU time limit of {limit_ms} ms")]
    CpuLimit {
        /// The Worker's name.
        worker: String,
        /// The limit.
        limit_ms: u64,
    },
    /// The Worker's top-level code used up its start-up CPU time.
    #[error("Worker '{worker}' failed to start: its top-level code exceeded the start-up CPU time limit of {limit_ms} ms")]
    StartupCpuLimit {
        /// The Worker's name.
        worker: String,
        /// The limit.
        limit_ms: u64,
    },
    /// The isolate reached its heap limit.
    #[error("Worker '{worker}' exceeded its memory limit of {limit_mb} MiB")]
    MemoryLimit {
        /// The Worker's name.
        worker: String,
        /// The limit.
        limit_mb: u64,
    },
    /// The event's response could never be produced: nothing was left that
    /// could settle it (no timer, no I/O).
    #[error("Worker '{0}' had hung: its response could never be produced")]
    Hang(String),
    /// The event was in flight in an isolate that another event's failure
    /// got evicted.
    #[error("Worker '{worker}' was evicted ({reason}) while this event was in flight")]
    Evicted {
        /// The Worker's name.
        worker: String,
        /// Why the isolate was evicted.
        reason: crate::EvictionReason,
    },
    /// The isolate asked for no longer takes events (it is being evicted).
    #[error("the isolate of Worker '{0}' no longer takes events")]
    Unavailable(String),
    /// The Worker's response could not be turned into an HTTP response.
    #[error("Worker '{worker}' gave an invalid response: {message}")]
    BadResponse {
        /// The Worker's name.
        worker: String,
        /// What was wrong.
        message: String,
    },
    /// The isolate serving the event went away before answering.
    #[error("the isolate serving Worker '{0}' stopped before it answered")]
    Lost(String),
    /// The runtime could not start.
    #[error("the runtime could not start: {0}")]
    Startup(String),
    /// A store of the Worker's storage bindings could not be opened (the
    /// message names the binding and the file).
    #[error("Worker '{worker}': {message}")]
    Storage {
        /// The Worker's name.
        worker: String,
        /// What went wrong.
        message: String,
    },
}

/// ` at FILE:LINE:COLUMN` for an exception that knows where it happened.
fn at(error: &EngineError) -> String {
    match error {
        EngineError::Exception(e) => e.location().map(|l| format!(" at {l}")).unwrap_or_default(),
        _ => String::new(),
    }
}

impl RuntimeError {
    /// Where in the Worker's files the error happened (`file:line:column`,
    /// the file relative to the Worker's folder), for an exception that
    /// knows it.
    pub fn location(&self) -> Option<&str> {
        match self {
            RuntimeError::StartFailed {
                error: EngineError::Exception(e),
                ..
            }
            | RuntimeError::Engine {
                error: EngineError::Exception(e),
                ..
            } => e.location(),
            RuntimeError::Exception { error, .. } => error.location(),
            _ => None,
        }
    }
}
