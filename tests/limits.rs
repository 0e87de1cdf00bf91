//! Hostile Workers against the real server, on every engine: each breaks a
//! limit and gets the limit's answer, its isolate is evicted for the right
//! reason, the next request is served by a fresh isolate, and a well-behaved
//! Worker beside it answers correctly the whole time. Endless loops over one
//! long built-in or host operation run on the same executor thread as that
//! neighbour: they must stop at the CPU limit for it to be answered.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{on_each_engine, Bystander, Origin, Server, TempConfig};

fn config(engine: &str, origin: &Origin) -> TempConfig {
    TempConfig::new(&[
        ("hostile.js", include_str!("fixtures/hostile/hostile.js")),
        ("startup-loop.js", include_str!("fixtures/hostile/startup-loop.js")),
        ("hello.js", include_str!("fixtures/hello.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n\
                 [limits]\ncpu_ms = 50\nstartup_cpu_ms = 200\nmemory_mb = 32\nwall_ms_after_response = 500\n\
                 [egress]\nallow_hosts = [\"{origin}\"]\n\
                 [[workers]]\nname = \"hostile\"\nmain = \"hostile.js\"\nroutes = [\"hostile.test/*\"]\n\
                 [workers.vars]\nORIGIN = \"http://{origin}\"\n\
                 [[workers]]\nname = \"hog\"\nmain = \"hostile.js\"\nroutes = [\"hog.test/*\"]\n\
                 [workers.vars]\nORIGIN = \"http://{origin}\"\n\
                 [workers.limits]\ncpu_ms = 20000\n\
                 [[workers]]\nname = \"startup\"\nmain = \"startup-loop.js\"\nroutes = [\"startup.test/*\"]\n\
                 [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n",
                origin = origin.addr
            ),
        ),
    ])
}

/// One request to `worker`; a request that gets no answer fails the test
/// with the server's log.
fn ask(s: &Server, worker: &str, path: &str) -> (u16, String) {
    let host = format!("{worker}.test");
    match common::try_request(&s.addr, "GET", path, &[("host", &host)], b"") {
        Some(r) => (r.status, r.text()),
        None => panic!("{worker}{path}: no answer; log:\n{}", s.log()),
    }
}

/// The number of evictions of `worker` for `reason` in the log.
fn evictions(log: &str, worker: &str, reason: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("isolate evicted"))
        .filter(|l| {
            l.contains(&format!("worker=\"{worker}\"")) || l.contains(&format!("worker={worker} "))
        })
        .filter(|l| {
            l.contains(&format!("reason=\"{reason}\"")) || l.contains(&format!("reason={reason} "))
        })
        .count()
}

fn resident_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

/// Checks one hostile path: the answer, one more eviction for `reason`, and
/// a fresh isolate for the next request.
fn breaks_a_limit(s: &Server, worker: &str, path: &str, status: u16, body: &str, reason: &str) {
    let before = evictions(&s.log(), worker, reason);
    assert_eq!(ask(s, worker, path), (status, body.to_owned()), "{path}");
    let log = s.wait_for_log("isolate evicted");
    let start = Instant::now();
    let mut after = evictions(&log, worker, reason);
    while after == before && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
        after = evictions(&s.log(), worker, reason);
    }
    assert_eq!(
        after,
        before + 1,
        "{path}: expected one more {reason} eviction; log:\n{}",
        s.log()
    );
    assert_eq!(
        ask(s, worker, "/ok"),
        (200, "ok 1".to_owned()),
        "{path}: the next request needs a fresh isolate"
    );
}

