//! Starting the runtime and the gateway from settings.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use actix::Actor;
use anyhow::Context;
use motu_config::{ModuleRuleSettings, ModuleRuleType};
use motu_config::{PlatformCompat, ServerSettings, Settings, StateDir, WorkerSettings};
use motu_gateway::assets::{AssetOptions, AssetServer, Assets};
use motu_gateway::{start_cluster_scheduler, CronJob, GatewayActor, Readiness, RouteTable};
use motu_runtime::{
    builtin_modules, HostValue, ModuleRule, NodeCompat, ProjectOptions, RuleType, Runtime,
    RuntimeConfig, RuntimeError, Storage, StorageBinding, WorkerSpec,
};

use crate::signals::ShutdownSignals;
use crate::vars::to_host_value;

/// Logs each Worker's routes and compatibility settings, and each
/// compatibility flag motu does not implement, once.
fn log_workers(settings: &Settings) {
    for w in &settings.workers {
        let mut routes: Vec<String> = w.routes.iter().map(ToString::to_string).collect();
        if w.workers_dev {
            routes.push(format!("{}.localhost/*", w.name.to_ascii_lowercase()));
        }
        tracing::info!(
            worker = w.name.as_str(),
            engine = w.engine.as_deref().unwrap_or(&settings.server.engine),
            "routes: {}",
            if routes.is_empty() {
                "none (reachable through service bindings only)".to_owned()
            } else {
                routes.join(", ")
            }
        );
        if let Some(date) = &w.compatibility_date {
            tracing::info!(worker = w.name.as_str(), "compatibility date {date}");
        }
    }
    let flags = settings
        .workers
        .iter()
        .flat_map(|w| w.compatibility_flags.iter().map(String::as_str));
    for flag in motu_config::compat::unsupported(flags) {
        tracing::warn!("compatibility flag '{flag}' is not supported by motu; ignored");
    }
}

/// Each Worker's static assets, by Worker name.
pub(crate) type SiteAssets = HashMap<String, Assets>;

/// The state folder of `settings`' storage bindings: opened (and locked)
/// now when a Worker has a storage binding, so that a folder another
/// process holds is a start-up error; otherwise opened if one is added
/// later (by `motu dev`). `throwaway`: a temporary folder whatever the
/// settings say (`motu check`).
fn storage_for(settings: &Settings, throwaway: bool) -> anyhow::Result<Storage> {
    let needed = settings.workers.iter().any(|w| {
        !w.kv_namespaces.is_empty()
            || !w.d1_databases.is_empty()
            || !w.r2_buckets.is_empty()
            || !w.queues.is_empty()
            || !w.durable_objects.bindings.is_empty()
            || !w.workflows.is_empty()
    });
    let storage = match &settings.server.state_dir {
        _ if throwaway => Storage::throwaway(),
        StateDir::Throwaway => Storage::throwaway(),
        StateDir::Folder(path) if needed => Storage::open(path)?,
        StateDir::Folder(path) => Storage::at(path),
    };
    let mut options = crate::d1::store_options(settings);
    if !throwaway {
        options.redis = crate::cluster::redis(settings)?;
    }
    Ok(storage.with_options(options))
}

