//! An isolate's socket table: the Worker's ends of its sockets, by the
//! handle its JavaScript knows them by.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use super::outbox::Outbox;
use super::pump::{channel, reserve, Outgoing, Pump};
use super::{SocketOwner, WebSocketLink, OUTGOING_QUEUE_BYTES};

/// One socket as the isolate holds it.
enum Entry {
    /// A pair whose network end is being handed to a response (within the
    /// turn of event `event`): what the Worker sends waits here.
    Pending {
        event: Option<u64>,
        queue: Vec<Outgoing>,
        bytes: usize,
        /// Accepted with `allowHalfOpen: true` (see [`Sockets::half_open`]).
        half_open: bool,
    },
    /// Joined to its pump.
    Open { tx: Outbox },
}

/// The sockets of one isolate.
#[derive(Default)]
pub(crate) struct Sockets {
    table: RefCell<HashMap<u32, Entry>>,
    next: Cell<u32>,
    /// How many entries are open (kept, not counted, at every turn).
    open: Cell<usize>,
    /// Whether a pending entry may be in the table: when not, the turn's
    /// end has nothing to look for in it (a table of many open sockets is
    /// not gone over after every message).
    maybe_pending: Cell<bool>,
    /// Sockets a subrequest's 101 response carried (a Durable Object's or
    /// another Worker's), by handle, with the event that got them: the
    /// Worker hands each on in its own response, or accepts it.
    forwarded: RefCell<HashMap<u32, (Option<u64>, WebSocketLink)>>,
    /// Whether sends are deferred: queued without waking their pumps,
    /// until [`Sockets::flush`] writes them (see [`Sockets::defer`]).
    deferring: Cell<bool>,
    /// The sockets with deferred sends, in the order of their first.
    deferred: RefCell<Vec<u32>>,
}

/// A text message toward the peer.
pub(crate) fn text(text: String) -> Outgoing {
    Outgoing::Text(text)
}

/// A binary message toward the peer.
pub(crate) fn binary(bytes: Vec<u8>) -> Outgoing {
    Outgoing::Binary(bytes)
}

/// Why a send could not be queued: the peer stopped reading.
fn not_reading(bytes: usize) -> String {
    format!(
        "The WebSocket was closed: its peer is not reading ({bytes} bytes were waiting to be sent, the limit is {OUTGOING_QUEUE_BYTES})"
    )
}

impl Sockets {
    fn next_handle(&self) -> u32 {
        let h = self.next.get().wrapping_add(1);
        self.next.set(h);
        h
    }

    /// A new pair's network end, handed over in the turn of `event`.
    pub(crate) fn pair(&self, event: Option<u64>) -> u32 {
        let h = self.next_handle();
        self.maybe_pending.set(true);
        self.table.borrow_mut().insert(
            h,
            Entry::Pending {
                event,
                queue: Vec::new(),
                bytes: 0,
                half_open: false,
            },
        );
        h
    }

    /// A socket joined at once to a new pump (an outbound socket).
    pub(crate) fn open(&self, owner: Arc<dyn SocketOwner>) -> (u32, Pump) {
        let h = self.next_handle();
        let (tx, pump) = channel(h, owner);
        self.table.borrow_mut().insert(h, Entry::Open { tx });
        self.open.set(self.open.get() + 1);
        (h, pump)
    }

    /// Joins pending socket `h` to a new pump, which gets what waited.
    pub(crate) fn link(&self, h: u32, owner: Arc<dyn SocketOwner>) -> Option<Pump> {
        let mut table = self.table.borrow_mut();
        let Some(Entry::Pending {
            queue,
            bytes,
            half_open,
            ..
        }) = table.remove(&h)
        else {
            return None;
        };
        let (tx, pump) = channel(h, owner);
        tx.control()
            .queued
            .store(bytes, std::sync::atomic::Ordering::Release);
        tx.control()
            .half_open
            .store(half_open, std::sync::atomic::Ordering::Release);
        for message in queue {
            tx.send(message);
        }
        table.insert(h, Entry::Open { tx });
        self.open.set(self.open.get() + 1);
        Some(pump)
    }

    /// Keeps `link`, a subrequest's socket, for event `event`: its handle.
    pub(crate) fn forward(&self, event: Option<u64>, link: WebSocketLink) -> u32 {
        let h = self.next_handle();
        self.forwarded.borrow_mut().insert(h, (event, link));
        h
    }

    /// The subrequest's socket kept under `h`, taken.
    pub(crate) fn take_forwarded(&self, h: u32) -> Option<WebSocketLink> {
        self.forwarded.borrow_mut().remove(&h).map(|(_, link)| link)
    }

