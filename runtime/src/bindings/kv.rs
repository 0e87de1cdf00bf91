//! KV namespace bindings (`kv_namespaces`): the host side of
//! `crates/webapi/js/cloudflare/kv.js`, over [`motu_storage::kv::KvStore`].
//!
//! The namespace is a [`KvBackend`]: the embedded store in the state folder,
//! or, with `[cluster] redis` ([`StoreOptions::redis`]), the namespace of
//! that name in Redis, which every node of the cluster shares.
//!
//! The JavaScript class normalises the arguments of `get`,
//! `getWithMetadata`, `put`, `list` and `delete` and calls one method here
//! for each; this file checks them against Cloudflare's limits, with
//! Cloudflare's messages (a key of at most 512 UTF-8 bytes, a value of at
//! most 25 MiB, metadata of at most 1024 bytes of JSON, an expiration at
//! least 60 seconds ahead, at most 100 keys in a bulk get and 1000 in a
//! list page), and makes the work that reads or writes the namespace.
//!
//! The methods, as the prelude calls them:
//!
//! - `get(key, type, cacheTtl)` settles with `null` (no such key) or
//!   `[value, metadata]`: the value as a string (`text`, `json`), bytes
//!   (`arrayBuffer`) or the token of a parked body (`stream`, see
//!   [`Parking`](super::Parking)); metadata as JSON text or `null`;
//! - `get_bulk(keys, type, cacheTtl)`: a list of those, one per key;
//! - `put(key, value, expiration, expirationTtl, metadata)`: `value` a
//!   string or bytes, `metadata` JSON text; settles with `undefined` once
//!   the value is on disk;
//! - `list(prefix, limit, cursor)`: `{ keys: [{ name, expiration?,
//!   metadata? }], list_complete, cursor? }`, metadata as JSON text;
//! - `delete(key)`.

use std::sync::Arc;

use bytes::Bytes;
use motu_engine::{HostValue, JsError};
use motu_storage::kv::{now_ms, Janitor, KvBackend, KvEntry, KvStore};
use motu_storage::redis::RedisKv;
use motu_storage::{StateFolder, StorageError};
use motu_webapi::Work;

use super::{BindingKind, Call, Kind, StorageBinding, Store, StoreOptions, EXTERNAL_OPS};
use crate::Body;

impl BindingKind {
    /// A KV namespace (`kv_namespaces`).
    pub const KV: BindingKind = BindingKind("kv");
}

impl StorageBinding {
    /// `env.<binding>` is the KV namespace `id`.
    pub fn kv(binding: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            binding: binding.into(),
            kind: BindingKind::KV,
            id: id.into(),
        }
    }
}

pub(super) const KIND: Kind = Kind {
    kind: BindingKind::KV,
    limit: EXTERNAL_OPS,
    open,
};

/// The longest key, in UTF-8 bytes.
pub(crate) const MAX_KEY_BYTES: usize = 512;
/// The largest value, in bytes (25 MiB).
pub(crate) const MAX_VALUE_BYTES: usize = 25 << 20;
/// The largest metadata, in bytes of JSON.
pub(crate) const MAX_METADATA_BYTES: usize = 1024;
/// The shortest time to live, and how far ahead an expiration must be, in
/// seconds.
pub(crate) const MIN_EXPIRATION_TTL: f64 = 60.0;
/// The shortest `cacheTtl`, in seconds.
pub(crate) const MIN_CACHE_TTL: f64 = 30.0;
/// The most keys one list page returns.
pub(crate) const MAX_LIST_KEYS: usize = 1000;
/// The most keys one bulk get asks for.
pub(crate) const MAX_BULK_KEYS: usize = 100;

/// The size of the chunks a value read as a stream is handed over in.
const STREAM_CHUNK: usize = 64 << 10;

fn open(
    state: &StateFolder,
    id: &str,
    options: &StoreOptions,
) -> Result<Arc<dyn Store>, StorageError> {
    if let Some(redis) = &options.redis {
        return Ok(Arc::new(KvNamespace(Arc::new(RedisKv::open(redis, id)))));
    }
    let store = Arc::new(KvStore::open(&state.store_path("kv", id, "sqlite")?)?);
    Janitor::global().watch(&store);
    Ok(Arc::new(KvNamespace(store)))
}

/// The namespace behind a KV binding.
struct KvNamespace(Arc<dyn KvBackend>);

/// `KV <METHOD> failed: <status> <message>`, as Cloudflare's KV throws it.
fn failed(method: &str, status: u16, message: impl std::fmt::Display) -> JsError {
    JsError::new("Error", format!("KV {method} failed: {status} {message}"))
}

