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
//!   crate, form encoding, text encodings with `encoding_rs`, compression
//!   with `flate2`, base64, multipart parsing, the isolate's clock, and Web
//!   Crypto with RustCrypto crates (`crypto`). The ops that touch the
//!   outside world or the
//!   event lifecycle (`respond`, `fail`, `init`, `console`, `sleep`) belong to
//!   the runtime that owns the isolate; the prelude documents each op it calls
//!   next to the call.
//! - **Op state** ([`OpState`]) is what the pure ops of one isolate keep
//!   between calls: streaming decoders and compressors by handle, and the
//!   isolate's clock origin. The runtime holds one per isolate.
//! - **Host work** ([`work()`], [`Work`], [`Cancel`]): the ops whose work
//!   may take long (`crypto.subtle`, compression streams, `formData()`)
//!   are made into `Send` work that the runtime may run on another thread,
//!   charged to the event that asked for it, and cancel once that event's
//!   CPU time is used up; long work checks the cancel flag as it goes.

mod base64;
mod compression;
mod crypto;
mod encoding;
mod form;
mod html_rewriter;
pub mod modules;
mod multipart;
pub mod node;
mod node_crypto;
mod node_ops;
pub mod node_unsupported;
mod node_zlib;
mod op_state;
mod ops;
mod prelude;
mod url_ops;
mod urlpattern;
mod work;

pub use base64::forgiving_decode;
pub use op_state::OpState;
pub use ops::call;
pub use prelude::{isolate_config, prelude, prelude_chunks, snapshot_prelude, PRELUDE_NAME};
pub use work::{work, Cancel, Work, QUICK_BYTES};
