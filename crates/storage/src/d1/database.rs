//! One D1 database: a SQLite file, its connection, its transactions.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rusqlite::limits::Limit;
use rusqlite::Connection;

use super::authorizer::{authorize, Trust};
use super::limits::D1Limits;
use super::message::describe;
use super::run::{run_query, ExecResult, Query, QueryResult};
use super::split::{has_statement, split_statements};
use crate::group_commit::GroupCommit;
use crate::StorageError;

/// Asked between steps of a long call: `true` stops it (the event that
/// made the call was cancelled).
pub type Stop = Arc<dyn Fn() -> bool + Send + Sync>;

/// What the progress handler looks at while a call runs.
#[derive(Default)]
struct Watch {
    deadline: Option<Instant>,
    stop: Option<Stop>,
    timed_out: bool,
}

/// The message D1 gives for a query that ran past its time.
const TIMED_OUT: &str = "D1 DB exceeded its CPU time limit and was reset.";

/// One D1 database. Calls take turns on its one connection; each call is
/// one transaction, committed and on disk before it returns (WAL with
/// `synchronous=NORMAL`, each commit flushed by the database's
/// [`GroupCommit`] once the connection is released, so that calls that
/// come together share one fsync), or rolled back whole.
pub struct Database {
    path: Option<PathBuf>,
    conn: Mutex<Connection>,
    /// Flushes commits (none in memory).
    group: Option<GroupCommit>,
    /// Set by SQLite's commit hook when a transaction that wrote commits:
    /// only those wait for a flush.
    wrote: Arc<AtomicBool>,
    trust: Trust,
    watch: Arc<Mutex<Watch>>,
    limits: D1Limits,
    page_size: u64,
    /// When the database was opened (µs since the epoch) and how many
    /// changing calls it has committed since: the bookmark.
    opened_us: u64,
    commits: AtomicU64,
    /// The database's size in bytes as last measured ([`UNKNOWN_SIZE`]:
    /// to be measured).
    size: AtomicU64,
}

/// [`Database::size`] before it is measured.
const UNKNOWN_SIZE: u64 = u64::MAX;

/// The database's size, measured only after statements that may change it.
pub(crate) struct Size<'a> {
    trust: &'a Trust,
    page_size: u64,
    known: &'a AtomicU64,
}

