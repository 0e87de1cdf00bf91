//! The supervisor actor: hears of every isolate start and eviction, logs it
//! with its figures and keeps the counts.
//!
//! The limits themselves are enforced where the JavaScript runs: the CPU
//! watchdog (see `watchdog`) terminates a turn that used up its budget, the
//! engine's heap limit stops an allocation bomb, and the isolate actor
//! detects a hang. What happens next is the lifecycle policy: the isolate is
//! condemned, its in-flight events are failed (the one that broke the limit
//! with the limit's error, the others with [`RuntimeError::Evicted`]
//! (crate::RuntimeError::Evicted)), it is evicted, and the next event for the
//! Worker starts a fresh isolate.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use actix::prelude::*;

/// Why an isolate was evicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvictionReason {
    /// An event used up its CPU time.
    CpuLimit,
    /// The isolate reached its heap limit.
    MemoryLimit,
    /// An event's response could never be produced: nothing was left that
    /// could settle it.
    Hang,
    /// `waitUntil` work went on longer than `wall_ms_after_response` after
    /// its response.
    WallClock,
    /// The engine failed in a way no limit explains.
    Crashed,
    /// No events arrived for the idle timeout.
    Idle,
    /// The server was over `max_isolates` or `memory_budget_mb`: the least
    /// recently used idle isolates go first.
    Pressure,
    /// The Worker was registered again (new code or settings); the old
    /// isolates finish what they have and go.
    Reload,
}

impl fmt::Display for EvictionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// How many evictions [`SupervisorStats::recent`] keeps.
pub const RECENT_EVICTIONS: usize = 256;

/// Counts the supervisor has kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SupervisorStats {
    /// Isolates started, per Worker.
    pub starts: BTreeMap<String, u64>,
    /// Of those, the starts that replaced an evicted isolate, per Worker.
    pub restarts: BTreeMap<String, u64>,
    /// Scheduled events run, per Worker and outcome.
    pub scheduled: BTreeMap<(String, ScheduledOutcome), u64>,
    /// Evictions, per Worker and reason.
    pub evictions: BTreeMap<(String, EvictionReason), u64>,
    /// The latest evictions with their figures, oldest first (at most
    /// [`RECENT_EVICTIONS`]).
    pub recent: VecDeque<Evicted>,
}

impl SupervisorStats {
    /// Evictions of `worker` for `reason`.
    pub fn evictions_of(&self, worker: &str, reason: EvictionReason) -> u64 {
        self.evictions
            .get(&(worker.to_owned(), reason))
            .copied()
            .unwrap_or(0)
    }
}

/// Logs and counts isolate starts and evictions.
#[derive(Default)]
pub struct Supervisor {
    stats: SupervisorStats,
    /// Per Worker, evictions not yet followed by a start: the next start of
    /// that Worker is a restart, logged with the reason it replaces.
    unreplaced: BTreeMap<String, VecDeque<EvictionReason>>,
}

impl Actor for Supervisor {
    type Context = Context<Self>;
}

/// An isolate started.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct IsolateStarted {
    /// The Worker.
    pub worker: String,
    /// How long creating it and evaluating the Worker took.
    pub micros: u64,
}

impl Handler<IsolateStarted> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: IsolateStarted, _ctx: &mut Self::Context) {
        let replaced = self
            .unreplaced
            .get_mut(&msg.worker)
            .and_then(VecDeque::pop_front);
        if let Some(previous) = replaced {
            *self.stats.restarts.entry(msg.worker.clone()).or_default() += 1;
            tracing::info!(
                worker = msg.worker.as_str(),
                after = previous.to_string(),
                micros = msg.micros,
                "isolate restarted"
            );
        }
        crate::metrics::isolate_started(&msg.worker);
        *self.stats.starts.entry(msg.worker).or_default() += 1;
    }
}

