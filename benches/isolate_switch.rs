//! What serving many isolates from one thread costs each request, per
//! engine, with no server around it: the same hello request through the
//! engine API, taken in turn by 1, 16, 64, 256 and 1,000 live isolates (each
//! warmed with the same request first), as CPU time of this thread per
//! request (median of rounds). The code run per request is the same whatever
//! the count; only how many isolates' heaps it is spread over changes.
//!
//! A second figure separates what that costs from the switching itself: one
//! isolate again, but with the processor's caches emptied before each
//! request (a walk over a buffer of `--sweep` MiB, 32 by default, not
//! counted: each request is timed on its own). If one isolate with cold
//! caches costs what a request among many isolates costs, the growth is the
//! memory each request touches being out of cache, not anything the
//! runtime does per isolate.
//!
//! `cargo bench --features v8 --bench isolate_switch`; arguments after
//! `--`: `--engine NAME`, `--requests N` (per figure; default 20,000),
//! `--counts 1,16,…`, `--sweep MiB`, `--memory-mb N` (each isolate's heap
//! limit, as the server sets it; none by default).

mod common;

use std::rc::Rc;
use std::time::Duration;

use motu_engine::Engine;

/// Settings from the command line.
struct Args {
    engine: Option<String>,
    requests: usize,
    counts: Vec<usize>,
    sweep_mib: usize,
    memory_mb: Option<usize>,
}

fn args() -> Args {
    let mut out = Args {
        engine: None,
        requests: 20_000,
        counts: vec![1, 16, 64, 256, 1000],
        sweep_mib: 32,
        memory_mb: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--engine" => out.engine = it.next(),
            "--requests" => out.requests = it.next().and_then(|v| v.parse().ok()).unwrap(),
            "--counts" => {
                out.counts = it
                    .next()
                    .unwrap()
                    .split(',')
                    .map(|v| v.parse().unwrap())
                    .collect()
            }
            "--sweep" => out.sweep_mib = it.next().and_then(|v| v.parse().ok()).unwrap(),
            "--memory-mb" => out.memory_mb = it.next().and_then(|v| v.parse().ok()),
            _ => {}
        }
    }
    out
}

/// This thread's CPU time.
fn cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid place to write to.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The median of `rounds` figures of `f`, each the CPU time per unit of one
/// round (microseconds).
fn median_of(rounds: usize, mut f: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..rounds).map(|_| f()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Reads every cache line of `buf` (and writes one byte per line, so the
/// lines are owned, as a heap's are): what was in cache before is gone.
fn sweep(buf: &mut [u8]) {
    let mut sum = 0u8;
    for i in (0..buf.len()).step_by(64) {
        sum = sum.wrapping_add(buf[i]);
        buf[i] = sum;
    }
    std::hint::black_box(sum);
}

/// A fresh isolate of the hello Worker, with the runtime's heap limit
/// when one is given (the server gives every isolate one: `memory_mb`).
fn load(
    engine: &dyn Engine,
    memory_mb: Option<usize>,
) -> (Box<dyn motu_engine::Isolate>, Rc<common::BenchHost>) {
    let mut config = common::config();
    config.memory_limit = memory_mb.map(|mb| mb << 20);
    common::loaded_configured(
        engine,
        &common::hello(),
        common::BenchHost::default(),
        &config,
    )
}

fn run(engine: &dyn Engine, a: &Args) {
    let max = *a.counts.iter().max().unwrap();
    let before = common::resident_kib();
    let mut isolates: Vec<_> = (0..max).map(|_| load(engine, a.memory_mb)).collect();
    let mut id = 0u64;
    for (iso, host) in isolates.iter_mut() {
        for _ in 0..20 {
            id += 1;
            common::request(&mut **iso, host, id);
        }
    }
    let per_isolate = common::resident_kib().saturating_sub(before) / max;
    let rounds = 5;
    let per_round = a.requests / rounds;
    // Each request is timed on its own (two clock readings around it, the
    // same in every figure), so that what runs between requests (the walk
    // below) is never counted.
    let mut timed = |iso: &mut Box<dyn motu_engine::Isolate>, host: &common::BenchHost| {
        id += 1;
        let start = cpu_now();
        common::request(&mut **iso, host, id);
        cpu_now() - start
    };
    let mut figures = Vec::new();
    for &n in &a.counts {
        let us = median_of(rounds, || {
            let mut total = Duration::ZERO;
            for i in 0..per_round {
                let (iso, host) = &mut isolates[i % n];
                total += timed(iso, host);
            }
            total.as_secs_f64() * 1e6 / per_round as f64
        });
        figures.push((format!("{n} isolates in turn"), us));
    }
    let single = figures[0].1;
    let mut buf = vec![1u8; a.sweep_mib << 20];
    let sweeps = (per_round / 10).max(1);
    let cold = median_of(rounds, || {
        let (iso, host) = &mut isolates[0];
        let mut total = Duration::ZERO;
        for _ in 0..sweeps {
            sweep(&mut buf);
            total += timed(iso, host);
        }
        total.as_secs_f64() * 1e6 / sweeps as f64
    });
    figures.push((
        format!("1 isolate, caches emptied ({} MiB walk)", a.sweep_mib),
        cold,
    ));
    println!(
        "\n{} (CPU time per request, median of {rounds} rounds)",
        engine.name()
    );
    for (label, us) in figures {
        println!("  {label:<40} {us:>8.1} µs  {:>5.2}×", us / single);
    }
    println!("  ({per_isolate} KiB resident per isolate after 20 requests)");
}

fn main() {
    let a = args();
    for engine in common::engines() {
        if a.engine.as_deref().is_some_and(|e| e != engine.name()) {
            continue;
        }
        run(&*engine, &a);
    }
}
