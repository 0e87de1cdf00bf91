//! Listing an object's pairs in chunks.
//!
//! A listing (`ctx.storage.list()`, `ctx.storage.kv.list()`) may cover
//! every pair of an object, and an object may hold gigabytes, so the
//! store never reads a whole listing at once: [`ObjectStorage::list_chunk`]
//! reads at most a given number of pairs and stops early once about
//! [`LIST_CHUNK_BYTES`] of keys and values are read. The caller asks for
//! the next chunk by key (*keyset* paging): after key `k`, a forward
//! listing goes on with the keys after `k` (`start_after`), a reverse one
//! with the keys before `k` (`end`). Each chunk is one indexed range query
//! on `_cf_KV`'s primary key; a prefix is turned into the range of keys
//! that start with it, so a listing of a prefix reads no key outside it.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::ObjectStorage;
use crate::StorageError;

/// About the most bytes (keys and values) one chunk of a listing reads: a
/// chunk stops at the pair that reaches it (always holding one pair at
/// least, a value being at most [`super::MAX_VALUE_BYTES`]).
pub const LIST_CHUNK_BYTES: usize = 1 << 20;

/// `list()`'s options (Cloudflare's `DurableObjectListOptions`).
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Keys from this one on (inclusive).
    pub start: Option<String>,
    /// Keys after this one (exclusive); wins over `start`.
    pub start_after: Option<String>,
    /// Keys before this one (exclusive).
    pub end: Option<String>,
    /// Keys that start with this.
    pub prefix: Option<String>,
    /// Descending order.
    pub reverse: bool,
    /// The most pairs.
    pub limit: Option<u64>,
}

/// One chunk of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListChunk {
    /// Its pairs, in the listing's order.
    pub pairs: Vec<(String, Vec<u8>)>,
    /// Whether the store holds no more pairs the options select after
    /// these (false when the chunk stopped at its limit of pairs or bytes).
    pub done: bool,
}

impl ObjectStorage {
    /// The pairs `options` selects, in key order (UTF-8 byte order, as
    /// Cloudflare sorts them), all at once: what tests and small listings
    /// use; the runtime reads listings with [`list_chunk`](Self::list_chunk).
    pub fn list(&self, options: &ListOptions) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        Ok(self.list_chunk(options, usize::MAX)?.pairs)
    }

    /// The first pairs `options` selects (at most `options.limit`), in key
    /// order or reversed, stopping after the pair that brings the keys and
    /// values read to `max_bytes` (see the module docs).
    pub fn list_chunk(
        &self,
        options: &ListOptions,
        max_bytes: usize,
    ) -> Result<ListChunk, StorageError> {
        let (sql, params) = chunk_query(options);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(params))?;
        let mut chunk = ListChunk::default();
        let mut bytes = 0usize;
        while let Some(row) = rows.next()? {
            let pair: (String, Vec<u8>) = (row.get(0)?, row.get(1)?);
            bytes = bytes.saturating_add(pair.0.len() + pair.1.len());
            chunk.pairs.push(pair);
            if bytes >= max_bytes {
                // More may follow: the next chunk says.
                return Ok(chunk);
            }
        }
        chunk.done = options
            .limit
            .is_none_or(|limit| (chunk.pairs.len() as u64) < limit);
        Ok(chunk)
    }
}

/// The query of a chunk of `options` and its parameters.
fn chunk_query(options: &ListOptions) -> (String, Vec<Value>) {
    let mut sql = String::from("SELECT key, value FROM _cf_KV WHERE 1");
    let mut params: Vec<Value> = Vec::new();
    let mut bound = |sql: &mut String, op: &str, key: &str| {
        params.push(Value::Text(key.to_owned()));
        sql.push_str(&format!(" AND key {op} ?{}", params.len()));
    };
    if let Some(after) = &options.start_after {
        bound(&mut sql, ">", after);
    } else if let Some(start) = &options.start {
        bound(&mut sql, ">=", start);
    }
    if let Some(end) = &options.end {
        bound(&mut sql, "<", end);
    }
    if let Some(prefix) = options.prefix.as_deref().filter(|p| !p.is_empty()) {
        bound(&mut sql, ">=", prefix);
        if let Some(past) = past_prefix(prefix) {
            bound(&mut sql, "<", &past);
        }
    }
    sql.push_str(if options.reverse {
        " ORDER BY key DESC"
    } else {
        " ORDER BY key"
    });
    if let Some(limit) = options.limit {
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(" LIMIT ?{}", params.len()));
    }
    (sql, params)
}

/// The least key greater than every key that starts with `prefix` (None:
/// there is none, every character of `prefix` being the last one).
///
/// Keys are compared as bytes of UTF-8, which is the order of their
/// characters: the keys that start with `prefix` are the keys from
/// `prefix` (inclusive) to `prefix` with its last character that has a
/// next one replaced by that next one (exclusive), characters after it
/// dropped.
fn past_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::object_path;

    fn store(keys: &[&str]) -> (tempfile::TempDir, ObjectStorage) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ObjectStorage::open(&object_path(dir.path(), "ns", "list")).unwrap();
        let pairs: Vec<(String, Vec<u8>)> = keys
            .iter()
            .map(|k| (k.to_string(), k.as_bytes().to_vec()))
            .collect();
        s.put(&pairs).unwrap();
        (dir, s)
    }

    fn keys(chunk: &ListChunk) -> Vec<&str> {
        chunk.pairs.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn a_prefix_is_a_range_of_keys() {
        assert_eq!(past_prefix("ab").as_deref(), Some("ac"));
        assert_eq!(past_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        // The next character after the surrogates' gap.
        assert_eq!(past_prefix("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(past_prefix("\u{10FFFF}"), None);
        let (_dir, s) = store(&["a", "ab", "ab\u{10FFFF}", "ac", "b", "\u{10FFFF}x"]);
        let with = |prefix: &str| {
            let options = ListOptions {
                prefix: Some(prefix.into()),
                ..Default::default()
            };
            s.list(&options)
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        };
        assert_eq!(with("ab"), ["ab", "ab\u{10FFFF}"]);
        assert_eq!(with("a"), ["a", "ab", "ab\u{10FFFF}", "ac"]);
        assert_eq!(with("\u{10FFFF}"), ["\u{10FFFF}x"]);
    }

    #[test]
    fn chunks_stop_at_their_count_or_bytes_and_say_whether_more_follow() {
        let (_dir, s) = store(&["a", "b", "c", "d"]);
        let mut options = ListOptions {
            limit: Some(2),
            ..Default::default()
        };
        let first = s.list_chunk(&options, usize::MAX).unwrap();
        assert_eq!((keys(&first), first.done), (vec!["a", "b"], false));
        options.start_after = Some("b".into());
        let rest = s.list_chunk(&options, usize::MAX).unwrap();
        assert_eq!((keys(&rest), rest.done), (vec!["c", "d"], false));
        options.start_after = Some("d".into());
        let end = s.list_chunk(&options, usize::MAX).unwrap();
        assert_eq!((keys(&end), end.done), (vec![], true));
        // Each pair is two bytes: a chunk of at most three stops after two.
        options.start_after = None;
        options.limit = None;
        let capped = s.list_chunk(&options, 3).unwrap();
        assert_eq!((keys(&capped), capped.done), (vec!["a", "b"], false));
        // Reversed, going on before the last key.
        let reversed = ListOptions {
            end: Some("c".into()),
            reverse: true,
            limit: Some(5),
            ..Default::default()
        };
        let back = s.list_chunk(&reversed, usize::MAX).unwrap();
        assert_eq!((keys(&back), back.done), (vec!["b", "a"], true));
    }
}
