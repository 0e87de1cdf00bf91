//! The isolate actor: one engine isolate running one Worker, pinned to the
//! executor thread it was started on.
//!
//! Every *turn* of JavaScript (a dispatch or an op's settlement, with the
//! microtasks that follow) runs under the CPU watchdog, drawing on the CPU
//! account of the event it is charged to: the event being dispatched, or the
//! event whose turn started the op being settled. The event's host work on
//! the work pool draws on the same account (see [`crate::work`]); when the
//! account runs out there, the event gets the CPU-limit answer just as when
//! its JavaScript runs out. After each turn the actor checks for a hang:
//! events still waiting while no op is pending and nothing may still call
//! in (an open socket, a stub of an export held elsewhere) can never be
//! answered, and response bodies still being produced while no op is
//! pending can never finish (they end with an error). An event lasts while
//! it waits for its response, has `waitUntil` work, or streams its response
//! body; the body streams of an ended event are released. A broken limit
//! condemns the isolate; it is evicted at once, since every event in flight
//! in it has then been failed.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use motu_engine::{
    Engine, EngineError, HostValue, InterruptHandle, Isolate, IsolateConfig, JsError, OpId,
};
use tokio::sync::oneshot;

use crate::event::fetch_event;
use crate::executors::BusyMark;
use crate::host::IsolateHost;
use crate::registry::MemoryGauge;
use crate::supervisor::{Evicted, EvictionReason, IsolateStarted, Supervisor};
use crate::watchdog::{CpuAccount, Watchdog};
use crate::work::Finished;
use crate::{FetchRequest, FetchResponse, RuntimeError, WorkerSpec};

mod socket_turns;

pub(crate) use socket_turns::{IsolateOwner, SocketInbox};

/// CPU use of one event in flight, and the span its log lines go in.
struct EventCpu {
    account: Arc<CpuAccount>,
    warned: bool,
    span: tracing::Span,
}

/// What an isolate actor needs from the runtime.
#[derive(Clone)]
pub(crate) struct Services {
    /// `None` when CPU limits are not enforced.
    pub(crate) watchdog: Option<Watchdog>,
    pub(crate) supervisor: Addr<Supervisor>,
    /// Told when an isolate stops taking events.
    pub(crate) registry: Option<Recipient<Condemned>>,
    /// Where subrequests go.
    pub(crate) outbound: crate::Outbound,
    /// The stores of storage bindings.
    pub(crate) storage: crate::Storage,
}

/// An isolate no longer takes events: the registry starts another for the
/// next event of its Worker.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Condemned {
    pub(crate) worker: String,
    pub(crate) isolate: Addr<IsolateActor>,
}

/// A turn under the watchdog, or unwatched when limits are off.
struct Turn(Option<crate::watchdog::Turn>);

impl Turn {
    /// Arms the watchdog for a turn on the executor `busy` marks, with
    /// `budget`, or drawing on `account` when there is one; a `measured`
    /// turn is charged the CPU time it uses from its start (see
    /// [`Watchdog::arm_measured`]).
    fn arm(
        services: &Services,
        budget: Duration,
        account: Option<Arc<CpuAccount>>,
        interrupt: &InterruptHandle,
        busy: &BusyMark,
        measured: bool,
    ) -> Self {
        Self(
            services
                .watchdog
                .as_ref()
                .map(|w| w.arm_on(budget, account, interrupt.clone(), busy, measured)),
        )
    }

    /// CPU time used and whether the watchdog terminated the turn.
    fn finish(self) -> (Duration, bool) {
        self.0
            .map_or((Duration::ZERO, false), crate::watchdog::Turn::finish)
    }
}

/// Serves the events of one Worker in one isolate, many at a time.
pub struct IsolateActor {
    spec: Arc<WorkerSpec>,
    isolate: Box<dyn Isolate>,
    interrupt: InterruptHandle,
    host: Rc<IsolateHost>,
    services: Services,
    next_event: u64,
    cpu: HashMap<u64, EventCpu>,
    last_active: Instant,
    /// Set once the isolate takes no new events (and the registry knows).
    condemned: bool,
    /// Set once the isolate is evicted.
    evicted: bool,
    /// The reason it is draining: evicted once its events are answered.
    draining: Option<EvictionReason>,
    /// Events whose wall-clock limit after the response is being timed.
    wall_timed: std::collections::HashSet<u64>,
    /// What the isolate holds in memory as of its latest turns, and whether
    /// JavaScript ran since its last collection, for the registry (measured
    /// at most every [`HEAP_REFRESH`]).
    gauge: Arc<MemoryGauge>,
    /// When the heap was last read into `gauge`.
    heap_read_at: Instant,
    /// Whether a later read of the heap is scheduled.
    heap_read_scheduled: bool,
    /// Whether JavaScript ran since the isolate last collected garbage.
    gc_due: bool,
    /// When the isolate last collected, its heap in use right after and
    /// how many of its Durable Objects had left memory by then (none
    /// before its first collection): see [`IDLE_GC_MIN_GROWTH`].
    last_gc: Option<LastGc>,
    /// Whether a look at a collection skipped for want of growth is
    /// scheduled for when the last collection is [`IDLE_GC_REFRESH`] old.
    gc_refresh_scheduled: bool,
    /// Whether a collection for when the isolate is idle is scheduled.
    idle_gc_scheduled: bool,
    /// Whether the isolate waits in its executor's queue of idle
    /// collections (see [`crate::idle_gc`]).
    idle_gc_queued: bool,
    /// Told when no event waits for its outcome and no `waitUntil` work
    /// goes on.
    quiet_waiters: Vec<oneshot::Sender<()>>,
    /// The heap this isolate last added to its Worker's heap gauge.
    heap_reported: usize,
    /// The memory (footprint) this isolate last added to its Worker's
    /// memory gauge.
    memory_reported: usize,
    /// Its Worker's `motu_isolate_heap_bytes`, resolved once.
    heap_metric: prometheus::IntGauge,
    /// Its Worker's `motu_isolate_memory_bytes`, resolved once.
    memory_metric: prometheus::IntGauge,
    /// Its executor's stall mark, set by the watchdog while a turn of it
    /// runs long.
    busy: BusyMark,
}

