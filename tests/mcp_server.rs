//! A remote MCP server built with Cloudflare's Agents SDK (`agents/mcp` with
//! the `@modelcontextprotocol` SDKs), on every engine, driven over the MCP
//! Streamable HTTP transport as an MCP client drives it: the fixture project
//! `tests/projects/mcp-server` has a stateful server (`McpAgent`, one
//! Durable Object per MCP session, holding the session's state) and a
//! stateless one (`createMcpHandler` with an SDK v2 server factory). What
//! it exercises is the platform under real libraries: streamed
//! `text/event-stream` responses, Durable Objects routed by session id with
//! SQLite storage, RPC, `nodejs_compat` and zod's validation.

mod common;

use common::durable::{serve_project, state_folder};
use common::{on_each_engine, Response, Server};
use serde_json::{json, Value};

fn serve(engine: &str, state: &std::path::Path) -> Server {
    // No CPU limit is set: a session's first events run much of the SDKs'
    // code for the first time (40-45 ms of CPU in a release build on V8),
    // which Cloudflare's default of 30 s allows and motu.toml's 50 ms would
    // not.
    serve_project("mcp-server", "wrangler.jsonc", engine, state, &[])
}

/// Posts one JSON-RPC message to `path`, in the session `session` if any.
fn post(s: &Server, path: &str, session: Option<&str>, message: Value) -> Response {
    let body = message.to_string();
    let mut headers = vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("mcp-protocol-version", "2025-06-18"),
    ];
    if let Some(id) = session {
        headers.push(("mcp-session-id", id));
    }
    s.request("POST", path, &headers, body.as_bytes())
}

/// The JSON-RPC answer in an event stream (or a JSON body).
fn answer(r: &Response, s: &Server) -> Value {
    assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
    let text = r.text();
    let data = if r
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream"))
    {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim)
            .find(|d| !d.is_empty())
            .unwrap_or_else(|| panic!("no data in the event stream: {text}"))
            .to_owned()
    } else {
        text
    };
    serde_json::from_str(&data).unwrap_or_else(|e| panic!("not JSON ({e}): {data}"))
}

fn initialize(id: u32) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": { "name": "motu-test", "version": "1" } } })
}

fn call(id: u32, tool: &str, arguments: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": { "name": tool, "arguments": arguments } })
}

/// The text of a tool's result.
fn tool_text(v: &Value) -> &str {
    v["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text content in {v}"))
}

#[test]
fn a_stateful_mcp_session_keeps_its_state_across_a_crash_and_ends_on_delete() {
    on_each_engine(
        "a_stateful_mcp_session_keeps_its_state_across_a_crash_and_ends_on_delete",
        |engine| {
            let (_dir, state) = state_folder();
            let mut s = serve(engine, &state);
            let r = post(&s, "/mcp", None, initialize(1));
            let init = answer(&r, &s);
            assert_eq!(init["result"]["serverInfo"]["name"], "tally", "{init}");
            let session = r
                .header("mcp-session-id")
                .unwrap_or_else(|| panic!("no session id: {:?}", r.headers))
                .to_owned();
            let sid = Some(session.as_str());
            let note = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
            let r = post(&s, "/mcp", sid, note);
            assert_eq!(r.status, 202, "{}\n{}", r.text(), s.log());

            let tools = answer(
                &post(
                    &s,
                    "/mcp",
                    sid,
                    json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }),
                ),
                &s,
            );
            let add = &tools["result"]["tools"][0];
            assert_eq!(add["name"], "add", "{tools}");
            assert_eq!(
                add["inputSchema"]["properties"]["n"]["type"], "number",
                "{tools}"
            );
            let r = answer(
                &post(&s, "/mcp", sid, call(3, "add", json!({ "n": 5 }))),
                &s,
            );
            assert_eq!(tool_text(&r), "total 5", "{r}");
            let r = answer(
                &post(&s, "/mcp", sid, call(4, "add", json!({ "n": 2 }))),
                &s,
            );
            assert_eq!(tool_text(&r), "total 7", "{r}");
            // zod's validation of the arguments, as a tool error.
            let r = answer(
                &post(&s, "/mcp", sid, call(5, "add", json!({ "n": "x" }))),
                &s,
            );
            assert_eq!(r["result"]["isError"], true, "{r}");
            assert!(tool_text(&r).contains("expected number"), "{r}");

            // The session's object keeps its state through a crash.
            s.kill_hard();
            let s = serve(engine, &state);
            let r = answer(
                &post(&s, "/mcp", sid, call(6, "add", json!({ "n": 1 }))),
                &s,
            );
            assert_eq!(tool_text(&r), "total 8", "{r}\n{}", s.log());
            let read = json!({ "jsonrpc": "2.0", "id": 7, "method": "resources/read",
                               "params": { "uri": "tally://history" } });
            let r = answer(&post(&s, "/mcp", sid, read), &s);
            let history: Value =
                serde_json::from_str(r["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
            assert_eq!(history, json!(["add 5", "add 2", "add 1"]), "{r}");

            // Another session is another object, from zero.
            let r = post(&s, "/mcp", None, initialize(1));
            let other = r.header("mcp-session-id").unwrap().to_owned();
            assert_ne!(other, session);
            let r = answer(
                &post(&s, "/mcp", Some(&other), call(2, "add", json!({ "n": 4 }))),
                &s,
            );
            assert_eq!(tool_text(&r), "total 4", "{r}");

            // DELETE ends the session.
            let r = s.request(
                "DELETE",
                "/mcp",
                &[
                    ("mcp-session-id", &session),
                    ("mcp-protocol-version", "2025-06-18"),
                ],
                b"",
            );
            assert!(
                r.status == 200 || r.status == 204,
                "{}: {}",
                r.status,
                r.text()
            );
            let r = post(&s, "/mcp", sid, call(8, "add", json!({ "n": 1 })));
            assert_eq!(r.status, 404, "{}\n{}", r.text(), s.log());
            assert!(r.text().contains("Session not found"), "{}", r.text());
        },
    );
}

#[test]
fn a_stateless_mcp_handler_answers_each_request_on_its_own() {
    on_each_engine(
        "a_stateless_mcp_handler_answers_each_request_on_its_own",
        |engine| {
            let (_dir, state) = state_folder();
            let s = serve(engine, &state);
            let init = answer(&post(&s, "/stateless", None, initialize(1)), &s);
            assert_eq!(init["result"]["serverInfo"]["name"], "echo", "{init}");
            let r = answer(
                &post(
                    &s,
                    "/stateless",
                    None,
                    call(2, "shout", json!({ "text": "hi" })),
                ),
                &s,
            );
            assert_eq!(tool_text(&r), "HI", "{r}");
            let r = answer(
                &post(&s, "/stateless", None, call(3, "nope", json!({}))),
                &s,
            );
            let failed = r["error"].is_object() || r["result"]["isError"] == true;
            assert!(failed, "an unknown tool must fail: {r}");
        },
    );
}
