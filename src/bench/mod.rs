//! `motu bench`: what QuickJS and V8 cost and give on a Worker, measured
//! through the real server.
//!
//! For each engine and workload the command runs two cells, each in a
//! fresh child process of this binary (so memory figures see nothing of
//! other cells):
//!
//! - `load`: the server in-process, driven by the built-in load generator
//!   ([`load`]) at fixed concurrency over loopback: req/s, latency
//!   percentiles, server CPU time per request, peak resident memory;
//! - `cold`: N copies of the Worker, one request each, so each starts a
//!   fresh isolate (create + evaluate + first response): median and p99,
//!   and the resident memory they add while idle, per isolate.
//!
//! With `--workers N1,N2,…` it runs, instead, a `load` cell per count:
//! the Worker and N-1 copies of it in one server, one request to each copy
//! (each starts an isolate), then the load spread over the copies, each
//! request's copy drawn from Zipf(1.1) or uniformly (`--spread`): req/s,
//! latency and CPU per request as the isolates multiply, and the resident
//! memory they take.
//!
//! Then it prints a table and writes `report.md`, `chart.svg` and
//! `results.json` into `--out` ([`report`], [`svg`]).

mod cell;
mod draw;
mod load;
mod process;
mod report;
mod svg;
mod workloads;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use motu_config::Settings;
use motu_runtime::EngineSet;

pub use cell::Phase;
pub use draw::Spread;

/// `motu bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Your own Worker to measure instead of the built-in workloads.
    #[arg(value_name = "WORKER.js", conflicts_with = "config")]
    worker: Option<PathBuf>,
    /// A config file (motu.toml or a Wrangler config); its first Worker is
    /// measured, with its settings.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Engines to compare, comma-separated [default: every built-in one].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    engines: Vec<String>,
    /// Built-in workloads, comma-separated: hello, json, cpu, echo [default:
    /// all]. With your own Worker it picks the request: echo posts 64 KiB,
    /// the others send GET / [default: hello].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    workload: Vec<String>,
    /// How long to measure each load (e.g. 10s, 500ms, 1m).
    #[arg(long, value_name = "TIME", default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Concurrent connections of the load generator.
    #[arg(long, value_name = "N", default_value_t = 32)]
    connections: usize,
    /// Fresh isolates to start for the cold-start and memory figures.
    #[arg(long, value_name = "N", default_value_t = 100)]
    isolates: usize,
    /// Executor threads of the server; 0 means one per core.
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Spread each load over this many copies of the Worker, one server per
    /// count, comma-separated (e.g. 1,100,1000): throughput, latency and
    /// memory as isolates multiply. Replaces the cold-start cells.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = clap::value_parser!(usize))]
    workers: Vec<usize>,
    /// How a load over copies picks each request's copy.
    #[arg(long, value_enum, default_value_t = Spread::Zipf)]
    spread: Spread,
    /// Where to write report.md, chart.svg and results.json.
    #[arg(long, value_name = "DIR", default_value = "bench-out")]
    out: PathBuf,
    /// Internal: run one cell in this process and write its JSON here.
    #[arg(long, value_name = "FILE", hide = true, requires = "cell_phase")]
    cell_json: Option<PathBuf>,
    /// Internal: the phase of the cell.
    #[arg(long, value_name = "PHASE", hide = true)]
    cell_phase: Option<Phase>,
}

/// Parses `10s`, `500ms`, `2m` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (e.g. 10s, 500ms, 1m)"))?;
    if !value.is_finite() || value <= 0.0 || value * scale > 86_400.0 {
        return Err(format!(
            "'{text}': give a duration above 0 and at most a day"
        ));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// One row of the results: an engine on a workload.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// The engine.
    pub engine: String,
    /// The workload (or the Worker's name).
    pub workload: String,
    /// The figures.
    #[serde(flatten)]
    pub result: cell::CellResult,
}

/// What is measured: a built-in workload or the user's Worker.
#[derive(Debug, Clone)]
struct Subject {
    /// The name in reports.
    name: String,
    /// The request shape.
    request: String,
}

