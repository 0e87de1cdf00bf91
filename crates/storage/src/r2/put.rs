//! `put`: an object's body streamed into a blob, then its metadata
//! committed.

use crate::r2::blob::BlobWriter;
use crate::r2::object::{
    custom_to_json, ChecksumAlgorithm, Checksums, CustomMetadata, HttpMetadata,
};
use crate::r2::{
    check_key, check_metadata, failure, limits, now_ms, random_id, storage_class, Bucket,
    Conditional, ObjectMeta,
};
use crate::StorageError;

/// Options of [`Bucket::put`] (`R2PutOptions`).
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Store only if these hold.
    pub only_if: Option<Conditional>,
    /// The HTTP metadata.
    pub http_metadata: HttpMetadata,
    /// The custom metadata.
    pub custom_metadata: CustomMetadata,
    /// A checksum the body must have (one algorithm at most, as in R2).
    pub checksum: Option<(ChecksumAlgorithm, Vec<u8>)>,
    /// `Standard` (default) or `InfrequentAccess`.
    pub storage_class: Option<String>,
}

/// A `put` under way: write the body, then [`finish`](ObjectWriter::finish).
/// Dropped unfinished, nothing is stored.
pub struct ObjectWriter {
    bucket: Bucket,
    key: String,
    options: PutOptions,
    storage_class: String,
    blob: BlobWriter,
}

impl Bucket {
    /// Starts storing an object under `key`. The key, metadata and storage
    /// class are checked first, so a bad one fails before any body is
    /// written.
    pub fn put(&self, key: &str, options: PutOptions) -> Result<ObjectWriter, StorageError> {
        check_key(key)?;
        check_metadata(&options.custom_metadata)?;
        let storage_class = storage_class(options.storage_class.as_deref())?;
        if let Some((algorithm, digest)) = &options.checksum {
            if digest.len() != algorithm.digest_len() {
                return Err(failure::invalid_argument(format!(
                    "{} is {} bytes, not {}",
                    algorithm.display_name(),
                    algorithm.digest_len(),
                    digest.len()
                )));
            }
        }
        let extra = options
            .checksum
            .as_ref()
            .map(|(a, _)| *a)
            .filter(|a| *a != ChecksumAlgorithm::Md5);
        let blob = self.inner.blobs.create(limits::MAX_UPLOAD_BYTES, extra)?;
        Ok(ObjectWriter {
            bucket: self.clone(),
            key: key.to_owned(),
            options,
            storage_class,
            blob,
        })
    }
}

impl ObjectWriter {
    /// Appends `data` to the body. Past R2's upload limit (5 GiB less
    /// 5 MiB), fails with `EntityTooLarge`.
    pub fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        self.blob.write(data)
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.blob.size()
    }

    #[cfg(test)]
    pub(crate) fn blob_mut(&mut self) -> &mut BlobWriter {
        &mut self.blob
    }

    /// Checks the body against the checksum given, then stores the object:
    /// its metadata, or `None` if `onlyIf` did not hold (nothing is stored
    /// then). Once this returns the object is durable.
    pub fn finish(self) -> Result<Option<ObjectMeta>, StorageError> {
        let ObjectWriter {
            bucket,
            key,
            options,
            storage_class,
            blob,
        } = self;
        let blobs = &bucket.inner.blobs;
        let written = blob.finish()?;
        let mut checksums = vec![(ChecksumAlgorithm::Md5, written.md5.clone())];
        if let Some((algorithm, expected)) = &options.checksum {
            let actual = if *algorithm == ChecksumAlgorithm::Md5 {
                written.md5.clone()
            } else {
                written.extra.clone().map(|(_, d)| d).unwrap_or_default()
            };
            if &actual != expected {
                blobs.remove([written.id]);
                return Err(failure::bad_digest(
                    algorithm.display_name(),
                    expected,
                    &actual,
                ));
            }
            if *algorithm != ChecksumAlgorithm::Md5 {
                checksums.push((*algorithm, actual));
            }
        }
        let meta = ObjectMeta {
            key: key.clone(),
            version: random_id(),
            size: written.size,
            etag: super::hex(&written.md5),
            uploaded: now_ms(),
            http_metadata: options.http_metadata,
            custom_metadata: options.custom_metadata,
            checksums: Checksums(checksums),
            storage_class,
            range: None,
        };
        let stored = bucket.commit_object(&meta, Some(&written.id), None, options.only_if.as_ref());
        match stored {
            Ok(Some(freed)) => {
                blobs.remove(freed);
                Ok(Some(meta))
            }
            Ok(None) => {
                blobs.remove([written.id]);
                Ok(None)
            }
            Err(e) => {
                blobs.remove([written.id]);
                Err(e)
            }
        }
    }
}

impl Bucket {
    /// Commits `meta` as the object of its key, its body in `blob` or in the
    /// parts of `upload_id`, if `only_if` holds for the object it replaces.
    /// Returns the blobs of the replaced object (to remove now that nothing
    /// names them), or `None` if `only_if` did not hold.
    pub(crate) fn commit_object(
        &self,
        meta: &ObjectMeta,
        blob: Option<&str>,
        upload_id: Option<&str>,
        only_if: Option<&Conditional>,
    ) -> Result<Option<Vec<String>>, StorageError> {
        let mut db = self.inner.db.lock();
        let tx = db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.sql_error(e))?;
        let old = self.row(&tx, &meta.key)?;
        if let Some(only_if) = only_if {
            let current = old
                .as_ref()
                .map(|r| (r.meta.etag.as_str(), r.meta.uploaded));
            if !only_if.holds(current) {
                return Ok(None);
            }
        }
        let freed = self.replace_object(&tx, meta, blob, upload_id)?;
        tx.commit().map_err(|e| self.sql_error(e))?;
        Ok(Some(freed))
    }

    /// In transaction `tx`: deletes the object of `meta.key` if there is one
    /// and inserts `meta` in its place. Returns the blobs that held the
    /// replaced object's body.
    pub(crate) fn replace_object(
        &self,
        tx: &rusqlite::Connection,
        meta: &ObjectMeta,
        blob: Option<&str>,
        upload_id: Option<&str>,
    ) -> Result<Vec<String>, StorageError> {
        let freed = match self.row(tx, &meta.key)? {
            Some(row) => self.unlink_row(tx, &row)?,
            None => Vec::new(),
        };
        tx.execute(
            "INSERT INTO objects (key, version, size, etag, uploaded, checksums, http_metadata, \
             custom_metadata, storage_class, blob, upload_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            rusqlite::params![
                meta.key.as_bytes(),
                meta.version,
                meta.size as i64,
                meta.etag,
                meta.uploaded,
                meta.checksums.to_json(),
                serde_json::to_string(&meta.http_metadata).unwrap_or_else(|_| "{}".into()),
                custom_to_json(&meta.custom_metadata),
                meta.storage_class,
                blob,
                upload_id,
            ],
        )
        .map_err(|e| self.sql_error(e))?;
        Ok(freed)
    }
}
