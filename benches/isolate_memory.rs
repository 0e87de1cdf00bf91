//! Resident memory per idle isolate, per engine: start N isolates with the
//! Web API prelude and the hello Worker, each answered one request, and
//! divide the growth of the process's resident set by N; then the same
//! with Node.js compatibility on (the `process`/`Buffer` globals set up,
//! no `node:*` module imported).
//!
//! `cargo bench --bench isolate_memory` (add `--features v8` for both).

mod common;

const ISOLATES: usize = 200;

/// Loads one isolate of a kind of Worker on an engine.
type Load = fn(
    &dyn motu_engine::Engine,
) -> (
    Box<dyn motu_engine::Isolate>,
    std::rc::Rc<common::BenchHost>,
);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("isolate_memory: bench");
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let kinds: [(&str, Load); 2] = [
        ("", common::loaded),
        (" (nodejs_compat, no node import)", common::loaded_nodejs),
    ];
    for engine in common::engines() {
        // Each kind's isolates stay alive until the engine's last kind is
        // measured: memory the allocator got back from one kind would make
        // the next one look free. (On V8 the second kind measured comes out
        // ~30 KiB higher whichever it is: compare the two orders.)
        let mut alive = Vec::new();
        for (label, load) in kinds {
            // One isolate first, so process-wide start-up is not counted.
            let warm = load(&*engine);
            let before = common::resident_kib();
            let mut kept = Vec::with_capacity(ISOLATES);
            let started = std::time::Instant::now();
            for i in 0..ISOLATES {
                let (mut iso, host) = load(&*engine);
                common::request(&mut *iso, &host, i as u64 + 1);
                kept.push((iso, host));
            }
            let took = started.elapsed();
            let after = common::resident_kib();
            let per = (after.saturating_sub(before)) as f64 / ISOLATES as f64;
            println!(
            "{:8} {ISOLATES} idle isolates{label}: +{} KiB resident, {:.0} KiB ({:.2} MiB) per isolate",
            engine.name(),
            after.saturating_sub(before),
            per,
            per / 1024.0
        );
            println!(
                "{:8} {ISOLATES} starts{label}: {:.0} µs per isolate (create, load the Worker, answer once)",
                engine.name(),
                took.as_secs_f64() * 1e6 / ISOLATES as f64
            );
            alive.push((kept, warm));
        }
        drop(alive);
    }
}