/// Starts the runtime and registers every Worker of `settings` that has
/// code (an assets-only Worker needs no isolate); `dev`: as `motu dev`
/// loads them, see [`worker_spec`]. Also returns the Workers whose code
/// could not be loaded, with why: each is registered to answer 500. The storage bindings' stores are in
/// `storage`.
async fn start_runtime(
    settings: &Settings,
    dev: bool,
    assets: &SiteAssets,
    storage: Storage,
) -> anyhow::Result<(Runtime, Vec<(String, String)>)> {
    for w in &settings.workers {
        motu_runtime::apply_migrations(&storage, &w.name, &w.durable_objects.migrations)?;
    }
    motu_runtime::reconcile_alarms(&storage, &alarm_owners(settings))?;
    let runtime = Runtime::start(RuntimeConfig {
        storage,
        threads: settings.server.threads,
        default_engine: settings.server.engine.clone(),
        allow_code_generation: settings.server.allow_code_generation,
        enforce_limits: true,
        pool: settings.pool,
        egress: (&settings.egress).into(),
        executor_busy: settings.server.executor_busy,
    })?;
    let mut unloadable = Vec::new();
    for w in &settings.workers {
        // A Worker whose code cannot be loaded (a missing package, a module
        // that does not parse) fails on its own: it answers 500, and every
        // other Worker serves.
        let spec = match worker_spec(w, &settings.server, dev, assets.get(&w.name)) {
            Ok(Some(spec)) => spec,
            Ok(None) => continue,
            Err(e) => {
                let message = match e.downcast_ref::<RuntimeError>() {
                    Some(RuntimeError::Source { message, .. }) => message.clone(),
                    _ => format!("{e:#}"),
                };
                unloadable.push((w.name.clone(), message.clone()));
                WorkerSpec::failing(&w.name, &message).with_limits(w.limits)
            }
        };
        runtime.register(spec).await?;
    }
    Ok((runtime, unloadable))
}

/// Every Durable Object class the server's Workers bind, by namespace:
/// whose alarms the alarm index holds.
fn alarm_owners(settings: &Settings) -> Vec<motu_storage::durable::AlarmOwner> {
    let mut owners: Vec<motu_storage::durable::AlarmOwner> = Vec::new();
    for w in &settings.workers {
        for d in &w.durable_objects.bindings {
            let worker = d.script_name.clone().unwrap_or_else(|| w.name.clone());
            let namespace = motu_runtime::namespace_key(&worker, &d.original_class);
            if owners.iter().all(|o| o.namespace != namespace) {
                owners.push(motu_storage::durable::AlarmOwner {
                    namespace,
                    worker,
                    class: d.class_name.clone(),
                });
            }
        }
        for f in &w.workflows {
            let d = workflow_namespace(&w.name, f);
            if owners.iter().all(|o| o.namespace != d.namespace) {
                owners.push(motu_storage::durable::AlarmOwner {
                    namespace: d.namespace,
                    worker: d.worker,
                    class: d.class,
                });
            }
        }
    }
    owners
}

/// The Durable Object namespace that holds the instances of Workflow `f`
/// (a binding of Worker `worker`): one object per instance, of the
/// exporting Worker, whose class is the prelude's engine around the
/// Workflow's class (`js/cloudflare/workflows.js`; the `workflow:` prefix
/// tells it apart). Keyed by the Workflow's name, so every binding of one
/// Workflow reaches the same instances.
fn workflow_namespace(
    worker: &str,
    f: &motu_config::WorkflowBinding,
) -> motu_runtime::DurableBinding {
    let exporter = f.script_name.clone().unwrap_or_else(|| worker.to_owned());
    motu_runtime::DurableBinding {
        binding: f.binding.clone(),
        namespace: motu_runtime::namespace_key(&exporter, &format!("workflow:{}", f.name)),
        worker: exporter,
        class: format!("workflow:{}", f.class_name),
    }
}

