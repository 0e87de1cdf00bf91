//! D1 database bindings (`d1_databases`): the host side of
//! `crates/webapi/js/cloudflare/d1.js`, over [`motu_storage::d1::Database`].
//!
//! The methods, as the prelude calls them (each one call counted against
//! D1's 1,000 queries per invocation, whatever it holds):
//!
//! - `batch(queries, wants)`: `queries` a list of `[sql, params]`, run as
//!   one transaction (one query is a batch of one); settles with
//!   `[bookmark, results]`, each result `[columns, rows, meta]`: rows are
//!   lists of values (`null`, numbers, strings, bytes for blobs), `meta`
//!   D1's meta object. `wants` ([`WANT_META`] | [`WANT_BOOKMARK`]) says
//!   whether the caller uses the meta objects and the bookmark; those it
//!   does not are `null` (`first()` and `raw()` need no meta, a Worker's
//!   own session no bookmark);
//! - `exec(sql)`: `{ count, duration }`;
//! - `dump()`: the database as a SQLite file image (bytes).
//!
//! Parameters arrive as JavaScript made them (`d1.js` turns booleans into
//! numbers and buffers into bytes); numbers become `INTEGER` or `REAL` as
//! D1 decides ([`D1Value::from_number`]). A failed call rejects with D1's
//! message (`D1_ERROR: …`, `D1_EXEC_ERROR: …`), which `d1.js` throws again
//! with D1's `cause`.

use std::sync::Arc;

use motu_engine::{HostValue, JsError};
use motu_storage::d1::{D1Value, Database, Query, QueryResult, Stop};
use motu_storage::{StateFolder, StorageError};
use motu_webapi::{Cancel, Work};

use super::{BindingKind, Call, Kind, OpLimit, StorageBinding, Store, StoreOptions};

impl BindingKind {
    /// A D1 database (`d1_databases`).
    pub const D1: BindingKind = BindingKind("d1");
}

impl StorageBinding {
    /// `env.<binding>` is the D1 database `database_id`.
    pub fn d1(binding: impl Into<String>, database_id: impl Into<String>) -> Self {
        Self {
            binding: binding.into(),
            kind: BindingKind::D1,
            id: database_id.into(),
        }
    }
}

/// `wants`: the caller uses each result's `meta`.
const WANT_META: u32 = 1;
/// `wants`: the caller uses the bookmark.
const WANT_BOOKMARK: u32 = 2;

/// D1's queries per invocation (Cloudflare's, Workers Paid), counted apart
/// from the operations to external services.
pub(crate) const D1_QUERIES: OpLimit = OpLimit {
    count: "d1",
    max: 1000,
    message: "Too many API requests by single worker invocation.",
};

pub(super) const KIND: Kind = Kind {
    kind: BindingKind::D1,
    limit: D1_QUERIES,
    open,
};

fn open(
    state: &StateFolder,
    id: &str,
    options: &StoreOptions,
) -> Result<Arc<dyn Store>, StorageError> {
    let path = state.store_path("d1", id, "sqlite")?;
    Ok(Arc::new(D1Database(Arc::new(Database::open(
        &path, options.d1,
    )?))))
}

/// The store behind a D1 binding.
struct D1Database(Arc<Database>);

/// The error a call rejects with: D1's message.
fn failed(e: StorageError) -> JsError {
    JsError::new("Error", e.to_string())
}

/// A bound value as D1 converts it.
fn value(v: HostValue) -> Result<D1Value, JsError> {
    Ok(match v {
        HostValue::Null | HostValue::Undefined => D1Value::Null,
        HostValue::Number(n) => D1Value::from_number(n),
        HostValue::Bool(b) => D1Value::Integer(b.into()),
        HostValue::String(s) => D1Value::Text(s),
        HostValue::Bytes(b) => D1Value::Blob(b),
        HostValue::Chunks(c) => D1Value::Blob(c.concat()),
        other => {
            return Err(JsError::new(
                "Error",
                format!("D1_TYPE_ERROR: Type '{}' not supported", kind_of(&other)),
            ))
        }
    })
}

fn kind_of(v: &HostValue) -> &'static str {
    match v {
        HostValue::List(_) | HostValue::Map(_) => "object",
        _ => "unknown",
    }
}

