//! Listings of a Durable Object's pairs read in chunks, on both engines:
//! `ctx.storage.kv.list()` and `ctx.storage.list()` over more pairs than
//! one chunk give exactly the keys their options select; a `kv.list()`
//! iterator reads a chunk at a time (the metric of pairs listed says so),
//! sees the writes made ahead of it, and is invalidated by a new listing
//! of either API. The fixture is `tests/projects/durable-objects` (its
//! `/kv` script steps `fill`, `kvKeys`, `listKeys`, `kvHead`,
//! `kvWriteDuring`, `kvInvalidated`).

mod common;

use common::durable::{serve_project, state_folder};
use common::{on_each_engine, Server};
use serde_json::{json, Value};

/// Pairs the fixture puts under `p:` (more than a few chunks of a
/// listing), and under `o:` and `q:` around them.
const MANY: usize = 400;
const AROUND: usize = 40;

fn serve(engine: &str, state: &std::path::Path) -> Server {
    serve_project(
        "durable-objects",
        "wrangler.jsonc",
        engine,
        state,
        &["--admin-listen", "127.0.0.1:0"],
    )
}

/// Runs a storage script in the object `name`: each step's result (a step
/// that threw fails the test).
fn steps(server: &Server, name: &str, steps: Value) -> Vec<Value> {
    let body = serde_json::to_vec(&steps).unwrap();
    let r = server.request("POST", &format!("/do/{name}/kv"), &[], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|out| {
            assert!(out.get("error").is_none(), "{steps}: {out}");
            out["result"].clone()
        })
        .collect()
}

/// Fills the object `name`: `o:000`…, `p:000`… and `q:000`…, each valued
/// its number.
fn fill(server: &Server, name: &str) {
    // A request each, to keep each one's work small.
    for (n, prefix) in [(AROUND, "o:"), (MANY, "p:"), (AROUND, "q:")] {
        steps(server, name, json!([{ "op": "fill", "args": [n, prefix] }]));
    }
}

/// Every key `fill` puts, in order.
fn all_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for (prefix, n) in [("o:", AROUND), ("p:", MANY), ("q:", AROUND)] {
        keys.extend((0..n).map(|i| format!("{prefix}{i:03}")));
    }
    keys
}

/// The keys listing `options` selects among `all_keys()`, as Cloudflare
/// defines them.
fn expected(options: &Value) -> Vec<String> {
    let s = |name: &str| options.get(name).and_then(Value::as_str);
    let mut keys: Vec<String> = all_keys()
        .into_iter()
        .filter(|k| match (s("startAfter"), s("start")) {
            (Some(after), _) => k.as_str() > after,
            (None, Some(start)) => k.as_str() >= start,
            (None, None) => true,
        })
        .filter(|k| s("end").is_none_or(|end| k.as_str() < end))
        .filter(|k| s("prefix").is_none_or(|p| k.starts_with(p)))
        .collect();
    if options.get("reverse") == Some(&json!(true)) {
        keys.reverse();
    }
    if let Some(limit) = options.get("limit").and_then(Value::as_u64) {
        keys.truncate(limit as usize);
    }
    keys
}

/// Pairs the fixture's listings read from storage so far (the metric).
fn listed(server: &Server) -> u64 {
    common::metrics(server)
        .lines()
        .find_map(|l| {
            l.strip_prefix("motu_durable_object_kv_rows_listed_total{worker=\"durable\"} ")
        })
        .map_or(0, |n| n.parse().unwrap())
}

#[test]
fn listings_over_many_chunks_give_exactly_the_keys_selected() {
    on_each_engine("do_listings_over_many_chunks", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        fill(&server, "many");
        let cases = [
            json!({}),
            json!({ "reverse": true }),
            json!({ "prefix": "p:" }),
            json!({ "prefix": "p:", "reverse": true }),
            json!({ "start": "p:100", "end": "p:350" }),
            json!({ "startAfter": "p:010", "end": "p:350", "reverse": true, "limit": 300 }),
            json!({ "prefix": "p:", "start": "p:050", "limit": 300 }),
            json!({ "prefix": "p:", "reverse": true, "limit": 97 }),
            json!({ "start": "o:020", "end": "q:005", "reverse": true }),
            json!({ "prefix": "q:", "startAfter": "p:300" }),
            json!({ "prefix": "p:3", "end": "p:380", "reverse": true }),
        ];
        for options in cases {
            let want = expected(&options);
            for op in ["kvKeys", "listKeys"] {
                let before = listed(&server);
                let got = steps(&server, "many", json!([{ "op": op, "args": [options] }]));
                let got: Vec<String> = serde_json::from_value(got[0].clone()).unwrap();
                assert_eq!(got.len(), want.len(), "{op} {options}");
                assert!(got == want, "{op} {options}: {got:?}");
                // Each pair read once: chunks do not overlap, and none
                // reads a pair the listing does not give.
                assert_eq!(
                    listed(&server) - before,
                    want.len() as u64,
                    "{op} {options}"
                );
            }
        }
    });
}

