//! The Cache API's store: responses kept by URL, in one SQLite database
//! (`cache/cache.sqlite` in the state folder) for every cache of the
//! process.
//!
//! # Concepts
//!
//! - An entry is keyed by a **namespace** (whose caches these are: the
//!   runtime gives each Worker its own, as each zone has its own on
//!   Cloudflare), a **cache name** (`default` for `caches.default`, the
//!   name given to `caches.open(name)`) and the request's **URL**. One URL
//!   holds one response; putting another replaces it.
//! - What is stored, and for how long, follows the response's headers
//!   ([`policy`]); a match answers the way Cloudflare's cache does,
//!   conditional and ranged requests included ([`answer`]). A response
//!   whose `Vary` names request headers matches only a request with the
//!   same values of those headers as the one it was put for.
//! - **Size**: the cache holds at most `max_bytes` of bodies; a put that
//!   goes past it evicts expired entries first, then the least recently
//!   used (put or matched), whatever their namespace. An entry larger than
//!   the whole cache (or than Cloudflare's 512 MB) is refused. A match
//!   writes nothing: the entries it used are remembered in memory and
//!   their stamps written in one transaction before an eviction (or once
//!   [`TOUCHED_BATCH`] have gathered).
//! - **Durability**: a cache may forget. The database is in WAL mode with
//!   `synchronous=NORMAL`: a crash may lose the last entries put, never
//!   corrupt the rest; nothing a Worker stored as data lives here.

pub mod answer;
pub mod policy;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension};

use crate::StorageError;
pub use answer::Answer;
pub use policy::{Decision, Header};

/// The largest response the cache keeps (Cloudflare's 512 MB for Free,
/// Pro and Business plans).
pub const MAX_ENTRY_BYTES: u64 = 512 * 1000 * 1000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    namespace TEXT NOT NULL,
    cache TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    vary TEXT NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    stored_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (namespace, cache, url)
);
CREATE INDEX IF NOT EXISTS entries_used ON entries (used);
CREATE INDEX IF NOT EXISTS entries_expires ON entries (expires_ms);
";

/// How many matched entries' stamps are kept in memory before they are
/// written together.
pub const TOUCHED_BATCH: usize = 1024;

/// Where an entry lives: whose caches, which cache, which URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// Whose caches (the runtime uses the Worker's name).
    pub namespace: String,
    /// The cache: `default`, or the name given to `caches.open`.
    pub cache: String,
    /// The request's URL.
    pub url: String,
}

/// What became of a put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored, fresh for this long.
    Stored(Duration),
    /// Not stored, for this reason (its headers say so; see [`policy`]).
    Skipped(&'static str),
    /// Not stored: its body is larger than the largest entry.
    TooLarge {
        /// The body's size.
        size: u64,
        /// The largest entry the cache takes.
        limit: u64,
    },
}

/// A response to store.
#[derive(Debug, Clone)]
pub struct Response {
    /// Its status.
    pub status: u16,
    /// Its headers.
    pub headers: Vec<Header>,
    /// Its body.
    pub body: Vec<u8>,
}

/// The cache database (see the module docs).
pub struct CacheDb {
    path: PathBuf,
    max_bytes: u64,
    inner: Mutex<Inner>,
}

struct Inner {
    conn: Connection,
    /// Bytes of bodies stored.
    total: u64,
    /// The last `used` stamp given.
    clock: i64,
    /// Entries matched since their stamps were last written, with their
    /// new stamps.
    touched: std::collections::HashMap<CacheKey, i64>,
}

