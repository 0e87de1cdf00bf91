//! The Web APIs of motu, written once for every engine.
//!
//! # Concepts
//!
//! - The **prelude** ([`prelude`]) is JavaScript: `Headers`, `Request`,
//!   `Response`, `URL`, `URLSearchParams`, `TextEncoder`, `TextDecoder`,
//!   `console`, timers and the event dispatch that calls a Worker's handlers.
//!   It is evaluated in every isolate before the Worker's own code, and follows
//!   the shape fixed in `motu_engine::contract`.
//! - **Ops** are what the prelude cannot do in JavaScript, implemented in Rust.
//!   This crate implements the pure ones ([`call`]): URL parsing with the `url`
//!   crate, form encoding, UTF-8, and Web Crypto with RustCrypto crates
//!   (`crypto`). The ops that touch the outside world or the
//!   event lifecycle (`respond`, `fail`, `init`, `console`, `sleep`) belong to
//!   the runtime that owns the isolate; the prelude documents each op it calls
//!   next to the call.

mod crypto;
mod encoding;
mod form;
mod ops;
mod prelude;
mod url_ops;

pub use ops::call;
pub use prelude::{prelude, PRELUDE_NAME};
