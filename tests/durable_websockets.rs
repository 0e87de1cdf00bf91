//! WebSockets in Durable Objects over the real server, with a real
//! WebSocket client, on every engine: the fixture project
//! `tests/projects/durable-websockets` is a chat room (`/room/<name>` goes
//! to the ChatRoom object `<name>` through `stub.fetch`, see its
//! `src/index.js`) whose sockets hibernate. Tested: the 101 answer of an
//! object reaching the client through the Worker, broadcast to several
//! sockets and tags, a Worker accepting an object's socket itself, the
//! object leaving memory while its sockets stay open, a message waking it
//! with attachments and tags intact, the auto-response answered without
//! waking it, the close and error handlers, and a shutdown (1001).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::durable::serve_project;
use common::ws::{next, runtime, Socket, PATIENCE};
use common::{metrics, wait_for_metrics};
use common::{on_each_engine, Server};
use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

fn serve(engine: &str, state: &Path, extra: &[&str]) -> Server {
    serve_project("durable-websockets", "wrangler.jsonc", engine, state, extra)
}

/// [`serve`] with an admin listener, for tests that read the metrics.
fn serve_with_metrics(engine: &str, state: &Path) -> Server {
    serve(engine, state, &["--admin-listen", "127.0.0.1:0"])
}

/// Joins room `room` as `name` (`name&plain` for a socket that does not
/// hibernate), and reads the welcome.
async fn join(s: &Server, room: &str, name: &str) -> Socket {
    let request = format!("ws://{}/room/{room}?name={name}", s.addr)
        .into_client_request()
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .unwrap_or_else(|e| panic!("{name} could not join {room}: {e}\n{}", s.log()));
    let name = name.trim_end_matches("&plain");
    assert_eq!(next_text(&mut ws).await, format!("welcome {name}"));
    ws
}

