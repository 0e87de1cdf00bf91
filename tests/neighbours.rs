//! Noisy Workers against the real server, on every engine, with a
//! well-behaved neighbour polled throughout that must get every answer
//! right: a Worker flooding the log while nobody reads stderr, and a Worker
//! holding its executor thread for seconds.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};

/// How long a test waits for something that must happen before it gives
/// up (a bound on a hang, not a measure of speed).
const PATIENCE: Duration = Duration::from_secs(60);

/// `(status, body)` of `GET path` on `host`.
fn ask(addr: &str, host: &str, path: &str) -> (u16, String) {
    let r = common::request(addr, "GET", path, &[("host", host)], b"");
    (r.status, r.text())
}

/// A `motu serve` whose stderr the test reads only when it says so, and
/// then slowly.
struct SlowReader {
    child: Child,
    addr: String,
    admin: String,
    reading: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<u8>>>,
}

impl SlowReader {
    #[allow(clippy::zombie_processes)] // waited for in `Drop`
    fn start(config: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_motu"))
            .args(["serve", "--config", config, "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn motu");
        let reading = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut stderr = child.stderr.take().unwrap();
        let (r, sink) = (reading.clone(), log.clone());
        std::thread::spawn(move || {
            // 64 KiB every 10 ms at most: slower than a flood.
            let mut buf = vec![0; 64 << 10];
            loop {
                if !r.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                match stderr.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut admin = String::new();
        let mut line = String::new();
        loop {
            line.clear();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                let _ = child.wait();
                panic!("motu exited before listening");
            }
            if let Some(a) = line.trim().strip_prefix("motu admin listening on http://") {
                admin = a.to_owned();
            }
            if let Some(a) = line.trim().strip_prefix("motu listening on http://") {
                let addr = a.to_owned();
                std::thread::spawn(move || {
                    let mut rest = String::new();
                    let _ = stdout.read_to_string(&mut rest);
                });
                return Self {
                    child,
                    addr,
                    admin,
                    reading,
                    log,
                };
            }
        }
    }

    /// Starts or stops reading stderr.
    fn read_stderr(&self, on: bool) {
        self.reading.store(on, Ordering::SeqCst);
    }

    /// Waits until what was read of stderr contains `needle`.
    fn wait_for_log(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let log = String::from_utf8_lossy(&self.log.lock().unwrap()).into_owned();
            if log.contains(needle) || start.elapsed() > PATIENCE {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The value of the metric line that starts with `series` (0 if none).
    fn metric(&self, series: &str) -> f64 {
        let text = common::request(&self.admin, "GET", "/metrics", &[], b"").text();
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// Waits for the process to exit: its exit code, or `None` if it is
    /// still running after `timeout`.
    fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for SlowReader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_log_flood_into_a_stalled_stderr_holds_up_nothing() {
    on_each_engine(
        "a_log_flood_into_a_stalled_stderr_holds_up_nothing",
        |engine| {
            let c = TempConfig::new(&[
            ("flood.js", include_str!("fixtures/noisy/flood.js")),
            ("hello.js", include_str!("fixtures/hello.js")),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\nthreads = 2\n\
                     [admin]\nlisten = \"127.0.0.1:0\"\n\
                     [[workers]]\nname = \"flood\"\nmain = \"flood.js\"\nroutes = [\"flood.test/*\"]\n\
                     [workers.limits]\ncpu_ms = 60000\nlog_kb_per_s = 1048576\n\
                     [[workers]]\nname = \"chatty\"\nmain = \"flood.js\"\nroutes = [\"chatty.test/*\"]\n\
                     [workers.limits]\ncpu_ms = 60000\n\
                     [[workers]]\nname = \"spinner\"\nmain = \"flood.js\"\nroutes = [\"spinner.test/*\"]\n\
                     [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n"
                ),
            ),
        ]);
            let mut s = SlowReader::start(&c.path("motu.toml"));
            let neighbour = common::Bystander::start(&s.addr, "hello.test", "Hello World!");

            // Nobody reads stderr. Over its log rate (1 MiB/s by default), a
            // Worker's lines are dropped before they are formatted.
            let flooded = |n: u32| (200, format!("flooded {n}"));
            assert_eq!(ask(&s.addr, "chatty.test", "/?lines=300"), flooded(300));
            let chatty = s.metric("motu_console_dropped_lines_total{worker=\"chatty\"}");
            assert!(chatty > 0.0 && chatty < 300.0, "chatty dropped {chatty}");
            // A Worker allowed to log that much fills the pipe, then the log's
            // queue: what does not fit is dropped and counted, and neither the
            // Worker nor its neighbour waits for stderr.
            for _ in 0..4 {
                assert_eq!(ask(&s.addr, "flood.test", "/?lines=300"), flooded(300));
            }
            assert!(s.metric("motu_log_dropped_lines_total") > 0.0);
            assert!(s.metric("motu_log_dropped_bytes_total") > 0.0);
            // Logging costs the Worker CPU time: logging forever ends at the
            // CPU limit (50 ms by default).
            assert_eq!(
                ask(&s.addr, "spinner.test", "/forever"),
                (503, "Worker exceeded its CPU time limit.\n".to_owned())
            );

            // Read slowly: the queued lines come out, then one warning says
            // what was dropped.
            s.read_stderr(true);
            let log = s.wait_for_log("log output fell behind");
            assert!(log.contains("log output fell behind"), "{log}");
            assert!(
                log.contains("the Worker logs faster than its log_kb_per_s"),
                "{log}"
            );
            let cut = format!(
                "{}... {} more characters",
                "x".repeat(16384),
                (1 << 20) - 16384
            );
            assert!(
                log.contains(&cut),
                "console lines are cut at 16384 characters"
            );
            assert!(!log.contains(&"x".repeat(16385)));

            // Stalled again, the server still stops on SIGTERM.
            s.read_stderr(false);
            for _ in 0..2 {
                assert_eq!(ask(&s.addr, "flood.test", "/?lines=300"), flooded(300));
            }
            let (served, wrong) = neighbour.finish();
            assert!(served > 0);
            assert_eq!(
                wrong, 0,
                "the neighbour answered wrongly {wrong} times of {served}"
            );
            let status = std::process::Command::new("kill")
                .args(["-s", "TERM", &s.child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            assert_eq!(s.wait_exit(PATIENCE), Some(0), "SIGTERM did not stop it");
        },
    );
}

#[test]
fn a_worker_holding_its_executor_does_not_hold_up_its_neighbours() {
    on_each_engine(
        "a_worker_holding_its_executor_does_not_hold_up_its_neighbours",
        |engine| {
            // Two executors; the Workers' first isolates start on them in
            // turn, so the neighbour's sits beside the hog's.
            let c = TempConfig::new(&[
                ("hog.js", include_str!("fixtures/noisy/hog.js")),
                ("hello.js", include_str!("fixtures/hello.js")),
                (
                    "motu.toml",
                    &format!(
                        "[server]\nengine = \"{engine}\"\nthreads = 2\n\
                         [[workers]]\nname = \"hog\"\nmain = \"hog.js\"\nroutes = [\"hog.test/*\"]\nmax_instances = 1\n\
                         [workers.limits]\ncpu_ms = 60000\n\
                         [[workers]]\nname = \"filler\"\nmain = \"hello.js\"\nroutes = [\"filler.test/*\"]\n\
                         [[workers]]\nname = \"neighbour\"\nmain = \"hello.js\"\nroutes = [\"neighbour.test/*\"]\n"
                    ),
                ),
            ]);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let hello = (200, "Hello World!".to_owned());
            assert_eq!(ask(&s.addr, "neighbour.test", "/"), hello);

            let hog_done = Arc::new(AtomicBool::new(false));
            let (done, addr) = (hog_done.clone(), s.addr.clone());
            let hog = std::thread::spawn(move || {
                // Whatever the answer (none, once the server is gone).
                if let Ok(mut stream) = std::net::TcpStream::connect(&addr) {
                    let _ = stream.write_all(
                        b"GET / HTTP/1.1\r\nhost: hog.test\r\nconnection: close\r\n\r\n",
                    );
                    let _ = stream.read_to_end(&mut Vec::new());
                }
                done.store(true, Ordering::SeqCst);
            });
            // The hog says so once it has held its executor for 50 ms, and
            // holds it until its CPU time (60 s) runs out.
            let start = Instant::now();
            while !s.log().contains("hog spinning") {
                assert!(start.elapsed() < PATIENCE, "the hog never ran");
                std::thread::sleep(Duration::from_millis(10));
            }
            for _ in 0..20 {
                assert_eq!(ask(&s.addr, "neighbour.test", "/"), hello);
                assert_eq!(ask(&s.addr, "filler.test", "/"), hello);
            }
            assert!(
                !hog_done.load(Ordering::SeqCst),
                "the neighbour was answered only once the hog had finished"
            );
            drop(s);
            hog.join().unwrap();
        },
    );
}

#[test]
fn events_queued_beside_a_hog_move_to_a_free_executor() {
    on_each_engine(
        "events_queued_beside_a_hog_move_to_a_free_executor",
        |engine| {
            // Two executors; an executor counts as stalled once a turn on it
            // has used 2 s of CPU time, so that events of the neighbour sent
            // in the meantime wait in its isolate's mailbox beside the hog.
            let c = TempConfig::new(&[
                ("hog.js", include_str!("fixtures/noisy/hog.js")),
                ("hello.js", include_str!("fixtures/hello.js")),
                (
                    "motu.toml",
                    &format!(
                        "[server]\nengine = \"{engine}\"\nthreads = 2\nexecutor_busy_ms = 2000\n\
                         [admin]\nlisten = \"127.0.0.1:0\"\n\
                         [[workers]]\nname = \"hog\"\nmain = \"hog.js\"\nroutes = [\"hog.test/*\"]\nmax_instances = 1\n\
                         [workers.limits]\ncpu_ms = 60000\n\
                         [[workers]]\nname = \"neighbour\"\nmain = \"hello.js\"\nroutes = [\"neighbour.test/*\"]\n"
                    ),
                ),
            ]);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let hello = (200, "Hello World!".to_owned());

            // One connection, so one executor: the first isolates of both
            // Workers start on the executor of the connection that asks.
            let mut conn = std::net::TcpStream::connect(&s.addr).unwrap();
            conn.write_all(b"GET / HTTP/1.1\r\nhost: neighbour.test\r\n\r\n")
                .unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&seen).contains("Hello World!") {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "the connection closed");
                seen.extend_from_slice(&buf[..n]);
            }
            let hog_done = Arc::new(AtomicBool::new(false));
            let done = hog_done.clone();
            conn.write_all(b"GET / HTTP/1.1\r\nhost: hog.test\r\nconnection: close\r\n\r\n")
                .unwrap();
            let hog = std::thread::spawn(move || {
                // Whatever the answer (none, once the server is gone).
                let _ = conn.read_to_end(&mut Vec::new());
                done.store(true, Ordering::SeqCst);
            });
            let start = Instant::now();
            while !s.log().contains("hog spinning") {
                assert!(start.elapsed() < PATIENCE, "the hog never ran");
                std::thread::sleep(Duration::from_millis(10));
            }
            // Requests on fresh connections, at once: those on the other
            // executor are sent to the neighbour's isolate beside the hog
            // while that executor is not yet stalled, and wait there.
            let asks: Vec<_> = (0..6)
                .map(|_| {
                    let addr = s.addr.clone();
                    std::thread::spawn(move || ask(&addr, "neighbour.test", "/"))
                })
                .collect();
            for a in asks {
                assert_eq!(a.join().unwrap(), hello);
            }
            assert!(
                !hog_done.load(Ordering::SeqCst),
                "the neighbour was answered only once the hog had finished"
            );
            // They were answered because they moved, once the hog's
            // executor stalled, to an isolate on the other one.
            let moved = common::metrics(&s)
                .lines()
                .find_map(|l| l.strip_prefix("motu_events_moved_total "))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
            assert!(moved >= 1.0, "no event moved");
            drop(s);
            hog.join().unwrap();
        },
    );
}
