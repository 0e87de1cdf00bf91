//! Many Workers in one server, on every engine: a config of 2,000 Workers
//! starts, serves each Worker with its own code and global scope, and has
//! every Worker's code checked in the background; a Worker evicted for the
//! server's memory budget starts again on its next request with a clean
//! global scope.

mod common;

use std::time::{Duration, Instant};

use common::{on_each_engine, request, Server, TempConfig};

/// A Worker that answers its name and how many requests its isolate served.
fn counter(name: &str) -> String {
    format!(
        "let served = 0;\n\
         export default {{ fetch() {{ served++; return new Response(`{name} ${{served}}`); }} }};\n"
    )
}

fn get(s: &Server, worker: &str, path: &str) -> common::Response {
    let host = format!("{worker}.localhost");
    request(&s.addr, "GET", path, &[("host", &host)], b"")
}

/// Waits (up to `patience`) until the server's log contains `needle`.
fn wait_for_log(s: &Server, needle: &str, patience: Duration) -> String {
    let start = Instant::now();
    loop {
        let log = s.log();
        if log.contains(needle) || start.elapsed() > patience {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_config_of_2000_workers_starts_and_each_worker_answers_with_its_own_code() {
    on_each_engine(
        "a_config_of_2000_workers_starts_and_each_worker_answers_with_its_own_code",
        |engine| {
            const N: usize = 2000;
            let mut files: Vec<(String, String)> = (0..N)
                .map(|i| (format!("w{i}.js"), counter(&format!("w{i}"))))
                .collect();
            // At most 64 live isolates keep the test's memory small: the
            // least recently used idle ones make room for the next.
            let mut config =
                format!("[server]\nengine = \"{engine}\"\n\n[limits]\nmax_isolates = 64\n\n");
            for i in 0..N {
                config.push_str(&format!(
                    "[[workers]]\nname = \"w{i}\"\nmain = \"w{i}.js\"\nworkers_dev = true\n\n"
                ));
            }
            files.push(("motu.toml".into(), config));
            let refs: Vec<(&str, &str)> = files
                .iter()
                .map(|(n, c)| (n.as_str(), c.as_str()))
                .collect();
            let dir = TempConfig::new(&refs);
            let s = Server::start(&["--config", &dir.path("motu.toml")]);
            for i in 0..N {
                let r = get(&s, &format!("w{i}"), "/");
                assert_eq!(r.status, 200, "{engine}: w{i}: {}", r.text());
                assert_eq!(r.text(), format!("w{i} 1"), "{engine}");
            }
            // The most recently used Worker kept its isolate and its state.
            assert_eq!(
                get(&s, &format!("w{}", N - 1), "/").text(),
                format!("w{} 2", N - 1)
            );
            // Every Worker's code was checked after start-up, in the
            // background; none failed.
            let log = wait_for_log(
                &s,
                "every Worker's code was checked",
                Duration::from_secs(120),
            );
            let line = log
                .lines()
                .find(|l| l.contains("every Worker's code was checked"))
                .unwrap_or_else(|| panic!("{engine}: no check summary in the log"));
            assert!(line.contains("failed=0"), "{engine}: {line}");
            assert!(!log.contains("ERROR"), "{engine}: {log}");
        },
    );
}

#[test]
fn a_broken_worker_among_many_is_logged_after_start_up_and_the_others_serve() {
    on_each_engine(
        "a_broken_worker_among_many_is_logged_after_start_up_and_the_others_serve",
        |engine| {
            let good = counter("good");
            let config = format!(
                "[server]\nengine = \"{engine}\"\n\n\
                 [[workers]]\nname = \"good\"\nmain = \"good.js\"\nworkers_dev = true\n\n\
                 [[workers]]\nname = \"broken\"\nmain = \"broken.js\"\nworkers_dev = true\n"
            );
            let dir = TempConfig::new(&[
                ("good.js", &good),
                (
                    "broken.js",
                    "throw new Error('broken at the top');\nexport default {};\n",
                ),
                ("motu.toml", &config),
            ]);
            let s = Server::start(&["--config", &dir.path("motu.toml")]);
            // The check runs after the server listens: the log says which
            // Worker cannot start, and the others serve meanwhile.
            assert_eq!(get(&s, "good", "/").text(), "good 1", "{engine}");
            let log = wait_for_log(
                &s,
                "every Worker's code was checked",
                Duration::from_secs(60),
            );
            let error = log
                .lines()
                .find(|l| l.contains("ERROR") && l.contains("broken at the top"))
                .unwrap_or_else(|| panic!("{engine}: the broken Worker is logged:\n{log}"));
            assert!(error.contains("broken"), "{engine}: {error}");
            assert!(log.contains("failed=1"), "{engine}: {log}");
            assert_eq!(get(&s, "broken", "/").status, 500, "{engine}");
            assert_eq!(get(&s, "good", "/").text(), "good 2", "{engine}");
        },
    );
}

/// Keeps 16 MiB per isolate on `/fill` and answers how many requests its
/// isolate served and how much it keeps.
const KEEPER: &str = "
let served = 0;
let kept = null;
export default {
  fetch(request) {
    served++;
    if (new URL(request.url).pathname === '/fill') kept = new Uint8Array(16 << 20).fill(1);
    return new Response(`${served} ${kept ? kept.length : 0}`);
  },
};";

/// The value of the first line of `/metrics` whose series has every one of
/// `parts` (0 if none).
fn metric(admin: &str, name: &str, parts: &[&str]) -> f64 {
    let text = request(admin, "GET", "/metrics", &[], b"").text();
    text.lines()
        .filter(|l| l.starts_with(name))
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn a_worker_evicted_for_the_memory_budget_starts_again_with_a_clean_global_scope() {
    on_each_engine(
        "a_worker_evicted_for_the_memory_budget_starts_again_with_a_clean_global_scope",
        |engine| {
            // Two isolates keeping 16 MiB each are over 24 MiB; one is not.
            let config = format!(
                "[server]\nengine = \"{engine}\"\n\n[admin]\nlisten = \"127.0.0.1:0\"\n\n\
                 [limits]\nmemory_budget_mb = 24\ncpu_ms = 10000\n\n\
                 [[workers]]\nname = \"a\"\nmain = \"keeper.js\"\nworkers_dev = true\n\n\
                 [[workers]]\nname = \"b\"\nmain = \"keeper.js\"\nworkers_dev = true\n"
            );
            let dir = TempConfig::new(&[("keeper.js", KEEPER), ("motu.toml", &config)]);
            let s = Server::start(&["--config", &dir.path("motu.toml")]);
            let admin = s.admin.clone().expect("an admin listener");
            assert_eq!(get(&s, "a", "/fill").text(), "1 16777216", "{engine}");
            assert_eq!(get(&s, "b", "/fill").text(), "1 16777216", "{engine}");
            let evicted = |w: &str| {
                metric(
                    &admin,
                    "motu_isolate_evictions_total{",
                    &["reason=\"Pressure\"", &format!("worker=\"{w}\"")],
                )
            };
            let start = Instant::now();
            while evicted("a") < 1.0 && start.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(50));
            }
            assert_eq!(
                evicted("a"),
                1.0,
                "{engine}: a, the least recently used, goes"
            );
            assert_eq!(evicted("b"), 0.0, "{engine}: with a gone b fits");
            // b kept its globals; a starts over with none of its old ones.
            assert_eq!(get(&s, "b", "/").text(), "2 16777216", "{engine}");
            assert_eq!(get(&s, "a", "/").text(), "1 0", "{engine}");
            let log = wait_for_log(&s, "isolate restarted", Duration::from_secs(30));
            assert!(
                log.lines()
                    .any(|l| l.contains("isolate restarted") && l.contains("Pressure")),
                "{engine}: the restart is logged with the reason it replaces:\n{log}"
            );
        },
    );
}
