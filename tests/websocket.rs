//! WebSockets over the real server, with a real WebSocket client, on every
//! engine: upgrades answered with a WebSocketPair's end, echo of text and
//! binary messages, the close handshake both ways, the 1 MiB message limit
//! (1009), eviction of a Worker looping in a message handler (1011) while a
//! neighbour serves, open sockets keeping their isolate, the Worker's own
//! outbound sockets under the egress policy, and shutdown (1001).

mod common;

use std::time::{Duration, Instant};

use common::ws::{next, runtime, Socket, PATIENCE};
use common::{on_each_engine, Server, TempConfig};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::MaybeTlsStream;

/// Serves the WebSocket fixture as Worker `ws` (host `ws.test`) beside a
/// `neighbour` (host `other.test`), with `extra` config.
fn serve(engine: &str, limits: &str, extra: &str) -> (TempConfig, Server) {
    let config = TempConfig::new(&[
        (
            "motu.toml",
            &format!(
                "{extra}\n[[workers]]\nname = \"ws\"\nmain = \"websocket.js\"\nroutes = [\"ws.test/*\"]\n{limits}\n\
                 [[workers]]\nname = \"neighbour\"\nmain = \"neighbour.js\"\nroutes = [\"other.test/*\"]\n{limits}\n"
            ),
        ),
        (
            "websocket.js",
            &std::fs::read_to_string(common::fixture("websocket.js")).unwrap(),
        ),
        (
            "neighbour.js",
            "export default { fetch() { return new Response('neighbour'); } };\n",
        ),
    ]);
    let path = config.path("motu.toml");
    let server = Server::start(&["--config", &path, "--engine", engine]);
    (config, server)
}

