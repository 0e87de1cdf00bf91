//! Durable Objects over HTTP, on both engines: the fixture project
//! `tests/projects/durable-objects` routes `/do/<name>/<path>` to the
//! Counter object named `<name>` through a stub (see its `src/index.js`),
//! and each server gets a state folder of its own (`--persist-to`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::durability::JsonStore;
use common::durable::{
    echo_listener, get_json, serve_project, serve_project_with_env, state_folder,
    wait_for_alarm_runs,
};
use common::wait_for_metrics;
use common::{on_each_engine, Server};
use serde_json::{json, Value};

fn serve_config(config: &str, engine: &str, state: &Path, extra: &[&str]) -> Server {
    serve_project("durable-objects", config, engine, state, extra)
}

fn serve(engine: &str, state: &Path) -> Server {
    serve_config("wrangler.jsonc", engine, state, &[])
}

#[test]
fn fifty_concurrent_increments_give_fifty() {
    on_each_engine("do_fifty_concurrent_increments", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let addr = server.addr.clone();
        let threads: Vec<_> = (0..50)
            .map(|_| {
                let addr = addr.clone();
                std::thread::spawn(move || {
                    common::request(&addr, "POST", "/do/counter/increment", &[], b"")
                })
            })
            .collect();
        let answers: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        for r in &answers {
            assert_eq!(r.status, 200, "{}\n{}", r.text(), server.log());
        }
        let mut seen: Vec<u64> = answers.iter().map(|r| r.json().as_u64().unwrap()).collect();
        seen.sort_unstable();
        assert_eq!(
            seen,
            (1..=50).collect::<Vec<u64>>(),
            "each increment saw the one before"
        );
        assert_eq!(get_json(&server, "/do/counter/get"), json!(50));
        // Another object has its own storage.
        assert_eq!(get_json(&server, "/do/other/get"), json!(0));
    });
}

#[test]
fn one_live_object_per_id_behind_block_concurrency_while() {
    on_each_engine("do_one_live_object_per_id", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let addr = server.addr.clone();
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let addr = addr.clone();
                std::thread::spawn(move || {
                    common::request(&addr, "GET", "/do/single/instance", &[], b"").json()
                })
            })
            .collect();
        let answers: Vec<Value> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let token = &answers[0]["token"];
        for a in &answers {
            assert_eq!(
                &a["token"], token,
                "one instance answered them all: {answers:?}"
            );
            assert_eq!(
                a["ready"],
                json!(true),
                "no event before blockConcurrencyWhile is done"
            );
            assert_eq!(a["name"], json!("single"));
        }
        // The older class form, with env.
        let legacy = get_json(&server, "/legacy/x/");
        assert_eq!(legacy["seen"], json!(1));
        assert_eq!(legacy["hasEnv"], json!(true));
        assert_eq!(get_json(&server, "/legacy/x/")["seen"], json!(2));
        // What the object throws is thrown by the stub's fetch.
        let thrown = server.get("/do/single/throw");
        assert_eq!(thrown.status, 500);
        assert_eq!(
            thrown.json()["caught"],
            json!("RangeError: thrown by the object")
        );
    });
}

#[test]
fn ids_are_derived_from_names_and_checked() {
    on_each_engine("do_ids", |engine| {
        let (_dir, state) = state_folder();
        let mut server = serve(engine, &state);
        let ids = get_json(&server, "/ids");
        let a = ids["a"].as_str().unwrap().to_owned();
        assert_eq!(a.len(), 64, "{ids}");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(ids["again"], json!(a));
        assert_ne!(ids["b"], json!(a));
        assert_eq!(ids["name"], json!("a"));
        assert_eq!(ids["equals"], json!(true));
        assert_eq!(ids["notEquals"], json!(false));
        assert_eq!(ids["fromString"], json!(true));
        assert_ne!(ids["unique"], ids["unique2"]);
        assert_eq!(ids["uniqueChecked"], json!(true));
        assert_eq!(ids["stubName"], json!("a"));
        let errors = ids["errors"].as_array().unwrap();
        assert!(
            errors[0]
                .as_str()
                .unwrap()
                .starts_with("TypeError: Invalid Durable Object ID"),
            "{errors:?}"
        );
        assert!(
            errors[1]
                .as_str()
                .unwrap()
                .starts_with("TypeError: Invalid Durable Object ID"),
            "{errors:?}"
        );
        // An id of another namespace is refused by `get`.
        assert!(
            ids["foreignGet"]
                .as_str()
                .unwrap()
                .starts_with("TypeError: Invalid Durable Object ID"),
            "{ids}"
        );
        // The object sees its own id.
        let instance = get_json(&server, "/do/a/instance");
        assert_eq!(instance["id"], json!(a));
        // The same name gives the same id after a restart.
        server.kill_hard();
        let server = serve(engine, &state);
        assert_eq!(get_json(&server, "/ids")["a"], json!(a));
    });
}

