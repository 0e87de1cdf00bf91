//! Email Workers, as `wrangler dev` runs them locally: nothing is received
//! from or sent to a mail server.
//!
//! # The pieces
//!
//! - **Sending** (`send_email` bindings, `crate::bindings` kind `email`):
//!   `env.EMAIL.send(message)` checks the binding's sender and recipient
//!   restrictions and the raw message (`checks.rs`, over the header
//!   parsing of `mime.rs`), then writes the message to a file of the
//!   outbox (`outbox.rs`) and logs where, instead of sending it.
//! - **Receiving** (`event.rs`): [`DeliverEmail`] through the registry,
//!   then an email event to an isolate, runs the Worker's `email(message,
//!   env, ctx)` handler with a `ForwardableEmailMessage` of the raw
//!   message (the JavaScript is `js/email.js` and
//!   `js/cloudflare/email.js`). The gateway fires it for a `POST
//!   /cdn-cgi/handler/email?from=…&to=…` when `[server] email_endpoint`
//!   is on. The event runs like a queue event: the Worker's CPU and
//!   memory limits and the scheduled events' wall-clock limit.
//! - **The outcome** ([`EmailReport`]): what the handler did, reported by
//!   the prelude when it is over: `setReject(reason)`, and each
//!   `forward()` and `reply()`, which went to the outbox like sent
//!   messages (through a hidden binding of the same kind, after the
//!   documented checks of replies).

pub mod checks;
mod event;
pub mod mime;
pub mod outbox;

pub use event::{DeliverEmail, EmailAction, EmailDelivered, EmailReport};
