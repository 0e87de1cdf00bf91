//! The direct way from a connection to a Worker's live isolate, without a
//! round trip through the registry actor for every request.
//!
//! The registry stays the one that decides which isolates a Worker has: it
//! publishes, per Worker, the isolates that are started and take events,
//! whenever that set changes. A connection asks [`FastPath::pick`] for the
//! isolate the registry itself would choose for the next event — the least
//! loaded one on an executor that is not stalled (see [`Executors`]), if it
//! is idle or the Worker may have no more isolates — preferring, among
//! equally loaded ones, the isolate on the connection's own executor thread
//! (then the event goes from the connection to the isolate without crossing
//! threads). When the registry would start another isolate (all are busy,
//! or sit on stalled executors, and the Worker may have more), or one is
//! still starting, or nothing is published, there is no pick and the
//! request takes the registry's way.
//!
//! An event sent the direct way is counted in flight and touches its
//! isolate's last-use time exactly as the registry's dispatch does, so load
//! balancing, eviction of idle isolates under pressure and draining see it.
//! If the isolate picked turns out to be going away before it took the
//! event, the event is dispatched again through the registry, once; if its
//! executor stalls before it started the event, the event moves to an
//! isolate on another executor (see `crate::moving`).
//!
//! When there is no pick, [`FastPath::admit`] asks the registry only which
//! isolate to use (it starts one if need be: a Worker's first on the
//! caller's own executor); the caller then waits for that isolate itself and
//! sends it the event directly, so a cold start's event and answer cross no
//! more threads than a warm one's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix::Addr;
use parking_lot::RwLock;

use crate::moving::{Target, Way};
use crate::registry::{Chosen, InFlight, Starting};
use crate::{Executors, FetchRequest, FetchResponse, IsolateActor, Registry, RuntimeError};

/// When an isolate was last sent an event, as nanoseconds since a fixed
/// point of the process; shared between the registry and connections.
#[derive(Debug, Clone)]
pub(crate) struct LastUsed(Arc<AtomicU64>);

/// The fixed point [`LastUsed`] counts from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl LastUsed {
    /// A stamp set to now.
    pub(crate) fn now() -> Self {
        let stamp = Self(Arc::new(AtomicU64::new(0)));
        stamp.touch();
        stamp
    }

    /// Sets it to now.
    pub(crate) fn touch(&self) {
        let nanos = u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.store(nanos, Ordering::Relaxed);
    }

    /// The stamp; later uses compare greater.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A started isolate of a Worker, as published by the registry.
#[derive(Clone)]
pub(crate) struct Live {
    pub(crate) addr: Addr<IsolateActor>,
    /// The executor thread it runs on.
    pub(crate) executor: usize,
    /// Events sent to it and not yet answered.
    pub(crate) in_flight: Arc<AtomicUsize>,
    pub(crate) last_used: LastUsed,
}

/// What the registry publishes of one Worker.
#[derive(Clone, Default)]
pub(crate) struct Published {
    /// Its started isolates that take events.
    pub(crate) live: Vec<Live>,
    /// Whether that is every isolate it has (none is starting).
    pub(crate) complete: bool,
    /// How many isolates it may have.
    pub(crate) max: usize,
}

struct Inner {
    workers: RwLock<HashMap<String, Arc<Published>>>,
    executors: Arc<Executors>,
    registry: OnceLock<Addr<Registry>>,
}

/// The direct way to Workers' live isolates; cheap to clone and usable from
/// any thread. Get it from the registry with [`GetFastPath`].
#[derive(Clone)]
pub struct FastPath(Arc<Inner>);

impl std::fmt::Debug for FastPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastPath").finish_non_exhaustive()
    }
}

/// An isolate chosen for one event by [`FastPath::pick`].
pub struct Picked {
    live: Live,
    path: FastPath,
    /// The executor the caller runs on, if it runs on one.
    here: Option<usize>,
}

impl FastPath {
    pub(crate) fn new(executors: Arc<Executors>) -> Self {
        Self(Arc::new(Inner {
            workers: RwLock::new(HashMap::new()),
            executors,
            registry: OnceLock::new(),
        }))
    }

    /// Tells it the registry, for events that must go its way after all.
    pub(crate) fn bind(&self, registry: Addr<Registry>) {
        let _ = self.0.registry.set(registry);
    }

    /// Replaces what is published of `worker` (`None`: nothing, every event
    /// goes through the registry).
    pub(crate) fn publish(&self, worker: &str, published: Option<Published>) {
        let mut workers = self.0.workers.write();
        match published {
            Some(p) => {
                workers.insert(worker.to_owned(), Arc::new(p));
            }
            None => {
                workers.remove(worker);
            }
        }
    }

    /// The executor threads; connections placed on them reach the isolates
    /// there without crossing threads.
    pub fn executors(&self) -> &Arc<Executors> {
        &self.0.executors
    }

