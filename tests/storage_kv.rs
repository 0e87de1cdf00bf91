//! KV namespaces over HTTP, on both engines: the fixture project
//! `tests/projects/storage-kv` exposes its binding's methods (see its
//! `src/index.ts`), and each server gets a state folder of its own
//! (`--persist-to`), so tests run side by side. The tests of the API run
//! on both backends ([`on_each_backend`]): the embedded store, then Redis
//! (`MOTU_CLUSTER__REDIS`, a database of its own per case on the file's
//! shared `redis-server`), which must behave the same.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::durability::{KillNine, Seen};
use common::{on_each_engine, Server};
use serde_json::{json, Value};

const NAMESPACE: &str = "0f2ac74b498b48028cb68387c421e279";

fn project(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/projects/storage-kv")
        .join(file)
        .to_str()
        .unwrap()
        .to_owned()
}

/// The fixture's Worker (its wrangler.jsonc) on `engine`, with its data in
/// `state`.
fn serve(engine: &str, state: &Path) -> Server {
    serve_config("wrangler.jsonc", engine, state)
}

fn serve_config(config: &str, engine: &str, state: &Path) -> Server {
    let redis = REDIS.with(|r| r.borrow().clone());
    let env: Vec<(&str, &str)> = redis
        .as_deref()
        .map(|url| ("MOTU_CLUSTER__REDIS", url))
        .into_iter()
        .collect();
    let server = Server::start_with_env(
        &[
            "--config",
            &project(config),
            "--engine",
            engine,
            "--persist-to",
            state.to_str().unwrap(),
        ],
        &env,
    );
    if let Some(url) = &redis {
        let needle = format!("shared through Redis at {url}");
        assert!(
            server.wait_for_log(&needle).contains(&needle),
            "{}",
            server.log()
        );
    }
    server
}

thread_local! {
    /// The Redis URL of the case running on this thread, when it runs on
    /// the Redis backend.
    static REDIS: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `case` on each engine with the embedded store, then on each engine
/// with the namespace in Redis (a fresh database per engine). A failure
/// names the backend.
fn on_each_backend(name: &str, case: impl Fn(&str) + std::panic::RefUnwindSafe) {
    on_each_engine(name, &case);
    on_each_engine(name, |engine| {
        REDIS.with(|r| *r.borrow_mut() = Some(common::redis::shared_url()));
        let outcome = std::panic::catch_unwind(|| case(engine));
        let url = REDIS.with(|r| r.borrow_mut().take()).unwrap();
        if let Err(e) = outcome {
            eprintln!("{name} on {engine} failed with the Redis backend ({url})");
            std::panic::resume_unwind(e);
        }
    });
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

/// Several ops in one event: their answers.
fn ops(server: &Server, ops: Vec<Value>) -> Vec<Value> {
    let body = serde_json::to_vec(&json!({ "ops": ops })).unwrap();
    let answer = server.request("POST", "/op", &[], &body).json();
    answer["results"].as_array().unwrap().clone()
}

fn state_folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    (dir, state)
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn err(name: &str, message: &str) -> (String, String) {
    (name.to_owned(), message.to_owned())
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
                "state folder {} is in use by another motu process (pid {})",
                state.display(),
                server.pid()
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
        assert!(state.join(format!("kv/{NAMESPACE}.sqlite")).is_file());
    });
}

