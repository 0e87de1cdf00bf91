//! The CPU watchdog: one thread that terminates JavaScript that has used up
//! its CPU budget.
//!
//! Before an isolate runs a turn of JavaScript, its executor thread arms the
//! watchdog with the turn's budget and the isolate's interrupt handle. CPU
//! time never runs faster than the wall clock, so the watchdog sleeps until
//! the budget could at the earliest be spent, then reads the executor
//! thread's CPU clock: if the budget is gone it terminates the JavaScript;
//! if not (the thread was descheduled or waiting), it sleeps for what is
//! left. JavaScript is never asked to poll.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use motu_engine::InterruptHandle;
use parking_lot::{Condvar, Mutex};

use crate::cpu::ThreadClock;

/// The longest the watchdog thread sleeps.
const IDLE_TICK: Duration = Duration::from_millis(20);

struct Entry {
    clock: ThreadClock,
    cpu_start: Duration,
    budget: Duration,
    wake_at: Instant,
    interrupt: InterruptHandle,
    fired: bool,
}

struct State {
    entries: HashMap<u64, Entry>,
    next_id: u64,
    /// When the watchdog thread will look next; arming a turn wakes it only
    /// when the turn's budget could run out before that.
    planned_wake: Instant,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// The watchdog; cloning gives another handle to the same thread.
#[derive(Clone)]
pub struct Watchdog {
    shared: Arc<Shared>,
}

/// One armed turn. Finishing it disarms the watchdog.
pub struct Turn {
    id: u64,
    clock: ThreadClock,
    cpu_start: Duration,
    watchdog: Watchdog,
}

impl Turn {
    /// Disarms the watchdog and returns the CPU time the turn used and
    /// whether the watchdog terminated it.
    pub fn finish(self) -> (Duration, bool) {
        let used = self.clock.now().saturating_sub(self.cpu_start);
        let entry = self.watchdog.shared.state.lock().entries.remove(&self.id);
        (used, entry.is_some_and(|e| e.fired))
    }
}

impl Watchdog {
    /// Starts the watchdog thread. It stops when every handle is gone.
    pub fn start() -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                entries: HashMap::new(),
                next_id: 0,
                planned_wake: Instant::now(),
            }),
            wake: Condvar::new(),
        });
        let thread_shared = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("motu-watchdog".into())
            .spawn(move || run(thread_shared))
            .expect("the watchdog thread starts");
        Self { shared }
    }

    /// Arms the watchdog for a turn of JavaScript about to run on the
    /// calling thread, with `budget` CPU time.
    pub fn arm(&self, budget: Duration, interrupt: InterruptHandle) -> Turn {
        let clock = ThreadClock::current();
        let cpu_start = clock.now();
        let wake_at = Instant::now() + budget;
        let mut state = self.shared.state.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.entries.insert(
            id,
            Entry {
                clock,
                cpu_start,
                budget,
                wake_at,
                interrupt,
                fired: false,
            },
        );
        let wake_now = wake_at < state.planned_wake;
        drop(state);
        if wake_now {
            self.shared.wake.notify_one();
        }
        Turn {
            id,
            clock,
            cpu_start,
            watchdog: self.clone(),
        }
    }
}

fn run(shared: std::sync::Weak<Shared>) {
    loop {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut state = shared.state.lock();
        let now = Instant::now();
        for entry in state.entries.values_mut() {
            if entry.wake_at > now || entry.fired {
                continue;
            }
            let used = entry.clock.now().saturating_sub(entry.cpu_start);
            if used >= entry.budget {
                entry.fired = true;
                entry.interrupt.terminate();
            } else {
                entry.wake_at = now + (entry.budget - used);
            }
        }
        let next = state
            .entries
            .values()
            .filter(|e| !e.fired)
            .map(|e| e.wake_at)
            .min();
        // Look at least every IDLE_TICK: a turn whose budget is longer than
        // that is then armed without waking this thread, and a dropped last
        // handle ends it.
        let tick = now + IDLE_TICK;
        let until = next.map_or(tick, |n| n.min(tick));
        state.planned_wake = until;
        shared.wake.wait_until(&mut state, until);
    }
}
