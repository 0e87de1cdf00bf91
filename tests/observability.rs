//! Observability of the real server, on every engine: the admin listener
//! (`/metrics`, `/healthz`, `/readyz`, off by default), request ids, and
//! JSON logs.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{on_each_engine, request, Server, TempConfig};

/// A Worker that answers, throws or loops by path, logging as it goes.
const WORKER: &str = r#"
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    console.log('serving ' + url.pathname);
    if (url.pathname === '/throw') throw new Error('boom');
    if (url.pathname === '/loop') { for (;;) {} }
    if (url.pathname === '/call') return env.OTHER.fetch('http://other.test/nested');
    if (url.pathname === '/keep') {
      globalThis.kept = new Uint8Array(16 << 20).fill(7);
      return new Response(String(globalThis.kept.length));
    }
    return new Response('ok');
  },
};
"#;

fn config(engine: &str, extra: &str) -> TempConfig {
    TempConfig::new(&[
        ("worker.js", WORKER),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n[limits]\ncpu_ms = 50\n{extra}\n\
                 [[workers]]\nname = \"app\"\nmain = \"worker.js\"\nroutes = [\"app.test/*\"]\n"
            ),
        ),
    ])
}

/// The value of the sample `name{labels}` in a Prometheus text exposition,
/// whatever the order of its labels; `None` when absent.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    wanted.sort();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, mut set) = match series.split_once('{') {
                Some((m, rest)) => (
                    m,
                    rest.trim_end_matches('}')
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>(),
                ),
                None => (series, Vec::new()),
            };
            set.sort();
            (metric == name && set == wanted).then(|| value.parse().ok())?
        })
}

fn metrics(admin: &str) -> String {
    let r = request(admin, "GET", "/metrics", &[], b"");
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        r.header("content-type")
    );
    r.text()
}

