//! Storage for motu's bindings: KV namespaces, D1 databases, R2 buckets,
//! queues.
//!
//! # Concepts
//!
//! - **State folder** ([`StateFolder`]): every store of a motu process
//!   lives under one folder, like `wrangler dev`'s `.wrangler/state`: by
//!   default `.motu/state` next to the config (`[server] state_dir`,
//!   `--persist-to DIR`). It is private (mode 0700) and locked: a second
//!   process on the same folder is refused with an error naming it. A
//!   throwaway folder (`--persist-to :memory:`) is removed when the process
//!   is done with it.
//! - **Stores, shared by id**: a store is named by the id its binding
//!   gives (a KV namespace's `id`, a D1 database's `database_id`, an R2
//!   bucket's `bucket_name`) and lives in the state folder's subfolder of
//!   its kind (`kv/<id>.sqlite`, …). Two Workers that name the same id use
//!   the same store, as on Cloudflare; the runtime opens each store once
//!   per process and hands the same handle to both.
//! - **Durability**: a write is acknowledged only once it is on disk.
//!   Databases are SQLite (rusqlite with its bundled library) in WAL mode,
//!   each commit flushed to disk before it is acknowledged ([`sqlite`];
//!   commits that come together share one flush: [`group_commit`]); files are written to a
//!   temporary name, fsynced, renamed, and their folder fsynced, before the
//!   metadata that names them is committed ([`fs`]). A crash, `kill -9` or power
//!   loss then loses nothing acknowledged and shows nothing half-written.
//! - **Blocking work**: everything here blocks on the disk. Nothing in this
//!   crate knows about JavaScript, actors or executors; the runtime calls
//!   it from its work pool, never from an executor thread, and charges the
//!   CPU time to the event that asked.
//! - **Shared stores** ([`redis`]): with `[cluster] redis`, KV namespaces
//!   live in Redis instead, behind the same [`kv::KvBackend`], so that every
//!   node of a cluster reads what any node wrote.
//! - **Errors**: one enum, [`StorageError`]; the error messages a Worker
//!   sees (Cloudflare's) are made by each kind of store's API, not here.

pub mod cache;
pub mod d1;
pub mod durable;
mod error;
pub mod fault;
pub mod fs;
pub mod group_commit;
pub mod kv;
mod limit_clause;
pub mod queues;
pub mod r2;
pub mod redis;
pub mod sqlite;
pub mod state;

pub use error::StorageError;
pub use sqlite::Database;
pub use state::StateFolder;
