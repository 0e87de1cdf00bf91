//! The handle an embedding program holds.

use std::sync::Arc;

use actix::prelude::*;
use motu_engine::IsolateConfig;

use crate::Trigger;

use crate::{
    Dispatch, EgressPolicy, EngineSet, Executors, FetchRequest, FetchResponse, GetStats, Outbound,
    PoolLimits, Register, Registry, RuntimeError, Supervisor, SupervisorStats, Warm, Watchdog,
    WorkerSpec,
};

/// How to start the runtime.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Executor threads; 0 (the default) means one per core.
    pub threads: usize,
    /// The engine for Workers that name none. Default: `quickjs`.
    pub default_engine: String,
    /// Whether Workers may compile code from strings (`eval`,
    /// `new Function`). Default: no, as on Cloudflare Workers.
    pub allow_code_generation: bool,
    /// Whether CPU limits are enforced. Default: yes. Turning them off
    /// removes the watchdog from every turn of JavaScript; it exists to
    /// measure what the watchdog costs, and for fully trusted code. Memory
    /// limits and hang detection stay on.
    pub enforce_limits: bool,
    /// Caps on all isolates together: `max_isolates`, `memory_budget_mb`.
    /// Default: none.
    pub pool: PoolLimits,
    /// Where Workers' `fetch()` may connect. Default: public addresses
    /// only.
    pub egress: EgressPolicy,
    /// How much CPU time one turn of JavaScript may use before its executor
    /// counts as stalled and other Workers' events go elsewhere (see
    /// [`Executors`]; measured by the watchdog, so only while
    /// `enforce_limits`). Default 10 ms.
    pub executor_busy: std::time::Duration,
    /// The state folder and the stores of the storage bindings. Default: a
    /// throwaway folder, made when a Worker first needs a store and removed
    /// with the runtime.
    pub storage: crate::Storage,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            threads: 0,
            default_engine: EngineSet::default_name().to_owned(),
            allow_code_generation: false,
            enforce_limits: true,
            pool: PoolLimits::default(),
            egress: EgressPolicy::public_only(),
            executor_busy: motu_config::DEFAULT_EXECUTOR_BUSY,
            storage: crate::Storage::default(),
        }
    }
}

/// A running actor system of Workers: the registry and its executors.
#[derive(Clone)]
pub struct Runtime {
    registry: Addr<Registry>,
    supervisor: Addr<Supervisor>,
    executors: Arc<Executors>,
}

impl Runtime {
    /// Starts the executors and the registry. Must be called inside an actix
    /// system (e.g. under `#[actix::main]`).
    pub fn start(config: RuntimeConfig) -> Result<Self, RuntimeError> {
        let engines = EngineSet::builtin();
        engines.get(&config.default_engine)?;
        if actix_rt::System::try_current().is_none() {
            return Err(RuntimeError::Startup(
                "Runtime::start must be called inside an actix system".into(),
            ));
        }
        let executors = Arc::new(Executors::with_busy_threshold(
            config.threads,
            config.executor_busy,
        ));
        let isolate_config = IsolateConfig {
            allow_code_generation: config.allow_code_generation,
            ..motu_webapi::isolate_config()
        };
        let supervisor = Supervisor::default().start();
        let registry = Registry::new(
            engines,
            config.default_engine,
            executors.clone(),
            isolate_config,
            config.enforce_limits.then(Watchdog::start),
            supervisor.clone(),
            Outbound::new(config.egress),
        )
        .with_pool_limits(config.pool)
        .with_storage(config.storage)
        .start();
        Ok(Self {
            registry,
            supervisor,
            executors,
        })
    }

    /// Registers (or replaces) a Worker.
    pub async fn register(&self, spec: WorkerSpec) -> Result<(), RuntimeError> {
        self.registry
            .send(Register(spec))
            .await
            .map_err(|e| RuntimeError::Startup(e.to_string()))?
    }

    /// Sends a fetch event to the Worker called `worker` and waits for its
    /// response.
    pub async fn fetch(
        &self,
        worker: &str,
        request: FetchRequest,
    ) -> Result<FetchResponse, RuntimeError> {
        self.registry
            .send(Dispatch::new(worker, request))
            .await
            .map_err(|_| RuntimeError::Lost(worker.to_owned()))?
    }

    /// Fires the `scheduled` handler of the Worker called `worker` with
    /// `cron` as `event.cron` and `scheduled_time` (ms since the Unix epoch)
    /// as `event.scheduledTime`; resolves when the handler has finished.
    pub async fn scheduled(
        &self,
        worker: &str,
        cron: &str,
        scheduled_time: f64,
    ) -> Result<(), RuntimeError> {
        self.registry
            .send(Trigger {
                worker: worker.to_owned(),
                cron: cron.to_owned(),
                scheduled_time,
                retried: false,
            })
            .await
            .map_err(|_| RuntimeError::Lost(worker.to_owned()))?
    }

    /// Waits until every live isolate is quiet: no event waits for its
    /// outcome and no `waitUntil` work goes on (each bounded by its limits).
    pub async fn drain(&self) {
        let _ = self.registry.send(crate::Drain).await;
    }

    /// Starts the Worker's isolate now if none is live: evaluates its code,
    /// so a Worker that cannot start is known before its first request.
    pub async fn warm(&self, worker: &str) -> Result<(), RuntimeError> {
        self.registry
            .send(Warm {
                worker: worker.to_owned(),
            })
            .await
            .map_err(|_| RuntimeError::Lost(worker.to_owned()))?
    }

    /// Evaluates the code of the registered Workers called `workers` in the
    /// background, each once in a throwaway isolate on a thread of lower
    /// priority than the executors, logging each that cannot start (see
    /// [`CheckInBackground`](crate::CheckInBackground)); resolves with what
    /// was found once all were checked. Every Worker serves meanwhile.
    pub async fn check_in_background(&self, workers: Vec<String>) -> crate::Checked {
        self.registry
            .send(crate::CheckInBackground(workers))
            .await
            .unwrap_or_default()
    }

    /// Evaluates `spec`'s code in a throwaway isolate without registering
    /// it: `Ok` when its top-level code ran, else why it failed (a syntax
    /// error carries its file, line and column; see
    /// [`RuntimeError::location`]). Registering the same spec afterwards
    /// serves the very sources checked, which its modules keep once read.
    pub async fn check(&self, spec: WorkerSpec) -> Result<(), RuntimeError> {
        let worker = spec.name.clone();
        self.registry
            .send(crate::Check(spec))
            .await
            .map_err(|_| RuntimeError::Lost(worker))?
    }

    /// The registry's address, for sending [`Register`] and [`Dispatch`]
    /// messages directly.
    pub fn registry(&self) -> Addr<Registry> {
        self.registry.clone()
    }

    /// Isolate starts and evictions so far.
    pub async fn stats(&self) -> SupervisorStats {
        self.supervisor.send(GetStats).await.unwrap_or_default()
    }

    /// The number of executor threads.
    pub fn threads(&self) -> usize {
        self.executors.len()
    }
}
