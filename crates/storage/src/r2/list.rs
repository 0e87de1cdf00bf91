//! `list`: objects in key order (bytewise, as R2 orders them), by prefix,
//! grouped by a delimiter, a page at a time.
//!
//! A page holds up to `limit` entries, objects and delimited prefixes
//! together. The cursor names where the page ended: the last key returned,
//! or past every key under the last delimited prefix (that prefix followed
//! by the byte 0xFF, which no UTF-8 key contains, so it sorts after all of
//! them and before any other key). Listing resumes after it, so keys added
//! meanwhile are not skipped.

use rusqlite::Connection;

use crate::r2::{failure, limits, Bucket, ObjectMeta, Row, OBJECT_COLUMNS};
use crate::StorageError;

/// Options of [`Bucket::list`] (`R2ListOptions`).
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// At most this many entries, 1 to 1000 (default 1000).
    pub limit: Option<u32>,
    /// Only keys that start with this.
    pub prefix: Option<String>,
    /// Where a previous page ended.
    pub cursor: Option<String>,
    /// Group keys by the part of them after the prefix up to this.
    pub delimiter: Option<String>,
    /// Only keys after this one.
    pub start_after: Option<String>,
}

/// A page of a listing (`R2Objects`).
#[derive(Debug, Clone, Default)]
pub struct ListResult {
    /// The objects, in key order.
    pub objects: Vec<ObjectMeta>,
    /// Whether there is more to list.
    pub truncated: bool,
    /// Where to resume, if `truncated`.
    pub cursor: Option<String>,
    /// With a delimiter: the prefix plus the rest of a key up to and
    /// including the delimiter, once for all keys that have one.
    pub delimited_prefixes: Vec<String>,
}

/// Rows read per query while listing.
const BATCH: usize = 256;

impl Bucket {
    /// A page of the bucket's objects.
    pub fn list(&self, options: &ListOptions) -> Result<ListResult, StorageError> {
        let limit = options.limit.unwrap_or(limits::MAX_LIST_LIMIT);
        if !(1..=limits::MAX_LIST_LIMIT).contains(&limit) {
            return Err(failure::invalid_max_keys());
        }
        let limit = limit as usize;
        let prefix = options.prefix.as_deref().unwrap_or("").as_bytes();
        let delimiter = options
            .delimiter
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(str::as_bytes);
        // Where to start: after the cursor or `startAfter`, whichever is
        // later, and never before the prefix.
        let mut after: Option<Vec<u8>> =
            options.start_after.as_ref().map(|s| s.as_bytes().to_vec());
        if let Some(cursor) = &options.cursor {
            let position = super::unhex(cursor)
                .ok_or_else(|| failure::invalid_argument("The cursor is not valid."))?;
            if after.as_ref().is_none_or(|a| position > *a) {
                after = Some(position);
            }
        }
        let mut from = match after {
            Some(a) if a.as_slice() >= prefix => From::After(a),
            _ => From::At(prefix.to_vec()),
        };
        let upper = successor(prefix);
        let mut out = ListResult::default();
        let mut last: Option<Vec<u8>> = None;
        let db = self.inner.db.lock();
        'pages: loop {
            let rows = self.rows_from(&db, &from, upper.as_deref())?;
            let fetched = rows.len();
            for row in rows {
                let key = row.meta.key.as_bytes();
                if out.objects.len() + out.delimited_prefixes.len() == limit {
                    out.truncated = true;
                    break 'pages;
                }
                let rest = &key[prefix.len().min(key.len())..];
                let group = delimiter.and_then(|d| {
                    find(rest, d).map(|at| key[..prefix.len() + at + d.len()].to_vec())
                });
                match group {
                    Some(group) => {
                        out.delimited_prefixes
                            .push(String::from_utf8_lossy(&group).into_owned());
                        let mut past = group;
                        past.push(0xFF);
                        last = Some(past.clone());
                        from = From::After(past);
                        continue 'pages;
                    }
                    None => {
                        last = Some(key.to_vec());
                        from = From::After(key.to_vec());
                        out.objects.push(row.meta);
                    }
                }
            }
            if fetched < BATCH {
                break;
            }
        }
        if out.truncated {
            out.cursor = last.map(|l| super::hex(&l));
        }
        Ok(out)
    }

    /// Up to [`BATCH`] rows from `from`, below `upper`, in key order.
    fn rows_from(
        &self,
        db: &Connection,
        from: &From,
        upper: Option<&[u8]>,
    ) -> Result<Vec<Row>, StorageError> {
        let (op, key) = match from {
            From::At(k) => (">=", k),
            From::After(k) => (">", k),
        };
        db.prepare_cached(&format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE key {op} ?1 \
             AND (?2 IS NULL OR key < ?2) ORDER BY key LIMIT {BATCH}"
        ))
        .and_then(|mut s| {
            s.query_map(rusqlite::params![key, upper], Row::read)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(|e| self.sql_error(e))
    }
}

/// Where a listing reads on from.
enum From {
    At(Vec<u8>),
    After(Vec<u8>),
}

/// The least byte string above every string that starts with `prefix`, or
/// `None` when there is none (an empty prefix, or all 0xFF).
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut s = prefix.to_vec();
    while let Some(last) = s.pop() {
        if last < 0xFF {
            s.push(last + 1);
            return Some(s);
        }
    }
    None
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