/// Runs a storage script in the object `name`: each step's `{ result }` or
/// `{ error: { name, message } }`.
fn kv(server: &Server, name: &str, steps: Value) -> Vec<Value> {
    let body = serde_json::to_vec(&steps).unwrap();
    let r = server.request("POST", &format!("/do/{name}/kv"), &[], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().as_array().unwrap().clone()
}

#[test]
fn the_key_value_api() {
    on_each_engine("do_key_value_api", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let long_key = "k".repeat(2049);
        let out = kv(
            &server,
            "kv",
            json!([
                { "op": "put", "args": ["a", { "x": [1, 2, { "y": "z" }] }] },
                { "op": "put", "args": [{ "b": 2, "c": "three", "ab": true }] },
                { "op": "get", "args": ["a"] },
                { "op": "get", "args": [["a", "b", "missing"]] },
                { "op": "list", "args": [] },
                { "op": "list", "args": [{ "prefix": "a" }] },
                { "op": "list", "args": [{ "start": "ab", "end": "c", "reverse": true }] },
                { "op": "list", "args": [{ "startAfter": "a", "limit": 2 }] },
                { "op": "delete", "args": ["b"] },
                { "op": "delete", "args": ["b"] },
                { "op": "delete", "args": [["a", "c", "nope"]] },
                { "op": "txRollback", "args": ["t", 1] },
                { "op": "txAsync", "args": ["t2", 1] },
                { "op": "get", "args": [["t", "t2"]] },
                { "op": "put", "args": [long_key, 1] },
                { "op": "alarm", "args": [4102444800000u64] },
                { "op": "deleteAlarm", "args": [] },
                { "op": "deleteAll", "args": [] },
                { "op": "list", "args": [] },
            ]),
        );
        let r = |i: usize| out[i]["result"].clone();
        assert_eq!(r(2), json!({ "x": [1, 2, { "y": "z" }] }), "{out:?}");
        assert_eq!(r(3), json!({ "a": { "x": [1, 2, { "y": "z" }] }, "b": 2 }));
        assert_eq!(
            r(4),
            json!([["a", { "x": [1, 2, { "y": "z" }] }], ["ab", true], ["b", 2], ["c", "three"]])
        );
        assert_eq!(r(5).as_array().unwrap().len(), 2);
        assert_eq!(r(6), json!([["b", 2], ["ab", true]]));
        assert_eq!(r(7), json!([["ab", true], ["b", 2]]));
        assert_eq!(r(8), json!(true));
        assert_eq!(r(9), json!(false));
        assert_eq!(r(10), json!(2));
        assert_eq!(r(11), json!("undo"));
        assert_eq!(r(12), json!("rolled back"));
        assert_eq!(r(13), json!({}), "rolled-back writes are gone: {out:?}");
        assert_eq!(out[14]["error"]["name"], json!("RangeError"), "{out:?}");
        assert!(out[14]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2048"));
        assert_eq!(r(15), json!(4102444800000u64));
        assert_eq!(r(16), Value::Null);
        assert_eq!(r(18), json!([]));
    });
}

#[test]
fn delete_all_keeps_the_alarm_before_the_compatibility_date_that_deletes_it() {
    // `delete_all_deletes_alarm`, on from 2026-02-24: before, deleteAll()
    // kept the alarm (and it still fires after a restart); from then on it
    // deletes it.
    on_each_engine("do_delete_all_alarm", |engine| {
        let steps = json!([
            { "op": "alarm", "args": [4102444800000u64] },
            { "op": "put", "args": ["k", 1] },
            { "op": "deleteAll", "args": [] },
            { "op": "getAlarm", "args": [] },
            { "op": "list", "args": [] },
        ]);
        for (config, alarm) in [
            ("wrangler.jsonc", json!(4102444800000u64)),
            ("wrangler-2026.jsonc", Value::Null),
        ] {
            let (_dir, state) = state_folder();
            let server = serve_config(config, engine, &state, &[]);
            let out = kv(&server, "wipe", steps.clone());
            assert_eq!(out[3]["result"], alarm, "{config}: {out:?}");
            assert_eq!(out[4]["result"], json!([]), "{config}: {out:?}");
            // The same after a restart (the object's database says so).
            drop(server);
            let server = serve_config(config, engine, &state, &[]);
            let out = kv(&server, "wipe", json!([{ "op": "getAlarm", "args": [] }]));
            assert_eq!(out[0]["result"], alarm, "{config} after a restart: {out:?}");
        }
    });
}

#[test]
fn the_synchronous_key_value_api() {
    // `ctx.storage.kv`: the same pairs as the asynchronous API, without
    // promises.
    on_each_engine("do_sync_key_value_api", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let long_key = "k".repeat(2049);
        let out = kv(
            &server,
            "synckv",
            json!([
                { "op": "kvPut", "args": ["a", { "x": [1, 2] }] },
                { "op": "put", "args": [{ "b": 2, "c": "three", "ab": true }] },
                { "op": "kvGet", "args": ["a"] },
                { "op": "kvGet", "args": ["b"] },
                { "op": "kvGet", "args": ["missing"] },
                { "op": "get", "args": ["a"] },
                { "op": "kvList", "args": [] },
                { "op": "kvList", "args": [{ "prefix": "a" }] },
                { "op": "kvList", "args": [{ "start": "ab", "end": "c", "reverse": true }] },
                { "op": "kvList", "args": [{ "startAfter": "a", "limit": 2 }] },
                { "op": "kvList", "args": [{ "limit": 0 }] },
                { "op": "kvListTwice", "args": [] },
                { "op": "kvDelete", "args": ["b"] },
                { "op": "kvDelete", "args": ["b"] },
                { "op": "get", "args": ["b"] },
                { "op": "kvTxRollback", "args": ["t", 1] },
                { "op": "kvGet", "args": ["t"] },
                { "op": "kvPut", "args": [long_key, 1] },
            ]),
        );
        let r = |i: usize| out[i]["result"].clone();
        assert_eq!(r(0), json!("undefined"), "put returns nothing: {out:?}");
        assert_eq!(r(2), json!({ "x": [1, 2] }), "{out:?}");
        assert_eq!(r(3), json!(2), "an async put is read synchronously");
        assert_eq!(r(4), json!("undefined"));
        assert_eq!(
            r(5),
            json!({ "x": [1, 2] }),
            "a sync put is read asynchronously"
        );
        assert_eq!(
            r(6),
            json!([["a", { "x": [1, 2] }], ["ab", true], ["b", 2], ["c", "three"]])
        );
        assert_eq!(r(7).as_array().unwrap().len(), 2);
        assert_eq!(r(8), json!([["b", 2], ["ab", true]]));
        assert_eq!(r(9), json!([["ab", true], ["b", 2]]));
        assert_eq!(out[10]["error"]["name"], json!("RangeError"), "{out:?}");
        assert_eq!(
            r(11),
            json!({
                "head": ["a", { "x": [1, 2] }],
                "second": [["a", { "x": [1, 2] }]],
                "invalidated": "Error: kv.list() iterator was invalidated because a new call \
                    to kv.list() was started. Only one kv.list() iterator can exist at a time."
            })
        );
        assert_eq!(r(12), json!(true));
        assert_eq!(r(13), json!(false));
        assert_eq!(r(14), Value::Null, "deleted for the async API too");
        assert_eq!(r(15), json!("undo"));
        assert_eq!(
            r(16),
            json!("undefined"),
            "rolled back with its transaction"
        );
        assert_eq!(out[17]["error"]["name"], json!("RangeError"), "{out:?}");
        // Point-in-time recovery is not there, and says so.
        let pitr = kv(&server, "synckv", json!([{ "op": "pitr" }]));
        let said = pitr[0]["result"].as_array().cloned().unwrap_or_default();
        assert_eq!(said.len(), 3, "{pitr:?}");
        for (said, method) in said.iter().zip([
            "getCurrentBookmark",
            "getBookmarkForTime",
            "onNextSessionRestoreBookmark",
        ]) {
            assert_eq!(
                said,
                &json!(format!(
                    "Error: ctx.storage.{method}(): point-in-time recovery is not supported \
                     by motu (an object's storage keeps no history)"
                ))
            );
        }
        // Written for good: a new server reads it.
        drop(server);
        let server = serve(engine, &state);
        let out = kv(&server, "synckv", json!([{ "op": "kvGet", "args": ["a"] }]));
        assert_eq!(out[0]["result"], json!({ "x": [1, 2] }), "{out:?}");
    });
}