#[test]
fn get_returns_each_type() {
    on_each_backend("kv_get_returns_each_type", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        result(
            &s,
            json!({ "op": "put", "args": ["doc", "{\"a\":[1,2]}", { "metadata": { "v": 2 } }] }),
        );
        let get = |options: Value| result(&s, json!({ "op": "get", "args": ["doc", options] }));
        assert_eq!(get(Value::Null), "{\"a\":[1,2]}");
        assert_eq!(get(json!("text")), "{\"a\":[1,2]}");
        assert_eq!(get(json!("json")), json!({ "a": [1, 2] }));
        assert_eq!(
            get(json!({ "type": "json", "cacheTtl": 30 })),
            json!({ "a": [1, 2] })
        );
        assert_eq!(
            get(json!("arrayBuffer")),
            json!({ "arrayBuffer": "{\"a\":[1,2]}".bytes().collect::<Vec<_>>() })
        );
        assert_eq!(get(json!({ "type": "stream" }))["stream"], "{\"a\":[1,2]}");
        // Missing keys are null whatever the type.
        for t in ["text", "json", "arrayBuffer", "stream"] {
            assert_eq!(
                result(&s, json!({ "op": "get", "args": ["nope", t] })),
                Value::Null
            );
        }
        assert_eq!(
            result(
                &s,
                json!({ "op": "getWithMetadata", "args": ["doc", "json"] })
            ),
            json!({ "value": { "a": [1, 2] }, "metadata": { "v": 2 }, "cacheStatus": null })
        );
        assert_eq!(
            result(&s, json!({ "op": "getWithMetadata", "args": ["nope"] })),
            json!({ "value": null, "metadata": null, "cacheStatus": null })
        );
        assert_eq!(
            error(
                &s,
                json!({ "op": "get", "args": ["doc", { "cacheTtl": 29 }] })
            ),
            err(
                "Error",
                "KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30."
            )
        );
        assert_eq!(
            error(&s, json!({ "op": "get", "args": ["doc", "blob"] })),
            err("TypeError", "Unknown response type. Possible types are \"text\", \"arrayBuffer\", \"json\", and \"stream\".")
        );
        // A value that is not JSON, read as JSON.
        result(&s, json!({ "op": "put", "args": ["plain", "not json"] }));
        assert_eq!(
            error(&s, json!({ "op": "get", "args": ["plain", "json"] })).0,
            "SyntaxError"
        );
    });
}

#[test]
fn put_takes_strings_buffers_and_streams() {
    on_each_backend("kv_put_takes_strings_buffers_and_streams", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        result(
            &s,
            json!({ "op": "put", "args": ["bytes", null], "bytes": [0, 159, 255] }),
        );
        assert_eq!(
            result(&s, json!({ "op": "get", "args": ["bytes", "arrayBuffer"] })),
            json!({ "arrayBuffer": [0, 159, 255] })
        );
        result(
            &s,
            json!({ "op": "put", "args": ["streamed", null], "streamChunks": ["ab", "", "cd"] }),
        );
        assert_eq!(
            result(&s, json!({ "op": "get", "args": ["streamed"] })),
            "abcd"
        );
        // put resolves to undefined; a number is stored as its text.
        assert_eq!(
            result(&s, json!({ "op": "put", "args": ["n", 42] })),
            json!({ "undefined": true })
        );
        assert_eq!(result(&s, json!({ "op": "get", "args": ["n"] })), "42");
        assert_eq!(
            error(&s, json!({ "op": "put", "args": ["o", { "an": "object" }] })),
            err("TypeError", "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.")
        );
        // A request body streamed into put.
        let r = s.request("PUT", "/stream?key=body", &[], b"streamed request body");
        assert_eq!((r.status, r.text().as_str()), (200, "stored"));
        assert_eq!(
            result(&s, json!({ "op": "get", "args": ["body"] })),
            "streamed request body"
        );
        // Metadata: up to 1024 bytes of JSON.
        let fits = "m".repeat(1022); // with its quotes, 1024 bytes
        result(
            &s,
            json!({ "op": "put", "args": ["meta", "v", { "metadata": fits }] }),
        );
        assert_eq!(
            error(
                &s,
                json!({ "op": "put", "args": ["meta", "v", { "metadata": format!("{fits}m") }] })
            ),
            err(
                "Error",
                "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."
            )
        );
        assert_eq!(
            result(&s, json!({ "op": "getWithMetadata", "args": ["meta"] }))["metadata"],
            json!(fits)
        );
    });
}

