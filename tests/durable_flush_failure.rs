//! A failed flush of a Durable Object's storage, on both engines: the
//! object is reset as `ctx.abort()` resets it — what waited for the flush
//! fails, nothing more leaves the instance, and the next event makes a new
//! instance from what is on disk — while other objects and Workers keep
//! serving. The fsync is made to fail with the test-only `fault-injection`
//! feature (crates/storage/src/fault.rs): while the folder that
//! `MOTU_TEST_FAIL_FSYNC` names holds a file named after an object's id,
//! that object's flushes fail. The fixtures are `tests/projects/durable-objects`
//! (`/do/<name>/<path>` reaches the Counter named `<name>`; the Worker
//! answers a failed call with a 500 and `{ caught }`) and the chat room of
//! `tests/projects/durable-websockets` (hibernatable WebSockets).

mod common;

use common::ws::runtime;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::durable::{
    echo_listener, get_json, serve_project_with_env, state_folder, wait_for_alarm_runs,
};
use common::{on_each_engine, wait_for_metrics, Server};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// The variable that names the folder of fault files.
const FAULTS_VAR: &str = "MOTU_TEST_FAIL_FSYNC";

/// What a call of a reset object fails with, as the Worker reports it
/// (Cloudflare's message for a failed storage write).
const RESET: &str =
    "Error: Internal error in Durable Object storage write caused object to be reset.";

/// A server of fixture `project`, with the fault folder `faults` (empty:
/// no fault yet) and an admin listener.
fn serve(project: &str, engine: &str, state: &Path, faults: &Path) -> Server {
    serve_project_with_env(
        project,
        "wrangler.jsonc",
        engine,
        state,
        &["--admin-listen", "127.0.0.1:0"],
        &[(FAULTS_VAR, faults.to_str().unwrap())],
    )
}

/// A server of the `durable-objects` fixture with the fault folder
/// `faults`, whose objects may reach listeners on this machine (the
/// tests' far ends).
fn serve_dialing(engine: &str, state: &Path, faults: &Path) -> Server {
    serve_project_with_env(
        "durable-objects",
        "wrangler.jsonc",
        engine,
        state,
        &[],
        &[
            (FAULTS_VAR, faults.to_str().unwrap()),
            ("MOTU_EGRESS__ALLOW_PRIVATE", "true"),
        ],
    )
}

/// A state folder and an empty fault folder beside it.
fn folders() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, state) = state_folder();
    let faults = dir.path().join("faults");
    std::fs::create_dir(&faults).unwrap();
    (dir, state, faults)
}

/// The answer to `GET path`, which must be the Worker's 500 for a call
/// that failed with the reset's error.
fn assert_reset(server: &Server, path: &str) {
    let r = server.get(path);
    assert_eq!(
        (r.status, r.json()),
        (500, json!({ "caught": RESET })),
        "{path}\n{}",
        server.log()
    );
}