/// The runtime's spec of a Worker of the settings; `None` for an
/// assets-only Worker. `dev`: loaded for `motu dev` (`serve --watch`),
/// where `process.env.NODE_ENV` is `"development"` as under `wrangler dev`;
/// otherwise `"production"`, as `wrangler deploy` builds it. The `NODE_ENV`
/// environment variable, when set, wins in both, as it does for wrangler.
/// `assets` answers the Worker's assets binding, if it has one; `server`
/// gives what every Worker of the server shares (`[server.cf]`).
/// The bindings of `platform` in `spec`: the version metadata as a var (a
/// fresh id for each load of the Worker, as `wrangler dev` gives one), the
/// Analytics Engine datasets and Hyperdrive configurations for the prelude
/// to make (`js/cloudflare/platform.js`).
fn platform_bindings(
    mut spec: WorkerSpec,
    platform: &motu_config::Platform,
) -> anyhow::Result<WorkerSpec> {
    let text = |s: &str| HostValue::String(s.to_owned());
    if let Some(binding) = &platform.version_metadata {
        let mut id = [0u8; 16];
        // Without randomness the id is all zeros: still a well-formed UUID.
        let _ = getrandom::getrandom(&mut id);
        id[6] = (id[6] & 0x0f) | 0x40;
        id[8] = (id[8] & 0x3f) | 0x80;
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        );
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let metadata = HostValue::Map(vec![
            ("id".into(), text(&uuid)),
            ("tag".into(), text("")),
            ("timestamp".into(), text(&timestamp)),
        ]);
        spec = spec.with_var(binding, metadata);
    }
    for a in &platform.analytics_engine_datasets {
        let value = HostValue::Map(vec![
            ("type".into(), text("analytics_engine")),
            ("dataset".into(), text(&a.dataset)),
        ]);
        spec = spec.with_platform_binding(&a.binding, value);
    }
    for h in &platform.hyperdrive {
        // The user, password and database as the URL has them
        // (percent-encoded): the prelude decodes them.
        let url = &h.connection;
        let value = HostValue::Map(vec![
            ("type".into(), text("hyperdrive")),
            ("id".into(), text(&h.id)),
            (
                "connectionString".into(),
                text(h.worker_connection().as_str()),
            ),
            ("scheme".into(), text(url.scheme())),
            ("host".into(), text(url.host_str().unwrap_or_default())),
            ("port".into(), HostValue::Number(f64::from(h.port()))),
            ("user".into(), text(url.username())),
            ("password".into(), text(url.password().unwrap_or_default())),
            ("database".into(), text(url.path().trim_start_matches('/'))),
        ]);
        spec = spec
            .with_platform_binding(&h.binding, value)
            .with_egress_host(h.address());
        if let Some(tls) = &h.tls {
            // `sslrootcert`, as wrangler reads it: from the current folder.
            let ca = match &tls.root_cert {
                Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
                    format!(
                        "Hyperdrive binding '{}': cannot read its sslrootcert {}",
                        h.binding,
                        path.display()
                    )
                })?),
                None => None,
            };
            spec = spec.with_database_tls(motu_runtime::DatabaseTls {
                address: h.address(),
                protocol: tls.protocol,
                mode: tls.mode,
                ca,
            });
        }
    }
    Ok(spec)
}

