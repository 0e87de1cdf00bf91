//! Socket events in batches: what arrives on an isolate's WebSockets waits
//! in the isolate's [`SocketInbox`], and one visit of the actor delivers
//! everything that waits there.
//!
//! # Concepts
//!
//! - **One wake-up for many messages.** A socket's pump hands each message
//!   to its isolate's inbox and waits until the isolate took it (so a client
//!   sending faster than the Worker handles is still held back by TCP). The
//!   first message into an empty inbox sends the actor one mailbox message
//!   ([`DrainSockets`]); the messages that arrive on other sockets before
//!   the actor runs join it there, and the actor delivers them all in one
//!   visit, in the order they arrived (a socket has at most one message in
//!   the inbox, so its messages keep their order).
//! - **Each message is still an event.** Every message of a batch gets its
//!   own event id, CPU account and span, and its own turn of JavaScript
//!   under the watchdog (its dispatch and the microtasks that follow): a
//!   batch never pools its messages' budgets, and a handler that loops is
//!   stopped after its own message's budget, like any other turn. What is
//!   shared is the actor's work between turns (ending events, sweeping
//!   streams, reading the heap, looking for a hang), done once per batch.
//! - **A batch's sends leave at its end.** What the batch's turns send is
//!   queued without waking the sockets' pumps, and written at the end of
//!   the batch straight to the connections whose pumps run on this thread
//!   (`crate::websocket` direct writes); the rest wakes their pumps.
//! - **A socket's first event goes through the mailbox.** An outbound
//!   socket becomes known to JavaScript when the op that opened it settles
//!   (a mailbox message of its own); its first event is sent to the actor
//!   through the mailbox too ([`SocketEvent`]), so that it comes after that
//!   settlement, never with a batch scheduled before it. Its later events
//!   use the inbox.
//! - **A batch stops where the isolate does.** When a turn of the batch
//!   evicts the isolate (a CPU or memory limit), the messages after it are
//!   not delivered: their pumps learn that the isolate is gone, and the
//!   sockets close with 1011 as for any eviction. An evicted or stopped
//!   isolate's inbox is closed: what waits there, or arrives later, is
//!   answered at once that the isolate is gone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix::prelude::*;
use actix::WeakAddr;
use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::IsolateActor;
use crate::websocket::Incoming;
use motu_engine::HostValue;

/// One message (or close) waiting for the isolate.
struct Waiting {
    socket: u32,
    event: Incoming,
    /// Told once the isolate took it: `true`, or `false` when the isolate
    /// went away first.
    taken: oneshot::Sender<bool>,
}

/// What arrived on an isolate's sockets and waits for its next visit,
/// shared by the socket pumps (through [`IsolateOwner`]) and the actor.
#[derive(Default)]
pub(crate) struct SocketInbox {
    waiting: Mutex<Waiters>,
    /// A [`DrainSockets`] is on its way to the actor.
    scheduled: AtomicBool,
}

/// The events waiting, and whether the isolate is gone (it takes none).
#[derive(Default)]
struct Waiters {
    events: Vec<Waiting>,
    closed: bool,
}

impl SocketInbox {
    /// Queues `event` of `socket`: `Some(true)` when the actor must be
    /// told (no visit was scheduled yet), `None` when the isolate is gone.
    fn push(&self, socket: u32, event: Incoming, taken: oneshot::Sender<bool>) -> Option<bool> {
        let mut waiting = self.waiting.lock();
        if waiting.closed {
            return None;
        }
        waiting.events.push(Waiting {
            socket,
            event,
            taken,
        });
        Some(!self.scheduled.swap(true, Ordering::AcqRel))
    }

    /// The isolate is gone: what waits is dropped (its pumps learn it) and
    /// nothing more is taken.
    pub(crate) fn close(&self) {
        let dropped = {
            let mut waiting = self.waiting.lock();
            waiting.closed = true;
            std::mem::take(&mut waiting.events)
        };
        drop(dropped);
    }

    /// Everything waiting, oldest first; later arrivals schedule a new
    /// visit.
    fn take(&self) -> Vec<Waiting> {
        self.scheduled.store(false, Ordering::Release);
        std::mem::take(&mut self.waiting.lock().events)
    }
}

/// The isolate as the holder of one of its WebSockets' Worker ends.
pub(crate) struct IsolateOwner {
    actor: WeakAddr<IsolateActor>,
    inbox: Arc<SocketInbox>,
    /// Whether the socket's first event is still to come (it goes through
    /// the mailbox).
    first: AtomicBool,
}

