//! KV namespaces: keys to values, with metadata and expiry, in one SQLite
//! database per namespace (`kv/<namespace id>.sqlite` in the state folder).
//!
//! [`KvBackend`] is what the binding uses of a namespace; [`KvStore`], the
//! embedded one below, is its first implementation, and
//! [`RedisKv`](crate::redis::RedisKv) (the namespaces a cluster's nodes
//! share) the second.
//!
//! - Keys are kept as their UTF-8 bytes, so [`KvStore::list`] returns them
//!   in the order Cloudflare's KV does (lexicographic by bytes) and a prefix
//!   is a range of the index.
//! - A value's **expiration** is an absolute time, in seconds since the Unix
//!   epoch. A key whose expiration has come is invisible at once (every
//!   read checks the time it is given) and is deleted later by the
//!   [`Janitor`], in the background.
//! - **Metadata** is kept as the JSON text the binding serialised.
//! - Every write is one durable SQLite transaction ([`crate::sqlite`]): when
//!   [`KvStore::put`] returns, the value is on disk.
//!
//! The limits of Cloudflare's API (key and value sizes, expiration at
//! least 60 seconds ahead, …) are the binding's to check: this store keeps
//! whatever it is given.

mod backend;
mod janitor;

use std::path::Path;

use rusqlite::{params, OptionalExtension};

use crate::{Database, StorageError};

pub use backend::KvBackend;
pub use janitor::{Janitor, PURGE_INTERVAL};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    key BLOB NOT NULL UNIQUE,
    value BLOB NOT NULL,
    expiration INTEGER,
    metadata TEXT
);
CREATE INDEX IF NOT EXISTS kv_expiration ON kv (expiration) WHERE expiration IS NOT NULL;
";

/// A value as read, with what was stored beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntry {
    /// The value's bytes.
    pub value: Vec<u8>,
    /// When it expires, in seconds since the Unix epoch.
    pub expiration: Option<i64>,
    /// Its metadata, as JSON text.
    pub metadata: Option<String>,
}

/// One key of a [`KvList`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvListKey {
    /// The key.
    pub name: String,
    /// When it expires, in seconds since the Unix epoch.
    pub expiration: Option<i64>,
    /// Its metadata, as JSON text.
    pub metadata: Option<String>,
}

/// One page of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvList {
    /// The keys, in order.
    pub keys: Vec<KvListKey>,
    /// Where the next page starts, when there are more keys.
    pub cursor: Option<String>,
}

/// One KV namespace (see the module docs).
#[derive(Debug)]
pub struct KvStore {
    db: Database,
}

/// Whether an entry of `expiration` (seconds) is still visible at `now_ms`.
fn live(expiration: Option<i64>, now_ms: i64) -> bool {
    expiration.is_none_or(|e| e.saturating_mul(1000) > now_ms)
}

