//! R2 bucket bindings (`r2_buckets`): the host side of
//! `crates/webapi/js/cloudflare/r2.js`, over [`motu_storage::r2::Bucket`].
//!
//! The JavaScript classes check and normalise their arguments and call one
//! method here for each operation; the work runs on the work pool and its
//! result settles the operation's promise. R2's errors reach JavaScript as
//! R2 throws them: `Error` with `<operation>: <message> (<code>)`.
//!
//! Bodies cross in pieces, each one call (and one piece of work), so that
//! neither the isolate nor the host holds a large object whole:
//!
//! - `get` returns the object's metadata with its first piece (up to
//!   [`PIECE`] bytes) and, when there is more, the handle of an open
//!   reader: `read(handle, max)` returns `[piece, more]` (the next piece,
//!   and whether another follows; the reader is closed after the last),
//!   or `null` past the end.
//! - `put` takes a whole value; a stream is sent as `put_start(key,
//!   options)` (a handle), `write(handle, bytes)` per piece and
//!   `put_finish(handle)`. Parts of a multipart upload the same way
//!   (`upload_part`, or `part_start`, `write`, `part_finish`).
//! - `drop(handle)` closes a reader or abandons a write (nothing is
//!   stored). A handle nobody uses for [`IDLE`] (its event ended without
//!   closing it) is closed when another stream opens.
//!
//! The methods and their results:
//!
//! - `head(key)`: the object's metadata (below) or `null`;
//! - `get(key, onlyIf, range)`: `null`, `[meta, null, null]` when `onlyIf`
//!   does not hold, or `[meta, firstPiece, handle | null]`;
//! - `put(key, options, value)`, `put_finish(handle)`: the stored object's
//!   metadata, or `null` when `onlyIf` does not hold;
//! - `delete(keys)`; `list(options)`: `{ objects, truncated, cursor?,
//!   delimitedPrefixes }`;
//! - `create_multipart(key, options)`: the upload id;
//!   `upload_part(key, uploadId, partNumber, value)`, `part_finish(handle)`:
//!   `{ partNumber, etag }`; `complete_multipart(key, uploadId,
//!   [[partNumber, etag], …])`: the object's metadata;
//!   `abort_multipart(key, uploadId)`.
//!
//! Metadata is `{ key, version, size, etag, uploaded (ms), httpMetadata,
//! customMetadata, checksums: { md5: bytes, … }, storageClass, range? }`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use motu_engine::{HostValue, JsError};
use motu_storage::r2::{
    failure, ByteRange, ChecksumAlgorithm, Conditional, EtagCondition, GetOptions, GetResult,
    HttpMetadata, ListOptions, MultipartOptions, ObjectMeta, ObjectReader, ObjectWriter,
    PartWriter, PutOptions, R2Store, RangeRequest, UploadedPart,
};
use motu_storage::{StateFolder, StorageError};
use motu_webapi::Work;
use parking_lot::Mutex;

use super::{BindingKind, Call, Kind, StorageBinding, Store, EXTERNAL_OPS};

impl BindingKind {
    /// An R2 bucket (`r2_buckets`).
    pub const R2: BindingKind = BindingKind("r2");
}

impl StorageBinding {
    /// `env.<binding>` is the R2 bucket `bucket` (in `jurisdiction`, if
    /// given; a bucket of the same name in a jurisdiction is another one).
    pub fn r2(
        binding: impl Into<String>,
        bucket: impl Into<String>,
        jurisdiction: Option<&str>,
    ) -> Self {
        let bucket = bucket.into();
        Self {
            binding: binding.into(),
            kind: BindingKind::R2,
            // Bucket names have no dots: the id splits back unambiguously.
            id: match jurisdiction {
                Some(j) => format!("{bucket}.{j}"),
                None => bucket,
            },
        }
    }
}

pub(super) const KIND: Kind = Kind {
    kind: BindingKind::R2,
    limit: EXTERNAL_OPS,
    open,
};

/// The most bytes one call hands over of a body.
pub(crate) const PIECE: usize = 1 << 20;

/// How long an open reader or writer may go unused before it is closed.
pub(crate) const IDLE: Duration = Duration::from_secs(600);

