//! Storage backends of motu's bindings: no JavaScript, no actors.
//!
//! Each binding family has a module with an embedded implementation on
//! SQLite (rusqlite with its bundled library): [`d1`] for D1 databases.
//! Calls are blocking; the runtime runs them on its work pool, never on an
//! executor thread.

pub mod d1;
mod error;

pub use error::StorageError;