pub(crate) fn worker_spec(
    w: &WorkerSettings,
    server: &ServerSettings,
    dev: bool,
    assets: Option<&Assets>,
) -> anyhow::Result<Option<WorkerSpec>> {
    let Some(main) = &w.main else {
        return Ok(None);
    };
    // Both as absolute paths: `main` is relative to the current folder, not
    // to the project's.
    let root = std::path::absolute(&w.root)?;
    let mut project = ProjectOptions::new(&root, std::path::absolute(main)?);
    project.define = w.define.clone();
    project.alias = w.alias.clone();
    project.jsx_factory = w.jsx_factory.clone();
    project.jsx_fragment = w.jsx_fragment.clone();
    project.tsconfig = w.tsconfig.clone();
    project.node_env = std::env::var("NODE_ENV")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| if dev { "development" } else { "production" }.into());
    project.cache_dir = Some(root.join(".motu").join("cache"));
    project.rules = w.rules.iter().map(module_rule).collect();
    let node = NodeCompat::resolve(w.compatibility_date.as_deref(), &w.compatibility_flags);
    project.builtins = builtin_modules(&node);
    let mut spec = WorkerSpec::from_project(&w.name, &project)?
        .with_request_cf(server.request_cf.clone())
        .with_compatibility_flags(w.compatibility_flags.iter().cloned())
        .with_node_compat(node)
        .with_platform_compat(PlatformCompat::resolve(
            w.compatibility_date.as_deref(),
            &w.compatibility_flags,
        ));
    if let Some(engine) = &w.engine {
        spec = spec.with_engine(engine);
    }
    for (k, v) in &w.vars {
        spec = spec.with_var(k, to_host_value(v));
    }
    for s in &w.services {
        spec = match &s.entrypoint {
            Some(entrypoint) => spec.with_service_entrypoint(&s.binding, &s.service, entrypoint),
            None => spec.with_service(&s.binding, &s.service),
        };
        if let Some(props) = &s.props {
            spec = spec.with_service_props(
                &s.binding,
                to_host_value(&serde_json::Value::Object(props.clone())),
            );
        }
    }
    for (k, secret) in &w.secrets {
        spec = spec.with_var(k, HostValue::String(secret.expose().to_owned()));
    }
    for ns in &w.kv_namespaces {
        spec = spec.with_storage(StorageBinding::kv(&ns.binding, &ns.id));
    }
    for db in &w.d1_databases {
        spec = spec.with_storage(StorageBinding::d1(&db.binding, db.id()));
    }
    for b in &w.r2_buckets {
        let jurisdiction = b.jurisdiction.as_deref();
        spec = spec.with_storage(StorageBinding::r2(&b.binding, &b.bucket_name, jurisdiction));
    }
    for q in &w.queues.producers {
        spec = spec.with_storage(StorageBinding::queue(
            &q.binding,
            &q.queue,
            q.delivery_delay,
        ));
    }
    for e in &w.send_email {
        let rules = motu_runtime::email::checks::SendRules {
            destination_address: e.destination_address.clone(),
            allowed_destination_addresses: e.allowed_destination_addresses.clone(),
            allowed_sender_addresses: e.allowed_sender_addresses.clone(),
        };
        spec = spec.with_storage(StorageBinding::send_email(&e.name, &rules));
    }
    spec = platform_bindings(spec, &w.platform)?;
    for (binding, service) in &w.absent_services {
        let data = HostValue::Map(vec![
            ("type".into(), HostValue::String("absent_service".into())),
            ("service".into(), HostValue::String(service.clone())),
        ]);
        spec = spec.with_platform_binding(binding, data);
    }
    // A rate limiter counts in its namespace's store; its limit and period
    // are the JavaScript object's defaults.
    for r in &w.ratelimits {
        spec = spec.with_storage(StorageBinding::ratelimit(&r.name, &r.namespace_id));
        let defaults = HostValue::Map(vec![
            ("type".into(), HostValue::String("ratelimit".into())),
            ("limit".into(), HostValue::Number(r.limit as f64)),
            ("period".into(), HostValue::Number(r.period as f64)),
        ]);
        spec = spec.with_platform_binding(&r.name, defaults);
    }
    for d in &w.durable_objects.bindings {
        let exporter = d.script_name.clone().unwrap_or_else(|| w.name.clone());
        spec = spec.with_durable(motu_runtime::DurableBinding {
            binding: d.name.clone(),
            namespace: motu_runtime::namespace_key(&exporter, &d.original_class),
            worker: exporter,
            class: d.class_name.clone(),
        });
    }
    // A Workflow binding: its instances' namespace, and what the prelude
    // needs to make the binding (its name and step limit).
    for f in &w.workflows {
        spec = spec.with_durable(workflow_namespace(&w.name, f));
        let data = HostValue::Map(vec![
            ("type".into(), HostValue::String("workflow".into())),
            ("name".into(), HostValue::String(f.name.clone())),
            ("steps".into(), HostValue::Number(f.steps as f64)),
        ]);
        spec = spec.with_platform_binding(&f.binding, data);
    }
    // A Worker Loader binding (runtime/src/dynamic).
    for binding in &w.worker_loaders {
        let data = HostValue::Map(vec![(
            "type".into(),
            HostValue::String("worker_loader".into()),
        )]);
        spec = spec.with_platform_binding(binding, data);
    }
    // The Worker's own classes with storage that no binding names: their
    // namespaces are only in `ctx.exports`.
    for (class, first) in w.durable_objects.live_classes() {
        let bound =
            w.durable_objects.bindings.iter().any(|d| {
                d.script_name.as_ref().is_none_or(|s| *s == w.name) && d.class_name == class
            });
        if !bound {
            spec = spec.with_durable(motu_runtime::DurableBinding {
                binding: String::new(),
                namespace: motu_runtime::namespace_key(&w.name, &first),
                worker: w.name.clone(),
                class,
            });
        }
    }
    spec = spec.with_durable_idle(std::time::Duration::from_secs(
        w.durable_objects.idle_timeout_s,
    ));
    let binding = w.assets.as_ref().and_then(|a| a.binding.as_ref());
    if let (Some(binding), Some(assets)) = (binding, assets) {
        spec = spec.with_assets(binding, Arc::new(assets.clone()));
    }
    spec = spec.with_limits(w.limits);
    if let Some(max) = w.max_instances {
        spec = spec.with_max_instances(max);
    }
    Ok(Some(spec))
}

