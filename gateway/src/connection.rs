//! One client connection: HTTP/1.1 or HTTP/2 cleartext (prior knowledge),
//! told apart by hyper-util's auto builder, with the server's timeouts and
//! limits, until it closes or the server shuts down.
//!
//! - HTTP/1.1: the request head must arrive within `header_timeout` (hyper's
//!   header-read timer, which also runs while a keep-alive connection waits
//!   for its next request); heads over `max_header_bytes` or with more than
//!   `max_headers` fields get a 431 and malformed ones a 400, from hyper,
//!   without reaching a Worker.
//! - Both protocols: a connection with no request in progress (counted
//!   until the response body is sent) for `header_timeout` is closed, so
//!   clients that never send a request, or a slow HTTP/2 preface, are cut
//!   off too; after `keep_alive_max_requests` requests the connection is
//!   shut down gracefully (HTTP/1.1: after that response; HTTP/2: GOAWAY).
//! - On shutdown the connection is shut down gracefully: requests in
//!   progress finish, then it closes.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures::FutureExt;
use http_body::{Frame, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use motu_config::HttpSettings;
use motu_runtime::{Body, BodyError};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};

use crate::front::Direct;
use crate::inbound::handle;
use crate::websocket::SocketContext;

/// Serves `stream` until it closes, on executor `here` if it runs on one.
/// `stop` turns true when the server shuts down; `sockets` (which counts
/// the connection open) is held for as long as the connection lives, and
/// by the WebSockets it upgrades to.
pub(crate) async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    direct: Direct,
    here: Option<usize>,
    settings: HttpSettings,
    mut stop: watch::Receiver<bool>,
    sockets: SocketContext,
) {
    let _ = stream.set_nodelay(true);
    let state = Arc::new(ConnState::new());
    let direct = Rc::new(direct);
    let service = {
        let state = state.clone();
        service_fn(move |request| {
            let active = Active::begin(&state);
            handle(request, direct.clone(), here, settings, sockets.clone())
                .map(move |response| response.map(|r| r.map(|body| Tracked::new(body, active))))
        })
    };
    let mut builder = auto::Builder::new(LocalExec);
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_buf_size(settings.max_header_bytes)
        .max_headers(settings.max_headers);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(settings.max_header_bytes).unwrap_or(u32::MAX));
    // HTTP/1.1 upgrades (WebSockets) take the connection over once
    // answered: the connection future then ends, the socket lives on.
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        let idle_since = state.idle_since();
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, "connection ended with an error: {e}");
                }
                return;
            }
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = state.changed.notified() => {
                if !closing && state.served.load(Ordering::Acquire) >= settings.keep_alive_max_requests {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep_until((idle_since.unwrap_or_else(Instant::now) + settings.header_timeout).into()),
                if idle_since.is_some() && !closing =>
            {
                if state.served.load(Ordering::Acquire) == 0 {
                    tracing::debug!(%peer, "no request within the header timeout; closing");
                    return;
                }
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// What the connection's watchdog knows of its requests.
struct ConnState {
    /// Requests begun.
    served: AtomicU64,
    /// Requests whose response body is not sent yet.
    active: AtomicUsize,
    /// When the last request finished (or the connection opened).
    last_done: Mutex<Instant>,
    /// Woken when a request begins or finishes.
    changed: Notify,
}

impl ConnState {
    fn new() -> Self {
        Self {
            served: AtomicU64::new(0),
            active: AtomicUsize::new(0),
            last_done: Mutex::new(Instant::now()),
            changed: Notify::new(),
        }
    }

    /// Since when the connection has had no request in progress; `None`
    /// while one is.
    fn idle_since(&self) -> Option<Instant> {
        if self.active.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(
            self.last_done
                .lock()
                .map_or_else(|_| Instant::now(), |t| *t),
        )
    }
}

/// A request in progress, from when hyper hands it over until its response
/// body is sent or dropped.
struct Active(Arc<ConnState>);

impl Active {
    fn begin(state: &Arc<ConnState>) -> Self {
        state.served.fetch_add(1, Ordering::AcqRel);
        state.active.fetch_add(1, Ordering::AcqRel);
        state.changed.notify_one();
        Self(state.clone())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        if let Ok(mut t) = self.0.last_done.lock() {
            *t = Instant::now();
        }
        self.0.active.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_one();
    }
}

/// A response body that keeps its request counted as in progress until it
/// is sent.
struct Tracked {
    body: Body,
    _active: Active,
}

impl Tracked {
    fn new(body: Body, active: Active) -> Self {
        Self {
            body,
            _active: active,
        }
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let frame = Pin::new(&mut self.body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &frame {
            if let Some(data) = frame.data_ref() {
                crate::client_body::BODY_BYTES.fetch_add(data.len() as u64, Ordering::Relaxed);
            }
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Runs HTTP/2 stream tasks on the current thread, beside their connection.
#[derive(Clone, Copy)]
struct LocalExec;

impl<F> hyper::rt::Executor<F> for LocalExec
where
    F: Future + 'static,
{
    fn execute(&self, future: F) {
        actix_rt::spawn(async move {
            future.await;
        });
    }
}
