//! WebSocket upgrades (RFC 6455, HTTP/1.1): a request that asks for one
//! reaches its Worker as an ordinary request (with its `Upgrade` header);
//! a Worker that answers `101` with a `webSocket` gets the connection,
//! switched to the WebSocket protocol, joined to its end of the socket
//! (see `motu_runtime::websocket`). Any other answer is sent as it is.
//!
//! The socket's pump runs on the connection's thread and holds the
//! connection open for the server's shutdown: it is counted among the
//! connections to drain, and once the grace period is over the server
//! closes it with 1001 ([`crate::Draining::close_websockets`]).

use http::header::{HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use http::StatusCode;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use motu_runtime::websocket::{accept_key, is_upgrade_request, WebSocketLink};
use motu_runtime::Body;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, watch, Notify};

use crate::responses::text;

/// What a connection gives the sockets it upgrades to.
#[derive(Clone)]
pub(crate) struct SocketContext {
    /// Counts the socket among the open connections while it lives.
    pub(crate) open: mpsc::Sender<()>,
    /// Turns true when the server's grace period is over.
    pub(crate) going_away: watch::Receiver<bool>,
    /// The server's open WebSockets.
    pub(crate) live: Arc<LiveSockets>,
}

/// Counts the server's open WebSockets, so that a shutdown can wait for
/// them alone once it closed them.
#[derive(Debug, Default)]
pub(crate) struct LiveSockets {
    count: AtomicUsize,
    ended: Notify,
}

impl LiveSockets {
    /// Resolves once no WebSocket is open.
    pub(crate) async fn all_closed(&self) {
        loop {
            let ended = self.ended.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            ended.await;
        }
    }
}

/// One open WebSocket, counted until dropped.
struct Live(Arc<LiveSockets>);

impl Live {
    fn new(sockets: &Arc<LiveSockets>) -> Self {
        sockets.count.fetch_add(1, Ordering::AcqRel);
        Self(sockets.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::AcqRel);
        self.0.ended.notify_waiters();
    }
}

/// What an upgrade request keeps until its answer: how to take the
/// connection over, and the client's key.
pub(crate) struct Upgrade {
    on: OnUpgrade,
    key: HeaderValue,
}

impl Upgrade {
    /// The upgrade `request` asks for, if it asks for a WebSocket.
    pub(crate) fn of(request: &mut http::Request<hyper::body::Incoming>) -> Option<Self> {
        if !is_upgrade_request(request) {
            return None;
        }
        let key = request.headers().get(SEC_WEBSOCKET_KEY)?.clone();
        Some(Self {
            on: hyper::upgrade::on(request),
            key,
        })
    }
}

/// The answer to a request whose Worker answered with a WebSocket: the
/// `101 Switching Protocols` that hands the connection to the socket, or a
/// 500 when the request did not ask for a WebSocket.
pub(crate) fn answer(
    response: http::Response<Body>,
    link: WebSocketLink,
    upgrade: Option<Upgrade>,
    context: &SocketContext,
) -> http::Response<Body> {
    let Some(upgrade) = upgrade else {
        tracing::warn!(
            "a Worker answered with a WebSocket a request that did not ask for one (Upgrade: websocket)"
        );
        let failed = async { Err::<TokioIo<hyper::upgrade::Upgraded>, _>("no upgrade asked") };
        actix_rt::spawn(link.serve(failed, None));
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The Worker answered with a WebSocket, but the request did not ask for one.\n",
        );
    };
    let (mut parts, _) = response.into_parts();
    parts.status = StatusCode::SWITCHING_PROTOCOLS;
    let headers = &mut parts.headers;
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept_key(upgrade.key.as_bytes())) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    }
    headers.remove(http::header::CONTENT_LENGTH);
    headers.remove(http::header::TRANSFER_ENCODING);
    let open = context.open.clone();
    let live = Live::new(&context.live);
    let going_away = context.going_away.clone();
    let on = upgrade.on;
    actix_rt::spawn(async move {
        let upgraded = async move { on.await.map(TokioIo::new) };
        link.serve(upgraded, Some(going_away)).await;
        drop((live, open));
    });
    http::Response::from_parts(parts, Body::empty())
}