#[test]
fn values_up_to_25_mib_are_streamed_in_and_out() {
    on_each_backend("kv_values_up_to_25_mib_are_streamed", |engine| {
        let (_dir, state) = state_folder();
        let limit = 25 << 20;
        let value: Vec<u8> = (0..limit).map(|i| (i % 251) as u8).collect();
        {
            let s = serve(engine, &state);
            let r = s.request("PUT", "/stream?key=big", &[], &value);
            assert_eq!((r.status, r.text().as_str()), (200, "stored"));
            let mut over = value.clone();
            over.push(0);
            let r = s.request("PUT", "/stream?key=bigger", &[], &over);
            assert_eq!(
                (r.status, r.text()),
                (
                    500,
                    "Error: KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
                        .to_owned()
                )
            );
            assert_eq!(
                result(&s, json!({ "op": "get", "args": ["bigger"] })),
                Value::Null
            );
            // Read as a stream by the Worker, a value arrives in pieces.
            let mid = "m".repeat(3 << 20);
            let r = s.request("PUT", "/stream?key=mid", &[], mid.as_bytes());
            assert_eq!(r.status, 200);
            let read = result(&s, json!({ "op": "get", "args": ["mid", "stream"] }));
            assert!(read["stream"] == json!(mid), "the value reads back whole");
            assert!(read["chunks"].as_u64().unwrap() >= 3, "{}", read["chunks"]);
        }
        // The motu.toml Worker has a 20 MB heap: less than the value, which
        // it reads as a stream and answers with.
        let s = serve_config("motu.toml", engine, &state);
        let r = s.request(
            "GET",
            "/stream?key=big",
            &[("host", "writer.localhost")],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.body.len(), value.len());
        assert!(r.body == value, "the value streams out unchanged");
        let small = s.request(
            "POST",
            "/op",
            &[("host", "writer.localhost")],
            br#"{"op":"put","args":["s","x"]}"#,
        );
        assert_eq!(small.status, 200);
    });
}

#[test]
fn bulk_get_answers_a_map() {
    on_each_backend("kv_bulk_get_answers_a_map", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        result(
            &s,
            json!({ "op": "put", "args": ["a", "1", { "metadata": "m" }] }),
        );
        result(&s, json!({ "op": "put", "args": ["b", "[2]"] }));
        assert_eq!(
            result(&s, json!({ "op": "get", "args": [["a", "b", "zz"]] })),
            json!({ "map": [["a", "1"], ["b", "[2]"], ["zz", null]] })
        );
        assert_eq!(
            result(&s, json!({ "op": "get", "args": [["a", "b"], "json"] })),
            json!({ "map": [["a", 1], ["b", [2]]] })
        );
        assert_eq!(
            result(
                &s,
                json!({ "op": "getWithMetadata", "args": [["a", "zz"], { "type": "text" }] })
            ),
            json!({ "map": [["a", { "value": "1", "metadata": "m" }], ["zz", null]] })
        );
        let keys: Vec<String> = (0..101).map(|i| format!("k{i}")).collect();
        assert_eq!(
            error(&s, json!({ "op": "get", "args": [keys] })),
            err(
                "Error",
                "KV GET_BULK failed: 400 You can request a maximum of 100 keys"
            )
        );
        assert_eq!(
            result(&s, json!({ "op": "get", "args": [keys[..100]] }))["map"]
                .as_array()
                .unwrap()
                .len(),
            100
        );
        assert_eq!(
            error(&s, json!({ "op": "get", "args": [[]] })),
            err(
                "Error",
                "KV GET_BULK failed: 400 You must request a minimum of 1 key"
            )
        );
        assert_eq!(
            error(&s, json!({ "op": "get", "args": [["a"], "arrayBuffer"] })),
            err("Error", "KV GET_BULK failed: 400 \"arrayBuffer\" is not a valid type. Use \"json\" or \"text\"")
        );
        result(&s, json!({ "op": "put", "args": ["plain", "not json"] }));
        assert_eq!(
            error(&s, json!({ "op": "get", "args": [["plain"], "json"] })),
            err("Error", "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value")
        );
    });
}