/// An isolate was evicted.
#[derive(Debug, Clone, PartialEq, Message)]
#[rtype(result = "()")]
pub struct Evicted {
    /// The Worker.
    pub worker: String,
    /// Why.
    pub reason: EvictionReason,
    /// CPU time the event that broke a limit had used, in milliseconds.
    pub cpu_ms: f64,
    /// The isolate's heap in use when it was evicted, in bytes.
    pub heap_bytes: usize,
    /// Events in flight that were failed with it.
    pub in_flight: usize,
}

impl Handler<Evicted> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: Evicted, _ctx: &mut Self::Context) {
        let heap_mb = msg.heap_bytes as f64 / (1 << 20) as f64;
        let fields = (
            msg.worker.as_str(),
            msg.reason.to_string(),
            msg.cpu_ms,
            heap_mb,
            msg.in_flight,
        );
        let queue = self.unreplaced.entry(msg.worker.clone()).or_default();
        if queue.len() == RECENT_EVICTIONS {
            queue.pop_front();
        }
        queue.push_back(msg.reason);
        if matches!(msg.reason, EvictionReason::Idle | EvictionReason::Reload) {
            tracing::info!(
                worker = fields.0,
                reason = fields.1,
                cpu_ms = fields.2,
                heap_mb = fields.3,
                in_flight = fields.4,
                "isolate evicted"
            );
        } else {
            tracing::warn!(
                worker = fields.0,
                reason = fields.1,
                cpu_ms = fields.2,
                heap_mb = fields.3,
                in_flight = fields.4,
                "isolate evicted"
            );
        }
        crate::metrics::isolate_evicted(&msg.worker, &fields.1);
        *self
            .stats
            .evictions
            .entry((msg.worker.clone(), msg.reason))
            .or_default() += 1;
        if self.stats.recent.len() == RECENT_EVICTIONS {
            self.stats.recent.pop_front();
        }
        self.stats.recent.push_back(msg);
    }
}

/// How a scheduled event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScheduledOutcome {
    /// The handler finished.
    Ok,
    /// The handler threw or its promise rejected.
    Exception,
    /// The event broke a limit (CPU, memory, wall clock, a hang).
    Limit,
    /// It could not run: the Worker failed to start or is unknown.
    Failed,
}

impl ScheduledOutcome {
    /// The outcome of a scheduled event that ended with `result`.
    pub fn of(result: &Result<(), crate::RuntimeError>) -> Self {
        use crate::RuntimeError as E;
        match result {
            Ok(()) => Self::Ok,
            Err(E::Exception { .. }) => Self::Exception,
            Err(E::CpuLimit { .. } | E::MemoryLimit { .. } | E::Hang(_) | E::Evicted { .. }) => {
                Self::Limit
            }
            Err(_) => Self::Failed,
        }
    }
}

impl fmt::Display for ScheduledOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A scheduled event ended.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ScheduledRan {
    /// The Worker.
    pub worker: String,
    /// The trigger's cron expression.
    pub cron: String,
    /// How it ended.
    pub outcome: ScheduledOutcome,
    /// How long it took, in milliseconds.
    pub millis: f64,
    /// The error, when it failed.
    pub error: Option<String>,
}

impl Handler<ScheduledRan> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: ScheduledRan, _ctx: &mut Self::Context) {
        let (worker, cron) = (msg.worker.as_str(), msg.cron.as_str());
        let outcome = msg.outcome.to_string();
        match &msg.error {
            None => tracing::info!(
                worker,
                cron,
                outcome,
                ms = msg.millis,
                "scheduled event ran"
            ),
            Some(error) => {
                tracing::warn!(
                    worker,
                    cron,
                    outcome,
                    ms = msg.millis,
                    "scheduled event failed: {error}"
                )
            }
        }
        crate::metrics::scheduled_ran(&msg.worker, &outcome);
        *self
            .stats
            .scheduled
            .entry((msg.worker, msg.outcome))
            .or_default() += 1;
    }
}

/// Asks for the counts.
#[derive(Debug, Message)]
#[rtype(result = "SupervisorStats")]
pub struct GetStats;

impl Handler<GetStats> for Supervisor {
    type Result = MessageResult<GetStats>;

    fn handle(&mut self, _msg: GetStats, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.stats.clone())
    }
}
