//! HTMLRewriter over a 1 MiB HTML page through a Worker over HTTP, beside a
//! passthrough of the same page measured in the same run, per engine.
//!
//! One `motu serve` (release build) runs `benches/workers/html_rewriter.js`,
//! which makes a 1 MiB page once and streams it in 64 KiB chunks: as it is
//! (`/passthrough`, the baseline), through a rewriter whose selector
//! matches nothing (`/parse`: lol-html's parsing alone) and through one
//! that rewrites the href of each of the page's 5,350 links (`/links`: an
//! element handler call per link). One keep-alive HTTP/1.1 connection sends
//! requests back to back; after a warm-up, each load runs for a fixed time.
//! Printed per engine: MB/s (10^6 bytes of page a second) of each, and the
//! rewriting's figures as ratios to the passthrough's.
//!
//! The Worker runs with `cpu_ms = 2000`: the event of one page must fit.
//!
//! `cargo bench --bench html_rewriter` (QuickJS); add `--features v8` for
//! both engines. `HTML_BENCH_SECS` sets the seconds per load (default 5),
//! `MOTU_BIN` another build of the binary.

mod http;

use std::time::Duration;

use http::{Server, Target};

/// The Worker's `cpu_ms`.
const CPU_MS: u64 = 2000;

fn main() {
    let bin = http::motu_bin();
    let secs: u64 = http::setting("HTML_BENCH_SECS", 5);
    println!("binary: {bin}; 1 connection, {secs} s per load after 1 s of warm-up");
    println!(
        "| engine | passthrough MB/s | parse MB/s | ÷ passthrough | 5,350 links rewritten MB/s | ÷ passthrough |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for engine in http::engines() {
        // A CPU limit that a whole page's rewriting fits in (the default
        // 50 ms is less than 5,350 handler calls take on a busy machine).
        let config = format!(
            "[server]\nengine = \"{engine}\"\n[limits]\ncpu_ms = {CPU_MS}\n\
             [[workers]]\nname = \"html\"\nmain = \"html_rewriter.js\"\n"
        );
        let s = Server::with_files(
            &bin,
            &[
                ("html_rewriter.js", include_str!("workers/html_rewriter.js")),
                ("motu.toml", &config),
            ],
        );
        let (warmup, time) = (Duration::from_secs(1), Duration::from_secs(secs));
        let mb_per_s =
            |path| http::load(&s.addr, Target::get("localhost", path), 1, warmup, time).bytes / 1e6;
        let pass = mb_per_s("/passthrough");
        let parse = mb_per_s("/parse");
        let links = mb_per_s("/links");
        println!(
            "| {engine} | {pass:.0} | {parse:.1} | {:.3} | {links:.1} | {:.3} |",
            parse / pass,
            links / pass
        );
    }
}
