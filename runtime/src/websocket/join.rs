//! The join: a client's connection and an outbound one joined directly,
//! for a Worker that hands on to its client a socket it opened itself
//! (`fetch()` with `Upgrade: websocket`) without accepting it — a proxy.
//!
//! # Concepts
//!
//! - **No JavaScript per message.** What one side sends is framed again
//!   toward the other by the runtime alone, message by message (a text
//!   message stays text, a binary one binary, fragments put together), as
//!   workerd's `WebSocket::couple` pumps the two `kj::WebSocket`s into each
//!   other. The join holds nothing of the isolate: the isolate may leave
//!   (idle, evicted) while the sockets stay open.
//! - **Closes pass through.** A side's close frame (its code and reason,
//!   or none) is sent on to the other side as it came, and that
//!   direction is over; the other side's answer comes back the same way.
//!   Once a close or an error ended one direction, the rest has
//!   [`CLOSE_WAIT`] to finish.
//! - **Pings are each side's own**: the runtime answers a side's pings
//!   itself, and pongs are not passed on.
//! - **Errors**, as workerd's pump has them: a side that breaks the
//!   protocol or sends a message over [`MAX_MESSAGE_BYTES`] gets the close
//!   its codec owes it (1002, 1009 "Message is too large"), and the other
//!   side's connection is ended without a close frame (its peer sees
//!   1006); a side whose connection is lost ends the other's the same way.
//! - **Backpressure.** A direction reads a message once the last is
//!   handed to the other side's writer, which holds at most one more: a
//!   side that stops reading stops the other side's reads (TCP holds the
//!   rest back), and memory per direction stays within two messages.
//! - **Shutdown**: once the server's grace period is over both sides get
//!   a close 1001 ("The server is shutting down").
//!
//! [`MAX_MESSAGE_BYTES`]: super::MAX_MESSAGE_BYTES

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;

use fastwebsockets::{Frame, OpCode, Payload, WebSocketError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch, Notify};

use super::codec::{self, Role, Shared};
use super::frames::Followed;
use super::pump::{gone, TOO_LARGE};
use super::{CLOSE_WAIT, GOING_AWAY};

/// Frames a side's reader may owe its own peer (pongs) before it waits
/// for the writer to send them.
const OWED_FRAMES: usize = 4;

/// Joins `client` (the server's side of the client's connection) and
/// `origin` (the client's side of an outbound connection, `prefix` read
/// from it already) until both are closed; `going_away` turning true
/// closes both with 1001.
pub(crate) async fn join<C, O>(
    client: C,
    origin: O,
    prefix: Vec<u8>,
    going_away: Option<watch::Receiver<bool>>,
) where
    C: AsyncRead + AsyncWrite + Unpin,
    O: AsyncRead + AsyncWrite + Unpin,
{
    let client = codec::followed(client, Vec::new(), Role::Server);
    let origin = codec::followed(origin, prefix, Role::Client);
    let (client_read, client_write) = codec::split(&client, Role::Server);
    let (origin_read, origin_write) = codec::split(&origin, Role::Client);
    // What each reader hands the other side's writer (one message at a
    // time), and what it owes its own side.
    let (to_origin, for_origin) = mpsc::channel(1);
    let (to_client, for_client) = mpsc::channel(1);
    let (owed_client, owed_to_client) = mpsc::channel(OWED_FRAMES);
    let (owed_origin, owed_to_origin) = mpsc::channel(OWED_FRAMES);
    // The server's going away is the two writers' first frame to write.
    let (client_close, origin_close) = (owed_client.clone(), owed_origin.clone());
    let shutdown = async move {
        let mut going_away = going_away;
        gone(&mut going_away).await;
        // Both closes are queued before either writer sends anything.
        let close = || Frame::close(GOING_AWAY, b"The server is shutting down");
        let (to_client, to_origin) = (
            client_close.try_send(close()),
            origin_close.try_send(close()),
        );
        if let Err(mpsc::error::TrySendError::Full(frame)) = to_client {
            let _ = client_close.send(frame).await;
        }
        if let Err(mpsc::error::TrySendError::Full(frame)) = to_origin {
            let _ = origin_close.send(frame).await;
        }
        std::future::pending::<()>().await;
    };
    // Rung once a direction is over: the rest has CLOSE_WAIT.
    let ending = Notify::new();
    let ended = || ending.notify_one();
    let all = futures::future::join4(
        async {
            read_side(client_read, &client, "client", to_origin, owed_client).await;
            ended();
        },
        async {
            read_side(origin_read, &origin, "origin", to_client, owed_origin).await;
            ended();
        },
        async {
            write_side("client", client_write, &client, for_client, owed_to_client).await;
            ended();
        },
        async {
            write_side("origin", origin_write, &origin, for_origin, owed_to_origin).await;
            ended();
        },
    );
    tokio::select! {
        biased;
        _ = all => {}
        () = async {
            ending.notified().await;
            tokio::time::sleep(CLOSE_WAIT).await;
        } => {}
        () = shutdown => {}
    }
}

