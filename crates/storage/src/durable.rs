//! The storage of one Durable Object: a SQLite database of its own.
//!
//! # Concepts
//!
//! - **One database per object**, at `durable/<namespace>/<object id>.sqlite`
//!   in the state folder ([`object_path`]). The key-value API keeps its
//!   pairs in the table `_cf_KV` (as Cloudflare's SQLite-backed objects
//!   do); the SQL API ([`ObjectStorage::exec`]) reaches every other table
//!   the object makes; the alarm is a row of `_cf_METADATA`. Tables whose
//!   names start with `_cf_` are the store's own: SQL that names them is
//!   refused with Cloudflare's error.
//! - **Synchronous, on the object's thread.** Cloudflare's storage API for
//!   SQLite-backed objects is synchronous (`ctx.storage.sql.exec` returns
//!   its cursor at once), so [`ObjectStorage`] is used on the thread that
//!   runs the object, and every statement commits at once — but without
//!   waiting for the disk: the database runs with `synchronous=NORMAL`, so
//!   a commit is in the write-ahead log in the operating system's cache
//!   (it survives a crash of the process, `kill -9` included) and is made
//!   durable against power loss by a [`Flusher`], which fsyncs the log
//!   and is what blocks on the disk: the runtime runs it off the executor
//!   threads, and holds the object's output (its responses) until the
//!   flush covering its writes is done — Cloudflare's *output gate*.
//! - **A failed flush is for good**: every later flush of that storage
//!   fails too (see [`Flusher`]), and the runtime resets the object; its
//!   next instance opens the database anew, and a log the old connection
//!   left behind is checkpointed and synced before anything is read
//!   ([`ObjectStorage::open`]).
//! - **Values are bytes**: the JavaScript side serialises each value
//!   (structured clone) before it reaches this module.
//! - **Listings are read in chunks** ([`ObjectStorage::list_chunk`]): a
//!   bounded number of pairs (and of bytes) per call, the next chunk asked
//!   for after the last key read, so no listing holds a whole object's
//!   pairs in memory (see `listing.rs`).
//! - **Limits** ([`MAX_KEY_BYTES`], [`MAX_VALUE_BYTES`], [`MAX_KEYS`]) are
//!   Cloudflare's; the caller checks them and throws its errors.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::{params_from_iter, Connection, OpenFlags};

use crate::d1::D1Value;
use crate::StorageError;

mod listing;
mod reconcile;

pub use listing::{ListChunk, ListOptions, LIST_CHUNK_BYTES};
pub use reconcile::{AlarmOwner, Reconciled};

/// The longest key, in bytes of UTF-8 (Cloudflare's 2 KiB).
pub const MAX_KEY_BYTES: usize = 2048;
/// The largest value, in bytes once serialised (Cloudflare's 2 MB for
/// SQLite-backed objects).
pub const MAX_VALUE_BYTES: usize = 2 * 1024 * 1024;
/// The most keys one `get`, `put` or `delete` may name.
pub const MAX_KEYS: usize = 128;

/// The store's own tables (and the prefix SQL may not use).
const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB);";

/// The `_cf_METADATA` row of the alarm (milliseconds since the epoch).
const ALARM_ROW: i64 = 1;

/// The `_cf_METADATA` row of the name the object's id was made from, kept
/// with its alarm: what the alarm index is rebuilt from
/// ([`AlarmIndex::reconcile`]) gives the alarm's event its `ctx.id.name`.
const NAME_ROW: i64 = 2;

/// The database file of object `id` of namespace `namespace` under the
/// state folder `state`.
pub fn object_path(state: &Path, namespace: &str, id: &str) -> PathBuf {
    state
        .join("durable")
        .join(namespace)
        .join(format!("{id}.sqlite"))
}

/// What one `sql.exec` produced.
#[derive(Debug, Clone, Default)]
pub struct SqlResult {
    /// The columns of its rows.
    pub columns: Vec<String>,
    /// Its rows.
    pub rows: Vec<Vec<D1Value>>,
    /// Rows SQLite read (at least the rows returned).
    pub rows_read: u64,
    /// Rows it wrote.
    pub rows_written: u64,
}

/// The open database of one object (see the module docs).
#[derive(Debug)]
pub struct ObjectStorage {
    conn: Connection,
    path: PathBuf,
    /// The log, opened by the first flush and kept open for the next ones,
    /// and whether a flush failed (see [`Flusher`]).
    wal: Arc<Mutex<KeptLog>>,
    /// Savepoints of `transaction`/`transactionSync` open now.
    depth: u32,
}

