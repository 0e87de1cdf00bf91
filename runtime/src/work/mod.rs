//! Host work: where the Rust work of an op that may take long runs, and who
//! pays for it.
//!
//! The work ops of `motu_webapi` (`crypto.subtle`, compression streams,
//! `formData()`; see [`motu_webapi::work()`]) reach the host as `Send`
//! [`Work`]. One isolate's [`HostWork`] decides, for each call, where it
//! runs:
//!
//! - **At once**, on the executor thread, inside the turn of JavaScript that
//!   asked for it: work at the top level of a Worker (which must finish
//!   before the Worker has started), and quick work (small inputs, cheap
//!   algorithms) of an event that has no other work going. It is part of the
//!   turn, so the watchdog measures and limits it with the turn, and it
//!   checks the turn's cancel flag, which the watchdog sets when it
//!   terminates the turn.
//! - **On the work pool** ([`pool`]), otherwise: the promise settles later,
//!   in a turn of its own. The pool thread's CPU time is charged to the
//!   [`CpuAccount`] of the event whose turn asked for the work, as the
//!   watchdog measures it; once the account is used up the event gets the
//!   CPU-limit answer at once and the work is cancelled (it stops at its next
//!   look at the flag). Work keeps drawing on its event's account after the
//!   event has been answered, so it stays within the event's limit.
//!
//! **Order**: one event's work runs and settles in the order the event asked
//! for it (its next piece is submitted when the last one finishes, and quick
//! work runs at once only when none of the event's work is going), so
//! results never overtake each other. Events run their work side by side.
//!
//! **Room**: work holds a copy of its input until it has run. While more
//! than [`ROOM`] bytes of input wait or run for one isolate, new work is
//! refused (the prelude then waits with `work_room(bytes)` and asks again,
//! and later calls join the wait without asking; `work_has_room(bytes)`
//! lets it ask before it hands over a large input); waiters get room one at a
//! time, in the order they asked, and the first `work` call of the turn
//! that tells a waiter so is taken whatever the room. Work is always taken
//! when the isolate has none going, whatever its size.
//!
//! **Endings**: when the isolate is evicted or dropped, all of its work is
//! cancelled, and results still coming are dropped (their actor is gone).
//!
//! **New kinds of work** (storage bindings, HTML rewriting): make the op's
//! `Work` (with [`Work::from_fn`] for work defined in the runtime) where the
//! host's `work` op looks its name up, and it gets all of the above. Work
//! that waits (for I/O) is not billed for the wait, but holds its pool
//! thread meanwhile.

pub(crate) mod pool;

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use motu_engine::{HostValue, Interrupt, InterruptHandle, JsError, OpId};
use motu_webapi::{Cancel, Work};

use crate::watchdog::{CpuAccount, Watchdog};
use pool::{Job, Outcome};

/// The most bytes of input that work of one isolate may hold at once
/// (unless it is a single piece of work).
pub(crate) const ROOM: usize = 16 << 20;

/// Where work outcomes go: the ticket and how it ended (called on a pool
/// thread or the watchdog's).
pub(crate) type Sink = Arc<dyn Fn(u64, Outcome) + Send + Sync>;

/// What the `work` op answers.
#[derive(Debug)]
pub(crate) enum Answer {
    /// The work ran at once; here is its result.
    Done(HostValue),
    /// The work runs elsewhere; `work_wait(ticket)` settles with its result.
    Ticket(u64),
    /// No room: wait with `work_room(bytes)`, then ask again.
    Busy,
}

impl Answer {
    /// The answer as the prelude reads it: `[0, result]`, `[ticket]` or
    /// `[-1]`.
    pub(crate) fn into_value(self) -> HostValue {
        let n = |n: f64| HostValue::Number(n);
        HostValue::List(match self {
            Answer::Done(value) => vec![n(0.0), value],
            Answer::Ticket(ticket) => vec![n(ticket as f64)],
            Answer::Busy => vec![n(-1.0)],
        })
    }
}

