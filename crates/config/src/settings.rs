//! Validated settings, with their defaults.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::raw::{RawConfig, RawWorker};
use crate::secrets::read_secret_files;
use crate::{
    AdminSettings, AssetsSettings, ConfigError, CronTrigger, HttpSettings, Limits, PoolLimits,
    RoutePattern, SecretValue,
};

/// Where the server listens when nothing says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// `[server] executor_busy_ms` when the file says nothing.
pub const DEFAULT_EXECUTOR_BUSY: Duration = Duration::from_millis(10);

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file it came from; `None` when built from one Worker file.
    pub file: Option<PathBuf>,
    /// `[server]`.
    pub server: ServerSettings,
    /// `[egress]`: where Workers' `fetch()` may go.
    pub egress: EgressSettings,
    /// `[admin]`: the admin listener (metrics, health). Default: off.
    pub admin: AdminSettings,
    /// `[cache]`: the Cache API's size.
    pub cache: crate::CacheSettings,
    /// `[cluster]`: the Redis server shared with other nodes. Default: none.
    pub cluster: crate::ClusterSettings,
    /// `[limits]`: the defaults of every Worker.
    pub limits: Limits,
    /// `[limits]`: the server-wide caps (`max_isolates`, `memory_budget_mb`).
    pub pool: PoolLimits,
    /// `[[workers]]`, in file order.
    pub workers: Vec<WorkerSettings>,
}

/// `[server]`.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `listen`: the address of the HTTP listener. Default `127.0.0.1:8787`;
    /// port 0 picks a free port.
    pub listen: SocketAddr,
    /// `engine`: the engine of Workers that name none. Default `quickjs`.
    pub engine: String,
    /// `threads`: executor threads. Default 0, one per core.
    pub threads: usize,
    /// `allow_code_generation`: whether Workers may use `eval` and
    /// `new Function`. Default false, as on Cloudflare Workers.
    pub allow_code_generation: bool,
    /// `scheduled_endpoint`: whether `GET /__scheduled?cron=EXPR` on any
    /// Worker's route fires its `scheduled` handler, for development.
    /// Default false.
    pub scheduled_endpoint: bool,
    /// `email_endpoint`: whether `POST /cdn-cgi/handler/email?from=…&to=…`
    /// (or `/cdn-cgi/local/email`) on any Worker's route fires its `email`
    /// handler with the request's body as the message, as `wrangler dev`
    /// does, for development. Default false.
    pub email_endpoint: bool,
    /// `grace_period_s`, `header_timeout_ms`, `max_header_bytes`,
    /// `max_headers`, `max_body_mb`, `body_timeout_ms`, `body_min_rate`,
    /// `first_chunk_wait_ms`, `keep_alive_max_requests`: the HTTP
    /// listener's limits and the shutdown grace period.
    pub http: HttpSettings,
    /// `executor_busy_ms`: how much CPU time one turn of JavaScript may use
    /// on an executor thread before that executor counts as stalled: new
    /// connections, and the events of other Workers whose isolates sit
    /// there (those already waiting there too), then go to another executor
    /// (starting an isolate there, within the Worker's `max_instances`).
    /// Default 10 ms.
    pub executor_busy: Duration,
    /// `state_dir`: where the storage bindings (KV, D1, R2) keep their
    /// data, relative to the config file; `":memory:"` for a throwaway
    /// folder. Default `.motu/state` next to the config (for a Worker file
    /// served without a config, in its project folder).
    pub state_dir: crate::StateDir,
    /// `[server.cf]`: fields copied into every fetch event's `request.cf`
    /// (where the client is, as Cloudflare's edge would say), as the JSON
    /// text of an object (see the `cf` module). Default none: only the fields
    /// motu knows are there.
    pub request_cf: Option<String>,
}

/// `[egress]`: where Workers' outbound `fetch()` may connect.
///
/// By default only public addresses are reachable, so a Worker cannot reach
/// the host's own services (loopback), the private networks around it, or
/// link-local metadata endpoints. The check applies to every address a name
/// resolves to, at connect time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressSettings {
    /// `allow_private`: also allow loopback, private, link-local and other
    /// non-public addresses. Default false.
    pub allow_private: bool,
    /// `allow_hosts`: host names or addresses (`host` or `host:port`)
    /// reachable even when they resolve to non-public addresses. Default
    /// none.
    pub allow_hosts: Vec<String>,
}

