//! Durable Objects called over JS RPC, on both engines: the fixture project
//! `tests/projects/durable-rpc` routes `/<route>/<name>` to methods of the
//! Counter object named `<name>` (see its `src/index.js`); each server gets
//! a state folder of its own (`--persist-to`).

mod common;

use std::path::Path;

use common::durability::JsonStore;
use common::durable::{get_json, serve_project, state_folder};
use common::{on_each_engine, Server};
use serde_json::{json, Value};

fn serve(engine: &str, state: &Path) -> Server {
    serve_project(
        "durable-rpc",
        "wrangler.jsonc",
        engine,
        state,
        &["--admin-listen", "127.0.0.1:0"],
    )
}

/// Serves a project of `config` (its wrangler.jsonc) and `index` (its
/// index.js) from a temporary folder with `--watch` and its state folder
/// inside, plus `extra` arguments, once the watcher runs.
fn watched(
    engine: &str,
    config: &str,
    index: &str,
    extra: &[&str],
) -> (common::TempConfig, Server) {
    let c = common::TempConfig::new(&[("wrangler.jsonc", config), ("index.js", index)]);
    let (config_path, state) = (c.path("wrangler.jsonc"), c.path("state"));
    let mut args = vec![
        "--config",
        &config_path,
        "--engine",
        engine,
        "--persist-to",
        &state,
        "--watch",
    ];
    args.extend_from_slice(extra);
    let server = Server::start(&args);
    server.wait_for_log("watching for changes");
    (c, server)
}

#[test]
fn fifty_concurrent_rpc_increments_give_fifty() {
    on_each_engine("do_rpc_fifty_concurrent_increments", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let addr = server.addr.clone();
        let threads: Vec<_> = (0..50)
            .map(|_| {
                let addr = addr.clone();
                std::thread::spawn(move || {
                    common::request(&addr, "POST", "/increment/counter", &[], b"")
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
        assert_eq!(get_json(&server, "/get/counter"), json!(50));
        assert_eq!(get_json(&server, "/get/other"), json!(0));
        // Arguments arrive: 50 + 5.
        assert_eq!(get_json(&server, "/increment/counter?by=5"), json!(55));
    });
}

#[test]
fn properties_pipelining_and_one_instance_for_rpc_and_fetch() {
    on_each_engine("do_rpc_properties_pipelining", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let first = get_json(&server, "/instance/single");
        assert_eq!(first["name"], json!("single"));
        assert_eq!(first["id"].as_str().map(str::len), Some(64));
        let label = get_json(&server, "/label/single?by=3");
        assert_eq!(label["label"], json!("counter single"));
        assert_eq!(label["pipelined"], json!(3));
        assert_eq!(
            label["token"], first["token"],
            "every call went to the one live instance"
        );
        let callbacks = get_json(&server, "/callbacks/single");
        assert_eq!(callbacks["same"], json!(true), "{callbacks}");
    });
}

#[test]
fn errors_thrown_by_an_object_are_rethrown_with_name_and_message() {
    on_each_engine("do_rpc_errors", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let errors = get_json(&server, "/errors/e");
        assert_eq!(
            errors,
            json!([
                { "name": "RangeError", "message": "out of range, on purpose", "isRange": true, "isType": false, "detail": null },
                { "name": "TypeError", "message": "a type error, on purpose", "isRange": false, "isType": true, "detail": null },
                { "name": "TypeError", "message": "The RPC receiver does not implement the method \"noSuchMethod\".", "isRange": false, "isType": true, "detail": null },
                { "name": "TypeError", "message": "The receiving Durable Object does not support RPC, because its class was not declared with `extends DurableObject`.", "isRange": false, "isType": true, "detail": null },
            ])
        );
        // The object still serves.
        assert_eq!(get_json(&server, "/increment/e"), json!(1));
    });
}

#[test]
fn function_and_rpc_target_callbacks_from_an_object() {
    on_each_engine("do_rpc_callbacks", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let callbacks = get_json(&server, "/callbacks/cb");
        assert_eq!(callbacks["visited"], json!({ "doubled": 42 }));
        assert_eq!(callbacks["first"], json!(5));
        assert_eq!(callbacks["second"], json!(10));
        assert_eq!(callbacks["count"], json!(10));
        assert_eq!(callbacks["viaFetch"], json!(10), "{callbacks}");
        assert_eq!(get_json(&server, "/get/cb"), json!(10));
    });
}

