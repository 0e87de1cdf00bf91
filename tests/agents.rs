//! Cloudflare's Agents SDK (the `agents` npm package) on motu, on every
//! engine, over HTTP and a real WebSocket client: the fixture project
//! `tests/projects/agents` is a counter written as the SDK's documentation
//! writes one (TypeScript, `@callable()` standard decorators, `setState`,
//! `this.sql`, `this.schedule`, `routeAgentRequest`, `getAgentByName`), so
//! what it exercises is the platform under a real library: Durable
//! Objects with SQLite storage, hibernatable WebSockets, alarms, RPC,
//! `nodejs_compat` (AsyncLocalStorage) and `cloudflare:email`.

mod common;

use common::durable::{serve_project, state_folder};
use common::ws::{next, runtime, Socket};
use common::{on_each_engine, Server};
use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

async fn connect(s: &Server, name: &str) -> Socket {
    let url = format!("ws://{}/agents/counter/{name}", s.addr);
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .unwrap_or_else(|e| panic!("no agent socket: {e}\n{}", s.log()));
    ws
}

/// The next text message the agent sends.
async fn next_text(ws: &mut Socket, s: &Server) -> String {
    match next(ws).await {
        Message::Text(t) => t.as_str().to_owned(),
        other => panic!("unexpected {other:?}\n{}", s.log()),
    }
}

/// Reads messages until one is JSON that `wanted` accepts; it.
async fn until(ws: &mut Socket, s: &Server, wanted: impl Fn(&Value) -> bool) -> Value {
    loop {
        let text = next_text(ws, s).await;
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            if wanted(&v) {
                return v;
            }
        }
    }
}

fn is_state(v: &Value) -> bool {
    v["type"] == "cf_agent_state"
}

#[test]
fn an_agents_sdk_counter_syncs_state_calls_methods_and_runs_its_schedule() {
    on_each_engine(
        "an_agents_sdk_counter_syncs_state_calls_methods_and_runs_its_schedule",
        |engine| {
            let (_dir, state) = state_folder();
            let s = serve_project("agents", "wrangler.jsonc", engine, &state, &[]);
            runtime().block_on(async {
                let mut ws = connect(&s, "a").await;
                // The state follows the identity as soon as the socket opens.
                let first = until(&mut ws, &s, is_state).await;
                assert_eq!(first["state"], json!({ "count": 0, "ticks": 0 }));
                // A @callable() method over the socket: its result, and the
                // new state sent to the client.
                let call = json!({ "type": "rpc", "id": "1", "method": "increment", "args": [5] });
                ws.send(Message::text(call.to_string())).await.unwrap();
                let result = until(&mut ws, &s, |v| v["type"] == "rpc" && v["id"] == "1").await;
                assert_eq!(result["success"], json!(true), "{result}");
                assert_eq!(result["result"], json!(5), "{result}");
                // A Worker's RPC through getAgentByName: the connected
                // client sees the state change.
                let r = s.get("/rpc/a?by=2");
                assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
                assert_eq!(r.json(), json!(7));
                let synced = until(&mut ws, &s, |v| is_state(v) && v["state"]["count"] == 7).await;
                assert_eq!(synced["state"]["ticks"], json!(0));
                // The agent's own onMessage.
                ws.send(Message::text("echo hi")).await.unwrap();
                loop {
                    if next_text(&mut ws, &s).await == "echoed hi" {
                        break;
                    }
                }
                // this.schedule(): an alarm runs tick(), whose state
                // reaches the client.
                let later = json!({ "type": "rpc", "id": "2", "method": "later", "args": [0] });
                ws.send(Message::text(later.to_string())).await.unwrap();
                let ticked = until(&mut ws, &s, |v| is_state(v) && v["state"]["ticks"] == 1).await;
                assert_eq!(ticked["state"]["count"], json!(7));
            });
            // HTTP to the agent (onRequest): the state and its SQL history.
            let r = s.get("/agents/counter/a");
            assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
            assert_eq!(
                r.json(),
                json!({ "state": { "count": 7, "ticks": 1 }, "history": [5, 7] })
            );
        },
    );
}
