//! PartyKit's Durable Object libraries on motu, on every engine: the
//! fixture project `tests/projects/partyserver` is written as the READMEs
//! of `partyserver` and `y-partyserver` write one (TypeScript, `class Room
//! extends Server` with `static options = { hibernate: true }`, the same
//! room without hibernation, `routePartykitRequest`, `getServerByName`, and
//! a `YServer` keeping its Yjs document in `this.ctx.storage` with
//! `onLoad`/`onSave`). Driven with
//! real clients: WebSockets for the chat room, and for the document,
//! `y-partyserver`'s own provider run by Node.js (`common::editor`). Its
//! objects leave memory after one idle second (`idle_timeout_s`), and the
//! tests wait for the metrics to say they left.

mod common;

use std::path::Path;

use common::durable::{get_json, serve_project, state_folder};
use common::editor::Editor;
use common::ws::{next, runtime, Socket};
use common::{on_each_engine, wait_for_metrics, Server};
use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

fn serve(engine: &str, state: &Path) -> Server {
    serve_project(
        "partyserver",
        "wrangler.jsonc",
        engine,
        state,
        &["--admin-listen", "127.0.0.1:0"],
    )
}

/// Joins room `room` of the hibernating `Room` as `name` through
/// `routePartykitRequest`'s URL, and reads the welcome.
async fn join(s: &Server, room: &str, name: &str) -> Socket {
    join_party(s, "room", room, name).await
}

