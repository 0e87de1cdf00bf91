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
//! - while the executor is *quiet* (no turn of JavaScript ran on it for
//!   [`QUIET_AFTER`]), collections run one after the other, each a separate
//!   task so that an event arriving meanwhile waits for one collection at
//!   most;
//! - while it is busy, collections may use [`SHARE`] of its time: a budget
//!   that refills at that rate, up to [`BURST`]; each collection is charged
//!   the time it took.
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
pub(crate) const SHARE: f64 = 1.0 / 32.0;

/// The most idle-collection time a busy executor saves up.
pub(crate) const BURST: Duration = Duration::from_millis(10);

/// An executor with no turn of JavaScript for this long is quiet.
pub(crate) const QUIET_AFTER: Duration = Duration::from_millis(50);

/// One executor thread's pacer.
struct Pacer {
    /// Isolates whose collection is due, oldest first.
    queue: VecDeque<WeakAddr<IsolateActor>>,
    /// Whether the task that works through the queue is running.
    running: bool,
    /// Collection time that may be spent now while busy, in nanoseconds
    /// (below zero: owed), as of `refilled`.
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
        refill(&mut p, Instant::now());
        p.budget_ns -= took.as_nanos() as f64;
    });
}

fn refill(p: &mut Pacer, now: Instant) {
    let earned = now.duration_since(p.refilled).as_nanos() as f64 * SHARE;
    p.budget_ns = (p.budget_ns + earned).min(BURST.as_nanos() as f64);
    p.refilled = now;
}

/// How long to wait before the next collection may run: zero when the
/// executor is quiet or its budget has time left.
fn wait_before_next() -> Duration {
    let now = Instant::now();
    if quiet(now) {
        return Duration::ZERO;
    }
    PACER.with(|p| {
        let mut p = p.borrow_mut();
        refill(&mut p, now);
        if p.budget_ns > 0.0 {
            Duration::ZERO
        } else {
            // Until the budget is back above zero, and at most until the
            // executor could have turned quiet.
            Duration::from_nanos((-p.budget_ns / SHARE) as u64 + 1).min(QUIET_AFTER)
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
            }
            // Whatever else waits on this thread (an event that arrived
            // during the collection) goes first.
            tokio::task::yield_now().await;
        } else {
            actix_rt::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_quiet_executor_collects_at_once() {
        turn_ended(Instant::now() - QUIET_AFTER * 2);
        charge(Duration::from_secs(1));
        assert_eq!(wait_before_next(), Duration::ZERO);
    }
}
