//! What R2 knows of an object: its metadata (`R2Object` in the Workers
//! API), the HTTP metadata and checksums stored with it.

use serde::{Deserialize, Serialize};

/// The HTTP headers stored with an object (`R2HTTPMetadata`): given at
/// upload, written back by `writeHttpMetadata`. Absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpMetadata {
    /// `Content-Type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Content-Language`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    /// `Content-Disposition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `Cache-Control`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `Expires`, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_expiry: Option<i64>,
}

/// Custom metadata: user-defined names and values, in the order given.
pub type CustomMetadata = Vec<(String, String)>;

/// The hash algorithms R2 checks uploads with (`R2Checksums`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// MD5 (16 bytes); R2 keeps it for every single-part object.
    Md5,
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-256 (32 bytes).
    Sha256,
    /// SHA-384 (48 bytes).
    Sha384,
    /// SHA-512 (64 bytes).
    Sha512,
}

impl ChecksumAlgorithm {
    /// Every algorithm, in the order of R2's `R2Checksums` fields.
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Md5,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Sha384,
        ChecksumAlgorithm::Sha512,
    ];

    /// The option and field name: `md5`, `sha1`, … `sha512`.
    pub fn field(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Md5 => "md5",
            ChecksumAlgorithm::Sha1 => "sha1",
            ChecksumAlgorithm::Sha256 => "sha256",
            ChecksumAlgorithm::Sha384 => "sha384",
            ChecksumAlgorithm::Sha512 => "sha512",
        }
    }

    /// The algorithm by its field name.
    pub fn from_field(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.field() == name)
    }

    /// The name R2's messages use: `MD5`, `SHA-1`, … `SHA-512`.
    pub fn display_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Md5 => "MD5",
            ChecksumAlgorithm::Sha1 => "SHA-1",
            ChecksumAlgorithm::Sha256 => "SHA-256",
            ChecksumAlgorithm::Sha384 => "SHA-384",
            ChecksumAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// The digest's length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Md5 => 16,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
            ChecksumAlgorithm::Sha384 => 48,
            ChecksumAlgorithm::Sha512 => 64,
        }
    }
}

/// The checksums stored with an object: MD5 for every single-part object,
/// and the one checksum its upload was checked with, if another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checksums(pub Vec<(ChecksumAlgorithm, Vec<u8>)>);

impl Checksums {
    /// The digest of `algorithm`, if stored.
    pub fn get(&self, algorithm: ChecksumAlgorithm) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map(|(_, d)| d.as_slice())
    }

    pub(crate) fn to_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(a, d)| (a.field().to_owned(), super::hex(d).into()))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    pub(crate) fn from_json(text: &str) -> Self {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) else {
            return Self::default();
        };
        Checksums(
            ChecksumAlgorithm::ALL
                .into_iter()
                .filter_map(|a| {
                    let hex = map.get(a.field())?.as_str()?;
                    Some((a, super::unhex(hex)?))
                })
                .collect(),
        )
    }
}

/// The storage classes of R2.
pub const STORAGE_CLASSES: [&str; 2] = ["Standard", "InfrequentAccess"];

/// A byte range of an object: where it starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// The first byte.
    pub offset: u64,
    /// How many bytes.
    pub length: u64,
}

/// An object's metadata (`R2Object`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The key.
    pub key: String,
    /// A random string, new for each upload of the key.
    pub version: String,
    /// The size in bytes.
    pub size: u64,
    /// The ETag, unquoted: the body's MD5 in hex, or for a multipart upload
    /// the MD5 of its parts' MD5s followed by `-` and the number of parts.
    pub etag: String,
    /// When it was uploaded, in milliseconds since the Unix epoch.
    pub uploaded: i64,
    /// The HTTP metadata.
    pub http_metadata: HttpMetadata,
    /// The custom metadata.
    pub custom_metadata: CustomMetadata,
    /// The checksums.
    pub checksums: Checksums,
    /// `Standard` or `InfrequentAccess`.
    pub storage_class: String,
    /// The range a `get` returns (the whole object when none was asked
    /// for); `None` from `put` and `list`.
    pub range: Option<ByteRange>,
}

impl ObjectMeta {
    /// The ETag in quotes, as an HTTP header carries it (`httpEtag`).
    pub fn http_etag(&self) -> String {
        format!("\"{}\"", self.etag)
    }
}

/// Custom metadata as stored: a JSON list of `[name, value]` pairs, which
/// keeps the order they were given in.
pub(crate) fn custom_to_json(custom: &CustomMetadata) -> String {
    serde_json::to_string(custom).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn custom_from_json(text: &str) -> CustomMetadata {
    serde_json::from_str(text).unwrap_or_default()
}