/// One `[[workers]]` entry.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// `name`: unique; letters, digits, `-` and `_`.
    pub name: String,
    /// `main`: the entry file, relative to the config file. Required,
    /// unless the Worker has `assets` (an assets-only Worker).
    pub main: Option<PathBuf>,
    /// The Worker's project folder, where its modules, `tsconfig.json` and
    /// `node_modules` are, and where its relative paths start: `root`
    /// (relative to the config file), by default the config file's folder
    /// (for a single Worker file served without a config, the file's
    /// folder). Nothing outside it can be imported.
    pub root: PathBuf,
    /// `define`: global expressions replaced in the Worker's code at load,
    /// each a name or property chain and the JavaScript expression it
    /// becomes (as wrangler's `define`). Default none.
    pub define: Vec<(String, String)>,
    /// `alias`: module aliases, each a specifier and the module or file
    /// (relative to `root`) it becomes, as wrangler's `alias`. Default
    /// none.
    pub alias: Vec<(String, String)>,
    /// `jsx_factory`: the classic-runtime JSX factory for modules whose
    /// `tsconfig.json` and pragmas name none (as wrangler's). Default
    /// `None`: `React.createElement`.
    pub jsx_factory: Option<String>,
    /// `jsx_fragment`: the classic-runtime JSX fragment, likewise. Default
    /// `None`: `React.Fragment`.
    pub jsx_fragment: Option<String>,
    /// `tsconfig`: the `tsconfig.json` whose `compilerOptions` shape how
    /// TypeScript and JSX are transpiled, relative to the config file.
    /// Default `None`: the one nearest to the entry.
    pub tsconfig: Option<PathBuf>,
    /// `routes`: the patterns that reach this Worker. Default: none; a
    /// config with a single Worker and no routes serves it on every host
    /// and path (`*/*`).
    pub routes: Vec<RoutePattern>,
    /// `workers_dev`: whether the Worker is also reachable at
    /// `NAME.localhost`, as a Worker on `workers.dev` is. Default: true
    /// when the config declares one Worker, false when it declares more (so
    /// a Worker meant only for service bindings is not public).
    pub workers_dev: bool,
    /// `engine`: overrides `[server] engine`.
    pub engine: Option<String>,
    /// `[workers.vars]`: bindings in `env`; strings stay strings, other
    /// values arrive as their JSON value.
    pub vars: Vec<(String, serde_json::Value)>,
    /// `[workers.limits]` over `[limits]`.
    pub limits: Limits,
    /// `max_instances`: how many isolates the Worker may run at once.
    /// Default: one per executor thread.
    pub max_instances: Option<usize>,
    /// `crons`: when the gateway fires the Worker's `scheduled` handler
    /// (UTC). Default none.
    pub crons: Vec<CronTrigger>,
    /// `cron_overlap`: whether a trigger may fire while its previous run is
    /// still going. Default false: that tick is skipped (and logged).
    pub cron_overlap: bool,
    /// `secrets`: names of bindings in `env` whose values come from the
    /// process environment or `.dev.vars` next to the config; never shown
    /// in logs or error pages. Default none.
    pub secrets: Vec<(String, SecretValue)>,
    /// `[[workers.services]]`: service bindings, `binding = "AUTH"` and
    /// `service = "auth"`, giving `env.AUTH.fetch(request)` that calls the
    /// other Worker in-process. Default none.
    pub services: Vec<ServiceBinding>,
    /// Service bindings of a Wrangler config to Workers this server does
    /// not run, `(binding, service)`: as under `wrangler dev` with the
    /// other Worker not running, `env.BINDING.fetch()` answers 503 and its
    /// RPC methods throw, naming the Worker. Default none.
    pub absent_services: Vec<(String, String)>,
    /// `compatibility_date` (`YYYY-MM-DD`): recorded and shown at start-up;
    /// it decides the defaults that change with the date, as on Cloudflare
    /// (see [`crate::NodeCompat`] and [`crate::PlatformCompat`]). Default
    /// none.
    pub compatibility_date: Option<String>,
    /// `[workers.assets]`: static files served before the Worker runs.
    /// Default none.
    pub assets: Option<AssetsSettings>,
    /// `compatibility_flags`: recorded per Worker; the flags motu implements
    /// take effect, the others are warned about at start-up (see
    /// [`crate::compat`]). Default none.
    pub compatibility_flags: Vec<String>,
    /// `origin`: an `http(s)://` URL; when the Worker has called
    /// `ctx.passThroughOnException()` and then throws, the request is sent
    /// there instead of failing with a 500. Default none.
    pub origin: Option<url::Url>,
    /// `rules`: module rules (Text, Data, CompiledWasm), before the default
    /// ones. Default none.
    pub rules: Vec<crate::ModuleRuleSettings>,
    /// `[[workers.r2_buckets]]`: R2 bucket bindings. Default none.
    pub r2_buckets: Vec<crate::R2BucketBinding>,
    /// `[[workers.kv_namespaces]]`: KV namespace bindings (see
    /// [`crate::KvNamespaceSettings`]). Default none.
    pub kv_namespaces: Vec<crate::KvNamespaceSettings>,
    /// `[[workers.d1_databases]]`: D1 database bindings (see the `d1`
    /// module). Default none.
    pub d1_databases: Vec<crate::D1Binding>,
    /// `[workers.queues]`: queue producers and consumers (see
    /// [`crate::QueuesSettings`]). Default none.
    pub queues: crate::QueuesSettings,
    /// `[[workers.send_email]]`: email bindings (see
    /// [`crate::SendEmailBinding`]). Default none.
    pub send_email: Vec<crate::SendEmailBinding>,
    /// `version_metadata`, `analytics_engine_datasets` and `hyperdrive`
    /// (see [`crate::Platform`]). Default none.
    pub platform: crate::Platform,
    /// `[[workers.ratelimits]]`: rate limiting bindings (see
    /// [`crate::RateLimitBinding`]). Default none.
    pub ratelimits: Vec<crate::RateLimitBinding>,
    /// `[[workers.workflows]]`: Workflow bindings (see
    /// [`crate::WorkflowBinding`]). Default none.
    pub workflows: Vec<crate::WorkflowBinding>,
    /// `[[workers.worker_loaders]]`: the names in `env` of Dynamic Worker
    /// Loader bindings (see the `worker_loaders` module). Default none.
    pub worker_loaders: Vec<String>,
    /// `durable_objects` and `migrations`: Durable Object namespace
    /// bindings and the history of the Worker's classes (see
    /// [`crate::DurableObjectsSettings`]). Default none.
    pub durable_objects: crate::DurableObjectsSettings,
    /// `[workers.build]`: the custom build that makes the Worker's `main`
    /// or assets (see [`crate::BuildSettings`]). Default none.
    pub build: Option<crate::BuildSettings>,
}

