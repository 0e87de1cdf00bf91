//! Delivering a fetch event to the isolate chosen for it, and moving it
//! elsewhere when that isolate cannot take it.
//!
//! An event sent to an isolate waits in the isolate actor's mailbox until
//! the actor's executor thread gets to it. Two things can keep it from
//! being started there:
//!
//! - The isolate is going away (condemned or evicted) and refuses it: the
//!   event is dispatched again through the registry, which starts a fresh
//!   isolate if need be.
//! - Another turn on the same executor runs past the busy threshold (the
//!   executor *stalls*, see [`Executors`]): without help the event would
//!   wait for that turn to end, which a neighbour with a generous CPU limit
//!   may make seconds. So whoever waits for the event's answer on another
//!   thread also watches the executor; once it stalls, it asks the registry
//!   for an isolate of the Worker on an executor that is not stalled
//!   ([`Relocate`]: one that is live, or a new one if the Worker may have
//!   another), and if there is one, takes the event back and sends it
//!   there.
//!
//! Taking back races with the isolate starting the event (its executor may
//! get to it at any moment): a [`Claim`] travelling with the event decides,
//! the first of the two wins. An event the isolate has started is never
//! taken back, and one taken back is dropped unread by the isolate. Its body
//! is reclaimed as for a retry (see [`retryable`]). An event goes elsewhere
//! at most once, whichever the reason.
//!
//! The waiter on the stalled executor's own thread cannot run until the
//! stall is over, so events sent from there are not watched. Durable
//! Objects' events never come this way: an object lives in one isolate, and
//! its events go to that isolate whatever its executor does.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use actix::Addr;

use crate::metrics::Queued;
use crate::registry::{retryable, Chosen, InFlight};
use crate::{
    Dispatch, Executors, Fetch, FetchRequest, FetchResponse, IsolateActor, Registry, RuntimeError,
};

/// Who wins an event waiting in an isolate's mailbox: the isolate starting
/// it, or its sender taking it back. Travels as a request extension.
#[derive(Clone)]
pub(crate) struct Claim(Arc<ClaimState>);

struct ClaimState {
    state: AtomicU8,
    /// The event's queue-depth count, ended when it is taken back (the
    /// event itself stays in the mailbox until the isolate drops it).
    queued: Option<Queued>,
}

const WAITING: u8 = 0;
const STARTED: u8 = 1;
const TAKEN_BACK: u8 = 2;

impl Claim {
    fn new(queued: Option<Queued>) -> Self {
        Self(Arc::new(ClaimState {
            state: AtomicU8::new(WAITING),
            queued,
        }))
    }

