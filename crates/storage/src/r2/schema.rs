//! A bucket's metadata database: its tables and how it is opened.
//!
//! - `objects`: one row per object, by key (the key's UTF-8 bytes, so that
//!   keys sort bytewise, as R2 lists them). `blob` names the body of a
//!   single-part object; a multipart object has none and names the
//!   `upload_id` whose parts make it.
//! - `uploads`: multipart uploads, in progress (`state` 0), completed (1) or
//!   aborted (2), with the metadata the object will get.
//! - `parts`: the uploaded parts of each upload; once an upload completes,
//!   the parts it kept are its object's body.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::StorageError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS objects (
    key BLOB PRIMARY KEY NOT NULL,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    uploaded INTEGER NOT NULL,
    checksums TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    blob TEXT,
    upload_id TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_blob ON objects(blob) WHERE blob IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_upload ON objects(upload_id) WHERE upload_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY NOT NULL,
    key BLOB NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    state INTEGER NOT NULL,
    created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    blob TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS parts_blob ON parts(blob);
";

/// Opens the database at `path` durably (WAL, `synchronous=FULL`: a
/// committed transaction survives power loss), with the schema in place.
pub(crate) fn open(path: &Path) -> Result<Connection, StorageError> {
    crate::sqlite::open_with_schema(path, SCHEMA)
}

/// Whether any object or part names blob `id`.
pub(crate) fn blob_is_named(db: &Connection, id: &str) -> Result<bool, StorageError> {
    db.prepare_cached(
        "SELECT 1 FROM objects WHERE blob = ?1 UNION ALL SELECT 1 FROM parts WHERE blob = ?1 LIMIT 1",
    )
    .and_then(|mut s| s.query_row([id], |_| Ok(())).optional())
    .map(|found| found.is_some())
    .map_err(StorageError::Sqlite)
}
