//! The gateway of motu: where HTTP comes in.
//!
//! # Concepts
//!
//! - The **server** ([`serve`]) is a hyper 1.x HTTP/1.1 server. It reads each
//!   request whole and hands it to the gateway actor.
//! - The **gateway actor** ([`GatewayActor`]) owns the [`RouteTable`]: it
//!   matches the request's host and path to a Worker and dispatches it
//!   through the runtime's registry.
//! - **Routes** follow Cloudflare's pattern semantics (see
//!   `motu_config::RoutePattern`); every Worker is also reachable at
//!   `NAME.localhost`. No match: 404.
//! - **Failures become HTTP answers** ([`error_response`]): an exception in
//!   the Worker is a 500 whose body never shows the stack (that goes to the
//!   log, with the Worker's name); an isolate stopped by its limits is a 503.

mod actor;
mod error;
mod responses;
mod routes;
mod server;

pub use actor::{GatewayActor, Route};
pub use error::GatewayError;
pub use responses::error_response;
pub use routes::RouteTable;
pub use server::serve;