/// What a finished piece of work leaves the actor to do.
#[derive(Debug)]
pub(crate) enum Finished {
    /// Settle op `0` with the result.
    Settle(OpId, Result<HostValue, JsError>),
    /// The event (if any is known) ran out of CPU time, having used this
    /// much.
    OverBudget(Option<u64>, std::time::Duration),
    /// Nothing: the work is unknown (cancelled) or nobody waits for it.
    Nothing,
}

/// An interrupt for turns of JavaScript that also cancels the host work the
/// turn runs at once (`cancel`), so that work stops with the turn.
pub(crate) fn turn_interrupt(engine: InterruptHandle, cancel: Cancel) -> InterruptHandle {
    InterruptHandle::new(Arc::new(TurnInterrupt { engine, cancel }))
}

struct TurnInterrupt {
    engine: InterruptHandle,
    cancel: Cancel,
}

impl Interrupt for TurnInterrupt {
    fn terminate(&self) {
        self.cancel.cancel();
        self.engine.terminate();
    }

    fn is_terminating(&self) -> bool {
        self.engine.is_terminating()
    }
}

/// One piece of work handed out to the pool or waiting its turn.
struct Ticket {
    event: Option<u64>,
    /// The `work_wait` op that waits for the result.
    op: Option<OpId>,
    cancel: Cancel,
    bytes: usize,
    account: Arc<CpuAccount>,
    /// The work, until it is submitted.
    pending: Option<Work>,
}

/// One event's work: what runs, what waits.
#[derive(Default)]
struct Queue {
    running: Option<u64>,
    waiting: VecDeque<u64>,
}

/// Input held by the isolate's work, and who waits for room.
#[derive(Default)]
struct Room {
    held: usize,
    /// `work_room` ops in the order they asked, with the bytes they need.
    waiters: VecDeque<(OpId, usize)>,
    /// Whether a waiter was given room and has not asked again yet.
    pass: bool,
}

impl Room {
    fn fits(&self, bytes: usize) -> bool {
        self.held == 0 || self.held.saturating_add(bytes) <= ROOM
    }

    fn crowded(&self) -> bool {
        !self.waiters.is_empty() || self.pass
    }
}

/// The host work of one isolate.
pub(crate) struct HostWork {
    next_ticket: Cell<u64>,
    tickets: RefCell<HashMap<u64, Ticket>>,
    queues: RefCell<HashMap<Option<u64>, Queue>>,
    room: RefCell<Room>,
    /// Checked by work that runs at once; set when the watchdog terminates
    /// the running turn.
    turn_cancel: Cancel,
    watchdog: Option<Watchdog>,
    sink: OnceCell<Sink>,
}

impl HostWork {
    /// Host work charged under `watchdog` (none: CPU limits are not
    /// enforced).
    pub(crate) fn new(watchdog: Option<Watchdog>) -> Self {
        Self {
            next_ticket: Cell::new(1),
            tickets: RefCell::default(),
            queues: RefCell::default(),
            room: RefCell::default(),
            turn_cancel: Cancel::new(),
            watchdog,
            sink: OnceCell::new(),
        }
    }

    /// Tells where outcomes of work on the pool go.
    pub(crate) fn bind(&self, sink: Sink) {
        let _ = self.sink.set(sink);
    }

    /// The flag work run at once checks; the turn's interrupt sets it.
    pub(crate) fn turn_cancel(&self) -> Cancel {
        self.turn_cancel.clone()
    }

    /// Whether the watchdog terminated the running turn.
    pub(crate) fn turn_terminated(&self) -> bool {
        self.turn_cancel.is_cancelled()
    }

    /// A turn of JavaScript starts: work it runs at once starts uncancelled.
    pub(crate) fn turn_starts(&self) {
        self.turn_cancel.clear();
    }

