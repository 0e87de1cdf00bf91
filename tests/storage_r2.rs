//! R2 bucket bindings against the real server, on every engine, through
//! the fixture project `tests/projects/storage-r2` (a TypeScript Worker
//! whose routes each do one R2 operation): every method and option of the
//! Workers API, conditional gets and puts, ranges, checksums, listing with
//! a delimiter and cursors, multipart uploads, R2's limits and errors, data
//! surviving a restart and `kill -9`, two Workers sharing a bucket, and a
//! large streamed upload and download whose server memory stays far below
//! their size.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use common::durability::{KillNine, Seen};
use common::{on_each_engine, Response, Server};
use md5::{Digest, Md5};
use serde_json::{json, Value};

/// A copy of the fixture project in a fresh temporary folder (its state
/// folder, `.motu/state`, is made there).
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/projects/storage-r2"),
        dir.path(),
    );
    dir
}

fn serve(dir: &tempfile::TempDir, engine: &str) -> Server {
    serve_with_env(dir, engine, &[])
}

fn serve_with_env(dir: &tempfile::TempDir, engine: &str, env: &[(&str, &str)]) -> Server {
    let config = dir.path().join("wrangler.jsonc");
    Server::start_with_env(
        &["--config", config.to_str().unwrap(), "--engine", engine],
        env,
    )
}

fn md5_hex(data: &[u8]) -> String {
    hex(&Md5::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn put(s: &Server, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    s.request("PUT", path, headers, body)
}

/// The JSON of a response that must have succeeded.
fn ok_json(r: Response) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// The message of an operation that must have failed with an `Error`.
fn error(r: Response) -> String {
    assert_eq!(r.status, 400, "{}", r.text());
    let v = r.json();
    v["message"].as_str().unwrap().to_owned()
}

#[test]
fn objects_round_trip_with_their_metadata() {
    on_each_engine("objects_round_trip_with_their_metadata", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        let body = b"hello, R2";
        let stored = ok_json(put(
            &s,
            "/put/docs/hello.txt",
            &[
                ("content-type", "text/plain; charset=utf-8"),
                ("content-language", "en"),
                ("content-disposition", "inline"),
                ("cache-control", "max-age=60"),
                ("expires", "Wed, 21 Oct 2026 07:28:00 GMT"),
                ("x-meta-owner", "ada"),
                ("x-meta-team", "engines"),
            ],
            body,
        ));
        assert_eq!(stored["key"], "docs/hello.txt");
        assert_eq!(stored["size"], body.len());
        assert_eq!(stored["etag"], md5_hex(body));
        assert_eq!(stored["httpEtag"], format!("\"{}\"", md5_hex(body)));
        assert_eq!(stored["checksums"], json!({ "md5": md5_hex(body) }));
        assert_eq!(stored["md5Bytes"], 16);
        assert_eq!(stored["storageClass"], "Standard");
        assert_eq!(stored["isDate"], true);
        assert_eq!(stored["className"], "[object R2Object]");
        assert_eq!(stored["hasBody"], false);
        let version = stored["version"].as_str().unwrap();
        assert_eq!(version.len(), 32, "{stored}");
        assert_eq!(
            stored["httpMetadata"],
            json!({
                "contentType": "text/plain; charset=utf-8",
                "contentLanguage": "en",
                "contentDisposition": "inline",
                "cacheControl": "max-age=60",
                "cacheExpiry": "2026-10-21T07:28:00.000Z",
            })
        );
        assert_eq!(
            stored["customMetadata"],
            json!({ "owner": "ada", "team": "engines" })
        );

        let got = s.get("/get/docs/hello.txt");
        assert_eq!(got.status, 200);
        assert_eq!(got.body, body);
        assert_eq!(
            got.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(got.header("content-language"), Some("en"));
        assert_eq!(got.header("cache-control"), Some("max-age=60"));
        assert_eq!(got.header("expires"), Some("Wed, 21 Oct 2026 07:28:00 GMT"));
        assert_eq!(
            got.header("etag"),
            Some(format!("\"{}\"", md5_hex(body)).as_str())
        );
        let object: Value = serde_json::from_str(got.header("x-object").unwrap()).unwrap();
        assert_eq!(object["className"], "[object R2ObjectBody]");
        assert_eq!(object["hasBody"], true);
        assert_eq!(object["version"], version);
        assert_eq!(object["uploadedMs"], stored["uploadedMs"]);
        assert_eq!(
            object["range"],
            json!({ "offset": 0, "length": body.len() })
        );

        let head = ok_json(s.get("/head/docs/hello.txt"));
        assert_eq!(head["etag"], stored["etag"]);
        assert_eq!(head["customMetadata"], stored["customMetadata"]);
        assert_eq!(head["className"], "[object R2Object]");
        assert_eq!(ok_json(s.get("/head/missing")), Value::Null);
        assert_eq!(s.get("/get/missing").status, 404);

        // Overwritten: a new version and body.
        let again = ok_json(put(&s, "/put/docs/hello.txt", &[], b"bye"));
        assert_ne!(again["version"], stored["version"]);
        assert_eq!(again["httpMetadata"], json!({}));
        assert_eq!(again["customMetadata"], json!({}));
        assert_eq!(s.get("/get/docs/hello.txt").body, b"bye");

        // httpMetadata as an object, with a Date.
        let object_form = ok_json(put(
            &s,
            "/put/o?http=object&contentType=image/png&cacheExpiry=1700000000000",
            &[],
            b"png",
        ));
        assert_eq!(
            object_form["httpMetadata"],
            json!({ "contentType": "image/png", "cacheExpiry": "2023-11-14T22:13:20.000Z" })
        );
        let types = ok_json(s.get("/types/o"));
        assert_eq!(types["bucket"], "[object R2Bucket]");
        assert_eq!(types["object"], "[object R2ObjectBody]");
        assert_eq!(types["body"], "[object ReadableStream]");
    });
}

#[test]
fn every_kind_of_value_can_be_stored() {
    on_each_engine("every_kind_of_value_can_be_stored", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        let data = b"value bytes";
        for as_ in ["text", "buffer", "view", "blob", "stream"] {
            let stored = ok_json(put(&s, &format!("/put/v-{as_}?as={as_}"), &[], data));
            assert_eq!(stored["size"], data.len(), "{as_}");
            assert_eq!(stored["etag"], md5_hex(data), "{as_}");
            assert_eq!(s.get(&format!("/get/v-{as_}")).body, data, "{as_}");
        }
        let empty = ok_json(put(&s, "/put/v-null?as=null", &[], b""));
        assert_eq!(empty["size"], 0);
        assert_eq!(empty["etag"], md5_hex(b""));
        assert_eq!(s.get("/get/v-null").body, b"");
        // A stream the Worker makes: 5 pieces of 400 KiB, written as they come.
        let generated = ok_json(put(
            &s,
            "/put/v-generated?as=generated&n=5&size=409600",
            &[],
            b"",
        ));
        let expected: Vec<u8> = (0..5u8).flat_map(|i| vec![i; 409600]).collect();
        assert_eq!(generated["size"], expected.len());
        assert_eq!(generated["etag"], md5_hex(&expected));
        assert_eq!(s.get("/get/v-generated").body, expected);
        let r = put(&s, "/put/v-number?as=number", &[], b"");
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["name"], "TypeError", "{}", r.text());
    });
}