#[test]
fn list_pages_with_cursors() {
    on_each_backend("kv_list_pages_with_cursors", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        let expiration = now_s() + 3600;
        let mut puts: Vec<Value> = (0..25)
            .map(|i| json!({ "op": "put", "args": [format!("user:{i:02}"), "v", { "metadata": { "i": i } }] }))
            .collect();
        puts.push(json!({ "op": "put", "args": ["other", "v", { "expiration": expiration }] }));
        for answer in ops(&s, puts) {
            assert!(answer.get("error").is_none(), "{answer}");
        }
        let mut names = Vec::new();
        let mut cursor = Value::Null;
        let mut pages = 0;
        loop {
            let page = result(
                &s,
                json!({ "op": "list", "args": [{ "prefix": "user:", "limit": 10, "cursor": cursor }] }),
            );
            pages += 1;
            assert_eq!(page["cacheStatus"], Value::Null);
            for key in page["keys"].as_array().unwrap() {
                let name = key["name"].as_str().unwrap().to_owned();
                let i: u64 = name["user:".len()..].parse().unwrap();
                assert_eq!(key["metadata"], json!({ "i": i }));
                assert!(key.get("expiration").is_none());
                names.push(name);
            }
            if page["list_complete"] == json!(true) {
                assert!(page.get("cursor").is_none(), "{page}");
                break;
            }
            cursor = page["cursor"].clone();
            assert!(cursor.is_string());
        }
        assert_eq!(pages, 3);
        let expected: Vec<String> = (0..25).map(|i| format!("user:{i:02}")).collect();
        assert_eq!(names, expected);
        let all = result(&s, json!({ "op": "list" }));
        assert_eq!(all["keys"].as_array().unwrap().len(), 26);
        assert_eq!(all["list_complete"], json!(true));
        assert_eq!(
            all["keys"][0],
            json!({ "name": "other", "expiration": expiration })
        );
        assert_eq!(
            error(&s, json!({ "op": "list", "args": [{ "limit": 1001 }] })),
            err("Error", "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.")
        );
        assert_eq!(
            error(
                &s,
                json!({ "op": "list", "args": [{ "prefix": "p".repeat(513) }] })
            ),
            err(
                "Error",
                "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
            )
        );
        // Past 1000 keys, a list without a limit answers 1000 and a cursor.
        for batch in 0..2 {
            let puts = (0..500).map(|i| json!({ "op": "put", "args": [format!("many:{:04}", batch * 500 + i), "v"] })).collect();
            assert!(ops(&s, puts).iter().all(|a| a.get("error").is_none()));
        }
        let page = result(&s, json!({ "op": "list" }));
        assert_eq!(page["keys"].as_array().unwrap().len(), 1000);
        assert_eq!(page["list_complete"], json!(false));
        let rest = result(
            &s,
            json!({ "op": "list", "args": [{ "cursor": page["cursor"] }] }),
        );
        assert_eq!(rest["keys"].as_array().unwrap().len(), 26);
        assert_eq!(rest["list_complete"], json!(true));
    });
}

#[test]
fn delete_and_key_names() {
    on_each_backend("kv_delete_and_key_names", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        result(&s, json!({ "op": "put", "args": ["gone", "v"] }));
        assert_eq!(
            result(&s, json!({ "op": "delete", "args": ["gone"] })),
            json!({ "undefined": true })
        );
        assert_eq!(
            result(&s, json!({ "op": "get", "args": ["gone"] })),
            Value::Null
        );
        result(&s, json!({ "op": "delete", "args": ["never-there"] }));
        for method in ["get", "put", "delete"] {
            assert_eq!(
                error(&s, json!({ "op": method, "args": ["", "v"] })),
                err("TypeError", "Key name cannot be empty.")
            );
            assert_eq!(
                error(&s, json!({ "op": method, "args": [".", "v"] })),
                err("TypeError", "\".\" is not allowed as a key name.")
            );
            assert_eq!(
                error(&s, json!({ "op": method, "args": ["..", "v"] })),
                err("TypeError", "\"..\" is not allowed as a key name.")
            );
        }
        // 512 bytes of UTF-8 is the limit, whatever the characters.
        let key = "é".repeat(256);
        result(&s, json!({ "op": "put", "args": [key, "v"] }));
        assert_eq!(result(&s, json!({ "op": "get", "args": [key] })), "v");
        assert_eq!(
            error(&s, json!({ "op": "get", "args": [format!("{key}x")] })),
            err(
                "Error",
                "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
            )
        );
        assert_eq!(
            error(&s, json!({ "op": "delete", "args": [format!("{key}x")] })),
            err("Error", "KV DELETE failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.")
        );
    });
}