/// `[[sql, params], …]` as queries, and the bytes they hold.
fn queries(arg: Option<HostValue>) -> Result<(Vec<Query>, usize), JsError> {
    let Some(HostValue::List(list)) = arg else {
        return Err(JsError::type_error("D1: the queries must be a list"));
    };
    let mut bytes = 0;
    let mut out = Vec::with_capacity(list.len());
    for q in list {
        let HostValue::List(parts) = q else {
            return Err(JsError::type_error("D1: a query must be [sql, params]"));
        };
        let mut parts = parts.into_iter();
        let sql = match parts.next() {
            Some(HostValue::String(sql)) => sql,
            _ => return Err(JsError::type_error("D1: a query's SQL must be a string")),
        };
        let params = match parts.next() {
            Some(HostValue::List(params)) => params
                .into_iter()
                .map(value)
                .collect::<Result<Vec<_>, _>>()?,
            None | Some(HostValue::Undefined) | Some(HostValue::Null) => Vec::new(),
            Some(_) => return Err(JsError::type_error("D1: a query's params must be a list")),
        };
        bytes += sql.len() + params.iter().map(D1Value::size).sum::<usize>();
        out.push(Query::with_params(sql, params));
    }
    Ok((out, bytes))
}

/// A value read from a row, for JavaScript.
fn host_value(v: D1Value) -> HostValue {
    match v {
        D1Value::Null => HostValue::Null,
        D1Value::Integer(i) => HostValue::Number(i as f64),
        D1Value::Real(f) => HostValue::Number(f),
        D1Value::Text(s) => HostValue::String(s),
        D1Value::Blob(b) => HostValue::Bytes(b),
    }
}

/// A result as `[columns, rows, meta]` (`meta` as `null` unless
/// `with_meta`).
fn result(r: QueryResult, with_meta: bool) -> HostValue {
    let m = r.meta;
    let n = |v: f64| HostValue::Number(v);
    let meta = if !with_meta {
        HostValue::Null
    } else {
        HostValue::Map(vec![
            ("served_by".into(), "motu".into()),
            ("served_by_primary".into(), HostValue::Bool(true)),
            (
                "timings".into(),
                HostValue::Map(vec![("sql_duration_ms".into(), n(m.duration_ms))]),
            ),
            ("duration".into(), n(m.duration_ms)),
            ("changes".into(), n(m.changes as f64)),
            ("last_row_id".into(), n(m.last_row_id as f64)),
            ("changed_db".into(), HostValue::Bool(m.changed_db)),
            ("size_after".into(), n(m.size_after as f64)),
            ("rows_read".into(), n(m.rows_read as f64)),
            ("rows_written".into(), n(m.rows_written as f64)),
        ])
    };
    HostValue::List(vec![
        HostValue::List(r.columns.into_iter().map(HostValue::String).collect()),
        HostValue::List(
            r.rows
                .into_iter()
                .map(|row| HostValue::List(row.into_iter().map(host_value).collect()))
                .collect(),
        ),
        meta,
    ])
}

/// What stops a call: its work being cancelled (the event ran out of CPU
/// time, the isolate went away).
fn stop(cancel: &Cancel) -> Stop {
    let cancel = cancel.clone();
    Arc::new(move || cancel.is_cancelled())
}

impl Store for D1Database {
    fn call(&self, method: &str, args: Vec<HostValue>, _: &Call<'_>) -> Result<Work, JsError> {
        let db = self.0.clone();
        let mut args = args.into_iter();
        match method {
            "batch" => {
                let (queries, bytes) = queries(args.next())?;
                let wants = args.next().and_then(|w| w.as_f64()).unwrap_or(0.0) as u32;
                let with_meta = wants & WANT_META != 0;
                Ok(Work::from_fn(bytes, false, move |cancel| {
                    let results = db.batch(&queries, Some(stop(cancel))).map_err(failed)?;
                    let bookmark = if wants & WANT_BOOKMARK != 0 {
                        HostValue::String(db.bookmark())
                    } else {
                        HostValue::Null
                    };
                    Ok(HostValue::List(vec![
                        bookmark,
                        HostValue::List(
                            results.into_iter().map(|r| result(r, with_meta)).collect(),
                        ),
                    ]))
                }))
            }
            "exec" => {
                let sql = match args.next() {
                    Some(HostValue::String(sql)) => sql,
                    _ => return Err(JsError::type_error("D1: exec() takes SQL text")),
                };
                Ok(Work::from_fn(sql.len(), false, move |cancel| {
                    let r = db.exec(&sql, Some(stop(cancel))).map_err(failed)?;
                    Ok(HostValue::Map(vec![
                        ("count".into(), HostValue::Number(r.count as f64)),
                        ("duration".into(), HostValue::Number(r.duration_ms)),
                    ]))
                }))
            }
            "dump" => Ok(Work::from_fn(0, false, move |_| {
                db.dump().map(HostValue::Bytes).map_err(failed)
            })),
            _ => Err(JsError::type_error(format!("D1: no method {method}"))),
        }
    }
}
