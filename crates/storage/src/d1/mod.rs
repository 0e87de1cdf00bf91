//! D1: SQL databases for Workers, on SQLite.
//!
//! # Concepts
//!
//! - A **database** ([`Database`]) is one SQLite file, named by its D1
//!   `database_id`: `<state folder>/d1/<database_id>.sqlite`. Workers that
//!   name the same id share it (the runtime opens each id once).
//! - A **query** ([`Query`]) is SQL with bound values ([`D1Value`], converted
//!   as D1 converts JavaScript values). Its result ([`QueryResult`]) is D1's
//!   "rows and columns" form with D1's `meta` ([`Meta`]); the binding turns
//!   it into objects or arrays.
//! - Every call is **one transaction**: a single query, a `batch()` of
//!   queries (all or nothing), an `exec()` of lines, a migration script.
//!   Commits are on disk before the call returns (WAL; calls that come
//!   together share one fsync: [`crate::group_commit`]).
//! - **Errors** are D1's: SQLite's message with its offset and result code
//!   name, behind `D1_ERROR: ` ([`crate::StorageError::D1`]); `exec()`
//!   names the failing line (`D1_EXEC_ERROR: Error in line N: …`).
//! - **Limits** ([`D1Limits`]) are Cloudflare's, enforced by SQLite itself;
//!   SQL that D1 refuses (transactions, `ATTACH`, most `PRAGMA`s, names
//!   starting `_cf_`) is refused the same way (see [`authorizer`]).
//! - **Migrations** ([`migrations`]) are numbered `.sql` files applied in
//!   order and recorded in a `d1_migrations` table laid out as wrangler's.
//!
//! Calls block; the runtime runs them on its work pool.

pub mod authorizer;
mod database;
mod limits;
mod message;
pub mod migrations;
mod run;
mod split;
mod value;

pub use database::{script_queries, Database, Stop};
pub use limits::D1Limits;
pub use run::{ExecResult, Meta, Query, QueryResult};
pub use split::split_statements;
pub use value::D1Value;

#[cfg(test)]
mod tests;
