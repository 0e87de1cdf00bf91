//! Starting the runtime and the gateway from settings.

use std::io::Write;

use actix::Actor;
use anyhow::Context;
use motu_config::Settings;
use motu_gateway::{start_scheduler, CronJob, GatewayActor, RouteTable};
use motu_runtime::{HostValue, Runtime, RuntimeConfig, WorkerSpec};

use crate::vars::to_host_value;

/// Starts the runtime and registers every Worker of `settings`.
async fn start_runtime(settings: &Settings) -> anyhow::Result<Runtime> {
    let runtime = Runtime::start(RuntimeConfig {
        threads: settings.server.threads,
        default_engine: settings.server.engine.clone(),
        allow_code_generation: settings.server.allow_code_generation,
        enforce_limits: true,
        pool: settings.pool,
        egress: (&settings.egress).into(),
    })?;
    for w in &settings.workers {
        let mut spec = WorkerSpec::from_file(&w.name, &w.main)?;
        if let Some(engine) = &w.engine {
            spec = spec.with_engine(engine);
        }
        for (k, v) in &w.vars {
            spec = spec.with_var(k, to_host_value(v));
        }
        for s in &w.services {
            spec = spec.with_service(&s.binding, &s.service);
        }
        for (k, secret) in &w.secrets {
            spec = spec.with_var(k, HostValue::String(secret.expose().to_owned()));
        }
        spec = spec.with_limits(w.limits);
        if let Some(max) = w.max_instances {
            spec = spec.with_max_instances(max);
        }
        runtime.register(spec).await?;
    }
    Ok(runtime)
}

/// Serves `settings` until the process is stopped.
pub fn serve(settings: Settings) -> anyhow::Result<()> {
    actix::System::new().block_on(async move {
        let runtime = start_runtime(&settings).await?;
        let mut routes = RouteTable::new();
        for w in &settings.workers {
            routes.add(&w.name, &w.routes);
            // Evaluate each Worker once now, so broken code shows at start-up;
            // it is not fatal: the next request tries again.
            if let Err(e) = runtime.warm(&w.name).await {
                tracing::error!(worker = w.name.as_str(), "{e}");
            }
        }
        let listener = tokio::net::TcpListener::bind(settings.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
        let addr = listener.local_addr()?;
        for w in &settings.workers {
            let routes: Vec<String> = w.routes.iter().map(ToString::to_string).collect();
            tracing::info!(
                worker = w.name.as_str(),
                engine = w.engine.as_deref().unwrap_or(&settings.server.engine),
                "routes: {}{}.localhost/*",
                routes.iter().map(|r| format!("{r}, ")).collect::<String>(),
                w.name
            );
        }
        println!("motu listening on http://{addr}");
        std::io::stdout().flush()?;
        let jobs = settings
            .workers
            .iter()
            .flat_map(|w| {
                w.crons.iter().map(|trigger| CronJob {
                    worker: w.name.clone(),
                    trigger: trigger.clone(),
                    overlap: w.cron_overlap,
                })
            })
            .collect();
        start_scheduler(runtime.registry(), jobs);
        let mut gateway = GatewayActor::new(routes, runtime.registry())
            .with_scheduled_endpoint(settings.server.scheduled_endpoint);
        for w in &settings.workers {
            if let Some(origin) = &w.origin {
                gateway = gateway.with_origin(&w.name, origin.clone());
            }
        }
        let gateway = gateway.start();
        motu_gateway::serve(listener, gateway).await?;
        Ok(())
    })
}

/// Runs `worker`'s `scheduled` handler once with `cron`, and waits for its
/// `waitUntil` work to settle before returning.
pub fn trigger(settings: &Settings, worker: &str, cron: &str) -> anyhow::Result<()> {
    actix::System::new().block_on(async move {
        let runtime = start_runtime(settings).await?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        runtime
            .scheduled(worker, cron, now.as_millis() as f64)
            .await
            .with_context(|| format!("the scheduled event of '{worker}' failed"))?;
        runtime.drain().await;
        Ok(())
    })
}

/// Loads every Worker of `settings` once, reporting the first that fails.
pub fn check(settings: &Settings) -> anyhow::Result<()> {
    actix::System::new().block_on(async move {
        let runtime = start_runtime(settings).await?;
        for w in &settings.workers {
            runtime
                .warm(&w.name)
                .await
                .with_context(|| format!("{}", w.main.display()))?;
        }
        Ok(())
    })
}

/// Starts the server of `settings` in the current actix system, as
/// [`serve`] does (runtime, routes, gateway, HTTP listener), without
/// warming its Workers and without cron triggers, and returns once it
/// accepts connections, with the address it listens on. It serves until the
/// system stops. `motu bench` drives it.
pub async fn start_in_process(settings: &Settings) -> anyhow::Result<std::net::SocketAddr> {
    let runtime = start_runtime(settings).await?;
    let mut routes = RouteTable::new();
    for w in &settings.workers {
        routes.add(&w.name, &w.routes);
    }
    let listener = tokio::net::TcpListener::bind(settings.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
    let addr = listener.local_addr()?;
    let mut gateway = GatewayActor::new(routes, runtime.registry());
    for w in &settings.workers {
        if let Some(origin) = &w.origin {
            gateway = gateway.with_origin(&w.name, origin.clone());
        }
    }
    let gateway = gateway.start();
    actix_rt::spawn(async move {
        if let Err(e) = motu_gateway::serve(listener, gateway).await {
            tracing::error!("the bench server stopped: {e}");
        }
    });
    Ok(addr)
}
