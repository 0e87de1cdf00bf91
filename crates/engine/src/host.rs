//! The owner's side of the bridge between JavaScript and Rust.

use crate::{HostValue, JsError};

/// Identifies one pending asynchronous op of an isolate.
pub type OpId = u64;

/// What an isolate calls when JavaScript invokes an op.
///
/// The host is shared (`Rc`) between the isolate and its owner and is only
/// called on the isolate's thread, from inside a JavaScript call. It must not
/// call back into the isolate: it records work and returns.
pub trait Host {
    /// A synchronous op: `__motu_op(name, ...args)` in JavaScript. The result
    /// is returned to JavaScript; an error is thrown there.
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError>;

    /// Starts an asynchronous op: `__motu_op_async(name, ...args)` in
    /// JavaScript, which returns a promise. The host must later settle it with
    /// [`Isolate::settle`](crate::Isolate::settle) and the same `id`. An error
    /// returned here rejects the promise at once.
    fn start(&self, op: &str, args: Vec<HostValue>, id: OpId) -> Result<(), JsError>;
}
