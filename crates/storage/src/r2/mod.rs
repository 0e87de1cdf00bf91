//! R2 buckets: objects as files, their metadata in SQLite.
//!
//! # Concepts
//!
//! - A **bucket** ([`Bucket`]) is a folder: `meta.sqlite` holds what R2
//!   knows of each object (key, version, size, ETag, upload time, HTTP and
//!   custom metadata, checksums, storage class) and of multipart uploads;
//!   `blobs/` holds the bodies, one file per object or uploaded part
//!   ([`blob`](self) module docs). [`R2Store`] opens each bucket of a state
//!   folder once, so two Workers naming the same bucket share it.
//! - **Durability**: a body is written to a temporary file, synced, renamed
//!   and its folder synced before the metadata naming it is committed
//!   (SQLite in WAL mode, `synchronous=FULL`); an acknowledged write
//!   survives a crash or power loss, and a crash never leaves a half-written
//!   object visible.
//! - **Streaming**: [`Bucket::put`] returns an [`ObjectWriter`] the body is
//!   written into piece by piece, hashed as it goes; [`Bucket::get`] returns
//!   an [`ObjectReader`] that reads the file as it is asked. A large object
//!   never sits in memory whole.
//! - **R2's semantics**, as Cloudflare documents them for the Workers API:
//!   ETags (the body's MD5; for multipart objects the MD5 of the parts' MD5s
//!   and `-N`), conditional operations ([`Conditional`]), ranged reads
//!   ([`RangeRequest`]), checksums verified on upload, listing with
//!   prefixes, delimiters, cursors and `startAfter`, multipart uploads with
//!   R2's part rules, and the documented limits ([`limits`]), each failing
//!   with R2's error code and message ([`failure`]).

mod blob;
mod conditional;
pub mod failure;
mod list;
mod mapped;
mod multipart;
mod object;
mod put;
mod range;
mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension};

pub use blob::ObjectReader;
pub use conditional::{Conditional, EtagCondition};
pub use list::{ListOptions, ListResult};
pub use mapped::MappedPiece;
pub use multipart::{MultipartOptions, PartWriter, UploadedPart};
pub use object::{
    ByteRange, ChecksumAlgorithm, Checksums, CustomMetadata, HttpMetadata, ObjectMeta,
    STORAGE_CLASSES,
};
pub use put::{ObjectWriter, PutOptions};
pub use range::RangeRequest;

use crate::StorageError;
use blob::Blobs;

/// R2's documented limits.
pub mod limits {
    /// The longest key, in UTF-8 bytes.
    pub const MAX_KEY_BYTES: usize = 1024;
    /// The most custom metadata, in UTF-8 bytes of names and values.
    pub const MAX_METADATA_BYTES: usize = 8192;
    /// The largest single upload (`put`, or one part): 5 GiB less 5 MiB.
    pub const MAX_UPLOAD_BYTES: u64 = (5 << 30) - (5 << 20);
    /// The largest object: 5 TiB less 5 GiB.
    pub const MAX_OBJECT_BYTES: u64 = (5 << 40) - (5 << 30);
    /// The most objects (and delimited prefixes) one `list` returns.
    pub const MAX_LIST_LIMIT: u32 = 1000;
    /// The most keys one `delete` takes.
    pub const MAX_DELETE_KEYS: usize = 1000;
    /// The smallest part of a multipart upload, but for the last.
    pub const MIN_PART_BYTES: u64 = 5 << 20;
    /// The highest part number.
    pub const MAX_PART_NUMBER: u32 = 10_000;
    /// How long an uncompleted multipart upload lives: 7 days.
    pub const UPLOAD_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
}

/// The buckets of a state folder, each opened once and shared by every
/// Worker that names it.
pub struct R2Store {
    root: PathBuf,
    open: Mutex<HashMap<String, Bucket>>,
}

impl R2Store {
    /// The buckets under `root` (`<state>/r2`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            open: Mutex::default(),
        }
    }

    /// Bucket `name` (in `jurisdiction`, if one is given), opened (and
    /// created) on first use. Names and jurisdictions are ASCII letters,
    /// digits, `-` and `_` (R2's bucket names are a subset).
    pub fn bucket(&self, name: &str, jurisdiction: Option<&str>) -> Result<Bucket, StorageError> {
        let plain = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !plain(name) || !jurisdiction.is_none_or(plain) {
            return Err(failure::invalid_argument(format!(
                "The specified bucket name is not valid: {name:?}"
            )));
        }
        // Bucket names have no dots, so this cannot name another bucket.
        let folder = match jurisdiction {
            Some(j) => format!("{name}.{j}"),
            None => name.to_owned(),
        };
        let mut open = self.open.lock();
        if let Some(bucket) = open.get(&folder) {
            return Ok(bucket.clone());
        }
        let bucket = Bucket::open(&self.root.join(&folder))?;
        open.insert(folder, bucket.clone());
        Ok(bucket)
    }
}

