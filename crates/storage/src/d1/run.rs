//! Running one D1 query on a connection: its statements, its rows, its
//! meta.

use std::time::Instant;

use rusqlite::{Connection, StatementStatus};

use super::database::Size;
use super::message::describe;
use super::split::{has_statement, is_single, split_statements};
use super::value::D1Value;

/// One statement to run, with the values bound to its parameters in order
/// (`?` and `?NNN`; `?3` takes the third).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The SQL. Several statements separated by `;` run one after the
    /// other; only the last may have parameters, and its rows are the
    /// result.
    pub sql: String,
    /// The bound values.
    pub params: Vec<D1Value>,
}

impl Query {
    /// A query with no parameters.
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// A query with `params` bound.
    pub fn with_params(sql: impl Into<String>, params: Vec<D1Value>) -> Self {
        Self {
            sql: sql.into(),
            params,
        }
    }
}

/// What a query gave: D1's "rows and columns" result.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<D1Value>>,
    /// What the query did.
    pub meta: Meta,
}

/// D1's `meta` of a result.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Meta {
    /// Milliseconds the query ran for (`duration`, also
    /// `timings.sql_duration_ms`).
    pub duration_ms: f64,
    /// Rows inserted, updated or deleted, by the statement and its triggers
    /// (`changes`).
    pub changes: u64,
    /// The rowid of the last row inserted on the database (`last_row_id`).
    pub last_row_id: i64,
    /// Whether the query changed the database (`changed_db`).
    pub changed_db: bool,
    /// Bytes of the database after the query (`size_after`).
    pub size_after: u64,
    /// Rows read (`rows_read`): the steps of full table scans plus the rows
    /// returned. D1 counts every row visited; SQLite does not report index
    /// lookups, so this is an estimate from below.
    pub rows_read: u64,
    /// Rows written (`rows_written`): the rows changed.
    pub rows_written: u64,
}

/// The result of an `exec()`: D1's `D1ExecResult`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExecResult {
    /// Queries run (`count`).
    pub count: usize,
    /// Milliseconds they took (`duration`).
    pub duration_ms: f64,
}

const NO_STATEMENTS: &str = "No SQL statements detected.";
const WRONG_COUNT: &str = "Wrong number of parameter bindings for SQL query.";
const PARAMS_LAST: &str =
    "When executing multiple SQL statements in a single call, only the last statement can have parameters.";

/// Runs `query` (no transaction of its own); errors are D1's messages.
/// `size` knows the database size in bytes.
pub(crate) fn run_query(
    conn: &Connection,
    query: &Query,
    size: &Size<'_>,
) -> Result<QueryResult, String> {
    let start = Instant::now();
    let changes_before = conn.total_changes();
    let rowid_before = conn.last_insert_rowid();
    let size_before = size.last(conn)?;

    let mut out = Rows::default();
    if !has_statement(&query.sql) {
        return Err(NO_STATEMENTS.to_owned());
    }
    if is_single(&query.sql) {
        run_statement(conn, &query.sql, &query.params, true, &mut out)?;
    } else {
        let pieces = split_statements(&query.sql);
        let last = pieces.len().saturating_sub(1);
        for (i, piece) in pieces.iter().enumerate() {
            let params: &[D1Value] = if i == last { &query.params } else { &[] };
            run_statement(conn, piece, params, i == last, &mut out)?;
        }
    }

    let changes = conn.total_changes() - changes_before;
    let last_row_id = conn.last_insert_rowid();
    // Only a statement that writes can change the size.
    let size_after = if out.wrote {
        size.measure(conn)?
    } else {
        size_before
    };
    let rows_read = out.scanned + out.rows.len() as u64;
    Ok(QueryResult {
        columns: out.columns,
        rows: out.rows,
        meta: Meta {
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            changes,
            last_row_id,
            changed_db: changes > 0 || last_row_id != rowid_before || size_after != size_before,
            size_after,
            rows_read,
            rows_written: changes,
        },
    })
}

#[derive(Default)]
struct Rows {
    columns: Vec<String>,
    rows: Vec<Vec<D1Value>>,
    scanned: u64,
    /// Whether a statement may have written.
    wrote: bool,
}

/// Runs one statement; its columns and rows replace `out`'s. `last`: the
/// statement is the query's last, which alone may take parameters.
fn run_statement(
    conn: &Connection,
    sql: &str,
    params: &[D1Value],
    last: bool,
    out: &mut Rows,
) -> Result<(), String> {
    let mut stmt =
        crate::limit_clause::prepare(sql, |s| conn.prepare_cached(s)).map_err(|e| describe(&e))?;
    let expected = stmt.parameter_count();
    if !last && expected > 0 {
        return Err(PARAMS_LAST.to_owned());
    }
    if expected != params.len() {
        return Err(WRONG_COUNT.to_owned());
    }
    out.wrote |= !stmt.readonly();
    for (i, value) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, value)
            .map_err(|e| describe(&e))?;
    }
    let width = stmt.column_count();
    out.columns = stmt.column_names().into_iter().map(str::to_owned).collect();
    out.rows.clear();
    {
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(|e| describe(&e))? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(D1Value::from_ref(row.get_ref(i).map_err(|e| describe(&e))?));
            }
            out.rows.push(values);
        }
    }
    out.scanned += stmt.reset_status(StatementStatus::FullscanStep).max(0) as u64;
    Ok(())
}
