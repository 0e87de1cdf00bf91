//! The registry actor: every registered Worker and its live isolate.

mod check;
mod pressure;

pub use check::{CheckInBackground, Checked};
pub(crate) use pressure::MemoryGauge;
use pressure::{PoolMemory, Victims};

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use actix::prelude::*;
use futures::future::{BoxFuture, FutureExt, Shared};
use motu_config::PoolLimits;
use motu_engine::{Engine, IsolateConfig};
use tokio::sync::oneshot;

use crate::body::{Body, BodyReclaim};
use crate::fast_path::{FastPath, GetFastPath, LastUsed, Live, Published};
use crate::isolate_actor::{Condemn, Condemned, Services, WhenQuiet};
use crate::moving::{Target, Way};
use crate::supervisor::EvictionReason;
use crate::{
    EngineSet, Executors, FetchRequest, FetchResponse, IsolateActor, RuntimeError, WorkerSpec,
};

/// An isolate being started (or started): usable from any thread, so the
/// one who asked for it can wait for it where it runs.
pub(crate) type Starting = Shared<BoxFuture<'static, Result<Addr<IsolateActor>, RuntimeError>>>;

/// One live (or starting) isolate of a Worker.
struct Instance {
    starting: Starting,
    /// Events sent to it and not yet answered (by the registry's way and
    /// the fast path's).
    in_flight: Arc<AtomicUsize>,
    /// When an event was last sent to it.
    last_used: LastUsed,
    /// What it holds in memory, as it last measured.
    gauge: Arc<MemoryGauge>,
    /// The executor thread it runs on.
    executor: usize,
}

impl Instance {
    /// The isolate, once started and while it takes events.
    fn started(&self) -> Option<&Addr<IsolateActor>> {
        match self.starting.peek() {
            Some(Ok(addr)) if addr.connected() => Some(addr),
            _ => None,
        }
    }

    /// Whether it may take events: starting, or started and not gone.
    fn usable(&self) -> bool {
        match self.starting.peek() {
            None => true,
            Some(Ok(addr)) => addr.connected(),
            Some(Err(_)) => false,
        }
    }
}

struct WorkerEntry {
    spec: Arc<WorkerSpec>,
    engine: Arc<dyn Engine>,
    /// Its live (or starting) isolates.
    instances: Vec<Instance>,
    /// Set once an isolate of this version started: its code is known to
    /// evaluate, and a background check of it is skipped.
    evaluated: Arc<AtomicBool>,
}

/// Knows every Worker and starts its isolate when an event arrives and none
/// is live.
pub struct Registry {
    workers: HashMap<Arc<str>, WorkerEntry>,
    /// The Workers that have live (or starting) isolates.
    active: HashSet<Arc<str>>,
    /// Live (or starting) isolates of all Workers.
    count: usize,
    /// What all isolates hold together, as each last measured.
    memory: Arc<PoolMemory>,
    /// The next isolates to evict for pressure.
    victims: Victims,
    engines: EngineSet,
    default_engine: String,
    executors: Arc<Executors>,
    isolate_config: IsolateConfig,
    services: Services,
    pool: PoolLimits,
    /// Where the started isolates are published for connections.
    fast: FastPath,
    /// Whether idle isolates are collecting garbage for the memory budget
    /// (one round at a time).
    relieving: bool,
    /// The thread of background checks ([`CheckInBackground`]), once
    /// started.
    checker: Option<actix_rt::Arbiter>,
    /// Where each live Durable Object is.
    pub(crate) objects: crate::durable::directory::Directory,
    /// The dynamic Workers loaded (see `crate::dynamic`).
    pub(crate) dynamic: crate::dynamic::DynamicWorkers,
}

impl Registry {
    /// A registry whose isolates run on `executors`, under `watchdog` (none:
    /// CPU limits are not enforced), and report to `supervisor`.
    pub fn new(
        engines: EngineSet,
        default_engine: String,
        executors: Arc<Executors>,
        isolate_config: IsolateConfig,
        watchdog: Option<crate::Watchdog>,
        supervisor: Addr<crate::Supervisor>,
        outbound: crate::Outbound,
    ) -> Self {
        Self {
            workers: HashMap::new(),
            active: HashSet::new(),
            count: 0,
            memory: Arc::default(),
            victims: Victims::default(),
            engines,
            default_engine,
            executors: executors.clone(),
            isolate_config,
            services: Services {
                watchdog,
                supervisor,
                registry: None,
                outbound,
                storage: crate::Storage::default(),
            },
            pool: PoolLimits::default(),
            fast: FastPath::new(executors),
            relieving: false,
            checker: None,
            objects: Default::default(),
            dynamic: Default::default(),
        }
    }