/// One bucket. Cheap to clone; clones share the bucket. Every call blocks on
/// disk I/O.
#[derive(Clone)]
pub struct Bucket {
    inner: Arc<Inner>,
}

struct Inner {
    db: Mutex<Connection>,
    blobs: Arc<Blobs>,
    dir: PathBuf,
}

/// Options of [`Bucket::get`] (`R2GetOptions`).
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// Return the body only if these hold.
    pub only_if: Option<Conditional>,
    /// Return only these bytes.
    pub range: Option<RangeRequest>,
}

/// What [`Bucket::get`] found.
pub enum GetResult {
    /// No object has the key.
    NotFound,
    /// The object exists but `onlyIf` did not hold: its metadata, no body.
    PreconditionFailed(ObjectMeta),
    /// The object (with the range returned), and a reader of its bytes.
    Found(ObjectMeta, ObjectReader),
}

/// The columns every object query selects, in [`Row::read`]'s order.
const OBJECT_COLUMNS: &str = "key, version, size, etag, uploaded, checksums, http_metadata, \
     custom_metadata, storage_class, blob, upload_id";

/// An object's row: its metadata and where its body is.
struct Row {
    meta: ObjectMeta,
    /// The blob of a single-part object.
    blob: Option<String>,
    /// The upload whose parts make a multipart object.
    upload_id: Option<String>,
}

impl Row {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        let key: Vec<u8> = row.get(0)?;
        let http: String = row.get(6)?;
        Ok(Row {
            meta: ObjectMeta {
                key: String::from_utf8_lossy(&key).into_owned(),
                version: row.get(1)?,
                size: row.get::<_, i64>(2)? as u64,
                etag: row.get(3)?,
                uploaded: row.get(4)?,
                checksums: Checksums::from_json(&row.get::<_, String>(5)?),
                http_metadata: serde_json::from_str(&http).unwrap_or_default(),
                custom_metadata: object::custom_from_json(&row.get::<_, String>(7)?),
                storage_class: row.get(8)?,
                range: None,
            },
            blob: row.get(9)?,
            upload_id: row.get(10)?,
        })
    }
}

