//! WebSockets: a Worker's end of a socket in its isolate, the network end
//! outside it.
//!
//! # Concepts
//!
//! - **Ownership.** The network end of a socket (its framing, RFC 6455, by
//!   fastwebsockets; the frame headers followed with tungstenite's parser)
//!   is owned by a *pump*, a task of its own on the
//!   thread that accepted the connection (the gateway's, for a client's
//!   upgrade) or of the isolate (for the Worker's outbound sockets). The
//!   Worker's end is a handle in its isolate's socket table
//!   ([`sockets::Sockets`]). The two meet through a [`SocketOwner`]: where
//!   the pump delivers what arrives. Today the owner is the isolate actor
//!   that holds the socket; since the pump, not the isolate, holds the
//!   connection, the owner of a Durable Object's hibernatable socket is
//!   the object's room instead (`crate::durable::websockets`), which
//!   wakes the object in whatever isolate hosts it.
//! - **Proxies.** An outbound socket the Worker hands on to its client
//!   without accepting it has no Worker's end: the client's connection and
//!   the outbound one are joined directly (`join`), on the client
//!   connection's thread (a plain TCP connection moved there, `rehome`),
//!   with no event per message and nothing of the isolate held.
//! - **Turns.** Each message (and the close) is a new event for the
//!   isolate with its own CPU budget: a socket outlives the request that
//!   opened it. The pump delivers one message at a time and waits until the
//!   isolate took it, so a client sending faster than the Worker handles
//!   is slowed by TCP, never buffered without bound. The messages of an
//!   isolate's sockets that wait at the same time are delivered in one
//!   visit of its actor, each still in a turn of its own
//!   (`crate::isolate_actor` socket turns).
//! - **Toward the peer**, what the Worker sends waits in a queue counted in
//!   bytes; past [`OUTGOING_QUEUE_BYTES`] (a peer that stopped reading) the
//!   connection is dropped and the Worker's end gets `error` and `close`
//!   (1006) events, so memory stays bounded. The pump's writer drains it;
//!   what a batch of socket turns sent is written at the batch's end by
//!   the isolate itself when the pump runs on its thread ([`direct`]).
//! - **Limits and closes.** A received message over [`MAX_MESSAGE_BYTES`]
//!   (Cloudflare's 1 MiB) closes the socket with 1009. A close from the
//!   peer is answered at once. An isolate evicted (CPU, memory, …) closes
//!   its sockets with 1011 and a reason; a server shutting down closes them
//!   with 1001 once its grace period is over. An isolate with open sockets
//!   is not evicted as idle, nor under memory pressure (it counts as busy
//!   there), and is never taken for hung while a socket may still bring
//!   events. Sockets do not count as events in flight for load balancing:
//!   a Worker's sockets share its isolates as its requests do.

mod codec;
mod connect;
mod direct;
mod frames;
mod join;
pub(crate) mod outbox;
pub(crate) mod pump;
mod rehome;
pub(crate) mod sockets;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use motu_engine::HostValue;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

pub(crate) use connect::connect;
pub(crate) use sockets::Sockets;

/// The largest message a Worker receives: 1 MiB, as on Cloudflare; a
/// larger one closes the socket with code 1009.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Bytes a Worker's socket may have queued toward a peer that does not
/// read them (8 MiB); past that the connection is dropped.
pub const OUTGOING_QUEUE_BYTES: usize = 8 << 20;

/// How long a socket that sent its close frame waits for the peer's.
pub const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The close code of a server going away (shutdown).
pub const GOING_AWAY: u16 = 1001;

/// What arrives from the peer, for the Worker's end.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// The socket closed: the peer's close frame (`clean`), or a close
    /// decided here (1006 for a lost connection, 1009 for a message too
    /// large, 1001 for a shutdown).
    Close {
        /// The close code (1005 when the peer's frame had none).
        code: u16,
        /// The close reason.
        reason: String,
        /// Whether the closing handshake took place.
        clean: bool,
    },
}

/// Where a pump delivers what arrives on its socket: the holder of the
/// Worker's end. `deliver` resolves once the event was taken (one at a
/// time), to `false` when the holder is gone.
pub trait SocketOwner: Send + Sync + 'static {
    /// Hands `event` of socket `socket` to its holder.
    fn deliver(&self, socket: u32, event: Incoming) -> Pin<Box<dyn Future<Output = bool> + Send>>;
}

/// The network end of a socket a Worker answered an upgrade with (a 101
/// response's `webSocket`), in the response's extensions until the gateway
/// joins it to the upgraded connection ([`WebSocketLink::serve`]): the
/// pump of a Worker's end, or an outbound connection the Worker hands on
/// without accepting it (a proxy: the two connections are then joined,
/// see `join`). Dropped unused, the Worker's end gets a `close` event
/// (1006); an outbound connection is closed.
#[derive(Clone)]
pub struct WebSocketLink(Arc<Mutex<Option<LinkEnd>>>);

/// What a [`WebSocketLink`] hands over.
enum LinkEnd {
    /// A Worker's end, through its pump.
    Worker(pump::Pump),
    /// An outbound connection, upgraded, nobody's end yet.
    Outbound(Outbound),
}

/// An outbound connection switched to the WebSocket protocol.
pub(crate) type Outbound = hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>;

impl std::fmt::Debug for WebSocketLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebSocketLink")
    }
}

impl WebSocketLink {
    pub(crate) fn new(pump: pump::Pump) -> Self {
        Self(Arc::new(Mutex::new(Some(LinkEnd::Worker(pump)))))
    }

    /// An outbound socket, to hand on or accept.
    pub(crate) fn outbound(connection: Outbound) -> Self {
        Self(Arc::new(Mutex::new(Some(LinkEnd::Outbound(connection)))))
    }