async fn next_text(ws: &mut Socket) -> String {
    match next(ws).await {
        Message::Text(t) => t.as_str().to_owned(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

async fn say(ws: &mut Socket, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// What the object answers `text` with, as JSON.
async fn ask(ws: &mut Socket, text: &str) -> Value {
    say(ws, text).await;
    serde_json::from_str(&next_text(ws).await).unwrap()
}

/// Waits until room `room`'s storage has `key`; its value.
fn wait_for_state(server: &Server, room: &str, key: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let state = server.get(&format!("/room/{room}/state")).json();
        if let Some(value) = state.get(key) {
            return value.clone();
        }
        assert!(
            Instant::now() < deadline,
            "room {room} never stored {key}: {state}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn web_socket_message_gets_array_buffers_whatever_the_binary_type() {
    // From the compatibility date 2026-03-17 a WebSocket's binaryType
    // starts as "blob", but `webSocketMessage` still gets ArrayBuffers, as
    // on Cloudflare.
    on_each_engine("do_ws_message_array_buffer", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve_project(
            "durable-websockets",
            "wrangler-blob.jsonc",
            engine,
            &dir.path().join("state"),
            &[],
        );
        runtime().block_on(async {
            let mut dora = join(&s, "blobs", "dora").await;
            dora.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
            assert_eq!(next_text(&mut dora).await, "binary ArrayBuffer 3");
        });
    });
}

#[test]
fn a_chat_room_broadcasts_to_all_its_sockets() {
    on_each_engine("do_ws_chat_room_broadcast", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve(engine, &dir.path().join("state"), &[]);
        runtime().block_on(async {
            let mut alice = join(&s, "lobby", "alice").await;
            let mut bob = join(&s, "lobby", "bob").await;
            let mut carol = join(&s, "lobby", "carol").await;
            say(&mut alice, "hello").await;
            for ws in [&mut alice, &mut bob, &mut carol] {
                assert_eq!(next_text(ws).await, "alice: hello");
            }
            // A message to one tag reaches its sockets only: carol's next
            // message is the broadcast after it.
            say(&mut alice, "to:bob:psst").await;
            assert_eq!(next_text(&mut bob).await, "alice (to you): psst");
            say(&mut bob, "hi all").await;
            for ws in [&mut alice, &mut bob, &mut carol] {
                assert_eq!(next_text(ws).await, "bob: hi all");
            }
            let stats = ask(&mut carol, "stats").await;
            assert_eq!(stats["sockets"], 3, "{stats}");
            assert_eq!(stats["all"], 3, "{stats}");
            // Binary messages arrive as ArrayBuffers.
            carol.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
            assert_eq!(next_text(&mut carol).await, "binary ArrayBuffer 3");
            // A socket that leaves: the others hear of it, the handler
            // saw the close.
            carol
                .send(Message::Close(Some(CloseFrame {
                    code: CloseCode::Normal,
                    reason: "done".into(),
                })))
                .await
                .unwrap();
            assert_eq!(next_text(&mut alice).await, "carol left (1000)");
            assert_eq!(next_text(&mut bob).await, "carol left (1000)");
            let closed = wait_for_state(&s, "lobby", "closed:carol");
            assert_eq!(
                closed,
                json!({ "code": 1000, "reason": "done", "wasClean": true })
            );
            assert_eq!(ask(&mut alice, "stats").await["sockets"], 2);
            // The object closes a socket itself.
            say(&mut bob, "close").await;
            match next(&mut bob).await {
                Message::Close(Some(f)) => {
                    assert_eq!(u16::from(f.code), 4000);
                    assert_eq!(f.reason.as_str(), "bye");
                }
                other => panic!("expected the object's close, got {other:?}"),
            }
        });
        // Another room is another object.
        runtime().block_on(async {
            let mut dave = join(&s, "other", "dave").await;
            assert_eq!(ask(&mut dave, "stats").await["sockets"], 1);
        });
    });
}

#[test]
fn a_worker_can_accept_an_objects_socket_itself() {
    on_each_engine("do_ws_worker_accepts_object_socket", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve(engine, &dir.path().join("state"), &[]);
        let r = s.get("/proxy/side");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        let body = r.json();
        assert_eq!(body["status"], 101, "{body}");
        assert_eq!(body["replies"][0], "welcome proxy", "{body}");
        let whoami: Value = serde_json::from_str(body["replies"][1].as_str().unwrap()).unwrap();
        assert_eq!(whoami["name"], "proxy");
        assert_eq!(whoami["tags"], json!(["user:proxy", "all"]));
    });
}

#[test]
fn hibernated_sockets_outlive_their_object_and_wake_it() {
    on_each_engine("do_ws_hibernation", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve_with_metrics(engine, &dir.path().join("state"));
        runtime().block_on(async {
            let mut alice = join(&s, "sleepy", "alice").await;
            let mut bob = join(&s, "sleepy", "bob").await;
            let me = ask(&mut alice, "whoami").await;
            assert_eq!(me["instances"], 1, "{me}");
            // Idle for a second, the object leaves memory; its sockets
            // stay open.
            wait_for_metrics(
                &s,
                &[
                    r#"motu_durable_objects_live{worker="chat"} 0"#,
                    r#"motu_durable_object_evictions_total{reason="idle",worker="chat"} 1"#,
                    r#"motu_durable_object_websockets{worker="chat"} 2"#,
                ],
            );
            // The auto-response is answered without the object.
            say(&mut alice, "ping").await;
            assert_eq!(next_text(&mut alice).await, "pong");
            let text = metrics(&s);
            for line in [
                r#"motu_durable_objects_live{worker="chat"} 0"#,
                r#"motu_durable_object_starts_total{worker="chat"} 1"#,
            ] {
                assert!(
                    text.lines().any(|l| l == line),
                    "the auto-response woke the object:\n{text}"
                );
            }
            // A message wakes it: made again (storage intact), with the
            // socket's attachment and tags.
            let me = ask(&mut alice, "whoami").await;
            assert_eq!(
                me,
                json!({ "name": "alice", "tags": ["user:alice", "all"], "instances": 2 })
            );
            let stats = ask(&mut alice, "stats").await;
            assert_eq!(stats["sockets"], 2, "{stats}");
            assert_eq!(stats["auto"], json!(["ping", "pong"]), "{stats}");
            assert!(stats["autoAt"].as_f64().unwrap() > 0.0, "{stats}");
            // The other socket is the woken object's too.
            say(&mut bob, "still here").await;
            assert_eq!(next_text(&mut alice).await, "bob: still here");
            assert_eq!(next_text(&mut bob).await, "bob: still here");
            assert_eq!(
                wait_for_state(&s, "sleepy", "last"),
                json!("bob: still here")
            );
        });
    });
}

#[test]
fn a_socket_closed_on_an_error_calls_web_socket_error_then_close() {
    on_each_engine("do_ws_error_handler", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve(engine, &dir.path().join("state"), &[]);
        runtime().block_on(async {
            let mut erin = join(&s, "errors", "erin").await;
            // Over Cloudflare's 1 MiB: closed with 1009.
            let _ = erin.send(Message::binary(vec![0u8; 2 << 20])).await;
            match next(&mut erin).await {
                Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1009),
                other => panic!("expected a close (1009), got {other:?}"),
            }
        });
        let error = wait_for_state(&s, "errors", "error:erin");
        assert!(error.as_str().unwrap().contains("too large"), "{error}");
        let closed = wait_for_state(&s, "errors", "closed:erin");
        assert_eq!(closed["code"], 1009);
        assert_eq!(closed["wasClean"], false);
    });
}

