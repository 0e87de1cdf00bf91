//! The direct way to a live Durable Object: a stub's events go straight
//! from the calling isolate to the isolate that hosts the object, without
//! a round trip through the registry actor for every event.
//!
//! The registry's directory (`directory.rs`) stays the one that decides
//! where an object lives. Once it has sent an object an event and the
//! hosting isolate has started, it publishes the object's home here: the
//! isolate's address and its count of events in flight. A stub's next
//! event ([`call`], [`fetch`]) looks the object up and, when the isolate
//! is still connected, sends the event to it directly — the same isolate
//! the directory would choose, since the directory moves an object only
//! once its isolate is gone. The event goes through that isolate actor's
//! mailbox as one from the directory does, so the prelude's mailbox of the
//! object (one event at a time, `blockConcurrencyWhile`, `ctx.abort`) sees
//! no difference.
//!
//! When the isolate refuses the event (it takes no new events: it is
//! condemned, draining or reloading) or is gone, the event takes the
//! directory's way, which waits until the isolate is gone before the
//! object is made again elsewhere: never two live instances at once.
//! Events that were not published (the object's first, alarms, wake-ups
//! of hibernated WebSockets) take the directory's way as before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix::{Addr, Recipient};
use parking_lot::RwLock;

use super::ObjectTarget;
use crate::isolate_actor::IsolateActor;
use crate::registry::{retryable, InFlight};
use crate::rpc::{Answer, CallEvent, Receiver, RpcCall};
use crate::{Dispatch, Fetch, FetchRequest, FetchResponse, RuntimeError};

/// Where a live object is: its isolate, and that isolate's events in
/// flight (counted as the directory counts them).
#[derive(Clone)]
struct Home {
    namespace: Arc<str>,
    addr: Addr<IsolateActor>,
    in_flight: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Inner {
    /// By object id (ids of different namespaces differ; the namespace is
    /// checked too).
    homes: HashMap<String, Home>,
    /// The count at the last sweep of homes whose isolate is gone.
    swept_at: usize,
}

/// The published homes of live objects; cheap to clone and usable from any
/// thread.
#[derive(Clone, Default)]
pub(crate) struct Homes(Arc<RwLock<Inner>>);

impl std::fmt::Debug for Homes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Homes").finish_non_exhaustive()
    }
}

impl Homes {
    /// Publishes that `target` lives in the isolate `addr` (by the
    /// directory, once the isolate has started).
    pub(crate) fn publish(
        &self,
        target: &ObjectTarget,
        addr: &Addr<IsolateActor>,
        in_flight: &Arc<AtomicUsize>,
    ) {
        let known = self
            .0
            .read()
            .homes
            .get(&target.id)
            .is_some_and(|h| h.addr == *addr && *h.namespace == *target.namespace);
        if known || !addr.connected() {
            return;
        }
        let mut inner = self.0.write();
        if inner.homes.len() >= 2 * inner.swept_at.max(64) {
            inner.homes.retain(|_, h| h.addr.connected());
            inner.swept_at = inner.homes.len();
        }
        inner.homes.insert(
            target.id.clone(),
            Home {
                namespace: Arc::from(target.namespace.as_str()),
                addr: addr.clone(),
                in_flight: in_flight.clone(),
            },
        );
    }

    /// The home of `target` if it is published and its isolate is still
    /// there.
    fn live(&self, target: &ObjectTarget) -> Option<Home> {
        self.0
            .read()
            .homes
            .get(&target.id)
            .filter(|h| *h.namespace == *target.namespace && h.addr.connected())
            .cloned()
    }

    /// How many homes are published (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.read().homes.len()
    }
}

/// Whether an isolate's answer means it did not take the event: it takes
/// no new events, or it is gone.
fn refused<T>(sent: &Result<Result<T, RuntimeError>, actix::MailboxError>) -> bool {
    matches!(sent, Ok(Err(RuntimeError::Unavailable(_))) | Err(_))
}

/// Delivers the RPC call `event` to the object `target`: straight to its
/// isolate when its home is published there, else (or when that isolate
/// refuses it) through the registry's directory (`registry`).
pub(crate) async fn call(
    homes: Option<&Homes>,
    registry: &Recipient<RpcCall>,
    target: ObjectTarget,
    mut event: CallEvent,
) -> Result<Answer, RuntimeError> {
    event.receiver = Receiver::Object(target.clone());
    if let Some(home) = homes.and_then(|h| h.live(&target)) {
        home.in_flight.fetch_add(1, Ordering::Relaxed);
        let done = InFlight(home.in_flight.clone());
        // A refused call has not started: its streams are still there to
        // take on the directory's way.
        let sent = home.addr.send(event.clone()).await;
        drop(done);
        if !refused(&sent) {
            super::metrics::routed(&target.worker, "direct");
            return sent.unwrap_or_else(|_| Err(RuntimeError::Lost(target.worker)));
        }
    }
    let worker = target.worker;
    registry
        .send(RpcCall {
            worker: worker.clone(),
            event,
            retried: false,
        })
        .await
        .unwrap_or_else(|_| Err(RuntimeError::Lost(worker)))
}

/// Delivers `request` (which carries its [`ObjectTarget`]) to the object
/// `target`, as [`call`] delivers a call: directly when its home is
/// published, else (or when refused, with the body reclaimed) through the
/// registry's directory (`registry`).
pub(crate) async fn fetch(
    homes: Option<&Homes>,
    registry: &Recipient<Dispatch>,
    target: &ObjectTarget,
    request: FetchRequest,
) -> Result<FetchResponse, RuntimeError> {
    let request = match homes.and_then(|h| h.live(target)) {
        Some(home) => {
            home.in_flight.fetch_add(1, Ordering::Relaxed);
            let done = InFlight(home.in_flight.clone());
            let (request, head, reclaim) = retryable(request);
            let sent = home.addr.send(Fetch(request)).await;
            drop(done);
            if !refused(&sent) {
                super::metrics::routed(&target.worker, "direct");
                return sent.unwrap_or_else(|_| Err(RuntimeError::Lost(target.worker.clone())));
            }
            // Refused before it read the body: sent again the directory's
            // way.
            let lost = || RuntimeError::Lost(target.worker.clone());
            let body = reclaim.reclaim().ok_or_else(lost)?;
            head.body(body).map_err(|_| lost())?
        }
        None => request,
    };
    registry
        .send(Dispatch::new(target.worker.clone(), request))
        .await
        .unwrap_or_else(|_| Err(RuntimeError::Lost(target.worker.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unpublished_object_has_no_home() {
        let homes = Homes::default();
        let target = ObjectTarget {
            worker: "w".into(),
            class: "C".into(),
            namespace: "ns".into(),
            id: "00".repeat(32),
            name: None,
            attempt: 0,
        };
        assert!(homes.live(&target).is_none());
        assert_eq!(homes.len(), 0);
    }
}
