//! The CPU watchdog: one thread that terminates JavaScript that has used up
//! its CPU budget.
//!
//! Before an isolate runs a turn of JavaScript, its executor thread arms the
//! watchdog with the turn's budget and the isolate's interrupt handle, in a
//! slot of its own (one per thread and watchdog, so arming touches no shared
//! lock). Arming and finishing a turn read only the wall clock, which is
//! cheap; most turns are far shorter than a millisecond, and for them the
//! wall time is the CPU time charged (never less than the CPU time used) —
//! until their event has been charged an eighth of its limit: from then on
//! its turns read the thread's CPU clock at both ends, so that moments the
//! thread spent descheduled are not billed to an event near its limit.
//!
//! A turn that goes on past [`SHORT_TURN`] is charged what the thread's CPU
//! clock gained, counted from the clock's last reading before the turn
//! began. Arming reads the clock when that reading is older than
//! [`SHORT_TURN`] (so at most once per [`SHORT_TURN`] on a busy thread):
//! without it, a turn descheduled on a busy machine was charged the CPU
//! time of every turn its thread ran since the last reading — other
//! events' — up to its own wall time.
//!
//! While turns are being armed, the watchdog thread looks every [`TICK`];
//! only after [`IDLE_AFTER`] looks in a row that found none does it sleep
//! until the next armed turn wakes it, so that a busy executor arms turns
//! without a wake-up call each time. A turn
//! that has run for longer than [`SHORT_TURN`] is measured with the executor
//! thread's CPU clock from then on (waiting on timers or I/O costs nothing),
//! and terminated once its budget is gone. JavaScript is never asked to
//! poll.
//!
//! A turn armed on an executor (see [`Executors`](crate::Executors)) also
//! marks that executor stalled once it has used the executor's busy
//! threshold of CPU time, until it finishes.
//!
//! A turn may draw on a [`CpuAccount`]: the CPU time one event may use and
//! has used, shared by everything that runs for the event (its turns of
//! JavaScript, and its host work on the work pool's threads, which arm the
//! watchdog the same way). The watchdog charges what it measures of a long
//! turn to the account as it goes, and terminates the turn once the account
//! is used up, whoever used it.
//!
//! The watchdog thread runs in the real-time scheduling class where the
//! system allows it (see [`run_in_real_time`]), so that on a loaded machine
//! it looks when it means to, not when other processes leave it room.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use motu_engine::InterruptHandle;
use parking_lot::{Condvar, Mutex};

use crate::cpu::ThreadClock;
use crate::executors::BusyMark;

/// How often the watchdog looks while a turn is armed.
const TICK: Duration = Duration::from_millis(1);

/// How long the watchdog sleeps while no turn is armed.
const IDLE_TICK: Duration = Duration::from_millis(20);

/// How many looks in a row must find no armed turn before the watchdog
/// sleeps for [`IDLE_TICK`] (and arming a turn has to wake it).
const IDLE_AFTER: u32 = 20;

/// Turns shorter than this are charged their wall time; longer ones are
/// measured with the thread's CPU clock.
const SHORT_TURN: Duration = Duration::from_millis(1);

/// Once an event has been charged this share (1/N) of its CPU limit, every
/// later turn drawing on its account is measured with the thread's CPU
/// clock from its start. Charging short turns their wall time is cheap and
/// never undercharges, but wall time includes moments the thread spent
/// descheduled; on a busy machine those would add up and could push an
/// event near its limit over it. Past this share, exactness is worth two
/// clock reads a turn.
const MEASURED_PAST: u32 = 8;

/// The state of one thread's slot.
struct SlotState {
    /// The turn being run, if any.
    turn: Option<Armed>,
    /// The thread's CPU clock at its latest reading. A turn that started
    /// after it used at most the CPU time the clock gained since.
    last_cpu: Duration,
    /// When `last_cpu` was read. Arming a turn reads the clock again when
    /// the reading is older than [`SHORT_TURN`], so that what the clock
    /// gained since is this turn's and at most that much of what ran
    /// before it on the thread (other events' turns).
    last_cpu_at: Instant,
}

