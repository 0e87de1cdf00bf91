//! Writing a Worker's messages straight to their connections, from the
//! isolate's thread, when nothing else is on its way to the peer.
//!
//! # Concepts
//!
//! - **The usual way** for a message the Worker sends is the socket's
//!   queue ([`super::outbox`]): `send` queues it and wakes the pump, whose
//!   writer frames and writes it when the pump's task is next polled.
//! - **The short way.** A batch of socket turns (`crate::isolate_actor`
//!   socket turns) queues what its turns send without waking any pump, and
//!   at its end writes it: when a socket's pump runs on the isolate's own
//!   thread (a client's socket placed with the isolate, the usual case;
//!   always so with one executor thread) and its writer waits with
//!   nothing owed to the peer, the isolate frames the messages and writes
//!   them to the connection itself, without waiting (non-blocking writes):
//!   no wake-up of the pump, no poll of its writer. Whatever the
//!   connection did not take (it would block, or took part of a frame)
//!   stays queued, in order (the rest of a frame first), and the pump is
//!   woken to finish it as usual. Frames stay whole and in order, the
//!   queue's bound counts what waits as before, and a parked socket (no
//!   codec) still wakes through its queue.
//! - **At the batch's end, not at each `send`.** Writing each message as
//!   it is sent spreads a batch's writes over its turns; every write then
//!   tends to find its peer asleep, and on a local peer the sender pays
//!   the wake-up (measured: 13% more CPU per echoed message on V8, 26% on
//!   QuickJS). Written together at the end, the writes leave in a burst,
//!   as the pumps' did, and the system time of the writes is no event's
//!   CPU time.
//! - **Found per thread.** A running pump registers its [`Direct`] with
//!   its thread ([`Registration`]) and marks the socket's shared
//!   [`Control`] with where; a socket whose pump runs on another thread
//!   (or none: a Durable Object's hibernatable sockets, whose messages
//!   wait for its output gate in the object's room) is not written here.

use std::cell::{Cell, RefCell};
use std::io::IoSlice;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use fastwebsockets::{Frame, OpCode, Payload};
use tokio::io::AsyncWrite;

use super::outbox::Control;
use super::pump::Outgoing;

/// A frame whose payload is larger than this goes out as one vectored
/// write of its header and payload; a smaller one is put together in a
/// buffer first (one plain write), as the pump's writer does.
const VECTORED_OVER: usize = 1024;

