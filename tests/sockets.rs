//! `cloudflare:sockets` in Workers of the real server, on every engine,
//! against a TCP echo server the test starts on loopback (opened to the
//! Worker by `allow_hosts`): bytes both ways, half-open closing, the egress
//! policy, TLS attempted where asked, the subrequest limit, and a socket
//! closed by the runtime once its event is over.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{on_each_engine, Server, TempConfig};
use serde_json::{json, Value};

/// An echo server: sends back what it reads, and closes once the client
/// ends its side. Counts the connections open.
struct Echo {
    addr: String,
    open: Arc<AtomicUsize>,
}

impl Echo {
    fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let open = Arc::new(AtomicUsize::new(0));
        let count = open.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let count = count.clone();
                count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut stream = stream;
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 || stream.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    count.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Echo { addr, open }
    }
}

fn serve(engine: &str, echo: &str, extra: &str) -> (TempConfig, Server) {
    let c = TempConfig::new(&[
        ("worker.js", include_str!("fixtures/sockets.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n{extra}\n\
                 [egress]\nallow_hosts = [\"{echo}\"]\n\
                 [[workers]]\nname = \"sockets\"\nmain = \"worker.js\"\n\
                 [workers.vars]\nECHO = \"{echo}\"\n"
            ),
        ),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, path: &str) -> Value {
    let r = s.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.json()
}

#[test]
fn sockets_carry_bytes_both_ways() {
    on_each_engine("sockets_carry_bytes_both_ways", |engine| {
        let echo = Echo::start();
        let (_c, s) = serve(engine, &echo.addr, "");
        let r = ask(&s, "/echo");
        assert_eq!(r["got"], "hello socket");
        assert_eq!(r["again"], "ok");
        assert_eq!(r["remote"], echo.addr.as_str());
        assert_eq!(r["local"], "string");
        assert_ne!(r["writeAfterClose"], "no error");
        assert_eq!(ask(&s, "/half-close"), json!({ "got": "bye" }));
    });
}

#[test]
fn sockets_follow_the_egress_policy_and_limits() {
    on_each_engine("sockets_follow_the_egress_policy_and_limits", |engine| {
        let echo = Echo::start();
        let (_c, s) = serve(engine, &echo.addr, "");
        let r = ask(&s, "/refused");
        let text = |k: &str| r[k].as_str().unwrap().to_owned();
        assert!(text("private").contains("egress policy"), "{r}");
        assert!(text("tls").contains("TLS handshake"), "{r}");
        assert!(text("badAddress").starts_with("TypeError"), "{r}");
        assert!(text("badTransport").starts_with("TypeError"), "{r}");
        assert!(text("noStartTls").starts_with("TypeError"), "{r}");
        assert!(text("startTlsOnPlain").contains("TLS handshake"), "{r}");
        drop(s);
        let (_c, s) = serve(engine, &echo.addr, "[limits]\nsubrequests = 1\n");
        let r = ask(&s, "/too-many");
        assert!(
            r["second"]
                .as_str()
                .unwrap()
                .contains("Too many subrequests"),
            "{r}"
        );
    });
}

#[test]
fn a_socket_lives_no_longer_than_its_event() {
    on_each_engine("a_socket_lives_no_longer_than_its_event", |engine| {
        let echo = Echo::start();
        let (_c, s) = serve(engine, &echo.addr, "");
        ask(&s, "/left-open");
        let deadline = Instant::now() + Duration::from_secs(10);
        while echo.open.load(Ordering::SeqCst) > 0 {
            assert!(Instant::now() < deadline, "the socket outlived its event");
            std::thread::sleep(Duration::from_millis(20));
        }
    });
}