struct Armed {
    started: Instant,
    budget: Duration,
    /// The account the turn draws on, if any; then `budget` is what was
    /// left in it when the turn was armed.
    account: Option<Arc<CpuAccount>>,
    /// What the watchdog has charged to `account` of this turn so far.
    charged: Duration,
    interrupt: InterruptHandle,
    /// The thread's CPU clock reading taken as the turn's start, once the
    /// watchdog found the turn long enough to measure.
    cpu_start: Option<Duration>,
    fired: bool,
    /// Whether the turn marked its executor stalled.
    stalled: bool,
}

/// One executor thread's slot.
struct Slot {
    clock: ThreadClock,
    state: Mutex<SlotState>,
    /// The stall mark of the executor this thread runs, if it is one.
    busy: OnceLock<BusyMark>,
}

struct Shared {
    slots: Mutex<Vec<Weak<Slot>>>,
    /// Set while the watchdog thread sleeps for [`IDLE_TICK`]; the next
    /// armed turn wakes it.
    idle: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

/// The watchdog; cloning gives another handle to the same thread.
#[derive(Clone)]
pub struct Watchdog {
    shared: Arc<Shared>,
}

/// One armed turn. Finishing it disarms the watchdog.
pub struct Turn {
    slot: Arc<Slot>,
}

/// The CPU time one event may use, and what it has used so far, shared by
/// every thread that runs something for the event.
#[derive(Debug)]
pub struct CpuAccount {
    limit: Duration,
    /// Nanoseconds used.
    used: AtomicU64,
}

impl CpuAccount {
    /// A fresh account of `limit` CPU time.
    pub fn new(limit: Duration) -> Arc<Self> {
        Arc::new(Self {
            limit,
            used: AtomicU64::new(0),
        })
    }

    /// The CPU time the event may use.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// The CPU time charged so far.
    pub fn used(&self) -> Duration {
        Duration::from_nanos(self.used.load(Ordering::Relaxed))
    }

    /// The CPU time left.
    pub fn remaining(&self) -> Duration {
        self.limit.saturating_sub(self.used())
    }

    /// Whether the event has used all of its CPU time.
    pub fn is_exhausted(&self) -> bool {
        self.used() >= self.limit
    }