/// A service binding: a name in `env` for another Worker of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceBinding {
    /// The name in `env`.
    pub binding: String,
    /// The Worker it calls.
    pub service: String,
    /// The named export of that Worker whose methods the binding calls
    /// over RPC (`export class Api extends WorkerEntrypoint`); `None` (the
    /// default): its default export.
    pub entrypoint: Option<String>,
    /// `props`: an object the called entrypoint reads as `ctx.props` on
    /// every call through this binding. Default none (`ctx.props` is an
    /// empty object).
    pub props: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Settings {
    /// The settings for serving one Worker file on every host and path,
    /// without a config file.
    pub fn single_worker(main: &Path, engines: &[&str]) -> Result<Self, ConfigError> {
        let invalid = |field: &str, message: String| ConfigError::Invalid {
            file: main.to_path_buf(),
            field: field.to_owned(),
            message,
        };
        if !main.is_file() {
            return Err(invalid("main", "no such file".into()));
        }
        let stem = main
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("worker");
        let name: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        Ok(Self {
            file: None,
            server: ServerSettings {
                state_dir: crate::StateDir::default_in(&single_worker_root(main)),
                ..ServerSettings::defaults(engines, main)?
            },
            workers: vec![WorkerSettings {
                name,
                main: Some(main.to_path_buf()),
                root: single_worker_root(main),
                define: Vec::new(),
                alias: Vec::new(),
                jsx_factory: None,
                jsx_fragment: None,
                tsconfig: None,
                routes: vec![RoutePattern::parse("*/*").expect("a valid pattern")],
                build: None,
                workers_dev: true,
                engine: None,
                vars: Vec::new(),
                limits: Limits::default(),
                max_instances: None,
                crons: Vec::new(),
                cron_overlap: false,
                secrets: Vec::new(),
                services: Vec::new(),
                absent_services: Vec::new(),
                r2_buckets: Vec::new(),
                origin: None,
                rules: Vec::new(),
                compatibility_date: None,
                assets: None,
                compatibility_flags: Vec::new(),
                kv_namespaces: Vec::new(),
                d1_databases: Vec::new(),
                queues: Default::default(),
                send_email: Vec::new(),
                platform: crate::Platform::default(),
                ratelimits: Vec::new(),
                workflows: Vec::new(),
                worker_loaders: Vec::new(),
                durable_objects: Default::default(),
            }],
            limits: Limits::default(),
            pool: PoolLimits::default(),
            egress: EgressSettings::default(),
            admin: AdminSettings::default(),
            cache: crate::CacheSettings::default(),
            cluster: Default::default(),
        })
    }

    /// Validates what was read from `file`.
    pub(crate) fn validate(
        file: &Path,
        raw: RawConfig,
        engines: &[&str],
    ) -> Result<Self, ConfigError> {
        let invalid = |field: String, message: String| ConfigError::Invalid {
            file: file.to_path_buf(),
            field,
            message,
        };
        let check_engine = |field: String, name: &str| {
            if engines.contains(&name) {
                Ok(())
            } else {
                Err(invalid(
                    field,
                    format!(
                        "engine '{name}' is not built in (available: {}{})",
                        engines.join(", "),
                        if name == "v8" {
                            "; build with --features v8"
                        } else {
                            ""
                        }
                    ),
                ))
            }
        };
        let mut server = ServerSettings::defaults(engines, file)?;
        server.http = server
            .http
            .with(&raw.server)
            .map_err(|(field, message)| invalid(format!("server.{field}"), message))?;
        if let Some(listen) = raw.server.listen {
            server.listen = listen.parse().map_err(|_| {
                invalid(
                    "server.listen".into(),
                    format!("'{listen}' is not an address like 127.0.0.1:8787"),
                )
            })?;
        }
        if let Some(engine) = raw.server.engine {
            check_engine("server.engine".into(), &engine)?;
            server.engine = engine;
        }
        server.threads = raw.server.threads.unwrap_or(0);
        server.allow_code_generation = raw.server.allow_code_generation.unwrap_or(false);
        server.scheduled_endpoint = raw.server.scheduled_endpoint.unwrap_or(false);
        server.email_endpoint = raw.server.email_endpoint.unwrap_or(false);
        match raw.server.executor_busy_ms {
            Some(0) => {
                return Err(invalid(
                    "server.executor_busy_ms".into(),
                    "must be greater than 0".into(),
                ))
            }
            Some(ms) => server.executor_busy = Duration::from_millis(ms),
            None => {}
        }
        if let Some(dir) = &raw.server.state_dir {
            server.state_dir = crate::StateDir::parse(dir, &config_folder(file))
                .map_err(|m| invalid("server.state_dir".into(), m))?;
        }
        server.request_cf = crate::cf::request_cf(raw.server.cf.as_ref())
            .map_err(|(field, message)| invalid(format!("server.{field}"), message))?;
        let limits = Limits::default()
            .with(&raw.limits)
            .map_err(|(field, message)| invalid(format!("limits.{field}"), message))?;
        let mut allow_hosts = Vec::new();
        for (i, host) in raw.egress.allow_hosts.iter().enumerate() {
            let valid = !host.is_empty()
                && !host.contains(['/', ' ', '@', '?', '#'])
                && url::Url::parse(&format!("http://{host}/")).is_ok();
            if !valid {
                return Err(invalid(
                    format!("egress.allow_hosts[{i}]"),
                    format!("'{host}' is not a host or host:port"),
                ));
            }
            allow_hosts.push(host.to_ascii_lowercase());
        }
        let egress = EgressSettings {
            allow_private: raw.egress.allow_private.unwrap_or(false),
            allow_hosts,
        };
        let pool = PoolLimits::from_raw(&raw.limits)
            .map_err(|(field, message)| invalid(format!("limits.{field}"), message))?;
        let admin = AdminSettings::from_raw(&raw.admin)
            .map_err(|(field, message)| invalid(field, message))?;
        let cache = crate::CacheSettings::from_raw(&raw.cache)
            .map_err(|(field, message)| invalid(field, message))?;
        let cluster = crate::ClusterSettings::from_raw(&raw.cluster)
            .map_err(|(field, message)| invalid(field, message))?;

        let base = match file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut names = HashSet::new();
        let mut workers = Vec::new();
        let workers_dev: Vec<Option<bool>> = raw.workers.iter().map(|w| w.workers_dev).collect();
        for (i, w) in raw.workers.into_iter().enumerate() {
            // A Worker's own folder, where its paths start (`root`).
            let root = w.root.as_deref().map(|r| base.join(r));
            workers.push(validate_worker(
                i,
                w,
                root.as_deref().unwrap_or(base),
                limits,
                &mut names,
                &invalid,
                &check_engine,
            )?);
        }
        // One Worker: served everywhere unless it names its routes, and at
        // NAME.localhost unless it opts out; several: only where routed.
        let single = workers.len() == 1;
        for (w, dev) in workers.iter_mut().zip(workers_dev) {
            w.workers_dev = dev.unwrap_or(single);
            if single && w.routes.is_empty() {
                w.routes
                    .push(RoutePattern::parse("*/*").expect("a valid pattern"));
            }
        }
        crate::workflows::validate_across(
            workers
                .iter()
                .enumerate()
                .map(|(i, w)| (i, w.name.as_str(), &w.workflows[..])),
        )
        .map_err(|(f, m)| invalid(f, m))?;
        crate::queues::validate_consumers(
            workers
                .iter()
                .enumerate()
                .map(|(i, w)| (i, w.name.as_str(), &w.queues)),
        )
        .map_err(|(f, m)| invalid(f, m))?;
        for (i, w) in workers.iter().enumerate() {
            for (j, s) in w.services.iter().enumerate() {
                if !names.contains(&s.service) {
                    return Err(invalid(
                        format!("workers[{i}].services[{j}].service"),
                        format!(
                            "binding '{}' of Worker '{}' names no Worker: there is no Worker '{}'",
                            s.binding, w.name, s.service
                        ),
                    ));
                }
            }
            for (j, b) in w.workflows.iter().enumerate() {
                if let Some(script) = b.script_name.as_ref().filter(|s| !names.contains(*s)) {
                    return Err(invalid(
                        format!("workers[{i}].workflows[{j}].script_name"),
                        format!("binding '{}' names no Worker of this server: there is no Worker '{script}'", b.binding),
                    ));
                }
            }
            for (j, b) in w.durable_objects.bindings.iter().enumerate() {
                if let Some(script) = b.script_name.as_ref().filter(|s| !names.contains(*s)) {
                    return Err(invalid(
                        format!("workers[{i}].durable_objects.bindings[{j}].script_name"),
                        format!("binding '{}' names no Worker of this server: there is no Worker '{script}'", b.name),
                    ));
                }
            }
        }
        // A binding's class is known by its first name (see
        // DurableObjectBinding::original_class).
        let origins: Vec<Vec<String>> = workers
            .iter()
            .map(|w| {
                w.durable_objects
                    .bindings
                    .iter()
                    .map(|b| {
                        let script = b.script_name.as_deref().unwrap_or(&w.name);
                        let exporter = workers.iter().find(|o| o.name == script).unwrap_or(w);
                        crate::durable_objects::original_class(
                            &exporter.durable_objects.migrations,
                            &b.class_name,
                        )
                    })
                    .collect()
            })
            .collect();
        for (w, origins) in workers.iter_mut().zip(origins) {
            for (b, origin) in w.durable_objects.bindings.iter_mut().zip(origins) {
                b.original_class = origin;
            }
        }
        Ok(Self {
            file: Some(file.to_path_buf()),
            server,
            limits,
            pool,
            egress,
            admin,
            cache,
            cluster,
            workers,
        })
    }
}

