//! Garbage collection of idle isolates, paced per executor thread.
//!
//! Engines put collections off while an isolate serves; once an isolate has
//! been idle for a second after running JavaScript it collects what they
//! put off, so that idle isolates do not hold garbage (the *idle
//! collection*). One collection is cheap next to a second of idleness, but
//! with hundreds of isolates on one executor and requests spread over them,
//! many isolates are a second past their last event at any moment, and a
//! full collection costs milliseconds on V8: collecting each as it came due
//! took most of the executor's time (measured: 37% of the executor's
//! samples in `LowMemoryNotification` at 1,000 Workers under a Zipf load,
//! and as much again in V8's marking and sweeping threads).
//!
//! So each executor thread paces the idle collections of its isolates:
//!
//! - an isolate whose collection is due joins its executor's queue, and
//!   collects when the executor's pacer tells it to, oldest in the queue
//!   first (the isolates idle the longest, the least likely to be used
//!   again soon). One that took an event meanwhile skips its turn: its
//!   collection comes due again once it is idle again;
//! - collections draw on a budget of the executor's time that refills, up
//!   to [`BURST`], at [`BUSY_SHARE`] of the time while the executor is busy
//!   and at [`QUIET_SHARE`] while it is *quiet* (no turn of JavaScript ran
//!   on it for [`QUIET_AFTER`]); each collection is charged the time it
//!   took. Collections are never back to back: at least [`GAP`] separates
//!   them, so that what arrived meanwhile (a request on a connection) is
//!   read and run first, and a quiet executor turns busy as soon as it is.
//!
//! Memory pressure (a server-wide `memory_budget_mb` exceeded) does not
//! wait for the pacer: the registry has idle isolates collect before it
//! evicts any (see [`crate::Registry`]).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use actix::WeakAddr;

use crate::isolate_actor::{CollectIdle, IsolateActor};

/// The share of a busy executor's time that idle collections may use.
pub(crate) const BUSY_SHARE: f64 = 1.0 / 32.0;

/// The share of a quiet executor's time that idle collections may use.
pub(crate) const QUIET_SHARE: f64 = 1.0 / 2.0;

/// The least time between two idle collections on one executor.
pub(crate) const GAP: Duration = Duration::from_millis(1);

/// The most idle-collection time an executor saves up.
pub(crate) const BURST: Duration = Duration::from_millis(10);

/// An executor with no turn of JavaScript for this long is quiet.
pub(crate) const QUIET_AFTER: Duration = Duration::from_millis(50);

/// One executor thread's pacer.
struct Pacer {
    /// Isolates whose collection is due, oldest first.
    queue: VecDeque<WeakAddr<IsolateActor>>,
    /// Whether the task that works through the queue is running.
    running: bool,
    /// Collection time that may be spent now, in nanoseconds (below zero:
    /// owed), as of `refilled`.
    budget_ns: f64,
    refilled: Instant,
}