    /// Runs or hands out `work` asked for by a turn charged to `event`,
    /// drawing on `account` (`None`: the Worker's top level, where work runs
    /// at once).
    pub(crate) fn call(
        &self,
        work: Work,
        event: Option<u64>,
        account: Option<Arc<CpuAccount>>,
    ) -> Result<Answer, JsError> {
        let Some(account) = account else {
            return Ok(Answer::Done(work.run(&self.turn_cancel)?));
        };
        let bytes = work.input_bytes();
        {
            let mut room = self.room.borrow_mut();
            let pass = std::mem::take(&mut room.pass);
            if !pass && room.crowded() {
                return Ok(Answer::Busy);
            }
            let idle = !self.queues.borrow().contains_key(&event);
            if !(work.is_quick() && idle) {
                if !pass && !room.fits(bytes) {
                    return Ok(Answer::Busy);
                }
                room.held += bytes;
                drop(room);
                return Ok(Answer::Ticket(self.hand_out(work, event, account)));
            }
        }
        Ok(Answer::Done(work.run(&self.turn_cancel)?))
    }

    /// Queues `work` behind the event's other work, or submits it now.
    fn hand_out(&self, work: Work, event: Option<u64>, account: Arc<CpuAccount>) -> u64 {
        let ticket = self.next_ticket.get();
        self.next_ticket.set(ticket + 1);
        let cancel = Cancel::new();
        let bytes = work.input_bytes();
        let mut queues = self.queues.borrow_mut();
        let queue = queues.entry(event).or_default();
        let pending = if queue.running.is_none() {
            queue.running = Some(ticket);
            self.submit(ticket, work, cancel.clone(), account.clone());
            None
        } else {
            queue.waiting.push_back(ticket);
            Some(work)
        };
        self.tickets.borrow_mut().insert(
            ticket,
            Ticket {
                event,
                op: None,
                cancel,
                bytes,
                account,
                pending,
            },
        );
        ticket
    }

    fn submit(&self, ticket: u64, work: Work, cancel: Cancel, account: Arc<CpuAccount>) {
        let sink = self.sink.get().cloned();
        pool::submit(Job::new(
            work,
            cancel,
            account,
            self.watchdog.clone(),
            move |outcome| {
                if let Some(sink) = sink {
                    sink(ticket, outcome);
                }
            },
        ));
    }

    /// `work_wait(ticket)` as op `op`: it settles with the work's result.
    pub(crate) fn wait(&self, ticket: u64, op: OpId) -> Result<(), JsError> {
        match self.tickets.borrow_mut().get_mut(&ticket) {
            Some(t) if t.op.is_none() => {
                t.op = Some(op);
                Ok(())
            }
            _ => Err(JsError::type_error(format!(
                "work_wait: no work waits under ticket {ticket}"
            ))),
        }
    }

    /// The work under `ticket` ended with `outcome`: submits the event's next
    /// work, and says what the actor should do.
    pub(crate) fn finished(&self, ticket: u64, outcome: Outcome) -> Finished {
        let Some(t) = self.tickets.borrow_mut().remove(&ticket) else {
            return Finished::Nothing;
        };
        self.room.borrow_mut().held -= t.bytes;
        let next = {
            let mut queues = self.queues.borrow_mut();
            let queue = queues.entry(t.event).or_default();
            if queue.running == Some(ticket) {
                queue.running = queue.waiting.pop_front();
            }
            let next = queue.running;
            if next.is_none() && queue.waiting.is_empty() {
                queues.remove(&t.event);
            }
            next
        };
        if let Some(next) = next {
            let mut tickets = self.tickets.borrow_mut();
            if let Some(n) = tickets.get_mut(&next) {
                if let Some(work) = n.pending.take() {
                    let (cancel, account) = (n.cancel.clone(), n.account.clone());
                    drop(tickets);
                    self.submit(next, work, cancel, account);
                }
            }
        }
        match (outcome, t.op) {
            (Outcome::OverBudget, _) => Finished::OverBudget(t.event, t.account.used()),
            (Outcome::Finished(result), Some(op)) => Finished::Settle(op, result),
            (Outcome::Finished(_), None) => Finished::Nothing,
        }
    }

