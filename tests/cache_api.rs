//! The Cache API over HTTP, on both engines: the fixture project
//! `tests/projects/cache-api` (two Workers, `a` and `b`) drives
//! `caches.default` and `caches.open()` through its `/op` route; each
//! server gets a state folder of its own (`--persist-to`).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{on_each_engine, Server};
use serde_json::{json, Value};

fn config(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/projects/cache-api")
        .join(file)
        .to_str()
        .unwrap()
        .to_owned()
}

fn serve_config(file: &str, engine: &str, state: &Path) -> Server {
    Server::start(&[
        "--config",
        &config(file),
        "--engine",
        engine,
        "--persist-to",
        state.to_str().unwrap(),
    ])
}

fn serve(engine: &str, state: &Path) -> Server {
    serve_config("motu.toml", engine, state)
}

fn state_folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    (dir, state)
}

/// One operation through Worker `worker` (`a` or `b`).
fn op_on(server: &Server, worker: &str, op: Value) -> Value {
    let host = format!("{worker}.localhost");
    let body = serde_json::to_vec(&op).unwrap();
    server
        .request("POST", "/op", &[("host", &host)], &body)
        .json()
}

fn result(server: &Server, op: Value) -> Value {
    let answer = op_on(server, "a", op.clone());
    assert!(answer.get("error").is_none(), "{op} failed: {answer}");
    answer["result"].clone()
}

fn error(server: &Server, op: Value) -> (String, String) {
    let answer = op_on(server, "a", op.clone());
    let e = answer
        .get("error")
        .unwrap_or_else(|| panic!("{op} should fail: {answer}"));
    (
        e["name"].as_str().unwrap().to_owned(),
        e["message"].as_str().unwrap().to_owned(),
    )
}

const URL: &str = "https://example.test/page";

fn put(server: &Server, url: &str, body: &str, headers: Value) {
    result(
        server,
        json!({ "op": "put", "url": url, "body": body, "headers": headers }),
    );
}

fn matched(server: &Server, url: &str) -> Value {
    result(server, json!({ "op": "match", "url": url }))
}

#[test]
fn a_put_response_is_matched_until_deleted() {
    on_each_engine("cache_put_match_delete", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        assert_eq!(matched(&server, URL), "miss");
        put(
            &server,
            URL,
            "cached body",
            json!({ "cache-control": "max-age=600", "x-mine": "1", "content-type": "text/plain" }),
        );
        let hit = matched(&server, URL);
        assert_eq!(hit["status"], 200, "{hit}");
        assert_eq!(hit["body"], "cached body");
        assert_eq!(hit["headers"]["x-mine"], "1");
        assert_eq!(hit["headers"]["cf-cache-status"], "HIT");
        assert_eq!(hit["headers"]["content-type"], "text/plain");
        // A named cache is another cache; so is one of another Worker.
        let named = result(
            &server,
            json!({ "op": "match", "cache": "other", "url": URL }),
        );
        assert_eq!(named, "miss");
        let b = op_on(&server, "b", json!({ "op": "match", "url": URL }));
        assert_eq!(b["result"], "miss", "Worker b sees Worker a's cache: {b}");
        // Only GET requests match, unless the method is ignored.
        let post = json!({ "op": "match", "url": URL, "method": "POST" });
        assert_eq!(result(&server, post), "miss");
        let ignored = json!({ "op": "match", "url": URL, "method": "POST", "ignoreMethod": true });
        assert_eq!(result(&server, ignored)["body"], "cached body");
        // A string key is a GET of that URL; a put replaces.
        result(
            &server,
            json!({ "op": "putString", "url": URL, "body": "replaced" }),
        );
        assert_eq!(matched(&server, URL)["body"], "replaced");
        assert_eq!(result(&server, json!({ "op": "delete", "url": URL })), true);
        assert_eq!(matched(&server, URL), "miss");
        assert_eq!(
            result(&server, json!({ "op": "delete", "url": URL })),
            false
        );
        // A streamed body is read whole, and the response is used up.
        let url = "https://example.test/stream";
        assert_eq!(
            result(&server, json!({ "op": "putStream", "url": url })),
            true
        );
        assert_eq!(matched(&server, url)["body"], "one two three");
    });
}

#[test]
fn the_response_headers_decide_what_is_stored() {
    on_each_engine("cache_headers_decide", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let cases = [
            ("no-store", json!({ "cache-control": "no-store" }), false),
            (
                "private",
                json!({ "cache-control": "private, max-age=60" }),
                false,
            ),
            ("no-cache", json!({ "cache-control": "no-cache" }), false),
            ("cookie", json!({ "set-cookie": "id=1" }), false),
            ("max-age-0", json!({ "cache-control": "max-age=0" }), false),
            ("plain", json!({}), true),
            (
                "private-cookie",
                json!({ "cache-control": "private=Set-Cookie, max-age=60", "set-cookie": "id=1" }),
                true,
            ),
        ];
        for (name, headers, stored) in cases {
            let url = format!("https://example.test/{name}");
            put(&server, &url, name, headers);
            let found = matched(&server, &url);
            assert_eq!(found != "miss", stored, "{name}: {found}");
            if stored {
                assert!(found["headers"].get("set-cookie").is_none(), "{found}");
            }
        }
        // A status with no default time to live is stored only with one.
        let url = "https://example.test/error";
        result(
            &server,
            json!({ "op": "put", "url": url, "status": 500, "body": "e" }),
        );
        assert_eq!(matched(&server, url), "miss");
        result(
            &server,
            json!({ "op": "put", "url": url, "status": 500, "body": "e",
                    "headers": { "cache-control": "max-age=60" } }),
        );
        assert_eq!(matched(&server, url)["status"], 500);
        // A 304 is dropped without an error.
        result(
            &server,
            json!({ "op": "put", "url": "https://example.test/304", "status": 304 }),
        );
        assert_eq!(matched(&server, "https://example.test/304"), "miss");
    });
}