impl BenchArgs {
    fn engines(&self) -> anyhow::Result<Vec<String>> {
        let built_in = EngineSet::builtin_names();
        if self.engines.is_empty() {
            return Ok(built_in.iter().map(|e| (*e).to_owned()).collect());
        }
        for e in &self.engines {
            if !built_in.contains(&e.as_str()) {
                bail!(
                    "--engines: engine '{e}' is not built in (available: {}){}",
                    built_in.join(", "),
                    if e == "v8" {
                        "; build with --features v8"
                    } else {
                        ""
                    }
                );
            }
        }
        Ok(self.engines.clone())
    }

    fn own_worker(&self) -> bool {
        self.worker.is_some() || self.config.is_some()
    }

    fn subjects(&self) -> anyhow::Result<Vec<Subject>> {
        for w in &self.workload {
            if workloads::find(w).is_none() {
                bail!("--workload: '{w}' is not one of hello, json, cpu, echo");
            }
        }
        if self.own_worker() {
            if self.workload.len() > 1 {
                bail!("--workload: give one request shape for your own Worker");
            }
            let settings = self.base_settings(None)?;
            let name = settings
                .workers
                .first()
                .context("the config declares no Worker")?
                .name
                .clone();
            let request = self.workload.first().cloned().unwrap_or("hello".into());
            return Ok(vec![Subject { name, request }]);
        }
        let names: Vec<String> = if self.workload.is_empty() {
            workloads::BUILT_IN
                .iter()
                .map(|w| w.name.to_owned())
                .collect()
        } else {
            self.workload.clone()
        };
        Ok(names
            .into_iter()
            .map(|name| Subject {
                request: name.clone(),
                name,
            })
            .collect())
    }

    /// The settings of the user's Worker, or of the built-in workload whose
    /// file is `builtin`.
    fn base_settings(&self, builtin: Option<&Path>) -> anyhow::Result<Settings> {
        let engines = EngineSet::builtin_names();
        Ok(match (builtin, &self.worker, &self.config) {
            (Some(file), _, _) => {
                let mut s = Settings::single_worker(file, engines)?;
                // The cpu workload runs long on an interpreter: measure it
                // rather than stop it.
                for w in &mut s.workers {
                    w.limits.cpu = Duration::from_secs(30);
                }
                s
            }
            (None, Some(worker), None) => Settings::single_worker(worker, engines)?,
            (None, None, Some(config)) => Settings::load_any(config, None, engines)?.settings,
            _ => bail!("give a Worker file or --config, not both"),
        })
    }

    fn settings_for(&self, engine: &str, subject: &Subject) -> anyhow::Result<Settings> {
        let file =
            (!self.own_worker()).then(|| self.workers_dir().join(format!("{}.js", subject.name)));
        let mut settings = self.base_settings(file.as_deref())?;
        settings.server.engine = engine.to_owned();
        settings.server.threads = self.threads;
        if let Some(first) = settings.workers.first_mut() {
            first.engine = Some(engine.to_owned());
        }
        Ok(settings)
    }

    fn workers_dir(&self) -> PathBuf {
        self.out.join("workers")
    }
}

