//! The pump: the network end of one socket, a task that frames what the
//! Worker sends and delivers what arrives, one message at a time, until
//! the socket closes. An idle socket is parked: its codec (buffers and
//! framing state) is dropped and made again when the connection has
//! something to read or the Worker something to write, so that an idle
//! socket costs little more than its connection.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fastwebsockets::{Frame, OpCode, Payload, WebSocketError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{watch, Notify};

use super::codec::{self, Role, Shared};
use super::direct::{Connection, Direct, Registration};
use super::outbox::{queue, Inbox, Outbox};
use super::{Incoming, SocketOwner, CLOSE_WAIT, GOING_AWAY};

/// The close reason of a message over the size limit (Cloudflare's).
pub(crate) const TOO_LARGE: &str = "Message is too large";

/// What the Worker sends toward the peer.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Text(String),
    Binary(Vec<u8>),
    Close(u16, String),
    /// The rest of a frame a direct write began ([`super::direct`]): its
    /// bytes, and the bytes of the message it counts in the queue.
    Rest(Vec<u8>, usize),
}

impl Outgoing {
    /// The bytes it holds in the queue.
    pub(crate) fn size(&self) -> usize {
        match self {
            Outgoing::Text(t) => t.len(),
            Outgoing::Binary(b) => b.len(),
            Outgoing::Close(..) => 0,
            Outgoing::Rest(_, size) => *size,
        }
    }

    /// Its frame (the bytes move into it, not copied), or the bytes to
    /// write as they are (the rest of a frame).
    fn into_frame(self) -> Result<Frame<'static>, Vec<u8>> {
        match self {
            Outgoing::Text(t) => Ok(Frame::text(Payload::Owned(t.into_bytes()))),
            Outgoing::Binary(b) => Ok(Frame::binary(Payload::Owned(b))),
            Outgoing::Close(code, reason) => Ok(Frame::close(code, reason.as_bytes())),
            Outgoing::Rest(bytes, _) => Err(bytes),
        }
    }
}

/// One socket's network end, before it runs.
pub(crate) struct Pump {
    pub(crate) socket: u32,
    pub(crate) owner: Arc<dyn SocketOwner>,
    pub(crate) inbox: Inbox,
}

/// How long a socket goes with nothing read or written before its codec
/// (buffers and framing state) is dropped: the socket is *parked*, its
/// connection waited on with no buffer at all, and the codec made again
/// when the peer sends or the Worker writes.
pub(crate) const PARK_AFTER: Duration = Duration::from_secs(1);

/// How the reading side ended.
#[derive(PartialEq)]
enum ReadEnd {
    /// The connection ended, or its bytes were no WebSocket.
    Lost,
    /// The peer's close frame, or a message over the limit: a close frame
    /// (the answer, or 1009) waits for the writer.
    Closing,
}

/// How a spell with a codec ended.
enum Spell<S> {
    /// Idle for [`PARK_AFTER`]: the connection, without its codec.
    Parked(S),
    /// The socket is over.
    Over,
}

/// What wakes a parked socket.
enum Wake {
    /// The peer sent this many bytes (in the wake's one-byte buffer).
    Read(usize),
    /// The Worker queued something, its end went, or the server is
    /// shutting down: the codec's writer sees to it.
    Write,
    /// The connection is lost, or was aborted.
    Lost,
}

