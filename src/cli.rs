//! The command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use motu_config::Settings;
use motu_runtime::EngineSet;

use crate::custom_build::Purpose;

/// motu: a self-hostable runtime for Workers-style JavaScript, on QuickJS or V8.
#[derive(Debug, Parser)]
#[command(name = "motu", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written to stderr: text (for people) or json (one
    /// JSON object per line, for machines).
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "FORMAT",
        env = "MOTU_LOG_FORMAT",
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve one Worker file on every host and path, or the Workers of a config file.
    Serve(ServeArgs),
    /// Validate a config file and load every Worker in it, without serving.
    Check(CheckArgs),
    /// `serve --watch`: serve, and load new code when a Worker's files or
    /// the config change.
    Dev(ServeArgs),
    /// Run one Worker's `scheduled` handler once, as a cron trigger would, and exit.
    Trigger(TriggerArgs),
    /// Measure a Worker (or the built-in workloads) on each engine: cold
    /// start, throughput and latency, memory, CPU per request.
    Bench(crate::bench::BenchArgs),
    /// Work with the D1 databases of a config: run SQL, create and apply
    /// migrations.
    #[command(subcommand)]
    D1(crate::d1::D1Command),
}

#[derive(Debug, Args)]
struct TriggerArgs {
    /// The config file that declares the Worker (motu.toml or a Wrangler
    /// config) [default: the current folder's wrangler.jsonc, wrangler.json,
    /// wrangler.toml or motu.toml].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The Worker's name.
    #[arg(value_name = "WORKER")]
    worker: String,
    /// The cron expression the event carries [default: the Worker's first
    /// trigger, or "* * * * *"].
    #[arg(long, value_name = "EXPR")]
    cron: Option<String>,
    /// The state folder (see `motu serve --persist-to`).
    #[arg(long, value_name = "DIR")]
    persist_to: Option<String>,
    /// Do not run the config's custom builds (`build.command`): run what
    /// they made before.
    #[arg(long)]
    no_build: bool,
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// The Worker to serve (an ES module or a service-worker script, in
    /// JavaScript or TypeScript).
    #[arg(value_name = "WORKER.js", conflicts_with = "config")]
    worker: Option<PathBuf>,
    /// A config file that declares the server and its Workers: motu.toml, or
    /// a Wrangler config (wrangler.toml, wrangler.json, wrangler.jsonc)
    /// [default, without a Worker file: the current folder's wrangler.jsonc,
    /// wrangler.json, wrangler.toml or motu.toml, the first that exists].
    /// Given several times, Wrangler configs of several projects served
    /// together, as `wrangler dev -c a -c b`: the first one's Worker gets
    /// the requests, the others are reached through its bindings.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Vec<PathBuf>,
    /// The `[env.NAME]` section of a Wrangler config to use.
    #[arg(
        long = "env",
        short = 'e',
        value_name = "NAME",
        conflicts_with = "worker"
    )]
    wrangler_env: Option<String>,
    /// Load new code when a Worker's files or the config change (what
    /// `motu dev` does).
    #[arg(long)]
    watch: bool,
    /// The address to listen on [default: 127.0.0.1:8787, or the config's].
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["port", "ip"])]
    listen: Option<SocketAddr>,
    /// The port to listen on, as wrangler spells it [default: 8787, or the
    /// config's].
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// The IP address to listen on, as wrangler spells it [default:
    /// 127.0.0.1, or the config's].
    #[arg(long, value_name = "IP")]
    ip: Option<std::net::IpAddr>,
    /// The engine of Workers that name none: quickjs (default) or v8.
    #[arg(long, value_name = "ENGINE")]
    engine: Option<String>,
    /// A string var in `env`, as KEY=VALUE; repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    vars: Vec<String>,
    /// Executor threads; 0 means one per core [default: the config's, or 0].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// On SIGTERM or SIGINT, how long in-flight requests and waitUntil work
    /// may go on before the process exits [default: the config's, or 30].
    #[arg(long, value_name = "SECS")]
    grace_period: Option<u64>,
    /// Serve /metrics, /healthz and /readyz on this address [default: the
    /// config's [admin] listen, or no admin listener].
    #[arg(long, value_name = "ADDR")]
    admin_listen: Option<SocketAddr>,
    /// The state folder, where KV namespaces, D1 databases and R2 buckets
    /// keep their data, as wrangler spells it; `:memory:` for a throwaway
    /// folder removed at exit [default: the config's `[server] state_dir`,
    /// or .motu/state next to the config or the Worker's project].
    #[arg(long, value_name = "DIR")]
    persist_to: Option<String>,
    /// Do not run the config's custom builds (`build.command`): serve
    /// what they made before.
    #[arg(long)]
    no_build: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The config file to check [default: the current folder's
    /// wrangler.jsonc, wrangler.json, wrangler.toml or motu.toml].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The `[env.NAME]` section of a Wrangler config to use.
    #[arg(long = "env", short = 'e', value_name = "NAME")]
    wrangler_env: Option<String>,
    /// The engine to load Workers that name none with: quickjs (default)
    /// or v8.
    #[arg(long, value_name = "ENGINE")]
    engine: Option<String>,
    /// Do not run the config's custom builds (`build.command`): check
    /// what they made before.
    #[arg(long)]
    no_build: bool,
}