#[test]
fn the_sql_api() {
    on_each_engine("do_sql_api", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let out = get_json(&server, "/do/sql/sql");
        assert_eq!(out["written"], json!(2), "{out}");
        assert_eq!(out["columns"], json!(["id", "name", "photo"]));
        assert_eq!(
            out["first"],
            json!({ "id": 1, "name": "ada", "photo": [1, 2] })
        );
        assert_eq!(out["rest"], json!(["bob"]));
        assert_eq!(out["raw"], json!([["ada"], ["bob"]]));
        assert_eq!(out["one"], json!({ "n": 2 }));
        assert_eq!(out["read"], json!(2));
        assert_eq!(out["size"], json!(true));
        assert_eq!(
            out["limited"],
            json!({ "deleted": [{ "name": "bob" }], "root": 9 })
        );
        let errors = out["errors"].as_array().unwrap();
        assert!(
            errors[0].as_str().unwrap().contains("got no results"),
            "{errors:?}"
        );
        assert!(
            errors[1].as_str().unwrap().contains("multiple results"),
            "{errors:?}"
        );
        assert!(errors[2].as_str().unwrap().contains("_cf_"), "{errors:?}");
        assert!(
            errors[3].as_str().unwrap().contains("syntax error"),
            "{errors:?}"
        );
        // The table is the object's: another object does not see it.
        let other = get_json(&server, "/do/sql2/sql");
        assert_eq!(other["rest"], json!(["bob"]), "a fresh table: {other}");
    });
}

