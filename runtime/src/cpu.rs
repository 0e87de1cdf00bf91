//! Thread CPU clocks: how much CPU time a thread has used, readable from any
//! thread.

use std::time::Duration;

/// The CPU-time clock of one thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThreadClock(libc::clockid_t);

impl ThreadClock {
    /// The calling thread's clock.
    pub(crate) fn current() -> Self {
        let mut id: libc::clockid_t = libc::CLOCK_THREAD_CPUTIME_ID;
        // SAFETY: `pthread_self` is always valid for the calling thread and
        // `id` is a valid place to write to.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
        if rc != 0 {
            id = libc::CLOCK_THREAD_CPUTIME_ID;
        }
        Self(id)
    }

    /// CPU time the thread has used so far.
    pub(crate) fn now(self) -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid place to write to.
        unsafe { libc::clock_gettime(self.0, &mut ts) };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn another_thread_reads_this_threads_cpu_time() {
        let (clock_tx, clock_rx) = channel();
        let (done_tx, done_rx) = channel::<()>();
        let worker = std::thread::spawn(move || {
            let clock = ThreadClock::current();
            let start = clock.now();
            let mut x = 0u64;
            while clock.now() - start < Duration::from_millis(30) {
                x = x.wrapping_mul(31).wrapping_add(7);
            }
            clock_tx.send((clock, start)).unwrap();
            done_rx.recv().unwrap();
            x
        });
        let (clock, start) = clock_rx.recv().unwrap();
        let seen = clock.now() - start;
        // Sleeping here costs the other thread no CPU time.
        std::thread::sleep(Duration::from_millis(30));
        let later = clock.now() - start;
        done_tx.send(()).unwrap();
        worker.join().unwrap();
        assert!(seen >= Duration::from_millis(30), "{seen:?}");
        assert!(
            later - seen < Duration::from_millis(10),
            "{seen:?} then {later:?}"
        );
    }
}
