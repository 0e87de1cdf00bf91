//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use motu_config::Settings;
use motu_runtime::EngineSet;

/// motu: a self-hostable runtime for Workers-style JavaScript, on QuickJS or V8.
#[derive(Debug, Parser)]
#[command(name = "motu", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve one Worker file on every host and path, or the Workers of a config file.
    Serve(ServeArgs),
    /// Validate a config file and load every Worker in it, without serving.
    Check(CheckArgs),
    /// Run one Worker's `scheduled` handler once, as a cron trigger would, and exit.
    Trigger(TriggerArgs),
    /// Measure a Worker (or the built-in workloads) on each engine: cold
    /// start, throughput and latency, memory, CPU per request.
    Bench(crate::bench::BenchArgs),
}

#[derive(Debug, Args)]
struct TriggerArgs {
    /// The config file that declares the Worker.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The Worker's name.
    #[arg(value_name = "WORKER")]
    worker: String,
    /// The cron expression the event carries [default: the Worker's first
    /// trigger, or "* * * * *"].
    #[arg(long, value_name = "EXPR")]
    cron: Option<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The Worker to serve (an ES module or a service-worker script).
    #[arg(value_name = "WORKER.js", conflicts_with = "config")]
    worker: Option<PathBuf>,
    /// A config file (motu.toml) that declares the server and its Workers.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address to listen on [default: 127.0.0.1:8787, or the config's].
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// The engine of Workers that name none: quickjs (default) or v8.
    #[arg(long, value_name = "ENGINE")]
    engine: Option<String>,
    /// A string var in `env`, as KEY=VALUE; repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    vars: Vec<String>,
    /// Executor threads; 0 means one per core [default: the config's, or 0].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The config file to check.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

impl Cli {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Bench(args) => crate::bench::run(args),
            Command::Serve(args) => {
                let settings = args.settings()?;
                crate::serve::serve(settings)
            }
            Command::Trigger(args) => {
                let settings = Settings::load(&args.config, EngineSet::builtin_names())?;
                let Some(worker) = settings.workers.iter().find(|w| w.name == args.worker) else {
                    bail!(
                        "{}: no Worker is named '{}' (Workers: {})",
                        args.config.display(),
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
                crate::serve::trigger(&settings, &args.worker, &cron)?;
                println!("{}: scheduled event ({cron}) ran", args.worker);
                Ok(())
            }
            Command::Check(args) => {
                let settings = Settings::load(&args.config, EngineSet::builtin_names())?;
                crate::serve::check(&settings)?;
                println!(
                    "{}: ok ({} Worker{})",
                    args.config.display(),
                    settings.workers.len(),
                    if settings.workers.len() == 1 { "" } else { "s" }
                );
                Ok(())
            }
        }
    }
}

impl ServeArgs {
    fn settings(self) -> anyhow::Result<Settings> {
        let engines = EngineSet::builtin_names();
        let mut settings = match (&self.worker, &self.config) {
            (Some(worker), None) => Settings::single_worker(worker, engines)?,
            (None, Some(config)) => Settings::load(config, engines)?,
            _ => bail!("give a Worker file (motu serve worker.js) or a config (motu serve --config motu.toml)"),
        };
        if let Some(listen) = self.listen {
            settings.server.listen = listen;
        }
        if let Some(threads) = self.threads {
            settings.server.threads = threads;
        }
        if let Some(engine) = self.engine {
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
