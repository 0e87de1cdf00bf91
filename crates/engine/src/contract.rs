//! What an engine and the prelude agree on.
//!
//! Before it evaluates the prelude, an engine installs two global functions:
//!
//! - [`OP_SYNC`]`(name, ...args)` calls [`Host::call`](crate::Host::call) and
//!   returns its value (or throws its error);
//! - [`OP_ASYNC`]`(name, ...args)` calls [`Host::start`](crate::Host::start)
//!   with a fresh op id and returns a promise that
//!   [`Isolate::settle`](crate::Isolate::settle) settles;
//! - [`OP_LOAD`]`(index)` evaluates chunk `index` of
//!   [`IsolateConfig::prelude_chunks`](crate::IsolateConfig::prelude_chunks)
//!   as a classic script (from code compiled once per process) and returns
//!   its completion value; an index out of range is a `RangeError`. Every
//!   call evaluates the chunk again: the prelude keeps what it returned.
//! - [`ASYNC_CONTEXT_GET`]`()` and [`ASYNC_CONTEXT_SET`]`(value)` read and
//!   write the isolate's *async context*: one value (`undefined` at first)
//!   that the engine carries along the promise jobs. A promise reaction
//!   (`then`, `await`) captures the value current when its handler is
//!   registered, and that value is current while the handler runs; other
//!   jobs capture the value current when they are enqueued. A job that
//!   captured `undefined` may run in whatever value is current (V8 sets the
//!   value only for a defined one), so the prelude uses a defined value for
//!   "no context". The prelude builds `AsyncLocalStorage` on it.
//! - [`DEFINE_GETTER`]`(object, name, getter)`, optional (both engines
//!   have it): gives
//!   `object` an own accessor `name` with `getter`, no setter, enumerable
//!   and not configurable, as `Object.defineProperty` would, without a
//!   descriptor object to read (Web IDL's unforgeable attributes, such as
//!   every event's `isTrusted`).
//!
//! The prelude is a classic script. It takes these functions and deletes them
//! from the global object, so Worker code never sees them. Its completion value
//! is an object with two hooks that the engine keeps, and one it calls once:
//!
//! - `dispatch(id, event)`, called by [`Isolate::dispatch`](crate::Isolate::dispatch)
//!   (or `dispatch(id, socket, data, timeStamp)` for a WebSocket message,
//!   see [`Isolate::dispatch_message_turn`](crate::Isolate::dispatch_message_turn));
//! - `registerModule(namespace)`, called once after a module Worker loaded;
//! - `start()`, optional: called once when the isolate is made, after the
//!   prelude was evaluated and before anything else runs in it.
//!
//! The prelude's evaluation must not call the host (an op or
//! [`OP_LOAD`]): what depends on the Worker belongs in `start`. An engine
//! may then evaluate the prelude once for many isolates — V8 makes each
//! isolate's context from a startup snapshot of the evaluated prelude —
//! and calls `start` in each. A prelude whose evaluation calls the host
//! still works, evaluated anew in every isolate.

/// Global name of the synchronous op function.
pub const OP_SYNC: &str = "__motu_op";
/// Global name of the asynchronous op function.
pub const OP_ASYNC: &str = "__motu_op_async";
/// Global name of the function that evaluates a prelude chunk.
pub const OP_LOAD: &str = "__motu_load";
/// Global name of the optional function that defines an unforgeable getter.
pub const DEFINE_GETTER: &str = "__motu_define_getter";
/// Global name of the function that answers the current async context.
pub const ASYNC_CONTEXT_GET: &str = "__motu_async_context_get";
/// Global name of the function that sets the current async context.
pub const ASYNC_CONTEXT_SET: &str = "__motu_async_context_set";
/// Name of the prelude's dispatch hook.
pub const HOOK_DISPATCH: &str = "dispatch";
/// Name of the prelude's module registration hook.
pub const HOOK_REGISTER_MODULE: &str = "registerModule";
/// Name of the prelude's optional hook called once when an isolate is made.
pub const HOOK_START: &str = "start";