/// Sets the engine of Workers that name none (`--engine`), refusing one
/// that is not built in.
fn set_engine(settings: &mut Settings, engine: String) -> anyhow::Result<()> {
    let engines = EngineSet::builtin_names();
    if !engines.contains(&engine.as_str()) {
        bail!(
            "--engine: engine '{engine}' is not built in (available: {}){}",
            engines.join(", "),
            if engine == "v8" {
                "; build with --features v8"
            } else {
                ""
            }
        );
    }
    settings.server.engine = engine;
    Ok(())
}

/// Sets the state folder (`--persist-to`), relative to the current folder.
fn set_state_dir(settings: &mut Settings, dir: &str) -> anyhow::Result<()> {
    settings.server.state_dir = motu_config::StateDir::parse(dir, Path::new("."))
        .map_err(|m| anyhow::anyhow!("--persist-to {m}"))?;
    Ok(())
}

impl Cli {
    /// How log lines should be written.
    pub fn log_format(&self) -> LogFormat {
        self.log_format
    }

    /// Runs the command.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Bench(args) => crate::bench::run(args),
            Command::D1(command) => crate::d1::run(command),
            Command::Serve(args) => {
                let watch = args.watch.then(|| args.watcher());
                let purpose = if args.watch {
                    Purpose::Dev
                } else {
                    Purpose::Deploy
                };
                let purpose = (!args.no_build).then_some(purpose);
                let settings = args.settings()?;
                crate::custom_build::run_all(&settings, purpose)?;
                crate::serve::serve(settings, watch)
            }
            Command::Dev(mut args) => {
                args.watch = true;
                let watch = args.watcher();
                let purpose = (!args.no_build).then_some(Purpose::Dev);
                let settings = args.settings()?;
                crate::custom_build::run_all(&settings, purpose)?;
                crate::serve::serve(settings, Some(watch))
            }
            Command::Trigger(args) => {
                let config = config_or_default(args.config)?;
                let mut settings = load_config(&config, None)?;
                if let Some(dir) = &args.persist_to {
                    set_state_dir(&mut settings, dir)?;
                }
                let Some(worker) = settings.workers.iter().find(|w| w.name == args.worker) else {
                    bail!(
                        "{}: no Worker is named '{}' (Workers: {})",
                        config.display(),
                        args.worker,
                        settings
                            .workers
                            .iter()
                            .map(|w| w.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                };
                let cron = match args.cron {
                    Some(cron) => cron,
                    None => worker
                        .crons
                        .first()
                        .map_or("* * * * *", |c| c.expression())
                        .to_owned(),
                };
                let purpose = (!args.no_build).then_some(Purpose::Deploy);
                crate::custom_build::run_all(&settings, purpose)?;
                crate::serve::trigger(&settings, &args.worker, &cron)?;
                println!("{}: scheduled event ({cron}) ran", args.worker);
                Ok(())
            }
            Command::Check(args) => {
                let config = config_or_default(args.config)?;
                let mut settings = load_config(&config, args.wrangler_env.as_deref())?;
                if let Some(engine) = args.engine {
                    set_engine(&mut settings, engine)?;
                }
                let purpose = (!args.no_build).then_some(Purpose::Deploy);
                crate::custom_build::run_all(&settings, purpose)?;
                crate::serve::check(&settings)?;
                println!(
                    "{}: ok ({} Worker{})",
                    config.display(),
                    settings.workers.len(),
                    if settings.workers.len() == 1 { "" } else { "s" }
                );
                Ok(())
            }
        }
    }
}