    /// The executor threads its isolates run on.
    pub(crate) fn executors(&self) -> &Arc<Executors> {
        &self.executors
    }

    /// The stores of storage bindings and Durable Objects.
    pub(crate) fn storage(&self) -> crate::Storage {
        self.services.storage.clone()
    }

    /// The supervisor its isolates report to.
    pub(crate) fn supervisor(&self) -> Addr<crate::Supervisor> {
        self.services.supervisor.clone()
    }

    /// Caps the isolates of all Workers together (see [`PoolLimits`]).
    pub fn with_pool_limits(mut self, pool: PoolLimits) -> Self {
        self.pool = pool;
        self
    }

    /// Keeps the stores of storage bindings in `storage` (default: a
    /// throwaway state folder).
    pub fn with_storage(mut self, storage: crate::Storage) -> Self {
        self.services.storage = storage;
        self
    }

    /// Every instance of every Worker.
    fn all_instances(&self) -> impl Iterator<Item = &Instance> {
        self.active
            .iter()
            .filter_map(|name| self.workers.get(name))
            .flat_map(|w| w.instances.iter())
    }

    /// Keeps the instances of `worker` that `keep` says to, and publishes
    /// what is left.
    fn retain_instances(&mut self, worker: &str, keep: impl FnMut(&Instance) -> bool) {
        let Some(entry) = self.workers.get_mut(worker) else {
            return;
        };
        let before = entry.instances.len();
        entry.instances.retain(keep);
        let after = entry.instances.len();
        self.count = self.count + after - before;
        if after == 0 {
            self.active.remove(worker);
        }
        self.publish(worker);
    }

    /// Whether `worker` has live (or starting) isolates.
    pub(crate) fn has_instances(&self, worker: &str) -> bool {
        self.workers
            .get(worker)
            .is_some_and(|w| w.instances.iter().any(Instance::usable))
    }

    /// How long `worker`'s isolates stay without events.
    pub(crate) fn idle_timeout(&self, worker: &str) -> Option<std::time::Duration> {
        self.workers.get(worker).map(|w| w.spec.limits.idle_timeout)
    }

    /// Forgets `worker`: its isolates finish what they have, then go.
    pub(crate) fn unregister(&mut self, worker: &str) {
        let Some(old) = self.workers.remove(worker) else {
            return;
        };
        self.count -= old.instances.len();
        self.active.remove(worker);
        self.publish(worker);
        for instance in old.instances {
            if let Some(addr) = instance.started() {
                addr.do_send(Condemn(EvictionReason::Reload));
            }
        }
    }

    /// Forgets the instance of `worker` whose isolate is `addr`.
    fn remove_instance(&mut self, worker: &str, addr: &Addr<IsolateActor>) {
        self.retain_instances(worker, |i| i.started() != Some(addr));
    }

    /// Publishes `worker`'s started isolates for the fast path.
    fn publish(&self, worker: &str) {
        let published = self.workers.get(worker).map(|entry| {
            let mut complete = true;
            let live = entry
                .instances
                .iter()
                .filter_map(|i| match i.starting.peek() {
                    Some(Ok(addr)) if addr.connected() => Some(Live {
                        addr: addr.clone(),
                        executor: i.executor,
                        in_flight: i.in_flight.clone(),
                        last_used: i.last_used.clone(),
                    }),
                    Some(_) => None,
                    None => {
                        complete = false;
                        None
                    }
                })
                .collect();
            Published {
                live,
                complete,
                max: self.max_instances(worker),
            }
        });
        self.fast.publish(worker, published);
    }

    /// Starts an isolate on executor `on`, else on the next one; returns it
    /// (once started) and the executor's index.
    fn start_isolate(
        executors: &Executors,
        config: &IsolateConfig,
        services: &Services,
        entry: &WorkerEntry,
        gauge: Arc<MemoryGauge>,
        on: Option<usize>,
    ) -> (Starting, usize) {
        let (tx, rx) = oneshot::channel();
        let spec = entry.spec.clone();
        let engine = entry.engine.clone();
        let config = config.clone();
        let services = services.clone();
        let executor = on.map_or_else(|| executors.pick_index(), |i| i % executors.len());
        let busy = executors.busy_mark(executor);
        let evaluated = entry.evaluated.clone();
        executors.handle(executor).spawn_fn(move || {
            let booted = IsolateActor::boot(spec, &*engine, &config, services, gauge, busy);
            if booted.is_ok() {
                evaluated.store(true, Ordering::Relaxed);
            }
            let _ = tx.send(booted);
        });
        let starting = async move {
            rx.await.unwrap_or_else(|_| {
                Err(RuntimeError::Startup("the executor thread stopped".into()))
            })
        }
        .boxed()
        .shared();
        (starting, executor)
    }
}

