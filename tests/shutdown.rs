//! Graceful shutdown of the real server on SIGTERM and SIGINT, on every
//! engine.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};

fn serve(engine: &str, server: &str, extra: &[&str]) -> (TempConfig, Server) {
    let config = TempConfig::new(&[
        (
            "motu.toml",
            &format!(
                "[server]\n{server}\n[[workers]]\nname = \"app\"\nmain = \"shutdown.js\"\nroutes = [\"*/*\"]\n"
            ),
        ),
        (
            "shutdown.js",
            &std::fs::read_to_string(common::fixture("shutdown.js")).unwrap(),
        ),
    ]);
    let path = config.path("motu.toml");
    let mut args = vec!["--config", path.as_str(), "--engine", engine];
    args.extend_from_slice(extra);
    let server = Server::start(&args);
    (config, server)
}

/// Starts `GET path` on a thread; its response's status and body, or
/// `None` when the connection closed without a response.
fn in_flight(s: &Server, path: &str) -> std::thread::JoinHandle<Option<(u16, String)>> {
    let addr = s.addr.clone();
    let path = path.to_owned();
    std::thread::spawn(move || {
        let mut stream = TcpStream::connect(&addr).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
        )
        .ok()?;
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        if raw.is_empty() {
            return None;
        }
        // A response of the Worker's: status line, headers, a short body.
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text.split(' ').nth(1)?.parse().ok()?;
        let (_, body) = text.split_once("\r\n\r\n")?;
        Some((status, body.to_owned()))
    })
}

#[test]
fn sigterm_finishes_in_flight_work_refuses_new_connections_and_exits_0() {
    on_each_engine(
        "sigterm_finishes_in_flight_work_refuses_new_connections_and_exits_0",
        |engine| {
            let (_c, mut s) = serve(engine, "grace_period_s = 20", &[]);
            // waitUntil work that outlives its response, and a slow request.
            assert_eq!(s.get("/background?ms=1500").text(), "started");
            let slow = in_flight(&s, "/wait?ms=2000");
            std::thread::sleep(Duration::from_millis(500));
            let signalled = Instant::now();
            s.signal("TERM");
            let log = s.wait_for_log("no longer accepting");
            assert!(log.contains("SIGTERM received"), "{log}");
            assert!(
                TcpStream::connect(&s.addr).is_err(),
                "a new connection was accepted during the shutdown"
            );
            assert_eq!(
                slow.join().unwrap(),
                Some((200, "waited 2000".to_owned())),
                "the in-flight request did not complete"
            );
            let code = s.wait_exit(Duration::from_secs(15));
            assert_eq!(code, Some(0), "log:\n{}", s.log());
            let log = s.log();
            assert!(log.contains("background done"), "{log}");
            assert!(log.contains("every isolate is quiet"), "{log}");
            assert!(log.contains("shutdown complete"), "{log}");
            // The process waited for its work, not for the grace period.
            assert!(signalled.elapsed() < Duration::from_secs(10));
        },
    );
}

#[test]
fn an_idle_server_exits_0_at_once_on_sigint() {
    on_each_engine("an_idle_server_exits_0_at_once_on_sigint", |engine| {
        let (_c, mut s) = serve(engine, "", &[]);
        assert_eq!(s.get("/wait?ms=0").text(), "waited 0");
        s.signal("INT");
        assert_eq!(s.wait_exit(Duration::from_secs(5)), Some(0), "{}", s.log());
        assert!(s.log().contains("SIGINT received"));
    });
}

#[test]
fn a_second_signal_exits_at_once_with_128_plus_its_number() {
    on_each_engine(
        "a_second_signal_exits_at_once_with_128_plus_its_number",
        |engine| {
            let (_c, mut s) = serve(engine, "grace_period_s = 60", &[]);
            let slow = in_flight(&s, "/wait?ms=30000");
            std::thread::sleep(Duration::from_millis(500));
            s.signal("TERM");
            s.wait_for_log("no longer accepting");
            assert_eq!(s.wait_exit(Duration::from_millis(500)), None);
            let signalled = Instant::now();
            s.signal("INT");
            assert_eq!(
                s.wait_exit(Duration::from_secs(5)),
                Some(130),
                "{}",
                s.log()
            );
            assert!(signalled.elapsed() < Duration::from_secs(3));
            assert!(s.log().contains("SIGINT received again"), "{}", s.log());
            // The slow request was cut off with the process.
            assert_eq!(slow.join().unwrap(), None);
        },
    );
}

#[test]
fn the_grace_period_flag_bounds_the_shutdown() {
    on_each_engine("the_grace_period_flag_bounds_the_shutdown", |engine| {
        let (_c, mut s) = serve(engine, "grace_period_s = 60", &["--grace-period", "1"]);
        let slow = in_flight(&s, "/wait?ms=30000");
        std::thread::sleep(Duration::from_millis(500));
        let signalled = Instant::now();
        s.signal("TERM");
        assert_eq!(s.wait_exit(Duration::from_secs(8)), Some(0), "{}", s.log());
        let waited = signalled.elapsed();
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
            "{waited:?}"
        );
        assert!(
            s.log().contains("grace period of 1 s is over"),
            "{}",
            s.log()
        );
        assert_eq!(slow.join().unwrap(), None);
    });
}
