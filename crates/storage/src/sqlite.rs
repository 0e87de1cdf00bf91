//! Opening SQLite databases durably.
//!
//! Every database of the stores is opened by [`open`], which sets what
//! makes an acknowledged write survive a crash of the process or the
//! machine:
//!
//! - `journal_mode=WAL`: a commit appends to the write-ahead log, and
//!   readers keep reading the last committed state while a writer writes;
//! - `synchronous=FULL`: each commit fsyncs the log before it returns, so a
//!   transaction that returned is on disk, even across a power loss (WAL's
//!   default, `NORMAL`, may lose the last commits then);
//! - a busy timeout ([`BUSY_TIMEOUT`]): a connection that finds the
//!   database locked by another of the process's connections waits for it
//!   instead of failing.
//!
//! A file that exists but is not a SQLite database is refused with
//! [`StorageError::NotADatabase`], which names it, before anything is
//! written to it.
//!
//! [`Database`] is a database with one writing connection and a few
//! reading ones, for stores whose reads should not wait behind a write's
//! fsync. Its writer runs with `synchronous=NORMAL` and makes each commit
//! durable through a [`GroupCommit`] before the write returns, so that
//! writers that come together share one fsync. All of it is blocking: callers run it on the runtime's work pool,
//! never on an executor thread.

use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use crate::group_commit::GroupCommit;
use crate::StorageError;

/// How long a connection waits for a lock held by another connection.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many idle reading connections a [`Database`] keeps.
const IDLE_READERS: usize = 4;

/// Opens (or creates) the SQLite database at `path` for reading and
/// writing, durably (see the module docs).
pub fn open(path: &Path) -> Result<Connection, StorageError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| classify(path, e))?;
    // The first statement reads the file's header: a file that is not a
    // database fails here, before anything is written to it.
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
        .map_err(|e| classify(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StorageError::Open {
            path: path.to_path_buf(),
            message: format!("it cannot use a write-ahead log (journal mode stays '{mode}')"),
        });
    }
    conn.execute_batch("PRAGMA synchronous=FULL;")
        .map_err(|e| classify(path, e))?;
    Ok(conn)
}

/// Opens the database at `path` durably (as [`open`] does) and runs
/// `schema` (statements that must be idempotent, `CREATE TABLE IF NOT
/// EXISTS …`) in one transaction.
pub fn open_with_schema(path: &Path, schema: &str) -> Result<Connection, StorageError> {
    let mut conn = open(path)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| classify(path, e))?;
    tx.execute_batch(schema).map_err(|e| classify(path, e))?;
    tx.commit().map_err(|e| classify(path, e))?;
    Ok(conn)
}

/// The error of opening `path`: a file that is not a database is named as
/// such.
fn classify(path: &Path, e: rusqlite::Error) -> StorageError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StorageError::NotADatabase {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
        _ => StorageError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    }
}

/// A database with one writing connection and a few reading ones (see the
/// module docs). Writes are serialised; reads run beside them and see the
/// last committed state.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    group: GroupCommit,
}

impl Database {
    /// Opens (or creates) the database at `path` with `schema` (see
    /// [`open_with_schema`]).
    pub fn open(path: &Path, schema: &str) -> Result<Self, StorageError> {
        let writer = open_with_schema(path, schema)?;
        // Commits are made durable by the group commit, after the writer
        // is released (see `crate::group_commit`).
        writer
            .execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(|e| classify(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            group: GroupCommit::new(path),
        })
    }

    /// The database's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in an immediate transaction on the writing connection and
    /// commits it; the commit is durable when this returns `Ok` (commits of
    /// writers that come together share one flush: see
    /// [`crate::group_commit`]). An `Err` from `f` rolls everything back.
    pub fn write<T, E>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<StorageError>,
    {
        let mut conn = self.writer.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        let number = self.group.committed();
        drop(conn);
        self.group.wait(number)?;
        Ok(value)
    }

    /// How many flushes of the log its writes have run (see
    /// [`crate::group_commit`]).
    pub fn flushes(&self) -> u64 {
        self.group.flushes()
    }

    /// Runs `f` on a reading connection (inside a transaction, so that all
    /// it reads is one committed state).
    pub fn read<T, E>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<StorageError>,
    {
        let reader = self.readers.lock().pop();
        let mut conn = match reader {
            Some(conn) => conn,
            None => open(&self.path)?,
        };
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let value = f(&tx)?;
            tx.finish()?;
            Ok(value)
        })();
        let mut readers = self.readers.lock();
        if readers.len() < IDLE_READERS {
            readers.push(conn);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn databases_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("a.sqlite")).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not.sqlite");
        let junk = b"this is not a database, just some text that is long enough to have a header........................................".repeat(10);
        std::fs::write(&path, &junk).unwrap();
        let err = open(&path).unwrap_err();
        assert!(matches!(err, StorageError::NotADatabase { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), junk, "the file is untouched");
    }

    #[test]
    fn reads_see_committed_writes_and_failed_writes_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(
            &dir.path().join("db.sqlite"),
            "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER);",
        )
        .unwrap();
        db.write(|tx| {
            tx.execute("INSERT INTO t VALUES ('a', 1)", [])?;
            Ok::<_, StorageError>(())
        })
        .unwrap();
        assert_eq!(db.flushes(), 1, "the commit was flushed before it returned");
        let failed: Result<(), StorageError> = db.write(|tx| {
            tx.execute("INSERT INTO t VALUES ('b', 2)", [])?;
            tx.execute("INSERT INTO t VALUES ('a', 3)", [])?; // duplicate key
            Ok(())
        });
        assert!(failed.is_err());
        let rows: i64 = db
            .read(|tx| {
                tx.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .map_err(StorageError::from)
            })
            .unwrap();
        assert_eq!(rows, 1, "the failed transaction left nothing");
    }
}