    /// `work_has_room(bytes)`: whether work of `bytes` input would be taken
    /// now (or run at once) rather than told to wait.
    pub(crate) fn has_room(&self, bytes: usize) -> bool {
        let room = self.room.borrow();
        room.pass || (!room.crowded() && room.fits(bytes))
    }

    /// `work_room(bytes)` as op `op`: it settles once there is room.
    pub(crate) fn wait_for_room(&self, op: OpId, bytes: usize) {
        self.room.borrow_mut().waiters.push_back((op, bytes));
    }

    /// The `work_room` op to settle now, if the first waiter fits (it gets a
    /// pass: the next `work` call is taken, which is its own, made in the
    /// turn that settles it).
    pub(crate) fn next_with_room(&self) -> Option<OpId> {
        let mut room = self.room.borrow_mut();
        if room.pass {
            return None;
        }
        let &(op, bytes) = room.waiters.front()?;
        if !room.fits(bytes) {
            return None;
        }
        room.waiters.pop_front();
        room.pass = true;
        Some(op)
    }

    /// The turn that settled a `work_room` op is over: a pass it did not use
    /// is given up.
    pub(crate) fn pass_over(&self) {
        self.room.borrow_mut().pass = false;
    }

    /// How many pieces of work are queued or running.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.tickets.borrow().len()
    }

    /// Cancels all work (the isolate is going away).
    pub(crate) fn cancel_all(&self) {
        for (_, t) in self.tickets.borrow_mut().drain() {
            t.cancel.cancel();
        }
        self.queues.borrow_mut().clear();
        *self.room.borrow_mut() = Room::default();
    }
}

impl Drop for HostWork {
    fn drop(&mut self) {
        self.cancel_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Receiver};
    use std::time::Duration;

    fn bound(work: &HostWork) -> Receiver<(u64, Outcome)> {
        let (tx, rx) = channel();
        let tx = parking_lot::Mutex::new(tx);
        work.bind(Arc::new(move |ticket, outcome| {
            let _ = tx.lock().send((ticket, outcome));
        }));
        rx
    }

    fn account() -> Option<Arc<CpuAccount>> {
        Some(CpuAccount::new(Duration::from_secs(60)))
    }

    /// Work returning `n`, of `bytes` input, quick or not.
    fn job(n: f64, bytes: usize, quick: bool) -> Work {
        Work::from_fn(bytes, quick, move |_| Ok(HostValue::Number(n)))
    }

    fn ticket(answer: Answer) -> u64 {
        match answer {
            Answer::Ticket(t) => t,
            other => panic!("expected a ticket, got {other:?}"),
        }
    }

    fn settled(work: &HostWork, rx: &Receiver<(u64, Outcome)>) -> (OpId, HostValue) {
        let (ticket, outcome) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        match work.finished(ticket, outcome) {
            Finished::Settle(op, result) => (op, result.unwrap()),
            other => panic!("expected a result, got {other:?}"),
        }
    }

    #[test]
    fn top_level_and_quick_work_runs_at_once() {
        let work = HostWork::new(None);
        let _rx = bound(&work);
        let done = |a: Answer| match a {
            Answer::Done(v) => v,
            other => panic!("expected a result, got {other:?}"),
        };
        // Top level: at once, whatever it is.
        assert_eq!(
            done(work.call(job(1.0, 1 << 30, false), None, None).unwrap()),
            HostValue::Number(1.0)
        );
        assert_eq!(
            done(work.call(job(2.0, 10, true), Some(1), account()).unwrap()),
            HostValue::Number(2.0)
        );
        assert_eq!(work.len(), 0);
    }