impl Actor for Registry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.fast.bind(ctx.address());
        self.services.registry = Some(ctx.address().recipient());
        self.services.outbound = self
            .services
            .outbound
            .clone()
            .with_dispatcher(ctx.address().recipient())
            .with_fast(self.fast.clone())
            .with_rpc(ctx.address().recipient())
            .with_objects(self.objects.direct.clone())
            .with_dynamic(ctx.address().recipient(), self.dynamic.clone());
        ctx.run_interval(crate::dynamic::SWEEP, crate::dynamic::sweep);
        actix_rt::spawn(crate::durable::alarms::run(
            self.storage().alarm_clock(),
            ctx.address(),
        ));
        if let Some(budget) = self.pool.memory_budget_bytes {
            ctx.run_interval(pressure::BUDGET_CHECK, move |act, ctx| {
                act.relieve(budget, ctx)
            });
        }
    }
}

impl Handler<Condemned> for Registry {
    type Result = ();

    fn handle(&mut self, msg: Condemned, _ctx: &mut Self::Context) {
        self.retain_instances(
            &msg.worker,
            |i| !matches!(i.starting.peek(), Some(Ok(addr)) if *addr == msg.isolate),
        );
    }
}

/// A Worker's isolate finished starting (or failed to): its fast-path
/// publication is renewed.
struct Started(String);

impl Message for Started {
    type Result = ();
}

impl Handler<Started> for Registry {
    type Result = ();

    fn handle(&mut self, Started(worker): Started, _ctx: &mut Self::Context) {
        self.retain_instances(&worker, Instance::usable);
    }
}

impl Handler<GetFastPath> for Registry {
    type Result = MessageResult<GetFastPath>;

    fn handle(&mut self, _msg: GetFastPath, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.fast.clone())
    }
}

/// Counts an event in flight until dropped.
pub(crate) struct InFlight(pub(crate) Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
    }
}

/// Registers (or replaces) a Worker.
#[derive(Debug)]
pub struct Register(pub WorkerSpec);

impl Message for Register {
    type Result = Result<(), RuntimeError>;
}

impl Handler<Register> for Registry {
    type Result = Result<(), RuntimeError>;

    fn handle(&mut self, Register(spec): Register, _ctx: &mut Self::Context) -> Self::Result {
        let engine = self
            .engines
            .get(spec.engine.as_deref().unwrap_or(&self.default_engine))?;
        // Opens the Worker's stores now (once per id), so that one that
        // cannot be opened fails the registration, naming its file.
        self.services
            .storage
            .open_all(&spec.storage)
            .map_err(|message| RuntimeError::Storage {
                worker: spec.name.clone(),
                message,
            })?;
        tracing::debug!(
            worker = spec.name.as_str(),
            engine = engine.name(),
            "registered"
        );
        let name = spec.name.clone();
        let replaced = self.workers.insert(
            Arc::from(name.as_str()),
            WorkerEntry {
                spec: Arc::new(spec),
                engine,
                instances: Vec::new(),
                evaluated: Arc::default(),
            },
        );
        self.publish(&name);
        if let Some(old) = &replaced {
            self.count -= old.instances.len();
            self.active.remove(name.as_str());
        }
        // The old version's isolates finish what they have, then go, and
        // so do the dynamic Workers it loaded.
        if replaced.is_some() {
            crate::dynamic::forget_children(self, &name);
        }
        for instance in replaced.into_iter().flat_map(|w| w.instances) {
            if let Some(addr) = instance.started() {
                addr.do_send(Condemn(EvictionReason::Reload));
            }
        }
        Ok(())
    }
}

/// Evaluates a Worker's code in an isolate of its own that takes no events,
/// then lets that isolate go (counted as an eviction for `Reload`). The
/// Worker is not registered: this is how new code is checked before it
/// replaces a running version.
#[derive(Debug)]
pub struct Check(pub WorkerSpec);

impl Message for Check {
    type Result = Result<(), RuntimeError>;
}

impl Handler<Check> for Registry {
    type Result = ResponseFuture<Result<(), RuntimeError>>;