/// Turns that hand the isolate at least this many bytes (a body's chunk)
/// are measured with the thread's CPU clock from their start.
const MEASURED_FROM: usize = 16 * 1024;

/// The bytes a value hands the isolate (of a body's chunk or whole body).
fn carried(value: &HostValue) -> usize {
    match value {
        HostValue::Bytes(b) => b.len(),
        HostValue::Chunks(c) => c.iter().map(|c| c.len()).sum(),
        _ => 0,
    }
}

/// While events keep coming, the heap gauge is read at most this often.
const HEAP_REFRESH: Duration = Duration::from_millis(2);

/// How long an isolate must have been idle before it collects the garbage
/// its engine put off while it was busy.
const IDLE_GC_AFTER: Duration = Duration::from_secs(1);

/// An idle isolate whose last collection is less than
/// [`IDLE_GC_REFRESH`] old collects again only once its heap in use has
/// grown by at least this much since: less is all the garbage a collection
/// could give back, unless objects that were live at that collection died
/// since, which the later one catches; or a Durable Object left memory
/// since, whose instance is known to have died (an object with 10,000
/// hibernated sockets leaves tens of MiB of garbage without the heap
/// growing at all): then the next idle collection runs at once. Most requests leave next to nothing
/// behind (QuickJS frees what they built as they return, unless it forms
/// cycles; on V8 a hello request leaves a few KiB for the young
/// generation), and with many Workers under a skewed load most isolates
/// that fall idle served a few requests since their last collection: their
/// executor spent its share of idle-collection time (1/32 of a busy one's)
/// collecting next to nothing, while the isolates that did grow waited
/// behind them in the queue.
const IDLE_GC_MIN_GROWTH: usize = 64 * 1024;

/// How old an isolate's last collection must be for an idle one to collect
/// again whatever its heap's growth (see [`IDLE_GC_MIN_GROWTH`]).
const IDLE_GC_REFRESH: Duration = Duration::from_secs(30);

/// An isolate's last collection, which the next idle one is measured from
/// (see [`IDLE_GC_MIN_GROWTH`]).
#[derive(Clone, Copy)]
struct LastGc {
    /// When it ran.
    at: Instant,
    /// The heap in use right after it.
    used: usize,
    /// How many of the isolate's Durable Objects had left memory by then:
    /// one that left since made its instance garbage without the heap
    /// growing (on QuickJS, cycles that wait for a collection), so the next
    /// idle collection runs whatever the growth.
    departed: u64,
}

impl Actor for IsolateActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let idle = self.spec.limits.idle_timeout;
        let every = (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        ctx.run_interval(every, move |act, ctx| {
            // Open WebSockets keep it: their messages are events to come.
            let quiet = act.host.pending_events() == 0
                && act.host.waiting_events().is_empty()
                && act.host.streaming_responses() == 0
                && act.host.prune_sockets() == 0;
            if quiet && act.last_active.elapsed() >= idle {
                act.evict(EvictionReason::Idle, None, ctx);
            }
        });
        let every =
            (self.spec.durable_idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
        ctx.run_interval(every, |act, ctx| act.evict_idle_objects(ctx));
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.host.socket_inbox().close();
        crate::metrics::isolate_live(&self.spec.name, -1);
        crate::metrics::released(self.gauge.footprint());
        self.report_heap(0, 0);
        self.gauge.release();
        for (_, cpu) in self.cpu.drain() {
            crate::metrics::record_event_end(&self.spec.name, cpu.account.used().as_secs_f64());
        }
        self.host
            .fail_all(RuntimeError::Lost(self.spec.name.clone()));
        tracing::debug!(worker = self.spec.name.as_str(), "isolate stopped");
    }
}

/// A loaded isolate: the isolate, its interrupt, its host and the CPU time
/// its top-level code took.
type Loaded = (Box<dyn Isolate>, InterruptHandle, Rc<IsolateHost>, Duration);

impl IsolateActor {
    /// Creates an isolate of `spec` and evaluates the Worker's code in it on
    /// the calling thread, within the start-up CPU limit (its turn marks
    /// `busy` if it runs long): the isolate, its interrupt, its host and
    /// the CPU time the code took.
    #[allow(clippy::type_complexity)]
    fn load(
        spec: &Arc<WorkerSpec>,
        engine: &dyn Engine,
        config: &IsolateConfig,
        services: &Services,
        busy: &BusyMark,
    ) -> Result<Loaded, RuntimeError> {
        let failed = |error| RuntimeError::StartFailed {
            worker: spec.name.clone(),
            error,
        };
        let host = Rc::new(IsolateHost::new(
            spec.clone(),
            services.outbound.clone(),
            services.watchdog.clone(),
            &services.storage,
        ));
        let mut config = config.clone();
        config.memory_limit = Some(spec.limits.memory_bytes);
        let mut isolate = engine.new_isolate(&config, host.clone()).map_err(failed)?;
        // Terminating a turn also cancels the host work it runs at once.
        let interrupt = crate::work::turn_interrupt(isolate.interrupt_handle(), host.turn_cancel());
        host.set_interrupt(interrupt.clone());
        let turn = Turn::arm(
            services,
            spec.limits.startup_cpu,
            None,
            &interrupt,
            busy,
            false,
        );
        let loaded = isolate
            .load_worker(&spec.code)
            .and_then(|()| isolate.run_microtasks());
        let (cpu, fired) = turn.finish();
        if fired {
            return Err(RuntimeError::StartupCpuLimit {
                worker: spec.name.clone(),
                limit_ms: spec.limits.startup_cpu.as_millis() as u64,
            });
        }
        loaded.map_err(failed)?;
        Ok((isolate, interrupt, host, cpu))
    }

