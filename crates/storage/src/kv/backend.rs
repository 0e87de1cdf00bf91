//! The KV seam: what a KV binding needs of a namespace, whatever keeps it.

use super::{KvEntry, KvList, KvStore};
use crate::StorageError;

/// A KV namespace as the binding uses it: [`KvStore`] (embedded, SQLite in
/// the state folder) or [`RedisKv`](crate::redis::RedisKv) (shared by a
/// cluster's nodes). Both keep keys in byte order, honour expiration on
/// every read against the `now_ms` they are given (milliseconds since the
/// Unix epoch), and acknowledge a write once it is stored. Every method
/// blocks: call them off the executor threads.
pub trait KvBackend: Send + Sync + std::fmt::Debug + 'static {
    /// The entry of `key`, unless it is missing or expired at `now_ms`.
    fn get(&self, key: &str, now_ms: i64) -> Result<Option<KvEntry>, StorageError>;

    /// The entries of `keys`, in order, as [`KvBackend::get`] reads each,
    /// from one consistent state.
    fn get_many(&self, keys: &[String], now_ms: i64) -> Result<Vec<Option<KvEntry>>, StorageError>;

    /// Stores `value` under `key`, replacing what was there; `expiration`
    /// in seconds since the Unix epoch, `metadata` as JSON text.
    fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        expiration: Option<i64>,
        metadata: Option<&str>,
    ) -> Result<(), StorageError>;

    /// Deletes `key` (nothing happens if it is missing).
    fn delete(&self, key: &str) -> Result<(), StorageError>;

    /// Up to `limit` live keys that start with `prefix`, in byte order,
    /// after the `cursor` of an earlier page; the page's cursor when more
    /// keys follow.
    fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<&str>,
        now_ms: i64,
    ) -> Result<KvList, StorageError>;
}

impl KvBackend for KvStore {
    fn get(&self, key: &str, now_ms: i64) -> Result<Option<KvEntry>, StorageError> {
        KvStore::get(self, key, now_ms)
    }

    fn get_many(&self, keys: &[String], now_ms: i64) -> Result<Vec<Option<KvEntry>>, StorageError> {
        KvStore::get_many(self, keys, now_ms)
    }

    fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        expiration: Option<i64>,
        metadata: Option<&str>,
    ) -> Result<(), StorageError> {
        KvStore::put(self, key, &value, expiration, metadata)
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        KvStore::delete(self, key)
    }

    fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<&str>,
        now_ms: i64,
    ) -> Result<KvList, StorageError> {
        KvStore::list(self, prefix, limit, cursor, now_ms)
    }
}