impl ObjectStorage {
    /// Opens (or creates) the object's database at `path`, with its
    /// folder. A log left behind by a connection that did not close
    /// cleanly is first copied into the database and synced (see
    /// `checkpoint_left_log`); if that fails, so does the open.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let open_error = |e: rusqlite::Error| StorageError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // A log with frames in it is left by a connection that did not
        // close cleanly (see `checkpoint_left_log`).
        let left_log = std::fs::metadata(wal_path(path)).is_ok_and(|m| m.len() > 0);
        let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
        // One connection, the live object's, uses the database: it holds
        // the lock from its first statement until it closes, so no commit
        // or read takes and releases file locks, and the log's index is in
        // its memory rather than a shared `-shm` file (set before WAL mode
        // is entered, as SQLite requires for that).
        let _: String = conn
            .query_row("PRAGMA locking_mode=EXCLUSIVE", [], |row| row.get(0))
            .map_err(open_error)?;
        let _: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .map_err(open_error)?;
        conn.execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(open_error)?;
        if left_log {
            checkpoint_left_log(&conn).map_err(open_error)?;
        }
        conn.execute_batch(SCHEMA).map_err(open_error)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            wal: Arc::default(),
            depth: 0,
        })
    }

    /// The database's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What makes the commits so far durable (see [`Flusher`]).
    pub fn flusher(&self) -> Flusher {
        Flusher {
            path: self.path.clone(),
            wal: self.wal.clone(),
        }
    }

    /// The values of `keys` (`None`: not there).
    pub fn get(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM _cf_KV WHERE key = ?1")?;
        keys.iter()
            .map(|k| {
                let mut rows = stmt.query([k])?;
                Ok(match rows.next()? {
                    Some(row) => Some(row.get(0)?),
                    None => None,
                })
            })
            .collect()
    }

    /// Stores every pair, all or none.
    pub fn put(&mut self, entries: &[(String, Vec<u8>)]) -> Result<(), StorageError> {
        let put = |conn: &Connection| {
            let mut stmt = conn.prepare_cached(
                "INSERT INTO _cf_KV (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?;
            for (k, v) in entries {
                stmt.execute(rusqlite::params![k, v])?;
            }
            Ok(())
        };
        if entries.len() == 1 {
            // One statement is all or nothing by itself.
            return put(&self.conn).map_err(Into::into);
        }
        self.atomically(put)
    }

    /// Deletes `keys`: how many of them were there.
    pub fn delete(&mut self, keys: &[String]) -> Result<usize, StorageError> {
        let delete = |conn: &Connection| {
            let mut stmt = conn.prepare_cached("DELETE FROM _cf_KV WHERE key = ?1")?;
            let mut n = 0;
            for k in keys {
                n += stmt.execute([k])?;
            }
            Ok(n)
        };
        if keys.len() == 1 {
            return delete(&self.conn).map_err(Into::into);
        }
        self.atomically(delete)
    }

    /// Deletes every pair and every table the object made, and its alarm
    /// unless `keep_alarm` (the alarm then keeps the id's name beside it).
    pub fn delete_all(&mut self, keep_alarm: bool) -> Result<(), StorageError> {
        let tables: Vec<String> = {
            let mut stmt = self.conn.prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '_cf_%' \
                 AND name NOT LIKE 'sqlite_%'",
            )?;
            let names = stmt.query_map([], |r| r.get(0))?;
            names.collect::<Result<_, _>>()?
        };
        self.atomically(|conn| {
            conn.execute("DELETE FROM _cf_KV", [])?;
            if keep_alarm {
                conn.execute(
                    "DELETE FROM _cf_METADATA WHERE key NOT IN (?1, ?2)",
                    [ALARM_ROW, NAME_ROW],
                )?;
            } else {
                conn.execute("DELETE FROM _cf_METADATA", [])?;
            }
            for t in &tables {
                conn.execute(
                    &format!("DROP TABLE IF EXISTS \"{}\"", t.replace('"', "\"\"")),
                    [],
                )?;
            }
            Ok(())
        })
    }

    /// Runs `sql` (one statement, or several separated by `;`, whose last
    /// one's rows are returned) with `bindings` for its `?` parameters.
    pub fn exec(&mut self, sql: &str, bindings: &[D1Value]) -> Result<SqlResult, StorageError> {
        if mentions_own_table(sql) {
            return Err(StorageError::D1(format!(
                "not authorized to access internal tables (names starting with _cf_): {sql}"
            )));
        }
        let statements = crate::d1::split_statements(sql);
        let mut result = SqlResult::default();
        let last = statements.len().saturating_sub(1);
        let before = self.conn.total_changes();
        for (i, text) in statements.iter().enumerate() {
            let mut stmt = crate::limit_clause::prepare(text, |s| self.conn.prepare(s))?;
            let count = stmt.parameter_count();
            let params: &[D1Value] = if i == last { bindings } else { &[] };
            if params.len() != count && i == last {
                return Err(StorageError::D1(format!(
                    "Wrong number of parameter bindings for SQL query: expected {count}, got {}",
                    params.len()
                )));
            }
            let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
            let mut rows = stmt.query(params_from_iter(params.iter()))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let mut values = Vec::with_capacity(columns.len());
                for c in 0..columns.len() {
                    values.push(D1Value::from_ref(row.get_ref(c)?));
                }
                out.push(values);
            }
            result.rows_read += out.len() as u64;
            if i == last {
                result.columns = columns;
                result.rows = out;
            }
        }
        result.rows_written = self.conn.total_changes().saturating_sub(before);
        Ok(result)
    }

    /// The database's size in bytes (pages in use times the page size).
    pub fn database_size(&self) -> Result<u64, StorageError> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((pages * size) as u64)
    }

    /// Opens a savepoint: the writes until [`commit`](Self::commit) or
    /// [`rollback`](Self::rollback) become one transaction.
    pub fn begin(&mut self) -> Result<(), StorageError> {
        self.depth += 1;
        self.conn
            .execute_batch(&format!("SAVEPOINT motu_tx{}", self.depth))?;
        Ok(())
    }

    /// Releases the innermost savepoint.
    pub fn commit(&mut self) -> Result<(), StorageError> {
        if self.depth == 0 {
            return Ok(());
        }
        self.conn
            .execute_batch(&format!("RELEASE motu_tx{}", self.depth))?;
        self.depth -= 1;
        Ok(())
    }

    /// Undoes the writes since the innermost savepoint and releases it.
    pub fn rollback(&mut self) -> Result<(), StorageError> {
        if self.depth == 0 {
            return Ok(());
        }
        let n = self.depth;
        self.conn
            .execute_batch(&format!("ROLLBACK TO motu_tx{n}; RELEASE motu_tx{n}"))?;
        self.depth -= 1;
        Ok(())
    }

    /// The alarm's time, in milliseconds since the epoch.
    pub fn alarm(&self) -> Result<Option<f64>, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM _cf_METADATA WHERE key = ?1")?;
        let mut rows = stmt.query([ALARM_ROW])?;
        Ok(match rows.next()? {
            Some(row) => row.get::<_, Option<f64>>(0)?,
            None => None,
        })
    }

    /// Sets the alarm's time (`None`: deletes it), with the name the
    /// object's id was made from, if any (see [`alarm_name`](Self::alarm_name)).
    pub fn set_alarm(&mut self, at: Option<f64>, name: Option<&str>) -> Result<(), StorageError> {
        let Some(at) = at else {
            self.conn
                .execute("DELETE FROM _cf_METADATA WHERE key = ?1", [ALARM_ROW])?;
            return Ok(());
        };
        self.atomically(|conn| {
            let mut set = conn.prepare_cached(
                "INSERT INTO _cf_METADATA (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?;
            set.execute(rusqlite::params![ALARM_ROW, at])?;
            if let Some(name) = name {
                set.execute(rusqlite::params![NAME_ROW, name])?;
            }
            Ok(())
        })
    }

    /// The name the object's id was made from, as [`set_alarm`](Self::set_alarm)
    /// kept it.
    pub fn alarm_name(&self) -> Result<Option<String>, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM _cf_METADATA WHERE key = ?1")?;
        let mut rows = stmt.query([NAME_ROW])?;
        Ok(match rows.next()? {
            Some(row) => row.get::<_, Option<String>>(0)?,
            None => None,
        })
    }

    /// Runs `f` in a savepoint: all of its writes or none.
    fn atomically<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StorageError> {
        // Prepared once per connection: parsing them is most of their cost.
        self.conn.prepare_cached("SAVEPOINT motu_op")?.execute([])?;
        match f(&self.conn) {
            Ok(value) => {
                self.conn.prepare_cached("RELEASE motu_op")?.execute([])?;
                Ok(value)
            }
            Err(e) => {
                let _ = self
                    .conn
                    .execute_batch("ROLLBACK TO motu_op; RELEASE motu_op");
                Err(e.into())
            }
        }
    }
}

