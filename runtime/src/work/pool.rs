//! The work pool: a few threads, shared by every isolate of the process,
//! that run host work off the executor threads.
//!
//! Each job runs as a turn of the CPU watchdog on its pool thread, drawing
//! on the [`CpuAccount`] of the event that asked for it: the pool thread's
//! CPU clock is what the event is charged (time the thread spends
//! descheduled or waiting costs nothing), and the moment the account is used
//! up, whether by this job, another one or the event's JavaScript, the job is
//! cancelled and its owner hears [`Outcome::OverBudget`] at once, without
//! waiting for the work to notice. Jobs run in the order they were submitted.
//!
//! The threads run at a lower scheduling priority than the executors
//! ([`NICENESS`]): when the CPU is contended, turns of JavaScript (short,
//! and waited for by requests) go first, and host work takes what is left.
//!
//! Work that mostly waits ([`Work::is_waiting`]: storage calls, which wait
//! on a disk's flush, a database's lock or Redis) runs on threads of its
//! own, more of them ([`WAITING_THREADS`]): waiting there holds up no
//! work that computes, and calls that wait together can share what they
//! wait for (commits to one database share one flush:
//! `motu_storage::group_commit`). Its CPU time is charged the same way,
//! read from the thread's CPU clock however short the job (a job of other
//! work shorter than a millisecond is charged its wall time, which for
//! work that waits would bill the wait).

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

use motu_engine::{HostValue, Interrupt, InterruptHandle, JsError};
use motu_webapi::{Cancel, Work};
use parking_lot::{Condvar, Mutex};

use crate::watchdog::{CpuAccount, Watchdog};

/// How much lower the pool threads' scheduling priority is than the rest of
/// the process (a `nice` increment, Linux only).
pub(crate) const NICENESS: i32 = 5;

/// How a job ended.
pub(crate) enum Outcome {
    /// It ran to the end (or stopped with an error).
    Finished(Result<HostValue, JsError>),
    /// The event it was charged to ran out of CPU time; the job was
    /// cancelled (or never started).
    OverBudget,
}

/// What hears a job's outcome.
type Listener = Box<dyn FnOnce(Outcome) + Send>;

/// Where a job's outcome goes: called once, by the pool thread or by the
/// watchdog, whichever has it first.
#[derive(Clone)]
struct Done(Arc<Mutex<Option<Listener>>>);

impl Done {
    fn send(&self, outcome: Outcome) {
        let done = self.0.lock().take();
        if let Some(done) = done {
            done(outcome);
        }
    }
}

/// One piece of host work for the pool.
pub(crate) struct Job {
    work: Work,
    cancel: Cancel,
    account: Arc<CpuAccount>,
    watchdog: Option<Watchdog>,
    done: Done,
}

impl Job {
    /// A job running `work`, charged to `account` under `watchdog` (none:
    /// CPU limits are not enforced); `cancel` stops it; `done` hears how it
    /// ended, unless it was cancelled before it started.
    pub(crate) fn new(
        work: Work,
        cancel: Cancel,
        account: Arc<CpuAccount>,
        watchdog: Option<Watchdog>,
        done: impl FnOnce(Outcome) + Send + 'static,
    ) -> Self {
        Self {
            work,
            cancel,
            account,
            watchdog,
            done: Done(Arc::new(Mutex::new(Some(Box::new(done))))),
        }
    }

    fn run(self) {
        if self.cancel.is_cancelled() {
            return;
        }
        if self.account.is_exhausted() {
            self.done.send(Outcome::OverBudget);
            return;
        }
        let interrupt = InterruptHandle::new(Arc::new(OverBudget {
            cancel: self.cancel.clone(),
            done: self.done.clone(),
        }));
        // Work that waits is charged the CPU time it uses, never its wall
        // time (which a short turn is otherwise charged).
        let waits = self.work.is_waiting();
        let turn = self.watchdog.as_ref().map(|w| {
            if waits {
                w.arm_account_measured(self.account.clone(), interrupt)
            } else {
                w.arm_account(self.account.clone(), interrupt)
            }
        });
        let result = self.work.run(&self.cancel);
        let fired = turn.is_some_and(|t| t.finish().1);
        if !fired {
            self.done.send(Outcome::Finished(result));
        }
    }
}

/// What the watchdog does to a job whose event ran out of CPU time: cancel
/// the work and tell its owner now.
struct OverBudget {
    cancel: Cancel,
    done: Done,
}

impl Interrupt for OverBudget {
    fn terminate(&self) {
        self.cancel.cancel();
        self.done.send(Outcome::OverBudget);
    }

    fn is_terminating(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

struct Pool {
    queue: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

/// How many threads run work that waits (see the module docs).
pub(crate) const WAITING_THREADS: usize = 16;

/// Runs `job` on the work pool (started on first use, with one thread per
/// core), or on the threads for work that waits.
pub(crate) fn submit(job: Job) {
    static COMPUTE: OnceLock<&'static Pool> = OnceLock::new();
    static WAITING: OnceLock<&'static Pool> = OnceLock::new();
    let pool = if job.work.is_waiting() {
        WAITING.get_or_init(|| Pool::start("motu-wait", WAITING_THREADS))
    } else {
        COMPUTE.get_or_init(|| Pool::start("motu-work", threads()))
    };
    pool.queue.lock().push_back(job);
    pool.ready.notify_one();
}

/// How many threads the pool has for work that computes.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Pool {
    /// A pool of `threads` threads named `name-N`, for the whole process.
    fn start(name: &str, threads: usize) -> &'static Pool {
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
        }));
        for i in 0..threads {
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || serve(pool))
                .expect("a work pool thread starts");
        }
        pool
    }
}