/// Reads `w`'s assets folder, if it has one, logging what was left out.
pub(crate) fn load_assets(w: &WorkerSettings) -> anyhow::Result<Option<AssetServer>> {
    let Some(settings) = &w.assets else {
        return Ok(None);
    };
    let options = AssetOptions {
        has_worker: w.main.is_some(),
        navigation_prefers_assets: motu_config::navigation_prefers_assets(
            w.compatibility_date.as_deref(),
            &w.compatibility_flags,
        ),
    };
    let (server, warnings) =
        AssetServer::load(settings, options).with_context(|| format!("Worker '{}'", w.name))?;
    for warning in warnings {
        tracing::warn!(worker = w.name.as_str(), "assets: {warning}");
    }
    let (files, headers, redirects) = server.counts();
    tracing::info!(
        worker = w.name.as_str(),
        "assets: {files} files from {} ({headers} _headers rules, {redirects} _redirects rules)",
        settings.directory.display()
    );
    Ok(Some(server))
}

/// Every Worker's assets.
fn load_all_assets(settings: &Settings) -> anyhow::Result<SiteAssets> {
    let mut all = SiteAssets::new();
    for w in &settings.workers {
        if let Some(server) = load_assets(w)? {
            all.insert(w.name.clone(), Assets::new(server));
        }
    }
    Ok(all)
}

/// The loader's module rule of a Worker's `rules` entry.
fn module_rule(rule: &ModuleRuleSettings) -> ModuleRule {
    ModuleRule {
        rule_type: match rule.rule_type {
            ModuleRuleType::ESModule => RuleType::ESModule,
            ModuleRuleType::CommonJS => RuleType::CommonJS,
            ModuleRuleType::Text => RuleType::Text,
            ModuleRuleType::Data => RuleType::Data,
            ModuleRuleType::CompiledWasm => RuleType::CompiledWasm,
        },
        globs: rule.globs.clone(),
        fallthrough: rule.fallthrough,
    }
}