/// The write-ahead log of the database at `database` (`<database>-wal`).
fn wal_path(database: &Path) -> PathBuf {
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// Makes durable what an object's database shows before the object reads
/// any of it, when the last connection left its log behind.
///
/// The log's last commits may never have reached the disk: the process
/// died before a flush, or a flush failed. The runtime resets an object
/// whose flush failed (its connection closes, and the next event opens the
/// database anew), and its connection's close copies the log into the
/// database and syncs it — but a failed fsync can fail that checkpoint
/// too (the error is reported again to the descriptor SQLite holds), and
/// then the log stays. A later fsync's success says nothing of pages an
/// earlier one failed to write (the kernel may have marked them clean,
/// written or not), so the new connection must not serve the log from the
/// page cache as it is: it checkpoints it first. SQLite syncs the log,
/// writes every page of it into the database, syncs the database and
/// truncates the log; once that succeeded, what the object reads is on
/// disk, rewritten after the failure — a commit the failed flush covered
/// is there only if it was rewritten and synced now, never acknowledged
/// from memory alone. A commit whose frames were lost fails the log's
/// checksums, and SQLite's recovery ends the log before it. If the
/// checkpoint fails, the database is not opened (the object's storage
/// calls throw; a later one tries again).
fn checkpoint_left_log(conn: &Connection) -> Result<(), rusqlite::Error> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?;
    if busy != 0 {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some(
                "the write-ahead log left by an earlier connection could not be checkpointed"
                    .into(),
            ),
        ));
    }
    Ok(())
}