#[test]
fn expiration_options_are_checked_and_recorded() {
    on_each_backend("kv_expiration_options", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        let before = now_s();
        result(
            &s,
            json!({ "op": "put", "args": ["ttl", "v", { "expirationTtl": 60 }] }),
        );
        let key = &result(&s, json!({ "op": "list", "args": [{ "prefix": "ttl" }] }))["keys"][0];
        let e = key["expiration"].as_i64().unwrap();
        assert!((before + 60..=now_s() + 60).contains(&e), "{e}");
        let at = now_s() + 120;
        result(
            &s,
            json!({ "op": "put", "args": ["abs", "v", { "expiration": at }] }),
        );
        let key = &result(&s, json!({ "op": "list", "args": [{ "prefix": "abs" }] }))["keys"][0];
        assert_eq!(key["expiration"], json!(at));
        assert_eq!(
            error(&s, json!({ "op": "put", "args": ["k", "v", { "expirationTtl": 59 }] })),
            err("Error", "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60.")
        );
        assert_eq!(
            error(&s, json!({ "op": "put", "args": ["k", "v", { "expirationTtl": 0 }] })),
            err("Error", "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0.")
        );
        let past = now_s() - 10;
        assert_eq!(
            error(&s, json!({ "op": "put", "args": ["k", "v", { "expiration": past }] })),
            err("Error", &format!("KV PUT failed: 400 Invalid expiration of {past}. Please specify integer greater than the current number of seconds since the UNIX epoch."))
        );
        let soon = now_s() + 30;
        assert_eq!(
            error(&s, json!({ "op": "put", "args": ["k", "v", { "expiration": soon }] })),
            err("Error", &format!("KV PUT failed: 400 Invalid expiration of {soon}. Expiration times must be at least 60 seconds in the future."))
        );
        assert_eq!(
            result(&s, json!({ "op": "get", "args": ["k"] })),
            Value::Null,
            "refused puts store nothing"
        );
    });
}

/// Expiry is honoured on read: keys written (by the store, with the server
/// stopped) to expire in the past and in two seconds disappear from `get`,
/// `getWithMetadata`, bulk `get` and `list` when their time comes, with no
/// write in between.
#[test]
fn expired_keys_disappear_on_their_own() {
    on_each_backend("kv_expired_keys_disappear", |engine| {
        let (_dir, state) = state_folder();
        {
            use motu_storage::kv::KvBackend;
            let kv: Box<dyn KvBackend> = match REDIS.with(|r| r.borrow().clone()) {
                Some(url) => {
                    let redis = motu_storage::redis::Redis::connect(&url, &url).unwrap();
                    assert!(redis.wait_until_up(Duration::from_secs(30)));
                    Box::new(motu_storage::redis::RedisKv::open(&redis, NAMESPACE))
                }
                None => {
                    let folder = motu_storage::StateFolder::open(&state).unwrap();
                    let path = folder.store_path("kv", NAMESPACE, "sqlite").unwrap();
                    Box::new(motu_storage::kv::KvStore::open(&path).unwrap())
                }
            };
            let now = now_s();
            kv.put("gone", b"v".to_vec(), Some(now - 10), None).unwrap();
            kv.put("soon", b"v".to_vec(), Some(now + 2), Some("\"m\""))
                .unwrap();
            kv.put("kept", b"v".to_vec(), None, None).unwrap();
        }
        let s = serve(engine, &state);
        let names = || -> Vec<String> {
            result(&s, json!({ "op": "list" }))["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            result(&s, json!({ "op": "get", "args": ["gone"] })),
            Value::Null
        );
        assert!(!names().contains(&"gone".to_owned()));
        assert_eq!(result(&s, json!({ "op": "get", "args": ["soon"] })), "v");
        let deadline = Instant::now() + Duration::from_secs(30);
        while result(&s, json!({ "op": "get", "args": ["soon"] })) != Value::Null {
            assert!(Instant::now() < deadline, "the key did not expire");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(names(), ["kept"]);
        assert_eq!(
            result(&s, json!({ "op": "getWithMetadata", "args": ["soon"] })),
            json!({ "value": null, "metadata": null, "cacheStatus": null })
        );
        assert_eq!(
            result(&s, json!({ "op": "get", "args": [["soon", "kept"]] })),
            json!({ "map": [["soon", null], ["kept", "v"]] })
        );
    });
}

#[test]
fn one_event_makes_at_most_1000_operations() {
    on_each_backend("kv_operation_limit", |engine| {
        let (_dir, state) = state_folder();
        let s = serve(engine, &state);
        let r = s.get("/many?n=1000");
        assert_eq!((r.status, r.text().as_str()), (200, "1000"));
        let r = s.get("/many?n=1001");
        assert_eq!(
            (r.status, r.text().as_str()),
            (
                500,
                "1000 Error: Too many API requests by single worker invocation."
            )
        );
        // Each event has its own count.
        assert_eq!(s.get("/many?n=3").text(), "3");
    });
}

#[test]
fn two_workers_share_one_namespace() {
    on_each_backend("kv_two_workers_share_one_namespace", |engine| {
        let (_dir, state) = state_folder();
        let s = serve_config("motu.toml", engine, &state);
        let writer = [("host", "writer.localhost")];
        let reader = [("host", "reader.localhost")];
        let r = s.request(
            "POST",
            "/op",
            &writer,
            br#"{"op":"put","args":["shared","from writer"]}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let r = s.request("GET", "/?key=shared", &reader, b"");
        assert_eq!((r.status, r.text().as_str()), (200, "from writer"));
        let r = s.request("PUT", "/?key=back", &reader, b"from reader");
        assert_eq!(r.status, 200);
        let r = s.request("POST", "/op", &writer, br#"{"op":"get","args":["back"]}"#);
        assert_eq!(r.json()["result"], "from reader");
        // The Wrangler config's Worker names the same id: the same data.
        drop(s);
        let s = serve(engine, &state);
        assert_eq!(
            result(&s, json!({ "op": "get", "args": ["back"] })),
            "from reader"
        );
    });
}

#[test]
fn a_namespace_file_that_is_not_sqlite_stops_the_start() {
    let (_dir, state) = state_folder();
    std::fs::create_dir_all(state.join("kv")).unwrap();
    let file = state.join(format!("kv/{NAMESPACE}.sqlite"));
    std::fs::write(&file, vec![b'#'; 8192]).unwrap();
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
        stderr.contains(&format!("{} is not a SQLite database", file.display())),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        vec![b'#'; 8192],
        "the file is left alone"
    );
}

#[test]
fn a_throwaway_state_folder_is_removed_at_exit() {
    let before: Vec<_> = throwaway_folders();
    let mut s = Server::start(&[
        "--config",
        &project("wrangler.jsonc"),
        "--persist-to",
        ":memory:",
    ]);
    result(&s, json!({ "op": "put", "args": ["k", "v"] }));
    assert_eq!(result(&s, json!({ "op": "get", "args": ["k"] })), "v");
    let mine: Vec<_> = throwaway_folders()
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    s.signal("TERM");
    assert_eq!(s.wait_exit(Duration::from_secs(30)), Some(0));
    assert!(!mine[0].exists(), "{} is left behind", mine[0].display());
}

fn throwaway_folders() -> Vec<PathBuf> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("motu-state-"))
        })
        .collect()
}