fn durable_value(n: u64) -> String {
    format!("rpc value {n:08} ").repeat(40 + (n as usize % 5) * 50)
}

#[test]
fn a_result_after_a_put_survives_kill_9() {
    on_each_engine("do_rpc_put_survives_kill_9", |engine| {
        let (_dir, state) = state_folder();
        let report = JsonStore {
            start: &|| serve(engine, &state),
            write_path: &|key| format!("/write/durable?key={key}"),
            read_path: &|keys| format!("/read/durable?keys={keys}"),
            value: &durable_value,
        }
        .run(20, 3);
        assert!(report.acknowledged >= 20, "{report:?}");
    });
}

#[test]
fn a_looping_method_is_stopped_and_another_object_keeps_serving() {
    on_each_engine("do_rpc_hostile_method", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        for _ in 0..2 {
            get_json(&server, "/increment/good");
        }
        let looped = server.get("/spin/bad");
        assert_eq!(looped.status, 500, "{}", looped.text());
        assert!(
            looped.text().to_lowercase().contains("cpu"),
            "the loop ran out of CPU time: {}",
            looped.text()
        );
        // The other object answers, made again if it shared the isolate,
        // with its storage intact.
        assert_eq!(get_json(&server, "/get/good"), json!(2));
        assert_eq!(get_json(&server, "/increment/good"), json!(3));
    });
}

/// The count of the output gate's flushes the admin metrics show.
fn flushes(server: &Server) -> u64 {
    let admin = server.admin.clone().expect("an admin listener");
    let text = common::request(&admin, "GET", "/metrics", &[], b"").text();
    text.lines()
        .find_map(|l| {
            l.strip_prefix("motu_durable_object_flush_seconds_count{worker=\"durable-rpc\"} ")
        })
        .map_or(0, |n| n.parse().unwrap())
}

/// The count of events sent to the fixture's objects by `route` (`direct`
/// or `directory`), as the admin metrics show it.
fn routed(server: &Server, route: &str) -> u64 {
    let admin = server.admin.clone().expect("an admin listener");
    let text = common::request(&admin, "GET", "/metrics", &[], b"").text();
    let line =
        format!("motu_durable_object_events_total{{route=\"{route}\",worker=\"durable-rpc\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .map_or(0, |n| n.parse().unwrap())
}

#[test]
fn an_objects_later_events_go_straight_to_its_isolate() {
    on_each_engine("do_rpc_direct_route", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        for n in 1..=4 {
            assert_eq!(get_json(&server, "/increment/direct"), json!(n));
        }
        assert_eq!(get_json(&server, "/fetch/direct"), json!(4));
        assert_eq!(get_json(&server, "/increment/direct"), json!(5));
        // The first event found the object a home through the registry;
        // the five after it (RPC calls and a fetch) went straight there.
        assert_eq!(routed(&server, "directory"), 1);
        assert_eq!(routed(&server, "direct"), 5);
    });
}

/// The Counter objects' `increment()` (a stored count).
const INCREMENT: &str = "async increment() {\n\
  const n = ((await this.ctx.storage.get('n')) ?? 0) + 1;\n\
  await this.ctx.storage.put('n', n);\n\
  return n;\n\
}\n";

/// A Worker whose fetch answers `<version> <n>`, `n` from its Counter
/// object's `increment()`.
fn reloadable(version: &str) -> String {
    format!(
        "import {{ DurableObject }} from 'cloudflare:workers';\n\
         export class Counter extends DurableObject {{\n\
           {INCREMENT}\
         }}\n\
         export default {{\n\
           async fetch(request, env) {{\n\
             return new Response(`{version} ${{await env.COUNTER.getByName('c').increment()}}`);\n\
           }},\n\
         }};\n"
    )
}