/// One alarm of the index: which object, when, and how many times its
/// handler failed.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRow {
    /// The object's namespace key.
    pub namespace: String,
    /// The object's id.
    pub id: String,
    /// The Worker that exports its class.
    pub worker: String,
    /// Its class.
    pub class: String,
    /// The name its id was made from, if any.
    pub name: Option<String>,
    /// When it is due, in milliseconds since the epoch.
    pub at: f64,
    /// Failed runs so far (`alarmInfo.retryCount`).
    pub retry: u32,
}

/// An alarm of the index, from a row of its columns `namespace, id, worker,
/// class, name, at, retry`.
fn alarm_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AlarmRow> {
    Ok(AlarmRow {
        namespace: r.get(0)?,
        id: r.get(1)?,
        worker: r.get(2)?,
        class: r.get(3)?,
        name: r.get(4)?,
        at: r.get(5)?,
        retry: r.get(6)?,
    })
}

/// The index of every object's alarm (`durable/alarms.sqlite`): what the
/// scheduler reads to fire alarms, across restarts. Each object's own
/// database keeps its alarm too (what `getAlarm` reads); the two are
/// written together.
///
/// The object's database is the record, and the index a cache of it: the
/// object's flush is what makes its alarm durable (the index is never
/// flushed for it: one fsync of the shared index would cover every
/// object's rows, and a failed one would leave rows that a later
/// successful one seems to cover), and at start-up the index is rebuilt
/// from the objects' databases ([`reconcile`](Self::reconcile)), so a row
/// the index lost in a crash comes back, and a row of an alarm the object
/// deleted goes. Each row keeps the alarm it was made for (`alarm`), apart
/// from when it is due (`at`, later once the handler failed and is
/// retried), so that a rebuild keeps a retry's state.
#[derive(Debug)]
pub struct AlarmIndex {
    conn: Connection,
}

impl AlarmIndex {
    /// The index's file under the state folder `state`.
    pub fn path_in(state: &Path) -> PathBuf {
        state.join("durable").join("alarms.sqlite")
    }