#[test]
fn a_kv_listing_read_in_part_reads_a_chunk_not_the_object() {
    // The metric of pairs listed counts what the store read: a few pairs
    // of a listing over hundreds read its first chunk only, in either
    // direction; a whole listing reads each of its pairs once.
    on_each_engine("do_kv_listing_reads_a_chunk", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        fill(&server, "chunk");
        for options in [
            json!({ "prefix": "p:" }),
            json!({ "prefix": "p:", "reverse": true }),
        ] {
            let before = listed(&server);
            let head = steps(
                &server,
                "chunk",
                json!([{ "op": "kvHead", "args": [options, 3] }]),
            );
            let read = listed(&server) - before;
            assert_eq!(
                head[0],
                json!(expected(&options)[..3]),
                "{options}: {head:?}"
            );
            assert!(
                (3..=64).contains(&read),
                "{options}: three pairs of {MANY} read {read} from the store"
            );
        }
        let before = listed(&server);
        steps(
            &server,
            "chunk",
            json!([{ "op": "kvKeys", "args": [{ "prefix": "p:" }] }]),
        );
        assert_eq!(listed(&server) - before, MANY as u64);
    });
}

#[test]
fn a_kv_listing_sees_the_writes_made_ahead_of_it() {
    // Writes made during an iteration (past its first chunk): what lies
    // ahead of the last pair returned is read as it is now; what lies
    // behind is not listed again; a rolled-back write is not seen, even
    // once read ahead inside its transaction.
    on_each_engine("do_kv_listing_sees_writes_ahead", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        fill(&server, "writes");
        let writes = json!([
            ["put", "p:050x", "new"],
            ["put", "p:390a", "far"],
            ["delete", "p:060"],
            ["put", "p:070", "changed"],
            ["asyncPut", "p:300a", "async"],
            ["put", "p:010x", "behind"],
            ["rollback", "p:080x", "undone"],
        ]);
        let out = steps(
            &server,
            "writes",
            json!([{
                "op": "kvWriteDuring",
                "args": [{ "prefix": "p:" }, { "after": 40, "writes": writes }]
            }]),
        );
        let mut want: Vec<String> = (0..MANY)
            .filter(|&i| i != 60)
            .map(|i| match i {
                70 => "p:070=changed".to_owned(),
                i => format!("p:{i:03}={i}"),
            })
            .collect();
        for (after, pair) in [
            ("p:050=50", "p:050x=new"),
            ("p:300=300", "p:300a=async"),
            ("p:390=390", "p:390a=far"),
        ] {
            let at = want.iter().position(|p| p == after).unwrap();
            want.insert(at + 1, pair.to_owned());
        }
        assert_eq!(out[0], json!(want), "forward");
        // Reversed: ahead is below. (The keys written forward are there.)
        let writes = json!([
            ["put", "p:300x", "new"],
            ["delete", "p:320"],
            ["put", "p:390b", "behind"],
        ]);
        let out = steps(
            &server,
            "writes",
            json!([{
                "op": "kvWriteDuring",
                "args": [
                    { "prefix": "p:3", "reverse": true, "limit": 90 },
                    { "after": 5, "writes": [["put", "p:380x", "ahead"], ["delete", "p:370"]] }
                ]
            }, {
                "op": "kvWriteDuring",
                "args": [{ "start": "p:280", "end": "p:400", "reverse": true }, { "after": 40, "writes": writes }]
            }]),
        );
        let descending = |from: usize, to: usize, gone: usize| -> Vec<String> {
            (from..to)
                .rev()
                .filter(|&i| i != gone)
                .map(|i| format!("p:{i:03}={i}"))
                .collect()
        };
        let insert_after = |want: &mut Vec<String>, after: &str, pair: &str| {
            let at = want.iter().position(|p| p == after).unwrap();
            want.insert(at + 1, pair.to_owned());
        };
        let mut want = descending(300, 400, 370);
        insert_after(&mut want, "p:391=391", "p:390a=far");
        insert_after(&mut want, "p:381=381", "p:380x=ahead");
        insert_after(&mut want, "p:301=301", "p:300a=async");
        want.truncate(90);
        assert_eq!(out[0], json!(want), "reverse, with a limit");
        let mut want = descending(280, 400, 320);
        want.retain(|p| p != "p:370=370");
        insert_after(&mut want, "p:391=391", "p:390a=far");
        insert_after(&mut want, "p:381=381", "p:380x=ahead");
        insert_after(&mut want, "p:301=301", "p:300x=new");
        insert_after(&mut want, "p:300x=new", "p:300a=async");
        assert_eq!(out[1], json!(want), "reverse");
        // Written ahead inside a transaction, read, rolled back: what the
        // listing read ahead of the rollback is not given after it.
        let out = steps(
            &server,
            "writes",
            json!([{ "op": "kvRollbackDuring", "args": [{ "prefix": "p:2" }] }]),
        );
        assert_eq!(
            out[0],
            json!(["p:200", "p:200a", "p:200b", "p:201"]),
            "a rollback"
        );
    });
}

#[test]
fn a_new_listing_of_either_api_invalidates_a_kv_iterator_past_its_first_chunk() {
    on_each_engine("do_new_listing_invalidates", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        fill(&server, "invalid");
        let out = steps(
            &server,
            "invalid",
            json!([
                { "op": "kvInvalidated", "args": ["kv", 40] },
                { "op": "kvInvalidated", "args": ["async", 100] },
            ]),
        );
        let message = "Error: kv.list() iterator was invalidated because a new call to \
                       kv.list() was started. Only one kv.list() iterator can exist at a time.";
        for out in &out {
            assert_eq!(out["error"], json!(message), "{out}");
            assert_eq!(out["again"], json!("Error"), "{out}");
        }
        assert_eq!(out[0]["last"], json!("o:039"), "{out:?}");
        assert_eq!(out[1]["last"], json!("p:059"), "{out:?}");
    });
}