/// Polls `/metrics` until the sample has `value` (the supervisor hears of
/// starts and evictions just after the response), up to 5 s.
fn wait_for_sample(admin: &str, name: &str, labels: &[(&str, &str)], value: f64) -> String {
    let start = Instant::now();
    loop {
        let text = metrics(admin);
        if sample(&text, name, labels) == Some(value) || start.elapsed() > Duration::from_secs(5) {
            assert_eq!(
                sample(&text, name, labels),
                Some(value),
                "{name}{labels:?} in\n{text}"
            );
            return text;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn app(s: &Server, path: &str, headers: &[(&str, &str)]) -> common::Response {
    let mut all = vec![("host", "app.test")];
    all.extend_from_slice(headers);
    s.request("GET", path, &all, b"")
}

#[test]
fn metrics_change_as_requests_are_served() {
    on_each_engine("metrics_change_as_requests_are_served", |engine| {
        let c = config(engine, "[admin]\nlisten = \"127.0.0.1:0\"");
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let admin = s.admin.clone().expect("an admin listener");
        let w = [("worker", "app")];
        // Registered, not started: no isolate and no request yet.
        let text = metrics(&admin);
        assert_eq!(sample(&text, "motu_isolates_live", &w).unwrap_or(0.0), 0.0);
        assert_eq!(
            sample(
                &text,
                "motu_requests_total",
                &[("worker", "app"), ("status", "2xx")]
            ),
            None
        );

        // The first request starts one live isolate, with a heap.
        assert_eq!(app(&s, "/", &[]).status, 200);
        let text = wait_for_sample(&admin, "motu_isolate_starts_total", &w, 1.0);
        assert_eq!(sample(&text, "motu_isolates_live", &w), Some(1.0));
        assert!(
            sample(&text, "motu_isolate_heap_bytes", &w).unwrap_or(0.0) > 0.0,
            "{text}"
        );
        assert_eq!(app(&s, "/", &[]).status, 200);
        assert_eq!(app(&s, "/throw", &[]).status, 500);
        let text = wait_for_sample(
            &admin,
            "motu_requests_total",
            &[("worker", "app"), ("status", "2xx")],
            2.0,
        );
        assert_eq!(
            sample(
                &text,
                "motu_requests_total",
                &[("worker", "app"), ("status", "5xx")]
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(&text, "motu_request_duration_seconds_count", &w),
            Some(3.0)
        );
        assert!(sample(&text, "motu_request_duration_seconds_sum", &w).unwrap() > 0.0);
        let le = [("worker", "app"), ("le", "+Inf")];
        assert_eq!(
            sample(&text, "motu_request_duration_seconds_bucket", &le),
            Some(3.0)
        );
        let text = wait_for_sample(&admin, "motu_event_cpu_seconds_count", &w, 3.0);
        assert!(
            sample(&text, "motu_event_cpu_seconds_sum", &w).unwrap() > 0.0,
            "{text}"
        );
        assert_eq!(sample(&text, "motu_executor_queue_depth", &[]), Some(0.0));
        assert_eq!(sample(&text, "motu_events_in_flight", &[]), Some(0.0));

        // A CPU-limit breach: a 503, an eviction by reason, no live isolate,
        // then a restart for the next request.
        assert_eq!(app(&s, "/loop", &[]).status, 503);
        let evicted = [("worker", "app"), ("reason", "CpuLimit")];
        let text = wait_for_sample(&admin, "motu_isolate_evictions_total", &evicted, 1.0);
        assert_eq!(
            sample(
                &text,
                "motu_requests_total",
                &[("worker", "app"), ("status", "5xx")]
            ),
            Some(2.0)
        );
        wait_for_sample(&admin, "motu_isolates_live", &w, 0.0);
        assert_eq!(app(&s, "/", &[]).status, 200);
        let text = wait_for_sample(&admin, "motu_isolate_starts_total", &w, 2.0);
        assert_eq!(sample(&text, "motu_isolates_live", &w), Some(1.0));
        assert_eq!(
            sample(
                &text,
                "motu_requests_total",
                &[("worker", "app"), ("status", "2xx")]
            ),
            Some(3.0)
        );
    });
}

/// An isolate that stops gives its memory back, and once nothing more
/// comes for a while the server trims its C heap (the hibernated WebSocket
/// bench's memory per socket depends on it).
#[test]
fn a_stopped_isolate_gives_memory_back_and_the_heap_is_trimmed() {
    on_each_engine(
        "a_stopped_isolate_gives_memory_back_and_the_heap_is_trimmed",
        |engine| {
            let c = config(
                engine,
                "idle_timeout_s = 1\n[admin]\nlisten = \"127.0.0.1:0\"",
            );
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let admin = s.admin.clone().expect("an admin listener");
            let w = [("worker", "app")];
            let r = app(&s, "/keep", &[]);
            assert_eq!(r.status, 200, "{}", r.text());
            assert_eq!(r.text(), (16 << 20).to_string());
            // The isolate holding 16 MiB of bytes leaves memory when idle;
            // what it held is counted as given back, and a trim follows.
            let evicted = [("worker", "app"), ("reason", "Idle")];
            let start = Instant::now();
            loop {
                let text = metrics(&admin);
                let gone = sample(&text, "motu_isolate_evictions_total", &evicted) == Some(1.0);
                let released =
                    sample(&text, "motu_isolate_released_bytes_total", &[]).unwrap_or(0.0);
                let trims = sample(&text, "motu_heap_trims_total", &[]).unwrap_or(0.0);
                if gone && released >= f64::from(16 << 20) && trims >= 1.0 {
                    assert_eq!(sample(&text, "motu_isolates_live", &w), Some(0.0));
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "no eviction, release and trim: {text}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            // The Worker starts again with a clean global scope.
            assert_eq!(app(&s, "/", &[]).status, 200);
        },
    );
}

#[test]
fn health_and_readiness() {
    on_each_engine("health_and_readiness", |engine| {
        // The admin listener answers health checks from the start; readiness
        // comes once the server listens. (Workers are registered and their
        // code checked without running it, so the window before readiness
        // is too short to observe reliably here; a server that is not ready
        // is tested in tests/cluster.rs, where /readyz answers 503 while
        // Redis does not answer.)
        let c = TempConfig::new(&[
            (
                "slow.js",
                "export default { fetch() { return new Response('ok') } };\n",
            ),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\nlisten = \"127.0.0.1:0\"\n\
                     [limits]\nstartup_cpu_ms = 30000\n\
                     [[workers]]\nname = \"slow\"\nmain = \"slow.js\"\n"
                ),
            ),
        ]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_motu"))
            .args([
                "serve",
                "--config",
                &c.path("motu.toml"),
                "--admin-listen",
                "127.0.0.1:0",
            ])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let admin = first
            .strip_prefix("motu admin listening on http://")
            .unwrap_or_else(|| panic!("the admin line comes first: {first}"))
            .to_owned();
        let health = request(&admin, "GET", "/healthz", &[], b"");
        let listening = lines.next().unwrap().unwrap();
        let late = request(&admin, "GET", "/readyz", &[], b"");
        let missing = request(&admin, "GET", "/nothing", &[], b"");
        let posted = request(&admin, "POST", "/metrics", &[], b"");
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(health.status, 200);
        assert!(
            listening.starts_with("motu listening on http://"),
            "{listening}"
        );
        assert_eq!(late.status, 200, "{}", late.text());
        assert_eq!(missing.status, 404);
        assert_eq!(posted.status, 405);
    });
}

#[test]
fn request_ids_are_echoed_or_generated() {
    on_each_engine("request_ids_are_echoed_or_generated", |engine| {
        let c = config(engine, "");
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let r = app(&s, "/", &[("x-request-id", "client-id.42")]);
        assert_eq!(r.header("x-request-id"), Some("client-id.42"));
        let generated = |r: &common::Response| {
            let id = r.header("x-request-id").expect("an id").to_owned();
            assert_eq!(id.len(), 32, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
            id
        };
        let a = generated(&app(&s, "/", &[]));
        let b = generated(&app(&s, "/", &[]));
        assert_ne!(a, b);
        // Unusable ids are replaced: spaces, or too long.
        let spaced = generated(&app(&s, "/", &[("x-request-id", "has a space")]));
        assert_ne!(spaced, a);
        let long = "x".repeat(129);
        generated(&app(&s, "/", &[("x-request-id", &long)]));
        let ok = "y".repeat(128);
        assert_eq!(
            app(&s, "/", &[("x-request-id", &ok)]).header("x-request-id"),
            Some(ok.as_str())
        );
        // Failures and unrouted requests carry one too.
        assert_eq!(
            app(&s, "/throw", &[("x-request-id", "t-1")]).header("x-request-id"),
            Some("t-1")
        );
        let r = s.request(
            "GET",
            "/",
            &[("host", "nowhere.test"), ("x-request-id", "n-1")],
            b"",
        );
        assert_eq!(r.status, 404);
        assert_eq!(r.header("x-request-id"), Some("n-1"));
    });
}

/// The JSON objects of a log, asserting every line is one.
fn json_lines(log: &str) -> Vec<serde_json::Value> {
    log.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect()
}

#[test]
fn json_logs_carry_the_worker_and_the_request_id() {
    on_each_engine("json_logs_carry_the_worker_and_the_request_id", |engine| {
        let c = TempConfig::new(&[
            ("worker.js", WORKER),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\n\
                     [[workers]]\nname = \"app\"\nmain = \"worker.js\"\nroutes = [\"app.test/*\"]\n\
                     [[workers.services]]\nbinding = \"OTHER\"\nservice = \"other\"\n\
                     [[workers]]\nname = \"other\"\nmain = \"worker.js\"\nroutes = [\"other.test/*\"]\n"
                ),
            ),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml"), "--log-format", "json"]);
        assert_eq!(
            app(&s, "/given", &[("x-request-id", "given-id")]).status,
            200
        );
        let generated = app(&s, "/fresh", &[]);
        let fresh = generated.header("x-request-id").unwrap().to_owned();
        assert_eq!(
            app(&s, "/throw", &[("x-request-id", "thrown-id")]).status,
            500
        );
        // A service-binding call carries the id on to the Worker it calls.
        assert_eq!(
            app(&s, "/call", &[("x-request-id", "chain-id")]).text(),
            "ok"
        );
        s.wait_for_log("serving /nested");
        s.wait_for_log("uncaught exception");
        let lines = json_lines(&s.wait_for_log("serving /throw"));
        let find = |text: &str| {
            lines
                .iter()
                .find(|l| l["message"].as_str().is_some_and(|m| m.contains(text)))
                .unwrap_or_else(|| panic!("no line with '{text}' in {lines:#?}"))
        };
        for (text, id) in [
            ("serving /given", "given-id"),
            ("serving /fresh", fresh.as_str()),
            ("serving /throw", "thrown-id"),
        ] {
            let line = find(text);
            assert_eq!(line["level"], "INFO", "{line}");
            assert_eq!(line["target"], "motu::console", "{line}");
            assert_eq!(line["worker"], "app", "{line}");
            assert_eq!(line["span"]["worker"], "app", "{line}");
            assert_eq!(line["span"]["request_id"], id, "{line}");
        }
        let nested = find("serving /nested");
        assert_eq!(nested["span"]["worker"], "other", "{nested}");
        assert_eq!(nested["span"]["request_id"], "chain-id", "{nested}");
        let exception = find("uncaught exception");
        assert_eq!(exception["level"], "ERROR");
        assert_eq!(exception["span"]["request_id"], "thrown-id", "{exception}");
        // Every line has a timestamp and a level.
        for line in &lines {
            assert!(
                line["timestamp"].is_string() && line["level"].is_string(),
                "{line}"
            );
        }
    });
}

#[test]
fn text_logs_carry_the_request_id_too() {
    on_each_engine("text_logs_carry_the_request_id_too", |engine| {
        let c = config(engine, "");
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        app(&s, "/text", &[("x-request-id", "text-id-7")]);
        let log = s.wait_for_log("serving /text");
        let line = log
            .lines()
            .find(|l| l.contains("serving /text"))
            .unwrap_or_else(|| panic!("{log}"));
        assert!(line.contains("text-id-7") && line.contains("app"), "{line}");
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_err(),
            "{line}"
        );
    });
}

/// The TCP sockets process `pid` listens on (Linux: its socket descriptors
/// matched against /proc/net/tcp{,6} rows in the LISTEN state).
fn listening_sockets(pid: u32) -> usize {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|t| {
            t.to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')
                .map(str::to_owned)
        })
        .collect();
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|t| t.lines().skip(1).map(str::to_owned).collect::<Vec<_>>())
        .filter(|row| {
            let cols: Vec<&str> = row.split_whitespace().collect();
            cols.get(3) == Some(&"0A") && cols.get(9).is_some_and(|i| inodes.iter().any(|n| n == i))
        })
        .count()
}

#[test]
fn the_admin_listener_is_off_by_default() {
    on_each_engine("the_admin_listener_is_off_by_default", |engine| {
        let c = config(engine, "");
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        assert_eq!(s.admin, None);
        assert_eq!(listening_sockets(s.pid()), 1);
        let with = Server::start(&[
            "--config",
            &c.path("motu.toml"),
            "--admin-listen",
            "127.0.0.1:0",
        ]);
        assert!(with.admin.is_some());
        assert_eq!(listening_sockets(with.pid()), 2);
        // The Workers' listener does not serve the admin paths.
        let r = app(&s, "/metrics", &[]);
        assert_eq!(r.text(), "ok");
    });
}