#[test]
fn bodies_are_read_by_every_method() {
    on_each_engine("bodies_are_read_by_every_method", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        put(
            &s,
            "/put/j.json",
            &[("content-type", "application/json")],
            br#"{"a":[1,2]}"#,
        );
        assert_eq!(s.get("/get/j.json?read=text").text(), r#"{"a":[1,2]}"#);
        let parsed = ok_json(s.get("/get/j.json?read=json"));
        assert_eq!(parsed, json!({ "parsed": { "a": [1, 2] }, "used": true }));
        assert_eq!(
            s.get("/get/j.json?read=arrayBuffer").body,
            br#"{"a":[1,2]}"#
        );
        let blob = s.get("/get/j.json?read=blob");
        assert_eq!(blob.body, br#"{"a":[1,2]}"#);
        assert_eq!(blob.header("x-blob-type"), Some("application/json"));
        let twice = ok_json(s.get("/get/j.json?read=twice"));
        assert_eq!(twice["first"], r#"{"a":[1,2]}"#);
        assert_eq!(twice["name"], "TypeError");
        assert_eq!(
            twice["error"],
            "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."
        );
        assert_eq!(twice["used"], true);
        // A 3.5 MiB object comes in pieces, read as the stream is pulled.
        let big: Vec<u8> = (0..(7 << 19)).map(|i: u32| (i % 253) as u8).collect();
        ok_json(put(&s, "/put/big", &[], &big));
        let streamed = ok_json(s.get("/get/big?read=stream"));
        assert_eq!(streamed["bytes"], big.len());
        assert!(streamed["pieces"].as_u64().unwrap() >= 4, "{streamed}");
        assert_eq!(streamed["used"], true);
        assert_eq!(s.get("/get/big").body, big);
        assert_eq!(s.get("/get/big?read=arrayBuffer").body, big);
        assert_eq!(ok_json(s.get("/get/big?read=cancel"))["first"], 1 << 20);
    });
}

#[test]
fn conditional_gets_return_the_object_without_its_body() {
    on_each_engine(
        "conditional_gets_return_the_object_without_its_body",
        |engine| {
            let dir = project();
            let s = serve(&dir, engine);
            let stored = ok_json(put(&s, "/put/c", &[], b"conditional"));
            let etag = stored["etag"].as_str().unwrap().to_owned();
            let uploaded = stored["uploadedMs"].as_i64().unwrap();
            let failed = |r: Response| {
                assert_eq!(r.status, 412, "{}", r.text());
                let object: Value = serde_json::from_str(r.header("x-object").unwrap()).unwrap();
                assert_eq!(object["hasBody"], false);
                assert_eq!(object["className"], "[object R2Object]");
                assert_eq!(object["etag"], etag.as_str());
            };
            let passed = |r: Response| {
                assert_eq!(r.status, 200, "{}", r.text());
                assert_eq!(r.body, b"conditional");
            };
            // R2Conditional objects.
            passed(s.get(&format!("/get/c?etagMatches={etag}")));
            failed(s.get("/get/c?etagMatches=other"));
            failed(s.get(&format!("/get/c?etagDoesNotMatch={etag}")));
            passed(s.get("/get/c?etagDoesNotMatch=other"));
            passed(s.get(&format!("/get/c?uploadedAfter={}", uploaded - 1)));
            failed(s.get(&format!("/get/c?uploadedAfter={uploaded}")));
            passed(s.get(&format!("/get/c?uploadedBefore={}", uploaded + 1)));
            failed(s.get(&format!("/get/c?uploadedBefore={uploaded}")));
            // Conditional headers.
            let quoted = format!("\"{etag}\"");
            failed(s.request("GET", "/get/c", &[("if-none-match", &quoted)], b""));
            passed(s.request("GET", "/get/c", &[("if-none-match", "\"x\", W/\"y\"")], b""));
            passed(s.request("GET", "/get/c", &[("if-match", &quoted)], b""));
            failed(s.request("GET", "/get/c", &[("if-match", "\"x\"")], b""));
            passed(s.request("GET", "/get/c", &[("if-match", "*")], b""));
            failed(s.request(
                "GET",
                "/get/c",
                &[("if-modified-since", "Thu, 01 Jan 2099 00:00:00 GMT")],
                b"",
            ));
            passed(s.request(
                "GET",
                "/get/c",
                &[("if-unmodified-since", "Thu, 01 Jan 2099 00:00:00 GMT")],
                b"",
            ));
        },
    );
}

#[test]
fn conditional_puts_store_only_when_the_condition_holds() {
    on_each_engine(
        "conditional_puts_store_only_when_the_condition_holds",
        |engine| {
            let dir = project();
            let s = serve(&dir, engine);
            // Only if absent: the first put stores, the second does not.
            let first = put(&s, "/put/p", &[("if-none-match", "*")], b"one");
            assert_eq!(first.status, 200, "{}", first.text());
            let second = put(&s, "/put/p", &[("if-none-match", "*")], b"two");
            assert_eq!(second.status, 412);
            assert_eq!(second.json(), Value::Null);
            assert_eq!(s.get("/get/p").body, b"one");
            let etag = first.json()["etag"].as_str().unwrap().to_owned();
            assert_eq!(put(&s, "/put/p?etagMatches=nope", &[], b"two").status, 412);
            assert_eq!(
                put(&s, "/put/p", &[("if-match", "\"nope\"")], b"two").status,
                412
            );
            let replaced = ok_json(put(&s, &format!("/put/p?etagMatches={etag}"), &[], b"two"));
            assert_eq!(replaced["etag"], md5_hex(b"two"));
            assert_eq!(
                put(&s, "/put/q?etagMatches=any", &[], b"x").status,
                412,
                "no object to match"
            );
            assert_eq!(ok_json(s.get("/head/q")), Value::Null);
            assert_eq!(s.get("/get/p").body, b"two");
        },
    );
}

#[test]
fn ranged_gets_return_the_bytes_asked_for() {
    on_each_engine("ranged_gets_return_the_bytes_asked_for", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        put(&s, "/put/r", &[], b"0123456789");
        let ranged = |path: &str, headers: &[(&str, &str)]| {
            let r = s.request("GET", path, headers, b"");
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            let object: Value = serde_json::from_str(r.header("x-object").unwrap()).unwrap();
            (String::from_utf8(r.body).unwrap(), object["range"].clone())
        };
        assert_eq!(
            ranged("/get/r?offset=2&length=3", &[]),
            ("234".into(), json!({ "offset": 2, "length": 3 }))
        );
        assert_eq!(ranged("/get/r?offset=7", &[]).0, "789");
        assert_eq!(ranged("/get/r?length=2", &[]).0, "01");
        assert_eq!(
            ranged("/get/r?suffix=4", &[]),
            ("6789".into(), json!({ "offset": 6, "length": 4 }))
        );
        assert_eq!(ranged("/get/r?offset=8&length=50", &[]).0, "89");
        assert_eq!(ranged("/get/r", &[("range", "bytes=3-5")]).0, "345");
        assert_eq!(ranged("/get/r", &[("range", "bytes=-2")]).0, "89");
        assert_eq!(
            ranged("/get/r", &[("range", "bytes=0-1, 4-5")]).0,
            "0123456789"
        );
        assert_eq!(
            error(s.get("/get/r?offset=11")),
            "get: The requested range is not satisfiable (10039)"
        );
        // A range of a large object, across its pieces.
        let big: Vec<u8> = (0..(3u32 << 20)).map(|i| (i % 251) as u8).collect();
        put(&s, "/put/big", &[], &big);
        let from = (1 << 20) - 10;
        let r = s.get(&format!("/get/big?offset={from}&length=2000000"));
        assert_eq!(r.body, &big[from..from + 2_000_000]);
    });
}

#[test]
fn checksums_are_verified_and_kept() {
    on_each_engine("checksums_are_verified_and_kept", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        let data = b"checked";
        let actual = hex(&sha2::Sha256::digest(data));
        let wrong = hex(&sha2::Sha256::digest(b"something else"));
        assert_eq!(
            error(put(&s, &format!("/put/k?sha256={wrong}"), &[], data)),
            format!(
                "put: The SHA-256 checksum you specified did not match what we received.\n\
                 You provided a SHA-256 checksum with value: {wrong}\n\
                 Actual SHA-256 was: {actual} (10037)"
            )
        );
        assert_eq!(ok_json(s.get("/head/k")), Value::Null, "nothing stored");
        let stored = ok_json(put(&s, &format!("/put/k?sha256={actual}"), &[], data));
        assert_eq!(
            stored["checksums"],
            json!({ "md5": md5_hex(data), "sha256": actual })
        );
        assert_eq!(ok_json(s.get("/head/k"))["checksums"], stored["checksums"]);
        // MD5 given as an ArrayBuffer.
        let md5 = md5_hex(data);
        let by_buffer = ok_json(put(
            &s,
            &format!("/put/m?md5={md5}&checksumAs=buffer"),
            &[],
            data,
        ));
        assert_eq!(by_buffer["checksums"], json!({ "md5": md5 }));
        let wrong = format!("{}0", &md5[..31]);
        assert!(error(put(&s, &format!("/put/m?md5={wrong}"), &[], data))
            .starts_with("put: The MD5 checksum you specified did not match what we received."));
        // Every algorithm: the wrong digest says which one it was.
        for (alg, name, len) in [
            ("sha1", "SHA-1", 40),
            ("sha384", "SHA-384", 96),
            ("sha512", "SHA-512", 128),
        ] {
            let e = error(put(
                &s,
                &format!("/put/n?{alg}={}", "0".repeat(len)),
                &[],
                data,
            ));
            assert!(
                e.starts_with(&format!(
                    "put: The {name} checksum you specified did not match"
                )),
                "{e}"
            );
        }
    });
}

