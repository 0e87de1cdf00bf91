//! One socket's queue toward its peer, shared by the Worker's end (the
//! sender, [`Outbox`]) and the pump (the receiver, [`Inbox`]).
//!
//! A plain deque behind a lock rather than a channel: an idle socket's
//! queue is empty and then holds no allocation at all (a tokio channel
//! keeps a block of 32 slots, about 1 KiB, for as long as it lives), which
//! matters for the many idle sockets a server holds open.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::direct::{self, Home, Written};
use super::pump::Outgoing;

/// What the Worker's side (the isolate's socket table, or a Durable
/// Object's room) and the pump share of one socket.
#[derive(Debug, Default)]
pub(crate) struct Control {
    /// Bytes queued toward the peer and not yet written.
    pub(crate) queued: AtomicUsize,
    /// Drops the connection at once (the peer stopped reading).
    pub(crate) abort: Notify,
    /// The Worker's side closed: the socket has
    /// [`CLOSE_WAIT`](super::CLOSE_WAIT) to finish.
    pub(crate) closing: Notify,
    /// What waits to be written, oldest first.
    queue: Mutex<VecDeque<Outgoing>>,
    /// Wakes the pump: something was queued, or the sender is gone.
    ready: Notify,
    /// The Worker's side dropped its [`Outbox`].
    detached: AtomicBool,
    /// The pump ended (or was dropped before it ran).
    ended: AtomicBool,
    /// The socket is parked (no codec).
    pub(crate) parked: AtomicBool,
    /// The Worker accepted it with `allowHalfOpen: true`: a close from the
    /// peer is not answered until the Worker's own `close()`.
    pub(crate) half_open: AtomicBool,
    /// Where the running pump takes direct writes (0: nowhere; see
    /// [`super::direct`]).
    pub(crate) home: Home,
}

#[cfg(test)]
impl Control {
    /// Whether the socket is parked: idle, its codec dropped.
    pub(crate) fn is_parked(&self) -> bool {
        self.parked.load(Ordering::Acquire)
    }
}

/// The Worker's side of the queue. Dropping it tells the pump that the
/// Worker's end is gone (the socket then closes with 1011).
#[derive(Debug)]
pub(crate) struct Outbox(Arc<Control>);

/// The pump's side of the queue. Dropping it marks the socket as ended for
/// the Worker's side ([`Outbox::is_closed`]).
#[derive(Debug)]
pub(crate) struct Inbox(Arc<Control>);

/// A new queue: both its ends, sharing `control`.
pub(crate) fn queue() -> (Outbox, Inbox) {
    let control = Arc::new(Control::default());
    (Outbox(control.clone()), Inbox(control))
}

impl Outbox {
    /// Queues `message` (dropped when the pump is gone: its close event is
    /// on its way).
    pub(crate) fn send(&self, message: Outgoing) {
        if self.0.ended.load(Ordering::Acquire) {
            return;
        }
        self.0.queue.lock().push_back(message);
        self.0.ready.notify_one();
    }

    /// Queues `message` without waking the pump, when the pump runs on
    /// this thread: `true` when so (the caller then [flushes](Outbox::flush)
    /// the queue before its thread moves on), `false` when it was queued
    /// as [`Outbox::send`] queues.
    pub(crate) fn defer(&self, message: Outgoing) -> bool {
        if direct::here(&self.0).is_none() {
            self.send(message);
            return false;
        }
        if !self.0.ended.load(Ordering::Acquire) {
            self.0.queue.lock().push_back(message);
        }
        true
    }

    /// Writes what waits in the queue straight to the connection when
    /// the pump runs on this thread and its writer is idle
    /// ([`super::direct`]), as far as the connection takes it; wakes the
    /// pump for whatever is left.
    pub(crate) fn flush(&self) {
        let mut queue = self.0.queue.lock();
        if let Some(direct) = direct::here(&self.0) {
            while let Some(message) = queue.front() {
                let size = message.size();
                match direct.write(message) {
                    Some(Written::All) => {
                        queue.pop_front();
                        self.0.queued.fetch_sub(size, Ordering::AcqRel);
                    }
                    Some(Written::Part(rest)) => {
                        queue.pop_front();
                        queue.push_front(Outgoing::Rest(rest, size));
                        break;
                    }
                    None => break,
                }
            }
        }
        if !queue.is_empty() {
            drop(queue);
            self.0.ready.notify_one();
        }
    }