    /// Whether socket `h` is open.
    pub(crate) fn is_open(&self, h: u32) -> bool {
        matches!(self.table.borrow().get(&h), Some(Entry::Open { tx }) if !tx.is_closed())
    }

    /// Queues `message` toward socket `h`'s peer: `None` when queued (or
    /// the socket is gone, whose close event is on its way), else why the
    /// socket was closed instead.
    pub(crate) fn send(&self, h: u32, message: Outgoing) -> Option<String> {
        let mut table = self.table.borrow_mut();
        let size = message.size();
        match table.get_mut(&h) {
            Some(Entry::Pending { queue, bytes, .. }) => {
                if *bytes + size > OUTGOING_QUEUE_BYTES {
                    let reason = not_reading(*bytes + size);
                    table.remove(&h);
                    return Some(reason);
                }
                *bytes += size;
                queue.push(message);
                None
            }
            Some(Entry::Open { tx }) => {
                let control = tx.control();
                if !reserve(&control.queued, size, OUTGOING_QUEUE_BYTES) {
                    let waiting = control.queued.load(std::sync::atomic::Ordering::Acquire);
                    control.abort.notify_one();
                    table.remove(&h);
                    self.open.set(self.open.get() - 1);
                    return Some(not_reading(waiting + size));
                }
                if !self.deferring.get() {
                    tx.send(message);
                } else if tx.defer(message) {
                    let mut deferred = self.deferred.borrow_mut();
                    if deferred.last() != Some(&h) {
                        deferred.push(h);
                    }
                }
                None
            }
            None => None,
        }
    }

    /// Defers sends until [`Sockets::flush`]: a batch of socket turns
    /// queues what its turns send and writes it all at its end, straight
    /// to the connections whose pumps run on this thread (no wake-up of
    /// the pumps; see `super::direct`). The writes of a batch then leave
    /// together, as the pumps' writes did when the batch woke them.
    pub(crate) fn defer(&self) {
        self.deferring.set(true);
    }

    /// Ends [`Sockets::defer`]: writes what was deferred (or wakes the
    /// pumps for what their connections did not take).
    pub(crate) fn flush(&self) {
        self.deferring.set(false);
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        if deferred.is_empty() {
            return;
        }
        let table = self.table.borrow();
        for h in &deferred {
            if let Some(Entry::Open { tx }) = table.get(h) {
                tx.flush();
            }
        }
        drop(table);
        // The list's allocation is kept for the next batch.
        let mut kept = deferred;
        kept.clear();
        *self.deferred.borrow_mut() = kept;
    }

    /// Closes socket `h` with `code` and `reason` (its close event comes
    /// once the peer answered, or the wait for it is over).
    pub(crate) fn close(&self, h: u32, code: u16, reason: String) {
        let mut table = self.table.borrow_mut();
        match table.get_mut(&h) {
            Some(Entry::Pending { queue, .. }) => queue.push(Outgoing::Close(code, reason)),
            Some(Entry::Open { tx }) => {
                tx.send(Outgoing::Close(code, reason));
                tx.control().closing.notify_one();
            }
            None => {}
        }
    }

    /// Socket `h` was accepted with `allowHalfOpen: true`: a close from
    /// the peer is not answered (its pump waits, the entry stays) until the
    /// Worker closes it too.
    pub(crate) fn half_open(&self, h: u32) {
        match self.table.borrow_mut().get_mut(&h) {
            Some(Entry::Pending { half_open, .. }) => *half_open = true,
            Some(Entry::Open { tx }) => tx
                .control()
                .half_open
                .store(true, std::sync::atomic::Ordering::Release),
            None => {}
        }
    }

    /// Socket `h`'s close event was delivered: it is forgotten, unless it
    /// is half-open and its pump still waits for the Worker's close.
    pub(crate) fn closed(&self, h: u32) {
        let mut table = self.table.borrow_mut();
        let waits = matches!(table.get(&h), Some(Entry::Open { tx })
            if tx.control().half_open.load(std::sync::atomic::Ordering::Acquire)
                && !tx.is_closed());
        if waits {
            return;
        }
        if let Some(Entry::Open { .. }) = table.remove(&h) {
            self.open.set(self.open.get() - 1);
        }
    }

    /// How many sockets are open.
    pub(crate) fn open_count(&self) -> usize {
        self.open.get()
    }

    /// Forgets sockets whose network end is gone without a close event
    /// (their response was never sent to a client: an embedder or a
    /// service binding's caller dropped it); how many are left open.
    pub(crate) fn prune(&self) -> usize {
        let mut table = self.table.borrow_mut();
        table.retain(|_, e| !matches!(e, Entry::Open { tx } if tx.is_closed()));
        let open = table
            .values()
            .filter(|e| matches!(e, Entry::Open { .. }))
            .count();
        self.open.set(open);
        open
    }