/// The error of a store that could not do its work (a full disk, an I/O
/// error): the write did not happen.
fn storage_failed(method: &str, e: StorageError) -> JsError {
    if let StorageError::Redis { .. } = e {
        // The cluster's store did not answer: nothing was read or written.
        return failed(method, 503, format!("Service Unavailable ({e})"));
    }
    let reason = if e.is_disk_full() {
        "the disk is full".to_owned()
    } else {
        e.to_string()
    };
    failed(method, 500, format!("Internal Server Error ({reason})"))
}

/// A key as the binding checks it (`method` names the call in the error).
fn key_arg(method: &str, value: Option<HostValue>) -> Result<String, JsError> {
    let key = match value {
        Some(HostValue::String(key)) => key,
        _ => return Err(JsError::type_error("KV: the key must be a string")),
    };
    check_key(method, &key)?;
    Ok(key)
}

fn check_key(method: &str, key: &str) -> Result<(), JsError> {
    match key {
        "" => Err(JsError::type_error("Key name cannot be empty.")),
        "." => Err(JsError::type_error("\".\" is not allowed as a key name.")),
        ".." => Err(JsError::type_error("\"..\" is not allowed as a key name.")),
        _ => check_key_length(method, key),
    }
}

fn check_key_length(method: &str, key: &str) -> Result<(), JsError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(failed(
            method,
            414,
            format!(
                "UTF-8 encoded length of {} exceeds key length limit of {MAX_KEY_BYTES}.",
                key.len()
            ),
        ));
    }
    Ok(())
}

fn number(value: Option<&HostValue>) -> Option<f64> {
    match value {
        Some(HostValue::Number(n)) => Some(*n),
        _ => None,
    }
}

/// How JavaScript formats a number (integers without a fraction).
fn js_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i64)
    } else if n.is_nan() {
        "NaN".into()
    } else {
        format!("{n}")
    }
}

fn check_cache_ttl(method: &str, ttl: Option<f64>) -> Result<(), JsError> {
    match ttl {
        Some(ttl) if ttl.is_nan() || ttl < MIN_CACHE_TTL => Err(failed(
            method,
            400,
            format!(
                "Invalid cache_ttl of {}. Cache TTL must be at least {}.",
                js_number(ttl),
                MIN_CACHE_TTL
            ),
        )),
        _ => Ok(()),
    }
}

/// How a value is handed to JavaScript.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueType {
    Text,
    Json,
    ArrayBuffer,
    Stream,
}

fn value_type(value: Option<&HostValue>) -> Result<ValueType, JsError> {
    Ok(match value.and_then(HostValue::as_str).unwrap_or("text") {
        "text" => ValueType::Text,
        "json" => ValueType::Json,
        "arrayBuffer" => ValueType::ArrayBuffer,
        "stream" => ValueType::Stream,
        _ => {
            return Err(JsError::type_error(
                "Unknown response type. Possible types are \"text\", \"arrayBuffer\", \"json\", and \"stream\".",
            ))
        }
    })
}

