//! `motu-wpt`: runs the web-platform-tests subset on every engine built in
//! and compares the results with `tests/wpt/expectations/<engine>.txt`.
//!
//! ```text
//! scripts/fetch-wpt.sh
//! cargo run -p motu-wpt --release --features v8 -- [--update] [FILTER…]
//! ```
//!
//! With `--workerd BINARY` it runs the same files on workerd too and writes
//! `tests/wpt/PEERS.md` instead (`scripts/wpt-workerd.sh`); with
//! `--emit-workerd DIR` it only writes the workerd configuration of the
//! selected files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use motu_wpt::{Check, FileReport, PeerRun, RunConfig, Selection, Sources, TestFile, Workerd};

/// The port `--emit-workerd` writes the test server's URLs with.
const EMIT_PORT: u16 = 8000;

/// Runs the web-platform-tests subset inside motu Workers.
#[derive(Debug, Parser)]
#[command(name = "motu-wpt")]
struct Args {
    /// Only the test files whose path contains one of these.
    filters: Vec<String>,
    /// The WPT subset (default: $MOTU_WPT_DIR, else .wpt in the repository).
    #[arg(long)]
    wpt: Option<PathBuf>,
    /// The engines to run on (default: every engine built in).
    #[arg(long = "engine")]
    engines: Vec<String>,
    /// Rewrite the expectations (and, without filters, tests/wpt/SUMMARY.md).
    #[arg(long, env = "MOTU_WPT_UPDATE", value_parser = clap::builder::FalseyValueParser::new())]
    update: bool,
    /// Files in flight at once.
    #[arg(long)]
    jobs: Option<usize>,
    /// Executor threads.
    #[arg(long)]
    threads: Option<usize>,
    /// Time one file may take, in milliseconds (long tests: four times it).
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Write every subtest's result as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// No line per file.
    #[arg(long, short)]
    quiet: bool,
    /// Run the files on this workerd binary too, next to motu's engines,
    /// and write the comparison (without filters: to tests/wpt/PEERS.md)
    /// instead of checking the expectations.
    #[arg(long)]
    workerd: Option<PathBuf>,
    /// Only write the workerd configuration of the selected files into
    /// this directory (compatibility date: --compat-date).
    #[arg(long)]
    emit_workerd: Option<PathBuf>,
    /// The compatibility date --emit-workerd writes.
    #[arg(long, default_value = "2025-01-01")]
    compat_date: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let wpt = args.wpt.unwrap_or_else(motu_wpt::default_wpt_dir);
    if !wpt.join("resources/testharness.js").is_file() {
        eprintln!(
            "motu-wpt: no WPT subset in {}; run scripts/fetch-wpt.sh first",
            wpt.display()
        );
        return ExitCode::from(2);
    }
    let mut run = RunConfig::new(wpt);
    if !args.engines.is_empty() {
        run.engines = args.engines;
    }
    if let Some(jobs) = args.jobs {
        run.jobs = jobs;
    }
    if let Some(threads) = args.threads {
        run.threads = threads;
    }
    if let Some(ms) = args.timeout_ms {
        run.timeout = Duration::from_millis(ms);
        run.long_timeout = Duration::from_millis(ms * 4);
    }
    run.progress = !args.quiet;
    if let Some(dir) = args.emit_workerd {
        return emit_workerd(&run, &args.filters, &dir, &args.compat_date);
    }
    if let Some(binary) = args.workerd {
        return peers(run, args.filters, binary, args.json);
    }
    let check = Check {
        run,
        filters: args.filters,
        update: args.update,
        data_dir: motu_wpt::data_dir(),
        readme: Some(motu_wpt::repo_root().join("README.md")),
    };
    let verdict = match check.run() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("motu-wpt: {e:#}");
            return ExitCode::from(2);
        }
    };
    print!("{}", verdict.text);
    if let Some(path) = args.json {
        if let Err(code) = write_json(&path, &verdict.reports) {
            return code;
        }
    }
    if verdict.ok() || check.update {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes every subtest's result as JSON to `path`.
fn write_json(path: &Path, reports: &[FileReport]) -> Result<(), ExitCode> {
    {
        let json = serde_json::Value::Array(
            reports
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "file": r.path,
                        "engine": r.engine,
                        "elapsed_ms": r.elapsed.as_millis() as u64,
                        "shimmed": r.shimmed,
                        "subtests": r.subtests.iter().map(|s| serde_json::json!({
                            "name": s.name,
                            "status": s.status.name(),
                            "message": s.message,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        );
        if let Err(e) = std::fs::write(path, json.to_string()) {
            eprintln!("motu-wpt: {}: {e}", path.display());
            return Err(ExitCode::from(2));
        }
    }
    Ok(())
}

/// The selected files (after `filters`).
fn selected(run: &RunConfig, filters: &[String]) -> anyhow::Result<Vec<TestFile>> {
    Ok(motu_wpt::discover(&run.wpt_root)?
        .into_iter()
        .filter_map(|s| match s {
            Selection::Run(f) => Some(f),
            Selection::Skip { .. } => None,
        })
        .filter(|f| filters.is_empty() || filters.iter().any(|p| f.path.contains(p.as_str())))
        .collect())
}

/// `--emit-workerd DIR`: writes the workerd configuration and lists the
/// services.
fn emit_workerd(run: &RunConfig, filters: &[String], dir: &Path, date: &str) -> ExitCode {
    let emitted = selected(run, filters).and_then(|files| {
        // Written for a test server on the default WPT port; the comparison
        // itself starts one on a free port.
        let sources = Sources::new(run.wpt_root.clone(), EMIT_PORT);
        let origin = format!("http://{}:{EMIT_PORT}", motu_wpt::HOST);
        let emitted = motu_wpt::emit(dir, &files, &sources, run, date, &origin)?;
        Ok((files, emitted))
    });
    match emitted {
        Ok((files, emitted)) => {
            for (file, e) in files.iter().zip(emitted) {
                match e {
                    Ok(service) => println!("{service} {}", file.path),
                    Err(why) => println!("- {} ({why})", file.path),
                }
            }
            eprintln!(
                "wrote {}/config.capnp: workerd serve config.capnp --experimental, \
                 then GET http://127.0.0.1:8080/<service>",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("motu-wpt: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `--workerd BINARY`: motu's engines next to workerd; without filters,
/// writes tests/wpt/PEERS.md.
fn peers(run: RunConfig, filters: Vec<String>, binary: PathBuf, json: Option<PathBuf>) -> ExitCode {
    let started = std::time::Instant::now();
    let result = Workerd::new(binary).and_then(|workerd| {
        let peer = PeerRun {
            run,
            workerd,
            filters,
        };
        let results = peer.run()?;
        Ok((peer, results))
    });
    let (peer, results) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("motu-wpt: {e:#}");
            return ExitCode::from(2);
        }
    };
    print!("{}", results.text());
    if let Some(path) = json {
        if let Err(code) = write_json(&path, &results.reports) {
            return code;
        }
    }
    if peer.filters.is_empty() {
        let source = std::fs::read_to_string(peer.run.wpt_root.join("SOURCE"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "an unknown WPT checkout".to_owned());
        let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let md = results.markdown(&peer.workerd, &date, &source);
        let path = motu_wpt::data_dir().join("PEERS.md");
        if let Err(e) = std::fs::write(&path, md) {
            eprintln!("motu-wpt: {}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("wrote {}", path.display());
    }
    println!("took {:.1} s", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}
