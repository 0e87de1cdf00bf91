//! `motu`: serve Workers-style JavaScript on QuickJS or V8.

mod bench;
mod cli;
mod cluster;
mod custom_build;
mod d1;
mod heap;
mod log_sink;
mod queues;
mod serve;
mod signals;
mod vars;
mod watch;

use clap::Parser;

fn main() -> std::process::ExitCode {
    heap::tune();
    let cli = cli::Cli::parse();
    init_logging(cli.log_format());
    let outcome = cli.run();
    // Throwaway state folders (--persist-to :memory:, motu check) go with
    // the process.
    motu_runtime::Storage::remove_throwaways();
    log_sink::flush(log_sink::FLUSH_AT_EXIT);
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to stderr at `RUST_LOG`'s level (default `info`): human-readable
/// lines, or one JSON object per line whose `span` holds the Worker's name
/// and the request id of the request being served. Lines are written by a
/// thread of their own, through a bounded queue that drops what a slow
/// stderr cannot take (see [`log_sink`]).
fn init_logging(format: cli::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log_sink::LogSink::stderr());
    match format {
        cli::LogFormat::Text => builder.init(),
        cli::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