fn open(state: &StateFolder, id: &str) -> Result<Arc<dyn Store>, StorageError> {
    let (name, jurisdiction) = match id.split_once('.') {
        Some((name, j)) => (name, Some(j)),
        None => (id, None),
    };
    let store = R2Store::new(state.kind_folder("r2")?);
    let bucket = store.bucket(name, jurisdiction)?;
    Ok(Arc::new(R2Binding {
        bucket,
        streams: Arc::new(Streams::default()),
    }))
}

/// The bucket behind an R2 binding, and its open readers and writers.
struct R2Binding {
    bucket: motu_storage::r2::Bucket,
    streams: Arc<Streams>,
}

/// A body being read or written across calls.
enum Open {
    Read(ObjectReader),
    Put(ObjectWriter),
    Part(PartWriter),
}

impl Open {
    /// The operation errors of this stream are reported as.
    fn action(&self) -> &'static str {
        match self {
            Open::Read(_) => "get",
            Open::Put(_) => "put",
            Open::Part(_) => "uploadPart",
        }
    }
}

/// Open readers and writers by handle, shared by the isolates that use the
/// bucket (a handle is only ever used by the event that opened it).
#[derive(Default)]
struct Streams {
    next: AtomicU64,
    open: Mutex<HashMap<u64, (Open, Instant)>>,
}

impl Streams {
    /// Keeps `stream` under a new handle, closing streams left idle.
    fn keep(&self, stream: Open) -> u64 {
        let handle = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        let mut open = self.open.lock();
        open.retain(|_, (_, used)| now.duration_since(*used) < IDLE);
        open.insert(handle, (stream, now));
        handle
    }

    /// Takes the stream under `handle` out while work uses it.
    fn take(&self, handle: u64) -> Result<Open, JsError> {
        self.open
            .lock()
            .remove(&handle)
            .map(|(s, _)| s)
            .ok_or_else(|| JsError::type_error(format!("R2: body stream {handle} is not open")))
    }

    /// Puts a stream back after use.
    fn put_back(&self, handle: u64, stream: Open) {
        self.open.lock().insert(handle, (stream, Instant::now()));
    }
}

/// R2's error as JavaScript sees it: `<action>: <message> (<code>)`. Other
/// failures (the disk) are R2's internal error, with the cause logged.
fn r2_error(action: &str, e: StorageError) -> JsError {
    match e {
        StorageError::R2 { code, message } => {
            JsError::new("Error", format!("{action}: {message} ({code})"))
        }
        other => {
            tracing::error!("R2 {action}: {other}");
            let internal = failure::code(&other).unwrap_or(failure::INTERNAL_ERROR);
            JsError::new(
                "Error",
                format!(
                    "{action}: We encountered an internal error. Please try again. ({internal})"
                ),
            )
        }
    }
}

fn arg_error(what: &str) -> JsError {
    JsError::type_error(format!("R2: {what}"))
}

fn string(value: Option<HostValue>, what: &str) -> Result<String, JsError> {
    match value {
        Some(HostValue::String(s)) => Ok(s),
        _ => Err(arg_error(&format!("{what} must be a string"))),
    }
}

fn handle_arg(value: Option<HostValue>) -> Result<u64, JsError> {
    match value {
        Some(HostValue::Number(n)) if n >= 1.0 => Ok(n as u64),
        _ => Err(arg_error("a body stream handle must be a number")),
    }
}

fn bytes(value: Option<HostValue>) -> Result<Vec<u8>, JsError> {
    match value {
        Some(HostValue::String(s)) => Ok(s.into_bytes()),
        Some(HostValue::Bytes(b)) => Ok(b),
        Some(HostValue::Chunks(c)) => Ok(c.concat()),
        _ => Err(arg_error("a value must be a string or bytes")),
    }
}

/// The fields of a plain object.
fn fields(value: Option<HostValue>) -> Vec<(String, HostValue)> {
    match value {
        Some(HostValue::Map(fields)) => fields,
        _ => Vec::new(),
    }
}