fn validate_worker(
    i: usize,
    w: RawWorker,
    base: &Path,
    limits: Limits,
    names: &mut HashSet<String>,
    invalid: &dyn Fn(String, String) -> ConfigError,
    check_engine: &dyn Fn(String, &str) -> Result<(), ConfigError>,
) -> Result<WorkerSettings, ConfigError> {
    let field = |f: &str| format!("workers[{i}].{f}");
    let name = w
        .name
        .ok_or_else(|| invalid(field("name"), "missing".into()))?;
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        return Err(invalid(
            field("name"),
            format!("'{name}' must be letters, digits, '-' or '_'"),
        ));
    }
    if !names.insert(name.clone()) {
        return Err(invalid(
            field("name"),
            format!("two Workers are named '{name}'"),
        ));
    }
    let build = match &w.build {
        None => None,
        Some(raw) => crate::build::validate(raw, base)
            .map_err(|(f, message)| invalid(field(&format!("build.{f}")), message))?,
    };
    // A custom build makes `main` and the assets folder: they are checked
    // once it has run.
    let built = build.is_some();
    let assets = match &w.assets {
        None => None,
        Some(raw) => Some(
            AssetsSettings::from_raw(raw, base, w.main.is_some(), built)
                .map_err(|(f, message)| invalid(field(&format!("assets.{f}")), message))?,
        ),
    };
    let main_path = match &w.main {
        None if assets.is_some() => None,
        None => {
            return Err(invalid(
                field("main"),
                "missing (a Worker needs `main`, or `assets` to serve only files)".into(),
            ))
        }
        Some(main) => {
            let main_path = base.join(main);
            if !built && !main_path.is_file() {
                return Err(invalid(
                    field("main"),
                    format!("'{}' does not exist", main_path.display()),
                ));
            }
            Some(main_path)
        }
    };
    let mut routes = Vec::new();
    for (j, r) in w.routes.iter().enumerate() {
        routes
            .push(RoutePattern::parse(r).map_err(|m| invalid(field(&format!("routes[{j}]")), m))?);
    }
    if let Some(engine) = &w.engine {
        check_engine(field("engine"), engine)?;
    }
    PoolLimits::reject_in_worker(&w.limits)
        .map_err(|(f, message)| invalid(field(&format!("limits.{f}")), message))?;
    let limits = limits
        .with(&w.limits)
        .map_err(|(f, message)| invalid(field(&format!("limits.{f}")), message))?;
    if w.max_instances == Some(0) {
        return Err(invalid(
            field("max_instances"),
            "must be greater than 0".into(),
        ));
    }
    if main_path.is_none() && !w.crons.is_empty() {
        return Err(invalid(
            field("crons"),
            "an assets-only Worker (without `main`) has no scheduled handler to trigger".into(),
        ));
    }
    let mut crons = Vec::new();
    for (j, expression) in w.crons.iter().enumerate() {
        let trigger = CronTrigger::parse(expression).map_err(|m| {
            invalid(
                field(&format!("crons[{j}]")),
                format!("Worker '{name}': invalid cron expression '{expression}': {m}"),
            )
        })?;
        crons.push(trigger);
    }
    let mut secrets = Vec::new();
    for (j, secret) in w.secrets.iter().enumerate() {
        let field = field(&format!("secrets[{j}]"));
        if w.vars.contains_key(secret) {
            return Err(invalid(field, format!("'{secret}' is also a var")));
        }
        let value = match std::env::var(secret) {
            Ok(value) => value,
            Err(_) => {
                let files = w
                    .secret_files
                    .clone()
                    .unwrap_or_else(|| vec![crate::secrets::DEV_VARS.to_owned()]);
                let values =
                    read_secret_files(base, &files).map_err(|m| invalid(field.clone(), m))?;
                values.get(secret).cloned().ok_or_else(|| {
                    invalid(
                        field.clone(),
                        format!(
                            "secret '{secret}' is not set: put it in the environment or in {} next to the config",
                            if files.is_empty() { crate::secrets::DEV_VARS.to_owned() } else { files.join(" or ") }
                        ),
                    )
                })?
            }
        };
        secrets.push((secret.clone(), SecretValue::new(value)));
    }
    let mut services = Vec::new();
    for (j, s) in w.services.iter().enumerate() {
        let field = |f: &str| field(&format!("services[{j}].{f}"));
        let binding = s
            .binding
            .clone()
            .ok_or_else(|| invalid(field("binding"), "missing".into()))?;
        let service = s
            .service
            .clone()
            .ok_or_else(|| invalid(field("service"), "missing".into()))?;
        if w.vars.contains_key(&binding) || w.secrets.contains(&binding) {
            return Err(invalid(
                field("binding"),
                format!("'{binding}' is also a var or secret"),
            ));
        }
        let entrypoint = s.entrypoint.clone();
        let props = match &s.props {
            None => None,
            Some(serde_json::Value::Object(props)) => Some(props.clone()),
            Some(_) => return Err(invalid(field("props"), "must be a table".into())),
        };
        services.push(ServiceBinding {
            binding,
            service,
            entrypoint,
            props,
        });
    }
    let absent_services = w
        .absent_services
        .iter()
        .filter_map(|s| Some((s.binding.clone()?, s.service.clone()?)))
        .collect();
    let origin = match &w.origin {
        None => None,
        Some(o) => match url::Url::parse(o) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Some(u),
            _ => {
                return Err(invalid(
                    field("origin"),
                    format!("'{o}' is not an http:// or https:// URL"),
                ))
            }
        },
    };
    if let Some(binding) = assets.as_ref().and_then(|a| a.binding.as_ref()) {
        if w.vars.contains_key(binding)
            || w.secrets.contains(binding)
            || services.iter().any(|s| &s.binding == binding)
        {
            return Err(invalid(
                field("assets.binding"),
                format!("'{binding}' is also a var, secret or service binding"),
            ));
        }
    }
    let compatibility_date = match w.compatibility_date {
        Some(date) if chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_err() => {
            return Err(invalid(
                field("compatibility_date"),
                format!("'{date}' is not a date like 2024-09-23"),
            ))
        }
        date => date,
    };
    for (j, flag) in w.compatibility_flags.iter().enumerate() {
        let valid = !flag.is_empty()
            && flag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(invalid(
                field(&format!("compatibility_flags[{j}]")),
                format!("'{flag}' is not a compatibility flag name"),
            ));
        }
    }
    let rules = crate::rules::validate(&w.rules).map_err(|(f, m)| invalid(field(&f), m))?;
    let taken = |name: &str| {
        w.vars.contains_key(name)
            || w.secrets.iter().any(|s| s == name)
            || services.iter().any(|s| s.binding == name)
            || assets.as_ref().and_then(|a| a.binding.as_deref()) == Some(name)
    };
    let kv_namespaces =
        crate::kv::validate(&w.kv_namespaces, &taken).map_err(|(f, m)| invalid(field(&f), m))?;
    let d1_databases = crate::d1::validate(&w.d1_databases, base, &|name| {
        taken(name) || kv_namespaces.iter().any(|k| k.binding == name)
    })
    .map_err(|(f, m)| invalid(field(&f), m))?;
    let r2_taken = |name: &str| {
        taken(name)
            || kv_namespaces.iter().any(|k| k.binding == name)
            || d1_databases.iter().any(|d| d.binding == name)
    };
    let r2_buckets =
        crate::r2::validate(&w.r2_buckets, &r2_taken).map_err(|(f, m)| invalid(field(&f), m))?;
    let queues = crate::queues::validate(&w.queues, &|name| {
        r2_taken(name) || r2_buckets.iter().any(|b| b.binding == name)
    })
    .map_err(|(f, m)| invalid(field(&f), m))?;
    let send_email = crate::email::validate(&w.send_email, &|name| {
        r2_taken(name)
            || r2_buckets.iter().any(|b| b.binding == name)
            || queues.producers.iter().any(|q| q.binding == name)
    })
    .map_err(|(f, m)| invalid(field(&f), m))?;
    let email_taken = |name: &str| {
        r2_taken(name)
            || r2_buckets.iter().any(|b| b.binding == name)
            || queues.producers.iter().any(|q| q.binding == name)
            || send_email.iter().any(|e| e.name == name)
    };
    let platform = crate::platform::validate(
        w.version_metadata.as_ref(),
        &w.analytics_engine_datasets,
        &w.hyperdrive,
        &email_taken,
        &|name| std::env::var(name).ok().filter(|v| !v.is_empty()),
    )
    .map_err(|(f, m)| invalid(field(&f), m))?;
    let platform_taken = |name: &str| {
        email_taken(name)
            || platform.version_metadata.as_deref() == Some(name)
            || platform
                .analytics_engine_datasets
                .iter()
                .any(|a| a.binding == name)
            || platform.hyperdrive.iter().any(|h| h.binding == name)
    };
    let ratelimits = crate::ratelimit::validate(&w.ratelimits, &platform_taken)
        .map_err(|(f, m)| invalid(field(&f), m))?;
    let workflows = crate::workflows::validate(&w.workflows, &|name| {
        platform_taken(name) || ratelimits.iter().any(|r| r.name == name)
    })
    .map_err(|(f, m)| invalid(field(&f), m))?;
    let worker_loaders = crate::worker_loaders::validate(&w.worker_loaders, &|name| {
        platform_taken(name)
            || ratelimits.iter().any(|r| r.name == name)
            || workflows.iter().any(|f| f.binding == name)
    })
    .map_err(|(f, m)| invalid(field(&f), m))?;
    let durable_objects =
        crate::durable_objects::validate(&w.durable_objects, &w.migrations, &|name| {
            platform_taken(name)
                || ratelimits.iter().any(|r| r.name == name)
                || workflows.iter().any(|f| f.binding == name)
                || worker_loaders.iter().any(|l| l == name)
        })
        .map_err(|(f, m)| invalid(field(&f), m))?;
    Ok(WorkerSettings {
        build,
        durable_objects,
        queues,
        send_email,
        platform,
        ratelimits,
        workflows,
        worker_loaders,
        kv_namespaces,
        d1_databases,
        assets,
        rules,
        r2_buckets,
        compatibility_date,
        compatibility_flags: w.compatibility_flags,
        root: base.to_path_buf(),
        workers_dev: false,
        origin,
        services,
        absent_services,
        secrets,
        crons,
        cron_overlap: w.cron_overlap.unwrap_or(false),
        name,
        main: main_path,
        define: w.define.into_iter().collect(),
        alias: w.alias.into_iter().collect(),
        jsx_factory: w.jsx_factory,
        jsx_fragment: w.jsx_fragment,
        tsconfig: w.tsconfig.map(|t| base.join(t)),
        routes,
        engine: w.engine,
        vars: w.vars.into_iter().collect(),
        limits,
        max_instances: w.max_instances,
    })
}