/// Serves `settings` until SIGTERM or SIGINT, then shuts down gracefully
/// (see [`shut_down`]); with `watch`, loads new code when a Worker's files
/// or the config change.
pub fn serve(settings: Settings, watch: Option<crate::watch::Watch>) -> anyhow::Result<()> {
    actix::System::new().block_on(async move {
        let readiness = Readiness::new();
        if let Some(admin) = settings.admin.listen {
            start_admin(admin, readiness.clone()).await?;
        }
        let assets = load_all_assets(&settings)?;
        let started = std::time::Instant::now();
        let storage = storage_for(&settings, false)?;
        let (runtime, unloadable) =
            start_runtime(&settings, watch.is_some(), &assets, storage.clone()).await?;
        // Known now: logged before the server listens, and not checked again.
        for (worker, message) in &unloadable {
            tracing::error!(
                worker = worker.as_str(),
                "Worker '{worker}' failed to start: {message}"
            );
        }
        let (listener, addr) = bind(&settings).await?;
        crate::heap::trim_after_bursts();
        let mut signals = ShutdownSignals::new().context("cannot handle SIGTERM and SIGINT")?;
        log_workers(&settings);
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
        let redis = crate::cluster::redis(&settings)?;
        if let Some(redis) = &redis {
            crate::cluster::report_readiness(redis, &readiness);
        }
        start_cluster_scheduler(
            runtime.registry(),
            jobs,
            redis.as_ref().map(crate::cluster::tick_lock),
        );
        crate::queues::start_consumers(&settings, &runtime, &storage)?;
        let gateway = gateway_for(&settings, &runtime, &assets).start();
        if let Some(watch) = watch {
            watch.start(&settings, runtime.clone(), gateway.clone(), assets)?;
        }
        readiness.set_ready();
        check_in_background(&runtime, &settings, &unloadable, started);
        let mut received = None;
        let draining = motu_gateway::serve_until(listener, gateway, settings.server.http, async {
            received = Some(signals.recv().await);
        })
        .await?;
        readiness.set_stopping();
        let signal = received.map_or("a signal", |r| r.name());
        shut_down(
            draining,
            &runtime,
            &mut signals,
            settings.server.http.grace_period,
            signal,
        )
        .await;
        Ok(())
    })
}

/// Evaluates every Worker's code once in the background (each in a
/// throwaway isolate, on a thread of lower priority than the executors), so
/// that broken code shows in the log soon after start-up without delaying
/// readiness or keeping an isolate per Worker; a Worker whose code failed
/// is not fatal: it answers 500 and each request tries it again. Its
/// modules were read, parsed and resolved when it was registered (a Worker
/// that failed there, `unloadable`, was logged then and is not checked).
fn check_in_background(
    runtime: &Runtime,
    settings: &Settings,
    unloadable: &[(String, String)],
    started: std::time::Instant,
) {
    let names: Vec<String> = settings
        .workers
        .iter()
        .filter(|w| w.main.is_some() && !unloadable.iter().any(|(n, _)| *n == w.name))
        .map(|w| w.name.clone())
        .collect();
    let runtime = runtime.clone();
    let unloadable = unloadable.len();
    actix_rt::spawn(async move {
        let checked = runtime.check_in_background(names).await;
        tracing::info!(
            checked = checked.checked,
            already_started = checked.skipped,
            failed = checked.failed.len() + unloadable,
            seconds = started.elapsed().as_secs_f64(),
            "every Worker's code was checked"
        );
    });
}

