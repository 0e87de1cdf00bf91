//! The registry actor: every registered Worker and its live isolate.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use motu_engine::{Engine, IsolateConfig};
use tokio::sync::oneshot;

use crate::isolate_actor::{Condemned, Services};
use crate::{
    EngineSet, Executors, Fetch, FetchRequest, FetchResponse, IsolateActor, RuntimeError,
    WorkerSpec,
};

type Starting = Shared<LocalBoxFuture<'static, Result<Addr<IsolateActor>, RuntimeError>>>;

struct WorkerEntry {
    spec: Arc<WorkerSpec>,
    engine: Arc<dyn Engine>,
    /// The live (or starting) isolate; `None` until the first event.
    instance: Option<Starting>,
}

/// Knows every Worker and starts its isolate when an event arrives and none
/// is live.
pub struct Registry {
    workers: HashMap<String, WorkerEntry>,
    engines: EngineSet,
    default_engine: String,
    executors: Arc<Executors>,
    isolate_config: IsolateConfig,
    services: Services,
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
    ) -> Self {
        Self {
            workers: HashMap::new(),
            engines,
            default_engine,
            executors,
            isolate_config,
            services: Services {
                watchdog,
                supervisor,
                registry: None,
            },
        }
    }

    fn start_isolate(&self, entry: &WorkerEntry) -> Starting {
        let (tx, rx) = oneshot::channel();
        let spec = entry.spec.clone();
        let engine = entry.engine.clone();
        let config = self.isolate_config.clone();
        let services = self.services.clone();
        self.executors.pick().spawn_fn(move || {
            let _ = tx.send(IsolateActor::boot(spec, &*engine, &config, services));
        });
        async move {
            rx.await.unwrap_or_else(|_| {
                Err(RuntimeError::Startup("the executor thread stopped".into()))
            })
        }
        .boxed_local()
        .shared()
    }
}

impl Actor for Registry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.services.registry = Some(ctx.address().recipient());
    }
}

impl Handler<Condemned> for Registry {
    type Result = ();

    fn handle(&mut self, msg: Condemned, _ctx: &mut Self::Context) {
        if let Some(entry) = self.workers.get_mut(&msg.worker) {
            let current = entry.instance.as_ref().and_then(Shared::peek);
            if matches!(current, Some(Ok(addr)) if *addr == msg.isolate) {
                entry.instance = None;
            }
        }
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
        tracing::debug!(
            worker = spec.name.as_str(),
            engine = engine.name(),
            "registered"
        );
        self.workers.insert(
            spec.name.clone(),
            WorkerEntry {
                spec: Arc::new(spec),
                engine,
                instance: None,
            },
        );
        Ok(())
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

impl Registry {
    /// The Worker's live (or starting) isolate, started if it has none.
    fn instance(&mut self, worker: &str) -> Result<Starting, RuntimeError> {
        let entry = self
            .workers
            .get(worker)
            .ok_or_else(|| RuntimeError::UnknownWorker(worker.to_owned()))?;
        let usable = match entry.instance.as_ref().map(Shared::peek) {
            Some(None) => true,
            Some(Some(Ok(addr))) => addr.connected(),
            Some(Some(Err(_))) | None => false,
        };
        if usable {
            return Ok(entry.instance.clone().expect("checked above"));
        }
        let starting = self.start_isolate(entry);
        if let Some(entry) = self.workers.get_mut(worker) {
            entry.instance = Some(starting.clone());
        }
        Ok(starting)
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

    fn handle(&mut self, msg: Warm, _ctx: &mut Self::Context) -> Self::Result {
        let instance = self.instance(&msg.worker);
        Box::pin(async move { instance?.await.map(drop) })
    }
}

impl Handler<Dispatch> for Registry {
    type Result = ResponseFuture<Result<FetchResponse, RuntimeError>>;

    fn handle(&mut self, msg: Dispatch, ctx: &mut Self::Context) -> Self::Result {
        let instance = self.instance(&msg.worker);
        let registry = ctx.address();
        Box::pin(async move {
            let addr = instance?.await?;
            // The request is kept (a cheap clone: the body is shared) in case
            // the isolate turns out to be going away and the event must be
            // dispatched again, to the fresh isolate that replaces it.
            match addr.send(Fetch(msg.request.clone())).await {
                Ok(Err(RuntimeError::Unavailable(_))) | Err(_) if !msg.retried => registry
                    .send(Dispatch {
                        retried: true,
                        ..msg
                    })
                    .await
                    .unwrap_or_else(|_| Err(RuntimeError::Startup("the registry stopped".into()))),
                Ok(result) => result,
                Err(_) => Err(RuntimeError::Lost(msg.worker)),
            }
        })
    }
}