    /// Opens (or creates) the index at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = crate::sqlite::open_with_schema(
            path,
            "CREATE TABLE IF NOT EXISTS alarms (namespace TEXT NOT NULL, id TEXT NOT NULL, \
             worker TEXT NOT NULL, class TEXT NOT NULL, name TEXT, at REAL NOT NULL, \
             retry INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (namespace, id)) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS alarms_at ON alarms (at);",
        )?;
        conn.execute_batch("PRAGMA synchronous=NORMAL;")?;
        // The alarm a row was made for (see the type's docs); an index
        // made before it was kept has it added, empty (its rows count as
        // made for the time they are due).
        let has_alarm: bool = conn.query_row(
            "SELECT count(*) FROM pragma_table_info('alarms') WHERE name = 'alarm'",
            [],
            |r| r.get::<_, i64>(0).map(|n| n > 0),
        )?;
        if !has_alarm {
            conn.execute_batch("ALTER TABLE alarms ADD COLUMN alarm REAL")?;
        }
        Ok(Self { conn })
    }

    /// Sets (or replaces) an object's alarm, with no failed runs.
    pub fn set(&self, row: &AlarmRow) -> Result<(), StorageError> {
        self.conn.execute(
            "INSERT INTO alarms (namespace, id, worker, class, name, at, retry, alarm) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6) \
             ON CONFLICT (namespace, id) DO UPDATE SET worker = excluded.worker, \
             class = excluded.class, name = excluded.name, at = excluded.at, \
             retry = excluded.retry, alarm = excluded.alarm",
            rusqlite::params![
                row.namespace,
                row.id,
                row.worker,
                row.class,
                row.name,
                row.at,
                row.retry
            ],
        )?;
        Ok(())
    }

    /// Deletes an object's alarm.
    pub fn delete(&self, namespace: &str, id: &str) -> Result<(), StorageError> {
        self.conn.execute(
            "DELETE FROM alarms WHERE namespace = ?1 AND id = ?2",
            [namespace, id],
        )?;
        Ok(())
    }

    /// The alarms due at `now` (ms since the epoch), earliest first, at
    /// most `limit`.
    pub fn due(&self, now: f64, limit: usize) -> Result<Vec<AlarmRow>, StorageError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT namespace, id, worker, class, name, at, retry FROM alarms \
             WHERE at <= ?1 ORDER BY at LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![now, limit as i64], alarm_row)?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    /// The alarm of the object `id` of `namespace`, if it has one.
    pub fn get(&self, namespace: &str, id: &str) -> Result<Option<AlarmRow>, StorageError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT namespace, id, worker, class, name, at, retry FROM alarms \
             WHERE namespace = ?1 AND id = ?2",
        )?;
        let mut rows = stmt.query_map([namespace, id], alarm_row)?;
        Ok(rows.next().transpose()?)
    }

    /// When the earliest alarm due after `now` (ms since the epoch) is due.
    pub fn next_after(&self, now: f64) -> Result<Option<f64>, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT min(at) FROM alarms WHERE at > ?1")?;
        Ok(stmt.query_row([now], |r| r.get::<_, Option<f64>>(0))?)
    }

    /// Reschedules an alarm whose run failed, if it is still the one that
    /// ran (due at `was`): due at `at` with `retry` failed runs.
    pub fn retry(
        &self,
        namespace: &str,
        id: &str,
        was: f64,
        at: f64,
        retry: u32,
    ) -> Result<(), StorageError> {
        self.conn.execute(
            "UPDATE alarms SET at = ?4, retry = ?5 WHERE namespace = ?1 AND id = ?2 AND at = ?3",
            rusqlite::params![namespace, id, was, at, retry],
        )?;
        Ok(())
    }
}

/// The record of the migrations applied to each Worker's classes
/// (`durable/migrations.sqlite`): a tag is applied once, in the order the
/// config lists them.
#[derive(Debug)]
pub struct MigrationLog {
    conn: Connection,
}

impl MigrationLog {
    /// Opens (or creates) the record in the state folder `state`.
    pub fn open(state: &Path) -> Result<Self, StorageError> {
        let dir = state.join("durable");
        std::fs::create_dir_all(&dir).map_err(|source| StorageError::Io {
            path: dir.clone(),
            source,
        })?;
        let conn = crate::sqlite::open_with_schema(
            &dir.join("migrations.sqlite"),
            "CREATE TABLE IF NOT EXISTS migrations (worker TEXT NOT NULL, tag TEXT NOT NULL, \
             applied_at INTEGER NOT NULL, PRIMARY KEY (worker, tag)) WITHOUT ROWID;",
        )?;
        Ok(Self { conn })
    }