#[test]
fn hostile_workers_cost_only_their_own_requests() {
    on_each_engine("hostile_workers_cost_only_their_own_requests", |engine| {
        let origin = Origin::start();
        let c = config(engine, &origin);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        assert_eq!(ask(&s, "hostile", "/ok"), (200, "ok 1".to_owned()));
        assert_eq!(ask(&s, "hostile", "/ok"), (200, "ok 2".to_owned()));
        let bystander = Bystander::start(&s.addr, "hello.test", "Hello World!");

        let cpu = "Worker exceeded its CPU time limit.\n";
        let memory = "Worker exceeded its memory limit.\n";
        breaks_a_limit(&s, "hostile", "/spin", 503, cpu, "CpuLimit");
        breaks_a_limit(&s, "hostile", "/spin-later", 503, cpu, "CpuLimit");
        // A Worker whose own CPU limit is high enough for memory to run out first.
        breaks_a_limit(&s, "hog", "/grow", 503, memory, "MemoryLimit");
        breaks_a_limit(&s, "hog", "/concat", 503, memory, "MemoryLimit");
        breaks_a_limit(
            &s,
            "hostile",
            "/never",
            500,
            "The Worker's code had hung and would never generate a response.\n",
            "Hang",
        );

        // waitUntil work that ends is awaited, in the same isolate…
        assert_eq!(
            ask(&s, "hostile", "/after"),
            (200, "answered first".to_owned())
        );
        assert!(s
            .wait_for_log("after-work done")
            .contains("after-work done"));
        assert_eq!(ask(&s, "hostile", "/ok"), (200, "ok 3".to_owned()));
        // …and work that never ends is cut off after the wall-clock limit.
        breaks_a_limit(&s, "hostile", "/linger", 200, "lingering", "WallClock");

        // The 51st subrequest of one event throws; the isolate is not at
        // fault and keeps serving. (On the Worker with CPU room: 50 fetches
        // in a debug build may take more than 50 ms of CPU.)
        let served = ask(&s, "hog", "/ok").1;
        assert_eq!(
            ask(&s, "hog", "/subrequests"),
            (500, "Worker threw an exception.\n".to_owned())
        );
        assert!(s
            .wait_for_log("Too many subrequests")
            .contains("at most 50"));
        // The origin counts a request once it has written the answer, which
        // the Worker may have read first: wait for the 50th, then check
        // that no 51st came.
        let start = Instant::now();
        while origin.served.load(Ordering::SeqCst) < 50 && start.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(origin.served.load(Ordering::SeqCst), 50);
        let next = ask(&s, "hog", "/ok").1;
        let count = |s: &str| s.trim_start_matches("ok ").parse::<u32>().unwrap();
        assert_eq!(
            count(&next),
            count(&served) + 2,
            "the same isolate serves on"
        );

        let r = s.request("GET", "/", &[("host", "startup.test")], b"");
        assert_eq!(r.status, 500);
        assert!(r.text().contains("start-up CPU time limit"), "{}", r.text());
        let log = s.wait_for_log("exceeded the start-up CPU time limit of 200 ms");
        assert!(
            log.contains("exceeded the start-up CPU time limit of 200 ms"),
            "{log}"
        );

        let (served, wrong) = bystander.finish();
        assert!(served > 0);
        assert_eq!(
            wrong, 0,
            "the well-behaved Worker answered wrongly {wrong} times of {served}"
        );
        let r = s.request("GET", "/", &[("host", "hello.test")], b"");
        assert_eq!((r.status, r.text()), (200, "Hello World!".to_owned()));
        let rss = resident_mib(s.pid());
        assert!(rss < 512, "the server holds {rss} MiB after the evictions");
    });
}

/// A server with one executor thread, shared by a Worker whose requests loop
/// over long built-ins and by the well-behaved one.
fn builtins_config(engine: &str) -> TempConfig {
    TempConfig::new(&[
        ("builtins.js", include_str!("fixtures/hostile/builtins.js")),
        ("hello.js", include_str!("fixtures/hello.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\nthreads = 1\n\
                 [limits]\ncpu_ms = 50\n\
                 [[workers]]\nname = \"builtins\"\nmain = \"builtins.js\"\nroutes = [\"builtins.test/*\"]\n\
                 [workers.limits]\nstartup_cpu_ms = 30000\nmemory_mb = 512\n\
                 [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n"
            ),
        ),
    ])
}

#[test]
fn endless_loops_of_long_builtins_stop_at_the_cpu_limit() {
    on_each_engine(
        "endless_loops_of_long_builtins_stop_at_the_cpu_limit",
        |engine| {
            let c = builtins_config(engine);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            assert_eq!(ask(&s, "builtins", "/ok"), (200, "ok 1".to_owned()));
            let bystander = Bystander::start(&s.addr, "hello.test", "Hello World!");
            let cpu = "Worker exceeded its CPU time limit.\n";
            for path in [
                "/fill",
                "/repeat",
                "/repeat-pair",
                "/sort",
                "/join",
                "/encode",
                "/atob",
                "/btoa",
                "/json",
                "/catching",
                "/alloc",
            ] {
                breaks_a_limit(&s, "builtins", path, 503, cpu, "CpuLimit");
            }
            let (served, wrong) = bystander.finish();
            assert!(served > 0);
            assert_eq!(
                wrong, 0,
                "the well-behaved Worker answered wrongly {wrong} times of {served}"
            );
        },
    );
}

/// `TextEncoder.encode` of strings of over a million units (which both
/// engines encode in slices, see engines/v8/shim/encode.cc and
/// engines/quickjs/src/encode.rs) gives exactly the bytes of the same
/// strings encoded in short pieces: Latin-1 (at slices' ends too, in a
/// string of 16 Mi units), surrogate pairs across the slices' boundaries,
/// lone surrogates, ropes.
#[test]
fn long_strings_encode_exactly() {
    on_each_engine("long_strings_encode_exactly", |engine| {
        let c = TempConfig::new(&[
            ("encode.js", include_str!("fixtures/long_encode.js")),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\n\
                     [limits]\ncpu_ms = 30000\nmemory_mb = 512\n\
                     [[workers]]\nname = \"encode\"\nmain = \"encode.js\"\nroutes = [\"*/*\"]\n"
                ),
            ),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        for case in ["latin1", "big", "pairs", "lone", "rope"] {
            let r = s.request("GET", &format!("/{case}"), &[], b"");
            assert_eq!((r.status, r.text()), (200, format!("{case} ok")));
        }
    });
}

