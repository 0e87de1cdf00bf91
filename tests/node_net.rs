//! `node:net`, `node:tls`, `node:http` and `node:dns` in Workers of the
//! real server, on every engine, against servers the test starts on
//! loopback (opened to the Worker by `allow_hosts`): a TCP echo server
//! (bytes both ways, writes before the connection is made, a megabyte
//! with backpressure, Node's events in order, half-closing), a closed port
//! (ECONNREFUSED), a private address (the egress policy), TLS attempted
//! against a plain server (by `tls.connect` and by upgrading a `net`
//! socket), the subrequest limit, idle timeouts; an HTTP server for the
//! `http` client; `localhost` for DNS, and DNS refused by the egress
//! policy. (The drivers over node:net against a real database:
//! tests/postgres.rs.) A debug build's QuickJS spends more than the default
//! 50 ms of CPU moving a megabyte through node:stream, so the Worker gets
//! a larger CPU limit.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{on_each_engine, Origin, Server, TempConfig};
use serde_json::{json, Value};

/// An echo server: sends back what it reads, and closes once the client
/// ends its side. Answers its address.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 16384];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 || stream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// A loopback port nobody listens on.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

fn serve(engine: &str, allow: &[&str], extra: &str) -> (TempConfig, Server) {
    let echo = echo_server();
    let origin = Origin::start();
    let mut hosts = vec![echo.clone(), origin.addr.clone()];
    hosts.extend(allow.iter().map(|h| h.to_string()));
    let hosts: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
    let c = TempConfig::new(&[
        ("worker.js", include_str!("fixtures/node_net.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n{extra}\n\
                 [egress]\nallow_hosts = [{}]\n\
                 [[workers]]\nname = \"net\"\nmain = \"worker.js\"\n\
                 compatibility_date = \"2025-04-01\"\n\
                 compatibility_flags = [\"nodejs_compat\", \"enable_nodejs_http_modules\"]\n\
                 [workers.limits]\ncpu_ms = 2000\n\
                 [workers.vars]\nECHO = \"{echo}\"\nCLOSED = \"{}\"\nORIGIN = \"{}\"\n",
                hosts.join(", "),
                closed_port(),
                origin.url(),
            ),
        ),
    ]);
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    (c, s)
}

fn ask(s: &Server, path: &str) -> Value {
    let r = s.get(path);
    assert_eq!(r.status, 200, "{path}: {}\n{}", r.text(), s.log());
    r.json()
}

/// Node's events of a socket that connects, ends its side and sees the
/// peer end: `connect`, `ready`, then `finish` (its FIN sent) and `end`
/// (the peer's) in whichever order the network gives, then `close`.
fn assert_events(r: &Value) {
    let events: Vec<&str> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(events.len(), 5, "{r}");
    assert_eq!(events[..2], ["connect", "ready"], "{r}");
    let mut middle = events[2..4].to_vec();
    middle.sort();
    assert_eq!(middle, ["end", "finish"], "{r}");
    assert_eq!(events[4], "close", "{r}");
}

#[test]
fn net_sockets_carry_bytes_with_nodes_events() {
    on_each_engine("net_sockets_carry_bytes_with_nodes_events", |engine| {
        let (_c, s) = serve(engine, &[], "");
        let r = ask(&s, "/echo");
        assert_eq!(r["state"], json!(["opening", true, true]), "{r}");
        let connected = r["connected"].as_array().unwrap();
        assert_eq!(
            connected[..4],
            [
                json!("open"),
                json!(false),
                json!(false),
                json!("127.0.0.1")
            ],
            "{r}"
        );
        assert_eq!(connected[5], "IPv4", "{r}");
        assert_eq!(connected[6], "number", "{r}");
        assert_eq!(r["got"], "hello net!", "{r}");
        assert_events(&r);
        assert_eq!(r["bytesWritten"], 10, "{r}");
        assert_eq!(r["bytesRead"], 10, "{r}");
        assert_eq!(r["destroyed"], true, "{r}");
        assert_eq!(r["after"], "closed", "{r}");
        let r = ask(&s, "/bulk");
        assert_eq!(
            r,
            json!({ "received": 1048576, "sameBytes": true, "written": 1048576 })
        );
        let r = ask(&s, "/half-open");
        assert_eq!(r["got"], "bye", "{r}");
        assert_events(&r);
    });
}

#[test]
fn net_and_tls_failures_are_nodes_errors() {
    on_each_engine("net_and_tls_failures_are_nodes_errors", |engine| {
        let (_c, s) = serve(engine, &["127.0.0.1"], "");
        let r = ask(&s, "/failures");
        assert_eq!(
            r["refused"],
            json!({ "code": "ECONNREFUSED", "syscall": "connect", "destroyed": true }),
            "{r}"
        );
        let text = |k: &str| r[k].as_str().unwrap().to_owned();
        assert!(text("privateAddr").contains("egress policy"), "{r}");
        assert!(text("tlsToPlain").contains("TLS handshake"), "{r}");
        assert!(text("upgradePlain").contains("TLS handshake"), "{r}");
        assert_eq!(r["timeout"], "timeout 50", "{r}");
        drop(s);
        let (_c, s) = serve(engine, &[], "[limits]\nsubrequests = 1\n");
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
fn the_http_client_goes_through_fetch() {
    on_each_engine("the_http_client_goes_through_fetch", |engine| {
        let (_c, s) = serve(engine, &[], "");
        let r = ask(&s, "/http");
        assert_eq!(
            r["got"],
            json!({ "status": 200, "message": "X", "length": "17", "body": "hello from origin", "version": "1.1", "raw": true }),
            "{r}"
        );
        assert_eq!(
            r["posted"],
            json!({ "status": 200, "seen": "seen", "body": "POST part one, part two" }),
            "{r}"
        );
        assert_eq!(
            r["redirect"],
            json!({ "status": 301, "location": "/hello" }),
            "{r}"
        );
        assert_eq!(r["streamed"], "first|last", "{r}");
        assert_eq!(r["wrongProtocol"], "ERR_INVALID_PROTOCOL", "{r}");
        assert_eq!(r["refused"], "egress policy", "{r}");
    });
}

#[test]
fn dns_resolves_under_the_egress_policy() {
    on_each_engine("dns_resolves_under_the_egress_policy", |engine| {
        let (_c, s) = serve(engine, &["localhost"], "");
        let r = ask(&s, "/dns");
        assert_eq!(r["lookup"], true, "{r}");
        assert_eq!(r["v4"], json!(["127.0.0.1", 4]), "{r}");
        assert_eq!(r["resolved"], json!(["127.0.0.1"]), "{r}");
        assert_eq!(r["mx"], "ENOTIMP", "{r}");
        drop(s);
        // Not named: localhost's addresses are private, so not given.
        let (_c, s) = serve(engine, &[], "");
        let r = ask(&s, "/dns-refused");
        let refused = r["refused"].as_str().unwrap();
        assert!(refused.starts_with("ENOTFOUND"), "{r}");
        assert!(refused.contains("egress policy"), "{r}");
    });
}