    /// Whether `worker`'s migration `tag` was applied.
    pub fn applied(&self, worker: &str, tag: &str) -> Result<bool, StorageError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM migrations WHERE worker = ?1 AND tag = ?2",
            [worker, tag],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Records `worker`'s migration `tag` as applied (durably).
    pub fn record(&self, worker: &str, tag: &str, now_s: i64) -> Result<(), StorageError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO migrations (worker, tag, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![worker, tag, now_s],
        )?;
        Ok(())
    }
}

/// Deletes every object of namespace `namespace` (its folder) and its
/// alarms: what a `deleted_classes` migration does.
pub fn delete_namespace(state: &Path, namespace: &str) -> Result<(), StorageError> {
    let dir = state.join("durable").join(namespace);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(StorageError::Io { path: dir, source }),
    }
    let index = AlarmIndex::path_in(state);
    if index.is_file() {
        AlarmIndex::open(&index)?
            .conn
            .execute("DELETE FROM alarms WHERE namespace = ?1", [namespace])?;
    }
    Ok(())
}

/// Whether `sql` names one of the store's own tables (`_cf_…`).
fn mentions_own_table(sql: &str) -> bool {
    sql.to_ascii_lowercase().contains("_cf_")
}

/// Makes an object's commits durable: fsyncs its write-ahead log. Blocking;
/// `Send`, so it runs on the work pool.
///
/// With `synchronous=NORMAL` a commit only appends to the log; SQLite
/// itself syncs the log before a checkpoint copies it into the database,
/// and the database before the log is reused, so the log is the one file
/// whose last commits may not be on disk yet. (A database without a log,
/// which WAL mode does not leave, has its file synced instead.)
///
/// An object's flusher keeps the log open from its first flush on: the one
/// connection of an object's database (see [`ObjectStorage::open`]) never
/// replaces its log while it is open — it restarts it in place — and
/// removes it only when it closes, after copying it into the database and
/// syncing that (a flush of the removed file then syncs what is already
/// safe).
///
/// A flush of an object's storage that fails fails every later flush of
/// it too, as the group commit's do ([`crate::group_commit`]): after a
/// failed fsync the kernel may have dropped the pages it could not write,
/// so a later fsync's success says nothing of the commits the failed one
/// covered. The storage is then of no more use for writes that must be
/// durable: the runtime resets the object and opens its database anew
/// (see `checkpoint_left_log`).
#[derive(Debug, Clone)]
pub struct Flusher {
    path: PathBuf,
    /// The log kept open, shared by the flushers of one object's storage.
    wal: Arc<Mutex<KeptLog>>,
}

/// The log of one object's storage, shared by its flushers.
#[derive(Debug, Default)]
struct KeptLog {
    /// The log, opened by the first flush.
    file: Option<File>,
    /// The error of the flush that failed, if one did: every later flush
    /// fails with it.
    failed: Option<(std::io::ErrorKind, String)>,
}