    /// Closes every socket with `code` and `reason` (the isolate is going
    /// away) and forgets them.
    pub(crate) fn close_all(&self, code: u16, reason: &str) -> usize {
        let mut table = self.table.borrow_mut();
        let mut closed = 0;
        for (_, entry) in table.drain() {
            if let Entry::Open { tx } = entry {
                tx.send(Outgoing::Close(code, reason.to_owned()));
                tx.control().closing.notify_one();
                closed += 1;
            }
        }
        self.open.set(0);
        closed
    }

    /// Forgets pending sockets whose event is over (their response never
    /// took them), and subrequests' sockets nobody took (their other end
    /// gets a close, 1006).
    pub(crate) fn forget_pending(&self, live: impl Fn(u64) -> bool) {
        if self.maybe_pending.get() {
            let mut table = self.table.borrow_mut();
            table.retain(|_, e| match e {
                Entry::Pending { event, .. } => event.is_some_and(&live),
                Entry::Open { .. } => true,
            });
            let left = table.values().any(|e| matches!(e, Entry::Pending { .. }));
            self.maybe_pending.set(left);
        }
        let mut forwarded = self.forwarded.borrow_mut();
        if !forwarded.is_empty() {
            forwarded.retain(|_, (event, _)| event.is_some_and(&live));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::websocket::Incoming;

    /// An owner nobody holds: deliveries go nowhere.
    struct Nobody;

    impl SocketOwner for Nobody {
        fn deliver(
            &self,
            _socket: u32,
            _event: Incoming,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
            Box::pin(async { false })
        }
    }

    #[test]
    fn the_queue_toward_a_peer_is_bounded_and_open_sockets_are_counted() {
        let sockets = Sockets::default();
        let h = sockets.pair(Some(1));
        assert_eq!(sockets.send(h, text("before".into())), None);
        assert_eq!(sockets.open_count(), 0);
        let pump = sockets.link(h, Arc::new(Nobody)).expect("a pending socket");
        assert_eq!(sockets.open_count(), 1);
        // What waited went to the pump first, counted in its queue.
        assert_eq!(
            pump.inbox
                .control()
                .queued
                .load(std::sync::atomic::Ordering::Acquire),
            6
        );
        let chunk = vec![0u8; 1 << 20];
        let mut sent = 0;
        let refused = loop {
            match sockets.send(h, binary(chunk.clone())) {
                None => sent += 1,
                Some(reason) => break reason,
            }
            assert!(sent <= 8, "the queue grew past its bound");
        };
        // Nothing drains it here: 8 MiB minus what waited fit, no more.
        assert_eq!(sent, 7);
        assert!(refused.contains("not reading"), "{refused}");
        assert_eq!(sockets.open_count(), 0);
        // The socket is gone; a later send is a no-op for its close event.
        assert_eq!(sockets.send(h, text("late".into())), None);
    }

    #[test]
    fn pending_sockets_of_ended_events_and_dropped_pumps_are_forgotten() {
        let sockets = Sockets::default();
        sockets.pair(Some(1));
        sockets.forget_pending(|_| false);
        assert!(sockets.table.borrow().is_empty());
        // A pending socket made after a look that found none is still
        // forgotten once its event is over, and kept while it lives.
        let h = sockets.pair(Some(2));
        sockets.forget_pending(|id| id == 2);
        assert!(sockets.table.borrow().contains_key(&h));
        sockets.forget_pending(|_| false);
        assert!(sockets.table.borrow().is_empty());
        let (_, pump) = sockets.open(Arc::new(Nobody));
        assert_eq!(sockets.open_count(), 1);
        drop(pump);
        assert_eq!(sockets.prune(), 0);
        assert_eq!(sockets.open_count(), 0);
    }

    #[test]
    fn a_served_sockets_task_stays_small() {
        // Every socket the gateway serves is one task whose future is
        // `WebSocketLink::serve`'s, hibernated sockets included: what any of
        // its branches keeps inline, each socket pays for (a proxy's join
        // kept inline once made it ~5 KiB more per socket).
        let sockets = Sockets::default();
        let (_, pump) = sockets.open(Arc::new(Nobody));
        let link = crate::websocket::WebSocketLink::new(pump);
        let (io, _peer) = tokio::io::duplex(64);
        let served = link.serve(std::future::ready(Ok::<_, std::io::Error>(io)), None);
        let size = std::mem::size_of_val(&served);
        assert!(size < 2048, "a served socket's future is {size} bytes");
    }
}