fn serve(pool: &'static Pool) {
    lower_priority(NICENESS);
    loop {
        let job = {
            let mut queue = pool.queue.lock();
            loop {
                if let Some(job) = queue.pop_front() {
                    break job;
                }
                pool.ready.wait(&mut queue);
            }
        };
        job.run();
    }
}

/// Raises the calling thread's niceness by `by` (on Linux, where a
/// thread's niceness is its own).
pub(crate) fn lower_priority(by: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread's own id.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        libc::setpriority(libc::PRIO_PROCESS, tid, now + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    fn spin(cancel: &Cancel) -> Result<HostValue, JsError> {
        let mut x = 0u64;
        while !cancel.is_cancelled() {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        Ok(HostValue::Number(x as f64))
    }

    fn test_work(f: impl FnOnce(&Cancel) -> Result<HostValue, JsError> + Send + 'static) -> Work {
        Work::from_fn(0, false, f)
    }

    #[test]
    fn endless_work_is_cancelled_when_its_account_runs_out() {
        let watchdog = Watchdog::start();
        let account = CpuAccount::new(Duration::from_millis(30));
        let (tx, rx) = channel();
        let cancel = Cancel::new();
        submit(Job::new(
            test_work(spin),
            cancel.clone(),
            account.clone(),
            Some(watchdog),
            move |outcome| tx.send(matches!(outcome, Outcome::OverBudget)).unwrap(),
        ));
        assert!(rx.recv().unwrap(), "the job's owner hears OverBudget");
        assert!(cancel.is_cancelled());
        assert!(account.is_exhausted());
    }

    #[test]
    fn waiting_is_not_charged_and_results_arrive() {
        let watchdog = Watchdog::start();
        let account = CpuAccount::new(Duration::from_secs(10));
        let (tx, rx) = channel();
        submit(Job::new(
            test_work(|_| {
                std::thread::sleep(Duration::from_millis(60));
                Ok(HostValue::Number(7.0))
            }),
            Cancel::new(),
            account.clone(),
            Some(watchdog),
            move |outcome| match outcome {
                Outcome::Finished(result) => tx.send(result.unwrap()).unwrap(),
                Outcome::OverBudget => panic!("over budget"),
            },
        ));
        assert_eq!(rx.recv().unwrap(), HostValue::Number(7.0));
        // 60 ms asleep, charged (almost) nothing.
        assert!(
            account.used() < Duration::from_millis(30),
            "{:?}",
            account.used()
        );
    }

    #[test]
    fn a_short_wait_is_not_charged_either() {
        let watchdog = Watchdog::start();
        let account = CpuAccount::new(Duration::from_secs(10));
        let wait = Duration::from_micros(600);
        let (tx, rx) = channel();
        submit(Job::new(
            // Shorter than the turns the watchdog charges their wall time.
            test_work(move |_| {
                std::thread::sleep(wait);
                Ok(HostValue::Undefined)
            })
            .waiting(),
            Cancel::new(),
            account.clone(),
            Some(watchdog),
            move |outcome| {
                tx.send(matches!(outcome, Outcome::Finished(Ok(_))))
                    .unwrap()
            },
        ));
        assert!(rx.recv().unwrap());
        assert!(
            account.used() < wait / 2,
            "charged {:?} for a {wait:?} wait",
            account.used()
        );
    }

    #[test]
    fn cancelled_jobs_do_not_start_and_spent_accounts_do_not_run() {
        let (tx, rx) = channel();
        let cancel = Cancel::new();
        cancel.cancel();
        let tx2 = tx.clone();
        submit(Job::new(
            test_work(|_| panic!("a cancelled job ran")),
            cancel,
            CpuAccount::new(Duration::from_secs(1)),
            None,
            move |_| tx2.send("cancelled job answered").unwrap(),
        ));
        let spent = CpuAccount::new(Duration::from_millis(1));
        spent.charge(Duration::from_millis(1));
        submit(Job::new(
            test_work(|_| panic!("a job of a spent account ran")),
            Cancel::new(),
            spent,
            None,
            move |outcome| {
                tx.send(match outcome {
                    Outcome::OverBudget => "over budget",
                    Outcome::Finished(_) => "finished",
                })
                .unwrap()
            },
        ));
        assert_eq!(rx.recv().unwrap(), "over budget");
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    }

    #[test]
    fn work_that_waits_runs_while_every_computing_thread_is_busy() {
        // Hold every thread of the computing pool.
        let (started_tx, started_rx) = channel();
        let release = Arc::new((Mutex::new(false), Condvar::new()));
        for _ in 0..threads() {
            let (started, release) = (started_tx.clone(), release.clone());
            submit(Job::new(
                test_work(move |_| {
                    started.send(()).unwrap();
                    let (lock, cv) = &*release;
                    let mut released = lock.lock();
                    while !*released {
                        cv.wait(&mut released);
                    }
                    Ok(HostValue::Undefined)
                }),
                Cancel::new(),
                CpuAccount::new(Duration::from_secs(10)),
                None,
                |_| {},
            ));
        }
        for _ in 0..threads() {
            started_rx.recv().unwrap();
        }
        let (tx, rx) = channel();
        submit(Job::new(
            test_work(|_| Ok(HostValue::Number(1.0))).waiting(),
            Cancel::new(),
            CpuAccount::new(Duration::from_secs(10)),
            None,
            move |outcome| {
                tx.send(matches!(outcome, Outcome::Finished(Ok(_))))
                    .unwrap()
            },
        ));
        let answer = rx.recv_timeout(Duration::from_secs(60));
        let (lock, cv) = &*release;
        *lock.lock() = true;
        cv.notify_all();
        assert_eq!(
            answer,
            Ok(true),
            "the waiting work ran beside the busy pool"
        );
    }
}
