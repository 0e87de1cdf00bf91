//! One inbound request: its head checked ([`crate::checks`]), its body
//! turned into a runtime [`Body`] under the server's bounds
//! ([`crate::client_body`]), then routed (see [`Direct`]), and a streamed
//! response's head held for its first chunk ([`crate::first_chunk`]).
//!
//! Client errors are answered here, never blamed on a Worker: a refused
//! head gets its `400`/`501` before routing; a `content-length` over the
//! limit gets a 413 without reaching a Worker; a body that goes wrong while
//! a Worker reads it (too large, too slow, malformed) fails the Worker's
//! read, and the request is answered with the fault's status whatever the
//! Worker returned. Each is counted in `motu_client_errors_total`. The rest
//! of a body refused for its size is read and thrown away for a short
//! while ("lingering"), so the client sees the 413 instead of a reset
//! connection. A WebSocket upgrade request goes to its Worker like any
//! other; a WebSocket answer takes the connection over
//! ([`crate::websocket`]).

use std::convert::Infallible;
use std::rc::Rc;
use std::sync::Arc;

use http::StatusCode;
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use motu_config::HttpSettings;
use motu_runtime::{Body, REQUEST_ID_HEADER};

use crate::checks::{check, Refusal};
use crate::client_body::{BodyGuard, Fault, Guarded};
use crate::first_chunk::{first_chunk, FirstChunk};
use crate::front::Direct;
use crate::responses::text;
use crate::websocket::{SocketContext, Upgrade};
use motu_runtime::websocket::WebSocketLink;

/// Request bodies up to this size (by `content-length`) are read whole
/// before the Worker runs; larger or unsized ones are streamed to it.
const WHOLE_BODY_LIMIT: u64 = 64 * 1024;

/// Answers one request through `direct` (on executor `here`, if the caller
/// runs on one), under `settings`' bounds.
pub(crate) async fn handle(
    mut request: http::Request<Incoming>,
    direct: Rc<Direct>,
    here: Option<usize>,
    settings: HttpSettings,
    sockets: SocketContext,
) -> Result<http::Response<Body>, Infallible> {
    let upgrade = Upgrade::of(&mut request);
    let (parts, body) = request.into_parts();
    if let Err(refusal) = check(&parts) {
        return Ok(refused(refusal));
    }
    let guard = Arc::new(BodyGuard::new(&settings));
    // An `Expect: 100-continue` client waits for a go-ahead before sending
    // the body; reading it would give that go-ahead, so it is not lingered.
    let may_linger = !parts.headers.contains_key(http::header::EXPECT);
    if body
        .size_hint()
        .exact()
        .is_some_and(|n| n > settings.max_body_bytes)
    {
        guard.refuse_too_large();
        if may_linger {
            crate::client_body::linger(Box::pin(body.into_data_stream()));
        }
        return Ok(Fault::TooLarge.response());
    }
    let body = match request_body(body, &guard).await {
        Some(body) => body,
        None => return Ok(fault_response(&guard, may_linger)),
    };
    let mut request = http::Request::from_parts(parts, body);
    request.extensions_mut().insert(guard.clone());
    let response = direct.route(request, here).await;
    if let Some(link) = response.extensions().get::<WebSocketLink>().cloned() {
        return Ok(crate::websocket::answer(response, link, upgrade, &sockets));
    }
    if guard.fault().is_some() {
        return Ok(same_id(
            fault_response(&guard, may_linger),
            response.headers(),
        ));
    }
    Ok(
        match first_chunk(response, settings.first_chunk_wait).await {
            FirstChunk::Send(response) if guard.fault().is_some() => {
                same_id(fault_response(&guard, may_linger), response.headers())
            }
            FirstChunk::Send(response) => response,
            FirstChunk::Failed(head, _) if guard.fault().is_some() => {
                same_id(fault_response(&guard, may_linger), &head.headers)
            }
            FirstChunk::Failed(head, error) if error.is_unavailable() => {
                tracing::debug!("a response body ended before its first chunk: {error}");
                let unavailable = text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The Worker's isolate was stopped (a limit) before its response body began.\n",
                );
                same_id(unavailable, &head.headers)
            }
            FirstChunk::Failed(head, error) => {
                tracing::debug!("a response body failed before its first chunk: {error}");
                let failed = text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The Worker's response body failed before it began.\n",
                );
                same_id(failed, &head.headers)
            }
        },
    )
}

/// `response` with the `x-request-id` of the response it replaces.
fn same_id(mut response: http::Response<Body>, of: &http::HeaderMap) -> http::Response<Body> {
    if let Some(id) = of.get(REQUEST_ID_HEADER) {
        response.headers_mut().insert(REQUEST_ID_HEADER, id.clone());
    }
    response
}

/// The answer to a request whose head was refused (counted as a client
/// error).
fn refused(refusal: Refusal) -> http::Response<Body> {
    let mut response = match refusal {
        Refusal::Method => {
            motu_runtime::metrics::record_client_error("method");
            text(
                StatusCode::NOT_IMPLEMENTED,
                "This request method is not supported.\n",
            )
        }
        Refusal::Host(what) => {
            motu_runtime::metrics::record_client_error("host");
            tracing::debug!("a request with {what} was refused");
            text(
                StatusCode::BAD_REQUEST,
                "The request needs exactly one valid Host header.\n",
            )
        }
    };
    // As hyper does with the heads it refuses itself.
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

/// The answer to a request whose body went wrong (lingering on the rest of
/// one refused for its size).
fn fault_response(guard: &BodyGuard, may_linger: bool) -> http::Response<Body> {
    let fault = guard.fault().unwrap_or(Fault::Malformed);
    if fault == Fault::TooLarge && may_linger {
        guard.linger();
    }
    fault.response()
}

/// The request body as the runtime takes it: empty and small bodies whole,
/// others as a stream of the chunks hyper reads, under `guard`'s bounds.
/// `None` when a whole body went wrong (see `guard`'s fault).
async fn request_body(body: Incoming, guard: &Arc<BodyGuard>) -> Option<Body> {
    if body.is_end_stream() {
        return Some(Body::empty());
    }
    let hint = body.size_hint();
    let mut body = Guarded::new(Box::pin(body.into_data_stream()), guard.clone());
    if hint.exact().is_some_and(|n| n <= WHOLE_BODY_LIMIT) {
        // Kept in the pieces hyper read (a 64 KiB body is at least two):
        // the isolate copies them into the Worker's buffer without a joined
        // copy in between.
        let mut chunks = Vec::new();
        while let Some(chunk) = futures::StreamExt::next(&mut body).await {
            chunks.push(chunk.ok()?);
        }
        return Some(Body::from_chunks(chunks));
    }
    Some(Body::from_stream(body))
}
