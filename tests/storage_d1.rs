//! D1 through a Worker over HTTP, on every engine: the fixture project
//! `tests/projects/storage-d1` (its schema applied with `motu d1
//! migrations apply`), served with its state folder in a temporary folder.

mod common;

use std::path::{Path, PathBuf};

use common::durability::{KillNine, Seen};
use common::{on_each_engine, run_motu, Response, Server, TempConfig};
use serde_json::{json, Value};

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/projects/storage-d1")
}

fn config() -> String {
    project()
        .join("wrangler.jsonc")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A state folder with the fixture's migrations applied.
struct State(tempfile::TempDir);

impl State {
    fn migrated() -> State {
        let state = State(tempfile::tempdir().unwrap());
        let (code, out, err) = run_motu(&[
            "d1",
            "migrations",
            "apply",
            "DB",
            "--config",
            &config(),
            "--persist-to",
            state.path(),
        ]);
        assert_eq!(code, 0, "{out}{err}");
        state
    }

    fn path(&self) -> &str {
        self.0.path().to_str().unwrap()
    }

    fn serve(&self, engine: &str) -> Server {
        Server::start(&[
            "--config",
            &config(),
            "--engine",
            engine,
            "--persist-to",
            self.path(),
        ])
    }
}

fn post(s: &Server, path: &str, body: Value) -> Response {
    s.request(
        "POST",
        path,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
}

/// POSTs `body` and expects a 200 with JSON.
fn ok(s: &Server, path: &str, body: Value) -> Value {
    let r = post(s, path, body.clone());
    assert_eq!(r.status, 200, "{path} {body}: {}", r.text());
    r.json()
}

/// POSTs `body` and expects the Worker's 500 with `{ error, cause }`.
fn fails(s: &Server, path: &str, body: Value) -> (String, Value) {
    let r = post(s, path, body.clone());
    assert_eq!(r.status, 500, "{path} {body}: {}", r.text());
    let j = r.json();
    (j["error"].as_str().unwrap().to_owned(), j["cause"].clone())
}

fn query(s: &Server, method: &str, sql: &str, params: Value) -> Value {
    ok(
        s,
        "/query",
        json!({ "method": method, "sql": sql, "params": params }),
    )
}

#[test]
fn every_statement_method_answers_as_d1_does() {
    on_each_engine("every_statement_method_answers_as_d1_does", |engine| {
        let state = State::migrated();
        let s = state.serve(engine);

        let r = query(
            &s,
            "run",
            "INSERT INTO users (email, name, score) VALUES (?, ?, ?), (?, ?, ?)",
            json!(["ann@example.com", "Ann", 3, "bob@example.com", "Bob", 2.5]),
        );
        assert_eq!(r["success"], true);
        assert_eq!(r["results"], json!([]));
        let meta = &r["meta"];
        assert_eq!(meta["changes"], 2);
        assert_eq!(meta["rows_written"], 2);
        assert_eq!(meta["last_row_id"], 3);
        assert_eq!(meta["changed_db"], true);
        assert!(meta["size_after"].as_f64().unwrap() > 0.0, "{meta}");
        assert!(meta["duration"].as_f64().unwrap() >= 0.0, "{meta}");
        for key in ["rows_read", "served_by_primary", "timings"] {
            assert!(meta.get(key).is_some(), "meta has {key}: {meta}");
        }

        let r = query(
            &s,
            "all",
            "SELECT id, name, score FROM users WHERE id > ? ORDER BY id",
            json!([1]),
        );
        assert_eq!(
            r["results"],
            json!([{ "id": 2, "name": "Ann", "score": 3 }, { "id": 3, "name": "Bob", "score": 2.5 }])
        );
        assert_eq!(r["meta"]["changes"], 0);
        assert_eq!(r["meta"]["changed_db"], false);
        assert!(r["meta"]["rows_read"].as_f64().unwrap() >= 2.0);

        let first = |column: Option<&str>, id: i64| {
            let mut body = json!({ "method": "first", "sql": "SELECT id, name FROM users WHERE id = ?", "params": [id] });
            if let Some(c) = column {
                body["column"] = json!(c);
            }
            ok(&s, "/query", body)["value"].clone()
        };
        assert_eq!(first(None, 2), json!({ "id": 2, "name": "Ann" }));
        assert_eq!(first(Some("name"), 3), json!("Bob"));
        assert_eq!(first(None, 99), Value::Null);
        assert_eq!(first(Some("name"), 99), Value::Null);
        let (e, cause) = fails(
            &s,
            "/query",
            json!({ "method": "first", "column": "nope", "sql": "SELECT id FROM users WHERE id = 1" }),
        );
        assert_eq!(e, "D1_COLUMN_NOTFOUND: Column not found (nope)");
        assert_eq!(cause, "Column not found (nope)");

        let raw = ok(
            &s,
            "/query",
            json!({ "method": "raw", "sql": "SELECT id, name FROM users ORDER BY id LIMIT 2" }),
        );
        assert_eq!(raw, json!([[1, "Seed; with a semicolon"], [2, "Ann"]]));
        let raw = ok(
            &s,
            "/query",
            json!({ "method": "raw", "options": { "columnNames": true }, "sql": "SELECT id, name FROM users WHERE id = 2" }),
        );
        assert_eq!(raw, json!([["id", "name"], [2, "Ann"]]));

        // Ordered parameters, and several statements in one query (only
        // the last may take parameters; its rows are the result).
        let r = query(&s, "all", "SELECT ?2 AS b, ?1 AS a", json!(["x", "y"]));
        assert_eq!(r["results"], json!([{ "b": "y", "a": "x" }]));
        let r = query(
            &s,
            "all",
            "UPDATE users SET score = 10 WHERE id = 2; SELECT score FROM users WHERE id = ?",
            json!([2]),
        );
        assert_eq!(r["results"], json!([{ "score": 10 }]));

        let shape = ok(&s, "/shape", json!({}));
        assert_eq!(
            shape,
            json!({
                "database": "[object D1Database]",
                "statement": "[object D1PreparedStatement]",
                "session": "[object D1DatabaseSession]",
                "bound": true,
                "text": "SELECT 1",
            })
        );
    });
}

#[test]
fn values_convert_as_d1_documents() {
    on_each_engine("values_convert_as_d1_documents", |engine| {
        let state = State::migrated();
        let s = state.serve(engine);
        let params = json!([
            null,
            42,
            2.5,
            "text",
            { "$": "bool", "v": true },
            { "$": "bool", "v": false },
            { "$": "bytes", "v": [0, 1, 255] },
            { "$": "u8", "v": [7, 8] },
            { "$": "u16", "v": [1, 300] },
            [9, 10],
        ]);
        let sql = "SELECT ?1 AS a, ?2 AS b, ?3 AS c, ?4 AS d, ?5 AS e, ?6 AS f, ?7 AS g, ?8 AS h, ?9 AS i, ?10 AS j";
        let r = query(&s, "all", sql, params.clone());
        assert_eq!(
            r["results"][0],
            json!({
                "a": null, "b": 42, "c": 2.5, "d": "text", "e": 1, "f": 0,
                "g": [0, 1, 255], "h": [7, 8], "i": [1, 44], "j": [9, 10],
            })
        );
        let types = sql.replace("?", "typeof(?").replace(" AS", ") AS");
        let r = query(&s, "all", &types, params);
        assert_eq!(
            r["results"][0],
            json!({
                "a": "null", "b": "integer", "c": "real", "d": "text", "e": "integer",
                "f": "integer", "g": "blob", "h": "blob", "i": "blob", "j": "blob",
            })
        );
        // Written and read back through a table.
        query(
            &s,
            "run",
            "INSERT INTO users (email, score, avatar) VALUES (?, ?, ?)",
            json!(["t@example.com", 7, { "$": "bytes", "v": [1, 2, 3] }]),
        );
        let r = query(
            &s,
            "all",
            "SELECT score, avatar FROM users WHERE email = ?",
            json!(["t@example.com"]),
        );
        assert_eq!(r["results"], json!([{ "score": 7, "avatar": [1, 2, 3] }]));

        // What D1 does not take: undefined, BigInt, objects.
        for (value, message) in [
            (
                json!({ "$": "undefined" }),
                "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'",
            ),
            (
                json!({ "$": "bigint", "v": "5" }),
                "D1_TYPE_ERROR: Type 'bigint' not supported for value '5'",
            ),
            (
                json!({ "x": 1 }),
                "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'",
            ),
        ] {
            let (e, _) = fails(
                &s,
                "/query",
                json!({ "sql": "SELECT ?", "params": [value] }),
            );
            assert_eq!(e, message);
        }
    });
}

#[test]
fn a_batch_is_one_transaction() {
    on_each_engine("a_batch_is_one_transaction", |engine| {
        let state = State::migrated();
        let s = state.serve(engine);
        let r = ok(
            &s,
            "/batch",
            json!({ "statements": [
                { "sql": "INSERT INTO entries (k, v) VALUES (?, ?)", "params": ["a", "1"] },
                { "sql": "INSERT INTO entries (k, v) VALUES (?, ?)", "params": ["b", "2"] },
                { "sql": "SELECT k, v FROM entries ORDER BY k" },
            ] }),
        );
        assert_eq!(r.as_array().unwrap().len(), 3);
        assert_eq!(r[0]["success"], true);
        assert_eq!(r[1]["meta"]["changes"], 1);
        assert_eq!(
            r[2]["results"],
            json!([{ "k": "a", "v": "1" }, { "k": "b", "v": "2" }])
        );

        // A constraint violation in the third statement rolls back the
        // first two.
        let (e, cause) = fails(
            &s,
            "/batch",
            json!({ "statements": [
                { "sql": "INSERT INTO entries (k, v) VALUES (?, ?)", "params": ["c", "3"] },
                { "sql": "UPDATE entries SET v = 'changed' WHERE k = 'a'" },
                { "sql": "INSERT INTO entries (k, v) VALUES (?, ?)", "params": ["a", "dup"] },
            ] }),
        );
        assert_eq!(
            e,
            "D1_ERROR: UNIQUE constraint failed: entries.k: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
        );
        assert_eq!(
            cause,
            "UNIQUE constraint failed: entries.k: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
        );
        let r = query(&s, "all", "SELECT k, v FROM entries ORDER BY k", json!([]));
        assert_eq!(
            r["results"],
            json!([{ "k": "a", "v": "1" }, { "k": "b", "v": "2" }])
        );
    });
}

#[test]
fn exec_dump_and_sessions() {
    on_each_engine("exec_dump_and_sessions", |engine| {
        let state = State::migrated();
        let s = state.serve(engine);
        let r = ok(
            &s,
            "/exec",
            json!({ "sql": "CREATE TABLE notes (t TEXT);\nINSERT INTO notes VALUES ('a'); INSERT INTO notes VALUES ('b');\n\nSELECT * FROM notes" }),
        );
        assert_eq!(r["count"], 3);
        assert!(r["duration"].as_f64().unwrap() >= 0.0);
        let (e, cause) = fails(
            &s,
            "/exec",
            json!({ "sql": "INSERT INTO notes VALUES ('c')\nINSERTZ INTO notes VALUES ('d')" }),
        );
        let detail = "Error in line 2: INSERTZ INTO notes VALUES ('d'): near \"INSERTZ\": syntax error at offset 0: SQLITE_ERROR";
        assert_eq!(e, format!("D1_EXEC_ERROR: {detail}"));
        assert_eq!(cause, detail);
        let r = query(&s, "all", "SELECT count(*) AS n FROM notes", json!([]));
        assert_eq!(
            r["results"],
            json!([{ "n": 2 }]),
            "the failed exec left nothing"
        );

        let dump = s.request("POST", "/dump", &[], b"{}");
        assert_eq!(dump.status, 200);
        assert!(
            dump.body.starts_with(b"SQLite format 3\0"),
            "{:?}",
            &dump.body[..16.min(dump.body.len())]
        );
        let copy = tempfile::tempdir().unwrap();
        std::fs::write(copy.path().join("dump.sqlite"), &dump.body).unwrap();

        // A session: no bookmark before its first query; afterwards the
        // newest, which moves on after a write.
        let r = ok(
            &s,
            "/session",
            json!({ "constraint": "first-primary", "statements": [
                { "sql": "SELECT t FROM notes ORDER BY t" },
                { "sql": "INSERT INTO notes VALUES ('s')" },
                { "sql": "SELECT count(*) AS n FROM notes" },
            ] }),
        );
        let b = r["bookmarks"].as_array().unwrap();
        assert_eq!(b[0], Value::Null);
        let (b1, b2, b3) = (
            b[1].as_str().unwrap(),
            b[2].as_str().unwrap(),
            b[3].as_str().unwrap(),
        );
        assert!(b1 < b2 && b2 == b3, "{b:?}");
        assert_eq!(r["rows"][0], json!([{ "t": "a" }, { "t": "b" }]));
        assert_eq!(r["rows"][2], json!([{ "n": 3 }]));
        assert_eq!(r["batch"], json!([{ "one": 1 }]));
        // A session started from a bookmark keeps it until it sees a newer one.
        let r = ok(
            &s,
            "/session",
            json!({ "constraint": b3, "statements": [] }),
        );
        assert_eq!(r["bookmarks"], json!([b3]));
    });
}

#[test]
fn errors_carry_sqlites_message_in_d1s_form() {
    on_each_engine("errors_carry_sqlites_message_in_d1s_form", |engine| {
        let state = State::migrated();
        let s = state.serve(engine);
        let (e, cause) = fails(&s, "/query", json!({ "sql": "SELEC * FROM users" }));
        assert_eq!(
            e,
            "D1_ERROR: near \"SELEC\": syntax error at offset 0: SQLITE_ERROR"
        );
        assert_eq!(
            cause,
            "near \"SELEC\": syntax error at offset 0: SQLITE_ERROR"
        );
        let (e, _) = fails(&s, "/query", json!({ "sql": "SELECT * FROM nowhere" }));
        assert_eq!(e, "D1_ERROR: no such table: nowhere: SQLITE_ERROR");
        let (e, _) = fails(
            &s,
            "/query",
            json!({ "sql": "INSERT INTO users (name) VALUES ('no email')", "method": "run" }),
        );
        assert_eq!(
            e,
            "D1_ERROR: NOT NULL constraint failed: users.email: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)"
        );
        let (e, _) = fails(&s, "/query", json!({ "sql": "SELECT ?", "params": [] }));
        assert_eq!(
            e,
            "D1_ERROR: Wrong number of parameter bindings for SQL query."
        );
        let (e, _) = fails(&s, "/query", json!({ "sql": "BEGIN TRANSACTION" }));
        assert_eq!(e, "D1_ERROR: not authorized: SQLITE_AUTH");
        // The Worker goes on serving.
        assert_eq!(
            query(&s, "all", "SELECT 1 AS one", json!([]))["results"],
            json!([{ "one": 1 }])
        );
    });
}

/// Cloudflare's SQLite takes `ORDER BY` and `LIMIT` on `DELETE` and
/// `UPDATE` (Cloudflare's chanfana template deletes with `DELETE … RETURNING
/// * LIMIT 1`) and has the math functions; the amalgamation motu bundles
/// has neither unless asked (`crates/storage/src/limit_clause.rs`,
/// `.cargo/config.toml`).
#[test]
fn deletes_and_updates_take_a_limit_and_math_functions_are_there() {
    on_each_engine(
        "deletes_and_updates_take_a_limit_and_math_functions_are_there",
        |engine| {
            let state = State::migrated();
            let s = state.serve(engine);
            query(
                &s,
                "run",
                "INSERT INTO users (email, name, score) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)",
                json!(["a@x", "A", 1, "b@x", "B", 2, "c@x", "C", 3]),
            );
            let r = query(
                &s,
                "all",
                "DELETE FROM users WHERE email LIKE ? RETURNING name LIMIT 1",
                json!(["seed%"]),
            );
            assert_eq!(r["results"], json!([{ "name": "Seed; with a semicolon" }]));
            assert_eq!(r["meta"]["changes"], 1);
            let r = query(
                &s,
                "run",
                "UPDATE users SET score = score * ? WHERE score < ? ORDER BY score DESC LIMIT ?",
                json!([10, 3, 1]),
            );
            assert_eq!(r["meta"]["changes"], 1);
            let r = query(
                &s,
                "all",
                "SELECT name, score FROM users ORDER BY id",
                json!([]),
            );
            assert_eq!(
                r["results"],
                json!([
                    { "name": "A", "score": 1 },
                    { "name": "B", "score": 20 },
                    { "name": "C", "score": 3 }
                ])
            );
            let r = query(
                &s,
                "all",
                "SELECT sqrt(16) AS s, pow(2, 10) AS p, floor(pi()) AS f",
                json!([]),
            );
            assert_eq!(r["results"], json!([{ "s": 4, "p": 1024, "f": 3 }]));
            // ORDER BY without LIMIT stays an error, as in SQLite.
            let (e, _) = fails(
                &s,
                "/query",
                json!({ "sql": "DELETE FROM users ORDER BY id", "method": "run" }),
            );
            assert!(e.contains("near \"ORDER\": syntax error"), "{e}");
        },
    );
}

#[test]
fn limits_are_cloudflares() {
    on_each_engine("limits_are_cloudflares", |engine| {
        let state = State::migrated();
        let s = state.serve(engine);
        let marks = |n: usize| vec!["?"; n].join(", ");
        let r = query(
            &s,
            "raw",
            &format!("SELECT {}", marks(100)),
            json!(vec![1; 100]),
        );
        assert_eq!(r[0].as_array().unwrap().len(), 100);
        let (e, _) = fails(
            &s,
            "/query",
            json!({ "sql": format!("SELECT {}", marks(101)), "params": vec![1; 101] }),
        );
        assert!(e.starts_with("D1_ERROR: too many SQL variables"), "{e}");

        let (e, _) = fails(
            &s,
            "/query",
            json!({ "sql": format!("SELECT '{}'", "x".repeat(100_000)) }),
        );
        assert!(e.starts_with("D1_ERROR: statement too long"), "{e}");

        let (e, _) = fails(
            &s,
            "/query",
            json!({ "method": "run", "sql": "INSERT INTO entries (k, v) VALUES ('big', ?)", "params": ["x".repeat(2_000_001)] }),
        );
        assert!(e.starts_with("D1_ERROR: string or blob too big"), "{e}");

        // Queries per invocation: Cloudflare's 1000 (Workers Paid).
        let r = s.get("/many?n=1001").json();
        assert_eq!(r["ran"], 1000, "{r}");
        assert_eq!(
            r["error"],
            "Too many API requests by single worker invocation."
        );
        // The next invocation starts a new count.
        assert_eq!(s.get("/many?n=3").json(), json!({ "ran": 3 }));
    });
}

#[test]
fn data_survives_a_restart() {
    on_each_engine("data_survives_a_restart", |engine| {
        let state = State::migrated();
        {
            let s = state.serve(engine);
            assert_eq!(s.get("/put?k=kept&v=yes").text(), "ok");
        }
        let s = state.serve(engine);
        let r = s.get("/get?k=kept");
        assert_eq!((r.status, r.text()), (200, "yes".to_owned()));
        assert_eq!(s.get("/user?id=1").json()["email"], "seed@example.com");
    });
}

#[test]
fn two_workers_share_one_database() {
    on_each_engine("two_workers_share_one_database", |engine| {
        // The project's Worker, three times: two on one database.
        let code = std::fs::read_to_string(project().join("src/index.ts")).unwrap();
        let worker = |name: &str, id: &str| {
            format!(
                "[[workers]]\nname = \"{name}\"\nmain = \"index.ts\"\nroutes = [\"{name}.test/*\"]\n\
                 [[workers.d1_databases]]\nbinding = \"DB\"\ndatabase_id = \"{id}\"\n"
            )
        };
        let config = [
            worker("writer", "shared-db"),
            worker("reader", "shared-db"),
            worker("other", "another-db"),
        ]
        .concat();
        let t = TempConfig::new(&[("motu.toml", &config), ("index.ts", &code)]);
        let state = tempfile::tempdir().unwrap();
        let s = Server::start(&[
            "--config",
            &t.path("motu.toml"),
            "--engine",
            engine,
            "--persist-to",
            state.path().to_str().unwrap(),
        ]);
        let on = |host: &str, path: &str, body: Value| {
            s.request(
                "POST",
                path,
                &[("host", host), ("content-type", "application/json")],
                body.to_string().as_bytes(),
            )
        };
        let r = on(
            "writer.test",
            "/exec",
            json!({ "sql": "CREATE TABLE entries (k TEXT PRIMARY KEY, v TEXT)" }),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            s.request(
                "GET",
                "/put?k=from&v=writer",
                &[("host", "writer.test")],
                b""
            )
            .text(),
            "ok"
        );
        let r = s.request("GET", "/get?k=from", &[("host", "reader.test")], b"");
        assert_eq!((r.status, r.text()), (200, "writer".to_owned()));
        let r = on(
            "other.test",
            "/query",
            json!({ "sql": "SELECT * FROM entries" }),
        );
        assert_eq!(
            r.status,
            500,
            "another database has no such table: {}",
            r.text()
        );
        assert!(state.path().join("d1/shared-db.sqlite").is_file());
    });
}

#[test]
fn a_database_file_that_is_not_sqlite_is_named_at_start_up() {
    on_each_engine(
        "a_database_file_that_is_not_sqlite_is_named_at_start_up",
        |engine| {
            let state = tempfile::tempdir().unwrap();
            let file = state
                .path()
                .join("d1/3f7c2a9e-1d2b-4c5d-8e9f-0a1b2c3d4e5f.sqlite");
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            let junk = b"these are not the bytes of a SQLite database, not at all".repeat(40);
            std::fs::write(&file, &junk).unwrap();
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_motu"))
                .args([
                    "serve",
                    "--config",
                    &config(),
                    "--engine",
                    engine,
                    "--listen",
                    "127.0.0.1:0",
                ])
                .args(["--persist-to", state.path().to_str().unwrap()])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{stderr}");
            assert!(stderr.contains(&file.display().to_string()), "{stderr}");
            assert!(stderr.contains("not a SQLite database"), "{stderr}");
            assert_eq!(
                std::fs::read(&file).unwrap(),
                junk,
                "the file is left alone"
            );
        },
    );
}

/// The value of write `n`: a few KiB that say which write it is, so that a
/// torn or mixed value shows.
fn durable_value(n: u64) -> String {
    format!("write {n:08} ").repeat(64 + (n as usize % 7) * 100)
}

#[test]
fn acknowledged_batches_survive_kill_9() {
    on_each_engine("d1_acknowledged_batches_survive_kill_9", |engine| {
        let state = State::migrated();
        let start = || state.serve(engine);
        // Write `n`: two rows in one batch, acknowledged once committed.
        let write = |addr: &str, n: u64| {
            common::try_request(
                addr,
                "POST",
                &format!("/pair?k=w{n}"),
                &[],
                durable_value(n).as_bytes(),
            )
            .is_some_and(|r| r.status == 200 && r.body == b"ok")
        };
        let read = |s: &Server, ns: &[u64]| -> Vec<Seen> {
            let mut seen = Vec::new();
            for chunk in ns.chunks(50) {
                let keys: Vec<String> = chunk
                    .iter()
                    .flat_map(|n| [format!("w{n}/a"), format!("w{n}/b")])
                    .collect();
                let rows = query(
                    s,
                    "all",
                    "SELECT k, v FROM entries WHERE k IN (SELECT value FROM json_each(?))",
                    json!([serde_json::to_string(&keys).unwrap()]),
                )["results"]
                    .clone();
                let found = |k: &str| {
                    rows.as_array()
                        .unwrap()
                        .iter()
                        .find(|r| r["k"] == k)
                        .map(|r| r["v"].as_str().unwrap().to_owned())
                };
                for n in chunk {
                    let (a, b) = (found(&format!("w{n}/a")), found(&format!("w{n}/b")));
                    let whole = Some(durable_value(*n));
                    seen.push(match (a, b) {
                        (None, None) => Seen::Absent,
                        (a, b) if a == whole && b == whole => Seen::Whole,
                        (a, b) => Seen::Partial(format!(
                            "a: {:?}, b: {:?}",
                            a.map(|v| v.len()),
                            b.map(|v| v.len())
                        )),
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

#[test]
fn a_full_database_refuses_writes_and_keeps_its_data() {
    on_each_engine(
        "a_full_database_refuses_writes_and_keeps_its_data",
        |engine| {
            let state = State::migrated();
            // A 1 MiB database ([limits] d1_max_database_mb, here through the
            // environment).
            let s = Server::start_with_env(
                &[
                    "--config",
                    &config(),
                    "--engine",
                    engine,
                    "--persist-to",
                    state.path(),
                ],
                &[("MOTU_LIMITS__D1_MAX_DATABASE_MB", "1")],
            );
            let insert = |i: usize| {
                post(
                    &s,
                    "/query",
                    json!({
                        "method": "run",
                        "sql": "INSERT INTO entries (k, v) VALUES (?, hex(randomblob(200000)))",
                        "params": [format!("k{i}")],
                    }),
                )
            };
            let mut stored = 0;
            let error = loop {
                let r = insert(stored);
                if r.status != 200 {
                    break r.json()["error"].as_str().unwrap().to_owned();
                }
                stored += 1;
                assert!(stored < 20, "1 MiB never filled up");
            };
            assert_eq!(error, "D1_ERROR: database or disk is full: SQLITE_FULL");
            assert!(stored >= 1, "some writes fit");
            let r = query(&s, "all", "SELECT count(*) AS n FROM entries", json!([]));
            assert_eq!(r["results"], json!([{ "n": stored }]), "earlier data stays");
            assert_eq!(s.get("/user?id=1").json()["email"], "seed@example.com");
        },
    );
}
