//! What an engine and the prelude agree on.
//!
//! Before it evaluates the prelude, an engine installs two global functions:
//!
//! - [`OP_SYNC`]`(name, ...args)` calls [`Host::call`](crate::Host::call) and
//!   returns its value (or throws its error);
//! - [`OP_ASYNC`]`(name, ...args)` calls [`Host::start`](crate::Host::start)
//!   with a fresh op id and returns a promise that
//!   [`Isolate::settle`](crate::Isolate::settle) settles.
//!
//! The prelude is a classic script. It takes both functions and deletes them
//! from the global object, so Worker code never sees them. Its completion value
//! is an object with two hooks that the engine keeps:
//!
//! - `dispatch(id, event)`, called by [`Isolate::dispatch`](crate::Isolate::dispatch);
//! - `registerModule(namespace)`, called once after a module Worker loaded.

/// Global name of the synchronous op function.
pub const OP_SYNC: &str = "__motu_op";
/// Global name of the asynchronous op function.
pub const OP_ASYNC: &str = "__motu_op_async";
/// Name of the prelude's dispatch hook.
pub const HOOK_DISPATCH: &str = "dispatch";
/// Name of the prelude's module registration hook.
pub const HOOK_REGISTER_MODULE: &str = "registerModule";