fn durable_value(n: u64) -> String {
    format!("value {n:08} ").repeat(40 + (n as usize % 5) * 50)
}

#[test]
fn a_response_after_a_put_survives_kill_9() {
    on_each_engine("do_put_survives_kill_9", |engine| {
        let (_dir, state) = state_folder();
        let report = JsonStore {
            start: &|| serve(engine, &state),
            write_path: &|key| format!("/do/durable/write?key={key}"),
            read_path: &|keys| format!("/do/durable/read?keys={keys}"),
            value: &durable_value,
        }
        .run(20, 3);
        assert!(report.acknowledged >= 20, "{report:?}");
    });
}

#[test]
fn a_renamed_class_keeps_its_objects() {
    on_each_engine("do_rename_keeps_data", |engine| {
        let (_dir, state) = state_folder();
        let mut server = serve(engine, &state);
        for _ in 0..3 {
            server.request("POST", "/do/kept/increment", &[], b"");
        }
        assert_eq!(get_json(&server, "/do/kept/get"), json!(3));
        server.kill_hard();
        let server = serve_config("wrangler-renamed.jsonc", engine, &state, &[]);
        assert_eq!(
            get_json(&server, "/do/kept/get"),
            json!(3),
            "Tally has Counter's objects"
        );
        let r = server.request("POST", "/do/kept/increment", &[], b"");
        assert_eq!(r.json(), json!(4));
    });
}