/// Joins room `room` of `party` (the kebab-cased binding) as `name`, and
/// reads the welcome.
async fn join_party(s: &Server, party: &str, room: &str, name: &str) -> Socket {
    let url = format!("ws://{}/parties/{party}/{room}?name={name}", s.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .unwrap_or_else(|e| panic!("{name} could not join {room}: {e}\n{}", s.log()));
    assert_eq!(next_text(&mut ws, s).await, format!("welcome {name}"));
    ws
}

async fn next_text(ws: &mut Socket, s: &Server) -> String {
    match next(ws).await {
        Message::Text(t) => t.as_str().to_owned(),
        other => panic!("expected a text message, got {other:?}\n{}", s.log()),
    }
}

async fn say(ws: &mut Socket, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// What the room tells a connection about itself.
async fn whoami(ws: &mut Socket, s: &Server) -> Value {
    say(ws, "whoami").await;
    serde_json::from_str(&next_text(ws, s).await).unwrap()
}

/// Waits until the metrics say that no object is in memory (each test has
/// its one object in memory at the time it waits).
fn wait_until_out_of_memory(s: &Server) {
    wait_for_metrics(s, &[r#"motu_durable_objects_live{worker="partyserver"} 0"#]);
}

#[test]
fn a_hibernating_partyserver_chat_room_keeps_its_connections_and_their_state() {
    on_each_engine("partyserver_chat_room", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        runtime().block_on(async {
            let mut alice = join(&s, "lobby", "alice").await;
            let mut bob = join(&s, "lobby", "bob").await;
            assert_eq!(next_text(&mut alice, &s).await, "bob joined");
            say(&mut alice, "hello").await;
            for ws in [&mut alice, &mut bob] {
                assert_eq!(next_text(ws, &s).await, "alice: hello");
            }
            let before = whoami(&mut alice, &s).await;
            assert_eq!(
                before,
                json!({
                    "room": "lobby",
                    "id": before["id"],
                    "member": { "name": "alice", "said": 1 },
                    "members": ["alice", "bob"],
                    "starts": 1
                })
            );
            // Idle, the room leaves memory; its sockets stay open.
            wait_until_out_of_memory(&s);
            wait_for_metrics(
                &s,
                &[r#"motu_durable_object_websockets{worker="partyserver"} 2"#],
            );
            // A message wakes it (onStart again): broadcast to both, with
            // each connection's id and state as they were.
            say(&mut bob, "still here").await;
            for ws in [&mut alice, &mut bob] {
                assert_eq!(next_text(ws, &s).await, "bob: still here");
            }
            let after = whoami(&mut alice, &s).await;
            assert_eq!(after["id"], before["id"]);
            assert_eq!(after["member"], json!({ "name": "alice", "said": 1 }));
            assert_eq!(after["members"], json!(["alice", "bob"]));
            assert_eq!(after["starts"], json!(2));
            let bobs = whoami(&mut bob, &s).await;
            assert_eq!(bobs["member"], json!({ "name": "bob", "said": 1 }));
            // The Worker calls the room over RPC (getServerByName).
            assert_eq!(get_json(&s, "/announce/lobby?text=hi"), json!(2));
            for ws in [&mut alice, &mut bob] {
                assert_eq!(next_text(ws, &s).await, "announce: hi");
            }
            // A connection that closes is gone from the room (onClose).
            bob.close(None).await.unwrap();
            assert_eq!(next_text(&mut alice, &s).await, "bob left");
            assert_eq!(whoami(&mut alice, &s).await["members"], json!(["alice"]));
        });
        // HTTP to the room (onRequest): the SQL history.
        assert_eq!(
            get_json(&s, "/parties/room/lobby"),
            json!({ "room": "lobby", "messages": ["alice: hello", "bob: still here"] })
        );
    });
}

#[test]
fn a_partyserver_room_without_hibernation_tracks_its_connections_in_memory() {
    // PartyServer's rooms without hibernation keep their connections in a
    // Map and list them with `map.values().filter(…)` (iterator helpers).
    on_each_engine("partyserver_room_in_memory", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        runtime().block_on(async {
            let mut alice = join_party(&s, "lounge", "corner", "alice").await;
            let mut bob = join_party(&s, "lounge", "corner", "bob").await;
            assert_eq!(next_text(&mut alice, &s).await, "bob joined");
            say(&mut bob, "hi").await;
            for ws in [&mut alice, &mut bob] {
                assert_eq!(next_text(ws, &s).await, "bob: hi");
            }
            let me = whoami(&mut alice, &s).await;
            assert_eq!(me["member"], json!({ "name": "alice", "said": 0 }));
            assert_eq!(me["members"], json!(["alice", "bob"]));
            bob.close(None).await.unwrap();
            assert_eq!(next_text(&mut alice, &s).await, "bob left");
            assert_eq!(whoami(&mut alice, &s).await["members"], json!(["alice"]));
        });
    });
}

#[test]
fn a_y_partyserver_document_syncs_editors_and_persists_across_hibernation_and_restart() {
    on_each_engine("partyserver_yjs_document", |engine| {
        let (_dir, state) = state_folder();
        let mut s = serve(engine, &state);
        let mut ann = Editor::open(&s.addr, "notes");
        let mut ben = Editor::open(&s.addr, "notes");
        ann.insert(0, "hello");
        ben.wait_for_text("hello");
        // Idle, the document leaves memory once its debounced onSave ran
        // (a pending timer keeps it in memory until then). Over HTTP, the
        // new instance has what onLoad read back.
        wait_until_out_of_memory(&s);
        assert_eq!(
            get_json(&s, "/parties/document/notes"),
            json!({ "name": "notes", "text": "hello" })
        );
        // An edit in the woken document reaches the other editor, and is
        // saved before the document leaves memory again.
        ben.insert(5, " world");
        ann.wait_for_text("hello world");
        wait_until_out_of_memory(&s);
        ann.close();
        ben.close();
        // A restart (killed: what was saved is on disk): over HTTP
        // (onRequest after onLoad), and to a new editor.
        s.kill_hard();
        let s = serve(engine, &state);
        assert_eq!(
            get_json(&s, "/parties/document/notes"),
            json!({ "name": "notes", "text": "hello world" })
        );
        let mut cat = Editor::open(&s.addr, "notes");
        cat.wait_for_text("hello world");
        cat.close();
    });
}
