//! The executor threads that host isolates.

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_rt::{Arbiter, ArbiterHandle};

/// A fixed set of arbiter threads; new isolates go to them in turn.
pub struct Executors {
    arbiters: Vec<Arbiter>,
    next: AtomicUsize,
}

impl Executors {
    /// Starts `threads` executor threads (0: one per core). Must be called
    /// inside an actix system.
    pub fn start(threads: usize) -> Self {
        let n = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        Self {
            arbiters: (0..n).map(|_| Arbiter::new()).collect(),
            next: AtomicUsize::new(0),
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
    /// go to, in turn.
    pub fn pick_index(&self) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed) % self.arbiters.len()
    }

    /// The executor at `index` (taken modulo their number).
    pub fn handle(&self, index: usize) -> ArbiterHandle {
        self.arbiters[index % self.arbiters.len()].handle()
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
