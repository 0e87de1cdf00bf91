//! Multipart uploads: create, upload parts, complete or abort.
//!
//! Each part is a blob of its own. Completing an upload commits an object
//! whose body is the parts it names, in part-number order, without copying
//! them: R2's rules are checked first (every part named was uploaded with
//! that ETag; all parts but the last at least 5 MiB and of one size; the last
//! no larger), parts not named are deleted, and the object's ETag is the MD5
//! of the parts' MD5s followed by `-` and their number. A completed or
//! aborted upload takes no more parts; aborting one again is no error. An
//! upload left uncompleted for 7 days is aborted.

use rusqlite::{Connection, OptionalExtension};

use crate::r2::blob::BlobWriter;
use crate::r2::object::{custom_to_json, CustomMetadata, HttpMetadata};
use crate::r2::{
    check_key, check_metadata, failure, limits, now_ms, random_id, storage_class, Bucket,
    Checksums, ObjectMeta,
};
use crate::StorageError;

const IN_PROGRESS: i64 = 0;
const COMPLETED: i64 = 1;
const ABORTED: i64 = 2;

/// Options of [`Bucket::create_multipart_upload`] (`R2MultipartOptions`).
#[derive(Debug, Clone, Default)]
pub struct MultipartOptions {
    /// The HTTP metadata of the object to be.
    pub http_metadata: HttpMetadata,
    /// Its custom metadata.
    pub custom_metadata: CustomMetadata,
    /// Its storage class: `Standard` (default) or `InfrequentAccess`.
    pub storage_class: Option<String>,
}

/// An uploaded part (`R2UploadedPart`): what `complete` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedPart {
    /// The part number, 1 to 10,000.
    pub part_number: u32,
    /// The part's ETag: its MD5, in hex.
    pub etag: String,
}

/// A part being uploaded: write it, then [`finish`](PartWriter::finish).
pub struct PartWriter {
    bucket: Bucket,
    upload_id: String,
    part_number: u32,
    blob: BlobWriter,
}