#[test]
fn an_object_moves_on_reload_under_load_and_stays_one_instance() {
    on_each_engine("do_rpc_reload_under_load", |engine| {
        let config = r#"{ "name": "reload", "main": "index.js",
            "durable_objects": { "bindings": [{ "name": "COUNTER", "class_name": "Counter" }] },
            "migrations": [{ "tag": "v1", "new_sqlite_classes": ["Counter"] }] }"#;
        let (c, server) = watched(engine, config, &reloadable("v1"), &[]);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let clients: Vec<_> = (0..2)
            .map(|_| {
                let (addr, seen) = (server.addr.clone(), seen.clone());
                std::thread::spawn(move || loop {
                    let Some(r) = common::try_request(&addr, "GET", "/", &[], b"") else {
                        return Err("no answer".to_owned());
                    };
                    let text = r.text();
                    if r.status != 200 {
                        return Err(format!("{}: {text}", r.status));
                    }
                    let (version, n) = text.split_once(' ').unwrap();
                    seen.lock().unwrap().push(n.parse::<u64>().unwrap());
                    if version == "v2" {
                        return Ok(());
                    }
                })
            })
            .collect();
        // The object has served on its direct way before the new code
        // comes (then its isolate goes, with events in flight).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while seen.lock().unwrap().len() < 40 {
            assert!(std::time::Instant::now() < deadline, "{}", server.log());
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::fs::write(c.path("index.js"), reloadable("v2")).unwrap();
        for client in clients {
            let outcome = client.join().unwrap();
            assert_eq!(outcome, Ok(()), "on {engine}: {}", server.log());
        }
        // Every increment saw the one before: one instance at a time.
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_unstable();
        assert_eq!(seen, (1..=seen.len() as u64).collect::<Vec<_>>());
        assert_eq!(server.get("/").text(), format!("v2 {}", seen.len() + 1));
    });
}

/// A Worker whose `/hold` event calls its Counter object, then waits
/// (polling KV) until `/release` is asked, and calls the object again,
/// over RPC and through its `fetch`; its answers start with `version`.
fn holding(version: &str) -> String {
    format!(
        "import {{ DurableObject }} from 'cloudflare:workers';\n\
         export class Counter extends DurableObject {{\n\
           {INCREMENT}\
           async fetch() {{ return new Response(String(await this.increment())); }}\n\
         }}\n\
         export default {{\n\
           async fetch(request, env) {{\n\
             const path = new URL(request.url).pathname;\n\
             const counter = () => env.COUNTER.getByName('c');\n\
             if (path === '/hold') {{\n\
               const first = await counter().increment();\n\
               await env.KV.put('held', 'yes');\n\
               while ((await env.KV.get('release')) === null) {{\n\
                 await new Promise((resolve) => setTimeout(resolve, 20));\n\
               }}\n\
               const second = await counter().increment();\n\
               const third = await (await counter().fetch('https://counter/')).text();\n\
               return new Response(`{version} ${{first}} ${{second}} ${{third}}`);\n\
             }}\n\
             if (path === '/held') return new Response(String(await env.KV.get('held')));\n\
             if (path === '/release') {{\n\
               await env.KV.put('release', 'yes');\n\
               return new Response('released');\n\
             }}\n\
             if (path === '/increment') return new Response(`{version} ${{await counter().increment()}}`);\n\
             return new Response('{version}');\n\
           }},\n\
         }};\n"
    )
}

/// Sends `GET path` and reads the whole answer, however long it takes.
fn get_patiently(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    raw
}

#[test]
fn an_event_of_a_reloaded_isolate_can_still_call_an_object_there() {
    // An event of the old version, still running in its isolate after a
    // reload, calls an object that isolate hosts: the isolate takes no new
    // events, and the object may not move before the isolate is gone,
    // which waits for that event. The call is served where the object is.
    on_each_engine("do_rpc_call_from_a_draining_isolate", |engine| {
        let config = r#"{ "name": "holding", "main": "index.js",
            "limits": { "cpu_ms": 30000 },
            "kv_namespaces": [{ "binding": "KV", "id": "0f2ac74b498b48028cb68387c421e279" }],
            "durable_objects": { "bindings": [{ "name": "COUNTER", "class_name": "Counter" }] },
            "migrations": [{ "tag": "v1", "new_sqlite_classes": ["Counter"] }] }"#;
        // One executor, so one isolate of the Worker at a time: the object
        // is made in the isolate of the event that calls it.
        let (c, server) = watched(engine, config, &holding("v1"), &["--threads", "1"]);
        let (tx, rx) = std::sync::mpsc::channel();
        let addr = server.addr.clone();
        std::thread::spawn(move || {
            let _ = tx.send(get_patiently(&addr, "/hold"));
        });
        // The held event has made the object (in its own isolate).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while server.get("/held").text() != "yes" {
            assert!(std::time::Instant::now() < deadline, "{}", server.log());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::fs::write(c.path("index.js"), holding("v2")).unwrap();
        while server.get("/").text() != "v2" {
            assert!(std::time::Instant::now() < deadline, "{}", server.log());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(server.get("/release").text(), "released");
        let answer = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the held event never finished:\n{}", server.log()));
        assert!(answer.ends_with("\r\n\r\nv1 1 2 3"), "{answer}");
        // Then the object moves to the new version's isolate.
        assert_eq!(server.get("/increment").text(), "v2 4");
    });
}