impl Inner {
    /// Writes the stamps of the entries matched since the last time.
    fn write_touched(&mut self) -> Result<(), StorageError> {
        if self.touched.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE entries SET used = ?4 WHERE namespace = ?1 AND cache = ?2 AND url = ?3",
            )?;
            for (key, used) in self.touched.drain() {
                stmt.execute(params![key.namespace, key.cache, key.url, used])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Drop for CacheDb {
    /// Writes the stamps of the entries matched since the last write (a
    /// cache may forget them in a crash; a clean stop keeps them).
    fn drop(&mut self) {
        if let Err(e) = self.inner.get_mut().write_touched() {
            tracing::debug!("the cache's last match stamps were not written: {e}");
        }
    }
}

impl std::fmt::Debug for CacheDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheDb")
            .field("path", &self.path)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The values `request_headers` has for the headers `vary` names (a
/// response's `Vary`), lower-cased names in order.
fn vary_values(vary: Option<&str>, request_headers: &[Header]) -> Vec<(String, Option<String>)> {
    let Some(vary) = vary else { return Vec::new() };
    let mut names: Vec<String> = vary
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| {
            let value = policy::header(request_headers, &n).map(str::to_owned);
            (n, value)
        })
        .collect()
}

impl CacheDb {
    /// Opens (or creates) the cache database at `path`, holding at most
    /// `max_bytes` of bodies.
    pub fn open(path: &Path, max_bytes: u64) -> Result<Self, StorageError> {
        let conn = crate::sqlite::open_with_schema(path, SCHEMA)?;
        conn.execute_batch("PRAGMA synchronous=NORMAL;")?;
        let (total, clock): (i64, i64) = conn.query_row(
            "SELECT COALESCE(SUM(size), 0), COALESCE(MAX(used), 0) FROM entries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Self {
            path: path.to_path_buf(),
            max_bytes,
            inner: Mutex::new(Inner {
                conn,
                total: total as u64,
                clock,
                touched: Default::default(),
            }),
        })
    }

    /// The largest body one entry may have.
    pub fn max_entry_bytes(&self) -> u64 {
        self.max_bytes.min(MAX_ENTRY_BYTES)
    }

    /// Bytes of bodies stored now.
    pub fn stored_bytes(&self) -> u64 {
        self.inner.lock().total
    }

    /// Stores `response` for a GET of `key`'s URL with `request_headers`
    /// at `now`, if its headers allow (see [`policy`]), replacing what the
    /// URL held; evicts what must go to stay within the size.
    pub fn put(
        &self,
        key: &CacheKey,
        request_headers: &[Header],
        response: Response,
        now: SystemTime,
    ) -> Result<PutOutcome, StorageError> {
        let size = response.body.len() as u64;
        if size > self.max_entry_bytes() {
            return Ok(PutOutcome::TooLarge {
                size,
                limit: self.max_entry_bytes(),
            });
        }
        let (headers, ttl) = match policy::decide(response.status, &response.headers, now) {
            Decision::Store { headers, ttl } => (headers, ttl),
            Decision::Skip(why) => return Ok(PutOutcome::Skipped(why)),
        };
        let vary = vary_values(policy::header(&headers, "vary"), request_headers);
        let headers_json = serde_json::to_string(&headers).expect("strings serialise");
        let vary_json = serde_json::to_string(&vary).expect("strings serialise");
        let now_ms = millis(now);
        let expires_ms = now_ms.saturating_add(ttl.as_millis().min(i64::MAX as u128) as i64);
        let mut inner = self.inner.lock();
        inner.clock += 1;
        let used = inner.clock;
        // The new entry's stamp is newer than any match of the old one.
        inner.touched.remove(key);
        let tx = inner.conn.transaction()?;
        let old: Option<i64> = tx
            .query_row(
                "SELECT size FROM entries WHERE namespace = ?1 AND cache = ?2 AND url = ?3",
                params![key.namespace, key.cache, key.url],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT OR REPLACE INTO entries
                (namespace, cache, url, status, headers, vary, body, size, stored_ms, expires_ms, used)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                key.namespace,
                key.cache,
                key.url,
                response.status,
                headers_json,
                vary_json,
                response.body,
                size as i64,
                now_ms,
                expires_ms,
                used
            ],
        )?;
        tx.commit()?;
        inner.total = inner.total.saturating_sub(old.unwrap_or(0) as u64) + size;
        self.evict(&mut inner, now_ms)?;
        Ok(PutOutcome::Stored(ttl))
    }

