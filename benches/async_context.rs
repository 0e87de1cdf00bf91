//! What AsyncLocalStorage's engine support costs a Worker that does not
//! use it: a hello request on QuickJS with the async-context patch (the
//! usual build) beside the same server built without it
//! (`MOTU_QUICKJS_ASYNC_CONTEXT=off`, see vendor/rquickjs-sys/MOTU.md),
//! measured in the same run; and, on each engine of this build, the same
//! hello in a Worker that uses AsyncLocalStorage (`als.run()` around each
//! request, `benches/workers/async_context_als.js`), for scale.
//!
//! The Worker (`benches/workers/async_context.js`) answers after two
//! awaits, so that each request runs promise jobs: the patch's cost is per
//! job and per promise reaction. The two servers run side by side; the
//! loads alternate between them (`ALS_BENCH_ROUNDS` rounds of
//! `ALS_BENCH_SECS` seconds each, default 7 × 2 s, after a warm-up), and
//! the figure of each is the median of its rounds, so that a busy machine
//! slows both alike. Printed: requests per second and the ratio of the
//! patched build to the unpatched one (the bound: at least 0.97).
//!
//! `MOTU_BIN_NO_ASYNC_CONTEXT` names the build without the patch; make it
//! with
//! `MOTU_QUICKJS_ASYNC_CONTEXT=off CARGO_TARGET_DIR=target/no-async-context cargo build --release --bin motu`
//! (without it, only the per-engine lines are printed). `MOTU_BIN` names
//! the usual build (else the one Cargo built for this bench):
//! `cargo bench --bench async_context` (add `--features v8` for V8's
//! line).

mod http;

use std::time::Duration;

use http::{Server, Target};

/// A server of the Worker `main` (`async_context.js` or
/// `async_context_als.js`) on `engine`.
fn serve(bin: &str, engine: &str, main: &str) -> Server {
    let config = format!(
        "[server]\nengine = \"{engine}\"\n\
         [[workers]]\nname = \"als\"\nmain = \"{main}\"\n\
         compatibility_date = \"2025-09-15\"\ncompatibility_flags = [\"nodejs_compat\"]\n"
    );
    Server::with_files(
        bin,
        &[
            ("async_context.js", include_str!("workers/async_context.js")),
            (
                "async_context_als.js",
                include_str!("workers/async_context_als.js"),
            ),
            ("motu.toml", &config),
        ],
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Requests per second of each `(server, path)`, the loads alternating,
/// as the median of `rounds` rounds of `secs` seconds.
fn alternate(runs: &[(&Server, &str)], rounds: usize, secs: u64) -> Vec<f64> {
    let mut rates = vec![Vec::new(); runs.len()];
    for (s, path) in runs {
        http::load(
            &s.addr,
            Target::get("localhost", path),
            2,
            Duration::from_secs(1),
            Duration::from_millis(500),
        );
    }
    for _ in 0..rounds {
        for (i, (s, path)) in runs.iter().enumerate() {
            let rate = http::load(
                &s.addr,
                Target::get("localhost", path),
                2,
                Duration::from_millis(200),
                Duration::from_secs(secs),
            );
            rates[i].push(rate.requests);
        }
    }
    rates.into_iter().map(median).collect()
}

fn main() {
    let bin = http::motu_bin();
    let rounds: usize = http::setting("ALS_BENCH_ROUNDS", 7);
    let secs: u64 = http::setting("ALS_BENCH_SECS", 2);
    println!("binary: {bin}; 2 connections, {rounds} alternating rounds of {secs} s, medians");
    match std::env::var("MOTU_BIN_NO_ASYNC_CONTEXT") {
        Ok(unpatched) => {
            let with = serve(&bin, "quickjs", "async_context.js");
            let without = serve(&unpatched, "quickjs", "async_context.js");
            let r = alternate(&[(&with, "/"), (&without, "/")], rounds, secs);
            println!(
                "| QuickJS hello, ALS unused | with the patch req/s | without req/s | with ÷ without |\n\
                 | --- | ---: | ---: | ---: |\n| | {:.0} | {:.0} | {:.3} |",
                r[0],
                r[1],
                r[0] / r[1]
            );
        }
        Err(_) => println!(
            "MOTU_BIN_NO_ASYNC_CONTEXT is not set: no QuickJS build without the patch to compare with \
             (see this bench's docs)"
        ),
    }
    println!(
        "| engine | hello req/s | hello in als.run() req/s | ÷ hello |\n| --- | ---: | ---: | ---: |"
    );
    for engine in http::engines() {
        let plain = serve(&bin, engine, "async_context.js");
        let als = serve(&bin, engine, "async_context_als.js");
        let r = alternate(&[(&plain, "/"), (&als, "/")], rounds, secs);
        println!(
            "| {engine} | {:.0} | {:.0} | {:.3} |",
            r[0],
            r[1],
            r[1] / r[0]
        );
    }
}