#[test]
fn stubs_of_one_id_are_disposed_of_apart_and_names_keep_their_ids() {
    on_each_engine("do_rpc_stubs_apart", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let out = get_json(&server, "/stubs/s?by=2");
        assert_eq!(
            out,
            json!({
                "disposed": "RPC stub used after being disposed",
                "viaOther": 2,
                "sameStub": false,
                "sameIds": true,
                "same": true,
                "distinct": true,
                "named": "s",
                "methods": [null, "function", 2, 2],
            })
        );
    });
}

#[test]
fn dup_makes_a_stub_of_its_own() {
    on_each_engine("do_rpc_stub_dup", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let out = get_json(&server, "/dup/d?by=2");
        assert_eq!(
            out,
            json!({
                "distinct": true,
                "sameId": true,
                "original": "RPC stub used after being disposed",
                "viaCopy": 2,
                "added": 3,
                "afterAll": "RPC stub used after being disposed",
            })
        );
    });
}

#[test]
fn an_object_keeps_a_duplicate_of_a_stub_it_was_passed() {
    on_each_engine("do_rpc_keeps_dup_of_argument", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let out = get_json(&server, "/keep/k");
        assert_eq!(out["viaDup"], json!(21), "{out}");
        assert_eq!(out["added"], json!([2, 5]), "{out}");
        assert_eq!(out["total"], json!(5), "{out}");
        assert_eq!(out["seen"], json!([7]), "{out}");
        let original = out["original"].as_str().unwrap_or_default();
        assert!(
            original.starts_with("RPC stub is no longer valid"),
            "the original ended with the call that passed it: {out}"
        );
        assert_eq!(
            out["dropped"],
            json!("RPC stub used after being disposed"),
            "{out}"
        );
    });
}

#[test]
fn a_result_after_a_put_waits_for_the_flush() {
    on_each_engine("do_rpc_result_waits_for_flush", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        assert_eq!(get_json(&server, "/read/f?keys=a"), json!({}));
        assert_eq!(
            flushes(&server),
            0,
            "a call that wrote nothing needs no flush"
        );
        for n in 1..=3 {
            let r = common::request(&server.addr, "POST", "/write/f?key=a", &[], b"v");
            assert_eq!(r.text(), "ok");
            // The metric is observed when the flush is done, so it shows
            // before the result it held back.
            assert_eq!(
                flushes(&server),
                n,
                "the result of write {n} waited for its flush"
            );
        }
    });
}

#[test]
fn a_returned_rpc_targets_calls_are_events_of_its_object() {
    on_each_engine("do_rpc_target_calls_in_object", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        // The output gate: a session's answer after a put waits for the
        // flush (the metric is observed when the flush is done).
        for n in 1..=2 {
            let r = common::request(&server.addr, "POST", "/session-write/s?key=a", &[], b"v");
            assert_eq!(r.text(), "ok");
            assert_eq!(
                flushes(&server),
                n,
                "the session's answer to write {n} waited for its flush"
            );
        }
        // blockConcurrencyWhile holds a session's call back.
        let out = get_json(&server, "/session-block/s");
        assert_eq!(
            out,
            json!({ "block": ["block done"], "noted": ["block done", "during"] })
        );
        // A session of a reset object fails with the reset's error.
        let out = get_json(&server, "/session-abort/t");
        assert_eq!(out["before"], json!(1), "{out}");
        assert_eq!(
            out["after"]["message"],
            json!("reset under a session"),
            "{out}"
        );
        assert_eq!(out["n"], json!(1), "{out}");
    });
}