    /// Removes expired entries, then the least recently used, until the
    /// bodies fit in `max_bytes`.
    fn evict(&self, inner: &mut Inner, now_ms: i64) -> Result<(), StorageError> {
        if inner.total <= self.max_bytes {
            return Ok(());
        }
        inner.write_touched()?;
        let freed: i64 = inner.conn.query_row(
            "SELECT COALESCE(SUM(size), 0) FROM entries WHERE expires_ms <= ?1",
            [now_ms],
            |r| r.get(0),
        )?;
        inner
            .conn
            .execute("DELETE FROM entries WHERE expires_ms <= ?1", [now_ms])?;
        inner.total = inner.total.saturating_sub(freed as u64);
        while inner.total > self.max_bytes {
            let oldest: Vec<(i64, i64)> = {
                let mut stmt = inner
                    .conn
                    .prepare_cached("SELECT used, size FROM entries ORDER BY used LIMIT 32")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            if oldest.is_empty() {
                inner.total = 0;
                break;
            }
            let mut upto = 0;
            for (used, size) in oldest {
                upto = used;
                inner.total = inner.total.saturating_sub(size as u64);
                if inner.total <= self.max_bytes {
                    break;
                }
            }
            inner
                .conn
                .execute("DELETE FROM entries WHERE used <= ?1", [upto])?;
        }
        Ok(())
    }

    /// The answer for a GET of `key`'s URL with `request_headers` at `now`
    /// (see [`answer`]) and the stored body's bytes it sends, or `None`
    /// when nothing fresh matches.
    pub fn matching(
        &self,
        key: &CacheKey,
        request_headers: &[Header],
        now: SystemTime,
    ) -> Result<Option<(Answer, Vec<u8>)>, StorageError> {
        let now_ms = millis(now);
        let mut inner = self.inner.lock();
        type Row = (u16, String, String, Vec<u8>, i64, i64);
        let row: Option<Row> = inner
            .conn
            .prepare_cached(
                "SELECT status, headers, vary, body, stored_ms, expires_ms FROM entries
                 WHERE namespace = ?1 AND cache = ?2 AND url = ?3",
            )?
            .query_row(params![key.namespace, key.cache, key.url], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()?;
        let Some((status, headers, vary, body, stored_ms, expires_ms)) = row else {
            return Ok(None);
        };
        if expires_ms <= now_ms {
            self.remove(&mut inner, key)?;
            return Ok(None);
        }
        let headers: Vec<Header> = serde_json::from_str(&headers).unwrap_or_default();
        let vary: Vec<(String, Option<String>)> = serde_json::from_str(&vary).unwrap_or_default();
        let varies = vary
            .iter()
            .any(|(name, value)| policy::header(request_headers, name) != value.as_deref());
        if varies {
            return Ok(None);
        }
        inner.clock += 1;
        let used = inner.clock;
        inner.touched.insert(key.clone(), used);
        if inner.touched.len() >= TOUCHED_BATCH {
            inner.write_touched()?;
        }
        let age_s = (now_ms.saturating_sub(stored_ms) / 1000).max(0) as u64;
        let answer = answer::answer(status, &headers, body.len(), age_s, request_headers);
        let body = if answer.body == (0..body.len()) {
            body
        } else {
            body[answer.body.clone()].to_vec()
        };
        Ok(Some((answer, body)))
    }

    /// Removes what `key`'s URL holds: whether it held anything fresh.
    pub fn delete(&self, key: &CacheKey, now: SystemTime) -> Result<bool, StorageError> {
        let mut inner = self.inner.lock();
        let expires: Option<i64> = inner
            .conn
            .query_row(
                "SELECT expires_ms FROM entries WHERE namespace = ?1 AND cache = ?2 AND url = ?3",
                params![key.namespace, key.cache, key.url],
                |r| r.get(0),
            )
            .optional()?;
        let Some(expires) = expires else {
            return Ok(false);
        };
        self.remove(&mut inner, key)?;
        Ok(expires > millis(now))
    }

    fn remove(&self, inner: &mut Inner, key: &CacheKey) -> Result<(), StorageError> {
        let size: Option<i64> = inner
            .conn
            .query_row(
                "DELETE FROM entries WHERE namespace = ?1 AND cache = ?2 AND url = ?3
                 RETURNING size",
                params![key.namespace, key.cache, key.url],
                |r| r.get(0),
            )
            .optional()?;
        inner.total = inner.total.saturating_sub(size.unwrap_or(0) as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
