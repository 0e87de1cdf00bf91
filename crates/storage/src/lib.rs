//! Storage backends of motu's bindings: embedded stores with no JavaScript
//! and no actors.
//!
//! - [`r2`]: R2 buckets, objects as files with their metadata in SQLite.
//!
//! Every call blocks on disk I/O: the runtime runs it on its work pool,
//! never on an executor thread. Every acknowledged write is durable.

pub mod error;
pub mod r2;

pub use error::StorageError;