/// `Array.prototype.sort` without a comparator, of arrays long enough for
/// an engine to sort them in slices (to stop at a termination), gives what
/// the specification says, as the same sort with a comparator does: stable,
/// `undefined` then holes at the end, strings compared by code units,
/// getters and prototypes read once in order before anything is written,
/// exceptions thrown before anything is written, array-likes, subclasses,
/// frozen and sparse arrays, `toSorted` and typed arrays untouched.
#[test]
fn long_arrays_sort_exactly() {
    on_each_engine("long_arrays_sort_exactly", |engine| {
        let c = TempConfig::new(&[
            ("sort.js", include_str!("fixtures/long_sort.js")),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\n\
                     [limits]\ncpu_ms = 60000\nmemory_mb = 512\n\
                     [[workers]]\nname = \"sort\"\nmain = \"sort.js\"\nroutes = [\"*/*\"]\n"
                ),
            ),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        for case in [
            "numbers",
            "integers",
            "strings",
            "mixed",
            "stable",
            "holes",
            "prototype",
            "array_prototype_index",
            "accessors",
            "throwing",
            "symbol",
            "frozen",
            "not_callable",
            "array_like",
            "subclass",
            "sparse",
            "all_undefined",
            "comparator",
            "to_sorted",
            "typed",
            "native",
        ] {
            let r = s.request("GET", &format!("/{case}"), &[], b"");
            assert_eq!((r.status, r.text()), (200, format!("{case} ok")));
        }
    });
}

/// `JSON.parse` of texts long enough for an engine to parse them in slices
/// (to stop at a termination) gives what one parse gives: the same values
/// (numbers, nested objects, strings holding commas and brackets, two-byte
/// texts, blanks), the same SyntaxError at the same position for a text
/// wrong anywhere (also where V8's shim cuts the text), objects and strings
/// at the top level, a plain Array whatever the Worker changed that putting
/// pieces together could read (`Array.prototype`'s `constructor`, its
/// prototype chain, `Symbol.species`, `Symbol.isConcatSpreadable`, indexed
/// setters, descriptor fields on `Object.prototype`), and none of those
/// changes run.
#[test]
fn long_json_parses_exactly() {
    on_each_engine("long_json_parses_exactly", |engine| {
        let c = TempConfig::new(&[
            ("json.js", include_str!("fixtures/long_json.js")),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\n\
                     [limits]\ncpu_ms = 60000\nmemory_mb = 512\n\
                     [[workers]]\nname = \"json\"\nmain = \"json.js\"\nroutes = [\"*/*\"]\n"
                ),
            ),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        for case in [
            "numbers",
            "nested",
            "two_byte",
            "errors",
            "not_arrays",
            "large_results",
            "concat_spreadable",
            "prototype_untouched",
            "species",
            "proxy_chain",
            "descriptor_fields",
            "indexed_setter",
        ] {
            let r = s.request("GET", &format!("/{case}"), &[], b"");
            assert_eq!((r.status, r.text()), (200, format!("{case} ok")));
        }
    });
}

/// A body read whole is gathered outside the isolate and handed to it as
/// it is (the engine adopts the buffer): a 90 MB upload read with
/// `arrayBuffer()` is answered under the default `cpu_ms = 50`, every byte
/// in place. (Copying it into the isolate in the Worker's turn cost more
/// than 50 ms of CPU time: the event got the CPU-limit 503.)
#[test]
fn a_90_mb_body_read_whole_fits_the_default_cpu_limit() {
    on_each_engine(
        "a_90_mb_body_read_whole_fits_the_default_cpu_limit",
        |engine| {
            let c = TempConfig::new(&[
                (
                    "whole.js",
                    "export default { async fetch(request) {\n\
                       const buffer = await request.arrayBuffer();\n\
                       const bytes = new Uint8Array(buffer);\n\
                       const n = bytes.length;\n\
                       return new Response(`${n} ${bytes[0]} ${bytes[n >> 1]} ${bytes[n - 1]}`);\n\
                     } }",
                ),
                (
                    "motu.toml",
                    &format!(
                        "[server]\nengine = \"{engine}\"\n\
                         [[workers]]\nname = \"whole\"\nmain = \"whole.js\"\nroutes = [\"*/*\"]\n"
                    ),
                ),
            ]);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let size = 90_000_000;
            let body: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let expected = format!("{size} {} {} {}", body[0], body[size >> 1], body[size - 1]);
            for _ in 0..3 {
                let r = s.request("POST", "/", &[], &body);
                assert_eq!((r.status, r.text()), (200, expected.clone()));
            }
        },
    );
}
