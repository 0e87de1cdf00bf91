//! KV namespaces in Redis: what every node of a cluster reads and writes.
//!
//! A namespace `NS` is three kinds of Redis keys, all with the hash tag
//! `{NS}` (so that a Redis Cluster keeps a namespace on one shard, where
//! `MULTI` and scripts can span them):
//!
//! - `motu:kv:{NS}:v:<key>`: a hash per entry: `v` the value's bytes, `m`
//!   its metadata (JSON text), `e` its expiration (seconds since the Unix
//!   epoch). An entry with an expiration is also given to Redis with
//!   `EXPIREAT`, so Redis deletes it on time by itself.
//! - `motu:kv:{NS}:keys`: a **sorted set of the key names**, every score
//!   0. KV's `list` must return keys in byte order, from a prefix, resuming
//!   after a cursor; `SCAN` can do none of that (its order is the hash
//!   table's and its cursor is not a key), while members of a sorted set
//!   with equal scores are ordered bytewise, and `ZRANGEBYLEX` reads a range
//!   of them from any key onwards in O(log N + M). The cursor is the last
//!   key of a page, as the embedded store makes it.
//! - `motu:kv:{NS}:exp`: a sorted set of the keys that expire, scored by
//!   expiration: `list` first drops from both sets, in one script, the keys
//!   whose time has come (Redis removed their entries already).
//!
//! Every write is one `MULTI`/`EXEC` transaction (a pipeline: one round
//! trip), so a reader never sees an entry without its index or metadata of
//! another value. Reads check the expiration against the node's clock, as
//! the embedded store does. How durable an acknowledged write is, is the
//! Redis server's setting (`appendonly`, `appendfsync`), not motu's.

use std::sync::Arc;

use super::Redis;
use crate::kv::{decode_cursor, encode_cursor, prefix_end, KvBackend, KvEntry, KvList, KvListKey};
use crate::StorageError;

/// Drops the expired keys (scored at or before ARGV[1], at most ARGV[2] of
/// them) from the index (KEYS[1]) and the expiry set (KEYS[2]).
const PURGE: &str = "\
local ks = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ks > 0 then
  redis.call('ZREM', KEYS[1], unpack(ks))
  redis.call('ZREM', KEYS[2], unpack(ks))
end
return #ks";

/// Expired keys dropped per `list` call.
const PURGE_BATCH: usize = 1000;

/// One KV namespace in Redis (see the module docs).
#[derive(Debug)]
pub struct RedisKv {
    redis: Arc<Redis>,
    keys: String,
    exp: String,
    entry_prefix: String,
}

type Fields = (Option<Vec<u8>>, Option<String>, Option<i64>);

impl RedisKv {
    /// The namespace `namespace` of `redis` (nothing is read or written
    /// until it is used).
    pub fn open(redis: &Arc<Redis>, namespace: &str) -> Self {
        Self {
            redis: redis.clone(),
            keys: format!("motu:kv:{{{namespace}}}:keys"),
            exp: format!("motu:kv:{{{namespace}}}:exp"),
            entry_prefix: format!("motu:kv:{{{namespace}}}:v:"),
        }
    }

    fn entry(&self, key: &str) -> String {
        format!("{}{key}", self.entry_prefix)
    }
}

fn entry_of((value, metadata, expiration): Fields, now_ms: i64) -> Option<KvEntry> {
    let value = value?;
    if expiration.is_some_and(|e| e.saturating_mul(1000) <= now_ms) {
        return None;
    }
    Some(KvEntry {
        value,
        expiration,
        metadata,
    })
}

impl KvBackend for RedisKv {
    fn get(&self, key: &str, now_ms: i64) -> Result<Option<KvEntry>, StorageError> {
        let entry = self.entry(key);
        let fields: Fields = self.redis.block_on(move |mut c| async move {
            redis::cmd("HMGET")
                .arg(entry)
                .arg("v")
                .arg("m")
                .arg("e")
                .query_async(&mut c)
                .await
        })?;
        Ok(entry_of(fields, now_ms))
    }