impl Bucket {
    /// Opens (creating if missing) the bucket in folder `dir`, and deletes
    /// what an interrupted write left there.
    pub fn open(dir: &Path) -> Result<Bucket, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let db = schema::open(&dir.join("meta.sqlite"))?;
        let blobs = Blobs::open(dir.join("blobs"))?;
        let bucket = Bucket {
            inner: Arc::new(Inner {
                db: Mutex::new(db),
                blobs,
                dir: dir.to_owned(),
            }),
        };
        bucket.expire_uploads(now_ms())?;
        let swept = {
            let db = bucket.inner.db.lock();
            bucket
                .inner
                .blobs
                .sweep(|id| schema::blob_is_named(&db, id))?
        };
        if swept > 0 {
            tracing::info!(
                "R2 bucket {}: removed {swept} file(s) an interrupted write left",
                dir.display()
            );
        }
        Ok(bucket)
    }

    /// The bucket's folder.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    fn sql_error(&self, e: rusqlite::Error) -> StorageError {
        StorageError::Sqlite(e)
    }

    /// The row of `key`, if any.
    fn row(&self, db: &Connection, key: &str) -> Result<Option<Row>, StorageError> {
        db.prepare_cached(&format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE key = ?1"
        ))
        .and_then(|mut s| s.query_row([key.as_bytes()], Row::read).optional())
        .map_err(|e| self.sql_error(e))
    }

    /// The metadata of `key` (`head`), or `None`.
    pub fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        check_key(key)?;
        let db = self.inner.db.lock();
        Ok(self.row(&db, key)?.map(|row| {
            let mut meta = row.meta;
            meta.range = Some(ByteRange {
                offset: 0,
                length: meta.size,
            });
            meta
        }))
    }

    /// The object `key` with its body (`get`).
    pub fn get(&self, key: &str, options: &GetOptions) -> Result<GetResult, StorageError> {
        check_key(key)?;
        let db = self.inner.db.lock();
        let Some(row) = self.row(&db, key)? else {
            return Ok(GetResult::NotFound);
        };
        let mut meta = row.meta;
        let whole = ByteRange {
            offset: 0,
            length: meta.size,
        };
        if let Some(only_if) = &options.only_if {
            if !only_if.holds(Some((&meta.etag, meta.uploaded))) {
                meta.range = Some(whole);
                return Ok(GetResult::PreconditionFailed(meta));
            }
        }
        let range = match &options.range {
            Some(r) => r.resolve(meta.size)?,
            None => whole,
        };
        meta.range = Some(range);
        // Where the range lies: in the one blob, or across the parts.
        let blobs: Vec<(String, u64)> = match (row.blob, row.upload_id) {
            (Some(blob), _) => vec![(blob, meta.size)],
            (None, Some(upload_id)) => {
                multipart::part_blobs(&db, &upload_id).map_err(|e| self.sql_error(e))?
            }
            (None, None) => return Err(failure::internal_error()),
        };
        let mut segments = Vec::new();
        let mut start = 0u64;
        let end = range.offset + range.length;
        for (blob, size) in blobs {
            let (from, to) = (start.max(range.offset), (start + size).min(end));
            if from < to {
                segments.push((
                    blob,
                    ByteRange {
                        offset: from - start,
                        length: to - from,
                    },
                ));
            }
            start += size;
        }
        let ids: Vec<String> = segments.iter().map(|(id, _)| id.clone()).collect();
        // Held before the lock is let go: a delete that commits next
        // leaves these files until the reader is done.
        self.inner.blobs.acquire(&ids);
        drop(db);
        Ok(GetResult::Found(meta, self.inner.blobs.reader(segments)))
    }

    /// Deletes `keys` (`delete`); keys that do not exist are no error.
    pub fn delete(&self, keys: &[String]) -> Result<(), StorageError> {
        if keys.len() > limits::MAX_DELETE_KEYS {
            return Err(failure::invalid_argument(format!(
                "Up to {} keys may be deleted per call.",
                limits::MAX_DELETE_KEYS
            )));
        }
        for key in keys {
            check_key(key)?;
        }
        let mut db = self.inner.db.lock();
        let tx = db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.sql_error(e))?;
        let mut freed = Vec::new();
        for key in keys {
            if let Some(row) = self.row(&tx, key)? {
                freed.extend(self.unlink_row(&tx, &row)?);
            }
        }
        tx.commit().map_err(|e| self.sql_error(e))?;
        drop(db);
        self.inner.blobs.remove(freed);
        Ok(())
    }

    /// Deletes `row`'s object and its parts' rows; returns the blobs that
    /// held its body (to remove once committed).
    fn unlink_row(&self, tx: &Connection, row: &Row) -> Result<Vec<String>, StorageError> {
        tx.execute(
            "DELETE FROM objects WHERE key = ?1",
            [row.meta.key.as_bytes()],
        )
        .map_err(|e| self.sql_error(e))?;
        let mut freed = Vec::new();
        if let Some(blob) = &row.blob {
            freed.push(blob.clone());
        }
        if let Some(upload_id) = &row.upload_id {
            freed.extend(multipart::delete_parts(tx, upload_id).map_err(|e| self.sql_error(e))?);
        }
        Ok(freed)
    }
}

/// R2's key rule: at most 1,024 bytes.
fn check_key(key: &str) -> Result<(), StorageError> {
    if key.len() > limits::MAX_KEY_BYTES {
        return Err(failure::invalid_object_name());
    }
    Ok(())
}

/// R2's metadata rule: names and values of at most 8,192 bytes together.
fn check_metadata(custom: &CustomMetadata) -> Result<(), StorageError> {
    let size: usize = custom.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > limits::MAX_METADATA_BYTES {
        return Err(failure::metadata_too_large());
    }
    Ok(())
}

/// A storage class, `Standard` when none is given.
fn storage_class(class: Option<&str>) -> Result<String, StorageError> {
    match class {
        None => Ok("Standard".to_owned()),
        Some(c) if STORAGE_CLASSES.contains(&c) => Ok(c.to_owned()),
        Some(_) => Err(failure::invalid_storage_class()),
    }
}

/// An I/O error on `path`.
fn io(path: &Path, source: std::io::Error) -> StorageError {
    StorageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A random id: 32 lowercase hex digits (128 bits).
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No system randomness: still unique within this process.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&n.to_le_bytes());
        bytes[8..].copy_from_slice(&(now_ms() as u64).to_le_bytes());
    }
    hex(&bytes)
}

/// `bytes` in lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// The bytes of a hex string (either case), or `None` if it is not one.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests;