fn text(value: Vec<u8>) -> HostValue {
    match String::from_utf8(value) {
        Ok(s) => HostValue::String(s),
        Err(e) => HostValue::String(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn metadata_value(metadata: Option<String>) -> HostValue {
    metadata.map_or(HostValue::Null, HostValue::String)
}

/// A value split into chunks of [`STREAM_CHUNK`] bytes (no copies).
fn chunked(value: Vec<u8>) -> Body {
    let value = Bytes::from(value);
    let chunks: Vec<Result<Bytes, crate::BodyError>> = (0..value.len())
        .step_by(STREAM_CHUNK)
        .map(|at| Ok(value.slice(at..value.len().min(at + STREAM_CHUNK))))
        .collect();
    Body::from_stream(futures::stream::iter(chunks))
}

impl Store for KvNamespace {
    fn call(&self, method: &str, args: Vec<HostValue>, call: &Call<'_>) -> Result<Work, JsError> {
        let store = self.0.clone();
        let mut args = args.into_iter();
        match method {
            "get" => {
                let key = key_arg("GET", args.next())?;
                let rest: Vec<HostValue> = args.collect();
                let kind = value_type(rest.first())?;
                check_cache_ttl("GET", number(rest.get(1)))?;
                let parking = call.parking();
                Ok(Work::from_fn(key.len(), false, move |_| {
                    let entry = store
                        .get(&key, now_ms())
                        .map_err(|e| storage_failed("GET", e))?;
                    let Some(KvEntry {
                        value, metadata, ..
                    }) = entry
                    else {
                        return Ok(HostValue::Null);
                    };
                    let value = match kind {
                        ValueType::Text | ValueType::Json => text(value),
                        ValueType::ArrayBuffer => HostValue::Bytes(value),
                        ValueType::Stream => HostValue::Number(parking.park(chunked(value)) as f64),
                    };
                    Ok(HostValue::List(vec![value, metadata_value(metadata)]))
                }))
            }
            "get_bulk" => {
                let keys = match args.next() {
                    Some(HostValue::List(keys)) => keys,
                    _ => return Err(JsError::type_error("KV: the keys must be a list")),
                };
                let rest: Vec<HostValue> = args.collect();
                let kind = rest.first().and_then(HostValue::as_str).unwrap_or("text");
                if kind != "text" && kind != "json" {
                    return Err(failed(
                        "GET_BULK",
                        400,
                        format!("\"{kind}\" is not a valid type. Use \"json\" or \"text\""),
                    ));
                }
                if keys.len() > MAX_BULK_KEYS {
                    return Err(failed(
                        "GET_BULK",
                        400,
                        format!("You can request a maximum of {MAX_BULK_KEYS} keys"),
                    ));
                }
                if keys.is_empty() {
                    return Err(failed(
                        "GET_BULK",
                        400,
                        "You must request a minimum of 1 key",
                    ));
                }
                let keys = keys
                    .into_iter()
                    .map(|k| {
                        let key = k
                            .as_str()
                            .ok_or_else(|| JsError::type_error("KV: each key must be a string"))?;
                        if key.is_empty() {
                            return Err(failed("GET_BULK", 400, "Key names must not be empty"));
                        }
                        if key == "." || key == ".." {
                            return Err(failed(
                                "GET_BULK",
                                400,
                                format!("Illegal key name \"{key}\". Please use a different name."),
                            ));
                        }
                        check_key_length("GET_BULK", key)?;
                        Ok(key.to_owned())
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                check_cache_ttl("GET_BULK", number(rest.get(1)))?;
                let bytes = keys.iter().map(String::len).sum();
                Ok(Work::from_fn(bytes, false, move |_| {
                    let entries = store
                        .get_many(&keys, now_ms())
                        .map_err(|e| storage_failed("GET_BULK", e))?;
                    let total: usize = entries.iter().flatten().map(|e| e.value.len()).sum();
                    if total > MAX_VALUE_BYTES {
                        return Err(failed(
                            "GET_BULK",
                            413,
                            format!(
                                "Total size of request exceeds the limit of {}MB",
                                MAX_VALUE_BYTES >> 20
                            ),
                        ));
                    }
                    Ok(HostValue::List(
                        entries
                            .into_iter()
                            .map(|e| match e {
                                None => HostValue::Null,
                                Some(e) => {
                                    HostValue::List(vec![text(e.value), metadata_value(e.metadata)])
                                }
                            })
                            .collect(),
                    ))
                }))
            }
            "put" => {
                let key = key_arg("PUT", args.next())?;
                let value = match args.next() {
                    Some(HostValue::String(s)) => s.into_bytes(),
                    Some(HostValue::Bytes(b)) => b,
                    _ => {
                        return Err(JsError::type_error(
                            "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.",
                        ))
                    }
                };
                let rest: Vec<HostValue> = args.collect();
                let expiration = expiration(number(rest.first()), number(rest.get(1)))?;
                let metadata = rest.get(2).and_then(HostValue::as_str).map(str::to_owned);
                if let Some(m) = &metadata {
                    if m.len() > MAX_METADATA_BYTES {
                        return Err(failed(
                            "PUT",
                            413,
                            format!(
                                "Metadata length of {} exceeds limit of {MAX_METADATA_BYTES}.",
                                m.len()
                            ),
                        ));
                    }
                }
                if value.len() > MAX_VALUE_BYTES {
                    return Err(value_too_large(value.len()));
                }
                let bytes = key.len() + value.len();
                Ok(Work::from_fn(bytes, false, move |_| {
                    store
                        .put(&key, value, expiration, metadata.as_deref())
                        .map_err(|e| storage_failed("PUT", e))?;
                    Ok(HostValue::Undefined)
                }))
            }
            "delete" => {
                let key = key_arg("DELETE", args.next())?;
                Ok(Work::from_fn(key.len(), false, move |_| {
                    store
                        .delete(&key)
                        .map_err(|e| storage_failed("DELETE", e))?;
                    Ok(HostValue::Undefined)
                }))
            }
            "list" => {
                let rest: Vec<HostValue> = args.collect();
                let prefix = rest
                    .first()
                    .and_then(HostValue::as_str)
                    .unwrap_or("")
                    .to_owned();
                let limit = match number(rest.get(1)) {
                    Some(limit) if limit > 0.0 => limit,
                    _ => MAX_LIST_KEYS as f64,
                };
                if limit > MAX_LIST_KEYS as f64 {
                    return Err(failed(
                        "GET",
                        400,
                        format!(
                            "Invalid key_count_limit of {}. Please specify an integer less than {MAX_LIST_KEYS}.",
                            js_number(limit)
                        ),
                    ));
                }
                check_key_length("GET", &prefix)?;
                let cursor = rest.get(2).and_then(HostValue::as_str).map(str::to_owned);
                Ok(Work::from_fn(prefix.len(), false, move |_| {
                    let page = store
                        .list(&prefix, limit as usize, cursor.as_deref(), now_ms())
                        .map_err(|e| storage_failed("GET", e))?;
                    let keys = page
                        .keys
                        .into_iter()
                        .map(|k| {
                            let mut entry = vec![("name".to_owned(), HostValue::String(k.name))];
                            if let Some(e) = k.expiration {
                                entry.push(("expiration".into(), HostValue::Number(e as f64)));
                            }
                            if let Some(m) = k.metadata {
                                entry.push(("metadata".into(), HostValue::String(m)));
                            }
                            HostValue::Map(entry)
                        })
                        .collect();
                    let mut result = vec![
                        ("keys".to_owned(), HostValue::List(keys)),
                        (
                            "list_complete".into(),
                            HostValue::Bool(page.cursor.is_none()),
                        ),
                    ];
                    if let Some(cursor) = page.cursor {
                        result.push(("cursor".into(), HostValue::String(cursor)));
                    }
                    Ok(HostValue::Map(result))
                }))
            }
            _ => Err(JsError::type_error(format!("KV: no method '{method}'"))),
        }
    }
}

/// The error of a value of `length` bytes, past the limit.
pub(crate) fn value_too_large(length: usize) -> JsError {
    failed(
        "PUT",
        413,
        format!("Value length of {length} exceeds limit of {MAX_VALUE_BYTES}."),
    )
}

/// The absolute expiration (seconds since the Unix epoch) of a put with
/// `expiration` and `expirationTtl`, checked as Cloudflare checks them (the
/// time to live wins when both are given).
fn expiration(expiration: Option<f64>, ttl: Option<f64>) -> Result<Option<i64>, JsError> {
    let now = (now_ms() / 1000) as f64;
    if let Some(ttl) = ttl {
        let ttl = ttl.trunc();
        if ttl.is_nan() || ttl <= 0.0 {
            return Err(failed(
                "PUT",
                400,
                format!(
                    "Invalid expiration_ttl of {}. Please specify integer greater than 0.",
                    js_number(ttl)
                ),
            ));
        }
        if ttl < MIN_EXPIRATION_TTL {
            return Err(failed(
                "PUT",
                400,
                format!(
                    "Invalid expiration_ttl of {}. Expiration TTL must be at least {MIN_EXPIRATION_TTL}.",
                    js_number(ttl)
                ),
            ));
        }
        return Ok(Some((now + ttl) as i64));
    }
    let Some(expiration) = expiration else {
        return Ok(None);
    };
    let expiration = expiration.trunc();
    if expiration.is_nan() || expiration <= now {
        return Err(failed(
            "PUT",
            400,
            format!(
                "Invalid expiration of {}. Please specify integer greater than the current number of seconds since the UNIX epoch.",
                js_number(expiration)
            ),
        ));
    }
    if expiration < now + MIN_EXPIRATION_TTL {
        return Err(failed(
            "PUT",
            400,
            format!(
                "Invalid expiration of {}. Expiration times must be at least {MIN_EXPIRATION_TTL} seconds in the future.",
                js_number(expiration)
            ),
        ));
    }
    Ok(Some(expiration as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expirations_are_checked_as_cloudflare_checks_them() {
        let now = (now_ms() / 1000) as f64;
        assert_eq!(expiration(None, None).unwrap(), None);
        assert!(expiration(None, Some(60.0)).unwrap().unwrap() >= now as i64 + 60);
        let e = |x, t| expiration(x, t).unwrap_err().message;
        assert_eq!(
            e(None, Some(59.0)),
            "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60."
        );
        assert_eq!(
            e(None, Some(0.0)),
            "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0."
        );
        assert!(e(Some(now - 1.0), None).contains("Please specify integer greater than the current number of seconds since the UNIX epoch."));
        assert!(e(Some(now + 30.0), None)
            .ends_with("Expiration times must be at least 60 seconds in the future."));
        assert_eq!(
            expiration(Some(now + 120.0), None).unwrap(),
            Some(now as i64 + 120)
        );
    }

    #[test]
    fn keys_are_checked() {
        assert_eq!(check_key("GET", "").unwrap_err().name, "TypeError");
        assert_eq!(
            check_key("PUT", &"k".repeat(513)).unwrap_err().message,
            "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
        );
        assert!(check_key("PUT", &"é".repeat(256)).is_ok());
        assert!(check_key("PUT", &"é".repeat(257)).is_err());
    }
}
