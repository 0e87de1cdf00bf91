//! Host work against the real server, on every engine: Web Crypto,
//! compression and multipart parsing whose Rust work takes long runs off the
//! executor thread, is charged to the event that asked for it, and gets the
//! CPU-limit answer once that event's CPU time is used up; a neighbour
//! Worker on the same (single) executor thread is served all along.

mod common;

use std::time::{Duration, Instant};

use common::{on_each_engine, Bystander, Server, TempConfig};

const CPU_LIMIT: &str = "Worker exceeded its CPU time limit.\n";
const NEIGHBOUR: &str = "Hello from the neighbour";

/// One executor thread; `hostile` has the default 50 ms of CPU time per
/// event, `hog` ten minutes, `neighbour` answers at once.
fn config(engine: &str) -> TempConfig {
    TempConfig::new(&[
        ("host_ops.js", include_str!("fixtures/hostile/host_ops.js")),
        ("neighbour.js", include_str!("fixtures/hostile/neighbour.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\nthreads = 1\n\
                 [limits]\ncpu_ms = 50\nmemory_mb = 256\n\
                 [[workers]]\nname = \"hostile\"\nmain = \"host_ops.js\"\nroutes = [\"hostile.test/*\"]\n\
                 [[workers]]\nname = \"hog\"\nmain = \"host_ops.js\"\nroutes = [\"hog.test/*\"]\n\
                 [workers.limits]\ncpu_ms = 600000\n\
                 [[workers]]\nname = \"neighbour\"\nmain = \"neighbour.js\"\nroutes = [\"neighbour.test/*\"]\n"
            ),
        ),
    ])
}

fn start(engine: &str) -> (TempConfig, Server) {
    let c = config(engine);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, worker: &str, path: &str) -> (u16, String) {
    let r = s.request("GET", path, &[("host", &format!("{worker}.test"))], b"");
    (r.status, r.text())
}

/// The number of `CpuLimit` evictions of `worker` in the log.
fn cpu_evictions(log: &str, worker: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("isolate evicted") && l.contains("CpuLimit"))
        .filter(|l| l.contains(&format!("worker=\"{worker}\"")))
        .count()
}