#[test]
fn delete_removes_one_key_or_several() {
    on_each_engine("delete_removes_one_key_or_several", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        for k in ["a", "b", "c", "d"] {
            put(&s, &format!("/put/{k}"), &[], k.as_bytes());
        }
        assert_eq!(
            ok_json(s.request("DELETE", "/delete/a", &[], b"")),
            json!({ "deleted": null })
        );
        assert_eq!(ok_json(s.get("/head/a")), Value::Null);
        ok_json(s.request("POST", "/delete", &[], br#"["b", "c", "never-was"]"#));
        let listed = ok_json(s.get("/list"));
        let keys: Vec<&str> = listed["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["d"]);
        let many =
            serde_json::to_vec(&(0..1001).map(|i| i.to_string()).collect::<Vec<_>>()).unwrap();
        let e = error(s.request("POST", "/delete", &[], &many));
        assert!(e.starts_with("delete: ") && e.ends_with("(10029)"), "{e}");
    });
}

fn listed_keys(v: &Value) -> Vec<String> {
    v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn list_pages_with_prefixes_delimiters_and_cursors() {
    on_each_engine(
        "list_pages_with_prefixes_delimiters_and_cursors",
        |engine| {
            let dir = project();
            let s = serve(&dir, engine);
            let keys = [
                "a",
                "photos/2024/1.jpg",
                "photos/2024/2.jpg",
                "photos/2025/1.jpg",
                "photos/cover.jpg",
                "videos/x.mp4",
                "z",
            ];
            for k in keys {
                put(
                    &s,
                    &format!("/put/{k}"),
                    &[("content-type", "x/y"), ("x-meta-k", k)],
                    k.as_bytes(),
                );
            }
            let all = ok_json(s.get("/list"));
            assert_eq!(listed_keys(&all), keys);
            assert_eq!(all["truncated"], false);
            assert_eq!(all["hasCursor"], false);
            assert_eq!(all["delimitedPrefixes"], json!([]));
            // Without include, no metadata; with it, what was asked for.
            assert_eq!(all["objects"][0]["httpMetadata"], Value::Null);
            assert_eq!(all["objects"][0]["customMetadata"], Value::Null);
            let with = ok_json(s.get("/list?include=httpMetadata,customMetadata&limit=1"));
            assert_eq!(
                with["objects"][0]["httpMetadata"],
                json!({ "contentType": "x/y" })
            );
            assert_eq!(with["objects"][0]["customMetadata"], json!({ "k": "a" }));
            let custom = ok_json(s.get("/list?include=customMetadata&limit=1"));
            assert_eq!(custom["objects"][0]["httpMetadata"], Value::Null);
            // Delimited.
            let top = ok_json(s.get("/list?delimiter=/"));
            assert_eq!(listed_keys(&top), ["a", "z"]);
            assert_eq!(top["delimitedPrefixes"], json!(["photos/", "videos/"]));
            let photos = ok_json(s.get("/list?delimiter=/&prefix=photos/"));
            assert_eq!(listed_keys(&photos), ["photos/cover.jpg"]);
            assert_eq!(
                photos["delimitedPrefixes"],
                json!(["photos/2024/", "photos/2025/"])
            );
            // Pages of two, with the cursor, delimited: four entries in all.
            let mut entries = Vec::new();
            let mut cursor = String::new();
            for page in 0.. {
                assert!(page < 10, "the pages end");
                let path = format!("/list?delimiter=/&limit=2{cursor}");
                let v = ok_json(s.get(&path));
                let n = v["objects"].as_array().unwrap().len()
                    + v["delimitedPrefixes"].as_array().unwrap().len();
                assert!(n <= 2, "{v}");
                entries.extend(listed_keys(&v));
                entries.extend(
                    v["delimitedPrefixes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| p.as_str().unwrap().to_owned()),
                );
                if v["truncated"] == false {
                    assert_eq!(v["hasCursor"], false);
                    break;
                }
                cursor = format!("&cursor={}", v["cursor"].as_str().unwrap());
            }
            entries.sort();
            assert_eq!(entries, ["a", "photos/", "videos/", "z"]);
            // Pages of three without a delimiter see every key once.
            let mut seen = Vec::new();
            let mut cursor = String::new();
            loop {
                let v = ok_json(s.get(&format!("/list?limit=3{cursor}")));
                seen.extend(listed_keys(&v));
                if v["truncated"] == false {
                    break;
                }
                cursor = format!("&cursor={}", v["cursor"].as_str().unwrap());
            }
            assert_eq!(seen, keys);
            let after = ok_json(s.get("/list?startAfter=photos/2025/1.jpg"));
            assert_eq!(
                listed_keys(&after),
                ["photos/cover.jpg", "videos/x.mp4", "z"]
            );
            for limit in ["0", "1001"] {
                assert_eq!(
                    error(s.get(&format!("/list?limit={limit}"))),
                    "list: MaxKeys params must be positive integer <= 1000. (10022)"
                );
            }
        },
    );
}

const PART: usize = 5 << 20;

#[test]
fn multipart_uploads_join_their_parts() {
    on_each_engine("multipart_uploads_join_their_parts", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        let created = ok_json(s.request(
            "POST",
            "/mpu/big.bin?action=create",
            &[
                ("content-type", "application/octet-stream"),
                ("x-meta-kind", "parts"),
            ],
            b"",
        ));
        assert_eq!(created["key"], "big.bin");
        let id = created["uploadId"].as_str().unwrap().to_owned();
        let parts: Vec<Vec<u8>> = vec![
            (0..PART).map(|i| (i % 241) as u8).collect(),
            (0..PART).map(|i| (i % 239) as u8).collect(),
            vec![7; 1000],
        ];
        let mut uploaded = Vec::new();
        // Out of order, streamed from the request body.
        for number in [3, 1, 2] {
            let part = ok_json(put(
                &s,
                &format!("/mpu/big.bin?action=part&uploadId={id}&partNumber={number}"),
                &[],
                &parts[number - 1],
            ));
            assert_eq!(part["partNumber"], number);
            assert_eq!(part["etag"], md5_hex(&parts[number - 1]));
            uploaded.push(part);
        }
        uploaded.sort_by_key(|p| p["partNumber"].as_u64());
        let object = ok_json(s.request(
            "POST",
            &format!("/mpu/big.bin?action=complete&uploadId={id}"),
            &[],
            serde_json::to_string(&uploaded).unwrap().as_bytes(),
        ));
        let mut md5s = Md5::new();
        for p in &parts {
            md5s.update(Md5::digest(p));
        }
        let etag = format!("{}-3", hex(&md5s.finalize()));
        assert_eq!(object["etag"], etag);
        assert_eq!(object["size"], 2 * PART + 1000);
        assert_eq!(object["customMetadata"], json!({ "kind": "parts" }));
        assert_eq!(object["checksums"], json!({}));
        let got = s.get("/get/big.bin");
        assert_eq!(got.body, parts.concat());
        assert_eq!(got.header("content-type"), Some("application/octet-stream"));
        assert_eq!(got.header("etag"), Some(format!("\"{etag}\"").as_str()));
        // A range across parts 1 and 2.
        let across = s.get(&format!("/get/big.bin?offset={}&length=10", PART - 5));
        assert_eq!(across.body, parts.concat()[PART - 5..PART + 5]);
        // Completed: no more parts; aborting is allowed and changes nothing.
        let late = put(
            &s,
            &format!("/mpu/big.bin?action=part&uploadId={id}&partNumber=4"),
            &[],
            b"x",
        );
        assert_eq!(
            error(late),
            "uploadPart: The specified multipart upload does not exist. (10024)"
        );
        ok_json(s.request(
            "DELETE",
            &format!("/mpu/big.bin?action=abort&uploadId={id}"),
            &[],
            b"",
        ));
        assert_eq!(s.get("/get/big.bin").body.len(), 2 * PART + 1000);
    });
}

#[test]
fn multipart_rules_fail_with_r2s_errors() {
    on_each_engine("multipart_rules_fail_with_r2s_errors", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        let id = ok_json(s.request("POST", "/mpu/m?action=create", &[], b""))["uploadId"]
            .as_str()
            .unwrap()
            .to_owned();
        let part = |n: usize, body: &[u8]| {
            ok_json(put(
                &s,
                &format!("/mpu/m?action=part&uploadId={id}&partNumber={n}"),
                &[],
                body,
            ))
        };
        let complete = |parts: &Value| {
            s.request(
                "POST",
                &format!("/mpu/m?action=complete&uploadId={id}"),
                &[],
                parts.to_string().as_bytes(),
            )
        };
        let p1 = part(1, b"too small");
        let p2 = part(2, b"last");
        assert_eq!(
            error(complete(&json!([p1, p2]))),
            "completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)"
        );
        assert_eq!(
            error(complete(&json!([{ "partNumber": 2, "etag": "0".repeat(32) }]))),
            "completeMultipartUpload: One or more of the specified parts could not be found. (10025)"
        );
        let unknown = s.request("DELETE", "/mpu/m?action=abort&uploadId=nope", &[], b"");
        assert_eq!(
            error(unknown),
            "abortMultipartUpload: The specified multipart upload does not exist. (10024)"
        );
        ok_json(s.request(
            "DELETE",
            &format!("/mpu/m?action=abort&uploadId={id}"),
            &[],
            b"",
        ));
        let after = put(
            &s,
            &format!("/mpu/m?action=part&uploadId={id}&partNumber=3"),
            &[],
            b"x",
        );
        assert_eq!(
            error(after),
            "uploadPart: The specified multipart upload does not exist. (10024)"
        );
        assert_eq!(ok_json(s.get("/head/m")), Value::Null);
    });
}

#[test]
fn limits_and_misuse_fail_as_r2_fails_them() {
    on_each_engine("limits_and_misuse_fail_as_r2_fails_them", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        let long = "k".repeat(1025);
        assert_eq!(
            error(put(&s, &format!("/put/{long}"), &[], b"x")),
            "put: The specified object name is not valid. (10020)"
        );
        ok_json(put(&s, &format!("/put/{}", "k".repeat(1024)), &[], b"x"));
        let big_meta = "v".repeat(8192);
        assert_eq!(
            error(put(&s, "/put/m", &[("x-meta-n", &big_meta)], b"x")),
            "put: Your metadata headers exceed the maximum allowed metadata size. (10012)"
        );
        ok_json(put(&s, "/put/m", &[("x-meta-n", &big_meta[..8191])], b"x"));
        let ia = ok_json(put(&s, "/put/ia?storageClass=InfrequentAccess", &[], b"x"));
        assert_eq!(ia["storageClass"], "InfrequentAccess");
        let e = error(put(&s, "/put/gl?storageClass=Glacier", &[], b"x"));
        assert!(e.starts_with("put: ") && e.ends_with("(10040)"), "{e}");
        // Arguments workerd refuses before anything is sent.
        let misuse = |case: &str| ok_json(s.get(&format!("/misuse/m?case={case}")));
        for (case, name, message) in [
            ("quotedEtag", "TypeError", "Conditional ETag should not be wrapped in quotes (\"abc\")."),
            ("twoHashes", "TypeError", "You cannot specify multiple hashing algorithms."),
            ("shortMd5", "TypeError", "MD5 is 32 hex characters, not 3"),
            ("badHexSha1", "TypeError", "Provided SHA-1 wasn't a valid hex string"),
            ("shortSha256Buffer", "TypeError", "SHA-256 is 32 bytes, not 5"),
            ("negativeOffset", "RangeError", "Invalid range. Starting offset (-1) must be greater than or equal to 0."),
            ("fractionalLength", "RangeError", "Invalid range. Length (1.5) must be an integer, not floating point."),
            ("suffixAndOffset", "TypeError", "Suffix is incompatible with offset."),
            ("badInclude", "RangeError", "Unsupported include value everything"),
            ("partZero", "TypeError", "Part number must be between 1 and 10000 (inclusive). Actual value was: 0"),
            ("partTooHigh", "TypeError", "Part number must be between 1 and 10000 (inclusive). Actual value was: 10001"),
            ("badIfMatchHeader", "Error", "Invalid ETag in if-match header"),
            ("illegalConstructor", "TypeError", "Illegal constructor"),
            (
                "listedWithoutHttp",
                "TypeError",
                "HTTP metadata unknown for key `m`. Did you forget to add 'httpMetadata' to `include` when listing?",
            ),
        ] {
            let v = misuse(case);
            assert_eq!(v["threw"], true, "{case}: {v}");
            assert_eq!(v["name"], name, "{case}: {v}");
            assert_eq!(v["message"], message, "{case}: {v}");
        }
        let v = misuse("badValue");
        assert_eq!(
            (v["name"].as_str(), v["threw"].as_bool()),
            (Some("TypeError"), Some(true)),
            "{v}"
        );
        let v = misuse("noArguments");
        assert_eq!(v["name"], "TypeError", "{v}");
    });
}

#[test]
fn operations_are_counted_per_invocation() {
    on_each_engine("r2_operations_are_counted_per_invocation", |engine| {
        let dir = project();
        let s = serve(&dir, engine);
        let big: Vec<u8> = (0..(7u32 << 19)).map(|i| i as u8).collect();
        ok_json(put(&s, "/put/big", &[], &big));
        // 998 heads, a put and a get: 1000 operations, allowed; the put's
        // body goes in four pieces and the get's comes in several, which
        // are no operations of their own.
        let v = ok_json(s.request("POST", "/ops/big?n=998&read=stream&write=stream", &[], &big));
        assert_eq!(v, json!({ "ok": true, "bytes": big.len() }));
        assert_eq!(s.get("/get/big-copy").body, big);
        let v = ok_json(s.get("/ops/big?n=1001"));
        assert_eq!(
            v,
            json!({ "ok": false, "message": "Too many API requests by single worker invocation." })
        );
    });
}

#[test]
fn data_survives_a_restart() {
    on_each_engine("data_survives_a_restart", |engine| {
        let dir = project();
        let stored = {
            let s = serve(&dir, engine);
            let stored = ok_json(put(&s, "/put/kept", &[("x-meta-a", "1")], b"durable"));
            ok_json(put(&s, "/put/kept-eu?bucket=eu", &[], b"in the eu"));
            stored
        };
        let s = serve(&dir, engine);
        let head = ok_json(s.get("/head/kept"));
        assert_eq!(head["version"], stored["version"]);
        assert_eq!(head["customMetadata"], json!({ "a": "1" }));
        assert_eq!(s.get("/get/kept").body, b"durable");
        // The jurisdiction's bucket of the same name is another bucket.
        assert_eq!(s.get("/get/kept-eu?bucket=eu").body, b"in the eu");
        assert_eq!(s.get("/get/kept-eu").status, 404);
        assert_eq!(ok_json(s.get("/head/kept?bucket=eu")), Value::Null);
    });
}

#[test]
fn two_workers_naming_a_bucket_share_it() {
    on_each_engine("two_workers_naming_a_bucket_share_it", |engine| {
        let dir = project();
        let main = "src/index.ts";
        let config = dir.path().join("motu.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nengine = \"{engine}\"\n\
                 [[workers]]\nname = \"a\"\nmain = \"{main}\"\nroutes = [\"a.test/*\"]\n\
                 [[workers.r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"shared\"\n\
                 [[workers]]\nname = \"b\"\nmain = \"{main}\"\nroutes = [\"b.test/*\"]\n\
                 [[workers.r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"shared\"\n\
                 [[workers]]\nname = \"c\"\nmain = \"{main}\"\nroutes = [\"c.test/*\"]\n\
                 [[workers.r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"other\"\n"
            ),
        )
        .unwrap();
        let s = Server::start(&["--config", config.to_str().unwrap()]);
        let r = s.request("PUT", "/put/from-a", &[("host", "a.test")], b"written by a");
        assert_eq!(r.status, 200, "{}", r.text());
        let b = s.request("GET", "/get/from-a", &[("host", "b.test")], b"");
        assert_eq!(b.body, b"written by a");
        let c_ = s.request("GET", "/get/from-a", &[("host", "c.test")], b"");
        assert_eq!(c_.status, 404, "another bucket");
        // b deletes, a sees it gone.
        s.request("DELETE", "/delete/from-a", &[("host", "b.test")], b"");
        assert_eq!(
            s.request("GET", "/get/from-a", &[("host", "a.test")], b"")
                .status,
            404
        );
    });
}