    /// Runs the socket over the connection `upgraded` resolves to (the
    /// server's side of RFC 6455), until it closes; `going_away` turning
    /// true closes it with 1001. If the upgrade fails, the Worker's end is
    /// closed (1006), or the outbound connection.
    pub async fn serve<S, E>(
        self,
        upgraded: impl Future<Output = Result<S, E>>,
        going_away: Option<watch::Receiver<bool>>,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + 'static,
        E: std::fmt::Display,
    {
        let Some(end) = self.0.lock().unwrap_or_else(PoisonError::into_inner).take() else {
            return;
        };
        drop(self);
        match (upgraded.await, end) {
            (Ok(io), LinkEnd::Worker(pump)) => pump.run_server(io, going_away).await,
            (Ok(io), LinkEnd::Outbound(origin)) => {
                if let Some(origin) = rehome::rehome(origin) {
                    // Boxed: the join's state (two codecs) is far larger
                    // than a Worker's parked pump, and every socket's task
                    // is this future, hibernated ones included.
                    Box::pin(join::join(io, origin.io, origin.prefix, going_away)).await;
                }
            }
            (Err(e), end) => {
                tracing::debug!("a WebSocket upgrade failed: {e}");
                if let LinkEnd::Worker(pump) = end {
                    pump.abandon().await;
                }
            }
        }
    }
}

impl WebSocketLink {
    /// The Worker's end of the socket, joined to a client pump delivering
    /// to `owner`: for a Worker that accepts a socket instead of handing it
    /// on (a subrequest's 101 response carried it, or it opened it with
    /// `fetch()`). A Worker's end elsewhere runs over an in-process
    /// connection; an outbound connection is the pump's own.
    pub(crate) fn adopt(self, sockets: &Sockets, owner: Arc<dyn SocketOwner>) -> u32 {
        let end = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        let (handle, pump) = sockets.open(owner);
        match end {
            Some(LinkEnd::Outbound(origin)) => {
                actix_rt::spawn(pump.run_client(origin));
            }
            Some(LinkEnd::Worker(other)) => {
                let (server, client) = tokio::io::duplex(64 * 1024);
                actix_rt::spawn(other.run_server(server, None));
                actix_rt::spawn(pump.run_client(client));
            }
            // Taken already: the new end closes at once (1006).
            None => {
                actix_rt::spawn(pump.abandon());
            }
        }
        handle
    }
}

/// What the isolate's `dispatch` hook gets for `event` of socket `socket`
/// arriving at `now` (`performance.now()` in the isolate), with the bytes
/// it hands over: a message as the list `[socket, data, now]` (a string
/// for text, bytes for binary; `now` becomes the event's `timeStamp`, so
/// that making it needs no call back to the host for the clock), the least
/// a turn per message has to make; a close as `{ type: 'websocket',
/// socket, kind: 'close', code, reason, wasClean }`.
pub(crate) fn host_event(socket: u32, event: Incoming, now: f64) -> (HostValue, usize) {
    let handle = HostValue::Number(socket.into());
    let now = HostValue::Number(now);
    match event {
        Incoming::Text(text) => (
            HostValue::List(vec![handle, HostValue::String(text), now]),
            0,
        ),
        Incoming::Binary(bytes) => {
            let size = bytes.len();
            (
                HostValue::List(vec![handle, HostValue::Bytes(bytes), now]),
                size,
            )
        }
        Incoming::Close {
            code,
            reason,
            clean,
        } => (
            HostValue::Map(vec![
                ("type".into(), "websocket".into()),
                ("socket".into(), handle),
                ("kind".into(), "close".into()),
                ("code".into(), HostValue::Number(code.into())),
                ("reason".into(), HostValue::String(reason)),
                ("wasClean".into(), HostValue::Bool(clean)),
            ]),
            0,
        ),
    }
}

/// The `Sec-WebSocket-Accept` answer to a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &[u8]) -> String {
    tokio_tungstenite::tungstenite::handshake::derive_accept_key(key)
}

/// Whether `request` asks for a WebSocket (RFC 6455: a GET with
/// `Upgrade: websocket`, `Connection: upgrade`, a key and version 13).
pub fn is_upgrade_request<B>(request: &http::Request<B>) -> bool {
    let headers = request.headers();
    let has = |name: http::header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    request.method() == http::Method::GET
        && request.version() == http::Version::HTTP_11
        && has(http::header::UPGRADE, "websocket")
        && has(http::header::CONNECTION, "upgrade")
        && headers.contains_key(http::header::SEC_WEBSOCKET_KEY)
        && headers
            .get(http::header::SEC_WEBSOCKET_VERSION)
            .is_some_and(|v| v == "13")
}

/// The close reason sent to peers when an isolate is evicted for `reason`.
pub(crate) fn eviction_reason(reason: crate::EvictionReason) -> &'static str {
    use crate::EvictionReason as R;
    match reason {
        R::CpuLimit => "The Worker exceeded its CPU time limit",
        R::MemoryLimit => "The Worker exceeded its memory limit",
        R::Hang => "The Worker hung",
        R::Crashed => "The Worker's isolate crashed",
        R::Reload => "The Worker was reloaded",
        _ => "The Worker's isolate was evicted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_rfc_6455s() {
        // The example of RFC 6455, section 1.3.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn upgrade_requests_are_told_apart() {
        let req = |conn: &str| {
            http::Request::get("/")
                .header("upgrade", "WebSocket")
                .header("connection", conn)
                .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
                .header("sec-websocket-version", "13")
                .body(())
                .unwrap()
        };
        assert!(is_upgrade_request(&req("keep-alive, Upgrade")));
        assert!(!is_upgrade_request(&req("keep-alive")));
    }
}
