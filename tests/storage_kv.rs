//! KV namespaces over HTTP, on both engines: the fixture project
//! `tests/projects/storage-kv` exposes its binding's methods (see its
//! `src/index.ts`), and each server gets a state folder of its own.

mod common;

use std::path::{Path, PathBuf};

use common::{on_each_engine, Server};
use serde_json::{json, Value};

fn project(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/projects/storage-kv")
        .join(file)
        .to_str()
        .unwrap()
        .to_owned()
}

/// The fixture's Worker on `engine`, with its data in `state`.
fn serve(engine: &str, state: &Path) -> Server {
    Server::start(&[
        "--config",
        &project("wrangler.jsonc"),
        "--engine",
        engine,
        "--persist-to",
        state.to_str().unwrap(),
    ])
}

/// `env.KV[op](...args)`: `{ result }` or `{ error }`.
fn op(server: &Server, op: Value) -> Value {
    let body = serde_json::to_vec(&op).unwrap();
    server.request("POST", "/op", &[], &body).json()
}

fn result(server: &Server, o: Value) -> Value {
    let answer = op(server, o.clone());
    assert!(answer.get("error").is_none(), "{o} failed: {answer}");
    answer["result"].clone()
}

fn error(server: &Server, o: Value) -> (String, String) {
    let answer = op(server, o.clone());
    let e = answer
        .get("error")
        .unwrap_or_else(|| panic!("{o} should fail: {answer}"));
    (
        e["name"].as_str().unwrap().to_owned(),
        e["message"].as_str().unwrap().to_owned(),
    )
}

fn state_folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    (dir, state)
}

#[test]
fn values_survive_a_restart_and_the_folder_is_locked() {
    on_each_engine("kv_values_survive_a_restart", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        result(
            &server,
            json!({ "op": "put", "args": ["greeting", "hello"] }),
        );
        assert_eq!(
            result(&server, json!({ "op": "get", "args": ["greeting"] })),
            "hello"
        );
        assert_eq!(
            error(
                &server,
                json!({ "op": "put", "args": ["k".repeat(513), "v"] })
            ),
            (
                "Error".to_owned(),
                "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
                    .to_owned()
            )
        );
        // A second server on the same folder is refused, naming it.
        let (code, _, stderr) = common::run_motu(&[
            "serve",
            "--config",
            &project("wrangler.jsonc"),
            "--persist-to",
            state.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ]);
        assert_ne!(code, 0);
        assert!(
            stderr.contains(&format!(
                "state folder {} is in use by another motu process",
                state.display()
            )),
            "{stderr}"
        );
        drop(server);
        let server = serve(engine, &state);
        assert_eq!(
            result(&server, json!({ "op": "get", "args": ["greeting"] })),
            "hello"
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&state).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o700, "the state folder is private");
    });
}