/// The body of write `n` of the durability test: most are small, every
/// fifth is larger than a piece (streamed to the bucket in several).
fn durable_body(n: u64) -> Vec<u8> {
    let size = if n.is_multiple_of(5) {
        (5 << 18) + n as usize
    } else {
        8192 + n as usize
    };
    (0..size).map(|i| (i as u64 * 7 + n) as u8).collect()
}

#[test]
fn acknowledged_puts_survive_kill_9() {
    on_each_engine("r2_acknowledged_puts_survive_kill_9", |engine| {
        let dir = project();
        let start = || serve(&dir, engine);
        let write = |addr: &str, n: u64| {
            common::try_request(addr, "PUT", &format!("/put/w{n}"), &[], &durable_body(n))
                .is_some_and(|r| r.status == 200)
        };
        // Bodies are read whole the first time a write is seen whole; after
        // that its ETag is enough.
        let whole = std::cell::RefCell::new(std::collections::HashSet::new());
        let read = |s: &Server, ns: &[u64]| -> Vec<Seen> {
            ns.iter()
                .map(|&n| {
                    let expected = durable_body(n);
                    if whole.borrow().contains(&n) {
                        let head = s.get(&format!("/head/w{n}")).json();
                        return if head["etag"] == md5_hex(&expected) {
                            Seen::Whole
                        } else {
                            Seen::Partial(format!("{head:.80}"))
                        };
                    }
                    let r = s.get(&format!("/get/w{n}"));
                    match r.status {
                        404 => Seen::Absent,
                        200 if r.body == expected
                            && r.header("etag") == Some(&format!("\"{}\"", md5_hex(&expected))) =>
                        {
                            whole.borrow_mut().insert(n);
                            Seen::Whole
                        }
                        status => Seen::Partial(format!(
                            "status {status}, {} of {} bytes",
                            r.body.len(),
                            expected.len()
                        )),
                    }
                })
                .collect()
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
        // Nothing an interrupted write left stays in the bucket's folder:
        // every blob is named by an object (the sweep at start-up).
        let s = serve(&dir, engine);
        let mut objects = 0;
        let mut cursor = String::new();
        loop {
            let listed = ok_json(s.get(&format!("/list?limit=1000{cursor}")));
            objects += listed["objects"].as_array().unwrap().len();
            if listed["truncated"] == false {
                break;
            }
            cursor = format!("&cursor={}", listed["cursor"].as_str().unwrap());
        }
        let blobs = std::fs::read_dir(dir.path().join(".motu/state/r2/files/blobs"))
            .unwrap()
            .count();
        assert_eq!(blobs, objects, "one blob per object, no leftovers");
    });
}

/// The peak resident memory of process `pid` (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

/// The bytes of a large body, made as they are sent.
fn large_byte(i: u64) -> u8 {
    ((i * 31) ^ (i >> 20)) as u8
}

#[test]
fn a_large_upload_and_download_stream_through_little_memory() {
    on_each_engine(
        "a_large_upload_and_download_stream_through_little_memory",
        |engine| {
            const SIZE: u64 = 512 << 20;
            let dir = project();
            let s = serve_with_env(&dir, engine, &[("MOTU_SERVER__MAX_BODY_MB", "1024")]);
            // Warm up the isolate, so its own memory is in the baseline.
            ok_json(put(&s, "/put/warm", &[], b"x"));
            assert_eq!(s.get("/get/warm").body, b"x");
            let before = peak_rss(s.pid());

            // Upload, streamed from here in 64 KiB writes.
            let mut conn = TcpStream::connect(&s.addr).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(300)))
                .unwrap();
            write!(
            conn,
            "PUT /put/large HTTP/1.1\r\nhost: localhost\r\ncontent-length: {SIZE}\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
            let mut md5 = Md5::new();
            let mut piece = vec![0u8; 64 << 10];
            let mut at = 0u64;
            while at < SIZE {
                for b in piece.iter_mut() {
                    *b = large_byte(at);
                    at += 1;
                }
                md5.update(&piece);
                conn.write_all(&piece).unwrap();
            }
            let etag = hex(&md5.finalize());
            let mut answer = String::new();
            conn.read_to_string(&mut answer).unwrap();
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(
                answer.contains(&etag),
                "the ETag is the body's MD5: {answer}"
            );

            // Download, read from here as it comes.
            let mut conn = TcpStream::connect(&s.addr).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(300)))
                .unwrap();
            write!(
                conn,
                "GET /get/large HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
            )
            .unwrap();
            let mut reader = BufReader::new(conn);
            let mut chunked = false;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line
                    .to_ascii_lowercase()
                    .starts_with("transfer-encoding: chunked")
                {
                    chunked = true;
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut md5 = Md5::new();
            let mut received = 0u64;
            let mut buf = vec![0u8; 256 << 10];
            if chunked {
                loop {
                    let mut size = String::new();
                    reader.read_line(&mut size).unwrap();
                    let size = usize::from_str_radix(size.trim(), 16).unwrap();
                    if size == 0 {
                        break;
                    }
                    let mut left = size;
                    while left > 0 {
                        let want = left.min(buf.len());
                        let n = reader.read(&mut buf[..want]).unwrap();
                        assert!(n > 0);
                        md5.update(&buf[..n]);
                        left -= n;
                        received += n as u64;
                    }
                    let mut crlf = [0u8; 2];
                    reader.read_exact(&mut crlf).unwrap();
                }
            } else {
                loop {
                    let n = reader.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    md5.update(&buf[..n]);
                    received += n as u64;
                }
            }
            assert_eq!(received, SIZE);
            assert_eq!(hex(&md5.finalize()), etag);

            let after = peak_rss(s.pid());
            let grew = after.saturating_sub(before);
            assert!(
                grew < SIZE / 4,
                "the server's peak memory grew by {} MiB for a {} MiB object",
                grew >> 20,
                SIZE >> 20
            );
            eprintln!(
                "{engine}: peak memory grew by {} MiB for a {} MiB upload and download",
                grew >> 20,
                SIZE >> 20
            );
        },
    );
}