fn field<'a>(fields: &'a [(String, HostValue)], name: &str) -> Option<&'a HostValue> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn field_str(fields: &[(String, HostValue)], name: &str) -> Option<String> {
    field(fields, name)
        .and_then(HostValue::as_str)
        .map(str::to_owned)
}

fn field_ms(fields: &[(String, HostValue)], name: &str) -> Option<i64> {
    field(fields, name)
        .and_then(HostValue::as_f64)
        .filter(|n| n.is_finite())
        .map(|n| n as i64)
}

/// `onlyIf` as r2.js sends it: `{ headers, etagMatches?, etagDoesNotMatch?,
/// uploadedBefore?, uploadedAfter?, secondsGranularity? }`, the ETag fields
/// an `R2Conditional`'s strings or the `If-Match` / `If-None-Match` headers.
fn conditional(value: Option<HostValue>) -> Result<Option<Conditional>, JsError> {
    if !matches!(value, Some(HostValue::Map(_))) {
        return Ok(None);
    }
    let f = fields(value);
    let headers = matches!(field(&f, "headers"), Some(HostValue::Bool(true)));
    let etags = |name: &str, header: &str| -> Result<Option<Vec<EtagCondition>>, JsError> {
        let Some(text) = field_str(&f, name) else {
            return Ok(None);
        };
        let parsed = if headers {
            Conditional::etag_header(&text, header)
        } else {
            Conditional::etag_option(&text)
        };
        parsed.map(Some).map_err(|m| {
            if headers {
                JsError::new("Error", m)
            } else {
                JsError::type_error(m)
            }
        })
    };
    Ok(Some(Conditional {
        etag_matches: etags("etagMatches", "if-match")?,
        etag_does_not_match: etags("etagDoesNotMatch", "if-none-match")?,
        uploaded_before: field_ms(&f, "uploadedBefore"),
        uploaded_after: field_ms(&f, "uploadedAfter"),
        seconds_granularity: headers
            || matches!(field(&f, "secondsGranularity"), Some(HostValue::Bool(true))),
    }))
}

/// `range` as r2.js sends it: `{ offset?, length?, suffix? }` or
/// `{ header }`.
fn range(value: Option<HostValue>) -> Option<RangeRequest> {
    if !matches!(value, Some(HostValue::Map(_))) {
        return None;
    }
    let f = fields(value);
    if let Some(header) = field_str(&f, "header") {
        return Some(RangeRequest::Header(header));
    }
    let n = |name: &str| {
        field(&f, name)
            .and_then(HostValue::as_f64)
            .map(|n| n as u64)
    };
    Some(RangeRequest::Bytes {
        offset: n("offset"),
        length: n("length"),
        suffix: n("suffix"),
    })
}

fn http_metadata(value: Option<&HostValue>) -> HttpMetadata {
    let f = match value {
        Some(HostValue::Map(f)) => f.as_slice(),
        _ => &[],
    };
    HttpMetadata {
        content_type: field_str(f, "contentType"),
        content_language: field_str(f, "contentLanguage"),
        content_disposition: field_str(f, "contentDisposition"),
        content_encoding: field_str(f, "contentEncoding"),
        cache_control: field_str(f, "cacheControl"),
        cache_expiry: field_ms(f, "cacheExpiry"),
    }
}

fn custom_metadata(value: Option<&HostValue>) -> Vec<(String, String)> {
    match value {
        Some(HostValue::Map(f)) => f
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    }
}

/// put's options: `{ onlyIf?, httpMetadata?, customMetadata?, checksum?:
/// [field, bytes], storageClass? }`.
fn put_options(value: Option<HostValue>) -> Result<PutOptions, JsError> {
    let mut f = fields(value);
    let only_if = match f.iter().position(|(k, _)| k == "onlyIf") {
        Some(i) => conditional(Some(f.remove(i).1))?,
        None => None,
    };
    let checksum = match field(&f, "checksum") {
        Some(HostValue::List(pair)) => match pair.as_slice() {
            [HostValue::String(name), HostValue::Bytes(digest)] => Some((
                ChecksumAlgorithm::from_field(name).ok_or_else(|| arg_error("unknown checksum"))?,
                digest.clone(),
            )),
            _ => return Err(arg_error("a checksum must be [name, bytes]")),
        },
        _ => None,
    };
    Ok(PutOptions {
        only_if,
        http_metadata: http_metadata(field(&f, "httpMetadata")),
        custom_metadata: custom_metadata(field(&f, "customMetadata")),
        checksum,
        storage_class: field_str(&f, "storageClass"),
    })
}

