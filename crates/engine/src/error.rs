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

    /// Where in the Worker's code the error happened, as `file:line:column`:
    /// the first frame of the stack that is in a file of the Worker, not in
    /// the runtime's own code (files named `motu:…`) or native code.
    pub fn location(&self) -> Option<&str> {
        self.stack.as_deref()?.lines().find_map(frame_location)
    }
}

/// The `file:line:column` of one stack frame line (`    at f (file:1:2)` or
/// `    at file:1:2`), unless it is in the runtime's own code.
fn frame_location(line: &str) -> Option<&str> {
    let frame = line.trim().strip_prefix("at ")?;
    let place = match frame.strip_suffix(')') {
        Some(rest) => &rest[rest.rfind('(')? + 1..],
        None => frame,
    };
    let mut parts = place.rsplitn(3, ':');
    let (column, line, file) = (parts.next()?, parts.next()?, parts.next()?);
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(column) && numeric(line) && !file.is_empty() && !file.starts_with("motu:"))
        .then_some(place)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_stack(stack: &str) -> JsError {
        JsError {
            stack: Some(stack.into()),
            ..JsError::new("Error", "x")
        }
    }

    #[test]
    fn location_is_the_first_frame_in_the_workers_files() {
        let e = with_stack(
            "Error: x\n    at callFetch (motu:prelude:10:2)\n    at f (lib/a.js:3:7)\n    at worker.js:1:1",
        );
        assert_eq!(e.location(), Some("lib/a.js:3:7"));
        let e = with_stack("    at <anonymous> (worker.js:12:30)\n    at call (native)");
        assert_eq!(e.location(), Some("worker.js:12:30"));
        assert_eq!(
            with_stack("SyntaxError: x\n    at w.js:2:9").location(),
            Some("w.js:2:9")
        );
        assert_eq!(with_stack("    at call (native)").location(), None);
        assert_eq!(with_stack("    at motu:prelude:1:2").location(), None);
        assert_eq!(JsError::new("Error", "x").location(), None);
    }
}