    /// Adds `cpu` to what the event used.
    pub fn charge(&self, cpu: Duration) {
        let nanos = u64::try_from(cpu.as_nanos()).unwrap_or(u64::MAX);
        self.used.fetch_add(nanos, Ordering::Relaxed);
    }
}

thread_local! {
    /// This thread's slots, one per watchdog it has armed.
    static SLOTS: RefCell<Vec<(Weak<Shared>, Arc<Slot>)>> = const { RefCell::new(Vec::new()) };
}

impl Turn {
    /// Disarms the watchdog and returns the CPU time charged to the turn
    /// (and, when it drew on an account, charges the rest of it there) and
    /// whether the watchdog terminated it.
    pub fn finish(self) -> (Duration, bool) {
        let mut state = self.slot.state.lock();
        let Some(armed) = state.turn.take() else {
            return (Duration::ZERO, false);
        };
        if armed.stalled {
            if let Some(busy) = self.slot.busy.get() {
                busy.set(false);
            }
        }
        let elapsed = armed.started.elapsed();
        let used = match armed.cpu_start {
            Some(start) => {
                let now = self.slot.clock.now();
                state.last_cpu = now;
                state.last_cpu_at = Instant::now();
                now.saturating_sub(start)
            }
            // A short turn costs its wall time, which is never less than
            // its CPU time.
            None if elapsed < SHORT_TURN => elapsed,
            // A longer one (the thread may have been descheduled) costs at
            // most what the CPU clock gained since its last reading.
            None => {
                let now = self.slot.clock.now();
                let gained = now.saturating_sub(state.last_cpu);
                state.last_cpu = now;
                state.last_cpu_at = Instant::now();
                elapsed.min(gained)
            }
        };
        if let Some(account) = &armed.account {
            account.charge(used.saturating_sub(armed.charged));
        }
        (used, armed.fired)
    }
}

impl Watchdog {
    /// Starts the watchdog thread. It stops when every handle is gone.
    pub fn start() -> Self {
        let shared = Arc::new(Shared {
            slots: Mutex::new(Vec::new()),
            idle: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        let thread_shared = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("motu-watchdog".into())
            .spawn(move || {
                if !run_in_real_time() {
                    tracing::debug!("the watchdog thread runs at an ordinary priority");
                }
                run(thread_shared)
            })
            .expect("the watchdog thread starts");
        Self { shared }
    }

    /// Arms the watchdog for a turn of JavaScript about to run on the
    /// calling thread, with `budget` CPU time.
    pub fn arm(&self, budget: Duration, interrupt: InterruptHandle) -> Turn {
        self.arm_slot(self.slot(), budget, None, interrupt, false)
    }

    /// Like [`Watchdog::arm`], but the turn is measured with the thread's
    /// CPU clock from its start, however short: it is charged the CPU time
    /// it used, never its wall time. For turns that carry much data (a
    /// large body's chunk), where reading the clock twice costs little
    /// beside the turn and a descheduled moment must not be billed.
    pub fn arm_measured(&self, budget: Duration, interrupt: InterruptHandle) -> Turn {
        self.arm_slot(self.slot(), budget, None, interrupt, true)
    }

    /// Arms the watchdog for a turn (of JavaScript, or of host work) about
    /// to run on the calling thread, drawing on `account`: the turn is
    /// terminated once the account is used up, by this turn or by anything
    /// else that draws on it.
    pub fn arm_account(&self, account: Arc<CpuAccount>, interrupt: InterruptHandle) -> Turn {
        self.arm_slot(
            self.slot(),
            account.remaining(),
            Some(account),
            interrupt,
            false,
        )
    }

    /// Like [`arm_account`](Self::arm_account), but the turn is measured
    /// with the thread's CPU clock from its start, however short (as
    /// [`arm_measured`](Self::arm_measured)'s): for work that mostly waits
    /// (a storage call blocked on a disk's flush), whose wall time is not
    /// CPU time even when it is short.
    pub fn arm_account_measured(
        &self,
        account: Arc<CpuAccount>,
        interrupt: InterruptHandle,
    ) -> Turn {
        self.arm_slot(
            self.slot(),
            account.remaining(),
            Some(account),
            interrupt,
            true,
        )
    }

    /// Like [`arm`](Self::arm) with `budget`, or
    /// [`arm_account`](Self::arm_account) with an `account`, on a thread of
    /// an executor whose stall mark is `busy`; a `measured` turn is
    /// measured from its start as [`arm_measured`](Self::arm_measured)'s.
    pub(crate) fn arm_on(
        &self,
        budget: Duration,
        account: Option<Arc<CpuAccount>>,
        interrupt: InterruptHandle,
        busy: &BusyMark,
        measured: bool,
    ) -> Turn {
        let slot = self.slot();
        slot.busy.get_or_init(|| busy.clone());
        let budget = account.as_ref().map_or(budget, |a| a.remaining());
        self.arm_slot(slot, budget, account, interrupt, measured)
    }

    fn arm_slot(
        &self,
        slot: Arc<Slot>,
        budget: Duration,
        account: Option<Arc<CpuAccount>>,
        interrupt: InterruptHandle,
        measured: bool,
    ) -> Turn {
        let measured = measured
            || account
                .as_ref()
                .is_some_and(|a| a.used() >= a.limit() / MEASURED_PAST);
        let cpu_start = measured.then(|| slot.clock.now());
        let started = Instant::now();
        let mut state = slot.state.lock();
        // A turn the watchdog finds long is charged at most what the clock
        // gained since the last reading: a fresh one, so that the CPU time
        // of the thread's earlier turns (other events') is not billed to
        // this one (at most one reading per SHORT_TURN of a busy thread).
        if let Some(now) = cpu_start {
            (state.last_cpu, state.last_cpu_at) = (now, started);
        } else if started.saturating_duration_since(state.last_cpu_at) >= SHORT_TURN {
            (state.last_cpu, state.last_cpu_at) = (slot.clock.now(), started);
        }
        state.turn = Some(Armed {
            started,
            budget,
            account,
            charged: Duration::ZERO,
            interrupt,
            cpu_start,
            fired: false,
            stalled: false,
        });
        drop(state);
        if self.shared.idle.load(Ordering::SeqCst) {
            // Under the lock: the watchdog holds it from deciding to idle
            // until it waits, so the wake-up cannot be lost.
            let _guard = self.shared.lock.lock();
            self.shared.wake.notify_one();
        }
        Turn { slot }
    }

    /// The calling thread's slot, made and registered on first use.
    fn slot(&self) -> Arc<Slot> {
        SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            let mine = Arc::as_ptr(&self.shared);
            if let Some((_, slot)) = slots.iter().find(|(w, _)| w.as_ptr() == mine) {
                return slot.clone();
            }
            slots.retain(|(w, _)| w.strong_count() > 0);
            let clock = ThreadClock::current();
            let slot = Arc::new(Slot {
                busy: OnceLock::new(),
                clock,
                state: Mutex::new(SlotState {
                    turn: None,
                    last_cpu: clock.now(),
                    last_cpu_at: Instant::now(),
                }),
            });
            self.shared.slots.lock().push(Arc::downgrade(&slot));
            slots.push((Arc::downgrade(&self.shared), slot.clone()));
            slot
        })
    }
}

/// Looks at one slot: measures a long turn, terminates one out of budget.
/// Returns whether a turn is armed in it.
fn inspect(slot: &Slot, now: Instant) -> bool {
    let mut state = slot.state.lock();
    let last_cpu = state.last_cpu;
    let Some(armed) = state.turn.as_mut() else {
        return false;
    };
    let elapsed = now.saturating_duration_since(armed.started);
    if armed.fired || elapsed < SHORT_TURN.min(armed.budget) {
        return true;
    }
    let cpu_now = slot.clock.now();
    // The turn's CPU time before the watchdog first looks is at most its
    // wall time, and at most what the clock gained since its last reading.
    let start = *armed
        .cpu_start
        .get_or_insert_with(|| cpu_now.saturating_sub(elapsed).max(last_cpu));
    let used = cpu_now.saturating_sub(start);
    if !armed.stalled {
        if let Some(busy) = slot.busy.get().filter(|b| used >= b.after()) {
            armed.stalled = true;
            busy.set(true);
        }
    }
    let over = match &armed.account {
        Some(account) => {
            account.charge(used.saturating_sub(armed.charged));
            armed.charged = armed.charged.max(used);
            account.is_exhausted()
        }
        None => used >= armed.budget,
    };
    if over {
        armed.fired = true;
        armed.interrupt.terminate();
    }
    state.last_cpu = cpu_now;
    state.last_cpu_at = now;
    true
}

/// Moves the calling thread (the watchdog's) to the real-time scheduling
/// class, at its lowest priority, where the system allows it (on Linux, with
/// `CAP_SYS_NICE` or an `RLIMIT_RTPRIO`); false, and nothing changed, where
/// it does not.
///
/// The watchdog wakes every [`TICK`] for a few microseconds. As an ordinary
/// thread on a loaded machine, its wake-ups waited behind other processes'
/// time slices while the executor thread it watches went on running: a
/// Worker's endless loop was charged up to 89 ms past its 50 ms limit (p99
/// 30 ms, at a load average of 13 on two cores); a real-time thread runs as
/// soon as it wakes (p99 1.2 ms in the same sitting).
fn run_in_real_time() -> bool {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 1 };
        // SAFETY: a plain system call on the calling thread, with a valid
        // parameter.
        unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    false
}