/// The connection of a running pump, as a sender sees it: one attempt at
/// a write or a flush, never waiting.
pub(crate) trait Connection {
    /// Writes what it can of `bufs` now: the bytes written, or `None`
    /// when nothing could be (it would block, the connection is in use,
    /// or failed: the pump's writer sees to it).
    fn try_write(&self, bufs: &[IoSlice<'_>]) -> Option<usize>;

    /// Whether everything written has left (a TLS stream may hold bytes).
    fn try_flush(&self) -> bool;
}

impl<S: AsyncWrite + Unpin> Connection for RefCell<S> {
    fn try_write(&self, bufs: &[IoSlice<'_>]) -> Option<usize> {
        let mut io = self.try_borrow_mut().ok()?;
        // The pump's writer is waiting for the queue, not for the
        // connection: the no-op waker left there on `Pending` is replaced
        // by the writer's when it next writes.
        let mut cx = Context::from_waker(Waker::noop());
        let polled = match bufs {
            [one] => Pin::new(&mut *io).poll_write(&mut cx, one),
            _ => Pin::new(&mut *io).poll_write_vectored(&mut cx, bufs),
        };
        match polled {
            Poll::Ready(Ok(n)) if n > 0 => Some(n),
            _ => None,
        }
    }

    fn try_flush(&self) -> bool {
        let Ok(mut io) = self.try_borrow_mut() else {
            return false;
        };
        let mut cx = Context::from_waker(Waker::noop());
        matches!(Pin::new(&mut *io).poll_flush(&mut cx), Poll::Ready(Ok(())))
    }
}

/// What a running pump shares with senders on its thread.
pub(crate) struct Direct {
    /// The connection, while the pump has a codec over it.
    connection: RefCell<Option<Rc<dyn Connection>>>,
    /// The pump's writer waits for the queue, with nothing owed to the
    /// peer: a frame written now is the next one out.
    idle: Cell<bool>,
    /// Reads and writes of the socket, direct ones included (the pump
    /// parks a socket only after a while without any).
    activity: Cell<u64>,
    /// Whether frames are masked (the client's end).
    masks: bool,
    /// Where a small frame is put together.
    buffer: RefCell<Vec<u8>>,
}

/// How a direct write went.
pub(crate) enum Written {
    /// The whole frame left.
    All,
    /// Part of it did: the rest of its bytes, for the pump's writer to
    /// finish (none: it only needs a flush).
    Part(Vec<u8>),
}

impl Direct {
    /// A pump's, for the client's end of a socket (`masks`) or the
    /// server's.
    pub(crate) fn new(masks: bool) -> Rc<Self> {
        Rc::new(Self {
            connection: RefCell::new(None),
            idle: Cell::new(false),
            activity: Cell::new(0),
            masks,
            buffer: RefCell::new(Vec::new()),
        })
    }

    /// A spell with a codec over `connection` begins (`Some`) or ends.
    pub(crate) fn attach(&self, connection: Option<Rc<dyn Connection>>) {
        self.idle.set(false);
        *self.connection.borrow_mut() = connection;
    }

    /// The writer waits with nothing owed (`true`), or has work.
    pub(crate) fn set_idle(&self, idle: bool) {
        self.idle.set(idle);
    }

    /// Counts a read or a write.
    pub(crate) fn active(&self) {
        self.activity.set(self.activity.get().wrapping_add(1));
    }

    /// The count of reads and writes so far.
    pub(crate) fn activity(&self) -> u64 {
        self.activity.get()
    }

    /// Writes the frame of `message` (a text or binary message) to the
    /// connection, if the writer is idle and the connection takes at
    /// least part of it; `None` when nothing was written (it stays
    /// queued). The caller holds the socket's queue, `message` first in it.
    pub(crate) fn write(&self, message: &Outgoing) -> Option<Written> {
        if !self.idle.get() {
            return None;
        }
        let (opcode, payload) = match message {
            Outgoing::Text(text) => (OpCode::Text, text.as_bytes()),
            Outgoing::Binary(bytes) => (OpCode::Binary, &bytes[..]),
            Outgoing::Close(..) | Outgoing::Rest(..) => return None,
        };
        let connection = self.connection.borrow().clone()?;
        let mut frame = Frame::new(true, opcode, None, Payload::Borrowed(payload));
        if self.masks {
            // (A copy of the payload, masked.)
            frame.mask();
        }
        let mut head = [0u8; 14];
        let head_len = frame.fmt_head(&mut head);
        let payload = &frame.payload[..];
        let total = head_len + payload.len();
        let n = if payload.len() > VECTORED_OVER {
            connection.try_write(&[IoSlice::new(&head[..head_len]), IoSlice::new(payload)])?
        } else {
            let mut buffer = self.buffer.borrow_mut();
            buffer.clear();
            buffer.extend_from_slice(&head[..head_len]);
            buffer.extend_from_slice(payload);
            connection.try_write(&[IoSlice::new(&buffer)])?
        };
        self.active();
        if n < total {
            let mut rest = Vec::with_capacity(total - n);
            if n < head_len {
                rest.extend_from_slice(&head[n..head_len]);
                rest.extend_from_slice(payload);
            } else {
                rest.extend_from_slice(&payload[n - head_len..]);
            }
            return Some(Written::Part(rest));
        }
        Some(if connection.try_flush() {
            Written::All
        } else {
            Written::Part(Vec::new())
        })
    }
}

/// This thread's number (from 1), telling threads apart in a
/// [`Control`]'s mark.
fn thread_number() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    thread_local! {
        static NUMBER: u32 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

thread_local! {
    /// The running pumps of this thread, by slot.
    static PUMPS: RefCell<Slots> = RefCell::new(Slots::default());
}

/// Slots of registered pumps, reused once free.
#[derive(Default)]
struct Slots {
    taken: Vec<Option<Rc<Direct>>>,
    free: Vec<u32>,
}

/// A pump's [`Direct`] registered with its thread, for as long as it
/// lives: the socket's [`Control`] says where (thread and slot).
pub(crate) struct Registration<'a> {
    control: &'a Control,
    slot: u32,
    direct: Rc<Direct>,
}

impl<'a> Registration<'a> {
    /// Registers `direct` for the socket of `control` on this thread.
    pub(crate) fn new(control: &'a Control, direct: Rc<Direct>) -> Self {
        let slot = PUMPS.with(|pumps| {
            let mut pumps = pumps.borrow_mut();
            match pumps.free.pop() {
                Some(slot) => {
                    pumps.taken[slot as usize] = Some(direct.clone());
                    slot
                }
                None => {
                    pumps.taken.push(Some(direct.clone()));
                    u32::try_from(pumps.taken.len() - 1).unwrap_or(u32::MAX)
                }
            }
        });
        control
            .home
            .store(mark(thread_number(), slot), Ordering::Release);
        Self {
            control,
            slot,
            direct,
        }
    }

    /// The registered [`Direct`].
    pub(crate) fn direct(&self) -> &Direct {
        &self.direct
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.control.home.store(0, Ordering::Release);
        let slot = self.slot;
        // (At a thread's exit its slots may be gone already.)
        let _ = PUMPS.try_with(|pumps| {
            let mut pumps = pumps.borrow_mut();
            if let Some(taken) = pumps.taken.get_mut(slot as usize) {
                *taken = None;
                pumps.free.push(slot);
            }
        });
    }
}

/// A [`Control`]'s mark of where its pump runs: thread and slot.
fn mark(thread: u32, slot: u32) -> u64 {
    u64::from(thread) << 32 | u64::from(slot)
}

/// The [`Direct`] of the pump of `control`, if it runs on this thread.
pub(crate) fn here(control: &Control) -> Option<Rc<Direct>> {
    let home = control.home.load(Ordering::Acquire);
    if home == 0 || (home >> 32) as u32 != thread_number() {
        return None;
    }
    let slot = (home & u64::from(u32::MAX)) as usize;
    PUMPS.with(|pumps| pumps.borrow().taken.get(slot).cloned().flatten())
}

/// The mark of a socket whose pump is not running.
pub(crate) type Home = AtomicU64;

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// Everything the peer end of `duplex` holds now.
    async fn drain(peer: &mut tokio::io::DuplexStream, n: usize) -> Vec<u8> {
        let mut got = vec![0; n];
        peer.read_exact(&mut got).await.unwrap();
        got
    }

    #[test]
    fn a_direct_write_takes_what_the_connection_takes_and_leaves_the_rest_of_the_frame() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (ours, mut peer) = tokio::io::duplex(100);
            let connection = Rc::new(RefCell::new(ours));
            let direct = Direct::new(false);
            let message = Outgoing::Text("x".repeat(300));
            // No connection, or a writer with work: nothing is written.
            direct.set_idle(true);
            assert!(direct.write(&message).is_none());
            direct.attach(Some(connection.clone()));
            assert!(direct.write(&message).is_none(), "attaching is not idle");
            direct.set_idle(true);
            // 100 bytes of the 304 of the frame go: the rest is left.
            let Some(Written::Part(rest)) = direct.write(&message) else {
                panic!("a partial write");
            };
            let mut frame = drain(&mut peer, 100).await;
            frame.extend_from_slice(&rest);
            let mut expected = vec![0x81, 126, 1, 44];
            expected.extend_from_slice(&[b'x'; 300]);
            assert_eq!(frame, expected);
            // A connection that takes nothing: nothing written.
            let first = Outgoing::Binary(vec![7; 98]);
            assert!(matches!(direct.write(&first), Some(Written::All)));
            assert!(direct.write(&Outgoing::Binary(vec![8])).is_none());
            assert_eq!(drain(&mut peer, 100).await[..2], [0x82, 98]);
            // A close goes through the queue, always.
            assert!(direct
                .write(&Outgoing::Close(1000, String::new()))
                .is_none());
            direct.attach(None);
            assert!(direct.write(&Outgoing::Binary(vec![8])).is_none());
        });
    }

    #[test]
    fn the_client_end_masks_its_direct_writes() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (ours, mut peer) = tokio::io::duplex(1 << 16);
            let direct = Direct::new(true);
            direct.attach(Some(Rc::new(RefCell::new(ours))));
            direct.set_idle(true);
            let message = Outgoing::Text("hello".into());
            assert!(matches!(direct.write(&message), Some(Written::All)));
            let frame = drain(&mut peer, 11).await;
            assert_eq!(frame[..2], [0x81, 0x80 | 5]);
            let key = &frame[2..6];
            let text: Vec<u8> = frame[6..]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4])
                .collect();
            assert_eq!(text, b"hello");
            // The message itself was not masked in place.
            assert!(matches!(&message, Outgoing::Text(t) if t == "hello"));
        });
    }

    #[test]
    fn a_pump_is_found_only_on_its_own_thread_and_only_while_registered() {
        let control = Control::default();
        assert!(here(&control).is_none());
        let registration = Registration::new(&control, Direct::new(false));
        assert!(here(&control).is_some());
        std::thread::scope(|s| {
            s.spawn(|| assert!(here(&control).is_none(), "another thread"));
        });
        drop(registration);
        assert!(here(&control).is_none());
        // Its slot is taken again by the next.
        let again = Registration::new(&control, Direct::new(false));
        assert!(here(&control).is_some());
        drop(again);
    }
}