    /// Evaluates the Worker's code in a throwaway isolate on the calling
    /// thread, as [`boot`](Self::boot) would, and lets the isolate go at
    /// once: whether the Worker can start.
    pub(crate) fn check(
        spec: &Arc<WorkerSpec>,
        engine: &dyn Engine,
        config: &IsolateConfig,
        services: &Services,
        busy: &BusyMark,
    ) -> Result<(), RuntimeError> {
        let (isolate, _, host, _) = Self::load(spec, engine, config, services, busy)?;
        drop(isolate);
        host.fail_all(RuntimeError::Lost(spec.name.clone()));
        Ok(())
    }

    /// Creates the isolate and evaluates the Worker on the calling thread
    /// (an executor's), within the start-up CPU limit, then starts the actor
    /// there.
    pub(crate) fn boot(
        spec: Arc<WorkerSpec>,
        engine: &dyn Engine,
        config: &IsolateConfig,
        services: Services,
        gauge: Arc<MemoryGauge>,
        busy: BusyMark,
    ) -> Result<Addr<IsolateActor>, RuntimeError> {
        let began = Instant::now();
        let (isolate, interrupt, host, cpu) = Self::load(&spec, engine, config, &services, &busy)?;
        tracing::info!(
            worker = spec.name.as_str(),
            engine = engine.name(),
            micros = began.elapsed().as_micros() as u64,
            cpu_ms = cpu.as_secs_f64() * 1e3,
            "isolate started"
        );
        // Counted live now; `stopped` counts it out (and its heap).
        let stats = isolate.heap_stats();
        let heap = stats.used;
        crate::metrics::isolate_live(&spec.name, 1);
        let (heap_metric, memory_metric) = crate::metrics::heap_gauges(&spec.name);
        heap_metric.add(heap as i64);
        memory_metric.add(stats.footprint as i64);
        services.supervisor.do_send(IsolateStarted {
            worker: spec.name.clone(),
            micros: began.elapsed().as_micros() as u64,
        });
        gauge.started(stats.footprint);
        Ok(IsolateActor::create(|ctx| {
            host.bind(ctx.address().downgrade());
            IsolateActor {
                spec,
                isolate,
                interrupt,
                host,
                services,
                next_event: 1,
                cpu: HashMap::new(),
                last_active: Instant::now(),
                condemned: false,
                evicted: false,
                draining: None,
                wall_timed: Default::default(),
                gauge,
                heap_read_at: Instant::now(),
                heap_read_scheduled: false,
                gc_due: false,
                last_gc: None,
                gc_refresh_scheduled: false,
                idle_gc_scheduled: false,
                idle_gc_queued: false,
                quiet_waiters: Vec::new(),
                heap_reported: heap,
                memory_reported: stats.footprint,
                heap_metric,
                memory_metric,
                busy,
            }
        }))
    }

    /// Runs one turn of JavaScript charged to `event`, under the watchdog,
    /// then applies the lifecycle policy to what happened. A turn that hands
    /// the isolate `carried` bytes of at least [`MEASURED_FROM`] is charged
    /// the CPU time its thread used, measured from its start, rather than
    /// its wall time when short.
    fn turn(
        &mut self,
        event: Option<u64>,
        carried: usize,
        ctx: &mut Context<Self>,
        run: impl FnOnce(&mut dyn Isolate) -> Result<(), EngineError>,
    ) {
        self.whole_turn(event, carried, ctx, |isolate| {
            run(&mut *isolate).and_then(|()| isolate.run_microtasks())
        });
    }

    /// [`turn`](Self::turn) for an event's dispatch: the engine runs the
    /// dispatch and its microtasks together ([`Isolate::dispatch_turn`]).
    fn dispatch_turn(
        &mut self,
        event: Option<u64>,
        carried: usize,
        ctx: &mut Context<Self>,
        id: u64,
        host_event: HostValue,
    ) {
        self.whole_turn(event, carried, ctx, |isolate| {
            isolate.dispatch_turn(id, host_event)
        });
    }

    /// [`turn`](Self::turn) of a `run` that runs the microtasks itself.
    fn whole_turn(
        &mut self,
        event: Option<u64>,
        carried: usize,
        ctx: &mut Context<Self>,
        run: impl FnOnce(&mut dyn Isolate) -> Result<(), EngineError>,
    ) {
        if self.run_turn(event, carried, ctx, run) {
            self.check_for_hang(ctx);
        }
        self.after_turns(ctx);
    }

    /// The turn itself (see [`turn`](Self::turn)), `run` with the
    /// microtasks that follow it: whether it ended without breaking a
    /// limit (when it broke one, the isolate is evicted). The work between
    /// turns is left to the caller.
    fn run_turn(
        &mut self,
        event: Option<u64>,
        carried: usize,
        ctx: &mut Context<Self>,
        run: impl FnOnce(&mut dyn Isolate) -> Result<(), EngineError>,
    ) -> bool {
        let limit = self.spec.limits.cpu;
        // A turn of no event (or of one that has ended) gets a fresh budget.
        let account = event
            .and_then(|e| self.cpu.get(&e))
            .map_or_else(|| CpuAccount::new(limit), |c| c.account.clone());
        self.host.set_current_event(event, Some(account.clone()));
        if !self.gc_due {
            self.gc_due = true;
            self.gauge.set_dirty(true);
        }
        let span = event.and_then(|e| self.cpu.get(&e)).map(|c| c.span.clone());
        // Lines logged during the turn (console output included) and by
        // what follows from it carry the event's span.
        let _entered = span.as_ref().map(tracing::Span::enter);
        let turn = Turn::arm(
            &self.services,
            Duration::ZERO,
            Some(account.clone()),
            &self.interrupt,
            &self.busy,
            carried >= MEASURED_FROM,
        );
        let result = run(&mut *self.isolate);
        let (_, fired) = turn.finish();
        self.host.set_current_event(None, None);
        if let Some(cpu) = event.and_then(|e| self.cpu.get_mut(&e)) {
            let used = cpu.account.used();
            if !cpu.warned && used >= limit.mul_f64(0.8) {
                cpu.warned = true;
                tracing::warn!(
                    worker = self.spec.name.as_str(),
                    cpu_ms = used.as_secs_f64() * 1e3,
                    limit_ms = limit.as_millis() as u64,
                    "an event passed 80% of its CPU time limit"
                );
            }
        }
        match result {
            _ if fired => self.evict(EvictionReason::CpuLimit, event, ctx),
            Ok(()) => return true,
            Err(EngineError::OutOfMemory) => self.evict(EvictionReason::MemoryLimit, event, ctx),
            Err(error) => {
                tracing::error!(worker = self.spec.name.as_str(), "engine error: {error}");
                self.evict(EvictionReason::Crashed, event, ctx)
            }
        }
        false
    }