/// The namespace folders under the state folder's `durable/`.
fn namespace_folders(state: &Path) -> usize {
    std::fs::read_dir(state.join("durable"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count()
}

#[test]
fn a_deleted_class_loses_its_objects_once() {
    on_each_engine("do_delete_migration", |engine| {
        let (_dir, state) = state_folder();
        let mut server = serve(engine, &state);
        server.request("POST", "/do/stays/increment", &[], b"");
        assert_eq!(get_json(&server, "/legacy/goes/")["seen"], json!(1));
        assert_eq!(namespace_folders(&state), 2);
        server.kill_hard();
        let mut server = serve_config("wrangler-deleted.jsonc", engine, &state, &[]);
        assert_eq!(namespace_folders(&state), 1, "Legacy's objects are gone");
        assert_eq!(get_json(&server, "/do/stays/get"), json!(1));
        server.kill_hard();
        // Applied once: the tag is recorded, and Counter's data stays.
        let server = serve_config("wrangler-deleted.jsonc", engine, &state, &[]);
        assert_eq!(get_json(&server, "/do/stays/get"), json!(1));
    });
}

#[test]
fn the_declarative_exports_map_renames_and_deletes_classes() {
    on_each_engine(
        "the_declarative_exports_map_renames_and_deletes_classes",
        |engine| {
            let (_dir, state) = state_folder();
            let mut server = serve_config("wrangler-exports.jsonc", engine, &state, &[]);
            for _ in 0..2 {
                server.request("POST", "/do/kept/increment", &[], b"");
            }
            assert_eq!(get_json(&server, "/legacy/goes/")["seen"], json!(1));
            assert_eq!(namespace_folders(&state), 2);
            server.kill_hard();
            let mut server = serve_config("wrangler-exports-renamed.jsonc", engine, &state, &[]);
            assert_eq!(namespace_folders(&state), 1, "Legacy's objects are gone");
            assert_eq!(
                get_json(&server, "/do/kept/get"),
                json!(2),
                "Tally has Counter's objects"
            );
            server.request("POST", "/do/kept/increment", &[], b"");
            server.kill_hard();
            // The deletion is applied once: Tally's objects stay.
            let server = serve_config("wrangler-exports-renamed.jsonc", engine, &state, &[]);
            assert_eq!(get_json(&server, "/do/kept/get"), json!(3));
        },
    );
}

#[test]
fn a_looping_object_is_stopped_and_another_keeps_serving() {
    on_each_engine("do_hostile_object", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        for _ in 0..2 {
            server.request("POST", "/do/good/increment", &[], b"");
        }
        let looped = server.get("/do/bad/loop");
        assert_eq!(looped.status, 500, "{}", looped.text());
        assert!(
            looped.text().to_lowercase().contains("cpu"),
            "the loop ran out of CPU time: {}",
            looped.text()
        );
        // The other object answers, made again if it shared the isolate,
        // with its storage intact.
        assert_eq!(get_json(&server, "/do/good/get"), json!(2));
        let r = server.request("POST", "/do/good/increment", &[], b"");
        assert_eq!(r.json(), json!(3));
    });
}

#[test]
fn an_idle_object_leaves_memory_and_comes_back_with_its_storage() {
    on_each_engine("do_idle_eviction", |engine| {
        let (_dir, state) = state_folder();
        let server = serve_config(
            "wrangler-idle.jsonc",
            engine,
            &state,
            &["--admin-listen", "127.0.0.1:0"],
        );
        server.request("POST", "/do/idle/increment", &[], b"");
        let first = get_json(&server, "/do/idle/instance")["token"].clone();
        wait_for_metrics(
            &server,
            &[
                r#"motu_durable_object_starts_total{worker="durable"} 1"#,
                r#"motu_durable_objects_live{worker="durable"} 1"#,
            ],
        );
        // The object leaves memory once it has been idle for a second
        // (the metrics say so; nothing touches it meanwhile): a new
        // instance answers then, with the same storage.
        wait_for_metrics(
            &server,
            &[
                r#"motu_durable_object_evictions_total{reason="idle",worker="durable"} 1"#,
                r#"motu_durable_objects_live{worker="durable"} 0"#,
            ],
        );
        let now = get_json(&server, "/do/idle/instance")["token"].clone();
        assert_ne!(now, first, "a new instance");
        assert_eq!(get_json(&server, "/do/idle/get"), json!(1));
    });
}

#[test]
fn an_object_stays_in_memory_while_a_socket_it_opened_is_open() {
    // As on Cloudflare, a WebSocket the object opened itself (`new
    // WebSocket(url)`, or `fetch` with `Upgrade: websocket`) keeps it from
    // leaving memory for being idle — its listeners are the instance's —
    // and once the socket is closed, the object leaves as any idle one.
    on_each_engine("do_own_socket_keeps_object", |engine| {
        let (_dir, state) = state_folder();
        let server = serve_project_with_env(
            "durable-objects",
            "wrangler-idle.jsonc",
            engine,
            &state,
            &["--admin-listen", "127.0.0.1:0"],
            &[("MOTU_EGRESS__ALLOW_PRIVATE", "true")],
        );
        let admin = server.admin.clone().expect("an admin listener");
        let listed = |name: &str| {
            let r = common::request(&admin, "GET", "/objects", &[], b"");
            r.json()
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["name"] == json!(name))
        };
        let wait_gone = |name: &str| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while listed(name) {
                assert!(
                    Instant::now() < deadline,
                    "{name} stayed in memory\n{}",
                    server.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        };
        let (to, closes) = echo_listener();
        for via in ["new", "fetch"] {
            let name = format!("dialer-{via}");
            let opened = get_json(&server, &format!("/do/{name}/own-socket?to={to}&via={via}"));
            assert_eq!(opened, json!("echo: hello"), "{via}");
            let token = get_json(&server, &format!("/do/{name}/instance"))["token"].clone();
            // Two objects without sockets, each made after the other left
            // memory: by the time the second has left, the dialer has been
            // idle for longer than both.
            for witness in ["first", "second"] {
                let witness = format!("witness-{witness}-{via}");
                get_json(&server, &format!("/do/{witness}/instance"));
                wait_gone(&witness);
            }
            assert!(
                listed(&name),
                "{via}: the dialer left memory with its socket open"
            );
            let now = get_json(&server, &format!("/do/{name}/instance"))["token"].clone();
            assert_eq!(now, token, "{via}: the same instance");
            // Its socket closed, it leaves.
            assert_eq!(
                get_json(&server, &format!("/do/{name}/close-own")),
                json!("closed")
            );
            let closed = closes.recv_timeout(Duration::from_secs(60)).unwrap();
            assert_eq!(closed, (1000, "done".to_owned()), "{via}");
            wait_gone(&name);
        }
    });
}

#[test]
fn an_alarm_set_before_a_restart_fires_after_it() {
    on_each_engine("do_alarm_across_restart", |engine| {
        let (_dir, state) = state_folder();
        let mut server = serve(engine, &state);
        let set = get_json(&server, "/do/wake/set-alarm?in=1500");
        assert!(
            set.as_f64().unwrap() > 0.0,
            "getAlarm gives the time: {set}"
        );
        // Killed at once: the alarm was acknowledged, so it is on disk.
        server.kill_hard();
        let server = serve(engine, &state);
        let report = wait_for_alarm_runs(&server, "wake", 1);
        assert_eq!(
            report["runs"],
            json!([{ "retryCount": 0, "isRetry": false, "name": "wake" }])
        );
        assert_eq!(
            report["pending"],
            Value::Null,
            "a run that succeeded deletes the alarm"
        );
    });
}

#[test]
fn an_alarm_set_in_a_transaction_rolled_back_never_fires() {
    on_each_engine("do_alarm_rolled_back", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        assert_eq!(
            get_json(&server, "/do/undone/set-alarm-undone?in=100"),
            Value::Null
        );
        // A witness alarm due well after the undone one would have been:
        // once it has run, the undone one would have run before it.
        get_json(&server, "/do/witness/set-alarm?in=1500");
        wait_for_alarm_runs(&server, "witness", 1);
        assert_eq!(
            get_json(&server, "/do/undone/alarms"),
            json!({ "runs": [], "pending": null }),
            "{}",
            server.log()
        );
    });
}

