//! `motu-wpt`: runs the web-platform-tests subset on every engine built in
//! and compares the results with `tests/wpt/expectations/<engine>.txt`.
//!
//! ```text
//! scripts/fetch-wpt.sh
//! cargo run -p motu-wpt --release --features v8 -- [--update] [FILTER…]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use motu_wpt::{Check, RunConfig};

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
        let json = serde_json::Value::Array(
            verdict
                .reports
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
        if let Err(e) = std::fs::write(&path, json.to_string()) {
            eprintln!("motu-wpt: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if verdict.ok() || check.update {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
