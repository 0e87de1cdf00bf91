//! Building the asset server's responses: an asset (whole, a range, `HEAD`,
//! or a 304), redirects and empty answers.
//!
//! An asset's response carries its strong `ETag`, its `content-type` and,
//! unless the request has an `Authorization` or a `Range` header,
//! `Cache-Control: public, max-age=0, must-revalidate` (browsers may keep
//! it, and check it is current before each use), as on Cloudflare. Bytes
//! kept in memory are sent as they are; larger files are read from disk in
//! chunks on the blocking pool, never on the executor thread.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, IF_RANGE, LOCATION, RANGE,
};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use motu_runtime::{Body, BodyError};

use super::conditional::{none_match, range, range_applies, Ranged};
use super::manifest::{Asset, Content};

/// `Cache-Control` of assets.
const REVALIDATE: HeaderValue = HeaderValue::from_static("public, max-age=0, must-revalidate");

/// How much of a file on disk is read at once.
const CHUNK: usize = 256 << 10;

/// Chunks read ahead of the client.
const READ_AHEAD: usize = 4;

/// An empty response with `status`.
pub(crate) fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// A redirect with `status` to `location`.
pub(crate) fn redirect(status: StatusCode, location: &str) -> Response<Body> {
    let mut response = empty(status);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// The 405 for a method other than `GET` and `HEAD` on an asset.
pub(crate) fn method_not_allowed() -> Response<Body> {
    let mut response = empty(StatusCode::METHOD_NOT_ALLOWED);
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

/// The response serving `asset` with `status` (200, or 404 for a
/// `404.html`) to a request with `method` and `headers`.
pub(crate) fn asset(
    asset: &Asset,
    status: StatusCode,
    method: &Method,
    headers: &HeaderMap,
) -> Response<Body> {
    let mut out = HeaderMap::with_capacity(6);
    out.insert(ETAG, asset.etag.clone());
    if let Some(t) = &asset.content_type {
        out.insert(CONTENT_TYPE, t.clone());
    }
    let ranged = headers.get(RANGE).and_then(|v| v.to_str().ok());
    if !headers.contains_key(AUTHORIZATION) && ranged.is_none() {
        out.insert(CACHE_CONTROL, REVALIDATE);
    }
    let if_none_match = headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if if_none_match.is_some_and(|v| none_match(v, &asset.tag)) {
        return with_headers(empty(StatusCode::NOT_MODIFIED), out);
    }
    let head = method == Method::HEAD;
    let if_range = headers.get(IF_RANGE).and_then(|v| v.to_str().ok());
    let part = match ranged {
        Some(r) if status == StatusCode::OK && range_applies(if_range, &asset.tag) => {
            range(r, asset.len)
        }
        _ => Ranged::Whole,
    };
    let (status, start, len) = match part {
        Ranged::Whole => (status, 0, asset.len),
        Ranged::Part { start, end } => {
            let value = format!("bytes {start}-{end}/{}", asset.len);
            if let Ok(v) = HeaderValue::from_str(&value) {
                out.insert(CONTENT_RANGE, v);
            }
            out.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        Ranged::Unsatisfiable => {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", asset.len)) {
                out.insert(CONTENT_RANGE, v);
            }
            out.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            out.remove(CONTENT_TYPE);
            return with_headers(empty(StatusCode::RANGE_NOT_SATISFIABLE), out);
        }
    };
    out.insert(CONTENT_LENGTH, HeaderValue::from(len));
    let body = if head || len == 0 {
        Body::empty()
    } else {
        match &asset.content {
            Content::Memory(bytes) => {
                Body::from(bytes.slice(start as usize..(start + len) as usize))
            }
            Content::File(path) => file_body(path.clone(), start, len),
        }
    };
    let mut response = with_headers(Response::new(body), out);
    *response.status_mut() = status;
    response
}

fn with_headers(mut response: Response<Body>, headers: HeaderMap) -> Response<Body> {
    *response.headers_mut() = headers;
    response
}

/// `len` bytes of the file at `path` from `start`, read on the blocking
/// pool as the client takes them. A file that changed size since the
/// manifest was built ends the body with an error rather than a short one.
fn file_body(path: PathBuf, start: u64, len: u64) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, BodyError>>(READ_AHEAD);
    let read = move || {
        let fail = |e: std::io::Error| BodyError::new(format!("reading the asset failed: {e}"));
        let mut file = match std::fs::File::open(&path).and_then(|mut f| {
            f.seek(SeekFrom::Start(start))?;
            Ok(f)
        }) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Err(fail(e)));
                return;
            }
        };
        let mut left = len;
        while left > 0 {
            let mut buf = vec![0u8; CHUNK.min(left as usize)];
            match file.read(&mut buf) {
                Ok(0) => {
                    let _ = tx.blocking_send(Err(BodyError::new(
                        "the asset file became shorter while it was served",
                    )));
                    return;
                }
                Ok(n) => {
                    buf.truncate(n);
                    left -= n as u64;
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(fail(e)));
                    return;
                }
            }
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn_blocking(read)),
        Err(_) => drop(std::thread::spawn(read)),
    }
    Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}
