//! The executor threads that host isolates.
//!
//! Each executor runs one actix arbiter; isolates, and the connections
//! placed with them, live on it. A turn of JavaScript runs on its
//! executor's thread to the end, so while one Worker runs a long turn
//! nothing else on that thread moves. Each executor therefore says when
//! its current turn began (an isolate marks it with a [`BusyMark`]); once a
//! turn has run longer than the busy threshold the executor counts as
//! *stalled*, and new connections and the events of other Workers go to an
//! executor that is not (the registry starts an isolate there if need be).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use actix_rt::{Arbiter, ArbiterHandle};

/// The fixed point the busy marks count from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since [`epoch`], never 0 (0 marks an idle executor).
fn nanos_now() -> u64 {
    u64::try_from(epoch().elapsed().as_nanos())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// A fixed set of arbiter threads; new isolates go to them in turn.
pub struct Executors {
    arbiters: Vec<Arbiter>,
    next: AtomicUsize,
    /// Per executor: when its running turn began ([`nanos_now`]), 0 when
    /// none runs.
    busy: Vec<Arc<AtomicU64>>,
    /// How long a turn runs before its executor counts as stalled.
    busy_after: u64,
}

/// Marks the turns run on one executor, so that others can tell it is
/// stalled. Cheap to clone; every isolate on the executor holds one.
#[derive(Clone, Debug)]
pub(crate) struct BusyMark(Arc<AtomicU64>);

impl BusyMark {
    /// A turn begins on the executor; returns what to restore when it ends
    /// (a turn may begin inside another, e.g. while an isolate starts).
    pub(crate) fn begin(&self) -> u64 {
        let outer = self.0.load(Ordering::Relaxed);
        if outer == 0 {
            self.0.store(nanos_now(), Ordering::Relaxed);
        }
        outer
    }

    /// The turn begun with [`begin`](Self::begin) has ended.
    pub(crate) fn end(&self, outer: u64) {
        self.0.store(outer, Ordering::Relaxed);
    }
}

impl Executors {
    /// Starts `threads` executor threads (0: one per core), stalled after
    /// the default busy threshold (10 ms). Must be called inside an actix
    /// system.
    pub fn start(threads: usize) -> Self {
        Self::with_busy_threshold(threads, motu_config::DEFAULT_EXECUTOR_BUSY)
    }

    /// Like [`start`](Self::start), with an executor counting as stalled
    /// once a turn on it has run for `busy_after`.
    pub fn with_busy_threshold(threads: usize, busy_after: Duration) -> Self {
        let n = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        epoch();
        Self {
            arbiters: (0..n).map(|_| Arbiter::new()).collect(),
            next: AtomicUsize::new(0),
            busy: (0..n).map(|_| Arc::new(AtomicU64::new(0))).collect(),
            busy_after: u64::try_from(busy_after.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// How many executor threads there are.
    pub fn len(&self) -> usize {
        self.arbiters.len()
    }

    /// Whether there are none (never true for a started set).
    pub fn is_empty(&self) -> bool {
        self.arbiters.is_empty()
    }

    /// The executor the next isolate should start on.
    pub fn pick(&self) -> ArbiterHandle {
        self.handle(self.pick_index())
    }

    /// The index of the executor the next isolate (or connection) should
    /// go to: the next in turn that is not stalled (the next in turn if all
    /// are).
    pub fn pick_index(&self) -> usize {
        let n = self.arbiters.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed) % n;
        if !self.is_stalled(first) {
            return first;
        }
        (1..n)
            .map(|k| (first + k) % n)
            .find(|&e| !self.is_stalled(e))
            .unwrap_or(first)
    }

    /// The executor at `index` (taken modulo their number).
    pub fn handle(&self, index: usize) -> ArbiterHandle {
        self.arbiters[index % self.arbiters.len()].handle()
    }

    /// Whether the executor at `index` has been running one turn for longer
    /// than the busy threshold (its other isolates and connections wait
    /// for it).
    pub fn is_stalled(&self, index: usize) -> bool {
        let began = self.busy[index % self.busy.len()].load(Ordering::Relaxed);
        began != 0 && nanos_now().saturating_sub(began) > self.busy_after
    }

    /// How long a turn runs before its executor counts as stalled.
    pub fn busy_threshold(&self) -> Duration {
        Duration::from_nanos(self.busy_after)
    }

    /// The mark the isolates on executor `index` set while they run.
    pub(crate) fn busy_mark(&self, index: usize) -> BusyMark {
        BusyMark(self.busy[index % self.busy.len()].clone())
    }
}

impl Drop for Executors {
    fn drop(&mut self) {
        for a in &self.arbiters {
            a.stop();
        }
    }
}

impl std::fmt::Debug for Executors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executors")
            .field("threads", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn a_long_turn_stalls_its_executor_and_new_work_goes_elsewhere() {
        let executors = Executors::with_busy_threshold(2, Duration::from_millis(1));
        let mark = executors.busy_mark(0);
        assert!(!executors.is_stalled(0));
        let outer = mark.begin();
        // Nested turns (an isolate starting inside a turn) keep the start.
        let inner = mark.begin();
        mark.end(inner);
        let began = Instant::now();
        while began.elapsed() < Duration::from_millis(3) {
            std::hint::spin_loop();
        }
        assert!(executors.is_stalled(0));
        assert!(!executors.is_stalled(1));
        for _ in 0..4 {
            assert_eq!(executors.pick_index(), 1);
        }
        mark.end(outer);
        assert!(!executors.is_stalled(0));
        let picks: Vec<usize> = (0..4).map(|_| executors.pick_index()).collect();
        assert!(picks.contains(&0) && picks.contains(&1), "{picks:?}");
    }
}