    /// The actor's work after one or more turns: ends the events that are
    /// over, releases what they left, times `waitUntil` work, evicts a
    /// drained isolate, reads the heap and schedules an idle collection.
    fn after_turns(&mut self, ctx: &mut Context<Self>) {
        self.last_active = Instant::now();
        crate::idle_gc::turn_ended(self.last_active);
        let host = &self.host;
        let worker = self.spec.name.as_str();
        self.cpu.retain(|id, cpu| {
            let live = host.is_pending(*id) || host.is_waiting(*id) || host.is_streaming(*id);
            if !live {
                crate::metrics::record_event_end(worker, cpu.account.used().as_secs_f64());
                host.trace_end(*id, None);
            }
            live
        });
        host.sweep_streams();
        host.forget_finished_events();
        self.time_waits(ctx);
        if let Some(reason) = self.draining {
            if self.drained(reason) {
                self.evict(reason, None, ctx);
            }
        }
        // Also while events are pending: an event that keeps memory while
        // it waits counts against the server's memory budget.
        self.refresh_heap(ctx);
        self.gauge.set_sockets(self.host.open_sockets());
        if self.host.pending_events() == 0 {
            self.schedule_idle_gc(ctx, IDLE_GC_AFTER);
            if self.host.waiting_events().is_empty() {
                for waiter in self.quiet_waiters.drain(..) {
                    let _ = waiter.send(());
                }
            }
        }
    }

    /// Reads the heap into the gauge now that a turn ended, or, if it was
    /// read less than [`HEAP_REFRESH`] ago (events keep coming), once that
    /// time is up: reading an engine's heap statistics costs as much as a
    /// small part of a request.
    fn refresh_heap(&mut self, ctx: &mut Context<Self>) {
        if self.heap_read_at.elapsed() >= HEAP_REFRESH {
            self.read_heap();
        } else if !self.heap_read_scheduled {
            self.heap_read_scheduled = true;
            ctx.run_later(HEAP_REFRESH, |act, _| {
                act.heap_read_scheduled = false;
                if !act.evicted {
                    act.read_heap();
                }
            });
        }
    }

    /// Makes sure a collection is scheduled for when the isolate has been
    /// idle for [`IDLE_GC_AFTER`] (at most one is scheduled at a time).
    fn schedule_idle_gc(&mut self, ctx: &mut Context<Self>, after: Duration) {
        if self.idle_gc_scheduled || !self.gc_due {
            return;
        }
        self.idle_gc_scheduled = true;
        ctx.run_later(after, |act, ctx| {
            act.idle_gc_scheduled = false;
            act.idle_gc(ctx);
        });
    }

    /// Whether no event is pending, waiting for `waitUntil` work or
    /// streaming its response.
    fn quiet(&self) -> bool {
        self.host.pending_events() == 0
            && self.host.waiting_events().is_empty()
            && self.host.streaming_responses() == 0
    }

    /// Once the isolate has been idle for [`IDLE_GC_AFTER`] (no event
    /// pending, waiting or streaming) and JavaScript ran since the last
    /// collection, joins its executor's queue of idle collections (see
    /// [`crate::idle_gc`]); otherwise looks again when that time would be
    /// up. Engines put collections off while a Worker is busy; this is
    /// where an idle isolate gives back what they put off.
    fn idle_gc(&mut self, ctx: &mut Context<Self>) {
        if self.evicted || !self.gc_due || self.idle_gc_queued {
            return;
        }
        let idle_for = self.last_active.elapsed();
        if !self.quiet() {
            self.schedule_idle_gc(ctx, IDLE_GC_AFTER);
            return;
        }
        if idle_for < IDLE_GC_AFTER {
            let wait = (IDLE_GC_AFTER - idle_for).max(HEAP_REFRESH);
            self.schedule_idle_gc(ctx, wait);
            return;
        }
        if let Some(last) = self.last_gc {
            let since = last.at.elapsed();
            if since < IDLE_GC_REFRESH
                && last.departed == self.host.durable_objects().departed()
                && self.isolate.heap_stats().used < last.used.saturating_add(IDLE_GC_MIN_GROWTH)
            {
                // Still due (memory pressure may have it collect); looks
                // again when the last collection is old enough, unless a
                // turn schedules it sooner.
                crate::metrics::idle_collection_skipped();
                if !self.gc_refresh_scheduled {
                    self.gc_refresh_scheduled = true;
                    ctx.run_later(IDLE_GC_REFRESH - since, |act, ctx| {
                        act.gc_refresh_scheduled = false;
                        act.idle_gc(ctx);
                    });
                }
                return;
            }
        }
        self.idle_gc_queued = true;
        crate::idle_gc::enqueue(ctx.address().downgrade());
    }