#[test]
fn puts_cloudflare_refuses_throw_its_errors() {
    on_each_engine("cache_put_errors", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let type_error = |message: &str| ("TypeError".to_owned(), message.to_owned());
        assert_eq!(
            error(
                &server,
                json!({ "op": "put", "url": URL, "method": "POST", "body": "x" })
            ),
            type_error("Cannot cache response to non-GET request.")
        );
        assert_eq!(
            error(
                &server,
                json!({ "op": "put", "url": URL, "status": 206, "body": "x" })
            ),
            type_error("Cannot cache response to a range request (206 Partial Content).")
        );
        assert_eq!(
            error(
                &server,
                json!({ "op": "put", "url": URL, "headers": { "vary": "accept, *" } })
            ),
            type_error("Cannot cache response with 'Vary: *' header.")
        );
        let (name, message) = error(&server, json!({ "op": "putUsedBody", "url": URL }));
        assert_eq!(name, "TypeError");
        assert!(message.contains("already been used"), "{message}");
        let (name, message) = error(&server, json!({ "op": "add", "url": URL }));
        assert_eq!(name, "TypeError");
        assert!(message.contains("not implemented"), "{message}");
        let (name, message) = error(&server, json!({ "op": "newCache" }));
        assert_eq!(
            (name.as_str(), message.as_str()),
            ("TypeError", "Illegal constructor")
        );
        assert_eq!(
            result(&server, json!({ "op": "kinds" })),
            json!(["[object CacheStorage]", "[object Cache]", "function", true])
        );
    });
}

#[test]
fn conditional_and_ranged_matches_answer_as_a_cache_does() {
    on_each_engine("cache_conditional_ranged", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        put(
            &server,
            URL,
            "0123456789",
            json!({ "etag": "\"v1\"", "cache-control": "max-age=600" }),
        );
        let with = |headers: Value| {
            result(
                &server,
                json!({ "op": "match", "url": URL, "requestHeaders": headers }),
            )
        };
        let not_modified = with(json!({ "if-none-match": "\"v1\"" }));
        assert_eq!(not_modified["status"], 304, "{not_modified}");
        assert_eq!(not_modified["body"], "");
        assert_eq!(with(json!({ "if-none-match": "\"v2\"" }))["status"], 200);
        let ranged = with(json!({ "range": "bytes=2-4" }));
        assert_eq!(ranged["status"], 206, "{ranged}");
        assert_eq!(ranged["body"], "234");
        assert_eq!(ranged["headers"]["content-range"], "bytes 2-4/10");
        assert_eq!(with(json!({ "range": "bytes=20-" }))["status"], 416);
        // Vary: only a request with the same header values matches.
        let url = "https://example.test/lang";
        result(
            &server,
            json!({ "op": "put", "url": url, "body": "bonjour",
                    "requestHeaders": { "accept-language": "fr" },
                    "headers": { "vary": "Accept-Language" } }),
        );
        let lang = |l: &str| {
            result(
                &server,
                json!({ "op": "match", "url": url, "requestHeaders": { "accept-language": l } }),
            )
        };
        assert_eq!(lang("fr")["body"], "bonjour");
        assert_eq!(lang("en"), "miss");
    });
}

#[test]
fn entries_expire_and_survive_a_restart() {
    on_each_engine("cache_expiry_restart", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let short = "https://example.test/short";
        put(
            &server,
            short,
            "brief",
            json!({ "cache-control": "max-age=1" }),
        );
        put(
            &server,
            URL,
            "kept",
            json!({ "cache-control": "max-age=600" }),
        );
        // The short entry goes once its second is over (waited for, not
        // slept: the first match may come after it already went).
        let start = Instant::now();
        while matched(&server, short) != "miss" {
            assert!(start.elapsed() < Duration::from_secs(30), "never expired");
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(server);
        let server = serve(engine, &state);
        assert_eq!(matched(&server, URL)["body"], "kept");
        assert!(state.join("cache/cache.sqlite").is_file());
    });
}

#[test]
fn a_full_cache_lets_the_least_recently_used_go() {
    on_each_engine("cache_lru", |engine| {
        let (_dir, state) = state_folder();
        // [cache] max_mb = 1: room for two entries of 400 KB, not three.
        let server = serve_config("small.toml", engine, &state);
        let big = |url: &str| {
            result(
                &server,
                json!({ "op": "put", "url": url, "body": "x", "repeat": 400_000 }),
            )
        };
        big("https://example.test/1");
        big("https://example.test/2");
        // Matching 1 makes 2 the least recently used.
        assert_ne!(matched(&server, "https://example.test/1"), "miss");
        big("https://example.test/3");
        assert_eq!(matched(&server, "https://example.test/2"), "miss");
        assert_ne!(matched(&server, "https://example.test/1"), "miss");
        assert_ne!(matched(&server, "https://example.test/3"), "miss");
        // Larger than the whole cache: refused with an error.
        let (name, message) = error(
            &server,
            json!({ "op": "put", "url": URL, "body": "x", "repeat": 1_100_000 }),
        );
        assert_eq!(name, "Error");
        assert!(message.contains("[cache] max_mb"), "{message}");
    });
}