/// Reads `side`'s messages and hands them to the other side's writer
/// (`forward`), until its close (handed on too) or an error (what its
/// codec owes it goes to its own writer, `owe`).
async fn read_side<S>(
    mut read: fastwebsockets::FragmentCollectorRead<Shared<'_, S>>,
    io: &RefCell<Followed<S>>,
    side: &'static str,
    forward: mpsc::Sender<Frame<'static>>,
    owe: mpsc::Sender<Frame<'static>>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // The codec's answer to a close: kept, for the answer is the other
    // side's; sent only when the close was invalid (1002) and no message.
    let mut close_owed = None;
    loop {
        let mut obligated = |frame: Frame<'static>| {
            let pong = if frame.opcode == OpCode::Close {
                close_owed = Some(frame);
                None
            } else {
                Some(frame)
            };
            let owe = owe.clone();
            async move {
                if let Some(pong) = pong {
                    // A writer that is gone (it sent its close) needs no pong.
                    let _ = owe.send(pong).await;
                }
                Ok::<(), std::io::Error>(())
            }
        };
        match read.read_frame(&mut obligated).await {
            Ok(frame) => match frame.opcode {
                OpCode::Text | OpCode::Binary => {
                    let message = Frame::new(true, frame.opcode, None, owned(frame.payload));
                    // A writer that is gone (the server is shutting down)
                    // drops what still arrives until the close.
                    let _ = forward.send(message).await;
                }
                OpCode::Close => {
                    tracing::debug!(side, "a proxied WebSocket's close, passed on");
                    let close = Frame::close_raw(owned(frame.payload));
                    let _ = forward.send(close).await;
                    return;
                }
                _ => {}
            },
            Err(e) => {
                if io.borrow().boundary.too_large() || matches!(e, WebSocketError::FrameTooLarge) {
                    tracing::debug!(side, "a proxied WebSocket message over the limit");
                    let _ = owe.send(Frame::close(1009, TOO_LARGE.as_bytes())).await;
                } else {
                    tracing::debug!(side, "a proxied WebSocket connection ended: {e}");
                    if let Some(close) = close_owed.take() {
                        let _ = owe.send(close).await;
                    }
                }
                return;
            }
        }
    }
}

/// Ends the writing half of `io`'s connection (no close frame): its peer
/// sees the connection end.
async fn shut_down<S: AsyncWrite + Unpin>(io: &RefCell<Followed<S>>) {
    // Borrowed for each poll only: the reader polls the same connection.
    let _ = poll_fn(|cx| Pin::new(&mut *io.borrow_mut()).poll_shutdown(cx)).await;
}