    /// Collects garbage now, charges the time to the executor's budget of
    /// idle collections and reads the heap.
    fn collect(&mut self) {
        let held = self.gauge.footprint();
        let began = Instant::now();
        self.isolate.collect_garbage();
        let took = began.elapsed();
        crate::idle_gc::charge(took);
        crate::metrics::idle_collected(took.as_secs_f64());
        self.gc_due = false;
        let used = self.read_heap();
        crate::metrics::released(held.saturating_sub(self.gauge.footprint()));
        self.last_gc = Some(LastGc {
            at: Instant::now(),
            used,
            departed: self.host.durable_objects().departed(),
        });
        self.gauge.set_dirty(false);
    }

    /// Measures the isolate's memory into the gauge and its heap in use
    /// into the metrics; the heap in use.
    fn read_heap(&mut self) -> usize {
        let stats = self.isolate.heap_stats();
        self.gauge.set(stats.footprint);
        self.report_heap(stats.used, stats.footprint);
        self.heap_read_at = Instant::now();
        stats.used
    }

    /// Moves the Worker's heap and memory gauges from what this isolate
    /// last reported to `heap` and `memory` bytes.
    fn report_heap(&mut self, heap: usize, memory: usize) {
        let delta = heap as i64 - self.heap_reported as i64;
        if delta != 0 {
            self.heap_metric.add(delta);
        }
        self.heap_reported = heap;
        let delta = memory as i64 - self.memory_reported as i64;
        if delta != 0 {
            self.memory_metric.add(delta);
        }
        self.memory_reported = memory;
    }

    /// Starts keeping event `id`: its CPU use and its log span.
    fn begin_event(&mut self, id: u64, span: tracing::Span) {
        crate::metrics::event_started();
        self.cpu.insert(
            id,
            EventCpu {
                account: CpuAccount::new(self.spec.limits.cpu),
                warned: false,
                span,
            },
        );
    }

    /// Whether an isolate condemned for `reason` has nothing left to finish:
    /// no event waits for its response and, unless `waitUntil` work is what
    /// broke the limit, no such work goes on.
    fn drained(&self, reason: EvictionReason) -> bool {
        self.host.pending_events() == 0
            && (reason == EvictionReason::WallClock
                || (self.host.waiting_events().is_empty() && self.host.streaming_responses() == 0))
    }

    /// Starts the wall-clock limit of every event answered while its
    /// `waitUntil` work goes on.
    fn time_waits(&mut self, ctx: &mut Context<Self>) {
        let limit = self.spec.limits.wall_after_response;
        for id in self.host.waiting_events() {
            if self.host.is_pending(id) || !self.wall_timed.insert(id) {
                continue;
            }
            ctx.run_later(limit, move |act, ctx| {
                act.wall_timed.remove(&id);
                if act.host.is_waiting(id) {
                    tracing::warn!(
                        worker = act.spec.name.as_str(),
                        limit_ms = limit.as_millis() as u64,
                        "waitUntil work outlived its wall-clock limit after the response"
                    );
                    act.condemn(EvictionReason::WallClock, ctx);
                }
            });
        }
    }

    /// Stops taking events; the isolate is evicted for `reason` once the
    /// events in flight are answered.
    fn condemn(&mut self, reason: EvictionReason, ctx: &mut Context<Self>) {
        if self.condemned {
            return;
        }
        self.stop_taking_events(ctx);
        if self.drained(reason) {
            self.evict(reason, None, ctx);
        } else {
            self.draining = Some(reason);
        }
    }

    /// Refuses new events from now on and tells the registry.
    fn stop_taking_events(&mut self, ctx: &mut Context<Self>) {
        if self.condemned {
            return;
        }
        self.condemned = true;
        self.host.set_draining();
        if let Some(registry) = &self.services.registry {
            registry.do_send(Condemned {
                worker: self.spec.name.clone(),
                isolate: ctx.address(),
            });
        }
    }

    /// Events that still wait while no op is pending can never be answered;
    /// `waitUntil` promises in that state can never settle and are dropped.
    fn check_for_hang(&mut self, ctx: &mut Context<Self>) {
        // An open WebSocket, or another isolate holding a stub of what this
        // one exported (a callback it may still call), may still bring
        // events.
        if self.host.pending_ops() > 0 || self.host.open_sockets() > 0 || self.host.exports_held() {
            return;
        }
        if self.host.pending_events() > 0 {
            self.evict(EvictionReason::Hang, None, ctx);
            return;
        }
        let aborted = self
            .host
            .abort_streaming_responses("the Worker's response body can never finish");
        if aborted > 0 {
            tracing::warn!(
                worker = self.spec.name.as_str(),
                streams = aborted,
                "a response body can never finish (nothing is left that could produce it); it ends with an error"
            );
        }
        if !self.host.waiting_events().is_empty() {
            tracing::warn!(
                worker = self.spec.name.as_str(),
                "a waitUntil promise can never settle; it is dropped"
            );
            self.host.forget_waits();
        }
    }