/// Runs `motu bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if let (Some(json), Some(phase)) = (&args.cell_json, args.cell_phase) {
        return run_cell(&args, json, phase);
    }
    let engines = args.engines()?;
    let subjects = args.subjects()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    if !args.own_worker() {
        std::fs::create_dir_all(args.workers_dir())?;
        for w in workloads::BUILT_IN {
            std::fs::write(args.workers_dir().join(format!("{}.js", w.name)), w.source)?;
        }
    }
    if args.workers.contains(&0) {
        bail!("--workers: give counts of at least 1");
    }
    let mut rows = Vec::new();
    for subject in &subjects {
        for engine in &engines {
            if !args.workers.is_empty() {
                for &n in &args.workers {
                    rows.push(Row {
                        engine: engine.clone(),
                        workload: subject.name.clone(),
                        result: run_child(&args, engine, subject, Phase::Load, n)?,
                    });
                }
                continue;
            }
            let mut result = cell::CellResult::default();
            for phase in [Phase::Load, Phase::Cold] {
                let part = run_child(&args, engine, subject, phase, 1)?;
                result = result.or(part);
            }
            rows.push(Row {
                engine: engine.clone(),
                workload: subject.name.clone(),
                result,
            });
        }
    }
    let meta = report::Meta::collect(&args, &engines);
    println!("{}", report::table(&rows, !args.workers.is_empty()));
    std::fs::write(
        args.out.join("results.json"),
        serde_json::to_vec_pretty(&rows)?,
    )?;
    std::fs::write(args.out.join("report.md"), report::markdown(&meta, &rows))?;
    let chart = if args.workers.is_empty() {
        svg::chart(&rows, &engines)
    } else {
        svg::scale_chart(&rows, &engines)
    };
    std::fs::write(args.out.join("chart.svg"), chart)?;
    println!(
        "wrote {0}/report.md, {0}/chart.svg and {0}/results.json",
        args.out.display()
    );
    Ok(())
}

/// Runs one phase of one cell in a child process of this binary.
fn run_child(
    args: &BenchArgs,
    engine: &str,
    subject: &Subject,
    phase: Phase,
    workers: usize,
) -> anyhow::Result<cell::CellResult> {
    let exe = std::env::current_exe().context("cannot find the motu binary")?;
    let json = args.out.join(format!(
        ".cell-{engine}-{}-{phase:?}-{workers}.json",
        subject.name
    ));
    let mut cmd = Command::new(exe);
    cmd.arg("bench");
    if let Some(worker) = &args.worker {
        cmd.arg(worker);
    }
    if let Some(config) = &args.config {
        cmd.arg("--config").arg(config);
    }
    cmd.arg("--engines")
        .arg(engine)
        .arg("--workload")
        .arg(&subject.request)
        .arg("--duration")
        .arg(format!("{}ms", args.duration.as_millis()))
        .arg("--connections")
        .arg(args.connections.to_string())
        .arg("--isolates")
        .arg(args.isolates.to_string())
        .arg("--threads")
        .arg(args.threads.to_string())
        .arg("--workers")
        .arg(workers.to_string())
        .arg("--spread")
        .arg(match args.spread {
            Spread::Zipf => "zipf",
            Spread::Uniform => "uniform",
        })
        .arg("--out")
        .arg(&args.out)
        .arg("--cell-json")
        .arg(&json)
        .arg("--cell-phase")
        .arg(match phase {
            Phase::Load => "load",
            Phase::Cold => "cold",
        });
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "warn");
    }
    let status = cmd.status().context("cannot start a bench cell")?;
    if !status.success() {
        bail!(
            "the {phase:?} cell of {} on {engine} failed ({status})",
            subject.name
        );
    }
    let bytes = std::fs::read(&json).with_context(|| format!("cannot read {}", json.display()))?;
    let _ = std::fs::remove_file(&json);
    Ok(serde_json::from_slice(&bytes)?)
}

/// Runs the cell this process was started for and exits.
fn run_cell(args: &BenchArgs, json: &Path, phase: Phase) -> anyhow::Result<()> {
    let engine = args.engines()?.into_iter().next().context("no engine")?;
    let subject = args.subjects()?.into_iter().next().context("no workload")?;
    let plan = cell::CellPlan {
        settings: args.settings_for(&engine, &subject)?,
        request: subject.request.clone(),
        connections: args.connections,
        duration: args.duration,
        isolates: args.isolates,
        workers: args.workers.first().copied().unwrap_or(1),
        spread: args.spread,
    };
    let result = cell::run(plan, phase, &format!("{engine} {}", subject.name))?;
    cell::write(json, &result)?;
    // The runtime's executor threads would keep the process alive.
    std::process::exit(0)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
