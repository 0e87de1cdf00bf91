//! The alarm scheduler's clock: when the scheduler next reads the alarm
//! index, and how it is woken earlier.
//!
//! The scheduler (`alarms.rs`) sleeps until the earliest alarm it knows
//! of. An alarm set since, earlier than that, must wake it: `setAlarm`
//! runs on an isolate's thread and writes the index there; once the
//! object's flush made it durable (or the event that set it ended without
//! one), the prelude tells the clock (`durable('noteAlarm', slot)`, see
//! `doNoteAlarm` in `cloudflare/durable.js`: not at once, so that the
//! alarm's event cannot overtake the answer of the event that set it),
//! and [`AlarmClock::note`] wakes the scheduler only when the alarm is
//! due before its next pass (so setting alarms later than the next one
//! costs an atomic operation, and no pass).
//!
//! No alarm is missed between a pass reading the index and the clock
//! learning the pass's answer: a pass first forgets its wake-up time
//! ([`AlarmClock::forget`]), so every alarm noted while it reads wakes the
//! scheduler again (a wake-up noted while no one waits is kept for the
//! next wait), then keeps the earlier of its answer and what was noted
//! meanwhile ([`AlarmClock::note_quietly`]). The index row is written
//! before the clock hears of it, so a pass that does not see the row
//! started before the note.
//!
//! Alarm times are wall-clock milliseconds; the scheduler sleeps on the
//! monotonic clock, at most [`LONGEST_SLEEP`], so a wall clock stepped
//! forward delays an alarm by that much at most.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// The longest the scheduler sleeps without a pass, even when it knows of
/// no alarm: what bounds an alarm's delay when the wall clock is stepped
/// forward, or when the index could not be read.
pub(crate) const LONGEST_SLEEP: Duration = Duration::from_secs(5);

/// What began a pass of the scheduler (the label of its metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The first, when the registry starts.
    Start,
    /// An alarm earlier than the next pass was noted (or the last pass
    /// left alarms due).
    Woken,
    /// The sleep until the earliest alarm known ended.
    Due,
    /// The longest sleep ended with no alarm known.
    Idle,
}

impl Cause {
    /// Its name in the metric.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Woken => "woken",
            Self::Due => "due",
            Self::Idle => "idle",
        }
    }
}

/// When the scheduler next reads the alarm index (see the module docs).
/// One per state folder, shared by the registry and the isolates.
#[derive(Debug)]
pub(crate) struct AlarmClock {
    /// The next pass, in whole ms since the epoch (`u64::MAX`: none
    /// known).
    next: AtomicU64,
    wake: Notify,
}

impl Default for AlarmClock {
    fn default() -> Self {
        Self {
            next: AtomicU64::new(u64::MAX),
            wake: Notify::new(),
        }
    }
}

/// `at` (ms since the epoch) as the whole ms the scheduler wakes at: the
/// first at which the alarm is due.
fn whole_ms(at: f64) -> u64 {
    if at.is_nan() || at <= 0.0 {
        0
    } else {
        // `as` saturates: an alarm far beyond u64 ms is "never".
        at.ceil() as u64
    }
}

pub(crate) fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

impl AlarmClock {
    /// An alarm is due at `at` (ms since the epoch): wakes the scheduler
    /// if it would pass later.
    pub(crate) fn note(&self, at: f64) {
        let at = whole_ms(at);
        if at < self.next.fetch_min(at, Ordering::SeqCst) {
            self.wake.notify_one();
        }
    }

    /// Wakes the scheduler now.
    pub(crate) fn wake(&self) {
        self.note(0.0);
    }

    /// A pass begins: until it ends, every alarm noted wakes the
    /// scheduler again.
    pub(crate) fn forget(&self) {
        self.next.store(u64::MAX, Ordering::SeqCst);
    }

    /// A pass found the next alarm due at `at` (or none): the scheduler
    /// sleeps until then, unless an earlier one was noted meanwhile.
    pub(crate) fn note_quietly(&self, at: Option<f64>) {
        if let Some(at) = at {
            self.next.fetch_min(whole_ms(at), Ordering::SeqCst);
        }
    }

    /// How long the scheduler sleeps from now, unless woken, and why it
    /// passes then.
    fn sleep(&self) -> (Duration, Cause) {
        let next = self.next.load(Ordering::SeqCst);
        if next == u64::MAX {
            return (LONGEST_SLEEP, Cause::Idle);
        }
        let left = Duration::from_secs_f64((next as f64 - now_ms()).max(0.0) / 1e3);
        if left > LONGEST_SLEEP {
            (LONGEST_SLEEP, Cause::Idle)
        } else {
            (left, Cause::Due)
        }
    }

    /// Waits until the next pass is due, or the scheduler is woken: why.
    pub(crate) async fn wait(&self) -> Cause {
        let (sleep, cause) = self.sleep();
        if sleep.is_zero() {
            return cause;
        }
        match tokio::time::timeout(sleep, self.wake.notified()).await {
            Ok(()) => Cause::Woken,
            Err(_) => cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_alarm_before_the_next_pass_wakes_the_scheduler() {
        let clock = AlarmClock::default();
        assert_eq!(clock.sleep(), (LONGEST_SLEEP, Cause::Idle));
        let soon = now_ms() + 1000.0;
        clock.note(soon);
        let (sleep, cause) = clock.sleep();
        // (Rounded up to the whole ms.)
        assert!(sleep <= Duration::from_millis(1001) && cause == Cause::Due);
        clock.note(soon + 500.0);
        assert_eq!(clock.next.load(Ordering::SeqCst), whole_ms(soon));
        clock.forget();
        clock.note_quietly(Some(soon + 500.0));
        clock.note_quietly(None);
        assert_eq!(clock.next.load(Ordering::SeqCst), whole_ms(soon + 500.0));
        clock.wake();
        assert!(clock.sleep().0.is_zero());
    }

    #[test]
    fn alarm_times_round_up_to_whole_ms() {
        assert_eq!(whole_ms(1000.2), 1001);
        assert_eq!(whole_ms(-5.0), 0);
        assert_eq!(whole_ms(f64::NAN), 0);
        assert_eq!(whole_ms(1e300), u64::MAX);
    }
}