/// Binds the HTTP listener of `settings`.
async fn bind(
    settings: &Settings,
) -> anyhow::Result<(tokio::net::TcpListener, std::net::SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(settings.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// The gateway of `settings` over `runtime`: every Worker's routes, the
/// manual trigger endpoint when enabled, origins for pass-through, and
/// static assets.
fn gateway_for(settings: &Settings, runtime: &Runtime, assets: &SiteAssets) -> GatewayActor {
    let mut routes = RouteTable::new();
    for w in &settings.workers {
        routes.add(&w.name, &w.routes, w.workers_dev);
    }
    let mut gateway = GatewayActor::new(routes, runtime.registry())
        .with_scheduled_endpoint(settings.server.scheduled_endpoint)
        .with_email_endpoint(settings.server.email_endpoint);
    for w in &settings.workers {
        if let Some(origin) = &w.origin {
            gateway = gateway.with_origin(&w.name, origin.clone());
        }
    }
    for (name, site) in assets {
        gateway = gateway.with_assets(name, site.clone());
    }
    gateway
}

/// The graceful shutdown, once the listener is closed: waits for the open
/// connections to finish their requests, then for the isolates'
/// `waitUntil` work, for up to `grace` in all. Past the grace period the
/// process exits with status 0 anyway; a second signal exits at once with
/// 128 plus the signal's number (130 for SIGINT, 143 for SIGTERM).
async fn shut_down(
    mut draining: motu_gateway::Draining,
    runtime: &Runtime,
    signals: &mut ShutdownSignals,
    grace: std::time::Duration,
    signal: &str,
) {
    tracing::info!(
        connections = draining.open(),
        "{signal} received: no longer accepting connections; finishing in-flight requests and waitUntil work (grace period {} s; a second signal exits at once)",
        grace.as_secs_f64()
    );
    let finish = async {
        draining.wait().await;
        tracing::info!("shutdown: every connection is closed; waiting for waitUntil work");
        runtime.drain().await;
        tracing::info!("shutdown: every isolate is quiet");
    };
    tokio::select! {
        finished = tokio::time::timeout(grace, finish) => {
            if finished.is_err() {
                // Open WebSockets are closed with 1001 (going away), and
                // have a moment for their clients' answers.
                let _ = tokio::time::timeout(
                    motu_runtime::websocket::CLOSE_WAIT,
                    draining.close_websockets(),
                )
                .await;
                tracing::warn!(
                    "shutdown: the grace period of {} s is over with work still going; exiting",
                    grace.as_secs_f64()
                );
                crate::log_sink::flush(crate::log_sink::FLUSH_AT_EXIT);
                Storage::remove_throwaways();
                std::process::exit(0);
            }
            tracing::info!("shutdown complete");
        }
        again = signals.recv() => {
            tracing::warn!(
                "{} received again: exiting at once with status {}",
                again.name(),
                again.exit_code()
            );
            crate::log_sink::flush(crate::log_sink::FLUSH_AT_EXIT);
                Storage::remove_throwaways();
            std::process::exit(again.exit_code());
        }
    }
}

/// Binds the admin listener on `addr`, says where it listens and serves it
/// in the background: `/healthz` answers from now on, `/readyz` once
/// `readiness` says so.
async fn start_admin(addr: std::net::SocketAddr, readiness: Readiness) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (admin)"))?;
    println!("motu admin listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    actix_rt::spawn(async move {
        if let Err(e) = motu_gateway::serve_admin(listener, readiness).await {
            tracing::error!("the admin listener stopped: {e}");
        }
    });
    Ok(())
}

/// Runs `worker`'s `scheduled` handler once with `cron`, and waits for its
/// `waitUntil` work to settle before returning.
pub fn trigger(settings: &Settings, worker: &str, cron: &str) -> anyhow::Result<()> {
    actix::System::new().block_on(async move {
        let assets = load_all_assets(settings)?;
        let runtime = start_runtime(settings, false, &assets, storage_for(settings, false)?)
            .await?
            .0;
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
        let assets = load_all_assets(settings)?;
        let (runtime, _) =
            start_runtime(settings, false, &assets, storage_for(settings, true)?).await?;
        for w in &settings.workers {
            let Some(main) = &w.main else { continue };
            runtime
                .warm(&w.name)
                .await
                .with_context(|| format!("{}", main.display()))?;
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
    let assets = load_all_assets(settings)?;
    let (runtime, _) =
        start_runtime(settings, false, &assets, storage_for(settings, false)?).await?;
    let (listener, addr) = bind(settings).await?;
    let gateway = gateway_for(settings, &runtime, &assets).start();
    actix_rt::spawn(async move {
        if let Err(e) = motu_gateway::serve(listener, gateway).await {
            tracing::error!("the bench server stopped: {e}");
        }
    });
    Ok(addr)
}
