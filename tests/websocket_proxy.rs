//! A Worker in front of a WebSocket origin hands the origin's socket on to
//! its client without accepting it (`tests/fixtures/websocket_proxy.js`),
//! over the real server, with real WebSocket clients and a loopback origin,
//! on every engine: the client's upgrade passed through (`fetch(request)`)
//! and a socket of the Worker's own `fetch()` in a new Response, text and
//! binary messages both ways, closes with their code and reason from either
//! side, a Durable Object's socket through `stub.fetch`, the 1 MiB limit,
//! the socket outliving its Worker's isolate, shutdown (1001 to both
//! sides), and the error for a socket accepted first.

mod common;

use std::sync::mpsc;

use common::ws::{next, runtime, Socket, PATIENCE};
use common::{on_each_engine, Server, TempConfig};
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A WebSocket origin on a loopback port: it echoes text (`echo …`) and
/// binary messages, closes with 4003 "origin says bye" when asked
/// (`close please`), and reports the closes it gets (`close <code>
/// <reason>`) and connections lost without one (`error …`).
struct Origin {
    addr: String,
    events: mpsc::Receiver<String>,
}

impl Origin {
    fn start() -> Origin {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (tx, events) = mpsc::channel();
        // The origin's thread lives as long as the test process.
        std::thread::spawn(move || {
            runtime().block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(origin_socket(stream, tx.clone()));
                }
            });
        });
        Origin { addr, events }
    }

    /// The origin's next report.
    fn next(&self) -> String {
        self.events
            .recv_timeout(PATIENCE)
            .expect("the origin reports in time")
    }
}

async fn origin_socket(stream: TcpStream, events: mpsc::Sender<String>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    while let Some(message) = ws.next().await {
        match message {
            Ok(Message::Text(t)) if t.as_str() == "close please" => {
                let bye = CloseFrame {
                    code: CloseCode::from(4003),
                    reason: "origin says bye".into(),
                };
                let _ = ws.close(Some(bye)).await;
            }
            Ok(Message::Text(t)) => {
                let _ = ws.send(Message::text(format!("echo {}", t.as_str()))).await;
            }
            Ok(Message::Binary(b)) => {
                let _ = ws.send(Message::Binary(b)).await;
            }
            Ok(Message::Close(frame)) => {
                let (code, reason) = frame.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.as_str().to_owned())
                });
                let _ = events.send(format!("close {code} {reason}"));
            }
            Ok(_) => {}
            Err(e) => {
                let _ = events.send(format!("error {e}"));
                return;
            }
        }
    }
}

/// Serves the proxy fixture (host `proxy.test`) with `server` settings and
/// the Worker's `limits`, loopback origins allowed.
fn serve(engine: &str, server: &str, limits: &str) -> (TempConfig, tempfile::TempDir, Server) {
    let config = TempConfig::new(&[
        (
            "motu.toml",
            &format!(
                "[server]\n{server}\n[egress]\nallow_private = true\n\
                 [[workers]]\nname = \"proxy\"\nmain = \"proxy.js\"\nroutes = [\"proxy.test/*\"]\n\
                 [workers.limits]\n{limits}\n\
                 [[workers.durable_objects.bindings]]\nname = \"RELAY\"\nclass_name = \"Relay\"\n\
                 [[workers.migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Relay\"]\n"
            ),
        ),
        (
            "proxy.js",
            &std::fs::read_to_string(common::fixture("websocket_proxy.js")).unwrap(),
        ),
    ]);
    let state = tempfile::tempdir().unwrap();
    let server = Server::start(&[
        "--config",
        &config.path("motu.toml"),
        "--engine",
        engine,
        "--persist-to",
        state.path().join("state").to_str().unwrap(),
    ]);
    (config, state, server)
}