impl KvStore {
    /// Opens (or creates) the namespace whose database is at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        Ok(Self {
            db: Database::open(path, SCHEMA)?,
        })
    }

    /// The namespace's database file.
    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// The entry of `key`, unless it is missing or expired at `now_ms`
    /// (milliseconds since the Unix epoch).
    pub fn get(&self, key: &str, now_ms: i64) -> Result<Option<KvEntry>, StorageError> {
        self.db.read(|tx| get_in(tx, key, now_ms))
    }

    /// The entries of `keys`, in order, as [`KvStore::get`] reads each, all
    /// from one committed state.
    pub fn get_many(
        &self,
        keys: &[String],
        now_ms: i64,
    ) -> Result<Vec<Option<KvEntry>>, StorageError> {
        self.db
            .read(|tx| keys.iter().map(|k| get_in(tx, k, now_ms)).collect())
    }

    /// Stores `value` under `key` (replacing what was there), durably.
    pub fn put(
        &self,
        key: &str,
        value: &[u8],
        expiration: Option<i64>,
        metadata: Option<&str>,
    ) -> Result<(), StorageError> {
        self.db.write(|tx| {
            tx.execute(
                "INSERT INTO kv (key, value, expiration, metadata) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                     expiration = excluded.expiration, metadata = excluded.metadata",
                params![key.as_bytes(), value, expiration, metadata],
            )?;
            Ok(())
        })
    }

    /// Deletes `key` (nothing happens if it is missing), durably.
    pub fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.db.write(|tx| {
            tx.execute("DELETE FROM kv WHERE key = ?1", [key.as_bytes()])?;
            Ok(())
        })
    }

    /// Up to `limit` keys that start with `prefix`, in order, after the
    /// `cursor` of an earlier page; expired keys (at `now_ms`) are left out.
    pub fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<&str>,
        now_ms: i64,
    ) -> Result<KvList, StorageError> {
        let after = cursor.and_then(decode_cursor);
        let low = prefix.as_bytes().to_vec();
        let high = prefix_end(prefix.as_bytes());
        self.db.read(|tx| {
            let mut statement = tx.prepare_cached(
                "SELECT key, expiration, metadata FROM kv
                 WHERE key >= ?1 AND (?2 IS NULL OR key < ?2) AND (?3 IS NULL OR key > ?3)
                   AND (expiration IS NULL OR expiration * 1000 > ?4)
                 ORDER BY key LIMIT ?5",
            )?;
            let rows = statement.query_map(
                params![low, high, after, now_ms, limit as i64 + 1],
                |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        row.get::<_, Option<i64>>(1)?,
                        row.get::<_, Option<String>>(2)?,
                    ))
                },
            )?;
            let mut keys = Vec::new();
            let mut more = false;
            for row in rows {
                let (key, expiration, metadata) = row?;
                if keys.len() == limit {
                    more = true;
                    break;
                }
                keys.push((key, expiration, metadata));
            }
            let cursor = more
                .then(|| keys.last().map(|(k, _, _)| encode_cursor(k)))
                .flatten();
            Ok(KvList {
                keys: keys
                    .into_iter()
                    .map(|(key, expiration, metadata)| KvListKey {
                        name: String::from_utf8_lossy(&key).into_owned(),
                        expiration,
                        metadata,
                    })
                    .collect(),
                cursor,
            })
        })
    }

    /// Deletes up to `batch` keys that expired by `now_ms`: how many it
    /// deleted.
    pub fn purge_expired(&self, now_ms: i64, batch: usize) -> Result<usize, StorageError> {
        self.db.write(|tx| {
            let n = tx.execute(
                "DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv
                   WHERE expiration IS NOT NULL AND expiration * 1000 <= ?1 LIMIT ?2)",
                params![now_ms, batch as i64],
            )?;
            Ok(n)
        })
    }

    /// How many rows the database holds, expired ones included (for tests
    /// and diagnostics).
    pub fn stored_rows(&self) -> Result<u64, StorageError> {
        self.db.read(|tx| {
            Ok(tx.query_row("SELECT count(*) FROM kv", [], |r| r.get::<_, i64>(0))? as u64)
        })
    }
}

fn get_in(
    tx: &rusqlite::Transaction<'_>,
    key: &str,
    now_ms: i64,
) -> Result<Option<KvEntry>, StorageError> {
    let row = tx
        .prepare_cached("SELECT value, expiration, metadata FROM kv WHERE key = ?1")?
        .query_row([key.as_bytes()], |row| {
            Ok(KvEntry {
                value: row.get(0)?,
                expiration: row.get(1)?,
                metadata: row.get(2)?,
            })
        })
        .optional()?;
    Ok(row.filter(|e| live(e.expiration, now_ms)))
}

