//! R2 bucket bindings (`r2_buckets`): the host side of
//! `crates/webapi/js/cloudflare/r2.js`, over [`motu_storage::r2::Bucket`].
//!
//! The JavaScript classes check and normalise their arguments and call one
//! method here for each operation; the work runs on the work pool and its
//! result settles the operation's promise. R2's errors reach JavaScript as
//! R2 throws them: `Error` with `<operation>: <message> (<code>)`.
//!
//! Bodies never sit whole in the isolate or the host:
//!
//! - **Downloads**: `get` returns an object of up to [`INLINE`] bytes with
//!   its metadata. A larger one is parked (see
//!   [`Parking`](super::Parking)) as a [`Body`]: its first [`PIECE`] bytes,
//!   mapped by the work, then the rest mapped from the file on the blocking
//!   I/O pool as the body is consumed ([`file_body`]); pieces are mapped
//!   from the blob files rather than copied into buffers
//!   ([`motu_storage::r2::MappedPiece`]), so the socket write is the only
//!   copy of the bytes. The prelude opens it as a host readable of the event. A
//!   Worker that answers with it unread has the host send it on without it
//!   passing through the isolate.
//! - **Uploads**: `put` takes a whole value; a stream is sent as
//!   `put_start(key, options)` (a handle), `write(handle, bytes)` per piece
//!   and `put_finish(handle)`, each one piece of work, so that nothing
//!   waits on a pool thread for the stream. Parts of a multipart upload the
//!   same way (`upload_part`, or `part_start`, `write`, `part_finish`).
//!   `drop(handle)` abandons a write (nothing is stored); a writer nobody
//!   uses for [`IDLE`] (its event ended without finishing it) is dropped
//!   when another opens. Only the call that starts an operation counts
//!   against the invocation's operations ([`Store::counts`]).
//!
//! The methods and their results:
//!
//! - `head(key)`: the object's metadata (below) or `null`;
//! - `get(key, onlyIf, range)`: `null`, `[meta, null, null]` when `onlyIf`
//!   does not hold, `[meta, bytes, null]` for a small object, or `[meta,
//!   null, token]` with the token of its parked body;
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

use bytes::Bytes;

use crate::{Body, BodyError};

use super::{BindingKind, Call, Kind, StorageBinding, Store, StoreOptions, EXTERNAL_OPS};

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

/// The largest object `get` hands over whole.
pub(crate) const INLINE: u64 = 64 << 10;

/// How much of a larger object the `get` work reads itself.
pub(crate) const PIECE: usize = 1 << 20;

/// The size of the pieces the rest of an object is read in, and how many
/// are read ahead of the consumer.
const FILE_CHUNK: usize = 256 << 10;
const FILE_AHEAD: usize = 4;

/// How long an open reader or writer may go unused before it is closed.
pub(crate) const IDLE: Duration = Duration::from_secs(600);

fn open(state: &StateFolder, id: &str, _: &StoreOptions) -> Result<Arc<dyn Store>, StorageError> {
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

/// The bucket behind an R2 binding, and its open writers.
struct R2Binding {
    bucket: motu_storage::r2::Bucket,
    streams: Arc<Streams>,
}

/// A body being written across calls.
enum Open {
    Put(Box<ObjectWriter>),
    Part(Box<PartWriter>),
}

impl Open {
    /// The operation errors of this stream are reported as.
    fn action(&self) -> &'static str {
        match self {
            Open::Put(_) => "put",
            Open::Part(_) => "uploadPart",
        }
    }
}

/// Open writers by handle, shared by the isolates that use the
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
            .ok_or_else(|| JsError::type_error(format!("R2: upload {handle} is not open")))
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

/// The body of an object whose `first` bytes were read: those, then the rest
/// of `reader`, read on the blocking I/O pool (not an executor thread, not
/// the work pool: nothing waits there for the consumer) a few pieces ahead
/// of the consumer. Dropping the body stops the reading and lets go of the
/// object's files.
fn file_body(first: Bytes, reader: ObjectReader) -> Body {
    enum State {
        First(Bytes, ObjectReader),
        Rest(tokio::sync::mpsc::Receiver<Result<Bytes, BodyError>>),
    }
    let stream = futures::stream::unfold(Some(State::First(first, reader)), |state| async move {
        match state? {
            State::First(first, mut reader) => {
                let (tx, rx) = tokio::sync::mpsc::channel(FILE_AHEAD);
                let read = move || loop {
                    let piece = match reader.map_chunk(FILE_CHUNK) {
                        Ok(Some(piece)) => Ok(Bytes::from_owner(piece)),
                        Ok(None) => return,
                        Err(e) => Err(BodyError::new(format!("reading the R2 object failed: {e}"))),
                    };
                    let failed = piece.is_err();
                    if tx.blocking_send(piece).is_err() || failed {
                        return;
                    }
                };
                match tokio::runtime::Handle::try_current() {
                    Ok(runtime) => drop(runtime.spawn_blocking(read)),
                    Err(_) => drop(std::thread::spawn(read)),
                }
                Some((Ok(first), Some(State::Rest(rx))))
            }
            State::Rest(mut rx) => {
                let piece = rx.recv().await?;
                Some((piece, Some(State::Rest(rx))))
            }
        }
    });
    Body::from_stream(stream)
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

/// Maps the next piece of `reader` (empty at its end): see
/// [`ObjectReader::map_chunk`].
fn map_piece(reader: &mut ObjectReader, max: usize) -> Result<Bytes, JsError> {
    match reader.map_chunk(max) {
        Ok(piece) => Ok(piece.map(Bytes::from_owner).unwrap_or_default()),
        Err(e) => Err(r2_error(
            "get",
            StorageError::Io {
                path: "R2 object".into(),
                source: e,
            },
        )),
    }
}

impl Store for R2Binding {
    fn counts(&self, method: &str) -> bool {
        !matches!(method, "write" | "put_finish" | "part_finish" | "drop")
    }

    fn call(&self, method: &str, args: Vec<HostValue>, call: &Call<'_>) -> Result<Work, JsError> {
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
                let parking = call.parking();
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
                            if reader.remaining() <= INLINE {
                                let bytes = read_piece(&mut reader, INLINE as usize)?;
                                return Ok(HostValue::List(vec![
                                    meta_value(meta),
                                    HostValue::Bytes(bytes.unwrap_or_default()),
                                    HostValue::Null,
                                ]));
                            }
                            let first = map_piece(&mut reader, PIECE)?;
                            let body = file_body(first, reader);
                            HostValue::List(vec![
                                meta_value(meta),
                                HostValue::Null,
                                (parking.park(body) as f64).into(),
                            ])
                        }
                    })
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
                    Ok((streams.keep(Open::Put(Box::new(writer))) as f64).into())
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
                        return Ok((streams.keep(Open::Part(Box::new(writer))) as f64).into());
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