/// The blobs of the parts of `upload_id` with their sizes, in part order.
pub(crate) fn part_blobs(db: &Connection, upload_id: &str) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut s = db
        .prepare_cached("SELECT blob, size FROM parts WHERE upload_id = ?1 ORDER BY part_number")?;
    let rows = s.query_map([upload_id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    rows.collect()
}

/// Deletes the part rows of `upload_id`; returns their blobs.
pub(crate) fn delete_parts(db: &Connection, upload_id: &str) -> rusqlite::Result<Vec<String>> {
    let mut s = db.prepare_cached("DELETE FROM parts WHERE upload_id = ?1 RETURNING blob")?;
    let rows = s.query_map([upload_id], |r| r.get(0))?;
    rows.collect()
}

/// The state of upload `upload_id` of `key`, if it exists.
fn upload_state(db: &Connection, key: &str, upload_id: &str) -> rusqlite::Result<Option<i64>> {
    db.prepare_cached("SELECT state FROM uploads WHERE upload_id = ?1 AND key = ?2")?
        .query_row(rusqlite::params![upload_id, key.as_bytes()], |r| r.get(0))
        .optional()
}

impl Bucket {
    /// Starts a multipart upload of `key`; returns its upload id.
    pub fn create_multipart_upload(
        &self,
        key: &str,
        options: MultipartOptions,
    ) -> Result<String, StorageError> {
        check_key(key)?;
        check_metadata(&options.custom_metadata)?;
        let class = storage_class(options.storage_class.as_deref())?;
        let now = now_ms();
        self.expire_uploads(now)?;
        let upload_id = random_id();
        let db = self.inner.db.lock();
        db.execute(
            "INSERT INTO uploads (upload_id, key, http_metadata, custom_metadata, storage_class, \
             state, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![
                upload_id,
                key.as_bytes(),
                serde_json::to_string(&options.http_metadata).unwrap_or_else(|_| "{}".into()),
                custom_to_json(&options.custom_metadata),
                class,
                IN_PROGRESS,
                now,
            ],
        )
        .map_err(|e| self.sql_error(e))?;
        Ok(upload_id)
    }

    /// Starts uploading part `part_number` of upload `upload_id` of `key`.
    /// A part uploaded again under the same number replaces the first.
    pub fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
    ) -> Result<PartWriter, StorageError> {
        check_key(key)?;
        if !(1..=limits::MAX_PART_NUMBER).contains(&part_number) {
            return Err(failure::invalid_argument(format!(
                "Part number must be between 1 and {} (inclusive). Actual value was: {part_number}",
                limits::MAX_PART_NUMBER
            )));
        }
        let state = {
            let db = self.inner.db.lock();
            upload_state(&db, key, upload_id).map_err(|e| self.sql_error(e))?
        };
        if state != Some(IN_PROGRESS) {
            return Err(failure::no_such_upload());
        }
        let blob = self.inner.blobs.create(limits::MAX_UPLOAD_BYTES, None)?;
        Ok(PartWriter {
            bucket: self.clone(),
            upload_id: upload_id.to_owned(),
            part_number,
            blob,
        })
    }

    /// Completes upload `upload_id` of `key` with `parts`: the object is
    /// stored (replacing any of that key) and returned.
    pub fn complete_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> Result<ObjectMeta, StorageError> {
        check_key(key)?;
        let mut db = self.inner.db.lock();
        let tx = db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.sql_error(e))?;
        let upload: Option<(String, String, String, i64)> = tx
            .query_row(
                "SELECT http_metadata, custom_metadata, storage_class, state FROM uploads \
                 WHERE upload_id = ?1 AND key = ?2",
                rusqlite::params![upload_id, key.as_bytes()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| self.sql_error(e))?;
        let Some((http, custom, class, IN_PROGRESS)) = upload else {
            return Err(failure::no_such_upload());
        };
        // Every part named was uploaded, with that ETag, once.
        let mut chosen: Vec<(u32, String, u64)> = Vec::with_capacity(parts.len());
        for part in parts {
            if chosen.iter().any(|(n, ..)| *n == part.part_number) {
                return Err(failure::internal_error());
            }
            let found: Option<(String, i64)> = tx
                .prepare_cached(
                    "SELECT etag, size FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                )
                .and_then(|mut s| {
                    s.query_row(rusqlite::params![upload_id, part.part_number], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                })
                .map_err(|e| self.sql_error(e))?;
            match found {
                Some((etag, size)) if etag == part.etag => {
                    chosen.push((part.part_number, etag, size as u64))
                }
                _ => return Err(failure::invalid_part()),
            }
        }
        check_part_sizes(&mut chosen)?;
        let size: u64 = chosen.iter().map(|(_, _, s)| s).sum();
        if size > limits::MAX_OBJECT_BYTES {
            return Err(failure::entity_too_large());
        }
        // The parts not named are not part of the object.
        let unnamed: Vec<(u32, String)> = tx
            .prepare_cached("SELECT part_number, blob FROM parts WHERE upload_id = ?1")
            .and_then(|mut s| {
                s.query_map([upload_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<(u32, String)>>>()
            })
            .map_err(|e| self.sql_error(e))?
            .into_iter()
            .filter(|(n, _)| !chosen.iter().any(|(c, ..)| c == n))
            .collect();
        let mut freed = Vec::with_capacity(unnamed.len());
        for (number, blob) in unnamed {
            tx.execute(
                "DELETE FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                rusqlite::params![upload_id, number],
            )
            .map_err(|e| self.sql_error(e))?;
            freed.push(blob);
        }
        let meta = ObjectMeta {
            key: key.to_owned(),
            version: random_id(),
            size,
            etag: multipart_etag(chosen.iter().map(|(_, etag, _)| etag.as_str())),
            uploaded: now_ms(),
            http_metadata: serde_json::from_str(&http).unwrap_or_default(),
            custom_metadata: super::object::custom_from_json(&custom),
            checksums: Checksums::default(),
            storage_class: class,
            range: None,
        };
        freed.extend(self.replace_object(&tx, &meta, None, Some(upload_id))?);
        tx.execute(
            "UPDATE uploads SET state = ?2 WHERE upload_id = ?1",
            rusqlite::params![upload_id, COMPLETED],
        )
        .map_err(|e| self.sql_error(e))?;
        tx.commit().map_err(|e| self.sql_error(e))?;
        drop(db);
        self.inner.blobs.remove(freed);
        Ok(meta)
    }

    /// Aborts upload `upload_id` of `key`, deleting its parts. Aborting an
    /// upload that was completed or aborted does nothing.
    pub fn abort_multipart_upload(&self, key: &str, upload_id: &str) -> Result<(), StorageError> {
        check_key(key)?;
        let mut db = self.inner.db.lock();
        let tx = db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.sql_error(e))?;
        let freed = match upload_state(&tx, key, upload_id).map_err(|e| self.sql_error(e))? {
            None => return Err(failure::no_such_upload()),
            Some(IN_PROGRESS) => abort(&tx, upload_id).map_err(|e| self.sql_error(e))?,
            Some(_) => return Ok(()),
        };
        tx.commit().map_err(|e| self.sql_error(e))?;
        drop(db);
        self.inner.blobs.remove(freed);
        Ok(())
    }

    /// Aborts the uploads in progress that were created more than 7 days
    /// before `now`, and forgets finished ones of that age that no object
    /// is made of.
    pub(crate) fn expire_uploads(&self, now: i64) -> Result<(), StorageError> {
        let before = now - limits::UPLOAD_LIFETIME_MS;
        let mut db = self.inner.db.lock();
        let tx = db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.sql_error(e))?;
        let expired: Vec<String> = tx
            .prepare("SELECT upload_id FROM uploads WHERE state = ?1 AND created < ?2")
            .and_then(|mut s| {
                s.query_map(rusqlite::params![IN_PROGRESS, before], |r| r.get(0))?
                    .collect()
            })
            .map_err(|e| self.sql_error(e))?;
        let mut freed = Vec::new();
        for upload_id in &expired {
            freed.extend(abort(&tx, upload_id).map_err(|e| self.sql_error(e))?);
        }
        tx.execute(
            "DELETE FROM uploads WHERE state != ?1 AND created < ?2 AND upload_id NOT IN \
             (SELECT upload_id FROM objects WHERE upload_id IS NOT NULL)",
            rusqlite::params![IN_PROGRESS, before],
        )
        .map_err(|e| self.sql_error(e))?;
        tx.commit().map_err(|e| self.sql_error(e))?;
        drop(db);
        self.inner.blobs.remove(freed);
        Ok(())
    }
}

/// Marks `upload_id` aborted and deletes its parts; returns their blobs.
fn abort(tx: &Connection, upload_id: &str) -> rusqlite::Result<Vec<String>> {
    let freed = delete_parts(tx, upload_id)?;
    tx.execute(
        "UPDATE uploads SET state = ?2 WHERE upload_id = ?1",
        rusqlite::params![upload_id, ABORTED],
    )?;
    Ok(freed)
}

/// R2's part rules for `parts` (number, ETag, size), as given: all but the
/// last at least 5 MiB (`EntityTooSmall`); then in part order, all but the
/// last of one size and the last no larger (`InvalidPart`, 10048). Sorts
/// `parts` by number.
fn check_part_sizes(parts: &mut [(u32, String, u64)]) -> Result<(), StorageError> {
    if parts.is_empty() {
        return Err(failure::bad_upload());
    }
    let (_, leading) = parts.split_last().expect("not empty");
    if leading.iter().any(|(_, _, s)| *s < limits::MIN_PART_BYTES) {
        return Err(failure::entity_too_small());
    }
    parts.sort_by_key(|(n, ..)| *n);
    let (last, leading) = parts.split_last().expect("not empty");
    if let Some((_, _, first)) = leading.first() {
        if leading
            .iter()
            .any(|(_, _, s)| s != first || *s < limits::MIN_PART_BYTES)
            || last.2 > *first
        {
            return Err(failure::bad_upload());
        }
    }
    Ok(())
}

/// A multipart object's ETag: the MD5 of its parts' MD5s (given in hex,
/// in part order), in hex, then `-` and the number of parts.
fn multipart_etag<'a>(part_etags: impl Iterator<Item = &'a str>) -> String {
    use md5::{Digest, Md5};
    let mut md5 = Md5::new();
    let mut count = 0;
    for etag in part_etags {
        md5.update(super::unhex(etag).unwrap_or_default());
        count += 1;
    }
    format!("{}-{count}", super::hex(&md5.finalize()))
}

