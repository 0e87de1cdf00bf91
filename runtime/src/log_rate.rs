//! How fast a Worker may log: a token bucket of bytes per Worker, shared
//! by all its isolates (and kept across reloads, by name).
//!
//! Each line a Worker logs (a `console` call, an uncaught exception) costs
//! its text plus [`LINE_OVERHEAD`] bytes. The bucket refills at the
//! Worker's `log_kb_per_s` and holds one second's worth. A line is written
//! while the bucket is not empty (it may go into debt by that line);
//! once it is, lines are dropped, and counted, until the bucket has
//! refilled to half, so that a Worker at its rate is told once per episode
//! rather than once per line: a warning when dropping begins, and the
//! count when it ends. Dropping costs no formatting and no writing.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use parking_lot::Mutex;
use prometheus::IntCounter;

/// What one line costs beyond its text: about what a log line's time,
/// level, target and span add.
pub(crate) const LINE_OVERHEAD: usize = 128;

/// The log budget of one Worker.
pub(crate) struct LogRate {
    worker: String,
    bucket: Mutex<Bucket>,
    dropped_lines: IntCounter,
    dropped_bytes: IntCounter,
}

struct Bucket {
    /// Bytes that may still be written now; negative after a line larger
    /// than what was left.
    tokens: f64,
    refilled: Instant,
    /// Dropping lines until the bucket is half full again; what has been
    /// dropped in this episode.
    dropping: Option<(u64, u64)>,
}

/// What to do with one line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Write it.
    Write,
    /// Write it; before it, say that `lines` lines (`bytes` bytes) were
    /// dropped and the Worker is under its rate again.
    WriteAfterDrops { lines: u64, bytes: u64 },
    /// Drop it; the first of an episode (say so).
    DropFirst,
    /// Drop it.
    Drop,
}

/// Every Worker's budget, by name.
static RATES: LazyLock<Mutex<HashMap<String, Arc<LogRate>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

impl LogRate {
    /// The budget of the Worker called `worker` (shared by the dynamic
    /// Workers of one loader, as their metrics are: `metrics::label`).
    pub(crate) fn of(worker: &str) -> Arc<LogRate> {
        let worker = crate::metrics::label(worker);
        RATES
            .lock()
            .entry(worker.to_owned())
            .or_insert_with(|| {
                let (dropped_lines, dropped_bytes) = crate::metrics::console_dropped(worker);
                Arc::new(LogRate {
                    worker: worker.to_owned(),
                    bucket: Mutex::new(Bucket {
                        tokens: f64::INFINITY,
                        refilled: Instant::now(),
                        dropping: None,
                    }),
                    dropped_lines,
                    dropped_bytes,
                })
            })
            .clone()
    }

    /// Whether a line of `len` bytes of text may be written now, at
    /// `per_second` bytes per second; logs when dropping begins and ends.
    pub(crate) fn admit(&self, len: usize, per_second: u64) -> bool {
        let verdict = self.bucket.lock().admit(Instant::now(), len, per_second);
        match verdict {
            Verdict::Write => true,
            Verdict::WriteAfterDrops { lines, bytes } => {
                tracing::warn!(
                    worker = self.worker.as_str(),
                    lines,
                    bytes,
                    "the Worker's log output is under its log_kb_per_s again; {lines} lines ({bytes} bytes) were dropped"
                );
                true
            }
            Verdict::DropFirst | Verdict::Drop => {
                if verdict == Verdict::DropFirst {
                    tracing::warn!(
                        worker = self.worker.as_str(),
                        log_kb_per_s = per_second >> 10,
                        "the Worker logs faster than its log_kb_per_s; its log lines are dropped until it slows down"
                    );
                }
                self.dropped_lines.inc();
                self.dropped_bytes.inc_by((len + LINE_OVERHEAD) as u64);
                false
            }
        }
    }
}

impl Bucket {
    fn admit(&mut self, now: Instant, len: usize, per_second: u64) -> Verdict {
        let capacity = per_second as f64;
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * capacity).min(capacity);
        self.refilled = now;
        let cost = (len + LINE_OVERHEAD) as u64;
        match self.dropping {
            Some((lines, bytes)) if self.tokens < capacity / 2.0 => {
                self.dropping = Some((lines + 1, bytes + cost));
                Verdict::Drop
            }
            Some((lines, bytes)) => {
                self.dropping = None;
                self.tokens -= cost as f64;
                Verdict::WriteAfterDrops { lines, bytes }
            }
            None if self.tokens <= 0.0 => {
                self.dropping = Some((1, cost));
                Verdict::DropFirst
            }
            None => {
                self.tokens -= cost as f64;
                Verdict::Write
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lines_past_the_rate_are_dropped_until_half_the_bucket_is_back() {
        let start = Instant::now();
        let mut bucket = Bucket {
            tokens: f64::INFINITY,
            refilled: start,
            dropping: None,
        };
        let rate = 10 * 1024;
        // 1024 bytes a line with the overhead: ten lines fill a second.
        let len = 1024 - LINE_OVERHEAD;
        for _ in 0..10 {
            assert_eq!(bucket.admit(start, len, rate), Verdict::Write);
        }
        assert_eq!(bucket.admit(start, len, rate), Verdict::DropFirst);
        assert_eq!(bucket.admit(start, len, rate), Verdict::Drop);
        // Less than half refilled: still dropping.
        let later = start + Duration::from_millis(400);
        assert_eq!(bucket.admit(later, len, rate), Verdict::Drop);
        let later = start + Duration::from_millis(600);
        assert_eq!(
            bucket.admit(later, len, rate),
            Verdict::WriteAfterDrops {
                lines: 3,
                bytes: 3 * 1024
            }
        );
        for _ in 0..5 {
            assert_eq!(bucket.admit(later, len, rate), Verdict::Write);
        }
        assert_eq!(bucket.admit(later, len, rate), Verdict::DropFirst);
    }

    #[test]
    fn a_line_larger_than_the_bucket_goes_out_when_it_is_full() {
        let start = Instant::now();
        let mut bucket = Bucket {
            tokens: f64::INFINITY,
            refilled: start,
            dropping: None,
        };
        assert_eq!(bucket.admit(start, 5000, 1000), Verdict::Write);
        assert_eq!(bucket.admit(start, 10, 1000), Verdict::DropFirst);
    }
}
