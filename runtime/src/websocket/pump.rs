//! The pump: the network end of one socket, a task that frames what the
//! Worker sends and delivers what arrives, one message at a time, until
//! the socket closes.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch, Notify};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::{Incoming, SocketOwner, CLOSE_WAIT, GOING_AWAY, MAX_MESSAGE_BYTES};

/// The close reason of a message over the size limit (Cloudflare's).
const TOO_LARGE: &str = "Message is too large";

/// What the Worker sends toward the peer.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Text(String),
    Binary(Vec<u8>),
    Close(u16, String),
}

impl Outgoing {
    /// The bytes it holds in the queue.
    pub(crate) fn size(&self) -> usize {
        match self {
            Outgoing::Text(t) => t.len(),
            Outgoing::Binary(b) => b.len(),
            Outgoing::Close(..) => 0,
        }
    }

    fn into_message(self) -> Message {
        match self {
            Outgoing::Text(t) => Message::text(t),
            Outgoing::Binary(b) => Message::binary(b),
            Outgoing::Close(code, reason) => Message::Close(Some(CloseFrame {
                code: CloseCode::from(code),
                reason: reason.into(),
            })),
        }
    }
}

/// What the Worker's side (the isolate's socket table) and the pump share
/// of one socket.
#[derive(Debug, Default)]
pub(crate) struct Control {
    /// Bytes queued toward the peer and not yet written.
    pub(crate) queued: AtomicUsize,
    /// Drops the connection at once (the peer stopped reading).
    pub(crate) abort: Notify,
    /// The Worker's side closed: the socket has [`CLOSE_WAIT`] to finish.
    pub(crate) closing: Notify,
}

/// One socket's network end, before it runs.
pub(crate) struct Pump {
    pub(crate) socket: u32,
    pub(crate) owner: Arc<dyn SocketOwner>,
    pub(crate) outgoing: mpsc::UnboundedReceiver<Outgoing>,
    pub(crate) control: Arc<Control>,
}

/// The read buffer of a socket: tungstenite fills (zeroes) the whole buffer
/// on its first read, so its default (128 KiB) would be resident memory of
/// every idle socket; a larger message grows it as it arrives.
const READ_BUFFER_BYTES: usize = 4096;

/// The framing limits: Cloudflare's message size.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
        .read_buffer_size(READ_BUFFER_BYTES)
}

/// How the reading side ended.
#[derive(PartialEq)]
enum ReadEnd {
    /// The peer closed, or the connection ended.
    Peer,
    /// A message over the limit: the socket closes with 1009.
    TooLarge,
}

