//! The executor threads that host isolates.
//!
//! Each executor runs one actix arbiter; isolates, and the connections
//! placed with them, live on it. A turn of JavaScript runs on its
//! executor's thread to the end, so while one Worker runs a long turn
//! nothing else on that thread moves. Once a turn has used more CPU time
//! than the busy threshold (the CPU watchdog, which measures long turns
//! anyway, marks it with the executor's [`BusyMark`]) the executor counts as
//! *stalled* until the turn ends: new connections, and the events of other
//! Workers whose isolates sit there, go to an executor that is not (the
//! registry starts an isolate there if need be). CPU time, not wall time,
//! decides, so a thread the machine merely descheduled does not count.
//! Events already waiting for an isolate on an executor when it stalls are
//! moved too, by whoever waits for their answer (see `crate::moving`): the
//! mark wakes them when it is set.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_rt::{Arbiter, ArbiterHandle};
use tokio::sync::Notify;

/// A fixed set of arbiter threads; new isolates go to them in turn.
pub struct Executors {
    arbiters: Vec<Arbiter>,
    next: AtomicUsize,
    /// Per executor: whether its running turn is past the busy threshold.
    busy: Vec<BusyMark>,
    busy_after: Duration,
}

/// Whether one executor's running turn has used more CPU time than the busy
/// threshold. Cheap to clone; the watchdog sets and clears it.
#[derive(Clone, Debug)]
pub(crate) struct BusyMark(Arc<Busy>);

#[derive(Debug)]
struct Busy {
    stalled: AtomicBool,
    after: Duration,
    /// Wakes those waiting for the executor to stall.
    stalls: Notify,
}

impl BusyMark {
    /// CPU time a turn may use before its executor counts as stalled.
    pub(crate) fn after(&self) -> Duration {
        self.0.after
    }

    /// Marks the executor stalled (its running turn is past the threshold)
    /// or not (the turn ended).
    pub(crate) fn set(&self, stalled: bool) {
        let was = self.0.stalled.swap(stalled, Ordering::Relaxed);
        if stalled && !was {
            self.0.stalls.notify_waiters();
        }
    }

    /// Resolves once the executor is stalled (at once if it is now).
    pub(crate) async fn stalled(&self) {
        loop {
            let notified = self.0.stalls.notified();
            tokio::pin!(notified);
            // Registered before the mark is read: a stall that begins in
            // between still wakes it.
            notified.as_mut().enable();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }

    /// A mark of no executor, for turns that run elsewhere (the
    /// background checks of Workers' code).
    pub(crate) fn detached(after: Duration) -> Self {
        Self(Arc::new(Busy {
            stalled: AtomicBool::new(false),
            after,
            stalls: Notify::new(),
        }))
    }

    fn is_set(&self) -> bool {
        self.0.stalled.load(Ordering::Relaxed)
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
    /// once a turn on it has used `busy_after` of CPU time.
    pub fn with_busy_threshold(threads: usize, busy_after: Duration) -> Self {
        let n = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        Self {
            arbiters: (0..n).map(|_| Arbiter::new()).collect(),
            next: AtomicUsize::new(0),
            busy: (0..n)
                .map(|_| {
                    BusyMark(Arc::new(Busy {
                        stalled: AtomicBool::new(false),
                        after: busy_after,
                        stalls: Notify::new(),
                    }))
                })
                .collect(),
            busy_after,
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

    /// Whether the executor at `index` is running a turn that has used more
    /// CPU time than the busy threshold (its other isolates and connections
    /// wait for it). Always false when CPU limits are not enforced (no
    /// watchdog measures turns).
    pub fn is_stalled(&self, index: usize) -> bool {
        self.busy[index % self.busy.len()].is_set()
    }

    /// The CPU time a turn may use before its executor counts as stalled.
    pub fn busy_threshold(&self) -> Duration {
        self.busy_after
    }

    /// The mark of executor `index`, for the watchdog to set while a turn
    /// there runs long.
    pub(crate) fn busy_mark(&self, index: usize) -> BusyMark {
        self.busy[index % self.busy.len()].clone()
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
    async fn new_work_skips_a_stalled_executor() {
        let executors = Executors::with_busy_threshold(2, Duration::from_millis(1));
        assert!(!executors.is_stalled(0));
        executors.busy_mark(0).set(true);
        assert!(executors.is_stalled(0));
        assert!(!executors.is_stalled(1));
        for _ in 0..4 {
            assert_eq!(executors.pick_index(), 1);
        }
        executors.busy_mark(0).set(false);
        let picks: Vec<usize> = (0..4).map(|_| executors.pick_index()).collect();
        assert!(picks.contains(&0) && picks.contains(&1), "{picks:?}");
    }

    #[actix_rt::test]
    async fn a_stall_wakes_those_waiting_for_it() {
        let executors = Executors::with_busy_threshold(1, Duration::from_millis(1));
        let mark = executors.busy_mark(0);
        let waiting = tokio::spawn({
            let mark = mark.clone();
            async move { mark.stalled().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        mark.set(true);
        waiting.await.unwrap();
        // Already stalled: at once.
        mark.stalled().await;
    }
}