#[test]
fn a_failing_alarm_is_retried() {
    on_each_engine("do_alarm_retried", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        get_json(&server, "/do/flaky/set-alarm?in=0&fail=1");
        let report = wait_for_alarm_runs(&server, "flaky", 2);
        assert_eq!(
            report["runs"],
            json!([
                { "retryCount": 0, "isRetry": false, "name": "flaky" },
                { "retryCount": 1, "isRetry": true, "name": "flaky" }
            ])
        );
        // Deleted once the retry succeeded.
        let deadline = Instant::now() + Duration::from_secs(30);
        while get_json(&server, "/do/flaky/alarms")["pending"] != Value::Null {
            assert!(Instant::now() < deadline, "the alarm was not deleted");
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}

/// How many passes over the alarm index the server's scheduler made, by
/// what began them (`due`, `woken`, `idle`, `start`).
fn alarm_passes(server: &Server, cause: &str) -> u64 {
    let line = format!("motu_durable_alarm_passes_total{{cause=\"{cause}\"}} ");
    common::metrics(server)
        .lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[test]
fn the_alarm_scheduler_is_woken_by_set_alarms_and_sleeps_until_they_are_due() {
    // The scheduler passes over the alarm index when an alarm is due and
    // when one earlier than the next it knows of is set, not on the ticks
    // of a poll (nor only every few seconds when idle).
    on_each_engine("do_alarm_scheduler_wakes_and_sleeps", |engine| {
        let (_dir, state) = state_folder();
        let server = serve_config(
            "wrangler.jsonc",
            engine,
            &state,
            &["--admin-listen", "127.0.0.1:0"],
        );
        let passes = |cause| alarm_passes(&server, cause);
        // An alarm set for now, while the scheduler sleeps with none
        // known: its run comes from a pass its setAlarm woke.
        get_json(&server, "/do/eager/alarms");
        let woken = passes("woken");
        get_json(&server, "/do/eager/set-alarm?in=0");
        wait_for_alarm_runs(&server, "eager", 1);
        assert!(passes("woken") > woken, "{}", common::metrics(&server));
        // An alarm set 3 s ahead costs the pass its setAlarm woke and the
        // one at its time (one more should the sleep end a hair early, and
        // one for each idle sleep of a few seconds that ended while the
        // test read the counts). A poll of every 250 ms made 12 or more.
        let total = || ["due", "woken", "idle"].map(passes).iter().sum::<u64>();
        let before = total();
        get_json(&server, "/do/patient/set-alarm?in=3000");
        wait_for_alarm_runs(&server, "patient", 1);
        let made = total() - before;
        assert!(
            (2..=5).contains(&made),
            "{made} passes for one alarm\n{}",
            common::metrics(&server)
        );
    });
}

/// The count of the output gate's flushes of the fixture's objects.
fn flushes(admin: &str) -> u64 {
    common::request(admin, "GET", "/metrics", &[], b"")
        .text()
        .lines()
        .find_map(|l| {
            l.strip_prefix("motu_durable_object_flush_seconds_count{worker=\"durable\"} ")
        })
        .map_or(0, |n| n.parse().unwrap())
}

/// A listener that answers each plain HTTP request, and each message on a
/// WebSocket, with the count of flushes the server's metrics (at `admin`,
/// once known) show when it arrives. Its `host:port`.
fn flush_witness(admin: std::sync::Arc<std::sync::OnceLock<String>>) -> String {
    use std::io::{BufRead, Write};
    use tokio_tungstenite::tungstenite::{accept, Message};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let admin = admin.clone();
            std::thread::spawn(move || {
                let count = || flushes(admin.get().expect("the server's admin address"));
                let mut head = [0u8; 3];
                if stream.peek(&mut head).ok() != Some(3) {
                    return;
                }
                // An upgrade asks for a socket; anything else is a fetch.
                let mut peeked = vec![0u8; 4096];
                let n = stream.peek(&mut peeked).unwrap_or(0);
                let text = String::from_utf8_lossy(&peeked[..n]).to_ascii_lowercase();
                if text.contains("upgrade: websocket") {
                    let mut ws = accept(stream).unwrap();
                    while let Ok(message) = ws.read() {
                        if message.is_text() {
                            ws.send(Message::text(count().to_string())).unwrap();
                        }
                    }
                    return;
                }
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let body = count().to_string();
                let mut out = stream;
                let _ = write!(
                    out,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    addr
}

#[test]
fn what_an_object_sends_out_leaves_after_its_writes_are_durable() {
    // The output gate holds what an object sends out, not only its
    // response: a fetch it makes after a put leaves once the put is
    // durable, and so do the connection and messages of a WebSocket it
    // opens and its calls of other objects. Without the gate no flush
    // would happen before the object answers, so the witness would see
    // none.
    on_each_engine("do_outgoing_output_gate", |engine| {
        let (_dir, state) = state_folder();
        let admin = std::sync::Arc::new(std::sync::OnceLock::new());
        let witness = flush_witness(admin.clone());
        let server = serve_project_with_env(
            "durable-objects",
            "wrangler.jsonc",
            engine,
            &state,
            &["--admin-listen", "127.0.0.1:0"],
            &[("MOTU_EGRESS__ALLOW_PRIVATE", "true")],
        );
        let admin_addr = server.admin.clone().unwrap();
        admin.set(admin_addr.clone()).unwrap();
        for round in 1..=3 {
            let before = flushes(&admin_addr);
            let to = format!("http://{witness}/");
            let seen = get_json(&server, &format!("/do/gate/gated-fetch?to={to}"));
            let seen = seen.as_u64().unwrap();
            assert!(
                seen > before,
                "fetch {round} left before its write was durable"
            );
        }
        for round in 1..=2 {
            let before = flushes(&admin_addr);
            let to = format!("ws://{witness}/");
            let seen = get_json(&server, &format!("/do/gate/gated-fetch?to={to}&socket=1"));
            // One flush before it connected, another before its message.
            let seen = seen.as_u64().unwrap();
            assert!(
                seen >= before + 2,
                "socket {round}: its message left before its write was durable ({before} -> {seen})"
            );
        }
        let stored = get_json(&server, "/do/gate/read?keys=fetched");
        assert_eq!(stored, json!({ "fetched": 7 }));
        // A call of another object (through its stub's fetch, then over
        // RPC) waits for the caller's write; the other object's fetch for
        // its own: two flushes before the witness hears of it.
        for via in ["", "&rpc=1"] {
            let before = flushes(&admin_addr);
            let to = format!("http://{witness}/");
            let path = format!("/do/gate/gated-call?via=other&to={to}{via}");
            let seen = get_json(&server, &path).as_u64().unwrap();
            assert!(
                seen >= before + 2,
                "call{via}: it left before the caller's write was durable ({before} -> {seen})"
            );
        }
        let stored = get_json(&server, "/do/other/read?keys=fetched");
        assert_eq!(stored, json!({ "fetched": 2 }));
    });
}

const MOVED_ALARM: &str = r#"
import { DurableObject } from 'cloudflare:workers';
export class O extends DurableObject {
  // An alarm set soon, then (while the object's other events wait) moved a
  // minute later: the host finds the first one due in between.
  async move() {
    const later = Date.now() + 60000;
    await this.ctx.blockConcurrencyWhile(async () => {
      await this.ctx.storage.setAlarm(Date.now() + 50);
      await new Promise(r => setTimeout(r, 800));
      await this.ctx.storage.setAlarm(later);
    });
    return later;
  }
  async alarm() { await this.ctx.storage.put('ran', ((await this.ctx.storage.get('ran')) ?? 0) + 1); }
  async state() { return { ran: (await this.ctx.storage.get('ran')) ?? 0, alarm: await this.ctx.storage.getAlarm() }; }
}
export default { async fetch(request, env) {
  const o = env.O.getByName('x');
  if (new URL(request.url).pathname === '/move') return Response.json(await o.move());
  return Response.json(await o.state());
} };
"#;

#[test]
fn an_alarm_moved_later_before_its_event_runs_does_not_run_early() {
    on_each_engine("do_alarm_moved_before_its_event", |engine| {
        let c = common::TempConfig::new(&[
            (
                "wrangler.toml",
                "name = \"a\"\nmain = \"index.js\"\ncompatibility_date = \"2025-06-01\"\n\
                 [[durable_objects.bindings]]\nname = \"O\"\nclass_name = \"O\"\n\
                 [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"O\"]\n",
            ),
            ("index.js", MOVED_ALARM),
        ]);
        let server = Server::start(&[
            "--config",
            &c.path("wrangler.toml"),
            "--engine",
            engine,
            "--persist-to",
            &c.path("state"),
        ]);
        let later = get_json(&server, "/move");
        // The alarm event the host started while the object was blocked
        // comes before this call: it found the alarm moved, and left it.
        assert_eq!(
            get_json(&server, "/state"),
            json!({ "ran": 0, "alarm": later })
        );
    });
}