    /// Whether the pump is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.0.ended.load(Ordering::Acquire)
    }

    /// What the two sides share.
    pub(crate) fn control(&self) -> &Control {
        &self.0
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.0.detached.store(true, Ordering::Release);
        self.0.ready.notify_one();
    }
}

impl Inbox {
    /// What the two sides share.
    pub(crate) fn control(&self) -> &Control {
        &self.0
    }

    /// Whether something waits to be written.
    pub(crate) fn has_queued(&self) -> bool {
        !self.0.queue.lock().is_empty()
    }

    /// The next message to write without waiting: `Some(None)` once the
    /// Worker's side is gone and nothing is left.
    pub(crate) fn try_next(&self) -> Option<Option<Outgoing>> {
        if let Some(message) = self.0.queue.lock().pop_front() {
            return Some(Some(message));
        }
        self.0.detached.load(Ordering::Acquire).then_some(None)
    }

    /// The next message to write, or `None` once the Worker's side is gone
    /// and nothing is left. Cancel-safe.
    pub(crate) async fn next(&self) -> Option<Outgoing> {
        loop {
            if let Some(next) = self.try_next() {
                return next;
            }
            // `notify_one` keeps a permit when nobody waits, so a message
            // queued between the check and this wait is not missed.
            self.0.ready.notified().await;
        }
    }

    /// Resolves once something is queued or the Worker's side is gone
    /// (without taking it). Cancel-safe.
    pub(crate) async fn wait(&self) {
        loop {
            if self.has_queued() || self.0.detached.load(Ordering::Acquire) {
                return;
            }
            self.0.ready.notified().await;
        }
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.0.ended.store(true, Ordering::Release);
        // What waited is never sent: its bytes are no longer queued.
        self.0.queue.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_out_in_order_and_the_ends_see_each_other_go() {
        let (outbox, inbox) = queue();
        outbox.send(Outgoing::Text("a".into()));
        outbox.send(Outgoing::Text("b".into()));
        assert!(inbox.has_queued());
        assert!(matches!(inbox.try_next(), Some(Some(Outgoing::Text(t))) if t == "a"));
        assert!(matches!(inbox.try_next(), Some(Some(Outgoing::Text(t))) if t == "b"));
        assert!(inbox.try_next().is_none());
        assert!(!outbox.is_closed());
        drop(outbox);
        assert!(matches!(inbox.try_next(), Some(None)));
        let (outbox, inbox) = queue();
        drop(inbox);
        assert!(outbox.is_closed());
        outbox.send(Outgoing::Text("late".into()));
        assert!(outbox.control().queue.lock().is_empty());
    }

    #[test]
    fn a_flush_writes_what_the_connection_takes_and_leaves_the_rest_of_a_frame_first() {
        use super::super::direct::{Direct, Registration};
        use std::cell::RefCell;
        use std::rc::Rc;
        use tokio::io::AsyncReadExt;

        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            // No pump on this thread: deferring is queueing.
            let (outbox, inbox) = queue();
            assert!(!outbox.defer(Outgoing::Text("queued".into())));
            assert!(inbox.has_queued());
            // A pump here, over a connection that takes 100 bytes.
            let (outbox, inbox) = queue();
            let direct = Direct::new(false);
            let _registration = Registration::new(outbox.control(), direct.clone());
            let (ours, mut peer) = tokio::io::duplex(100);
            direct.attach(Some(Rc::new(RefCell::new(ours))));
            direct.set_idle(true);
            for message in [
                Outgoing::Binary(vec![1; 50]),
                Outgoing::Binary(vec![2; 80]),
                Outgoing::Text("three".into()),
            ] {
                outbox
                    .control()
                    .queued
                    .fetch_add(message.size(), Ordering::AcqRel);
                assert!(outbox.defer(message));
            }
            outbox.flush();
            // The first frame (52 bytes) went whole, 48 bytes of the
            // second: the rest of its 82 leads the queue, still counted.
            let mut written = vec![0; 100];
            peer.read_exact(&mut written).await.unwrap();
            assert_eq!(written[..2], [0x82, 50]);
            assert_eq!(written[52..54], [0x82, 80]);
            assert!(matches!(
                inbox.try_next(),
                Some(Some(Outgoing::Rest(rest, 80))) if rest == [2; 34]
            ));
            assert!(matches!(inbox.try_next(), Some(Some(Outgoing::Text(t))) if t == "three"));
            assert_eq!(outbox.control().queued.load(Ordering::Acquire), 85);
        });
    }
}
