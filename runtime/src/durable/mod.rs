//! Durable Objects: actors with storage, hosted in isolates of their
//! Worker.
//!
//! # The pieces
//!
//! - **Namespaces and ids** ([`DurableBinding`], `id.rs`): a Worker's
//!   `env.NAME` is the namespace of a class some Worker of the server
//!   exports (`class_name`, `script_name`). A namespace has a key derived
//!   from the exporting Worker and the class's original name (a
//!   `renamed_classes` migration keeps the key, so a renamed class keeps
//!   its objects); ids are derived from the key (`id.rs`), so
//!   `idFromName` gives the same id across restarts and nodes.
//! - **Addressing** ([`ObjectTarget`]): `stub.fetch(request)` is a
//!   subrequest like a service binding's, carrying the object it is for
//!   as a request extension. The registry routes it (`directory.rs`).
//! - **One live object per id** (`directory.rs`): the registry keeps, per
//!   object, the isolate that hosts it (any isolate of the exporting
//!   Worker; one isolate hosts many objects), chosen when the object
//!   first gets an event. Every event for it goes there, through that
//!   isolate actor's mailbox, one at a time. When the isolate goes away
//!   (evicted, reloaded), events for its objects wait until it is gone,
//!   then the object is made again in another isolate: never two at once.
//! - **The direct way** (`direct.rs`): once an object's isolate has
//!   started, the directory publishes it, and a stub's later events go
//!   from the calling isolate straight to that isolate's mailbox, without
//!   the registry actor in between; an event the isolate refuses (it is
//!   going away) or that finds it gone takes the directory's way.
//! - **Calls from an isolate going away** (`draining.rs`): an event still
//!   running in a condemned isolate may call an object that isolate hosts;
//!   the isolate takes that call, rather than each waiting for the other.
//! - **In the isolate** (`objects.rs`): the host keeps a slot per live
//!   object (its id, its storage, when it last had an event); the
//!   prelude's `cloudflare/durable.js` makes the instance on its first
//!   event (`new Class(ctx, env)`), and delivers each event to it. The
//!   object's events have the Worker's limits, as requests do.
//! - **Gates**: storage (`motu_storage::durable`) is synchronous, on the
//!   isolate's thread, so while an object awaits its own storage no other
//!   event can come in between (an event is a turn of its own): the
//!   *input gate* holds by construction. `blockConcurrencyWhile` holds
//!   the object's later events in its mailbox until its callback settles.
//!   The *output gate*: a response of the object waits until the writes
//!   made before it are durable (an fsync of the object's write-ahead log
//!   as host work, off the executor), and so does what it sends out
//!   during its events — fetches, calls of stubs and service bindings,
//!   WebSockets it opens (`cloudflare/durable.js`, `outgoingGate`).
//! - **Alarms** (`alarms.rs`): kept in the object's database and in an
//!   index the registry reads (a cache of the databases, rebuilt from them
//!   at start-up) when the earliest alarm is due, woken by `setAlarm`
//!   (`alarm_clock.rs`); due alarms are events like a fetch, with retries
//!   and backoff when the handler fails.
//! - **Idle objects leave memory** after the namespace's idle timeout
//!   (`durable_objects.idle_timeout_s`, 10 s by default); their storage
//!   stays, and the next event makes them again.
//! - **Hibernatable WebSockets** (`websockets.rs`): sockets an object
//!   accepted with `ctx.acceptWebSocket` are held outside it, so it may
//!   leave memory while they stay open; a message wakes it.
//! - **Metrics** (`metrics.rs`), and the admin endpoint's list of live
//!   objects ([`listing`]).
//! - **RPC**: a stub's methods (`stub.increment(2)`) are calls of
//!   `crate::rpc` to the object, events of it like a `fetch`, routed
//!   as a fetch is (`direct.rs`, `directory.rs`); their answers wait for
//!   the output gate as responses do, and so do the messages it sends on
//!   its hibernatable WebSockets (and their close).
//! - **Reset**: `ctx.abort(reason)` drops the instance and fails its
//!   events still going on (`cloudflare/durable.js`); its slot is forgotten
//!   here, so the next event makes it again, storage intact.

pub(crate) mod alarm_clock;
pub(crate) mod alarms;
pub(crate) mod direct;
pub(crate) mod directory;
pub(crate) mod draining;
pub(crate) mod id;
pub mod listing;
pub(crate) mod metrics;
mod migrations;
pub(crate) mod objects;
pub(crate) mod websockets;

pub use alarms::{reconcile_alarms, AlarmEvent};
pub use id::namespace_key;
pub use migrations::apply_migrations;

/// A Durable Object namespace binding of a Worker: `env.<binding>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurableBinding {
    /// The name in `env`; empty for a class of the Worker's own that no
    /// binding names, whose namespace is only in `ctx.exports`.
    pub binding: String,
    /// The Worker that exports the class.
    pub worker: String,
    /// The class's name (as exported now).
    pub class: String,
    /// The namespace's key (see [`namespace_key`]): the class's objects'
    /// ids and storage derive from it.
    pub namespace: String,
}

/// The object a request is for (a request extension set by `stub.fetch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectTarget {
    /// The Worker that exports the class.
    pub worker: String,
    /// The class's name.
    pub class: String,
    /// The namespace's key.
    pub namespace: String,
    /// The object's id (64 hex digits).
    pub id: String,
    /// The name it was made from, for `idFromName` ids.
    pub name: Option<String>,
    /// How many times the event was sent again because the isolate chosen
    /// was going away.
    pub(crate) attempt: u32,
}

impl ObjectTarget {
    /// The directory's key: namespace and id.
    pub(crate) fn key(&self) -> (String, String) {
        (self.namespace.clone(), self.id.clone())
    }
}