/// The config files looked for in the current folder when none is given,
/// in this order.
const DEFAULT_CONFIGS: &[&str] = &[
    "wrangler.jsonc",
    "wrangler.json",
    "wrangler.toml",
    "motu.toml",
];

/// Wrangler's deploy redirect: a build tool (the Cloudflare Vite plugin)
/// writes it to point `wrangler dev` and `wrangler deploy` at the config it
/// generated beside the built Worker (`{ "configPath": "../../build/server/
/// wrangler.json" }`, relative to this file's folder).
const REDIRECT: &str = ".wrangler/deploy/config.json";

/// `config`; else, as Wrangler does, the config the current folder's
/// [`REDIRECT`] points to; else the first of [`DEFAULT_CONFIGS`] in the
/// current folder.
pub(crate) fn config_or_default(config: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(config) = config {
        return Ok(config);
    }
    if let Some(config) = redirected_config()? {
        return Ok(config);
    }
    DEFAULT_CONFIGS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .with_context(|| {
            let here = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| ".".into());
            format!(
                "no Worker file was given and {here} has no {}: give a Worker file \
                 (motu serve worker.js) or a config (motu serve --config motu.toml)",
                DEFAULT_CONFIGS.join(", ")
            )
        })
}

/// The config [`REDIRECT`] points to, if the current folder has one. A
/// redirect that cannot be read, or that points to no file, is an error
/// (the build's output is gone: build again, or remove the redirect).
fn redirected_config() -> anyhow::Result<Option<PathBuf>> {
    let redirect = Path::new(REDIRECT);
    if !redirect.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(redirect).with_context(|| format!("reading {REDIRECT}"))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{REDIRECT} is not JSON"))?;
    let Some(target) = doc.get("configPath").and_then(serde_json::Value::as_str) else {
        bail!("{REDIRECT} has no \"configPath\" naming the config to use");
    };
    let config = lexically_normal(&redirect.parent().unwrap_or(Path::new(".")).join(target));
    if !config.is_file() {
        bail!(
            "{REDIRECT} points to {}, which does not exist: build the project again, \
             or remove {REDIRECT} to use the project's own config",
            config.display()
        );
    }
    tracing::info!(
        "using the redirected config {} (from {REDIRECT}, written by the project's build)",
        config.display()
    );
    Ok(Some(config))
}

/// `path` with its `.` and `..` components taken out where they can be
/// (`a/b/../../c` → `c`), without looking at the file system.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Reads a config file, motu.toml or Wrangler's, and logs its warnings.
pub(crate) fn load_config(config: &Path, wrangler_env: Option<&str>) -> anyhow::Result<Settings> {
    let loaded = Settings::load_any(config, wrangler_env, EngineSet::builtin_names())?;
    for warning in &loaded.warnings {
        tracing::warn!("{}: {warning}", config.display());
    }
    Ok(loaded.settings)
}