#[test]
fn shutdown_closes_hibernated_sockets_with_1001() {
    on_each_engine("do_ws_shutdown_1001", |engine| {
        // The project in a motu.toml, for the server's grace period.
        let code = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/projects/durable-websockets/src/index.js"),
        )
        .unwrap();
        let config = common::TempConfig::new(&[
            (
                "motu.toml",
                "[server]\ngrace_period_s = 1\n\n[[workers]]\nname = \"chat\"\nmain = \"index.js\"\n\
                 [[workers.durable_objects.bindings]]\nname = \"ROOMS\"\nclass_name = \"ChatRoom\"\n\
                 [[workers.migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"ChatRoom\"]\n",
            ),
            ("index.js", &code),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let mut s = Server::start(&[
            "--config",
            &config.path("motu.toml"),
            "--engine",
            engine,
            "--persist-to",
            state.to_str().unwrap(),
        ]);
        runtime().block_on(async {
            let mut frank = join(&s, "shutdown", "frank").await;
            s.signal("TERM");
            let closed = next(&mut frank).await;
            match closed {
                Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1001),
                other => panic!("expected a close (1001), got {other:?}"),
            }
        });
        assert_eq!(s.wait_exit(PATIENCE), Some(0));
    });
}

/// The count of the output gate's flushes of the chat Worker's objects.
fn flushes(server: &Server) -> u64 {
    metrics(server)
        .lines()
        .find_map(|l| l.strip_prefix("motu_durable_object_flush_seconds_count{worker=\"chat\"} "))
        .map_or(0, |n| n.parse().unwrap())
}

/// Sends `gate:1` to `gate:3` (each a put, then an answer) and checks that
/// each answer came after a flush: the metric is observed when the flush
/// is done, so it shows before the message it held back.
async fn three_gated_messages(s: &Server, ws: &mut Socket) {
    for n in 1..=3 {
        let before = flushes(s);
        say(ws, &format!("gate:{n}")).await;
        assert_eq!(next_text(ws).await, format!("gated {n}"));
        assert!(
            flushes(s) > before,
            "message {n} left before its write was durable"
        );
    }
}

#[test]
fn a_message_sent_after_a_put_waits_for_the_flush() {
    on_each_engine("do_ws_send_waits_for_flush", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve_with_metrics(engine, &dir.path().join("state"));
        runtime().block_on(async {
            let mut ws = join(&s, "gated", "gus").await;
            three_gated_messages(&s, &mut ws).await;
        });
        assert_eq!(s.get("/room/gated/state").json()["gated"], "3");
    });
}

