//! D1 migrations: numbered `.sql` files applied in order, once each.
//!
//! A project keeps its migrations in a folder (`migrations_dir`, default
//! `migrations/`) as `NNNN_description.sql`. Applied ones are recorded in a
//! table (`migrations_table`, default `d1_migrations`) laid out as wrangler
//! lays it out: `id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE,
//! applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL`, one row per
//! file name. A migration and its row commit in one transaction: a failing
//! migration leaves no trace, and the ones before it stay applied.
//!
//! Files are ordered by the number their name starts with (so `9_x.sql`
//! comes before `10_y.sql`), numbered ones before the others, then by name.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::database::{script_queries, Database};
use super::run::{Query, QueryResult};
use super::value::D1Value;
use crate::StorageError;

/// The folder of migrations when `migrations_dir` is not set.
pub const DEFAULT_DIR: &str = "migrations";

/// The table of applied migrations when `migrations_table` is not set.
pub const DEFAULT_TABLE: &str = "d1_migrations";

/// The migration files in `dir` (`*.sql`, not hidden), in the order they
/// apply.
pub fn list(dir: &Path) -> Result<Vec<String>, StorageError> {
    let io = |source| StorageError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') || !name.ends_with(".sql") {
            continue;
        }
        if entry.file_type().map_err(io)?.is_file() || entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort_by(|a, b| compare(a, b));
    Ok(names)
}

/// The number a migration's name starts with (`0007_x.sql` → 7).
pub fn number(name: &str) -> Option<u64> {
    let digits: &str = &name[..name.bytes().take_while(u8::is_ascii_digit).count()];
    digits.parse().ok()
}

fn compare(a: &str, b: &str) -> Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) if x != y => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// The file name of a new migration after `existing`: the next number,
/// four digits at least, and `message` with spaces as `_`.
pub fn next_name(existing: &[String], message: &str) -> String {
    let next = existing.iter().filter_map(|n| number(n)).max().unwrap_or(0) + 1;
    format!("{next:04}_{}.sql", message.replace(' ', "_"))
}

/// Creates the next migration file in `dir` (and `dir` if missing), with
/// a first line naming its number and `created` (a timestamp). Returns its
/// path.
pub fn create(dir: &Path, message: &str, created: &str) -> Result<PathBuf, StorageError> {
    std::fs::create_dir_all(dir).map_err(|source| StorageError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let name = next_name(&list(dir)?, message);
    let number = &name[..name.find('_').unwrap_or(0)];
    let path = dir.join(&name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|source| StorageError::Io {
            path: path.clone(),
            source,
        })?;
    use std::io::Write;
    writeln!(file, "-- Migration number: {number} \t {created}").map_err(|source| {
        StorageError::Io {
            path: path.clone(),
            source,
        }
    })?;
    Ok(path)
}

/// `name` as a quoted SQL identifier.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The names recorded in `table` (created if missing), in the order they
/// were applied.
pub fn applied(db: &Database, table: &str) -> Result<Vec<String>, StorageError> {
    let t = quote(table);
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {t}(\n\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\tname       TEXT UNIQUE,\n\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);"
    );
    let select = format!("SELECT name FROM {t} ORDER BY id");
    let results = db.script(&format!("{create}\n{select};"), None)?;
    let rows = results
        .last()
        .map(|r| r.rows.as_slice())
        .unwrap_or_default();
    Ok(rows
        .iter()
        .filter_map(|row| match row.first() {
            Some(D1Value::Text(name)) => Some(name.clone()),
            _ => None,
        })
        .collect())
}

/// The migrations in `dir` not recorded in `table`, in order.
pub fn unapplied(db: &Database, dir: &Path, table: &str) -> Result<Vec<String>, StorageError> {
    let done = applied(db, table)?;
    Ok(list(dir)?
        .into_iter()
        .filter(|name| !done.contains(name))
        .collect())
}

/// Applies migration `name` from `dir` and records it in `table`, in one
/// transaction.
pub fn apply(
    db: &Database,
    dir: &Path,
    table: &str,
    name: &str,
) -> Result<Vec<QueryResult>, StorageError> {
    let path = dir.join(name);
    let sql = std::fs::read_to_string(&path).map_err(|source| StorageError::Io { path, source })?;
    let mut queries = script_queries(&sql);
    queries.push(Query::with_params(
        format!("INSERT INTO {} (name) values (?)", quote(table)),
        vec![D1Value::Text(name.to_owned())],
    ));
    db.batch(&queries, None)
}