impl IsolateOwner {
    /// The owner of a new socket of the isolate `actor`, whose events
    /// wait in `inbox`.
    pub(crate) fn new(actor: WeakAddr<IsolateActor>, inbox: Arc<SocketInbox>) -> Self {
        Self {
            actor,
            inbox,
            first: AtomicBool::new(true),
        }
    }
}

impl crate::websocket::SocketOwner for IsolateOwner {
    fn deliver(
        &self,
        socket: u32,
        event: Incoming,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
        if self.first.swap(false, Ordering::AcqRel) {
            let Some(addr) = self.actor.upgrade() else {
                return Box::pin(std::future::ready(false));
            };
            return Box::pin(async move { addr.send(SocketEvent { socket, event }).await.is_ok() });
        }
        let (tx, rx) = oneshot::channel();
        // The actor is reached only when a visit must be scheduled: the
        // inbox of an actor that is gone is closed (it closes it as it
        // stops, or as it is dropped), and a visit already scheduled takes
        // this event too.
        match self.inbox.push(socket, event, tx) {
            None => return Box::pin(std::future::ready(false)),
            Some(true) => match self.actor.upgrade() {
                Some(addr) => addr.do_send(DrainSockets),
                None => {
                    self.inbox.close();
                    return Box::pin(std::future::ready(false));
                }
            },
            Some(false) => {}
        }
        Box::pin(async move { rx.await.unwrap_or(false) })
    }
}

/// The first event of one of the isolate's sockets (see the module's
/// docs); later ones wait in its [`SocketInbox`].
#[derive(Debug)]
pub(crate) struct SocketEvent {
    socket: u32,
    event: Incoming,
}

impl Message for SocketEvent {
    type Result = ();
}

impl Handler<SocketEvent> for IsolateActor {
    type Result = ();

    fn handle(&mut self, msg: SocketEvent, ctx: &mut Self::Context) {
        if self.evicted {
            return;
        }
        let clean = self.socket_turn(msg.socket, msg.event, ctx);
        if clean && !self.evicted {
            self.check_for_hang(ctx);
        }
        self.after_turns(ctx);
    }
}

/// Closes the inbox of an isolate whose actor is dropped without having
/// stopped (its thread's runtime went away): its pumps are not left waiting.
impl Drop for IsolateActor {
    fn drop(&mut self) {
        self.host.socket_inbox().close();
    }
}

/// Socket events wait in the isolate's [`SocketInbox`]: the actor delivers
/// them all.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct DrainSockets;

impl Handler<DrainSockets> for IsolateActor {
    type Result = ();

    fn handle(&mut self, _msg: DrainSockets, ctx: &mut Self::Context) {
        let batch = self.host.socket_inbox().take();
        if batch.is_empty() {
            return;
        }
        let mut clean = true;
        // What the batch's turns send is written at its end, together.
        self.host.defer_socket_sends();
        for Waiting {
            socket,
            event,
            taken,
        } in batch
        {
            // Dropped unanswered once the isolate is gone: the pump learns
            // it (`false`), and its socket is closed by the eviction.
            if self.evicted {
                break;
            }
            clean &= self.socket_turn(socket, event, ctx);
            let _ = taken.send(true);
        }
        self.host.flush_socket_sends();
        if clean && !self.evicted {
            self.check_for_hang(ctx);
        }
        self.after_turns(ctx);
    }
}

impl IsolateActor {
    /// Delivers `event` of `socket` as a new event, in a turn of its own;
    /// whether the turn ended without breaking a limit. The work between
    /// turns is left to the caller ([`IsolateActor::after_turns`]).
    fn socket_turn(&mut self, socket: u32, event: Incoming, ctx: &mut Context<Self>) -> bool {
        let id = self.next_event;
        self.next_event += 1;
        let span = tracing::info_span!("websocket", worker = self.spec.name.as_str());
        self.begin_event(id, span);
        let now = self.host.perf_now();
        // A message goes to the engine as its three values (an engine may
        // spare the list); a close as the event object.
        let (data, size) = match event {
            Incoming::Text(text) => (HostValue::String(text), 0),
            Incoming::Binary(bytes) => {
                let size = bytes.len();
                (HostValue::Bytes(bytes), size)
            }
            close @ Incoming::Close { .. } => {
                self.host.socket_closed(socket);
                let (event, size) = crate::websocket::host_event(socket, close, now);
                return self.run_turn(Some(id), size, ctx, |isolate| {
                    isolate.dispatch_turn(id, event)
                });
            }
        };
        self.run_turn(Some(id), size, ctx, |isolate| {
            isolate.dispatch_message_turn(id, socket, data, now)
        })
    }
}