    fn handle(&mut self, Check(spec): Check, _ctx: &mut Self::Context) -> Self::Result {
        let engine = match self
            .engines
            .get(spec.engine.as_deref().unwrap_or(&self.default_engine))
        {
            Ok(engine) => engine,
            Err(e) => return Box::pin(async move { Err(e) }),
        };
        let entry = WorkerEntry {
            spec: Arc::new(spec),
            engine,
            instances: Vec::new(),
            evaluated: Arc::default(),
        };
        let (starting, _) = Self::start_isolate(
            &self.executors,
            &self.isolate_config,
            &self.services,
            &entry,
            Arc::new(MemoryGauge::new(Arc::default())),
            None,
        );
        Box::pin(async move {
            let addr = starting.await?;
            addr.do_send(Condemn(EvictionReason::Reload));
            Ok(())
        })
    }
}

/// Sends a fetch event to a Worker by name, starting its isolate if needed.
#[derive(Debug)]
pub struct Dispatch {
    /// The Worker's name.
    pub worker: String,
    /// The request.
    pub request: FetchRequest,
    /// Whether this is the second try, after the isolate first chosen
    /// turned out to be going away.
    pub retried: bool,
}

impl Dispatch {
    /// A first try at sending `request` to `worker`.
    pub fn new(worker: impl Into<String>, request: FetchRequest) -> Self {
        Self {
            worker: worker.into(),
            request,
            retried: false,
        }
    }
}

impl Message for Dispatch {
    type Result = Result<FetchResponse, RuntimeError>;
}

/// The isolate chosen for an event by [`Registry::instance`].
pub(crate) struct Chosen {
    pub(crate) starting: Starting,
    /// Its events in flight.
    pub(crate) in_flight: Arc<AtomicUsize>,
    pub(crate) last_used: LastUsed,
    /// The executor thread it runs on.
    pub(crate) executor: usize,
}

impl Registry {
    /// The least-loaded live (or starting) isolate of the Worker; a new one
    /// is started when it has none, or when all are busy and it may have
    /// more. An isolate whose executor is stalled (another turn there has
    /// run past the busy threshold) counts as busy, and is used only when
    /// the Worker may have no more isolates or every executor that could
    /// take a new one is stalled too. The Worker's first isolate starts on
    /// executor `here` when given (the thread of the connection asking, so
    /// that the event and its answer need not cross threads), later ones on
    /// an executor that is not stalled and has none of the Worker's
    /// isolates yet, if there is one.
    pub(crate) fn instance(
        &mut self,
        worker: &str,
        registry: &Addr<Registry>,
        here: Option<usize>,
    ) -> Result<Chosen, RuntimeError> {
        let max = self.max_instances(worker);
        let entry = self
            .workers
            .get_mut(worker)
            .ok_or_else(|| RuntimeError::UnknownWorker(worker.to_owned()))?;
        let before = entry.instances.len();
        entry.instances.retain(Instance::usable);
        let pruned = entry.instances.len() != before;
        self.count -= before - entry.instances.len();
        if entry.instances.is_empty() {
            self.active.remove(worker);
        }
        let executors = &self.executors;
        let least = entry
            .instances
            .iter()
            .map(|i| (executors.is_stalled(i.executor), i))
            .min_by_key(|(stalled, i)| (*stalled, i.in_flight.load(Ordering::Relaxed)));
        if let Some((stalled, i)) = least {
            let idle = !stalled && i.in_flight.load(Ordering::Relaxed) == 0;
            let elsewhere = || !stalled || Self::spare_executor(executors, entry).is_some();
            if idle || entry.instances.len() >= max || !elsewhere() {
                i.last_used.touch();
                let chosen = Chosen {
                    starting: i.starting.clone(),
                    in_flight: i.in_flight.clone(),
                    last_used: i.last_used.clone(),
                    executor: i.executor,
                };
                if pruned {
                    self.publish(worker);
                }
                return Ok(chosen);
            }
        }
        self.make_room();
        let entry = self
            .workers
            .get_mut(worker)
            .ok_or_else(|| RuntimeError::UnknownWorker(worker.to_owned()))?;
        let gauge = Arc::new(MemoryGauge::new(self.memory.clone()));
        let on = match here {
            Some(here) if entry.instances.is_empty() && !self.executors.is_stalled(here) => {
                Some(here)
            }
            _ => Self::spare_executor(&self.executors, entry),
        };
        let (starting, executor) = Self::start_isolate(
            &self.executors,
            &self.isolate_config,
            &self.services,
            entry,
            gauge.clone(),
            on,
        );
        let in_flight = Arc::new(AtomicUsize::new(0));
        let last_used = LastUsed::now();
        entry.instances.push(Instance {
            starting: starting.clone(),
            in_flight: in_flight.clone(),
            last_used: last_used.clone(),
            gauge,
            executor,
        });
        self.count += 1;
        if entry.instances.len() == 1 {
            if let Some((name, _)) = self.workers.get_key_value(worker) {
                self.active.insert(name.clone());
            }
        }
        // Unpublished while it starts (the fast path then leaves the choice
        // to the registry), published again once it has.
        self.publish(worker);
        let registry = registry.clone();
        let name = worker.to_owned();
        let started = starting.clone();
        actix_rt::spawn(async move {
            let _ = started.await;
            registry.do_send(Started(name));
        });
        Ok(Chosen {
            starting,
            in_flight,
            last_used,
            executor,
        })
    }