/// The folder of a config file (`.` for a bare file name).
fn config_folder(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The project folder of a Worker file served without a config: the
/// nearest folder, from the file's own upwards, that holds a `package.json`
/// (the npm project whose `node_modules` it imports from); else the file's
/// own folder.
fn single_worker_root(main: &Path) -> PathBuf {
    let folder = match main.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::path::absolute(&folder)
        .unwrap_or_else(|_| folder.clone())
        .ancestors()
        .find(|dir| dir.join("package.json").is_file())
        .map_or(folder, Path::to_path_buf)
}

impl ServerSettings {
    fn defaults(engines: &[&str], file: &Path) -> Result<Self, ConfigError> {
        let engine = engines.first().ok_or_else(|| ConfigError::Invalid {
            file: file.to_path_buf(),
            field: "server.engine".into(),
            message: "no engine is built in".into(),
        })?;
        Ok(Self {
            listen: DEFAULT_LISTEN.parse().expect("a valid address"),
            engine: (*engine).to_owned(),
            threads: 0,
            allow_code_generation: false,
            scheduled_endpoint: false,
            email_endpoint: false,
            http: HttpSettings::default(),
            executor_busy: DEFAULT_EXECUTOR_BUSY,
            state_dir: crate::StateDir::default_in(&config_folder(file)),
            request_cf: None,
        })
    }
}
