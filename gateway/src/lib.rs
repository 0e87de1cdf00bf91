//! The gateway of motu: where HTTP comes in.
//!
//! # Concepts
//!
//! - The **server** ([`serve`], [`serve_until`]) is a hyper 1.x server for
//!   HTTP/1.1 and HTTP/2 cleartext (prior knowledge) on one port, with a
//!   header-read timeout, size limits on request heads and bodies (413), a
//!   body timeout and minimum rate (408) and keep-alive limits
//!   (`motu_config::HttpSettings`). Client errors (a missing or invalid
//!   `Host`, a method no Worker can receive, a malformed body) are answered
//!   by the gateway and never counted as a Worker's. It hands each request
//!   to the gateway actor, its body whole when small and streamed
//!   otherwise. [`serve_until`] stops accepting when told to and returns the
//!   [`Draining`] connections, which finish what they have in progress.
//!   Connections run on the runtime's executor threads; a request whose
//!   Worker has a live isolate to take it goes straight there (the
//!   runtime's `FastPath`), others through the gateway actor.
//! - **WebSockets**: an HTTP/1.1 upgrade request reaches its Worker as an
//!   ordinary request; a `101` answer with a `webSocket` takes the
//!   connection over (RFC 6455), and the socket outlives the request.
//!   Shutdown closes open sockets with 1001 once the grace period is over.
//! - The **gateway actor** ([`GatewayActor`]) owns the [`RouteTable`]: it
//!   matches the request's host and path to a Worker and dispatches it
//!   through the runtime's registry.
//! - **Routes** follow Cloudflare's pattern semantics (see
//!   `motu_config::RoutePattern`); a Worker with `workers_dev` is also
//!   reachable at `NAME.localhost`. No match: 404.
//! - **Static assets** ([`assets`]): a Worker's folder of files, answered
//!   in Rust on the connection's thread before any isolate is touched when
//!   a file matches and the Worker does not run first; an assets-only
//!   Worker never reaches JavaScript.
//! - **Failures become HTTP answers** ([`error_response`]): an exception in
//!   the Worker is a 500 whose body never shows the stack (that goes to the
//!   log, with the Worker's name); an isolate stopped by its limits is a 503.
//! - The **scheduler** ([`start_scheduler`]) fires each Worker's cron
//!   triggers on time (UTC), never two runs of one trigger at once unless
//!   the Worker allows overlap; in a cluster ([`start_cluster_scheduler`]),
//!   each tick fires on the one node that takes its [`TickLock`]. For development, `GET /__scheduled?cron=…`
//!   on a Worker's host fires its `scheduled` handler by hand, when the
//!   server enables it; likewise `POST /cdn-cgi/handler/email?from=…&to=…`
//!   its `email` handler, with the body as the message (see `email`).
//! - The **admin listener** ([`serve_admin`]), off unless configured, serves
//!   `/metrics` (Prometheus), `/healthz` and `/readyz` ([`Readiness`]).
//! - Every request gets a **request id** (the client's `x-request-id` when
//!   usable, else a fresh one), returned in `x-request-id` and carried on the
//!   log lines of the Worker that serves it.

mod actor;
mod admin;
pub mod assets;
mod checks;
mod client_body;
mod connection;
mod email;
mod error;
mod first_chunk;
mod front;
mod inbound;
mod responses;
mod routes;
mod scheduler;
mod server;
mod websocket;

pub use actor::{GatewayActor, Route, SetAssets, SetRoutes, SCHEDULED_PATH};
pub use admin::{serve_admin, Readiness};
pub use email::EMAIL_PATHS;
pub use error::GatewayError;
pub use responses::error_response;
pub use routes::RouteTable;
pub use scheduler::{start_cluster_scheduler, start_scheduler, CronJob, TickLock, TickLockFuture};
pub use server::{serve, serve_until, Draining};

/// Request and response body bytes that passed through the gateway's
/// listeners since the process started: what an embedder watches to return
/// freed memory to the system after large bodies (the `motu` binary trims
/// its C heap once a burst of them is over).
pub fn body_bytes() -> u64 {
    client_body::BODY_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}