/// Makes the flushes of the `durable-objects` object `name` fail from now
/// on: the fault file to remove to let them succeed again.
fn fail_flushes(server: &Server, faults: &Path, name: &str) -> PathBuf {
    let id = get_json(server, &format!("/do/{name}/instance"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fault = faults.join(id);
    std::fs::write(&fault, b"").unwrap();
    fault
}

#[test]
fn a_synchronous_key_value_write_is_held_by_the_output_gate() {
    // `ctx.storage.kv.put` and `delete` write as the asynchronous API does:
    // the response after them waits for the flush, so with the flush
    // failing it is the reset's error, not the object's answer.
    on_each_engine("do_sync_kv_output_gate", |engine| {
        let (_dir, state, faults) = folders();
        let server = serve("durable-objects", engine, &state, &faults);
        for op in ["kvPut", "kvDelete"] {
            let name = format!("sync-{op}");
            let fault = fail_flushes(&server, &faults, &name);
            let body = serde_json::to_vec(&json!([{ "op": op, "args": ["k", 1] }])).unwrap();
            let r = server.request("POST", &format!("/do/{name}/kv"), &[], &body);
            assert_eq!(
                (r.status, r.json()),
                (500, json!({ "caught": RESET })),
                "{op}\n{}",
                server.log()
            );
            std::fs::remove_file(&fault).unwrap();
        }
    });
}

#[test]
fn a_failed_flush_resets_the_object_and_the_next_event_reads_the_disk() {
    on_each_engine("do_failed_flush_resets_the_object", |engine| {
        let (_dir, state, faults) = folders();
        let server = serve("durable-objects", engine, &state, &faults);
        let first = get_json(&server, "/do/broken/remember?value=kept");
        let token = first["token"].clone();
        let fault = fail_flushes(&server, &faults, "broken");

        // (a) The response that waited for the failed flush is an error:
        // the object was reset.
        assert_reset(&server, "/do/broken/remember?value=unflushed");

        // (b) A request that writes nothing (its answer would leave at
        // once) is not answered from the old instance's memory, which
        // holds a value whose flush failed: a new instance answers, with
        // what its storage reads from disk. (The injected fault fails the
        // fsync only, so the write is in the log; closing the database
        // checkpointed it into the database file and synced it, so the new
        // instance reads it back from disk.)
        let recall = get_json(&server, "/do/broken/recall");
        assert_ne!(recall["token"], token, "a new instance: {recall}");
        assert_eq!(
            recall["remembered"],
            Value::Null,
            "the old memory is gone: {recall}"
        );
        assert_eq!(recall["stored"], json!("unflushed"), "{recall}");
        let reset_once = recall["token"].clone();

        // (c) Other objects (in the same isolate) and the Worker itself
        // keep serving, writes and their flushes included.
        assert_eq!(get_json(&server, "/do/healthy/increment"), json!(1));
        assert_eq!(get_json(&server, "/do/healthy/increment"), json!(2));
        assert_eq!(get_json(&server, "/ids")["name"], json!("a"));

        // While the fault lasts, each write of the object resets it again;
        // requests that arrive meanwhile never get the memory of an
        // instance whose flush failed: they fail with it, or reach a new
        // instance (or the old one before the write: its memory then
        // holds nothing unflushed).
        let addr = server.addr.clone();
        let recalls: Vec<_> = (0..4)
            .map(|_| {
                let addr = addr.clone();
                std::thread::spawn(move || {
                    common::request(&addr, "GET", "/do/broken/recall", &[], b"")
                })
            })
            .collect();
        assert_reset(&server, "/do/broken/remember?value=again");
        for r in recalls.into_iter().map(|t| t.join().unwrap()) {
            if r.status == 500 {
                assert_eq!(r.json(), json!({ "caught": RESET }));
                continue;
            }
            let out = r.json();
            assert_eq!(r.status, 200, "{out}");
            assert_ne!(
                out["remembered"],
                json!("again"),
                "an unflushed value was answered from memory: {out}"
            );
        }
        let recall = get_json(&server, "/do/broken/recall");
        assert_ne!(recall["token"], reset_once, "reset again: {recall}");
        assert_eq!(recall["remembered"], Value::Null, "{recall}");

        // (d) Once the fault is gone, the object works again.
        std::fs::remove_file(&fault).unwrap();
        let written = get_json(&server, "/do/broken/remember?value=after");
        let recall = get_json(&server, "/do/broken/recall");
        assert_eq!(
            recall,
            json!({ "token": written["token"], "remembered": "after", "stored": "after" })
        );
        assert_eq!(get_json(&server, "/do/healthy/increment"), json!(3));

        let admin = server.admin.clone().expect("an admin listener");
        let metrics = common::request(&admin, "GET", "/metrics", &[], b"").text();
        assert!(
            metrics.lines().any(|l| l
                == "motu_durable_object_evictions_total{reason=\"broken\",worker=\"durable\"} 2"),
            "{metrics}"
        );
    });
}

/// Joins room `room` of `server` as `name` (`name&plain`: with a socket
/// the object accepts itself, not hibernatable) and reads the welcome.
async fn join(server: &Server, room: &str, name: &str) -> Socket {
    let request = format!("ws://{}/room/{room}?name={name}", server.addr)
        .into_client_request()
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .unwrap_or_else(|e| panic!("could not join: {e}\n{}", server.log()));
    let name = name.trim_end_matches("&plain");
    assert_eq!(next_text(&mut ws).await, format!("welcome {name}"));
    ws
}

/// A listener that answers every HTTP request with an empty 200 and
/// counts the connections it accepted; its `host:port`.
fn counting_listener() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut out = stream;
            let _ =
                out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (addr, count)
}

/// Waits until the server's log holds `needle`; the log.
fn wait_for_log(server: &Server, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let log = server.log();
        if log.contains(needle) {
            return log;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the log never showed {needle:?}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_fetch_the_reset_instance_makes_later_never_leaves() {
    // The instance goes on running after its flush failed (here: it
    // awaited `sync()`, then fetches with no new write to wait for); its
    // fetch never leaves.
    on_each_engine("do_failed_flush_stops_later_fetches", |engine| {
        let (_dir, state, faults) = folders();
        let server = serve_dialing(engine, &state, &faults);
        let (to, count) = counting_listener();
        let path = format!("/do/fetcher/remember-then-fetch?value=one&to=http://{to}/");
        assert_eq!(
            get_json(&server, &path),
            json!({ "flushed": "durable", "fetched": 200 })
        );
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
        fail_flushes(&server, &faults, "fetcher");
        let path = format!("/do/fetcher/remember-then-fetch?value=two&to=http://{to}/");
        assert_reset(&server, &path);
        // The instance logs once its fetch is over, whichever way.
        let log = wait_for_log(&server, "remember-then-fetch: failed, fetch ");
        assert!(
            log.contains(&format!("remember-then-fetch: failed, fetch {RESET}")),
            "the fetch failed with the reset's error:\n{log}"
        );
        assert_eq!(
            count.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the reset instance's fetch left:\n{log}"
        );
    });
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text message of `ws` (pings are answered by the client).
async fn next_text(ws: &mut Socket) -> String {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a valid message");
        match message {
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Text(t) => return t.as_str().to_owned(),
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

async fn say(ws: &mut Socket, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// Joins `room` as `who`, checks that a message the object sends after a
/// write leaves once it is durable, then makes the object's fsync fail
/// (the fault file returned) and asks for another such message
/// (`late:two`), which waits for the failing flush.
async fn fail_after_a_durable_message(
    server: &Server,
    faults: &Path,
    room: &str,
    who: &str,
) -> (Socket, PathBuf) {
    let mut ws = join(server, room, who).await;
    say(&mut ws, "id").await;
    let id = next_text(&mut ws).await;
    say(&mut ws, "late:one").await;
    assert_eq!(next_text(&mut ws).await, "late one durable");
    let fault = faults.join(&id);
    std::fs::write(&fault, b"").unwrap();
    say(&mut ws, "late:two").await;
    (ws, fault)
}

#[test]
fn nothing_leaves_an_object_once_its_flush_failed() {
    // A hibernatable WebSocket message the object sends after its flush
    // failed, with no new write to wait for, never leaves: the next thing
    // the client hears is from the new instance.
    on_each_engine("do_failed_flush_silences_the_object", |engine| {
        let (_dir, state, faults) = folders();
        let server = serve("durable-websockets", engine, &state, &faults);
        runtime().block_on(async {
            let (mut ws, fault) =
                fail_after_a_durable_message(&server, &faults, "quiet", "a").await;
            // The object was reset (its `sync()` rejected after that, and
            // it then tried to answer).
            wait_for_metrics(
                &server,
                &["motu_durable_object_evictions_total{reason=\"broken\",worker=\"chat\"} 1"],
            );
            std::fs::remove_file(&fault).unwrap();
            say(&mut ws, "whoami").await;
            let answer = next_text(&mut ws).await;
            let who: Value = serde_json::from_str(&answer).unwrap_or_else(|_| {
                panic!(
                    "the reset instance's message left: {answer}\n{}",
                    server.log()
                )
            });
            assert_eq!(who["name"], json!("a"), "{who}");
            // The socket and the object work on.
            say(&mut ws, "late:three").await;
            assert_eq!(next_text(&mut ws).await, "late three durable");
        });
    });
}

#[test]
fn a_reset_objects_own_sockets_are_closed() {
    // A socket the object accepted itself (not hibernatable) belongs to
    // the instance: once its flush failed, what the instance still sends
    // on it never leaves, and it is closed (1011), as Cloudflare
    // disconnects a reset object's sockets.
    on_each_engine("do_failed_flush_closes_the_instances_sockets", |engine| {
        let (_dir, state, faults) = folders();
        let server = serve("durable-websockets", engine, &state, &faults);
        runtime().block_on(async {
            let (mut ws, fault) =
                fail_after_a_durable_message(&server, &faults, "plain-quiet", "p&plain").await;
            let message = tokio::time::timeout(Duration::from_secs(60), ws.next())
                .await
                .expect("a message in time");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => {
                    assert_eq!(u16::from(frame.code), 1011, "{frame:?}");
                    assert_eq!(frame.reason.as_str(), "Durable Object reset");
                }
                other => panic!(
                    "expected the socket closed (1011), got {other:?}\n{}",
                    server.log()
                ),
            }
            std::fs::remove_file(&fault).unwrap();
            // A new instance serves a new socket.
            let mut again = join(&server, "plain-quiet", "q&plain").await;
            say(&mut again, "late:three").await;
            assert_eq!(next_text(&mut again).await, "late three durable");
        });
    });
}

#[test]
fn an_rpc_call_that_waited_for_a_failed_flush_fails_with_the_reset() {
    // Over RPC (`tests/projects/durable-rpc`: `/increment/<name>` calls
    // `stub.increment()`, which puts and returns the count, and the
    // Worker lets its error go uncaught): the call throws the reset's
    // error in the caller, and the next call reaches a new instance.
    on_each_engine("do_failed_flush_fails_the_rpc_call", |engine| {
        let (_dir, state, faults) = folders();
        let server = serve("durable-rpc", engine, &state, &faults);
        assert_eq!(get_json(&server, "/increment/r"), json!(1));
        let before = get_json(&server, "/instance/r");
        let id = before["id"].as_str().unwrap().to_owned();
        let fault = faults.join(&id);
        std::fs::write(&fault, b"").unwrap();
        let failed = server.get("/increment/r");
        assert_eq!(failed.status, 500, "{}", failed.text());
        wait_for_log(&server, &format!("uncaught exception: {RESET}"));
        let after = get_json(&server, "/instance/r");
        assert_ne!(after["token"], before["token"], "a new instance: {after}");
        std::fs::remove_file(&fault).unwrap();
        // The failed call's write reached the log (the fault fails the
        // fsync only), and reopening the database made it durable.
        assert_eq!(get_json(&server, "/increment/r"), json!(3));
    });
}

#[test]
fn an_acknowledged_alarm_survives_losing_the_alarm_index() {
    // The alarm index (`durable/alarms.sqlite`) is shared by every object:
    // one fsync of it covers every object's rows, so it cannot be what
    // acknowledges an object's `setAlarm`. Here every flush of it fails
    // (the fault file `alarms`), which must not hold the object's
    // `setAlarm` back (were the index flushed for it, the object would be
    // reset); and after a `kill -9` the index is removed, as a
    // crash may leave an index whose last commits were never synced. The
    // object's own database holds the alarm it acknowledged, and the
    // index is rebuilt from it at start-up: the alarm fires.
    on_each_engine("do_alarm_survives_a_lost_index", |engine| {
        let (_dir, state, faults) = folders();
        std::fs::write(faults.join("alarms"), b"").unwrap();
        let mut server = serve("durable-objects", engine, &state, &faults);
        let set = get_json(&server, "/do/wake/set-alarm?in=1500");
        assert!(set.as_f64().unwrap() > 0.0, "acknowledged: {set}");
        // The object's own flush is what acknowledges: when it fails, the
        // `setAlarm` is not acknowledged (the object is reset).
        fail_flushes(&server, &faults, "unacked");
        assert_reset(&server, "/do/unacked/set-alarm?in=3600000");
        server.kill_hard();
        for file in ["alarms.sqlite", "alarms.sqlite-wal", "alarms.sqlite-shm"] {
            match std::fs::remove_file(state.join("durable").join(file)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("{file}: {e}"),
                _ => {}
            }
        }
        let server = serve("durable-objects", engine, &state, &faults);
        let report = wait_for_alarm_runs(&server, "wake", 1);
        assert_eq!(
            report["runs"],
            json!([{ "retryCount": 0, "isRetry": false, "name": "wake" }])
        );
    });
}

#[test]
fn a_reset_objects_outgoing_sockets_are_closed() {
    // A WebSocket the object opened itself (`new WebSocket(url)`, or
    // `fetch` with `Upgrade: websocket`) belongs to the instance, as the
    // sockets it accepts do: once its flush failed it is closed (1011),
    // rather than left open with whatever the instance sends dropped.
    on_each_engine("do_failed_flush_closes_outgoing_sockets", |engine| {
        let (_dir, state, faults) = folders();
        let server = serve_dialing(engine, &state, &faults);
        let (to, closes) = echo_listener();
        for via in ["new", "fetch"] {
            let name = format!("dialer-{via}");
            let opened = get_json(&server, &format!("/do/{name}/own-socket?to={to}&via={via}"));
            assert_eq!(opened, json!("echo: hello"), "{via}");
            let fault = fail_flushes(&server, &faults, &name);
            assert_reset(&server, &format!("/do/{name}/remember?value=x"));
            let closed = closes
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| {
                    panic!(
                        "{via}: the reset instance's socket was left open\n{}",
                        server.log()
                    )
                });
            assert_eq!(closed, (1011, "Durable Object reset".to_owned()), "{via}");
            std::fs::remove_file(&fault).unwrap();
        }
    });
}