fn run(shared: Weak<Shared>) {
    // Looks in a row that found no armed turn.
    let mut empty_looks = 0u32;
    loop {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let now = Instant::now();
        let slots: Vec<Arc<Slot>> = {
            let mut registered = shared.slots.lock();
            registered.retain(|w| w.strong_count() > 0);
            registered.iter().filter_map(Weak::upgrade).collect()
        };
        let mut any_armed = false;
        for slot in &slots {
            any_armed |= inspect(slot, now);
        }
        empty_looks = if any_armed { 0 } else { empty_looks + 1 };
        let mut guard = shared.lock.lock();
        if !any_armed && empty_looks >= IDLE_AFTER {
            // Nothing runs: sleep longer, until a turn is armed. A turn
            // armed before `idle` was set is seen by the second look; one
            // armed after sees `idle` and wakes this thread.
            shared.idle.store(true, Ordering::SeqCst);
            any_armed = slots.iter().any(|s| s.state.lock().turn.is_some());
        }
        drop(slots);
        if any_armed || empty_looks < IDLE_AFTER {
            shared.idle.store(false, Ordering::SeqCst);
            shared.wake.wait_for(&mut guard, TICK);
        } else {
            // A dropped last handle ends the thread at the next look.
            shared.wake.wait_for(&mut guard, IDLE_TICK);
            shared.idle.store(false, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Noop;

    impl motu_engine::Interrupt for Noop {
        fn terminate(&self) {}

        fn is_terminating(&self) -> bool {
            false
        }
    }

    #[test]
    fn an_event_past_an_eighth_of_its_limit_is_not_charged_for_time_off_the_cpu() {
        let watchdog = Watchdog::start();
        let interrupt = InterruptHandle::new(Arc::new(Noop));
        let limit = Duration::from_millis(80);
        let off_cpu = Duration::from_micros(600);
        let account = CpuAccount::new(limit);
        // Past an eighth of the limit, a turn is charged only the CPU time
        // it used: not its sleep (the thread off the CPU, as when it is
        // descheduled), which a short turn's wall time would include.
        account.charge(limit / MEASURED_PAST);
        let before = account.used();
        let turn = watchdog.arm_account(account.clone(), interrupt);
        std::thread::sleep(off_cpu);
        let (late, fired) = turn.finish();
        assert!(!fired);
        assert!(late < off_cpu, "charged {late:?} for a {off_cpu:?} sleep");
        assert_eq!(account.used() - before, late);
    }

    #[test]
    fn a_turn_off_the_cpu_is_not_charged_for_the_turns_the_thread_ran_before_it() {
        let watchdog = Watchdog::start();
        let interrupt = InterruptHandle::new(Arc::new(Noop));
        // The thread runs short turns of another event: CPU time its clock
        // gains, which no look of the watchdog reads (each turn is charged
        // its wall time).
        let others = CpuAccount::new(Duration::from_secs(60));
        let clock = ThreadClock::current();
        let began = clock.now();
        while clock.now() - began < Duration::from_millis(40) {
            let turn = watchdog.arm_account(others.clone(), interrupt.clone());
            let spin = Instant::now();
            while spin.elapsed() < Duration::from_micros(20) {
                std::hint::spin_loop();
            }
            turn.finish();
        }
        // It waits for its next event (off the CPU), then runs a turn of
        // this one that spends its time off the CPU too (as a thread
        // descheduled on a busy machine): long enough for the watchdog to
        // measure it with the thread's clock.
        std::thread::sleep(SHORT_TURN);
        let account = CpuAccount::new(Duration::from_secs(60));
        let turn = watchdog.arm_account(account.clone(), interrupt);
        std::thread::sleep(SHORT_TURN * 20);
        let (used, fired) = turn.finish();
        assert!(!fired);
        // What the clock gained during the turn, not during the turns of
        // the other event before it.
        assert!(
            used < SHORT_TURN / 10,
            "charged {used:?} for a turn that slept"
        );
        assert_eq!(account.used(), used);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_watchdog_thread_runs_in_real_time_where_the_system_allows_it() {
        // Whether this process may use the real-time class at all: a
        // thread of the test's own asks.
        if !std::thread::spawn(run_in_real_time).join().unwrap() {
            eprintln!("skipped: this process may not use the real-time scheduling class");
            return;
        }
        let _watchdog = Watchdog::start();
        // A watchdog thread (this test's, or another test's) found by its
        // name, once it has moved itself.
        let real_time = || {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .flatten()
                .any(|task| {
                    let comm =
                        std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
                    let tid: libc::pid_t = task.file_name().to_string_lossy().parse().unwrap();
                    // SAFETY: a plain system call reading a thread's policy.
                    comm.trim() == "motu-watchdog"
                        && unsafe { libc::sched_getscheduler(tid) } == libc::SCHED_FIFO
                })
        };
        let began = Instant::now();
        while !real_time() {
            assert!(
                began.elapsed() < Duration::from_secs(30),
                "no watchdog thread runs in the real-time class"
            );
            std::thread::yield_now();
        }
    }

    #[actix_rt::test]
    async fn a_turn_past_the_busy_threshold_of_cpu_time_stalls_its_executor_until_it_ends() {
        let executors = crate::Executors::with_busy_threshold(1, Duration::from_millis(5));
        let watchdog = Watchdog::start();
        let interrupt = InterruptHandle::new(Arc::new(Noop));
        let turn = watchdog.arm_on(
            Duration::from_secs(60),
            None,
            interrupt,
            &executors.busy_mark(0),
            false,
        );
        assert!(!executors.is_stalled(0));
        let began = Instant::now();
        while !executors.is_stalled(0) {
            assert!(began.elapsed() < Duration::from_secs(30), "never stalled");
            std::hint::spin_loop();
        }
        let (used, fired) = turn.finish();
        assert!(!fired && used >= Duration::from_millis(5));
        assert!(!executors.is_stalled(0));
    }
}
