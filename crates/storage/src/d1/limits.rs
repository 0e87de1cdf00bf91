//! The limits of a D1 database, as Cloudflare documents them.

use std::time::Duration;

/// What one D1 database accepts. The defaults are Cloudflare's documented
/// limits (Workers Paid where the plan matters); each is enforced by SQLite
/// itself, so a query past one fails with SQLite's message in D1's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct D1Limits {
    /// Bound parameters per statement (`?NNN` up to this). Default 100;
    /// past it: `too many SQL variables`.
    pub max_bound_parameters: u32,
    /// Bytes of SQL per statement. Default 100,000; past it: `statement too
    /// long`.
    pub max_statement_bytes: u32,
    /// Bytes of a string, `BLOB` or table row. Default 2,000,000; past it:
    /// `string or blob too big`.
    pub max_value_bytes: u32,
    /// Columns per table. Default 100; past it: `too many columns on …`.
    pub max_columns: u32,
    /// Arguments per SQL function call. Default 32; past it: `too many
    /// arguments on function …`.
    pub max_function_args: u32,
    /// Bytes of a `LIKE` or `GLOB` pattern. Default 50; past it: `LIKE or
    /// GLOB pattern too complex`.
    pub max_like_pattern_bytes: u32,
    /// Size of the database file. Default 10 GiB (Cloudflare: 10 GB on
    /// Workers Paid, 500 MB on Free); a write that would grow it further
    /// fails with `database or disk is full`, and earlier data stays.
    pub max_database_bytes: u64,
    /// How long one call (a query, a batch, an `exec`) may run. Default 30
    /// s; past it the call is interrupted and rolled back.
    pub max_duration: Duration,
}

impl Default for D1Limits {
    fn default() -> Self {
        Self {
            max_bound_parameters: 100,
            max_statement_bytes: 100_000,
            max_value_bytes: 2_000_000,
            max_columns: 100,
            max_function_args: 32,
            max_like_pattern_bytes: 50,
            max_database_bytes: 10 << 30,
            max_duration: Duration::from_secs(30),
        }
    }
}