    /// Condemns the isolate: fails `event` with the error of `reason` and
    /// every other event in flight as evicted, reports to the supervisor and
    /// stops the actor.
    fn evict(&mut self, reason: EvictionReason, event: Option<u64>, ctx: &mut Context<Self>) {
        if self.evicted {
            return;
        }
        self.evicted = true;
        self.host.socket_inbox().close();
        self.stop_taking_events(ctx);
        let worker = self.spec.name.clone();
        let cpu_ms = event
            .and_then(|e| self.cpu.get(&e))
            .map_or(0.0, |c| c.account.used().as_secs_f64() * 1e3);
        let in_flight = self.host.pending_events();
        let limits = self.spec.limits;
        let error = match reason {
            EvictionReason::CpuLimit => RuntimeError::CpuLimit {
                worker: worker.clone(),
                limit_ms: limits.cpu.as_millis() as u64,
            },
            EvictionReason::MemoryLimit => RuntimeError::MemoryLimit {
                worker: worker.clone(),
                limit_mb: (limits.memory_bytes >> 20) as u64,
            },
            EvictionReason::Hang => RuntimeError::Hang(worker.clone()),
            EvictionReason::Crashed
            | EvictionReason::Idle
            | EvictionReason::WallClock
            | EvictionReason::Pressure
            | EvictionReason::Reload => RuntimeError::Evicted {
                worker: worker.clone(),
                reason,
            },
        };
        if let Some(id) = event {
            self.host.trace_end(id, Some(reason));
        }
        // Other events still going on were cut off.
        self.host.trace_end_all(EvictionReason::Reload);
        match event {
            Some(id) => self.host.fail(id, error),
            // A hang fails every waiting event with the hang's error.
            None if reason == EvictionReason::Hang => self.host.fail_all(error),
            None => {}
        }
        self.host.fail_all(RuntimeError::Evicted {
            worker: worker.clone(),
            reason,
        });
        self.host
            .release_streams(&format!("the Worker's isolate was evicted ({reason})"));
        self.host.cancel_work();
        let sockets = self
            .host
            .close_sockets(1011, crate::websocket::eviction_reason(reason));
        if sockets > 0 {
            tracing::warn!(
                worker = self.spec.name.as_str(),
                sockets,
                "the evicted isolate's WebSockets were closed (1011)"
            );
        }
        self.services.supervisor.do_send(Evicted {
            worker,
            reason,
            cpu_ms,
            heap_bytes: self.isolate.heap_stats().used,
            in_flight,
        });
        ctx.stop();
    }
}

/// A fetch event for the actor's Worker.
#[derive(Debug)]
pub struct Fetch(pub FetchRequest);

impl Message for Fetch {
    type Result = Result<FetchResponse, RuntimeError>;
}

impl Handler<Fetch> for IsolateActor {
    type Result = ResponseFuture<Result<FetchResponse, RuntimeError>>;

    fn handle(&mut self, mut msg: Fetch, ctx: &mut Self::Context) -> Self::Result {
        // The event leaves the executor's queue: it starts now (or is
        // refused).
        drop(msg.0.extensions_mut().remove::<crate::metrics::Queued>());
        let worker = self.spec.name.clone();
        // Its sender may have taken it back (its executor had stalled),
        // to send it to another isolate.
        if let Some(claim) = msg.0.extensions_mut().remove::<crate::moving::Claim>() {
            if !claim.start() {
                return Box::pin(async move { Err(RuntimeError::Unavailable(worker)) });
            }
        }
        let extensions = msg.0.extensions();
        let nested = extensions.get::<crate::ObjectTarget>().is_some()
            && extensions
                .get::<crate::durable::draining::FromDraining>()
                .is_some_and(|d| d.now());
        let Some((id, rx)) = self.new_event(nested) else {
            return Box::pin(async move { Err(RuntimeError::Unavailable(worker)) });
        };
        // Taken for good: the sender need not keep the body for a retry.
        if let Some(taken) = msg.0.extensions_mut().remove::<crate::body::BodyTaken>() {
            taken.taken();
        }
        let request_id = crate::request_id::request_id_of(&msg.0);
        let span = tracing::info_span!(
            "request",
            worker = worker.as_str(),
            request_id = tracing::field::Empty
        );
        if let Some(request_id) = &request_id {
            span.record("request_id", request_id.as_str());
        }
        self.begin_event(id, span);
        self.host.set_request_id(id, request_id);
        self.host.set_depth(id, crate::service::depth_of(&msg.0));
        let entrypoint = crate::service::entrypoint_of(&msg.0);
        let props = crate::service::props_of(&msg.0);
        let (parts, body) = msg.0.into_parts();
        // A whole body as its bytes (once the sender let go of its copy,
        // above, usually without a copy) or as the pieces it was read in,
        // which the engine copies straight into the Worker's buffer.
        let body = match body.into_whole_value(usize::MAX) {
            Ok(whole) => whole,
            Err(body) => HostValue::Number(self.host.open_readable_for(body, id) as f64),
        };
        let size = carried(&body);
        let mut event = fetch_event(&parts, body);
        if self.host.traced() {
            let url = match &event {
                HostValue::List(l) => l.get(1).and_then(HostValue::as_str).unwrap_or(""),
                _ => "",
            };
            let traced = crate::dynamic::tails::TracedEvent::Fetch {
                method: parts.method.as_str().to_owned(),
                url: url.to_owned(),
            };
            self.host.trace_begin(id, traced);
        }
        // `[…, entrypoint, props]` after the request's own fields, as far
        // as they are given (see the prelude's `dispatchFetch`).
        if let HostValue::List(list) = &mut event {
            if entrypoint.is_some() || props.is_some() {
                list.push(entrypoint.map_or(HostValue::Null, Into::into));
            }
            if let Some(props) = props {
                list.push(props);
            }
        }
        let event = match parts.extensions.get::<crate::ObjectTarget>() {
            Some(target) => match parts.extensions.get::<crate::durable::AlarmEvent>() {
                Some(alarm) => {
                    let info = HostValue::Map(vec![
                        (
                            "retryCount".into(),
                            HostValue::Number(alarm.retry_count.into()),
                        ),
                        ("isRetry".into(), HostValue::Bool(alarm.retry_count > 0)),
                    ]);
                    self.host.durable_objects().event(target, id, "alarm", info)
                }
                None => match parts
                    .extensions
                    .get::<crate::durable::websockets::SocketWake>()
                {
                    Some(wake) => {
                        self.host
                            .durable_objects()
                            .event(target, id, "websocket", wake.payload())
                    }
                    None => self
                        .host
                        .durable_objects()
                        .event(target, id, "fetch", event),
                },
            },
            None => event,
        };
        self.dispatch_turn(Some(id), size, ctx, id, event);
        Box::pin(async move { rx.await.unwrap_or(Err(RuntimeError::Lost(worker))) })
    }
}