    /// The isolate the registry would give `worker`'s next event, when it
    /// would not start one; among equally loaded ones, the one on executor
    /// `here` (the caller's own, if it runs on one).
    pub fn pick(&self, worker: &str, here: Option<usize>) -> Option<Picked> {
        let published = self.0.workers.read().get(worker).cloned()?;
        if !published.complete {
            return None;
        }
        let executors = &self.0.executors;
        // (isolate, its executor is stalled, its events in flight)
        let mut best: Option<(&Live, bool, usize)> = None;
        for live in &published.live {
            if !live.addr.connected() {
                return None;
            }
            // The caller's own executor is running the caller: not stalled.
            let stalled = Some(live.executor) != here && executors.is_stalled(live.executor);
            let load = live.in_flight.load(Ordering::Relaxed);
            let better = match best {
                None => true,
                Some((b, b_stalled, b_load)) => {
                    (stalled, load) < (b_stalled, b_load)
                        || (stalled == b_stalled
                            && load == b_load
                            && Some(live.executor) == here
                            && here != Some(b.executor))
                }
            };
            if better {
                best = Some((live, stalled, load));
            }
        }
        let (live, stalled, load) = best?;
        if (load > 0 || stalled) && published.live.len() < published.max {
            return None;
        }
        Some(Picked {
            live: live.clone(),
            path: self.clone(),
            here,
        })
    }
}

impl FastPath {
    /// Sends a fetch event to `worker` when [`pick`](Self::pick) had no
    /// isolate for it: the registry chooses the isolate (starting one if
    /// need be, a Worker's first on executor `here`, the caller's), then the
    /// event goes from the caller straight to it once it has started.
    pub async fn admit(
        &self,
        worker: &str,
        here: Option<usize>,
        request: FetchRequest,
    ) -> Result<FetchResponse, RuntimeError> {
        let stopped = || RuntimeError::Startup("the registry stopped".into());
        let registry = self.0.registry.get().ok_or_else(stopped)?;
        let admitted = registry
            .send(Admit {
                worker: worker.to_owned(),
                here,
            })
            .await
            .map_err(|_| stopped())??;
        let addr = admitted.starting.await?;
        let picked = Picked {
            live: Live {
                addr,
                executor: admitted.executor,
                in_flight: admitted.done.0.clone(),
                last_used: admitted.last_used,
            },
            path: self.clone(),
            here,
        };
        picked.send(worker, request, admitted.done).await
    }
}

/// Asks the registry for the isolate `worker`'s next event goes to,
/// started if need be (see [`Registry::instance`]); the event is counted in
/// flight from then on.
pub(crate) struct Admit {
    worker: String,
    here: Option<usize>,
}

/// The isolate chosen for an event by [`Admit`].
pub(crate) struct Admitted {
    starting: Starting,
    executor: usize,
    last_used: LastUsed,
    /// Counts the event in flight until it is answered.
    done: InFlight,
}

impl actix::Message for Admit {
    type Result = Result<Admitted, RuntimeError>;
}

impl actix::Handler<Admit> for Registry {
    type Result = actix::MessageResult<Admit>;

    fn handle(&mut self, msg: Admit, ctx: &mut actix::Context<Self>) -> Self::Result {
        use actix::AsyncContext;
        let chosen = self.instance(&msg.worker, &ctx.address(), msg.here);
        actix::MessageResult(chosen.map(
            |Chosen {
                 starting,
                 in_flight,
                 last_used,
                 executor,
             }| {
                in_flight.fetch_add(1, Ordering::Relaxed);
                Admitted {
                    starting,
                    executor,
                    last_used,
                    done: InFlight(in_flight),
                }
            },
        ))
    }
}

impl Picked {
    /// Sends an RPC call to an entrypoint to the isolate picked, counted in
    /// flight until it is answered; `None` if that isolate turned out to be
    /// going away before it took the call (the caller then sends it through
    /// the registry).
    pub(crate) async fn call(
        self,
        event: crate::rpc::CallEvent,
    ) -> Option<Result<crate::rpc::Answer, RuntimeError>> {
        self.live.in_flight.fetch_add(1, Ordering::Relaxed);
        self.live.last_used.touch();
        let _done = InFlight(self.live.in_flight.clone());
        match self.live.addr.send(event).await {
            Ok(Err(RuntimeError::Unavailable(_))) | Err(_) => None,
            Ok(answer) => Some(answer),
        }
    }

    /// Sends the fetch event to the isolate picked; if that isolate is going
    /// away before it took the event, dispatches it through the registry.
    pub async fn fetch(
        self,
        worker: &str,
        request: FetchRequest,
    ) -> Result<FetchResponse, RuntimeError> {
        self.live.in_flight.fetch_add(1, Ordering::Relaxed);
        self.live.last_used.touch();
        let done = InFlight(self.live.in_flight.clone());
        self.send(worker, request, done).await
    }

    /// Sends the event, counted in flight by `done`, as [`fetch`]
    /// (Self::fetch) does.
    async fn send(
        self,
        worker: &str,
        request: FetchRequest,
        done: InFlight,
    ) -> Result<FetchResponse, RuntimeError> {
        let Picked { live, path, here } = self;
        let target = Target {
            addr: live.addr,
            executor: live.executor,
            done,
        };
        let way = Way {
            worker,
            registry: path.0.registry.get(),
            executors: &path.0.executors,
            here,
        };
        crate::moving::deliver(target, request, way, false).await
    }
}

/// Asks the registry for its [`FastPath`].
#[derive(Debug, actix::Message)]
#[rtype(result = "FastPath")]
pub struct GetFastPath;