    fn get_many(&self, keys: &[String], now_ms: i64) -> Result<Vec<Option<KvEntry>>, StorageError> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for key in keys {
            pipe.cmd("HMGET")
                .arg(self.entry(key))
                .arg("v")
                .arg("m")
                .arg("e");
        }
        let all: Vec<Fields> = self
            .redis
            .block_on(move |mut c| async move { pipe.query_async(&mut c).await })?;
        Ok(all.into_iter().map(|f| entry_of(f, now_ms)).collect())
    }

    fn put(
        &self,
        key: &str,
        value: Vec<u8>,
        expiration: Option<i64>,
        metadata: Option<&str>,
    ) -> Result<(), StorageError> {
        let entry = self.entry(key);
        let mut pipe = redis::pipe();
        pipe.atomic();
        pipe.cmd("DEL").arg(&entry).ignore();
        let hset = pipe.cmd("HSET").arg(&entry).arg("v").arg(value);
        if let Some(m) = metadata {
            hset.arg("m").arg(m);
        }
        if let Some(e) = expiration {
            hset.arg("e").arg(e);
        }
        hset.ignore();
        match expiration {
            Some(e) => {
                pipe.cmd("EXPIREAT").arg(&entry).arg(e).ignore();
                pipe.cmd("ZADD").arg(&self.exp).arg(e).arg(key).ignore();
            }
            None => {
                pipe.cmd("ZREM").arg(&self.exp).arg(key).ignore();
            }
        }
        pipe.cmd("ZADD").arg(&self.keys).arg(0).arg(key).ignore();
        self.redis
            .block_on(move |mut c| async move { pipe.query_async::<()>(&mut c).await })
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        pipe.cmd("DEL").arg(self.entry(key)).ignore();
        pipe.cmd("ZREM").arg(&self.keys).arg(key).ignore();
        pipe.cmd("ZREM").arg(&self.exp).arg(key).ignore();
        self.redis
            .block_on(move |mut c| async move { pipe.query_async::<()>(&mut c).await })
    }

    fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<&str>,
        now_ms: i64,
    ) -> Result<KvList, StorageError> {
        let mut after = cursor
            .and_then(decode_cursor)
            .filter(|after| after.as_slice() >= prefix.as_bytes());
        let high = match prefix_end(prefix.as_bytes()) {
            Some(end) => [b"(".as_slice(), &end].concat(),
            None => b"+".to_vec(),
        };
        let want = limit + 1;
        let mut live: Vec<KvListKey> = Vec::new();
        let mut first = true;
        loop {
            let low = match &after {
                Some(a) => [b"(".as_slice(), a].concat(),
                None => [b"[".as_slice(), prefix.as_bytes()].concat(),
            };
            let mut pipe = redis::pipe();
            if first {
                pipe.cmd("EVAL")
                    .arg(PURGE)
                    .arg(2)
                    .arg(&self.keys)
                    .arg(&self.exp)
                    .arg(now_ms.div_euclid(1000))
                    .arg(PURGE_BATCH)
                    .ignore();
            }
            pipe.cmd("ZRANGEBYLEX")
                .arg(&self.keys)
                .arg(low)
                .arg(&high)
                .arg("LIMIT")
                .arg(0)
                .arg(want);
            let (candidates,): (Vec<Vec<u8>>,) = self
                .redis
                .block_on(move |mut c| async move { pipe.query_async(&mut c).await })?;
            first = false;
            let exhausted = candidates.len() < want;
            if candidates.is_empty() {
                break;
            }
            let mut pipe = redis::pipe();
            for name in &candidates {
                let entry = [self.entry_prefix.as_bytes(), name].concat();
                pipe.cmd("EXISTS").arg(&entry);
                pipe.cmd("HMGET").arg(&entry).arg("m").arg("e");
            }
            let fields: Vec<redis::Value> = self
                .redis
                .block_on(move |mut c| async move { pipe.query_async(&mut c).await })?;
            after = candidates.last().cloned();
            for (name, pair) in candidates.into_iter().zip(fields.chunks(2)) {
                let exists: i64 = redis::from_redis_value_ref(&pair[0]).unwrap_or(0);
                let (metadata, expiration): (Option<String>, Option<i64>) =
                    redis::from_redis_value_ref(&pair[1]).unwrap_or((None, None));
                let gone = expiration.is_some_and(|e| e.saturating_mul(1000) <= now_ms);
                if exists == 0 || gone {
                    continue;
                }
                live.push(KvListKey {
                    name: String::from_utf8_lossy(&name).into_owned(),
                    expiration,
                    metadata,
                });
            }
            if live.len() >= want || exhausted {
                break;
            }
        }
        let more = live.len() > limit;
        live.truncate(limit);
        let cursor = more
            .then(|| live.last().map(|k| encode_cursor(k.name.as_bytes())))
            .flatten();
        Ok(KvList { keys: live, cursor })
    }
}