/// Resolves once `going_away` turns true (never without one).
async fn gone(going_away: &mut Option<watch::Receiver<bool>>) {
    match going_away {
        Some(rx) => {
            if rx.wait_for(|g| *g).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

impl Pump {
    /// The Worker's end learns that its socket never connected.
    pub(crate) async fn abandon(self) {
        let closed = Incoming::Close {
            code: 1006,
            reason: String::new(),
            clean: false,
        };
        self.owner.deliver(self.socket, closed).await;
    }

    /// Runs the server's side of the socket over `io`.
    pub(crate) async fn run_server<S>(self, io: S, going_away: Option<watch::Receiver<bool>>)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config())).await;
        self.run(ws, going_away).await;
    }

    /// Runs the client's side of the socket over `io`.
    pub(crate) async fn run_client<S>(self, io: S)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let ws = WebSocketStream::from_raw_socket(io, Role::Client, Some(config())).await;
        self.run(ws, None).await;
    }

    async fn run<S>(self, ws: WebSocketStream<S>, going_away: Option<watch::Receiver<bool>>)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let Pump {
            socket,
            owner,
            mut outgoing,
            control,
        } = self;
        let (mut sink, mut stream) = ws.split();
        // Whether the Worker's end got its close event (it gets one).
        let closed = Cell::new(false);
        let deliver = |event: Incoming| {
            let is_close = matches!(event, Incoming::Close { .. });
            let skip = is_close && closed.replace(true);
            let delivery = (!skip).then(|| owner.deliver(socket, event));
            async move {
                if let Some(delivery) = delivery {
                    delivery.await;
                }
            }
        };
        // Closes the pump decides on (1009), ahead of the Worker's queue.
        let (own_tx, mut own_rx) = mpsc::unbounded_channel::<Outgoing>();
        let reader = async {
            while let Some(next) = stream.next().await {
                let event = match next {
                    Ok(Message::Text(text)) => Incoming::Text(text.as_str().to_owned()),
                    Ok(Message::Binary(bytes)) => Incoming::Binary(bytes.to_vec()),
                    Ok(Message::Close(frame)) => {
                        let (code, reason) = frame.map_or((1005, String::new()), |f| {
                            (u16::from(f.code), f.reason.as_str().to_owned())
                        });
                        Incoming::Close {
                            code,
                            reason,
                            clean: true,
                        }
                    }
                    Ok(_) => continue,
                    Err(WsError::Capacity(e)) => {
                        tracing::debug!(socket, "a WebSocket message over the limit: {e}");
                        let _ = own_tx.send(Outgoing::Close(1009, TOO_LARGE.into()));
                        deliver(Incoming::Close {
                            code: 1009,
                            reason: TOO_LARGE.into(),
                            clean: false,
                        })
                        .await;
                        return ReadEnd::TooLarge;
                    }
                    Err(e) => {
                        tracing::debug!(socket, "a WebSocket connection ended: {e}");
                        break;
                    }
                };
                deliver(event).await;
            }
            ReadEnd::Peer
        };
        let writer = async {
            let mut going_away = going_away;
            loop {
                let next = tokio::select! {
                    biased;
                    Some(own) = own_rx.recv() => own,
                    next = outgoing.recv() => next.unwrap_or_else(|| {
                        Outgoing::Close(1011, "The Worker's isolate went away".into())
                    }),
                    () = gone(&mut going_away) => {
                        let reason = "The server is shutting down";
                        deliver(Incoming::Close { code: GOING_AWAY, reason: reason.into(), clean: true }).await;
                        Outgoing::Close(GOING_AWAY, reason.into())
                    }
                };
                let size = next.size();
                let is_close = matches!(next, Outgoing::Close(..));
                let sent = sink.send(next.into_message()).await;
                control.queued.fetch_sub(size, Ordering::AcqRel);
                if sent.is_err() || is_close {
                    return;
                }
            }
        };
        tokio::pin!(reader, writer);
        tokio::select! {
            biased;
            end = &mut reader => {
                if end == ReadEnd::TooLarge {
                    let _ = tokio::time::timeout(CLOSE_WAIT, &mut writer).await;
                }
            }
            () = &mut writer => {
                let _ = tokio::time::timeout(CLOSE_WAIT, &mut reader).await;
            }
            () = control.abort.notified() => {}
            () = control.closing.notified() => {
                let both = futures::future::join(&mut writer, &mut reader);
                let _ = tokio::time::timeout(CLOSE_WAIT, both).await;
            }
        }
        deliver(Incoming::Close {
            code: 1006,
            reason: String::new(),
            clean: false,
        })
        .await;
    }
}

/// A queue toward the peer and the pump that drains it.
pub(crate) fn channel(
    socket: u32,
    owner: Arc<dyn SocketOwner>,
) -> (mpsc::UnboundedSender<Outgoing>, Arc<Control>, Pump) {
    let (tx, rx) = mpsc::unbounded_channel();
    let control = Arc::new(Control::default());
    let pump = Pump {
        socket,
        owner,
        outgoing: rx,
        control: control.clone(),
    };
    (tx, control, pump)
}

/// Counts `size` bytes as queued, unless that would pass `limit`.
pub(crate) fn reserve(queued: &AtomicUsize, size: usize, limit: usize) -> bool {
    queued
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
            (q + size <= limit).then_some(q + size)
        })
        .is_ok()
}