thread_local! {
    static PACER: RefCell<Pacer> = RefCell::new(Pacer {
        queue: VecDeque::new(),
        running: false,
        budget_ns: BURST.as_nanos() as f64,
        refilled: Instant::now(),
    });
    /// When a turn of JavaScript last ended on this thread.
    static LAST_TURN: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Notes that a turn of JavaScript ended on this thread at `at`.
pub(crate) fn turn_ended(at: Instant) {
    LAST_TURN.with(|t| t.set(Some(at)));
}

/// Whether no turn of JavaScript ran on this thread for [`QUIET_AFTER`].
fn quiet(now: Instant) -> bool {
    LAST_TURN.with(|t| {
        t.get()
            .is_none_or(|at| now.duration_since(at) >= QUIET_AFTER)
    })
}

/// Puts `isolate` in this executor's queue of idle collections; the pacer
/// sends it [`CollectIdle`] when its turn comes.
pub(crate) fn enqueue(isolate: WeakAddr<IsolateActor>) {
    let start = PACER.with(|p| {
        let mut p = p.borrow_mut();
        p.queue.push_back(isolate);
        !std::mem::replace(&mut p.running, true)
    });
    if start {
        actix_rt::spawn(work_through_queue());
    }
}

/// Charges a collection that took `took` to this executor's budget.
pub(crate) fn charge(took: Duration) {
    PACER.with(|p| {
        let mut p = p.borrow_mut();
        let now = Instant::now();
        refill(&mut p, now, share(now));
        p.budget_ns -= took.as_nanos() as f64;
    });
}

/// The share of the executor's time idle collections may use now.
fn share(now: Instant) -> f64 {
    if quiet(now) {
        QUIET_SHARE
    } else {
        BUSY_SHARE
    }
}

fn refill(p: &mut Pacer, now: Instant, share: f64) {
    let earned = now.duration_since(p.refilled).as_nanos() as f64 * share;
    p.budget_ns = (p.budget_ns + earned).min(BURST.as_nanos() as f64);
    p.refilled = now;
}

/// How long to wait before the next collection may run: zero when the
/// budget has time left.
fn wait_before_next() -> Duration {
    let now = Instant::now();
    let share = share(now);
    PACER.with(|p| {
        let mut p = p.borrow_mut();
        refill(&mut p, now, share);
        if p.budget_ns > 0.0 {
            Duration::ZERO
        } else {
            // Until the budget is back above zero at this rate, and at most
            // until the executor could have turned quiet.
            Duration::from_nanos((-p.budget_ns / share) as u64 + 1).min(QUIET_AFTER)
        }
    })
}

/// Sends the queued isolates [`CollectIdle`], one at a time, as the
/// executor's quiet or budget allows; ends when the queue is empty.
async fn work_through_queue() {
    loop {
        let wait = wait_before_next();
        if wait.is_zero() {
            let next = PACER.with(|p| {
                let mut p = p.borrow_mut();
                let next = p.queue.pop_front();
                if next.is_none() {
                    p.running = false;
                }
                next
            });
            let Some(isolate) = next else { return };
            if let Some(addr) = isolate.upgrade() {
                // The isolate collects (or skips its turn) and charges the
                // time itself; an isolate gone meanwhile is skipped.
                let _ = addr.send(CollectIdle).await;
                // Whatever arrived on this thread during the collection (a
                // request on a connection) is read and runs first.
                actix_rt::time::sleep(GAP).await;
            }
        } else {
            actix_rt::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_executor_collects_more_often_than_a_busy_one() {
        turn_ended(Instant::now() - QUIET_AFTER * 2);
        PACER.with(|p| {
            let mut p = p.borrow_mut();
            p.budget_ns = 0.0;
            p.refilled = Instant::now();
        });
        charge(Duration::from_millis(4));
        let quiet = wait_before_next();
        turn_ended(Instant::now());
        PACER.with(|p| {
            let mut p = p.borrow_mut();
            p.budget_ns = 0.0;
            p.refilled = Instant::now();
        });
        charge(Duration::from_millis(4));
        let busy = wait_before_next();
        assert!(quiet < busy, "quiet {quiet:?}, busy {busy:?}");
        assert!(
            quiet > Duration::ZERO,
            "a collection is owed even when quiet"
        );
    }

    #[test]
    fn a_busy_executor_spends_its_share_and_waits_for_more() {
        // A turn just ended: busy.
        turn_ended(Instant::now());
        PACER.with(|p| {
            let mut p = p.borrow_mut();
            p.budget_ns = BURST.as_nanos() as f64;
            p.refilled = Instant::now();
        });
        assert_eq!(wait_before_next(), Duration::ZERO);
        charge(BURST * 2);
        let wait = wait_before_next();
        assert!(
            wait > Duration::ZERO,
            "a collection over the budget is owed"
        );
        assert!(wait <= QUIET_AFTER, "{wait:?}");
    }
}