    #[test]
    fn one_events_work_settles_in_order() {
        let work = HostWork::new(None);
        let rx = bound(&work);
        let a = ticket(work.call(job(1.0, 10, false), Some(1), account()).unwrap());
        // Quick, but behind the event's other work: not at once.
        let b = ticket(work.call(job(2.0, 10, true), Some(1), account()).unwrap());
        let c = ticket(work.call(job(3.0, 10, false), Some(1), account()).unwrap());
        for (t, op) in [(a, 100), (b, 101), (c, 102)] {
            work.wait(t, op).unwrap();
        }
        assert!(work.wait(a, 7).is_err(), "one waiter per ticket");
        let order: Vec<_> = (0..3).map(|_| settled(&work, &rx)).collect();
        assert_eq!(
            order,
            vec![
                (100, HostValue::Number(1.0)),
                (101, HostValue::Number(2.0)),
                (102, HostValue::Number(3.0))
            ]
        );
        assert_eq!(work.len(), 0);
        // With nothing going, quick work runs at once again.
        assert!(matches!(
            work.call(job(4.0, 10, true), Some(1), account()).unwrap(),
            Answer::Done(_)
        ));
    }

    #[test]
    fn input_beyond_the_room_waits_its_turn() {
        let work = HostWork::new(None);
        let rx = bound(&work);
        let big = ROOM - 10;
        // A single piece is taken whatever its size.
        let a = ticket(
            work.call(job(1.0, 2 * ROOM, false), Some(1), account())
                .unwrap(),
        );
        work.wait(a, 1).unwrap();
        // More has to wait for room…
        assert!(!work.has_room(big));
        assert!(
            !work.has_room(1),
            "past the room, even a little input waits"
        );
        assert!(matches!(
            work.call(job(2.0, big, false), Some(2), account()).unwrap(),
            Answer::Busy
        ));
        work.wait_for_room(2, big);
        assert_eq!(work.next_with_room(), None);
        // …and so does later, smaller or quick work: the waiter goes first.
        assert!(matches!(
            work.call(job(3.0, 1, true), Some(3), account()).unwrap(),
            Answer::Busy
        ));
        assert_eq!(settled(&work, &rx), (1, HostValue::Number(1.0)));
        // Room: the waiter's next call of that size is taken.
        assert!(!work.has_room(1));
        assert_eq!(work.next_with_room(), Some(2));
        assert_eq!(work.next_with_room(), None, "one pass at a time");
        assert!(work.has_room(big), "the waiter given room may go");
        let b = ticket(work.call(job(2.0, big, false), Some(2), account()).unwrap());
        work.pass_over();
        work.wait(b, 3).unwrap();
        // Past the room again: later work waits.
        assert!(matches!(
            work.call(job(3.0, 20, false), Some(3), account()).unwrap(),
            Answer::Busy
        ));
        assert_eq!(settled(&work, &rx), (3, HostValue::Number(2.0)));
        // A pass the waiter did not use is given up with its turn.
        work.wait_for_room(4, 20);
        assert_eq!(work.next_with_room(), Some(4));
        work.pass_over();
        assert!(matches!(
            work.call(job(3.0, 20, false), Some(3), account()).unwrap(),
            Answer::Ticket(_)
        ));
    }

    #[test]
    fn cancelling_stops_and_forgets_everything() {
        let work = HostWork::new(None);
        let rx = bound(&work);
        let (started_tx, started_rx) = channel();
        let running = Work::from_fn(0, false, move |cancel| {
            started_tx.send(()).unwrap();
            while !cancel.is_cancelled() {
                std::thread::yield_now();
            }
            Ok(HostValue::Null)
        });
        let a = ticket(work.call(running, Some(1), account()).unwrap());
        let b = ticket(work.call(job(2.0, 5, false), Some(1), account()).unwrap());
        work.wait(a, 1).unwrap();
        work.wait(b, 2).unwrap();
        started_rx.recv().unwrap();
        work.cancel_all();
        assert_eq!(work.len(), 0);
        // The running work stops and its outcome finds nothing to settle.
        let (t, outcome) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(t, a);
        assert!(matches!(work.finished(t, outcome), Finished::Nothing));
    }
}
