//! Errors crossing the engine boundary.

use std::fmt;

/// A JavaScript error, as seen from Rust: its `name`, `message` and `stack`.
///
/// The same shape travels the other way: a host op that fails returns a
/// `JsError`, and the engine throws it as an error of that name (`TypeError`
/// and `RangeError` become the built-in constructors; any other name becomes an
/// `Error` whose `name` property is set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsError {
    /// The error's `name` (`TypeError`, `SyntaxError`, …), or `Error` when the
    /// thrown value was not an error object.
    pub name: String,
    /// The error's `message`, or the thrown value converted to a string.
    pub message: String,
    /// The engine's stack trace, when it has one.
    pub stack: Option<String>,
}

impl JsError {
    /// An error with a name and a message and no stack.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            message: message.into(),
            stack: None,
        }
    }

    /// A `TypeError`, the usual answer to an op called with wrong arguments.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new("TypeError", message)
    }

    /// A `RangeError`.
    pub fn range_error(message: impl Into<String>) -> Self {
        Self::new("RangeError", message)
    }
}

impl fmt::Display for JsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}: {}", self.name, self.message)
        }
    }
}

impl std::error::Error for JsError {}

/// Everything that can go wrong inside an engine.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// JavaScript threw (or a promise the engine waited on rejected).
    #[error("{0}")]
    Exception(JsError),
    /// Execution was stopped through an [`InterruptHandle`](crate::InterruptHandle).
    #[error("JavaScript execution was terminated")]
    Terminated,
    /// The isolate reached its heap limit; it must not be used again.
    #[error("the isolate ran out of memory")]
    OutOfMemory,
    /// The engine could not create or set up an isolate.
    #[error("engine setup failed: {0}")]
    Setup(String),
}

impl From<JsError> for EngineError {
    fn from(e: JsError) -> Self {
        EngineError::Exception(e)
    }
}