/// `payload` as an owned payload (moved when it is one already).
fn owned(payload: Payload<'_>) -> Payload<'static> {
    match payload {
        Payload::Owned(v) => Payload::Owned(v),
        Payload::Bytes(b) => Payload::Bytes(b),
        other => Payload::Owned(other.to_vec()),
    }
}

/// Writes to `side` what is owed to it (`owed`: what its own reader owes,
/// and the server's close when it shuts down) and what the other side sent
/// (`forwarded`), until a close was written; the other side gone without a
/// close ends this side's connection without one.
async fn write_side<S>(
    side: &'static str,
    mut write: fastwebsockets::WebSocketWrite<Shared<'_, S>>,
    io: &RefCell<Followed<S>>,
    mut forwarded: mpsc::Receiver<Frame<'static>>,
    mut owed: mpsc::Receiver<Frame<'static>>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let frame = tokio::select! {
            biased;
            Some(frame) = owed.recv() => frame,
            next = forwarded.recv() => match next {
                Some(frame) => frame,
                None => {
                    // The other side broke off: so does this one.
                    tracing::debug!(side, "a proxied WebSocket's other side broke off");
                    shut_down(io).await;
                    return;
                }
            },
        };
        let is_close = frame.opcode == OpCode::Close;
        let mut sent = write.write_frame(frame).await;
        if sent.is_ok() {
            sent = write.flush().await;
        }
        if let Err(e) = &sent {
            tracing::debug!(side, "a proxied WebSocket connection failed: {e}");
        }
        if sent.is_err() || is_close {
            tracing::debug!(
                side,
                close = is_close,
                "a proxied WebSocket's writer is done"
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{SinkExt, StreamExt};
    use std::cell::Cell;
    use std::rc::Rc;
    use tokio_tungstenite::tungstenite::protocol::Role as PeerRole;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::WebSocketStream;

    /// Runs `test` with a client and an origin joined over in-process
    /// connections of `buffer` bytes each way.
    fn joined<F, Fut>(buffer: usize, test: F)
    where
        F: FnOnce(
            WebSocketStream<tokio::io::DuplexStream>,
            WebSocketStream<tokio::io::DuplexStream>,
        ) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async {
            let (client_end, client_io) = tokio::io::duplex(buffer);
            let (origin_end, origin_io) = tokio::io::duplex(buffer);
            tokio::task::spawn_local(join(client_io, origin_io, Vec::new(), None));
            let client = WebSocketStream::from_raw_socket(client_end, PeerRole::Client, None).await;
            let origin = WebSocketStream::from_raw_socket(origin_end, PeerRole::Server, None).await;
            test(client, origin).await;
        });
    }

    #[test]
    fn pings_are_answered_by_each_side_and_not_passed_on() {
        joined(64 * 1024, |mut client, mut origin| async move {
            // Each side's next message after its ping comes only once the
            // other side saw what followed the ping: the pong, owed first,
            // is before it (or missing).
            client.send(Message::Ping(vec![1].into())).await.unwrap();
            client.send(Message::text("after the ping")).await.unwrap();
            assert_eq!(
                origin.next().await.unwrap().unwrap(),
                Message::text("after the ping")
            );
            origin.send(Message::Ping(vec![2].into())).await.unwrap();
            origin.send(Message::text("after the pong")).await.unwrap();
            assert_eq!(
                client.next().await.unwrap().unwrap(),
                Message::Pong(vec![1].into())
            );
            assert_eq!(
                client.next().await.unwrap().unwrap(),
                Message::text("after the pong")
            );
            client.send(Message::text("last")).await.unwrap();
            assert_eq!(
                origin.next().await.unwrap().unwrap(),
                Message::Pong(vec![2].into())
            );
            assert_eq!(origin.next().await.unwrap().unwrap(), Message::text("last"));
        });
    }

    #[test]
    fn a_close_without_a_code_passes_on_as_it_came() {
        joined(64 * 1024, |mut client, mut origin| async move {
            client.close(None).await.unwrap();
            // The origin gets a close with no code (not 1005 on the wire,
            // which the codec would refuse) and answers it the same way.
            assert_eq!(origin.next().await.unwrap().unwrap(), Message::Close(None));
            assert_eq!(origin.next().await.transpose().unwrap(), None);
            assert_eq!(client.next().await.unwrap().unwrap(), Message::Close(None));
        });
    }

    #[test]
    fn a_side_that_stops_reading_holds_the_other_back() {
        // 16 KiB connections, 64 KiB messages, an origin that never reads:
        // the client gets a few messages through (the buffers, the one
        // being written, the one waiting for the writer) and then waits;
        // the join never takes in the 8 MiB it is given.
        const MESSAGE: usize = 64 * 1024;
        const MESSAGES: usize = 128;
        joined(16 * 1024, |mut client, origin| async move {
            let sent = Rc::new(Cell::new(0usize));
            let counted = sent.clone();
            let sender = tokio::task::spawn_local(async move {
                for _ in 0..MESSAGES {
                    client
                        .send(Message::binary(vec![0u8; MESSAGE]))
                        .await
                        .unwrap();
                    counted.set(counted.get() + 1);
                }
            });
            // Everything runs in this thread over in-process connections:
            // once a round of yields makes no progress, nothing can.
            loop {
                let before = sent.get();
                for _ in 0..1000 {
                    tokio::task::yield_now().await;
                }
                if sent.get() == before {
                    break;
                }
            }
            assert!(
                sent.get() <= 4,
                "{} messages of 64 KiB went in while the origin read none",
                sent.get()
            );
            sender.abort();
            drop(origin);
        });
    }
}