impl KeptLog {
    /// Fsyncs the log at `wal` of the database at `database` (or the
    /// database, if it has no log).
    fn sync(&mut self, wal: &Path, database: &Path) -> std::io::Result<()> {
        if let Some(e) = crate::fault::fsync_fault(database) {
            return Err(e);
        }
        if self.file.is_none() {
            match File::open(wal) {
                Ok(file) => self.file = Some(file),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(file) = &self.file {
            return file.sync_data();
        }
        match File::open(database) {
            Ok(file) => file.sync_data(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Flusher {
    /// Fsyncs the database's log: every commit made before this was called
    /// is on disk when it returns `Ok`. For an object's storage, an error
    /// is for good (see the type's docs).
    pub fn flush(&self) -> Result<(), StorageError> {
        let wal = wal_path(&self.path);
        let mut kept = self.wal.lock();
        if let Some((kind, message)) = &kept.failed {
            let source = std::io::Error::new(*kind, message.clone());
            return Err(StorageError::Io { path: wal, source });
        }
        let result = kept.sync(&wal, &self.path);
        if let Err(e) = &result {
            kept.failed = Some((e.kind(), e.to_string()));
        }
        result.map_err(|source| StorageError::Io { path: wal, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ObjectStorage) {
        let dir = tempfile::tempdir().unwrap();
        let s = ObjectStorage::open(&object_path(dir.path(), "ns", "abc")).unwrap();
        (dir, s)
    }

    #[test]
    fn pairs_are_kept_listed_and_deleted() {
        let (_dir, mut s) = store();
        let pairs: Vec<(String, Vec<u8>)> = ["b", "a", "ab", "c"]
            .iter()
            .map(|k| (k.to_string(), k.as_bytes().to_vec()))
            .collect();
        s.put(&pairs).unwrap();
        assert_eq!(
            s.get(&["a".into(), "zz".into()]).unwrap(),
            vec![Some(b"a".to_vec()), None]
        );
        let keys = |o: ListOptions| -> Vec<String> {
            s.list(&o).unwrap().into_iter().map(|(k, _)| k).collect()
        };
        assert_eq!(keys(ListOptions::default()), ["a", "ab", "b", "c"]);
        let prefix = ListOptions {
            prefix: Some("a".into()),
            ..Default::default()
        };
        assert_eq!(keys(prefix), ["a", "ab"]);
        let window = ListOptions {
            start_after: Some("a".into()),
            end: Some("c".into()),
            reverse: true,
            limit: Some(1),
            ..Default::default()
        };
        assert_eq!(keys(window), ["b"]);
        assert_eq!(s.delete(&["a".into(), "nope".into()]).unwrap(), 1);
        s.exec("CREATE TABLE t (x)", &[]).unwrap();
        s.set_alarm(Some(5.0), None).unwrap();
        // Keeping the alarm (a compatibility date before 2026-02-24).
        s.delete_all(true).unwrap();
        assert!(s.list(&ListOptions::default()).unwrap().is_empty());
        assert_eq!(s.alarm().unwrap(), Some(5.0));
        assert!(s.exec("SELECT * FROM t", &[]).is_err(), "tables go too");
        s.put(&[("a".into(), b"1".to_vec())]).unwrap();
        s.delete_all(false).unwrap();
        assert!(s.list(&ListOptions::default()).unwrap().is_empty());
        assert_eq!(s.alarm().unwrap(), None);
    }

    #[test]
    fn sql_runs_with_bindings_and_counts_rows() {
        let (_dir, mut s) = store();
        s.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", &[])
            .unwrap();
        let w = s
            .exec(
                "INSERT INTO t (name) VALUES (?), (?)",
                &[D1Value::Text("x".into()), D1Value::Text("y".into())],
            )
            .unwrap();
        assert_eq!(w.rows_written, 2);
        let r = s.exec("SELECT id, name FROM t ORDER BY id", &[]).unwrap();
        assert_eq!(r.columns, ["id", "name"]);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows_read, 2);
        assert!(s.exec("SELECT * FROM _cf_KV", &[]).is_err());
        assert!(s.exec("SELECT ?", &[]).is_err(), "a missing binding");
        assert!(s.database_size().unwrap() > 0);
    }

    #[test]
    fn the_alarm_index_keeps_due_alarms_and_their_retries() {
        let dir = tempfile::tempdir().unwrap();
        let index = AlarmIndex::open(&AlarmIndex::path_in(dir.path())).unwrap();
        let row = |id: &str, at: f64| AlarmRow {
            namespace: "ns".into(),
            id: id.into(),
            worker: "w".into(),
            class: "C".into(),
            name: None,
            at,
            retry: 0,
        };
        index.set(&row("a", 100.0)).unwrap();
        index.set(&row("b", 300.0)).unwrap();
        assert_eq!(index.due(200.0, 10).unwrap(), vec![row("a", 100.0)]);
        index.retry("ns", "a", 100.0, 250.0, 1).unwrap();
        assert!(index.due(200.0, 10).unwrap().is_empty());
        let due = index.due(1000.0, 10).unwrap();
        assert_eq!((due[0].id.as_str(), due[0].retry), ("a", 1));
        index.delete("ns", "a").unwrap();
        assert_eq!(index.due(1000.0, 10).unwrap().len(), 1);
    }

    #[test]
    fn the_alarm_index_tells_an_objects_alarm_and_the_next_one_due() {
        let dir = tempfile::tempdir().unwrap();
        let index = AlarmIndex::open(&AlarmIndex::path_in(dir.path())).unwrap();
        assert_eq!(index.next_after(0.0).unwrap(), None);
        for (id, at) in [("a", 100.0), ("b", 300.0), ("c", 200.0)] {
            index
                .set(&AlarmRow {
                    namespace: "ns".into(),
                    id: id.into(),
                    worker: "w".into(),
                    class: "C".into(),
                    name: None,
                    at,
                    retry: 0,
                })
                .unwrap();
        }
        assert_eq!(index.next_after(0.0).unwrap(), Some(100.0));
        assert_eq!(index.next_after(100.0).unwrap(), Some(200.0));
        assert_eq!(index.next_after(300.0).unwrap(), None);
        assert_eq!(index.get("ns", "b").unwrap().map(|r| r.at), Some(300.0));
        assert_eq!(index.get("ns", "z").unwrap(), None);
    }

    #[test]
    fn the_objects_connection_holds_its_database_until_it_closes() {
        let dir = tempfile::tempdir().unwrap();
        let path = object_path(dir.path(), "ns", "held");
        let mut s = ObjectStorage::open(&path).unwrap();
        s.put(&[("k".into(), vec![1])]).unwrap();
        // No other connection reads it meanwhile: the object's connection
        // keeps its lock between statements (none taken per statement).
        let other = Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        assert!(other
            .query_row("SELECT count(*) FROM _cf_KV", [], |r| r.get::<_, i64>(0))
            .is_err());
        s.flusher().flush().unwrap();
        drop(s);
        let n: i64 = other
            .query_row("SELECT count(*) FROM _cf_KV", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_log_left_behind_is_checkpointed_before_the_object_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = object_path(dir.path(), "ns", "live");
        let mut s = ObjectStorage::open(&path).unwrap();
        s.put(&[("k".into(), vec![7])]).unwrap();
        // What a crash leaves (or a close whose checkpoint failed): the
        // database and a log holding the last commits, never flushed.
        let left = object_path(dir.path(), "ns", "left");
        std::fs::copy(&path, &left).unwrap();
        std::fs::copy(wal_path(&path), wal_path(&left)).unwrap();
        assert!(std::fs::metadata(wal_path(&left)).unwrap().len() > 0);
        drop(s);
        let reopened = ObjectStorage::open(&left).unwrap();
        // The log was copied into the database (and synced) and emptied
        // before anything was read: what the object reads is the database
        // file's.
        assert_eq!(std::fs::metadata(wal_path(&left)).unwrap().len(), 0);
        assert_eq!(reopened.get(&["k".into()]).unwrap(), vec![Some(vec![7])]);
    }

    #[cfg(feature = "fault-injection")]
    #[test]
    fn a_failed_flush_fails_every_later_flush_of_the_storage() {
        let dir = tempfile::tempdir().unwrap();
        let faults = dir.path().join("faults");
        std::fs::create_dir(&faults).unwrap();
        // The only test of this crate that sets the variable.
        std::env::set_var(crate::fault::FAIL_FSYNC_VAR, &faults);
        let mut s = ObjectStorage::open(&object_path(dir.path(), "ns", "faulty")).unwrap();
        s.put(&[("k".into(), vec![1])]).unwrap();
        s.flusher().flush().unwrap();
        std::fs::write(faults.join("faulty"), b"").unwrap();
        assert!(matches!(s.flusher().flush(), Err(StorageError::Io { .. })));
        std::fs::remove_file(faults.join("faulty")).unwrap();
        // The storage's flushes fail for good: only a new connection
        // flushes again.
        assert!(matches!(s.flusher().flush(), Err(StorageError::Io { .. })));
        let path = s.path().to_path_buf();
        drop(s);
        let s = ObjectStorage::open(&path).unwrap();
        assert_eq!(s.get(&["k".into()]).unwrap(), vec![Some(vec![1])]);
        s.flusher().flush().unwrap();
    }

    #[test]
    fn savepoints_roll_back_and_commits_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = object_path(dir.path(), "ns", "x");
        {
            let mut s = ObjectStorage::open(&path).unwrap();
            s.begin().unwrap();
            s.put(&[("gone".into(), vec![1])]).unwrap();
            s.rollback().unwrap();
            s.begin().unwrap();
            s.put(&[("kept".into(), vec![2])]).unwrap();
            s.commit().unwrap();
            s.set_alarm(Some(1234.0), Some("x")).unwrap();
            s.flusher().flush().unwrap();
        }
        let s = ObjectStorage::open(&path).unwrap();
        assert_eq!(
            s.get(&["gone".into(), "kept".into()]).unwrap(),
            vec![None, Some(vec![2])]
        );
        assert_eq!(s.alarm().unwrap(), Some(1234.0));
        assert_eq!(s.alarm_name().unwrap().as_deref(), Some("x"));
    }
}