fn multipart_options(value: Option<HostValue>) -> MultipartOptions {
    let f = fields(value);
    MultipartOptions {
        http_metadata: http_metadata(field(&f, "httpMetadata")),
        custom_metadata: custom_metadata(field(&f, "customMetadata")),
        storage_class: field_str(&f, "storageClass"),
    }
}

fn list_options(value: Option<HostValue>) -> ListOptions {
    let f = fields(value);
    // Not a whole number from 1 to 1000: 0, which R2 refuses (InvalidMaxKeys).
    let limit = field(&f, "limit").and_then(HostValue::as_f64).map(|n| {
        if n.fract() == 0.0 && (1.0..=1000.0).contains(&n) {
            n as u32
        } else {
            0
        }
    });
    ListOptions {
        limit,
        prefix: field_str(&f, "prefix"),
        cursor: field_str(&f, "cursor"),
        delimiter: field_str(&f, "delimiter"),
        start_after: field_str(&f, "startAfter"),
    }
}

fn map(fields: Vec<(&str, HostValue)>) -> HostValue {
    HostValue::Map(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn range_value(range: ByteRange) -> HostValue {
    map(vec![
        ("offset", (range.offset as f64).into()),
        ("length", (range.length as f64).into()),
    ])
}

/// An object's metadata as r2.js reads it.
fn meta_value(meta: ObjectMeta) -> HostValue {
    let h = meta.http_metadata;
    let mut http = Vec::new();
    for (name, value) in [
        ("contentType", h.content_type),
        ("contentLanguage", h.content_language),
        ("contentDisposition", h.content_disposition),
        ("contentEncoding", h.content_encoding),
        ("cacheControl", h.cache_control),
    ] {
        if let Some(v) = value {
            http.push((name, HostValue::String(v)));
        }
    }
    if let Some(ms) = h.cache_expiry {
        http.push(("cacheExpiry", (ms as f64).into()));
    }
    let mut fields = vec![
        ("key", HostValue::String(meta.key)),
        ("version", HostValue::String(meta.version)),
        ("size", (meta.size as f64).into()),
        ("etag", HostValue::String(meta.etag)),
        ("uploaded", (meta.uploaded as f64).into()),
        ("httpMetadata", map(http)),
        (
            "customMetadata",
            HostValue::Map(
                meta.custom_metadata
                    .into_iter()
                    .map(|(k, v)| (k, HostValue::String(v)))
                    .collect(),
            ),
        ),
        (
            "checksums",
            HostValue::Map(
                meta.checksums
                    .0
                    .into_iter()
                    .map(|(a, d)| (a.field().to_owned(), HostValue::Bytes(d)))
                    .collect(),
            ),
        ),
        ("storageClass", HostValue::String(meta.storage_class)),
    ];
    if let Some(range) = meta.range {
        fields.push(("range", range_value(range)));
    }
    map(fields)
}

fn part_value(part: UploadedPart) -> HostValue {
    map(vec![
        ("partNumber", (part.part_number as f64).into()),
        ("etag", HostValue::String(part.etag)),
    ])
}

/// Work on the pool (never at once: it waits on the disk).
fn work(
    input_bytes: usize,
    job: impl FnOnce() -> Result<HostValue, JsError> + Send + 'static,
) -> Work {
    Work::from_fn(input_bytes, false, move |_| job())
}

/// Reads the next piece of `reader`: bytes, or `None` at its end.
fn read_piece(reader: &mut ObjectReader, max: usize) -> Result<Option<Vec<u8>>, JsError> {
    reader.read_chunk(max).map_err(|e| {
        r2_error(
            "get",
            StorageError::Io {
                path: "R2 object".into(),
                source: e,
            },
        )
    })
}

impl Store for R2Binding {
    fn call(&self, method: &str, args: Vec<HostValue>, _call: &Call<'_>) -> Result<Work, JsError> {
        let mut args = args.into_iter();
        let bucket = self.bucket.clone();
        let streams = self.streams.clone();
        Ok(match method {
            "head" => {
                let key = string(args.next(), "the key")?;
                work(0, move || {
                    Ok(bucket
                        .head(&key)
                        .map_err(|e| r2_error("head", e))?
                        .map_or(HostValue::Null, meta_value))
                })
            }
            "get" => {
                let key = string(args.next(), "the key")?;
                let options = GetOptions {
                    only_if: conditional(args.next())?,
                    range: range(args.next()),
                };
                work(0, move || {
                    let found = bucket.get(&key, &options).map_err(|e| r2_error("get", e))?;
                    Ok(match found {
                        GetResult::NotFound => HostValue::Null,
                        GetResult::PreconditionFailed(meta) => HostValue::List(vec![
                            meta_value(meta),
                            HostValue::Null,
                            HostValue::Null,
                        ]),
                        GetResult::Found(meta, mut reader) => {
                            let first = read_piece(&mut reader, PIECE)?.unwrap_or_default();
                            let handle = if reader.remaining() > 0 {
                                (streams.keep(Open::Read(reader)) as f64).into()
                            } else {
                                HostValue::Null
                            };
                            HostValue::List(vec![meta_value(meta), HostValue::Bytes(first), handle])
                        }
                    })
                })
            }
            "read" => {
                let handle = handle_arg(args.next())?;
                let max = args
                    .next()
                    .and_then(|m| m.as_f64())
                    .map_or(PIECE, |m| (m as usize).clamp(1, PIECE));
                work(0, move || {
                    let Open::Read(mut reader) = streams.take(handle)? else {
                        return Err(arg_error("not a reader"));
                    };
                    match read_piece(&mut reader, max)? {
                        Some(piece) => {
                            let more = reader.remaining() > 0;
                            if more {
                                streams.put_back(handle, Open::Read(reader));
                            }
                            Ok(HostValue::List(vec![
                                HostValue::Bytes(piece),
                                HostValue::Bool(more),
                            ]))
                        }
                        None => Ok(HostValue::Null),
                    }
                })
            }
            "put" => {
                let key = string(args.next(), "the key")?;
                let options = put_options(args.next())?;
                let value = bytes(args.next())?;
                work(value.len(), move || {
                    let mut writer = bucket.put(&key, options).map_err(|e| r2_error("put", e))?;
                    writer.write(&value).map_err(|e| r2_error("put", e))?;
                    let stored = writer.finish().map_err(|e| r2_error("put", e))?;
                    Ok(stored.map_or(HostValue::Null, meta_value))
                })
            }
            "put_start" => {
                let key = string(args.next(), "the key")?;
                let options = put_options(args.next())?;
                work(0, move || {
                    let writer = bucket.put(&key, options).map_err(|e| r2_error("put", e))?;
                    Ok((streams.keep(Open::Put(writer)) as f64).into())
                })
            }
            "write" => {
                let handle = handle_arg(args.next())?;
                let piece = bytes(args.next())?;
                work(piece.len(), move || {
                    let mut open = streams.take(handle)?;
                    let written = match &mut open {
                        Open::Put(w) => w.write(&piece),
                        Open::Part(w) => w.write(&piece),
                        Open::Read(_) => return Err(arg_error("not a writer")),
                    };
                    // A failed write abandons the upload (`open` is dropped).
                    written.map_err(|e| r2_error(open.action(), e))?;
                    streams.put_back(handle, open);
                    Ok(HostValue::Undefined)
                })
            }
            "put_finish" => {
                let handle = handle_arg(args.next())?;
                work(0, move || {
                    let Open::Put(writer) = streams.take(handle)? else {
                        return Err(arg_error("not an object writer"));
                    };
                    let stored = writer.finish().map_err(|e| r2_error("put", e))?;
                    Ok(stored.map_or(HostValue::Null, meta_value))
                })
            }
            "drop" => {
                let handle = handle_arg(args.next())?;
                work(0, move || {
                    drop(streams.take(handle));
                    Ok(HostValue::Undefined)
                })
            }
            "delete" => {
                let keys = match args.next() {
                    Some(HostValue::List(keys)) => keys
                        .into_iter()
                        .map(|k| string(Some(k), "a key"))
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => return Err(arg_error("the keys must be a list")),
                };
                work(0, move || {
                    bucket.delete(&keys).map_err(|e| r2_error("delete", e))?;
                    Ok(HostValue::Undefined)
                })
            }
            "list" => {
                let options = list_options(args.next());
                work(0, move || {
                    let page = bucket.list(&options).map_err(|e| r2_error("list", e))?;
                    let mut fields = vec![
                        (
                            "objects",
                            HostValue::List(page.objects.into_iter().map(meta_value).collect()),
                        ),
                        ("truncated", HostValue::Bool(page.truncated)),
                    ];
                    if let Some(cursor) = page.cursor {
                        fields.push(("cursor", HostValue::String(cursor)));
                    }
                    fields.push((
                        "delimitedPrefixes",
                        HostValue::List(
                            page.delimited_prefixes
                                .into_iter()
                                .map(HostValue::String)
                                .collect(),
                        ),
                    ));
                    Ok(map(fields))
                })
            }
            "create_multipart" => {
                let key = string(args.next(), "the key")?;
                let options = multipart_options(args.next());
                work(0, move || {
                    let id = bucket
                        .create_multipart_upload(&key, options)
                        .map_err(|e| r2_error("createMultipartUpload", e))?;
                    Ok(HostValue::String(id))
                })
            }
            "upload_part" | "part_start" => {
                let key = string(args.next(), "the key")?;
                let upload_id = string(args.next(), "the upload id")?;
                let number = args.next().and_then(|n| n.as_f64()).unwrap_or(0.0) as u32;
                let whole = if method == "upload_part" {
                    Some(bytes(args.next())?)
                } else {
                    None
                };
                work(whole.as_ref().map_or(0, Vec::len), move || {
                    let mut writer = bucket
                        .upload_part(&key, &upload_id, number)
                        .map_err(|e| r2_error("uploadPart", e))?;
                    let Some(value) = whole else {
                        return Ok((streams.keep(Open::Part(writer)) as f64).into());
                    };
                    writer
                        .write(&value)
                        .map_err(|e| r2_error("uploadPart", e))?;
                    let part = writer.finish().map_err(|e| r2_error("uploadPart", e))?;
                    Ok(part_value(part))
                })
            }
            "part_finish" => {
                let handle = handle_arg(args.next())?;
                work(0, move || {
                    let Open::Part(writer) = streams.take(handle)? else {
                        return Err(arg_error("not a part writer"));
                    };
                    let part = writer.finish().map_err(|e| r2_error("uploadPart", e))?;
                    Ok(part_value(part))
                })
            }
            "complete_multipart" => {
                let key = string(args.next(), "the key")?;
                let upload_id = string(args.next(), "the upload id")?;
                let parts = match args.next() {
                    Some(HostValue::List(parts)) => parts
                        .into_iter()
                        .map(|p| match p {
                            HostValue::List(pair) => match pair.as_slice() {
                                [HostValue::Number(n), HostValue::String(etag)] => {
                                    Ok(UploadedPart {
                                        part_number: *n as u32,
                                        etag: etag.clone(),
                                    })
                                }
                                _ => Err(arg_error("a part must be [partNumber, etag]")),
                            },
                            _ => Err(arg_error("a part must be [partNumber, etag]")),
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => return Err(arg_error("the parts must be a list")),
                };
                work(0, move || {
                    let meta = bucket
                        .complete_multipart_upload(&key, &upload_id, &parts)
                        .map_err(|e| r2_error("completeMultipartUpload", e))?;
                    Ok(meta_value(meta))
                })
            }
            "abort_multipart" => {
                let key = string(args.next(), "the key")?;
                let upload_id = string(args.next(), "the upload id")?;
                work(0, move || {
                    bucket
                        .abort_multipart_upload(&key, &upload_id)
                        .map_err(|e| r2_error("abortMultipartUpload", e))?;
                    Ok(HostValue::Undefined)
                })
            }
            other => return Err(arg_error(&format!("no method '{other}'"))),
        })
    }
}