/// Waits (up to a minute) until `done` holds of the server's log.
fn wait_for(s: &Server, what: &str, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let log = s.log();
        if done(&log) {
            return log;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited in vain for {what}; log:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn host_work_past_the_cpu_limit_gets_the_cpu_limit_answer() {
    on_each_engine(
        "host_work_past_the_cpu_limit_gets_the_cpu_limit_answer",
        |engine| {
            let (_c, s) = start(engine);
            assert_eq!(ask(&s, "neighbour", "/"), (200, NEIGHBOUR.to_owned()));
            let bystander = Bystander::start(&s.addr, "neighbour.test", NEIGHBOUR);
            // The shapes that used to run for seconds on the executor thread,
            // each far beyond 50 ms of CPU time.
            for path in [
                "/rsa?bits=4096",
                "/pbkdf2?n=20&iterations=100000",
                "/digest?n=20&mib=64",
                "/gzip?mib=32",
                "/multipart?parts=500000",
            ] {
                let before = cpu_evictions(&s.log(), "hostile");
                assert_eq!(
                    ask(&s, "hostile", path),
                    (503, CPU_LIMIT.to_owned()),
                    "{path}"
                );
                wait_for(&s, "the eviction", |log| {
                    cpu_evictions(log, "hostile") == before + 1
                });
                // The next request is served by a fresh isolate.
                assert_eq!(
                    ask(&s, "hostile", "/ok"),
                    (200, "ok 1".to_owned()),
                    "{path}"
                );
            }
            let (served, wrong) = bystander.finish();
            assert!(served > 0);
            assert_eq!(
                wrong, 0,
                "the neighbour answered wrongly {wrong} times of {served}"
            );
        },
    );
}

/// Whether the log shows the neighbour served between `work started TAG`
/// and `work done TAG`.
fn neighbour_served_during(log: &str, tag: &str) -> bool {
    let lines: Vec<&str> = log.lines().collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no '{needle}' in the log:\n{log}"))
    };
    let (started, done) = (
        at(&format!("work started {tag}")),
        at(&format!("work done {tag}")),
    );
    lines[started..done]
        .iter()
        .any(|l| l.contains("neighbour served"))
}

#[test]
fn host_work_leaves_the_executor_to_its_neighbours() {
    on_each_engine(
        "host_work_leaves_the_executor_to_its_neighbours",
        |engine| {
            let (_c, s) = start(engine);
            // Long (in a debug build), legitimate work with right answers.
            for (kind, path, expected) in [
            ("rsa", "/rsa?bits=1024", "rsa 1024 true".to_owned()),
            (
                "pbkdf2",
                "/pbkdf2?n=1&iterations=10000",
                "pbkdf2 1 true 72629a41b076e588fba8c71ca37fadc9acdc8e7321b9cb4ea55fd0bf9fe8ed72\
                 def92b4c7dff5242a0254945b945394ce4d6008e947bdc7593085cd1e2f6a375"
                    .to_owned(),
            ),
            (
                "digest",
                "/digest?n=1&mib=2",
                "digest 1 true eb0e38fa0c2dd92c3ae29a6b05f74393547516089d640fc98dda8289582a3631\
                 7fe359bcd9d0bda4e9d25fc0a63003d6465c729bdc98f28a318932071729d825"
                    .to_owned(),
            ),
            ("gzip", "/gzip?mib=2", "gzip 2097152 true true".to_owned()),
            (
                "multipart",
                "/multipart?parts=20000",
                "multipart 20000".to_owned(),
            ),
        ] {
            // The executor is free while the work runs, so the neighbour,
            // asked every few milliseconds, is served meanwhile: seen in
            // the log between the work's start and end (one thread writes
            // both). Work run on the executor thread could never let it in.
            let mut interleaved = false;
            for attempt in 0..5 {
                let tag = format!("T{kind}{attempt}T");
                let bystander = Bystander::start(&s.addr, "neighbour.test", NEIGHBOUR);
                let answer = ask(&s, "hog", &format!("{path}&tag={tag}"));
                let (served, wrong) = bystander.finish();
                assert_eq!(answer, (200, expected.clone()), "{path}");
                assert_eq!(wrong, 0, "{path}: the neighbour answered wrongly {wrong} times of {served}");
                let log = wait_for(&s, "the work's end", |log| {
                    log.contains(&format!("work done {tag}"))
                });
                if neighbour_served_during(&log, &tag) {
                    interleaved = true;
                    break;
                }
            }
            assert!(
                interleaved,
                "{path}: the neighbour was never served while the work ran; log:\n{}",
                s.log()
            );
        }
        },
    );
}

#[test]
fn host_work_settles_in_order_and_after_its_answer() {
    on_each_engine(
        "host_work_settles_in_order_and_after_its_answer",
        |engine| {
            let (_c, s) = start(engine);
            // Quick work asked for after long work does not overtake it.
            assert_eq!(
                ask(&s, "hog", "/order"),
                (200, "big, small, big again".to_owned())
            );
            // Work nobody waited for settles after the response, in the same
            // isolate, which serves on.
            assert_eq!(
                ask(&s, "hog", "/late?iterations=10000"),
                (200, "answered".to_owned())
            );
            wait_for(&s, "the late work's line", |log| {
                log.contains("late work settled 72629a41b076e588")
            });
            assert_eq!(ask(&s, "hog", "/ok"), (200, "ok 3".to_owned()));
            // Such work still draws on its event's CPU time: past it, the
            // isolate is evicted as for any event over its limit, and the next
            // request gets a fresh one.
            assert_eq!(ask(&s, "hostile", "/ok"), (200, "ok 1".to_owned()));
            assert_eq!(
                ask(&s, "hostile", "/late?iterations=100000"),
                (200, "answered".to_owned())
            );
            wait_for(&s, "the eviction", |log| cpu_evictions(log, "hostile") == 1);
            assert_eq!(ask(&s, "hostile", "/ok"), (200, "ok 1".to_owned()));
            assert!(!s.log().contains("late work settled f5d17022c96af46c"));
        },
    );
}

/// The peak resident memory of process `pid` so far, in MiB.
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

#[test]
fn host_work_input_waits_for_room() {
    on_each_engine("host_work_input_waits_for_room", |engine| {
        let (_c, s) = start(engine);
        let expected =
            |n: usize| format!("digest {n} true 077c791119e055e7a0ae5e507089a3f9114836f5");
        assert_eq!(
            ask(&s, "hog", "/digest?n=2&mib=4&hash=SHA-1"),
            (200, expected(2))
        );
        let before = peak_mib(s.pid());
        // 24 digests of one 4 MiB buffer asked for at once: each holds a copy
        // of its input until it has run, and they run one after another, so
        // without a bound they would hold 96 MiB at once. With one, the
        // later ones wait for room (16 MiB per isolate) and all settle.
        assert_eq!(
            ask(&s, "hog", "/digest?n=24&mib=4&hash=SHA-1"),
            (200, expected(24))
        );
        let grown = peak_mib(s.pid()).saturating_sub(before);
        assert!(grown < 56, "the server's peak memory grew by {grown} MiB");
    });
}