/// The smallest byte string greater than every string starting with
/// `prefix` (`None`: there is none, or the prefix is empty).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A cursor: the last key of the page, in hexadecimal.
pub(crate) fn encode_cursor(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn decode_cursor(cursor: &str) -> Option<Vec<u8>> {
    if !cursor.len().is_multiple_of(2) {
        return None;
    }
    (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(cursor.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, KvStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = KvStore::open(&dir.path().join("ns.sqlite")).unwrap();
        (dir, store)
    }

    #[test]
    fn values_round_trip_and_are_replaced() {
        let (_dir, kv) = store();
        assert_eq!(kv.get("a", 0).unwrap(), None);
        kv.put("a", b"one", None, Some(r#"{"m":1}"#)).unwrap();
        kv.put("a", b"two", Some(100), None).unwrap();
        assert_eq!(
            kv.get("a", 0).unwrap(),
            Some(KvEntry {
                value: b"two".to_vec(),
                expiration: Some(100),
                metadata: None
            })
        );
        kv.delete("a").unwrap();
        kv.delete("a").unwrap();
        assert_eq!(kv.get("a", 0).unwrap(), None);
    }

    #[test]
    fn expired_entries_are_invisible_then_purged() {
        let (_dir, kv) = store();
        kv.put("old", b"x", Some(10), None).unwrap();
        kv.put("new", b"y", Some(20), None).unwrap();
        kv.put("ever", b"z", None, None).unwrap();
        let at = |s: i64| s * 1000;
        assert!(kv.get("old", at(10) - 1).unwrap().is_some());
        assert!(kv.get("old", at(10)).unwrap().is_none());
        let names = |l: KvList| l.keys.into_iter().map(|k| k.name).collect::<Vec<_>>();
        assert_eq!(
            names(kv.list("", 10, None, at(15)).unwrap()),
            ["ever", "new"]
        );
        assert_eq!(kv.stored_rows().unwrap(), 3);
        assert_eq!(kv.purge_expired(at(15), 100).unwrap(), 1);
        assert_eq!(kv.stored_rows().unwrap(), 2);
        assert_eq!(
            kv.get_many(&["new".into(), "old".into(), "ever".into()], at(15))
                .unwrap()
                .iter()
                .map(Option::is_some)
                .collect::<Vec<_>>(),
            [true, false, true]
        );
    }

    #[test]
    fn lists_page_in_byte_order_within_a_prefix() {
        let (_dir, kv) = store();
        for k in ["b", "a", "ab", "a\u{e9}", "a\u{ff}x", "b0", "c"] {
            kv.put(k, k.as_bytes(), None, None).unwrap();
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = kv.list("a", 2, cursor.as_deref(), 0).unwrap();
            assert!(page.keys.len() <= 2);
            seen.extend(page.keys.into_iter().map(|k| k.name));
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, ["a", "ab", "a\u{e9}", "a\u{ff}x"]);
        assert_eq!(kv.list("", 1000, None, 0).unwrap().keys.len(), 7);
        let full = kv.list("b", 2, None, 0).unwrap();
        assert_eq!(full.keys.len(), 2);
        assert_eq!(full.cursor, None, "an exactly full last page has no cursor");
        assert_eq!(prefix_end(&[0x61, 0xff]), Some(vec![0x62]));
        assert_eq!(prefix_end(&[0xff]), None);
        assert_eq!(
            decode_cursor(&encode_cursor(b"\x00k\xff")),
            Some(b"\x00k\xff".to_vec())
        );
        assert_eq!(decode_cursor("zz"), None);
    }

    #[test]
    fn a_full_disk_refuses_the_write_and_keeps_the_rest() {
        let (_dir, kv) = store();
        kv.put("a", b"kept", None, None).unwrap();
        // No more room in the file: what SQLite answers when the disk is full.
        kv.db
            .write(|tx| {
                let pages: i64 = tx.query_row("PRAGMA page_count", [], |r| r.get(0))?;
                tx.pragma_update(None, "max_page_count", pages + 2)
                    .map_err(StorageError::from)
            })
            .unwrap();
        let err = kv.put("big", &vec![1u8; 1 << 20], None, None).unwrap_err();
        assert!(err.is_disk_full(), "{err:?}");
        assert_eq!(kv.get("a", 0).unwrap().unwrap().value, b"kept");
        assert_eq!(kv.get("big", 0).unwrap(), None);
    }

    #[test]
    fn data_survives_reopening() {
        let (dir, kv) = store();
        kv.put("k", &vec![7u8; 3 << 20], None, None).unwrap();
        drop(kv);
        let kv = KvStore::open(&dir.path().join("ns.sqlite")).unwrap();
        assert_eq!(kv.get("k", 0).unwrap().unwrap().value.len(), 3 << 20);
    }
}