/// Reads several Wrangler configs as one server's projects (see
/// `Settings::load_wrangler_projects`), and logs their warnings.
fn load_projects(configs: &[PathBuf], wrangler_env: Option<&str>) -> anyhow::Result<Settings> {
    let loaded =
        Settings::load_wrangler_projects(configs, wrangler_env, EngineSet::builtin_names())?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    Ok(loaded.settings)
}

impl ServeArgs {
    /// What `--watch` needs: a way to load the settings again.
    fn watcher(&self) -> crate::watch::Watch {
        let args = self.clone();
        let builds = !self.no_build;
        crate::watch::Watch::new(move || args.clone().settings(), builds)
    }

    fn settings(self) -> anyhow::Result<Settings> {
        let engines = EngineSet::builtin_names();
        let mut wrangler_project = None;
        let mut settings = match &self.worker {
            Some(worker) => Settings::single_worker(worker, engines)?,
            None => {
                let config = config_or_default(self.config.first().cloned())?;
                if motu_config::is_wrangler_config(&config) {
                    let dir = config.parent().unwrap_or(Path::new(".")).to_path_buf();
                    wrangler_project = Some(dir);
                }
                if self.config.len() > 1 {
                    load_projects(&self.config, self.wrangler_env.as_deref())?
                } else {
                    load_config(&config, self.wrangler_env.as_deref())?
                }
            }
        };
        if let (true, Some(dir)) = (self.watch, &wrangler_project) {
            // `wrangler dev` answers its local email endpoint, so `motu dev`
            // does for a Wrangler project (unless the environment says).
            if std::env::var_os("MOTU_SERVER__EMAIL_ENDPOINT").is_none() {
                settings.server.email_endpoint = true;
            }
            // And every request has a `request.cf`: wrangler dev's cached
            // one, or its placeholder (unless `[server.cf]` gives one).
            if settings.server.request_cf.is_none() {
                settings.server.request_cf = Some(motu_config::wrangler_dev_cf(dir));
            }
            // Every request reaches the project's Worker (the first project's,
            // of several), whatever its host: wrangler dev does not route by
            // `routes` (they say where the Worker runs on Cloudflare).
            if let Some(w) = settings.workers.first_mut() {
                if !w.routes.iter().any(|r| r.to_string() == "*/*") {
                    w.routes
                        .push(motu_config::RoutePattern::parse("*/*").expect("a valid pattern"));
                }
            }
            // And its fetch() reaches the machine's own services (a local
            // origin, a database), as under wrangler dev.
            if std::env::var_os("MOTU_EGRESS__ALLOW_PRIVATE").is_none() {
                settings.egress.allow_private = true;
            }
        }
        if let Some(listen) = self.listen {
            settings.server.listen = listen;
        }
        if let Some(port) = self.port {
            settings.server.listen.set_port(port);
        }
        if let Some(ip) = self.ip {
            settings.server.listen.set_ip(ip);
        }
        if let Some(threads) = self.threads {
            settings.server.threads = threads;
        }
        if let Some(secs) = self.grace_period {
            settings.server.http.grace_period = std::time::Duration::from_secs(secs);
        }
        if let Some(admin) = self.admin_listen {
            settings.admin.listen = Some(admin);
        }
        if let Some(engine) = self.engine {
            set_engine(&mut settings, engine)?;
        }
        if let Some(dir) = &self.persist_to {
            set_state_dir(&mut settings, dir)?;
        }
        for var in &self.vars {
            let (key, value) = var
                .split_once('=')
                .with_context(|| format!("--var '{var}': expected KEY=VALUE"))?;
            if key.is_empty() {
                bail!("--var '{var}': the key is empty");
            }
            for w in &mut settings.workers {
                w.vars.retain(|(k, _)| k != key);
                w.vars
                    .push((key.to_owned(), serde_json::Value::String(value.to_owned())));
            }
        }
        Ok(settings)
    }
}