impl IsolateActor {
    /// The Durable Objects the isolate hosts.
    pub(crate) fn durable_objects(&self) -> &crate::durable::objects::Objects {
        self.host.durable_objects()
    }

    /// Lets the Durable Objects that had no event for their idle timeout
    /// leave memory: the prelude drops each (`durable_evict`), in a turn
    /// of no event.
    fn evict_idle_objects(&mut self, ctx: &mut Context<Self>) {
        if self.evicted || self.host.durable_objects().live_count() == 0 {
            return;
        }
        let host = self.host.clone();
        let idle = host.durable_objects().take_idle(
            |e| host.is_pending(e) || host.is_waiting(e),
            |s| host.socket_open(s),
        );
        for slot in idle {
            let id = self.next_event;
            self.next_event += 1;
            let event = HostValue::Map(vec![
                ("type".into(), "durable_evict".into()),
                ("slot".into(), HostValue::Number(slot.into())),
            ]);
            self.dispatch_turn(None, 0, ctx, id, event);
        }
    }

    /// A new event's id and where its outcome will arrive; `None` when the
    /// isolate takes no new events (once condemned, it still takes an
    /// object's event made by an event of a condemned isolate: `nested`,
    /// see `crate::durable::draining`).
    fn new_event(
        &mut self,
        nested: bool,
    ) -> Option<(u64, oneshot::Receiver<Result<FetchResponse, RuntimeError>>)> {
        if !crate::durable::draining::takes(self.condemned, self.evicted, nested) {
            return None;
        }
        let id = self.next_event;
        self.next_event += 1;
        let (tx, rx) = oneshot::channel();
        self.host.expect(id, tx);
        Some((id, rx))
    }
}

/// A scheduled event for the actor's Worker: its cron expression and the
/// time it was scheduled for, in milliseconds since the Unix epoch.
#[derive(Debug, Clone)]
pub struct Scheduled {
    /// The trigger's cron expression (`event.cron`).
    pub cron: String,
    /// When the trigger was due (`event.scheduledTime`), in ms since the epoch.
    pub scheduled_time: f64,
}

impl Message for Scheduled {
    type Result = Result<(), RuntimeError>;
}

impl Handler<Scheduled> for IsolateActor {
    type Result = ResponseFuture<Result<(), RuntimeError>>;

    fn handle(&mut self, msg: Scheduled, ctx: &mut Self::Context) -> Self::Result {
        let worker = self.spec.name.clone();
        let Some((id, rx)) = self.new_event(false) else {
            return Box::pin(async move { Err(RuntimeError::Unavailable(worker)) });
        };
        let span = tracing::info_span!(
            "scheduled",
            worker = worker.as_str(),
            cron = msg.cron.as_str()
        );
        self.begin_event(id, span);
        // The whole event, waitUntil work included, has a wall-clock limit.
        let limit = self.spec.limits.scheduled_wall;
        ctx.run_later(limit, move |act, ctx| {
            if act.host.is_pending(id) || act.host.is_waiting(id) {
                tracing::warn!(
                    worker = act.spec.name.as_str(),
                    limit_ms = limit.as_millis() as u64,
                    "a scheduled event outlived its wall-clock limit"
                );
                act.evict(EvictionReason::WallClock, Some(id), ctx);
            }
        });
        let event = HostValue::Map(vec![
            ("type".into(), "scheduled".into()),
            ("cron".into(), msg.cron.into()),
            (
                "scheduledTime".into(),
                HostValue::Number(msg.scheduled_time),
            ),
        ]);
        self.dispatch_turn(Some(id), 0, ctx, id, event);
        Box::pin(async move {
            rx.await
                .unwrap_or(Err(RuntimeError::Lost(worker)))
                .map(drop)
        })
    }
}

/// What [`IsolateActor::start_limited_event`] returns: the Worker's name
/// and where the event's outcome will arrive.
pub(crate) type StartedEvent = (
    String,
    oneshot::Receiver<Result<FetchResponse, RuntimeError>>,
);

impl IsolateActor {
    /// Starts a queue or email event (`event`, carrying `size` bytes) the
    /// way a scheduled event starts: in the span `span` makes of the
    /// Worker's name, the scheduled events' wall-clock limit over the whole
    /// event (`what` names the event in the log line of one that outlives
    /// it), one turn to dispatch it. `prepare` runs with the event's id
    /// before the dispatch. `Err`: the isolate takes no new events (the
    /// Worker's name).
    pub(crate) fn start_limited_event(
        &mut self,
        span: impl FnOnce(&str) -> tracing::Span,
        what: &'static str,
        prepare: impl FnOnce(&IsolateHost, u64),
        event: HostValue,
        size: usize,
        ctx: &mut Context<Self>,
    ) -> Result<StartedEvent, String> {
        let worker = self.spec.name.clone();
        let Some((id, rx)) = self.new_event(false) else {
            return Err(worker);
        };
        self.begin_event(id, span(&worker));
        prepare(&self.host, id);
        let limit = self.spec.limits.scheduled_wall;
        ctx.run_later(limit, move |act, ctx| {
            if act.host.is_pending(id) || act.host.is_waiting(id) {
                tracing::warn!(
                    worker = act.spec.name.as_str(),
                    limit_ms = limit.as_millis() as u64,
                    "{what} outlived its wall-clock limit"
                );
                act.evict(EvictionReason::WallClock, Some(id), ctx);
            }
        });
        self.dispatch_turn(Some(id), size, ctx, id, event);
        Ok((worker, rx))
    }
}