    /// An executor that is not stalled and has none of `entry`'s isolates,
    /// looked for from the next one in turn.
    fn spare_executor(executors: &Executors, entry: &WorkerEntry) -> Option<usize> {
        let n = executors.len();
        let from = executors.pick_index();
        (0..n)
            .map(|k| (from + k) % n)
            .find(|e| !executors.is_stalled(*e) && entry.instances.iter().all(|i| i.executor != *e))
    }

    fn max_instances(&self, worker: &str) -> usize {
        self.workers
            .get(worker)
            .and_then(|w| w.spec.max_instances)
            .unwrap_or(self.executors.len())
            .max(1)
    }
}

/// Resolves once every live isolate is quiet: no event waits for its
/// outcome and no `waitUntil` work goes on.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Drain;

impl Handler<Drain> for Registry {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: Drain, _ctx: &mut Self::Context) -> Self::Result {
        let waits: Vec<_> = self
            .all_instances()
            .filter_map(|i| i.started().map(|a| a.send(WhenQuiet)))
            .collect();
        Box::pin(async move {
            futures::future::join_all(waits).await;
        })
    }
}

/// Starts a Worker's isolate now, if none is live, and reports whether it
/// started.
#[derive(Debug)]
pub struct Warm {
    /// The Worker's name.
    pub worker: String,
}

impl Message for Warm {
    type Result = Result<(), RuntimeError>;
}

impl Handler<Warm> for Registry {
    type Result = ResponseFuture<Result<(), RuntimeError>>;

    fn handle(&mut self, msg: Warm, ctx: &mut Self::Context) -> Self::Result {
        let instance = self.instance(&msg.worker, &ctx.address(), None);
        Box::pin(async move { instance?.starting.await.map(drop) })
    }
}

impl Handler<Dispatch> for Registry {
    type Result = ResponseFuture<Result<FetchResponse, RuntimeError>>;

    fn handle(&mut self, msg: Dispatch, ctx: &mut Self::Context) -> Self::Result {
        let object = msg
            .request
            .extensions()
            .get::<crate::ObjectTarget>()
            .cloned();
        if let Some(target) = object {
            return crate::durable::directory::dispatch(self, target, msg, ctx);
        }
        let registry = ctx.address();
        let executors = self.executors.clone();
        let instance = self.instance(&msg.worker, &registry, None);
        Box::pin(async move {
            let Chosen {
                starting,
                in_flight,
                executor,
                ..
            } = instance?;
            in_flight.fetch_add(1, Ordering::Relaxed);
            let done = InFlight(in_flight);
            let addr = starting.await?;
            let target = Target {
                addr,
                executor,
                done,
            };
            let way = Way {
                worker: &msg.worker,
                registry: Some(&registry),
                executors: &executors,
                here: None,
            };
            crate::moving::deliver(target, msg.request, way, msg.retried).await
        })
    }
}

/// `request` made ready for an isolate, with what it takes to send it again
/// if that isolate turns out to be going away before it read the body: a
/// copy of its head and a way to reclaim its body. The request is marked
/// queued (for the queue-time metric) and carries the body's taken marker.
pub(crate) fn retryable(
    request: http::Request<Body>,
) -> (http::Request<Body>, http::request::Builder, BodyReclaim) {
    let (parts, body) = request.into_parts();
    let (body, reclaim) = body.share();
    let head = copy_head(&parts);
    let mut request = http::Request::from_parts(parts, body);
    request
        .extensions_mut()
        .insert(crate::metrics::Queued::new());
    if let Some(taken) = reclaim.taken_marker() {
        request.extensions_mut().insert(taken);
    }
    (request, head, reclaim)
}

/// A builder with a request head's method, URI, version, headers and
/// extensions.
pub(crate) fn copy_head(parts: &http::request::Parts) -> http::request::Builder {
    let mut builder = http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone())
        .version(parts.version);
    if let Some(headers) = builder.headers_mut() {
        *headers = parts.headers.clone();
    }
    if let Some(extensions) = builder.extensions_mut() {
        *extensions = parts.extensions.clone();
    }
    builder
}
