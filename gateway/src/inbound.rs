//! One inbound request: its body turned into a runtime [`Body`] under the
//! server's size limit, then routed (see [`Direct`]).
//!
//! A request whose `content-length` is over the limit gets a 413 without
//! reaching a Worker. A streamed body that grows past the limit ends with an
//! error for the Worker reading it, and the request is answered with a 413
//! whatever the Worker returned. Either way the rest of the body is read and
//! thrown away for a short while ("lingering"), so the client sees the 413
//! instead of a reset connection.

use std::convert::Infallible;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};

use motu_runtime::{Body, BodyError};

use crate::front::Direct;
use crate::responses::text;

/// Request bodies up to this size (by `content-length`) are read whole
/// before the Worker runs; larger or unsized ones are streamed to it.
const WHOLE_BODY_LIMIT: u64 = 64 * 1024;

/// How long the rest of a refused body is read and discarded.
const LINGER_TIME: Duration = Duration::from_secs(2);

/// How much of a refused body is read and discarded at most.
const LINGER_BYTES: u64 = 16 << 20;

type DataStream = Pin<Box<dyn Stream<Item = Result<Bytes, hyper::Error>> + Send>>;

/// Answers one request through `direct` (on executor `here`, if the caller
/// runs on one), refusing bodies larger than `max_body` bytes with a 413.
pub(crate) async fn handle(
    request: http::Request<Incoming>,
    direct: Rc<Direct>,
    here: Option<usize>,
    max_body: u64,
) -> Result<http::Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    // An `Expect: 100-continue` client waits for a go-ahead before sending
    // the body; reading it would give that go-ahead, so it is not lingered.
    let may_linger = !parts.headers.contains_key(http::header::EXPECT);
    if body.size_hint().exact().is_some_and(|n| n > max_body) {
        if may_linger {
            linger(Box::pin(body.into_data_stream()));
        }
        return Ok(too_large());
    }
    let limit = Arc::new(Limit::new(max_body));
    let body = match request_body(body, &limit).await {
        Ok(body) => body,
        Err(_) => {
            return Ok(text(
                http::StatusCode::BAD_REQUEST,
                "The request body could not be read.\n",
            ))
        }
    };
    let request = http::Request::from_parts(parts, body);
    let response = direct.route(request, here).await;
    if limit.exceeded.load(Ordering::Acquire) {
        if let Some(rest) = limit.rest.lock().ok().and_then(|mut r| r.take()) {
            if may_linger {
                linger(rest);
            }
        }
        return Ok(too_large());
    }
    Ok(response)
}

fn too_large() -> http::Response<Body> {
    text(
        http::StatusCode::PAYLOAD_TOO_LARGE,
        "The request body is larger than this server accepts.\n",
    )
}

/// The request body as the runtime takes it: empty and small bodies whole,
/// others as a stream of the chunks hyper reads, cut off past the limit.
async fn request_body(body: Incoming, limit: &Arc<Limit>) -> Result<Body, hyper::Error> {
    if body.is_end_stream() {
        return Ok(Body::empty());
    }
    let hint = body.size_hint();
    if hint.exact().is_some_and(|n| n <= WHOLE_BODY_LIMIT) {
        // Kept in the pieces hyper read (a 64 KiB body is at least two):
        // the isolate copies them into the Worker's buffer without a joined
        // copy in between.
        let mut body = body;
        let mut chunks = Vec::new();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                chunks.push(data);
            }
        }
        return Ok(Body::from_chunks(chunks));
    }
    Ok(Body::from_stream(Limited {
        inner: Some(Box::pin(body.into_data_stream())),
        limit: limit.clone(),
    }))
}

/// The size limit of one request's body, shared by its stream and the
/// request's handler.
struct Limit {
    max: u64,
    read: AtomicU64,
    exceeded: AtomicBool,
    /// The unread rest of a body that went past the limit, to linger on.
    rest: Mutex<Option<DataStream>>,
}

impl Limit {
    fn new(max: u64) -> Self {
        Self {
            max,
            read: AtomicU64::new(0),
            exceeded: AtomicBool::new(false),
            rest: Mutex::new(None),
        }
    }
}

/// A body stream that ends with an error once more than the limit was read.
struct Limited {
    inner: Option<DataStream>,
    limit: Arc<Limit>,
}

impl Stream for Limited {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let chunk = match inner.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => {
                self.inner = None;
                return Poll::Ready(None);
            }
            Poll::Ready(Some(Err(e))) => {
                self.inner = None;
                return Poll::Ready(Some(Err(BodyError::new(format!(
                    "the request body failed: {e}"
                )))));
            }
            Poll::Ready(Some(Ok(chunk))) => chunk,
        };
        let read = self
            .limit
            .read
            .fetch_add(chunk.len() as u64, Ordering::AcqRel)
            + chunk.len() as u64;
        if read <= self.limit.max {
            return Poll::Ready(Some(Ok(chunk)));
        }
        self.limit.exceeded.store(true, Ordering::Release);
        let rest = self.inner.take();
        if let Ok(mut slot) = self.limit.rest.lock() {
            *slot = rest;
        }
        Poll::Ready(Some(Err(BodyError::new(format!(
            "the request body is larger than the server's limit of {} bytes",
            self.limit.max
        )))))
    }
}

/// Reads and discards what is left of a refused body, for a short while, on
/// the current thread.
fn linger(mut rest: DataStream) {
    actix_rt::spawn(async move {
        let drain = async {
            let mut read = 0u64;
            while let Some(Ok(chunk)) = rest.next().await {
                read += chunk.len() as u64;
                if read > LINGER_BYTES {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    });
}