impl PartWriter {
    /// Appends `data` to the part. Past R2's upload limit (5 GiB less
    /// 5 MiB), fails with `EntityTooLarge`.
    pub fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        self.blob.write(data)
    }

    /// Stores the part; returns its number and ETag for `complete`.
    pub fn finish(self) -> Result<UploadedPart, StorageError> {
        let PartWriter {
            bucket,
            upload_id,
            part_number,
            blob,
        } = self;
        let written = blob.finish()?;
        let etag = super::hex(&written.md5);
        let committed = (|| {
            let mut db = bucket.inner.db.lock();
            let tx = db
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| bucket.sql_error(e))?;
            let state: Option<i64> = tx
                .query_row(
                    "SELECT state FROM uploads WHERE upload_id = ?1",
                    [&upload_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| bucket.sql_error(e))?;
            if state != Some(IN_PROGRESS) {
                return Err(failure::no_such_upload());
            }
            let old: Option<String> = tx
                .query_row(
                    "SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                    rusqlite::params![upload_id, part_number],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| bucket.sql_error(e))?;
            tx.execute(
                "INSERT OR REPLACE INTO parts (upload_id, part_number, blob, size, etag) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    upload_id,
                    part_number,
                    written.id,
                    written.size as i64,
                    etag
                ],
            )
            .map_err(|e| bucket.sql_error(e))?;
            tx.commit().map_err(|e| bucket.sql_error(e))?;
            Ok(old)
        })();
        match committed {
            Ok(old) => {
                bucket.inner.blobs.remove(old);
                Ok(UploadedPart { part_number, etag })
            }
            Err(e) => {
                bucket.inner.blobs.remove([written.id]);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_etags_are_the_md5_of_the_part_md5s() {
        // The example of Cloudflare's multipart documentation.
        assert_eq!(
            multipart_etag(
                [
                    "bce6bf66aeb76c7040fdd5f4eccb78e6",
                    "8165449fc15bbf43d3b674595cbcc406"
                ]
                .into_iter()
            ),
            "f77dc0eecdebcd774a2a22cb393ad2ff-2"
        );
    }

    #[test]
    fn part_sizes_follow_r2s_rules() {
        const M: u64 = limits::MIN_PART_BYTES;
        let p = |n: u32, s: u64| (n, String::new(), s);
        let code = |parts: &mut [(u32, String, u64)]| {
            check_part_sizes(parts)
                .err()
                .and_then(|e| failure::code(&e))
        };
        assert_eq!(code(&mut [p(1, M), p(2, M), p(3, 1)]), None);
        assert_eq!(code(&mut [p(1, 1)]), None);
        assert_eq!(
            code(&mut [p(1, M - 1), p(2, 1)]),
            Some(failure::ENTITY_TOO_SMALL)
        );
        assert_eq!(
            code(&mut [p(1, M + 1), p(2, M), p(3, 1)]),
            Some(failure::BAD_UPLOAD)
        );
        assert_eq!(code(&mut [p(1, M), p(2, M + 1)]), Some(failure::BAD_UPLOAD));
        // Given out of order, the smaller part ends up in the middle.
        assert_eq!(
            code(&mut [p(1, M), p(3, M), p(2, 1)]),
            Some(failure::BAD_UPLOAD)
        );
        assert_eq!(code(&mut []), Some(failure::BAD_UPLOAD));
    }
}