/// Resolves once `going_away` turns true (never without one).
pub(crate) async fn gone(going_away: &mut Option<watch::Receiver<bool>>) {
    match going_away {
        Some(rx) => {
            if rx.wait_for(|g| *g).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

/// The Worker's end of a running socket, as the pump sees it.
struct Peer {
    socket: u32,
    owner: Arc<dyn SocketOwner>,
    /// Whether the Worker's end got its close event (it gets one).
    closed: Cell<bool>,
}

impl Peer {
    /// Hands `event` to the Worker's end (a second close is not).
    async fn deliver(&self, event: Incoming) {
        let is_close = matches!(event, Incoming::Close { .. });
        if is_close && self.closed.replace(true) {
            return;
        }
        self.owner.deliver(self.socket, event).await;
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
        S: AsyncRead + AsyncWrite + Unpin + 'static,
    {
        self.run(io, Role::Server, going_away).await;
    }

    /// Runs the client's side of the socket over `io`.
    pub(crate) async fn run_client<S>(self, io: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + 'static,
    {
        self.run(io, Role::Client, None).await;
    }

    /// Runs the socket: parked (no codec) until the peer sends or the
    /// Worker writes, then a spell with a codec until it is idle again.
    async fn run<S>(self, io: S, role: Role, going_away: Option<watch::Receiver<bool>>)
    where
        S: AsyncRead + AsyncWrite + Unpin + 'static,
    {
        let Pump {
            socket,
            owner,
            inbox,
        } = self;
        let peer = Peer {
            socket,
            owner,
            closed: Cell::new(false),
        };
        let mut going_away = going_away;
        let mut io = io;
        // Where the isolate's sends on this thread write straight to the
        // connection, while a spell runs.
        let registration = Registration::new(inbox.control(), Direct::new(role == Role::Client));
        loop {
            let mut first = [0u8; 1];
            inbox.control().parked.store(true, Ordering::Release);
            let wake = tokio::select! {
                biased;
                () = inbox.control().abort.notified() => Wake::Lost,
                read = io.read(&mut first) => match read {
                    Ok(n) if n > 0 => Wake::Read(n),
                    Ok(_) => Wake::Lost,
                    Err(e) => {
                        tracing::debug!(socket, "a WebSocket connection ended: {e}");
                        Wake::Lost
                    }
                },
                () = inbox.wait() => Wake::Write,
                () = gone(&mut going_away) => Wake::Write,
            };
            inbox.control().parked.store(false, Ordering::Release);
            let prefix = match wake {
                Wake::Read(n) => first[..n].to_vec(),
                Wake::Write => Vec::new(),
                Wake::Lost => break,
            };
            // The spell's future is boxed: while parked, the socket's task
            // holds none of its state.
            let with_codec = Box::pin(spell(
                io,
                prefix,
                role,
                &peer,
                &inbox,
                registration.direct(),
                &mut going_away,
            ));
            match with_codec.await {
                Spell::Parked(back) => io = back,
                Spell::Over => break,
            }
        }
        drop(registration);
        peer.deliver(Incoming::Close {
            code: 1006,
            reason: String::new(),
            clean: false,
        })
        .await;
    }
}

/// The writer's next step.
enum Next {
    Send(Outgoing),
    /// A frame the reader owes the peer (a pong, the answer to its close,
    /// a 1009 close).
    Owed(Frame<'static>),
    /// The server is shutting down.
    GoingAway,
}

/// What a message frame read from the peer is for the Worker's end
/// (`None` for a frame it does not see: a pong).
pub(crate) fn incoming(frame: Frame<'_>) -> Option<Incoming> {
    match frame.opcode {
        // The codec checked the text's UTF-8 (the whole message's).
        OpCode::Text => Some(Incoming::Text(
            String::from_utf8(frame.payload.into())
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )),
        OpCode::Binary => Some(Incoming::Binary(frame.payload.into())),
        OpCode::Close => {
            // The codec checked the code and the reason's UTF-8.
            let (code, reason) = match &frame.payload[..] {
                [a, b, reason @ ..] => (
                    u16::from_be_bytes([*a, *b]),
                    String::from_utf8_lossy(reason).into_owned(),
                ),
                _ => (1005, String::new()),
            };
            Some(Incoming::Close {
                code,
                reason,
                clean: true,
            })
        }
        _ => None,
    }
}

/// A spell of the socket with a codec over `io` (`prefix` read already),
/// until the socket is over or idle for [`PARK_AFTER`].
async fn spell<S>(
    io: S,
    prefix: Vec<u8>,
    role: Role,
    peer: &Peer,
    inbox: &Inbox,
    direct: &Direct,
    going_away: &mut Option<watch::Receiver<bool>>,
) -> Spell<S>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let control = inbox.control();
    let io = Rc::new(codec::followed(io, prefix, role));
    direct.attach(Some(io.clone() as Rc<dyn Connection>));
    let parked = {
        let (mut read, mut write) = codec::split(&io, role);
        // Frames the reader owes the peer, for the writer, and what wakes
        // it for them.
        let owed: RefCell<VecDeque<Frame<'static>>> = RefCell::new(VecDeque::new());
        let owed_wake = Notify::new();
        let owe = |frame: Frame<'static>| {
            owed.borrow_mut().push_back(frame);
            // Owed frames go first: no direct write overtakes them.
            direct.set_idle(false);
            owed_wake.notify_one();
        };
        // Counts reads and writes (direct writes too): the socket is idle
        // once a whole PARK_AFTER went by without one (a counter rather
        // than a clock read for every message).
        let active = || direct.active();
        // The reader waits for the peer; the writer for the Worker.
        let reading = Cell::new(false);
        let waiting = Cell::new(false);
        // Whether the peer's close was left unanswered: the socket is
        // half-open (`allowHalfOpen`), the Worker's `close()` answers it.
        let unanswered = Cell::new(false);
        let reader = async {
            let mut answer = |frame: Frame<'static>| {
                if frame.opcode == OpCode::Close && control.half_open.load(Ordering::Acquire) {
                    unanswered.set(true);
                } else {
                    owe(frame);
                }
                std::future::ready(Ok::<(), std::io::Error>(()))
            };
            loop {
                reading.set(true);
                let next = read.read_frame(&mut answer).await;
                reading.set(false);
                active();
                let frame = match next {
                    Ok(frame) => frame,
                    Err(e) => {
                        if io.borrow().boundary.too_large()
                            || matches!(e, WebSocketError::FrameTooLarge)
                        {
                            tracing::debug!(
                                socket = peer.socket,
                                "a WebSocket message over the limit"
                            );
                            owe(Frame::close(1009, TOO_LARGE.as_bytes()));
                            peer.deliver(Incoming::Close {
                                code: 1009,
                                reason: TOO_LARGE.into(),
                                clean: false,
                            })
                            .await;
                            return ReadEnd::Closing;
                        }
                        tracing::debug!(socket = peer.socket, "a WebSocket connection ended: {e}");
                        // A close the codec owes (1002 for a bad close code).
                        return if owed.borrow().is_empty() {
                            ReadEnd::Lost
                        } else {
                            ReadEnd::Closing
                        };
                    }
                };
                let Some(event) = incoming(frame) else {
                    continue;
                };
                let is_close = matches!(event, Incoming::Close { .. });
                peer.deliver(event).await;
                if is_close {
                    return ReadEnd::Closing;
                }
            }
        };
        let writer = async {
            // Made once for the spell, not once a message: each is a
            // waiter registered with what it waits on.
            let gone = gone(going_away);
            let owing = owed_wake.notified();
            tokio::pin!(gone, owing);
            loop {
                waiting.set(true);
                let first = owed.borrow_mut().pop_front();
                let next = if let Some(frame) = first {
                    Next::Owed(frame)
                } else {
                    // While it waits here, the isolate's sends on this
                    // thread may write straight to the connection.
                    direct.set_idle(true);
                    let next = tokio::select! {
                        biased;
                        () = &mut owing => {
                            owing.set(owed_wake.notified());
                            continue;
                        }
                        next = inbox.next() => Next::Send(next.unwrap_or_else(|| {
                            Outgoing::Close(1011, "The Worker's isolate went away".into())
                        })),
                        () = &mut gone => Next::GoingAway,
                    };
                    direct.set_idle(false);
                    next
                };
                waiting.set(false);
                active();
                let (frame, size) = match next {
                    Next::Owed(frame) => (frame, 0),
                    Next::Send(next) => {
                        let size = next.size();
                        match next.into_frame() {
                            Ok(frame) => (frame, size),
                            Err(rest) => {
                                // The rest of a frame a direct write began.
                                let mut raw = Shared(&*io);
                                let mut sent = raw.write_all(&rest).await;
                                if sent.is_ok() {
                                    sent = raw.flush().await;
                                }
                                control.queued.fetch_sub(size, Ordering::AcqRel);
                                if sent.is_err() {
                                    return;
                                }
                                continue;
                            }
                        }
                    }
                    Next::GoingAway => {
                        let reason = "The server is shutting down";
                        peer.deliver(Incoming::Close {
                            code: GOING_AWAY,
                            reason: reason.into(),
                            clean: true,
                        })
                        .await;
                        (Frame::close(GOING_AWAY, reason.as_bytes()), 0)
                    }
                };
                let is_close = frame.opcode == OpCode::Close;
                let mut sent = write.write_frame(frame).await;
                if sent.is_ok() {
                    sent = write.flush().await;
                }
                control.queued.fetch_sub(size, Ordering::AcqRel);
                if sent.is_err() || is_close {
                    return;
                }
            }
        };
        // Resolves once both sides waited through a whole PARK_AFTER with
        // nothing left in the codec: every byte read belongs to a message
        // returned, nothing is owed to the peer nor queued by the Worker.
        let idle = async {
            loop {
                let seen = direct.activity();
                tokio::time::sleep(PARK_AFTER).await;
                if reading.get()
                    && waiting.get()
                    && direct.activity() == seen
                    && io.borrow().boundary.at_rest()
                    && owed.borrow().is_empty()
                    && !inbox.has_queued()
                {
                    return;
                }
            }
        };
        tokio::pin!(reader, writer, idle);
        tokio::select! {
            biased;
            end = &mut reader => {
                if unanswered.get() {
                    // Half-open: the Worker may still send, until its own
                    // close (or its isolate's end, or the server's).
                    (&mut writer).await;
                } else if end == ReadEnd::Closing {
                    let _ = tokio::time::timeout(CLOSE_WAIT, &mut writer).await;
                }
                false
            }
            () = &mut writer => {
                let _ = tokio::time::timeout(CLOSE_WAIT, &mut reader).await;
                false
            }
            () = control.abort.notified() => false,
            () = control.closing.notified() => {
                let both = futures::future::join(&mut writer, &mut reader);
                let _ = tokio::time::timeout(CLOSE_WAIT, both).await;
                false
            }
            () = &mut idle => true,
        }
    };
    direct.attach(None);
    match Rc::try_unwrap(io) {
        Ok(io) if parked => Spell::Parked(io.into_inner().io),
        _ => Spell::Over,
    }
}

/// A queue toward the peer and the pump that drains it.
pub(crate) fn channel(socket: u32, owner: Arc<dyn SocketOwner>) -> (Outbox, Pump) {
    let (outbox, inbox) = queue();
    let pump = Pump {
        socket,
        owner,
        inbox,
    };
    (outbox, pump)
}

/// Counts `size` bytes as queued, unless that would pass `limit`.
pub(crate) fn reserve(queued: &AtomicUsize, size: usize, limit: usize) -> bool {
    queued
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
            (q + size <= limit).then_some(q + size)
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{SinkExt, StreamExt};
    use std::time::Instant;
    use tokio::io::AsyncWriteExt;
    use tokio::sync::mpsc;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::Role as ClientRole;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::WebSocketStream;

    /// An owner that records what it is handed.
    struct Recorder(mpsc::UnboundedSender<Incoming>);

    impl SocketOwner for Recorder {
        fn deliver(
            &self,
            _socket: u32,
            event: Incoming,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
            let _ = self.0.send(event);
            Box::pin(async { true })
        }
    }

    /// Waits (at most 60 s) until `parked` says so.
    async fn until_parked(outbox: &Outbox) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !outbox.control().is_parked() {
            assert!(Instant::now() < deadline, "the socket never parked");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The next message the client gets (pongs and all).
    async fn next_message<S: AsyncRead + AsyncWrite + Unpin>(
        client: &mut WebSocketStream<S>,
    ) -> Message {
        client.next().await.expect("a message").expect("no error")
    }

    #[test]
    fn an_idle_socket_parks_and_wakes_without_losing_a_byte() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async {
            let (server, client) = tokio::io::duplex(64 * 1024);
            let (events_tx, mut events) = mpsc::unbounded_channel();
            let (outbox, pump) = channel(1, Arc::new(Recorder(events_tx)));
            tokio::task::spawn_local(pump.run_server(server, None));
            let mut client =
                WebSocketStream::from_raw_socket(client, ClientRole::Client, None).await;
            // A new socket has no codec until something happens.
            until_parked(&outbox).await;
            client.send(Message::text("one")).await.unwrap();
            assert_eq!(events.recv().await, Some(Incoming::Text("one".into())));
            // Idle again: parked again; the Worker's message wakes it.
            until_parked(&outbox).await;
            outbox.send(Outgoing::Text("two".into()));
            assert_eq!(next_message(&mut client).await, Message::text("two"));
            // Half a frame, then a pause longer than PARK_AFTER: the
            // socket must not park with half a frame in its codec.
            until_parked(&outbox).await;
            let mut frame = Frame::message(b"three".to_vec(), OpCode::Data(Data::Text), true);
            frame.header_mut().mask = Some([7, 7, 7, 7]);
            let mut bytes = Vec::new();
            frame.format(&mut bytes).unwrap();
            let (half, rest) = bytes.split_at(4);
            client.get_mut().write_all(half).await.unwrap();
            tokio::time::sleep(PARK_AFTER * 2).await;
            client.get_mut().write_all(rest).await.unwrap();
            assert_eq!(events.recv().await, Some(Incoming::Text("three".into())));
            // A ping to a parked socket gets its pong.
            until_parked(&outbox).await;
            client.send(Message::Ping(vec![1, 2].into())).await.unwrap();
            assert_eq!(
                next_message(&mut client).await,
                Message::Pong(vec![1, 2].into())
            );
            // A close from the peer reaches the Worker's end.
            until_parked(&outbox).await;
            client.close(None).await.unwrap();
            assert_eq!(
                events.recv().await,
                Some(Incoming::Close {
                    code: 1005,
                    reason: String::new(),
                    clean: true
                })
            );
        });
    }
}