#[test]
fn an_objects_own_socket_sends_and_closes_after_its_writes_are_durable() {
    on_each_engine("do_ws_plain_socket_output_gate", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve_with_metrics(engine, &dir.path().join("state"));
        runtime().block_on(async {
            // A socket the object accepted itself (not hibernatable).
            let mut ws = join(&s, "plaingate", "pat&plain").await;
            three_gated_messages(&s, &mut ws).await;
            let before = flushes(&s);
            say(&mut ws, "close:4").await;
            match next(&mut ws).await {
                Message::Close(Some(f)) => {
                    assert_eq!((u16::from(f.code), f.reason.as_str()), (4001, "closed 4"))
                }
                other => panic!("expected a close (4001), got {other:?}"),
            }
            assert!(
                flushes(&s) > before,
                "the close left before its write was durable"
            );
        });
        let state = s.get("/room/plaingate/state").json();
        assert_eq!(
            (&state["plainGated"], &state["plainClosed"]),
            (&json!("3"), &json!("4"))
        );
    });
}

#[test]
fn an_event_timeout_ends_a_handler_that_never_settles() {
    on_each_engine("do_ws_event_timeout", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve_with_metrics(engine, &dir.path().join("state"));
        runtime().block_on(async {
            let mut ws = join(&s, "slow", "sam").await;
            // Unset at first; out of range is a RangeError; 0 unsets.
            assert_eq!(ask(&mut ws, "timeout:").await["timeout"], Value::Null);
            let big = ask(&mut ws, "timeout:604800001").await;
            assert_eq!(big["error"], "RangeError");
            assert_eq!(big["timeout"], Value::Null);
            assert_eq!(ask(&mut ws, "timeout:5000").await["timeout"], 5000);
            assert_eq!(ask(&mut ws, "timeout:0").await["timeout"], Value::Null);
            assert_eq!(ask(&mut ws, "timeout:300").await["timeout"], 300);
            // A handler that never settles keeps its event, and so its
            // object, in memory until the timeout fails the event; then
            // the idle object leaves memory and a message makes it again.
            say(&mut ws, "hang").await;
            wait_for_metrics(
                &s,
                &[
                    r#"motu_durable_objects_live{worker="chat"} 0"#,
                    r#"motu_durable_object_evictions_total{reason="idle",worker="chat"} 1"#,
                ],
            );
            let who = ask(&mut ws, "whoami").await;
            assert_eq!(who["name"], "sam");
            assert_eq!(who["instances"], 2, "{who}");
        });
        let log = s.log();
        assert!(
            log.contains("ran past its timeout of 300 ms"),
            "the timed-out event is logged:\n{log}"
        );
    });
}

#[test]
fn a_socket_that_does_not_hibernate_keeps_its_object_in_memory() {
    on_each_engine("do_ws_plain_socket_keeps_object", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve_with_metrics(engine, &dir.path().join("state"));
        runtime().block_on(async {
            let mut plain = join(&s, "awake", "paul&plain").await;
            let mut hibernating = join(&s, "asleep", "hana").await;
            // One object left memory: the hibernating one (its next
            // message makes it again), not the one holding a plain socket
            // (made once, its storage says).
            wait_for_metrics(
                &s,
                &[
                    r#"motu_durable_objects_live{worker="chat"} 1"#,
                    r#"motu_durable_object_evictions_total{reason="idle",worker="chat"} 1"#,
                ],
            );
            assert_eq!(ask(&mut hibernating, "whoami").await["instances"], 2);
            say(&mut plain, "hi").await;
            assert_eq!(next_text(&mut plain).await, "echo hi 1");
        });
        assert_eq!(s.get("/room/awake/state").json()["instances"], 1);
    });
}

#[test]
fn hibernated_sockets_outlive_their_objects_isolate() {
    on_each_engine("do_ws_survive_isolate_eviction", |engine| {
        let dir = tempfile::tempdir().unwrap();
        let s = serve_with_metrics(engine, &dir.path().join("state"));
        runtime().block_on(async {
            let mut gina = join(&s, "looping", "gina").await;
            assert_eq!(ask(&mut gina, "whoami").await["instances"], 1);
            // The handler loops: its isolate is evicted for the CPU limit,
            // and the object with it; the socket stays open.
            say(&mut gina, "loop").await;
            wait_for_metrics(
                &s,
                &[r#"motu_durable_object_evictions_total{reason="isolate",worker="chat"} 1"#],
            );
            let me = ask(&mut gina, "whoami").await;
            assert_eq!(me["name"], "gina");
            assert_eq!(me["instances"], 2, "{me}");
        });
    });
}