/// The value write `n` stores: a few KiB of text that says which write it
/// is, so that a torn or mixed value shows.
fn durable_value(n: u64) -> String {
    let line = format!("write {n:08} ");
    line.repeat(64 + (n as usize % 7) * 100)
}

#[test]
fn acknowledged_puts_survive_kill_9() {
    on_each_engine("kv_acknowledged_puts_survive_kill_9", |engine| {
        let (_dir, state) = state_folder();
        let start = || serve(engine, &state);
        let write = |addr: &str, n: u64| {
            common::try_request(
                addr,
                "POST",
                &format!("/write?key=w{n}"),
                &[],
                durable_value(n).as_bytes(),
            )
            .is_some_and(|r| r.status == 200 && r.body == b"ok")
        };
        let read = |s: &Server, ns: &[u64]| -> Vec<Seen> {
            let mut seen = Vec::new();
            for chunk in ns.chunks(100) {
                let keys: Vec<String> = chunk.iter().map(|n| format!("w{n}")).collect();
                let map =
                    result(s, json!({ "op": "getWithMetadata", "args": [keys] }))["map"].clone();
                for (n, entry) in chunk.iter().zip(map.as_array().unwrap()) {
                    let value = &entry[1];
                    seen.push(if value.is_null() {
                        Seen::Absent
                    } else if value["value"] == json!(durable_value(*n))
                        && value["metadata"] == json!({ "length": durable_value(*n).len() })
                    {
                        Seen::Whole
                    } else {
                        Seen::Partial(format!("{:.80}", value.to_string()))
                    });
                }
            }
            seen
        };
        let report = KillNine {
            rounds: 20,
            writers: 3,
            start: &start,
            write: &write,
            read: &read,
        }
        .run();
        assert!(report.acknowledged >= 20, "{report:?}");
    });
}