    /// The isolate starts the event: false if its sender took it back
    /// first (the isolate then drops it).
    pub(crate) fn start(&self) -> bool {
        self.0
            .state
            .compare_exchange(WAITING, STARTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Whether neither the isolate started the event nor its sender took
    /// it back yet.
    fn is_waiting(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == WAITING
    }

    /// The sender takes the event back: false if the isolate started it
    /// first.
    fn take_back(&self) -> bool {
        let taken = self
            .0
            .state
            .compare_exchange(WAITING, TAKEN_BACK, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if taken {
            if let Some(queued) = &self.0.queued {
                queued.leave();
            }
        }
        taken
    }
}

/// A started isolate an event goes to, the executor it runs on, and the
/// event's count in that isolate's events in flight (held until answered).
pub(crate) struct Target {
    pub(crate) addr: Addr<IsolateActor>,
    pub(crate) executor: usize,
    /// Held for its drop, which ends the count.
    #[allow(dead_code)]
    pub(crate) done: InFlight,
}

/// What a delivery needs to send an event elsewhere.
pub(crate) struct Way<'a> {
    pub(crate) worker: &'a str,
    /// `None` once the registry is gone (the event can go nowhere else).
    pub(crate) registry: Option<&'a Addr<Registry>>,
    pub(crate) executors: &'a Executors,
    /// The executor the sender runs on, if it runs on one.
    pub(crate) here: Option<usize>,
}

/// Asks the registry for an isolate of `worker` on an executor that is not
/// stalled, for an event taken back from one that is: the isolate
/// [`Registry::instance`] would choose (it may start one), unless that is on
/// a stalled executor too. A chosen isolate that is still starting is fine.
pub(crate) struct Relocate {
    pub(crate) worker: String,
}

impl actix::Message for Relocate {
    type Result = Option<Chosen>;
}

impl actix::Handler<Relocate> for Registry {
    type Result = actix::MessageResult<Relocate>;

    fn handle(&mut self, msg: Relocate, ctx: &mut actix::Context<Self>) -> Self::Result {
        use actix::AsyncContext;
        let chosen = self
            .instance(&msg.worker, &ctx.address(), None)
            .ok()
            .filter(|c| !self.executors().is_stalled(c.executor));
        actix::MessageResult(chosen)
    }
}

/// Sends `request` to `target` and waits for the answer; sends it elsewhere
/// (once, unless `retried` says it already went elsewhere) if the isolate
/// turns out to be going away, or its executor stalls before the isolate
/// started it and the registry has an isolate on another.
pub(crate) async fn deliver(
    mut target: Target,
    mut request: FetchRequest,
    way: Way<'_>,
    mut retried: bool,
) -> Result<FetchResponse, RuntimeError> {
    let lost = || RuntimeError::Lost(way.worker.to_owned());
    loop {
        let (mut sent, head, reclaim) = retryable(request);
        let watched = !retried && way.registry.is_some() && way.here != Some(target.executor);
        let claim = watched.then(|| {
            let claim = Claim::new(sent.extensions().get::<Queued>().cloned());
            sent.extensions_mut().insert(claim.clone());
            claim
        });
        let send = target.addr.send(Fetch(sent));
        let answer = match (claim, way.registry) {
            (Some(claim), Some(registry)) => {
                match watch(send, &claim, &way, target.executor, registry).await {
                    Watched::Answered(answer) => answer,
                    Watched::TakenBack(chosen) => {
                        crate::metrics::event_moved();
                        let body = reclaim.reclaim().ok_or_else(lost)?;
                        request = head.body(body).map_err(|_| lost())?;
                        // Counted in the new isolate, no longer in the old.
                        target = arrive(chosen).await?;
                        retried = true;
                        continue;
                    }
                }
            }
            _ => send.await,
        };
        return match answer {
            Ok(Err(RuntimeError::Unavailable(_))) | Err(_) if !retried => {
                let registry = way.registry.ok_or_else(lost)?;
                let body = reclaim.reclaim().ok_or_else(lost)?;
                let request = head.body(body).map_err(|_| lost())?;
                drop(target);
                let mut dispatch = Dispatch::new(way.worker, request);
                dispatch.retried = true;
                registry
                    .send(dispatch)
                    .await
                    .unwrap_or_else(|_| Err(RuntimeError::Startup("the registry stopped".into())))
            }
            Ok(result) => result,
            Err(_) => Err(lost()),
        };
    }
}

/// How a watched event ended.
enum Watched {
    /// The isolate answered (or its mailbox was gone).
    Answered(Result<Result<FetchResponse, RuntimeError>, actix::MailboxError>),
    /// The event was taken back, to go to this isolate.
    TakenBack(Chosen),
}

/// Waits for `send`'s answer, taking the event back if executor `on`
/// stalls before the isolate started it and the registry has an isolate
/// elsewhere.
async fn watch(
    send: actix::dev::Request<IsolateActor, Fetch>,
    claim: &Claim,
    way: &Way<'_>,
    on: usize,
    registry: &Addr<Registry>,
) -> Watched {
    tokio::pin!(send);
    let stalled = way.executors.busy_mark(on);
    tokio::select! {
        biased;
        answer = &mut send => return Watched::Answered(answer),
        () = stalled.stalled() => {}
    }
    // Started already (it waits for I/O, say): it stays.
    if !claim.is_waiting() {
        return Watched::Answered(send.await);
    }
    let relocate = Relocate {
        worker: way.worker.to_owned(),
    };
    if let Ok(Some(chosen)) = registry.send(relocate).await {
        if claim.take_back() {
            return Watched::TakenBack(chosen);
        }
    }
    Watched::Answered(send.await)
}

/// The isolate `chosen` as a target, once started, with the event counted
/// in flight there.
async fn arrive(chosen: Chosen) -> Result<Target, RuntimeError> {
    chosen.in_flight.fetch_add(1, Ordering::Relaxed);
    chosen.last_used.touch();
    let done = InFlight(chosen.in_flight);
    let addr = chosen.starting.await?;
    Ok(Target {
        addr,
        executor: chosen.executor,
        done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_starting_and_taking_back_wins() {
        let claim = Claim::new(None);
        assert!(claim.is_waiting());
        assert!(claim.start());
        assert!(!claim.is_waiting());
        assert!(!claim.take_back());
        let claim = Claim::new(None);
        assert!(claim.take_back());
        assert!(!claim.start());
    }
}
