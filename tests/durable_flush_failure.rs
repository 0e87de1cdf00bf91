//! A failed flush of a Durable Object's storage, on both engines: the
//! object is reset as `ctx.abort()` resets it — what waited for the flush
//! fails, nothing more leaves the instance, and the next event makes a new
//! instance from what is on disk — while other objects and Workers keep
//! serving. The fsync is made to fail with the test-only `fault-injection`
//! feature (crates/storage/src/fault.rs): while the folder that
//! `MOTU_TEST_FAIL_FSYNC` names holds a file named after an object's id,
//! that object's flushes fail. The fixture is `tests/projects/durable-objects`
//! (`/do/<name>/<path>` reaches the Counter named `<name>`; the Worker
//! answers a failed call with a 500 and `{ caught }`).

mod common;

use common::durable::{get_json, serve_project_with_env, state_folder};
use common::{on_each_engine, Server};
use serde_json::{json, Value};

/// What a call of a reset object fails with, as the Worker reports it
/// (Cloudflare's message for a failed storage write).
const RESET: &str =
    "Error: Internal error in Durable Object storage write caused object to be reset.";

/// The server, with the fault folder `faults` (empty: no fault yet).
fn serve(engine: &str, state: &std::path::Path, faults: &std::path::Path) -> Server {
    serve_project_with_env(
        "durable-objects",
        "wrangler.jsonc",
        engine,
        state,
        &["--admin-listen", "127.0.0.1:0"],
        &[("MOTU_TEST_FAIL_FSYNC", faults.to_str().unwrap())],
    )
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

#[test]
fn a_failed_flush_resets_the_object_and_the_next_event_reads_the_disk() {
    on_each_engine("do_failed_flush_resets_the_object", |engine| {
        let (dir, state) = state_folder();
        let faults = dir.path().join("faults");
        std::fs::create_dir(&faults).unwrap();
        let server = serve(engine, &state, &faults);
        let first = get_json(&server, "/do/broken/remember?value=kept");
        let token = first["token"].clone();
        let id = get_json(&server, "/do/broken/instance")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let fault = faults.join(&id);
        std::fs::write(&fault, b"").unwrap();

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