impl Size<'_> {
    /// The size as last measured (measured now if unknown).
    pub(crate) fn last(&self, conn: &Connection) -> Result<u64, String> {
        match self.known.load(Ordering::Relaxed) {
            UNKNOWN_SIZE => self.measure(conn),
            size => Ok(size),
        }
    }

    /// Measures the size now.
    pub(crate) fn measure(&self, conn: &Connection) -> Result<u64, String> {
        let pages = self
            .trust
            .trusted(|| {
                conn.prepare_cached("PRAGMA page_count")?
                    .query_row([], |r| r.get::<_, i64>(0))
            })
            .map_err(|e| describe(&e))?;
        let size = pages.max(0) as u64 * self.page_size;
        self.known.store(size, Ordering::Relaxed);
        Ok(size)
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.path)
            .finish()
    }
}

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl Database {
    /// Opens (creating if needed) the database file at `path`. A file that
    /// is not a SQLite database is refused, not overwritten.
    pub fn open(path: &Path, limits: D1Limits) -> Result<Self, StorageError> {
        check_header(path)?;
        // WAL; commits are flushed by the group commit, after the
        // connection is released.
        let conn = crate::sqlite::open(path)?;
        conn.execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(|e| open_error(path, &e))?;
        let mut db = Self::setup(conn, Some(path.to_owned()), limits)?;
        db.group = Some(GroupCommit::new(path));
        Ok(db)
    }

    /// A database that lives in memory only (for throwaway runs).
    pub fn in_memory(limits: D1Limits) -> Result<Self, StorageError> {
        let conn =
            Connection::open_in_memory().map_err(|e| open_error(Path::new(":memory:"), &e))?;
        Self::setup(conn, None, limits)
    }

    fn setup(
        conn: Connection,
        path: Option<PathBuf>,
        limits: D1Limits,
    ) -> Result<Self, StorageError> {
        let shown = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
        let fail = |e: rusqlite::Error| open_error(&shown, &e);
        // D1 enforces foreign keys, as `PRAGMA foreign_keys = on` does.
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(fail)?;
        // Reading the schema makes a damaged file fail here, at open.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(fail)?;
        let page_size: u64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))
            .map_err(fail)? as u64;
        let max_pages = (limits.max_database_bytes / page_size.max(1)).clamp(1, u32::MAX as u64);
        conn.query_row(&format!("PRAGMA max_page_count = {max_pages}"), [], |_| {
            Ok(())
        })
        .map_err(fail)?;
        for (limit, value) in [
            (
                Limit::SQLITE_LIMIT_VARIABLE_NUMBER,
                limits.max_bound_parameters,
            ),
            (Limit::SQLITE_LIMIT_SQL_LENGTH, limits.max_statement_bytes),
            (Limit::SQLITE_LIMIT_LENGTH, limits.max_value_bytes),
            (Limit::SQLITE_LIMIT_COLUMN, limits.max_columns),
            (Limit::SQLITE_LIMIT_FUNCTION_ARG, limits.max_function_args),
            (
                Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
                limits.max_like_pattern_bytes,
            ),
            (Limit::SQLITE_LIMIT_ATTACHED, 0),
        ] {
            conn.set_limit(limit, value.min(i32::MAX as u32) as i32)
                .map_err(fail)?;
        }
        conn.set_prepared_statement_cache_capacity(128);

        let trust = Trust::default();
        let t = trust.clone();
        conn.authorizer(Some(move |ctx: rusqlite::hooks::AuthContext<'_>| {
            authorize(&t, ctx)
        }));
        let watch = Arc::new(Mutex::new(Watch::default()));
        let w = watch.clone();
        conn.progress_handler(
            10_000,
            Some(move || {
                let mut watch = w.lock().unwrap_or_else(|p| p.into_inner());
                if watch.deadline.is_some_and(|d| Instant::now() >= d) {
                    watch.timed_out = true;
                    return true;
                }
                watch.stop.as_ref().is_some_and(|stop| stop())
            }),
        );
        let wrote = Arc::new(AtomicBool::new(false));
        let hook = wrote.clone();
        conn.commit_hook(Some(move || {
            hook.store(true, Ordering::Relaxed);
            false
        }));
        let opened_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        Ok(Self {
            path,
            conn: Mutex::new(conn),
            group: None,
            wrote,
            trust,
            watch,
            limits,
            page_size,
            opened_us,
            commits: AtomicU64::new(0),
            size: AtomicU64::new(UNKNOWN_SIZE),
        })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How many flushes of the log its commits have run (see
    /// [`crate::group_commit`]; 0 in memory).
    pub fn flushes(&self) -> u64 {
        self.group.as_ref().map_or(0, GroupCommit::flushes)
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &D1Limits {
        &self.limits
    }

    /// Runs `queries` as one transaction: all of them commit, or (when one
    /// fails) none does and the error is the failing query's. One query is
    /// a batch of one.
    pub fn batch(
        &self,
        queries: &[Query],
        stop: Option<Stop>,
    ) -> Result<Vec<QueryResult>, StorageError> {
        self.call(stop, |conn, size| {
            let mut out = Vec::with_capacity(queries.len());
            for query in queries {
                out.push(run_query(conn, query, size).map_err(StorageError::D1)?);
            }
            let changed = out.iter().any(|r| r.meta.changed_db);
            Ok((out, changed))
        })
    }

    /// D1's `exec()`: each line of `sql` (after trimming) is a query
    /// without parameters; all of them run as one transaction. Lines with
    /// nothing but blanks and comments are skipped. A failing line is named
    /// in the error (`D1_EXEC_ERROR: Error in line N: …`).
    pub fn exec(&self, sql: &str, stop: Option<Stop>) -> Result<ExecResult, StorageError> {
        let start = Instant::now();
        self.call(stop, |conn, size| {
            let mut count = 0;
            let mut changed = false;
            for (i, line) in sql.trim().split('\n').enumerate() {
                if !has_statement(line) {
                    continue;
                }
                let result = run_query(conn, &Query::new(line), size).map_err(|message| {
                    StorageError::D1Exec {
                        line: i + 1,
                        text: line.to_owned(),
                        message,
                    }
                })?;
                changed |= result.meta.changed_db;
                count += 1;
            }
            Ok((
                ExecResult {
                    count,
                    duration_ms: start.elapsed().as_secs_f64() * 1000.0,
                },
                changed,
            ))
        })
    }

    /// Runs a SQL script (`motu d1 execute`): its statements one by one as
    /// one transaction, with one result per statement (see
    /// [`script_queries`]).
    pub fn script(&self, sql: &str, stop: Option<Stop>) -> Result<Vec<QueryResult>, StorageError> {
        let queries = script_queries(sql);
        if queries.is_empty() {
            return Err(StorageError::D1("No SQL statements detected.".to_owned()));
        }
        self.batch(&queries, stop)
    }

    /// The whole database as a SQLite file image (D1's `dump()`).
    pub fn dump(&self) -> Result<Vec<u8>, StorageError> {
        let conn = self.lock();
        self.trust
            .trusted(|| conn.serialize(rusqlite::MAIN_DB).map(|d| d.to_vec()))
            .map_err(|e| StorageError::D1(describe(&e)))
    }

    /// The newest bookmark of the database: it names the state after the
    /// latest committed change, and later states compare greater (as
    /// strings). One node holds the database, so every session sees every
    /// commit at once.
    pub fn bookmark(&self) -> String {
        format!(
            "{:016x}-{:016x}",
            self.opened_us,
            self.commits.load(Ordering::Relaxed)
        )
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One call: a transaction around `f` (which says whether it changed
    /// the database), with the time limit and `stop` armed.
    fn call<T>(
        &self,
        stop: Option<Stop>,
        f: impl FnOnce(&Connection, &Size<'_>) -> Result<(T, bool), StorageError>,
    ) -> Result<T, StorageError> {
        let conn = self.lock();
        self.wrote.store(false, Ordering::Relaxed);
        {
            let mut watch = self.watch.lock().unwrap_or_else(|p| p.into_inner());
            watch.deadline = Some(Instant::now() + self.limits.max_duration);
            watch.stop = stop;
            watch.timed_out = false;
        }
        let size = Size {
            trust: &self.trust,
            page_size: self.page_size,
            known: &self.size,
        };
        // The store's own statements, prepared once.
        let own = |sql: &str| {
            self.trust
                .trusted(|| conn.prepare_cached(sql).and_then(|mut s| s.execute([])))
                .map_err(|e| StorageError::D1(describe(&e)))
        };
        let result = own("BEGIN").and_then(|_| {
            let value = f(&conn, &size)?;
            own("COMMIT")?;
            Ok(value)
        });
        if !conn.is_autocommit() {
            let _ = own("ROLLBACK");
        }
        if result.is_err() {
            // What was measured inside the transaction may be gone.
            self.size.store(UNKNOWN_SIZE, Ordering::Relaxed);
        }
        let timed_out = {
            let mut watch = self.watch.lock().unwrap_or_else(|p| p.into_inner());
            watch.deadline = None;
            watch.stop = None;
            std::mem::take(&mut watch.timed_out)
        };
        match result {
            Ok((value, changed)) => {
                if changed {
                    self.commits.fetch_add(1, Ordering::Relaxed);
                }
                let wrote = self.wrote.swap(false, Ordering::Relaxed);
                if let Some(group) = self.group.as_ref().filter(|_| wrote) {
                    let number = group.committed();
                    drop(conn);
                    group.wait(number)?;
                }
                Ok(value)
            }
            Err(_) if timed_out => Err(StorageError::D1(TIMED_OUT.to_owned())),
            Err(e) => Err(e),
        }
    }
}

/// The statements of a SQL script as queries. A statement may span lines;
/// `;` ends it. A `BEGIN TRANSACTION` and a `COMMIT` wrapping the script
/// (as `sqlite3 .dump` writes them) are left out: the script is one
/// transaction already.
pub fn script_queries(sql: &str) -> Vec<Query> {
    let mut statements = split_statements(sql);
    let is = |s: &str, word: &str| {
        let words: Vec<&str> = s.trim_end_matches(';').split_whitespace().collect();
        words.join(" ").eq_ignore_ascii_case(word)
    };
    if let Some(i) = statements.iter().position(|s| is(s, "BEGIN TRANSACTION")) {
        statements.remove(i);
        if let Some(j) = statements.iter().position(|s| is(s, "COMMIT")) {
            statements.remove(j);
        }
    }
    statements.into_iter().map(Query::new).collect()
}

/// Refuses a file that exists, is not empty, and does not start with
/// SQLite's header.
fn check_header(path: &Path) -> Result<(), StorageError> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StorageError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    let mut head = Vec::with_capacity(16);
    file.by_ref()
        .take(16)
        .read_to_end(&mut head)
        .map_err(|source| StorageError::Io {
            path: path.to_owned(),
            source,
        })?;
    if head.is_empty() || head == SQLITE_HEADER {
        Ok(())
    } else {
        Err(StorageError::NotADatabase {
            path: path.to_owned(),
            message: "its first bytes are not SQLite's header".to_owned(),
        })
    }
}

fn open_error(path: &Path, e: &rusqlite::Error) -> StorageError {
    StorageError::Open {
        path: path.to_owned(),
        message: describe(e),
    }
}