/// Opens a WebSocket to `path` on host `proxy.test`, toward `origin`.
async fn connect(s: &Server, path: &str, origin: &Origin) -> Result<Socket, WsError> {
    let mut request = format!("ws://{}{path}?to={}", s.addr, origin.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("host", "proxy.test".parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// The close frame's code and reason.
fn close_of(m: &Message) -> (u16, String) {
    match m {
        Message::Close(Some(f)) => (u16::from(f.code), f.reason.as_str().to_owned()),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// Through `path`: a text and a binary message echoed, then a close from
/// the client reaching the origin with its code and reason (and the
/// origin's answer the client), then a close from the origin reaching the
/// client (and the client's answer the origin).
async fn echo_and_closes(s: &Server, path: &str, origin: &Origin) {
    let mut ws = connect(s, path, origin)
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}\n{}", s.log()));
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("echo hello"));
    let bytes = vec![0u8, 1, 2, 255, 128];
    ws.send(Message::binary(bytes.clone())).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::binary(bytes));
    ws.close(Some(CloseFrame {
        code: CloseCode::from(4001),
        reason: "client done".into(),
    }))
    .await
    .unwrap();
    assert_eq!(origin.next(), "close 4001 client done");
    assert_eq!(close_of(&next(&mut ws).await), (4001, "client done".into()));

    let mut ws = connect(s, path, origin).await.unwrap();
    ws.send(Message::text("close please")).await.unwrap();
    assert_eq!(
        close_of(&next(&mut ws).await),
        (4003, "origin says bye".into())
    );
    // The client's answer (its echo of the code) goes back to the origin.
    let end = tokio::time::timeout(PATIENCE, ws.next()).await.unwrap();
    assert!(
        matches!(end, None | Some(Err(WsError::ConnectionClosed))),
        "{end:?}"
    );
    assert_eq!(origin.next(), "close 4003 origin says bye");
}

#[test]
fn a_passed_through_upgrade_joins_the_client_to_the_origin() {
    on_each_engine("ws_proxy_pass_through", |engine| {
        let origin = Origin::start();
        let (_c, _state, s) = serve(engine, "", "cpu_ms = 1000");
        runtime().block_on(echo_and_closes(&s, "/pass", &origin));
    });
}

#[test]
fn a_fetched_socket_in_a_new_response_joins_the_client_to_the_origin() {
    on_each_engine("ws_proxy_rewrapped", |engine| {
        let origin = Origin::start();
        let (_c, _state, s) = serve(engine, "", "cpu_ms = 1000");
        runtime().block_on(echo_and_closes(&s, "/rewrap", &origin));
    });
}

#[test]
fn a_durable_objects_outbound_socket_reaches_the_client_through_stub_fetch() {
    on_each_engine("ws_proxy_durable_object", |engine| {
        let origin = Origin::start();
        let (_c, _state, s) = serve(engine, "", "cpu_ms = 1000");
        runtime().block_on(echo_and_closes(&s, "/object", &origin));
    });
}

#[test]
fn a_message_over_1_mib_closes_its_sender_with_1009_and_drops_the_other_side() {
    on_each_engine("ws_proxy_message_limit", |engine| {
        let origin = Origin::start();
        let (_c, _state, s) = serve(engine, "", "cpu_ms = 1000");
        runtime().block_on(async {
            let mut ws = connect(&s, "/rewrap", &origin).await.unwrap();
            // Exactly 1 MiB passes.
            let limit = vec![7u8; 1 << 20];
            ws.send(Message::binary(limit.clone())).await.unwrap();
            assert_eq!(next(&mut ws).await, Message::binary(limit));
            ws.send(Message::binary(vec![7u8; (1 << 20) + 1]))
                .await
                .unwrap();
            assert_eq!(
                close_of(&next(&mut ws).await),
                (1009, "Message is too large".into())
            );
            // The origin's connection ends without a close frame.
            assert!(origin.next().starts_with("error"));
        });
    });
}

#[test]
fn a_proxied_socket_outlives_its_workers_isolate() {
    // The join holds nothing of the isolate (as workerd's deferred proxy
    // outlives its request's IoContext): a CPU-limit eviction, which
    // closes the isolate's own sockets with 1011, leaves it open.
    on_each_engine("ws_proxy_outlives_eviction", |engine| {
        let origin = Origin::start();
        let (_c, _state, s) = serve(engine, "", "cpu_ms = 300");
        runtime().block_on(async {
            let mut ws = connect(&s, "/rewrap", &origin).await.unwrap();
            ws.send(Message::text("before")).await.unwrap();
            assert_eq!(next(&mut ws).await, Message::text("echo before"));
            let spun = s.request("GET", "/spin", &[("host", "proxy.test")], b"");
            assert_ne!(spun.status, 200);
            let evicted = "reason=\"CpuLimit\"";
            let log = s.wait_for_log(evicted);
            assert!(log.contains(evicted), "{log}");
            ws.send(Message::text("after")).await.unwrap();
            assert_eq!(next(&mut ws).await, Message::text("echo after"));
            ws.close(Some(CloseFrame {
                code: CloseCode::from(4001),
                reason: "client done".into(),
            }))
            .await
            .unwrap();
            assert_eq!(origin.next(), "close 4001 client done");
        });
    });
}

#[test]
fn shutdown_closes_both_sides_of_a_proxied_socket_with_1001() {
    on_each_engine("ws_proxy_shutdown", |engine| {
        let origin = Origin::start();
        let (_c, _state, mut s) = serve(engine, "grace_period_s = 1", "cpu_ms = 1000");
        runtime().block_on(async {
            let mut ws = connect(&s, "/pass", &origin).await.unwrap();
            ws.send(Message::text("before")).await.unwrap();
            assert_eq!(next(&mut ws).await, Message::text("echo before"));
            s.signal("TERM");
            // Within the grace period the socket still works.
            ws.send(Message::text("still here")).await.unwrap();
            assert_eq!(next(&mut ws).await, Message::text("echo still here"));
            let closed = close_of(&next(&mut ws).await);
            assert_eq!(closed, (1001, "The server is shutting down".into()));
        });
        let seen = origin.next();
        let exit = s.wait_exit(PATIENCE);
        assert_eq!(
            seen,
            "close 1001 The server is shutting down",
            "{}",
            s.log()
        );
        assert_eq!(exit, Some(0));
    });
}

#[test]
fn an_accepted_outbound_socket_cannot_be_returned() {
    on_each_engine("ws_proxy_accepted_socket", |engine| {
        let origin = Origin::start();
        let (_c, _state, s) = serve(engine, "", "cpu_ms = 1000");
        runtime().block_on(async {
            match connect(&s, "/accepted", &origin).await {
                Err(WsError::Http(response)) => assert_eq!(response.status(), 500),
                other => panic!("expected a 500, got {:?}", other.map(|_| "a socket")),
            }
        });
        let error = "Can't return WebSocket in a Response after calling accept().";
        let log = s.wait_for_log(error);
        assert!(log.contains(error), "{log}");
    });
}
