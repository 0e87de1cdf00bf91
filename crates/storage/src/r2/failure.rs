//! R2's errors: the codes and messages R2 answers with (Cloudflare's R2
//! error code reference), as [`StorageError::R2`]. The binding shows them as
//! R2 does: `put: <message> (<code>)`.

use crate::StorageError;

/// `InternalError`: something failed on R2's side.
pub const INTERNAL_ERROR: u32 = 10001;
/// `NoSuchKey`: the object does not exist.
pub const NO_SUCH_KEY: u32 = 10007;
/// `EntityTooSmall`: a multipart part other than the last is under 5 MiB.
pub const ENTITY_TOO_SMALL: u32 = 10011;
/// `MetadataTooLarge`: custom metadata over 8,192 bytes.
pub const METADATA_TOO_LARGE: u32 = 10012;
/// `InvalidObjectName`: a key over 1,024 bytes.
pub const INVALID_OBJECT_NAME: u32 = 10020;
/// `InvalidMaxKeys`: a list limit outside 1..=1000.
pub const INVALID_MAX_KEYS: u32 = 10022;
/// `NoSuchUpload`: the multipart upload does not exist, or was completed or
/// aborted.
pub const NO_SUCH_UPLOAD: u32 = 10024;
/// `InvalidPart`: a part given to `complete` was not uploaded (or its ETag
/// differs).
pub const INVALID_PART: u32 = 10025;
/// `InvalidArgument`: an argument R2 cannot use.
pub const INVALID_ARGUMENT: u32 = 10029;
/// `PreconditionFailed`: an `onlyIf` condition did not hold.
pub const PRECONDITION_FAILED: u32 = 10031;
/// `BadDigest`: the body's checksum differs from the one given.
pub const BAD_DIGEST: u32 = 10037;
/// `InvalidRange`: the range cannot be satisfied.
pub const INVALID_RANGE: u32 = 10039;
/// `InvalidStorageClass`: a storage class other than `Standard` and
/// `InfrequentAccess`.
pub const INVALID_STORAGE_CLASS: u32 = 10040;
/// `InvalidPart` (sizes): the parts of a multipart upload are not uniform.
pub const BAD_UPLOAD: u32 = 10048;
/// `EntityTooLarge`: an upload or object over R2's size limits.
pub const ENTITY_TOO_LARGE: u32 = 100100;

fn failure(code: u32, message: impl Into<String>) -> StorageError {
    StorageError::R2 {
        code,
        message: message.into(),
    }
}

/// R2's error code, when `error` is one of R2's errors.
pub fn code(error: &StorageError) -> Option<u32> {
    match error {
        StorageError::R2 { code, .. } => Some(*code),
        _ => None,
    }
}

pub(crate) fn internal_error() -> StorageError {
    failure(
        INTERNAL_ERROR,
        "We encountered an internal error. Please try again.",
    )
}

pub(crate) fn entity_too_small() -> StorageError {
    failure(
        ENTITY_TOO_SMALL,
        "Your proposed upload is smaller than the minimum allowed object size.",
    )
}

pub(crate) fn metadata_too_large() -> StorageError {
    failure(
        METADATA_TOO_LARGE,
        "Your metadata headers exceed the maximum allowed metadata size.",
    )
}

pub(crate) fn invalid_object_name() -> StorageError {
    failure(
        INVALID_OBJECT_NAME,
        "The specified object name is not valid.",
    )
}

pub(crate) fn invalid_max_keys() -> StorageError {
    failure(
        INVALID_MAX_KEYS,
        "MaxKeys params must be positive integer <= 1000.",
    )
}

pub(crate) fn no_such_upload() -> StorageError {
    failure(
        NO_SUCH_UPLOAD,
        "The specified multipart upload does not exist.",
    )
}

pub(crate) fn invalid_part() -> StorageError {
    failure(
        INVALID_PART,
        "One or more of the specified parts could not be found.",
    )
}

pub(crate) fn invalid_argument(message: impl Into<String>) -> StorageError {
    failure(INVALID_ARGUMENT, message)
}

pub(crate) fn bad_digest(algorithm: &str, provided: &[u8], actual: &[u8]) -> StorageError {
    failure(
        BAD_DIGEST,
        format!(
            "The {algorithm} checksum you specified did not match what we received.\n\
             You provided a {algorithm} checksum with value: {}\n\
             Actual {algorithm} was: {}",
            super::hex(provided),
            super::hex(actual)
        ),
    )
}

pub(crate) fn invalid_range() -> StorageError {
    failure(INVALID_RANGE, "The requested range is not satisfiable")
}

pub(crate) fn invalid_storage_class() -> StorageError {
    failure(
        INVALID_STORAGE_CLASS,
        "The storage class you specified is not valid.",
    )
}

pub(crate) fn bad_upload() -> StorageError {
    failure(BAD_UPLOAD, "There was a problem with the multipart upload.")
}

pub(crate) fn entity_too_large() -> StorageError {
    failure(
        ENTITY_TOO_LARGE,
        "Your proposed upload exceeds the maximum allowed object size.",
    )
}