/// Opens a WebSocket to `path` on host `ws.test`.
async fn connect(s: &Server, path: &str) -> Result<Socket, WsError> {
    let mut request = format!("ws://{}{path}", s.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("host", "ws.test".parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// Opens a WebSocket to `path` on host `ws.test` whose client takes little
/// at a time (a receive buffer of a few KiB): the server's writes soon find
/// the connection full.
async fn connect_narrow(s: &Server, path: &str) -> Socket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(s.addr.parse().unwrap()).await.unwrap();
    let mut request = format!("ws://{}{path}", s.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("host", "ws.test".parse().unwrap());
    tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .unwrap()
        .0
}

/// `sockets` sockets to `path`, each welcomed, then `messages` messages
/// `s{socket} m{message}` sent on each before any answer is read: they wait
/// for the isolate together (and are delivered in one visit).
async fn waiting_messages(s: &Server, path: &str, sockets: usize, messages: usize) -> Vec<Socket> {
    let mut open = Vec::new();
    for _ in 0..sockets {
        let mut ws = connect(s, path).await.unwrap();
        assert!(text(&next(&mut ws).await).starts_with("welcome"));
        open.push(ws);
    }
    for (i, ws) in open.iter_mut().enumerate() {
        for m in 0..messages {
            ws.feed(Message::text(format!("s{i} m{m}"))).await.unwrap();
        }
    }
    for ws in &mut open {
        ws.flush().await.unwrap();
    }
    open
}

fn text(m: &Message) -> &str {
    match m {
        Message::Text(t) => t.as_str(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

/// The close frame's code and reason.
fn close_of(m: &Message) -> (u16, String) {
    match m {
        Message::Close(Some(f)) => (u16::from(f.code), f.reason.as_str().to_owned()),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// `GET path` on `host` until `done` holds for its body.
fn wait_for_body(s: &Server, host: &str, path: &str, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let body = s.request("GET", path, &[("host", host)], b"").text();
        if done(&body) || start.elapsed() > PATIENCE {
            return body;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn binary_messages_arrive_as_the_binary_type_says() {
    // `binaryType` starts as "blob" from the compatibility date 2026-03-17
    // (`websocket_standard_binary_type`), as "arraybuffer" before; setting
    // it changes how the next binary message arrives, and a value that is
    // neither is ignored.
    on_each_engine("websocket_binary_type", |engine| {
        for (date, starts) in [("2026-03-16", "arraybuffer"), ("2026-03-17", "blob")] {
            let (_c, s) = serve(engine, &format!("compatibility_date = \"{date}\"\n"), "");
            runtime().block_on(async {
                let mut ws = connect(&s, "/binary-type").await.unwrap();
                assert_eq!(text(&next(&mut ws).await), format!("starts {starts}"));
                assert_eq!(text(&next(&mut ws).await), "welcome 1 1 3 1 2");
                let first = if starts == "blob" {
                    "Blob"
                } else {
                    "ArrayBuffer"
                };
                let steps = [
                    (None, format!("{first} 0,1,255")),
                    (Some("blob"), "now blob".to_owned()),
                    (None, "Blob 0,1,255".to_owned()),
                    (Some("bogus"), "now blob".to_owned()),
                    (Some("arraybuffer"), "now arraybuffer".to_owned()),
                    (None, "ArrayBuffer 0,1,255".to_owned()),
                ];
                for (set, expected) in steps {
                    let message = match set {
                        Some(t) => Message::text(t),
                        None => Message::binary(vec![0u8, 1, 255]),
                    };
                    ws.send(message).await.unwrap();
                    assert_eq!(text(&next(&mut ws).await), expected, "{date}");
                }
            });
        }
    });
}

#[test]
fn echo_of_text_and_binary_messages() {
    on_each_engine("echo_of_text_and_binary_messages", |engine| {
        let (_c, s) = serve(engine, "", "");
        runtime().block_on(async {
            let mut ws = connect(&s, "/echo").await.unwrap();
            // Sent before the Worker's response, with readyState and the
            // constants as the Worker saw them.
            assert_eq!(text(&next(&mut ws).await), "welcome 1 1 3 1 2");
            ws.send(Message::text("hello")).await.unwrap();
            assert_eq!(text(&next(&mut ws).await), "hello");
            let bytes = vec![0u8, 1, 2, 255, 128];
            ws.send(Message::binary(bytes.clone())).await.unwrap();
            match next(&mut ws).await {
                Message::Binary(b) => assert_eq!(b.as_ref(), bytes.as_slice()),
                other => panic!("expected binary, got {other:?}"),
            }
            // Many messages in a row arrive in order.
            for i in 0..50 {
                ws.send(Message::text(format!("m{i}"))).await.unwrap();
            }
            for i in 0..50 {
                assert_eq!(text(&next(&mut ws).await), format!("m{i}"));
            }
        });
        // An upgrade request the Worker answers otherwise gets that answer.
        runtime().block_on(async {
            match connect(&s, "/refuse").await {
                Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
                Err(other) => panic!("expected the Worker's 403, got {other}"),
                Ok(_) => panic!("expected the Worker's 403, got a socket"),
            }
        });
        // A plain request to the same Worker is a plain request.
        let plain = s.request("GET", "/echo", &[("host", "ws.test")], b"");
        assert_eq!(plain.text(), "plain");
    });
}

#[test]
fn listeners_added_and_removed_during_a_message_dispatch() {
    on_each_engine(
        "listeners_added_and_removed_during_a_message_dispatch",
        |engine| {
            let (_c, s) = serve(engine, "", "");
            runtime().block_on(async {
                let mut ws = connect(&s, "/dispatch").await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "welcome 1 1 3 1 2");
                let props = "true message true true 2 true false false";
                // Each step: what the client sends, and every answer in order
                // (an answer too many shows as the next step's first).
                let steps: &[(Message, &[String])] = &[
                    // A lone listener adds a second one: not called for this
                    // message, called for the next.
                    (Message::text("a"), &[format!("first a {props} string")]),
                    (
                        Message::text("b"),
                        &[format!("first b {props} string"), "second b".into()],
                    ),
                    // The first removes the second before it ran.
                    (Message::text("c"), &[format!("first c {props} string")]),
                    // A capturing listener added during the dispatch waits for
                    // the next message, and runs before the others.
                    (Message::text("d"), &[format!("first d {props} string")]),
                    (
                        Message::text("e"),
                        &["capture e".into(), format!("first e {props} string")],
                    ),
                    (
                        Message::binary(vec![1u8, 2, 3]),
                        &[
                            "capture bytes".into(),
                            format!("first bytes {props} ArrayBuffer"),
                        ],
                    ),
                    (
                        Message::text("end"),
                        &["capture end".into(), "end 0 null true".into()],
                    ),
                    // stopImmediatePropagation, and the capturing listener is
                    // left alone.
                    (Message::text("f"), &["capture f".into()]),
                    // A lone capturing listener adds another listener: that
                    // one runs in the same dispatch (its pass had not begun).
                    (Message::text("g"), &["capture g".into(), "later g".into()]),
                    (Message::text("h"), &["capture h".into(), "later h".into()]),
                ];
                for (message, answers) in steps {
                    ws.send(message.clone()).await.unwrap();
                    for answer in answers.iter() {
                        assert_eq!(text(&next(&mut ws).await), answer, "after {message:?}");
                    }
                }
                ws.close(None).await.unwrap();
            });
        },
    );
}

/// Opens a socket to `path`, reads the welcome, closes it from the client
/// (4001, "client done") and returns the server's answer.
async fn client_closes(s: &Server, path: &str) -> Message {
    let mut ws = connect(s, path).await.unwrap();
    assert!(text(&next(&mut ws).await).starts_with("welcome"));
    ws.close(Some(CloseFrame {
        code: CloseCode::from(4001),
        reason: "client done".into(),
    }))
    .await
    .unwrap();
    next(&mut ws).await
}

#[test]
fn close_handshake_both_ways_with_code_and_reason() {
    on_each_engine("close_handshake_both_ways_with_code_and_reason", |engine| {
        let (_c, s) = serve(engine, "", "");
        runtime().block_on(async {
            // The client closes: the Worker's close event has its code and
            // reason, and the server answers the close frame.
            let answer = client_closes(&s, "/closing").await;
            assert_eq!(close_of(&answer).0, 4001);
        });
        let seen = wait_for_body(&s, "ws.test", "/last-close", |b| !b.is_empty());
        assert_eq!(seen, "4001 client done true true");
        runtime().block_on(async {
            // The Worker closes: the client gets its code and reason.
            let mut ws = connect(&s, "/closing").await.unwrap();
            assert!(text(&next(&mut ws).await).starts_with("welcome"));
            ws.send(Message::text("bye")).await.unwrap();
            let closed = next(&mut ws).await;
            assert_eq!(close_of(&closed), (4000, "server says bye".to_owned()));
            // The client's answer completes the handshake; the stream ends.
            let end = tokio::time::timeout(PATIENCE, ws.next()).await.unwrap();
            assert!(
                matches!(end, None | Some(Err(WsError::ConnectionClosed))),
                "{end:?}"
            );
        });
        // The Worker's close event came with the client's answer.
        let seen = wait_for_body(&s, "ws.test", "/last-close", |b| b.starts_with("4000"));
        assert_eq!(seen, "4000 server says bye true true");
    });
}

#[test]
fn a_half_open_socket_answers_the_peers_close_with_its_own() {
    // accept({ allowHalfOpen: true }): the client's close is not answered
    // at once; the Worker sees readyState CLOSING in its close event, and
    // its own close() (code 4002) is the answer the client gets, not an
    // echo of the client's code.
    on_each_engine("a_half_open_socket_answers_the_peers_close", |engine| {
        let (_c, s) = serve(engine, "", "");
        runtime().block_on(async {
            let answer = client_closes(&s, "/half-open").await;
            assert_eq!(close_of(&answer), (4002, "answered later".to_owned()));
        });
        let seen = wait_for_body(&s, "ws.test", "/last-close", |b| b.ends_with(" 3"));
        assert_eq!(seen, "4001 client done 2 3");
    });
}

#[test]
fn a_message_over_1_mib_closes_the_socket_with_1009() {
    on_each_engine(
        "a_message_over_1_mib_closes_the_socket_with_1009",
        |engine| {
            let (_c, s) = serve(engine, "", "");
            runtime().block_on(async {
                let mut ws = connect(&s, "/echo").await.unwrap();
                next(&mut ws).await;
                // Exactly 1 MiB is allowed.
                let limit = vec![7u8; 1 << 20];
                ws.send(Message::binary(limit.clone())).await.unwrap();
                match next(&mut ws).await {
                    Message::Binary(b) => assert_eq!(b.len(), limit.len()),
                    other => panic!("expected the 1 MiB echo, got {other:?}"),
                }
                ws.send(Message::text("x".repeat((1 << 20) + 1)))
                    .await
                    .unwrap();
                let closed = next(&mut ws).await;
                assert_eq!(close_of(&closed), (1009, "Message is too large".to_owned()));
                // The limit is the whole message's: fragments under it each
                // (512 KiB) make a message of exactly 1 MiB, echoed whole,
                // then one over it, which closes the socket.
                let mut ws = connect(&s, "/echo").await.unwrap();
                next(&mut ws).await;
                let half = vec![7u8; 1 << 19];
                ws.send(fragment(&half, Data::Binary, false)).await.unwrap();
                ws.send(fragment(&[9u8; 1 << 19], Data::Continue, true))
                    .await
                    .unwrap();
                match next(&mut ws).await {
                    Message::Binary(b) => {
                        assert_eq!(b.len(), 1 << 20);
                        assert_eq!((b[0], b[(1 << 20) - 1]), (7, 9));
                    }
                    other => panic!("expected the 1 MiB echo, got {:?}", other.len()),
                }
                ws.send(fragment(&half, Data::Binary, false)).await.unwrap();
                ws.send(fragment(&half, Data::Continue, false))
                    .await
                    .unwrap();
                ws.send(fragment(&[1], Data::Continue, true)).await.unwrap();
                let closed = next(&mut ws).await;
                assert_eq!(close_of(&closed), (1009, "Message is too large".to_owned()));
            });
        },
    );
}

/// One frame of a fragmented message (the client masks it).
fn fragment(payload: &[u8], opcode: Data, is_final: bool) -> Message {
    Message::Frame(Frame::message(
        payload.to_vec(),
        OpCode::Data(opcode),
        is_final,
    ))
}

#[test]
fn a_client_that_stops_reading_fills_a_bounded_queue_and_is_dropped() {
    on_each_engine(
        "a_client_that_stops_reading_fills_a_bounded_queue_and_is_dropped",
        |engine| {
            let (_c, s) = serve(engine, "[workers.limits]\ncpu_ms = 10000\n", "");
            runtime().block_on(async {
                let mut ws = connect(&s, "/flood").await.unwrap();
                next(&mut ws).await;
                // The client asks for a flood of 64 MiB and reads nothing.
                ws.send(Message::text("flood")).await.unwrap();
                let seen = wait_for_body(&s, "ws.test", "/last-close", |b| b.contains("close"));
                // The Worker's sends stopped once 8 MiB waited (what the
                // connection's buffers took is not counted), well before 64.
                let sent: usize = seen
                    .strip_prefix("sent ")
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("{seen}"));
                assert!((8..64).contains(&sent), "{seen}");
                assert!(seen.contains(" 3 error close 1006 "), "{seen}");
                assert!(seen.contains("peer is not reading"), "{seen}");
                drop(ws);
            });
            // The server goes on serving.
            let plain = s.request("GET", "/", &[("host", "other.test")], b"");
            assert_eq!(plain.text(), "neighbour");
        },
    );
}

#[test]
fn large_and_small_messages_sent_in_one_turn_to_a_late_reader_arrive_whole_and_in_order() {
    on_each_engine(
        "large_and_small_messages_sent_in_one_turn_to_a_late_reader_arrive_whole_and_in_order",
        |engine| {
            // (6 MiB made and sent in one turn: room for a debug build.)
            let (_c, s) = serve(engine, "[workers.limits]\ncpu_ms = 10000\n", "");
            runtime().block_on(async {
                let mut ws = connect_narrow(&s, "/burst").await;
                next(&mut ws).await;
                // Twice (a socket's first message reaches the isolate on
                // its own, later ones in batches): the second burst comes
                // once the first left.
                for burst in ["one", "two"] {
                    ws.send(Message::text(burst)).await.unwrap();
                    // Read only once the Worker sent it all (6 MiB, far
                    // more than the connection takes at once).
                    let sent = format!("{burst} sent");
                    let seen = wait_for_body(&s, "ws.test", "/last-close", |b| b == sent);
                    assert_eq!(seen, sent);
                    for i in 0..6u8 {
                        match next(&mut ws).await {
                            Message::Text(t) => {
                                assert_eq!(t.len(), 1 << 20, "message {i} of {burst}");
                                assert!(t.bytes().all(|b| b == b'a' + i), "message {i} of {burst}");
                            }
                            other => panic!("expected a large text message, got {other:?}"),
                        }
                        assert_eq!(text(&next(&mut ws).await), format!("{burst} small {i}"));
                        assert_eq!(next(&mut ws).await, Message::binary(vec![i; 3]));
                    }
                }
            });
        },
    );
}

#[test]
fn a_worker_looping_in_a_message_handler_is_evicted_with_1011_while_a_neighbour_serves() {
    on_each_engine(
        "a_worker_looping_in_a_message_handler_is_evicted_with_1011_while_a_neighbour_serves",
        |engine| {
            let (_c, s) = serve(engine, "[workers.limits]\ncpu_ms = 50\n", "");
            runtime().block_on(async {
                // A socket of the same Worker that is not looping.
                let mut bystander = connect(&s, "/echo").await.unwrap();
                next(&mut bystander).await;
                let mut ws = connect(&s, "/loop").await.unwrap();
                next(&mut ws).await;
                ws.send(Message::text("spin")).await.unwrap();
                let neighbour = s.request("GET", "/", &[("host", "other.test")], b"");
                assert_eq!(neighbour.status, 200);
                assert_eq!(neighbour.text(), "neighbour");
                let closed = next(&mut ws).await;
                let (code, reason) = close_of(&closed);
                assert_eq!(code, 1011);
                assert!(reason.contains("CPU"), "{reason}");
                // Every socket of the evicted isolate is closed.
                let closed = next(&mut bystander).await;
                assert_eq!(close_of(&closed).0, 1011);
            });
            let log = s.wait_for_log("WebSockets were closed (1011)");
            assert!(log.contains("WebSockets were closed (1011)"), "{log}");
            // The Worker serves again, in a fresh isolate.
            runtime().block_on(async {
                let mut ws = connect(&s, "/echo").await.unwrap();
                next(&mut ws).await;
                ws.send(Message::text("again")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "again");
            });
            let neighbour = s.request("GET", "/", &[("host", "other.test")], b"");
            assert_eq!(neighbour.text(), "neighbour");
        },
    );
}

#[test]
fn an_isolate_with_an_open_socket_is_not_evicted_as_idle() {
    on_each_engine(
        "an_isolate_with_an_open_socket_is_not_evicted_as_idle",
        |engine| {
            let (_c, s) = serve(engine, "[workers.limits]\nidle_timeout_s = 1\n", "");
            runtime().block_on(async {
                let mut ws = connect(&s, "/echo").await.unwrap();
                next(&mut ws).await;
                ws.send(Message::text("count")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "count 1");
                // The neighbour, with the same idle timeout, is evicted as idle
                // once it has been idle that long; twice, one after the other,
                // so that the socket's isolate has been idle longer than the
                // timeout and its own check has run since.
                let evicted_idle = |l: &&str| {
                    l.contains("isolate evicted") && l.contains("neighbour") && l.contains("Idle")
                };
                for times in 1..=2 {
                    s.request("GET", "/", &[("host", "other.test")], b"");
                    let start = Instant::now();
                    while s.log().lines().filter(evicted_idle).count() < times {
                        assert!(start.elapsed() < PATIENCE, "{}", s.log());
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                // The socket's isolate is the same one: its count goes on.
                ws.send(Message::text("count")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "count 2");
                let log = s.log();
                assert!(
                    !log.lines()
                        .any(|l| l.contains("isolate evicted") && l.contains("worker=\"ws\"")),
                    "{log}"
                );
            });
        },
    );
}

/// A WebSocket echo server on a loopback port, for the Worker's outbound
/// sockets: its address.
fn echo_server(rt: &tokio::runtime::Runtime) -> String {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    rt.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    match message {
                        Message::Text(t) => {
                            let _ = ws.send(Message::text(format!("echo {}", t.as_str()))).await;
                        }
                        Message::Binary(b) => {
                            let _ = ws.send(Message::Binary(b)).await;
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn outbound_websockets_go_through_the_egress_policy_and_count_as_subrequests() {
    on_each_engine(
        "outbound_websockets_go_through_the_egress_policy_and_count_as_subrequests",
        |engine| {
            let rt = runtime();
            let echo = echo_server(&rt);
            // The echo server runs on `rt`'s thread while requests are made.
            let pump = std::thread::spawn(move || rt.block_on(std::future::pending::<()>()));
            drop(pump);
            let path = format!("/outbound?to=ws://{echo}/");
            {
                let (_c, s) = serve(engine, "", "[egress]\nallow_private = true\n");
                let body = s.request("GET", &path, &[("host", "ws.test")], b"").text();
                assert_eq!(
                    body, "open\nmessage echo ping\necho relay 3\n101 message hi",
                    "{body}"
                );
            }
            {
                // The default policy refuses a loopback address.
                let (_c, s) = serve(engine, "", "");
                let body = s.request("GET", &path, &[("host", "ws.test")], b"").text();
                let lines: Vec<&str> = body.lines().collect();
                assert!(
                    lines[0].starts_with("close 1006") && lines[0].contains("egress"),
                    "{body}"
                );
                assert!(
                    lines[1].starts_with("fetch") && lines[1].contains("egress"),
                    "{body}"
                );
            }
            {
                // Each socket is a subrequest.
                let limits = "[workers.limits]\nsubrequests = 1\n";
                let (_c, s) = serve(engine, limits, "[egress]\nallow_private = true\n");
                let twice = format!("/outbound-twice?to=ws://{echo}/");
                let body = s.request("GET", &twice, &[("host", "ws.test")], b"").text();
                assert!(body.contains("Too many subrequests"), "{body}");
            }
        },
    );
}

#[test]
fn shutdown_closes_open_sockets_with_1001_after_the_grace_period() {
    on_each_engine(
        "shutdown_closes_open_sockets_with_1001_after_the_grace_period",
        |engine| {
            let (_c, mut s) = serve(engine, "", "[server]\ngrace_period_s = 1\n");
            runtime().block_on(async {
                let mut ws = connect(&s, "/echo").await.unwrap();
                next(&mut ws).await;
                s.signal("TERM");
                // Within the grace period the socket still works.
                ws.send(Message::text("still here")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "still here");
                let closed = next(&mut ws).await;
                assert_eq!(close_of(&closed).0, 1001);
            });
            assert_eq!(s.wait_exit(PATIENCE), Some(0));
        },
    );
}

#[test]
fn many_messages_waiting_on_many_sockets_at_once_are_each_answered_in_order() {
    on_each_engine(
        "many_messages_waiting_on_many_sockets_at_once_are_each_answered_in_order",
        |engine| {
            let (_c, s) = serve(engine, "", "");
            runtime().block_on(async {
                const SOCKETS: usize = 12;
                const MESSAGES: usize = 40;
                let mut sockets = waiting_messages(&s, "/stamped", SOCKETS, MESSAGES).await;
                for (i, ws) in sockets.iter_mut().enumerate() {
                    for m in 0..MESSAGES {
                        assert_eq!(text(&next(ws).await), format!("s{i} m{m} true"));
                    }
                }
            });
        },
    );
}

#[test]
fn a_listener_that_throws_drops_neither_the_next_listener_nor_the_next_message() {
    on_each_engine(
        "a_listener_that_throws_drops_neither_the_next_listener_nor_the_next_message",
        |engine| {
            let (_c, s) = serve(engine, "", "");
            runtime().block_on(async {
                let mut ws = connect(&s, "/throws").await.unwrap();
                assert!(text(&next(&mut ws).await).starts_with("welcome"));
                // Sent together: they wait for the isolate together.
                for m in ["a", "throw 1", "b", "throw 2", "throw 3", "c"] {
                    ws.feed(Message::text(m)).await.unwrap();
                }
                ws.flush().await.unwrap();
                let mut answers = Vec::new();
                for _ in 0..9 {
                    answers.push(text(&next(&mut ws).await).to_owned());
                }
                assert_eq!(
                    answers,
                    [
                        "answer a",
                        "answer throw 1",
                        "job of throw 1",
                        "answer b",
                        "answer throw 2",
                        "job of throw 2",
                        "answer throw 3",
                        "job of throw 3",
                        "answer c",
                    ]
                );
            });
        },
    );
}

#[test]
fn the_promise_jobs_of_each_waiting_message_run_before_the_next_message() {
    on_each_engine(
        "the_promise_jobs_of_each_waiting_message_run_before_the_next_message",
        |engine| {
            const SOCKETS: usize = 8;
            const MESSAGES: usize = 10;
            let (_c, s) = serve(engine, "", "");
            runtime().block_on(async {
                let mut sockets = waiting_messages(&s, "/jobs", SOCKETS, MESSAGES).await;
                // Every answer comes from a promise job.
                for (i, ws) in sockets.iter_mut().enumerate() {
                    for m in 0..MESSAGES {
                        assert_eq!(text(&next(ws).await), format!("job s{i} m{m}"));
                    }
                }
            });
            // Each handler was followed by its own job, never by another
            // message's handler.
            let order = s
                .request("GET", "/order", &[("host", "ws.test")], b"")
                .text();
            let lines: Vec<&str> = order.lines().collect();
            assert_eq!(lines.len(), 2 * SOCKETS * MESSAGES, "{order}");
            for pair in lines.chunks(2) {
                let message = pair[0].strip_prefix("handler ").expect(&order);
                assert_eq!(pair[1], format!("job {message}"), "{order}");
            }
        },
    );
}

#[test]
fn a_handler_looping_among_many_waiting_messages_is_stopped_and_only_its_isolate_affected() {
    on_each_engine(
        "a_handler_looping_among_many_waiting_messages_is_stopped_and_only_its_isolate_affected",
        |engine| {
            let (_c, s) = serve(engine, "[workers.limits]\ncpu_ms = 50\n", "");
            runtime().block_on(async {
                let mut echoes = Vec::new();
                for _ in 0..6 {
                    let mut ws = connect(&s, "/echo").await.unwrap();
                    next(&mut ws).await;
                    echoes.push(ws);
                }
                let mut looping = connect(&s, "/loop").await.unwrap();
                next(&mut looping).await;
                // The looping message arrives among others, on sockets of
                // the same isolate.
                for (i, ws) in echoes.iter_mut().enumerate().take(3) {
                    for m in 0..10 {
                        ws.feed(Message::text(format!("s{i} m{m}"))).await.unwrap();
                    }
                    ws.flush().await.unwrap();
                }
                looping.send(Message::text("spin")).await.unwrap();
                for (i, ws) in echoes.iter_mut().enumerate().skip(3) {
                    for m in 0..10 {
                        ws.feed(Message::text(format!("s{i} m{m}"))).await.unwrap();
                    }
                    ws.flush().await.unwrap();
                }
                let (code, reason) = close_of(&next(&mut looping).await);
                assert_eq!(code, 1011);
                assert!(reason.contains("CPU"), "{reason}");
                // Each other socket got its answers in order, as many as
                // were handled before the eviction, then the eviction's
                // close.
                for (i, ws) in echoes.iter_mut().enumerate() {
                    let mut m = 0;
                    loop {
                        let message = next(ws).await;
                        if let Message::Close(_) = message {
                            assert_eq!(close_of(&message).0, 1011);
                            break;
                        }
                        assert_eq!(text(&message), format!("s{i} m{m}"));
                        m += 1;
                    }
                }
            });
            // The other Worker was not affected, and this one serves again.
            let neighbour = s.request("GET", "/", &[("host", "other.test")], b"");
            assert_eq!(neighbour.text(), "neighbour");
            runtime().block_on(async {
                let mut ws = connect(&s, "/echo").await.unwrap();
                next(&mut ws).await;
                ws.send(Message::text("again")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "again");
            });
        },
    );
}

/// A Worker whose sockets' handlers use `AsyncLocalStorage`: a message
/// then goes through the dispatch that sets the empty context around each
/// event (messages otherwise take a shorter way to their socket).
const ALS_WORKER: &str = "import { AsyncLocalStorage } from 'node:async_hooks';
const als = new AsyncLocalStorage();
export default {
  fetch(request) {
    return als.run({ id: 'request' }, () => {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener('message', e => {
        if (e.data === 'enter') {
          als.enterWith({ id: 'entered' });
          server.send(`entered ${als.getStore().id}`);
        } else if (e.data === 'run') {
          als.run({ id: 'run' }, () => Promise.resolve().then(() => server.send(`then ${als.getStore().id}`)));
        } else {
          server.send(`store ${als.getStore()?.id}`);
        }
      });
      return new Response(null, { status: 101, webSocket: client });
    });
  },
};
";

#[test]
fn each_message_starts_with_an_empty_async_context() {
    on_each_engine(
        "each_message_starts_with_an_empty_async_context",
        |engine| {
            let config = TempConfig::new(&[
                (
                    "motu.toml",
                    "[[workers]]\nname = \"ws\"\nmain = \"als.mjs\"\nroutes = [\"ws.test/*\"]\n\
                     compatibility_date = \"2025-04-01\"\ncompatibility_flags = [\"nodejs_compat\"]\n",
                ),
                ("als.mjs", ALS_WORKER),
            ]);
            let s = Server::start(&[
                "--config",
                &config.path("motu.toml"),
                "--engine",
                engine,
                "--threads",
                "1",
            ]);
            runtime().block_on(async {
                let mut ws = connect(&s, "/").await.unwrap();
                // Not the store of the request that accepted the socket.
                ws.send(Message::text("probe")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "store undefined");
                // A store entered in one message's handler ends with it.
                ws.send(Message::text("enter")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "entered entered");
                ws.send(Message::text("probe")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "store undefined");
                // A handler's promise jobs keep the context they were made in.
                ws.send(Message::text("run")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "then run");
                ws.send(Message::text("probe")).await.unwrap();
                assert_eq!(text(&next(&mut ws).await), "store undefined");
            });
        },
    );
}

#[test]
fn close_takes_the_codes_workers_take() {
    on_each_engine("close_takes_the_codes_workers_take", |engine| {
        let (_c, s) = serve(engine, "", "");
        let r = s.request("GET", "/close-codes", &[("host", "ws.test")], b"");
        assert_eq!(r.text(), "1000 1001 1011 2999 3000 4999", "{}", s.log());
    });
}