#[test]
fn ctx_abort_resets_the_object_and_keeps_its_storage() {
    on_each_engine("do_rpc_ctx_abort", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let out = get_json(&server, "/abort/r?reason=reset%20on%20purpose");
        let failed = |message: &str| json!({ "name": "Error", "message": message, "isRange": false, "isType": false, "detail": null });
        assert_eq!(
            out["reset"],
            failed("reset on purpose"),
            "the call that aborted fails, though it caught the error: {out}"
        );
        assert_eq!(out["inFlight"], failed("reset on purpose"), "{out}");
        assert_eq!(
            out["later"],
            failed("Application called abort() to reset Durable Object."),
            "{out}"
        );
        assert_eq!(out["fresh"], json!(true), "a new instance: {out}");
        assert_eq!(out["n"], json!(7), "storage kept: {out}");
        assert_eq!(
            out["after"],
            json!({}),
            "the reset instance wrote nothing more: {out}"
        );
        let admin = server.admin.clone().expect("an admin listener");
        let metrics = common::request(&admin, "GET", "/metrics", &[], b"").text();
        assert!(
            metrics.lines().any(|l| l
                == "motu_durable_object_evictions_total{reason=\"aborted\",worker=\"durable-rpc\"} 2"),
            "{metrics}"
        );
    });
}

#[test]
fn writes_made_before_ctx_abort_stay() {
    on_each_engine("do_rpc_writes_before_abort_stay", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        for (name, query) in [("w1", ""), ("w2", "?awaited")] {
            let out = get_json(&server, &format!("/abort-after-put/{name}{query}"));
            assert_eq!(
                out["aborted"]["message"],
                json!("abort after a put"),
                "{out}"
            );
            assert_eq!(out["fresh"], json!(true), "a new instance: {out}");
            assert_eq!(out["read"], json!({ "beforeAbort": "kept" }), "{out}");
            assert_eq!(out["rows"], json!(["kept too"]), "{out}");
        }
    });
}

#[test]
fn the_admin_endpoint_lists_live_objects() {
    on_each_engine("do_admin_lists_objects", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let admin = server.admin.clone().expect("an admin listener");
        let list = |admin: &str| -> Vec<Value> {
            let r = common::request(admin, "GET", "/objects", &[], b"");
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-type"), Some("application/json"));
            r.json().as_array().unwrap().clone()
        };
        assert_eq!(list(&admin), Vec::<Value>::new());
        let a = get_json(&server, "/instance/listed-a");
        get_json(&server, "/instance/listed-b");
        let objects = list(&admin);
        assert_eq!(objects.len(), 2, "{objects:?}");
        let first = objects
            .iter()
            .find(|o| o["name"] == json!("listed-a"))
            .expect("listed-a is listed");
        assert_eq!(first["id"], a["id"]);
        assert_eq!(first["worker"], json!("durable-rpc"));
        assert_eq!(first["class"], json!("Counter"));
        assert!(first["namespace"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(first["isolate"]
            .as_str()
            .is_some_and(|i| i.starts_with("durable-rpc#")));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let last = first["lastEventMs"].as_u64().unwrap();
        assert!(last > 0 && last <= now, "{last} vs {now}");
    });
}

#[test]
fn the_durable_counter_example_runs() {
    on_each_engine("do_rpc_counter_example", |engine| {
        let (_dir, state) = state_folder();
        let config =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/durable-counter/wrangler.jsonc");
        let server = Server::start(&[
            "--config",
            config.to_str().unwrap(),
            "--engine",
            engine,
            "--persist-to",
            state.to_str().unwrap(),
        ]);
        let r = common::request(&server.addr, "POST", "/a/increment?by=2", &[], b"");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), server.log());
        assert_eq!(r.json(), json!({ "name": "a", "value": 2 }));
        let r = common::request(&server.addr, "POST", "/a/increment", &[], b"");
        assert_eq!(r.json(), json!({ "name": "a", "value": 3 }));
        assert_eq!(server.get("/a").text(), "a: 3\n");
        assert_eq!(server.get("/b").text(), "b: 0\n");
    });
}