impl IsolateActor {
    /// Starts an event the way a fetch event starts (its own CPU budget,
    /// no wall-clock limit of its own), in the span `span` makes of the
    /// Worker's name: `prepare` gives, with the event's id, what the
    /// prelude's `dispatch` hook gets, carrying `size` bytes. `Err`: the
    /// isolate takes no new events (the Worker's name; a condemned isolate
    /// still takes a `nested` one, see `crate::durable::draining`). Used
    /// by RPC calls (`crate::rpc`).
    pub(crate) fn start_event(
        &mut self,
        span: impl FnOnce(&str) -> tracing::Span,
        prepare: impl FnOnce(&IsolateHost, u64) -> HostValue,
        size: usize,
        nested: bool,
        ctx: &mut Context<Self>,
    ) -> Result<StartedEvent, String> {
        let worker = self.spec.name.clone();
        let Some((id, rx)) = self.new_event(nested) else {
            return Err(worker);
        };
        self.begin_event(id, span(&worker));
        let event = prepare(&self.host, id);
        self.dispatch_turn(Some(id), size, ctx, id, event);
        Ok((worker, rx))
    }

    /// The isolate's host.
    pub(crate) fn host(&self) -> &IsolateHost {
        &self.host
    }

    /// Runs one turn of no event that hands the prelude `event` (0 as its
    /// id), unless the isolate is gone.
    pub(crate) fn turn_without_event(&mut self, event: HostValue, ctx: &mut Context<Self>) {
        if self.evicted {
            return;
        }
        self.dispatch_turn(None, 0, ctx, 0, event);
    }
}

/// Resolves once the isolate is quiet: no event waits for its outcome and
/// no `waitUntil` work goes on (or once it is gone).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct WhenQuiet;

impl Handler<WhenQuiet> for IsolateActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: WhenQuiet, _ctx: &mut Self::Context) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        if self.host.pending_events() == 0 && self.host.waiting_events().is_empty() {
            let _ = tx.send(());
        } else {
            self.quiet_waiters.push(tx);
        }
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// The isolate's turn in its executor's queue of idle collections has come
/// (see [`crate::idle_gc`]): it collects if it is still idle, and otherwise
/// waits until it is idle again.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct CollectIdle;

impl Handler<CollectIdle> for IsolateActor {
    type Result = ();

    fn handle(&mut self, _msg: CollectIdle, ctx: &mut Self::Context) {
        self.idle_gc_queued = false;
        if self.evicted || !self.gc_due {
            return;
        }
        if self.quiet() && self.last_active.elapsed() >= IDLE_GC_AFTER {
            self.collect();
        } else {
            self.idle_gc(ctx);
        }
    }
}

/// Collects garbage now if the isolate is quiet (no event pending, waiting
/// or streaming) and ran JavaScript since its last collection, whatever
/// its executor's pace of idle collections: the server is over its memory
/// budget.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct CollectNow;

impl Handler<CollectNow> for IsolateActor {
    type Result = ();

    fn handle(&mut self, _msg: CollectNow, _ctx: &mut Self::Context) {
        if !self.evicted && self.gc_due && self.quiet() {
            self.collect();
        }
    }
}

/// Condemns the isolate from outside (memory pressure, a reload): it takes
/// no new events and is evicted for the reason once its events are answered
/// and its `waitUntil` work has settled.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Condemn(pub EvictionReason);

impl Handler<Condemn> for IsolateActor {
    type Result = ();

    fn handle(&mut self, Condemn(reason): Condemn, ctx: &mut Self::Context) {
        self.condemn(reason, ctx);
    }
}

/// An async op finished; its promise is settled in the isolate.
pub(crate) struct OpDone {
    pub(crate) id: OpId,
    pub(crate) result: Result<HostValue, JsError>,
}

impl Message for OpDone {
    type Result = ();
}

impl Handler<OpDone> for IsolateActor {
    type Result = ();

    fn handle(&mut self, msg: OpDone, ctx: &mut Self::Context) {
        if self.evicted {
            return;
        }
        let event = self.host.op_finished(msg.id);
        let size = msg.result.as_ref().map_or(0, carried);
        self.turn(event, size, ctx, |isolate| {
            isolate.settle(msg.id, msg.result)
        });
    }
}

/// Host work finished on the work pool (or its event ran out of CPU time).
pub(crate) struct WorkDone {
    pub(crate) ticket: u64,
    pub(crate) outcome: crate::work::pool::Outcome,
}

impl Message for WorkDone {
    type Result = ();
}

impl Handler<WorkDone> for IsolateActor {
    type Result = ();

    fn handle(&mut self, msg: WorkDone, ctx: &mut Self::Context) {
        if self.evicted {
            return;
        }
        match self.host.work_finished(msg.ticket, msg.outcome) {
            Finished::Settle(op, result) => {
                let event = self.host.op_finished(op);
                let size = result.as_ref().map_or(0, carried);
                self.turn(event, size, ctx, |isolate| isolate.settle(op, result));
            }
            Finished::OverBudget(event, used) => {
                if !event.is_some_and(|e| self.cpu.contains_key(&e)) {
                    tracing::warn!(
                        worker = self.spec.name.as_str(),
                        cpu_ms = used.as_secs_f64() * 1e3,
                        limit_ms = self.spec.limits.cpu.as_millis() as u64,
                        "host work that went on after its event ended ran out of the event's CPU time"
                    );
                }
                self.evict(EvictionReason::CpuLimit, event, ctx);
            }
            Finished::Nothing => {}
        }
        self.wake_room(ctx);
    }
}

/// A `work_room` op may be able to go on.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct WakeRoom;

impl Handler<WakeRoom> for IsolateActor {
    type Result = ();

    fn handle(&mut self, _msg: WakeRoom, ctx: &mut Self::Context) {
        self.wake_room(ctx);
    }
}

impl IsolateActor {
    /// Settles the `work_room` ops that have room now, one turn each, in
    /// the order they asked.
    fn wake_room(&mut self, ctx: &mut Context<Self>) {
        while !self.evicted {
            let Some(op) = self.host.next_with_room() else {
                return;
            };
            let event = self.host.op_finished(op);
            self.turn(event, 0, ctx, |isolate| {
                isolate.settle(op, Ok(HostValue::Undefined))
            });
            self.host.room_pass_over();
        }
    }
}
