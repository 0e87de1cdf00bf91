//! `motu d1 execute` and `motu d1 migrations create|list|apply`, run as a
//! user runs them, on a project folder with a Wrangler config.

mod common;

use std::path::Path;

use common::{run_motu, Server, TempConfig};
use serde_json::{json, Value};

const WRANGLER: &str = r#"
name = "cli"
main = "index.js"

[[d1_databases]]
binding = "DB"
database_name = "cli-db"
database_id = "c0ffee00-0000-4000-8000-000000000001"
"#;

const WORKER: &str = "export default { async fetch(req, env) {
  const row = await env.DB.prepare('SELECT count(*) AS n FROM users').first();
  return Response.json(row);
} }";

/// A project with two migrations and a state folder beside it.
fn project() -> TempConfig {
    TempConfig::new(&[
        ("wrangler.toml", WRANGLER),
        ("index.js", WORKER),
        (
            "migrations/0001_users.sql",
            "CREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  name TEXT NOT NULL\n);\n",
        ),
        (
            "migrations/0002_seed.sql",
            "INSERT INTO users (name) VALUES ('ann');\nINSERT INTO users (name) VALUES ('b;ob');\n",
        ),
    ])
}

/// `motu d1 ARGS… --config P/wrangler.toml --persist-to P/state`.
fn d1(p: &TempConfig, args: &[&str]) -> (i32, String, String) {
    let config = p.path("wrangler.toml");
    let state = p.path("state");
    let mut all = vec!["d1"];
    all.extend_from_slice(args);
    all.extend(["--config", &config, "--persist-to", &state]);
    run_motu(&all)
}

fn ok(p: &TempConfig, args: &[&str]) -> String {
    let (code, out, err) = d1(p, args);
    assert_eq!(code, 0, "motu d1 {args:?}: {out}{err}");
    out
}

#[test]
fn migrations_apply_once_in_order() {
    let p = project();
    let out = ok(&p, &["migrations", "list", "DB"]);
    assert!(out.contains("Migrations to be applied:"), "{out}");
    let order = (out.find("0001_users.sql"), out.find("0002_seed.sql"));
    assert!(matches!(order, (Some(a), Some(b)) if a < b), "{out}");

    let out = ok(&p, &["migrations", "apply", "DB"]);
    assert!(
        out.contains("0001_users.sql") && out.contains("0002_seed.sql"),
        "{out}"
    );
    assert!(!out.contains("failed"), "{out}");
    // Applied once: nothing more to do, and the seed ran once.
    let out = ok(&p, &["migrations", "apply", "cli-db"]);
    assert!(out.contains("No migrations to apply!"), "{out}");
    let out = ok(&p, &["migrations", "list", "DB"]);
    assert!(out.contains("No migrations to apply!"), "{out}");
    let rows = json_rows(&p, "SELECT name FROM users ORDER BY id");
    assert_eq!(rows, json!([{ "name": "ann" }, { "name": "b;ob" }]));
    // Recorded as wrangler records them.
    let rows = json_rows(
        &p,
        "SELECT id, name, typeof(applied_at) AS t FROM d1_migrations ORDER BY id",
    );
    assert_eq!(
        rows,
        json!([
            { "id": 1, "name": "0001_users.sql", "t": "text" },
            { "id": 2, "name": "0002_seed.sql", "t": "text" },
        ])
    );
    let schema = json_rows(
        &p,
        "SELECT sql FROM sqlite_master WHERE name = 'd1_migrations'",
    );
    let sql = schema[0]["sql"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        sql.contains("id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL"),
        "{sql}"
    );

    // The server sees the migrated database.
    let s = Server::start(&[
        "--config",
        &p.path("wrangler.toml"),
        "--persist-to",
        &p.path("state"),
    ]);
    assert_eq!(s.get("/").json(), json!({ "n": 2 }));
}

/// A database whose migrations wrangler applied in part (its table holds
/// the first) gets only the rest.
#[test]
fn a_history_written_by_wrangler_is_continued() {
    let p = project();
    ok(
        &p,
        &[
            "execute",
            "DB",
            "--command",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\
             CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);\
             INSERT INTO d1_migrations (name) values ('0001_users.sql');",
        ],
    );
    let out = ok(&p, &["migrations", "list", "DB"]);
    assert!(
        !out.contains("0001_users.sql") && out.contains("0002_seed.sql"),
        "{out}"
    );
    ok(&p, &["migrations", "apply", "DB"]);
    assert_eq!(
        json_rows(&p, "SELECT count(*) AS n FROM users"),
        json!([{ "n": 2 }])
    );
}

#[test]
fn a_failing_migration_is_rolled_back_and_stops_the_rest() {
    let p = project();
    std::fs::write(
        p.dir.path().join("migrations/0003_bad.sql"),
        "INSERT INTO users (name) VALUES ('cy');\nINSERT INTO nowhere VALUES (1);\n",
    )
    .unwrap();
    std::fs::write(
        p.dir.path().join("migrations/0004_after.sql"),
        "CREATE TABLE after (a);\n",
    )
    .unwrap();
    let (code, out, err) = d1(&p, &["migrations", "apply", "DB"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("Migration 0003_bad.sql failed"), "{err}");
    assert!(err.contains("no such table: nowhere"), "{err}");
    assert_eq!(
        json_rows(&p, "SELECT count(*) AS n FROM users"),
        json!([{ "n": 2 }])
    );
    let applied = json_rows(&p, "SELECT name FROM d1_migrations ORDER BY id");
    assert_eq!(
        applied,
        json!([{ "name": "0001_users.sql" }, { "name": "0002_seed.sql" }])
    );
    let out = ok(&p, &["migrations", "list", "DB"]);
    assert!(
        out.contains("0003_bad.sql") && out.contains("0004_after.sql"),
        "{out}"
    );
}

#[test]
fn create_writes_the_next_numbered_file() {
    let p = project();
    let out = ok(&p, &["migrations", "create", "DB", "add posts table"]);
    let path = p.dir.path().join("migrations/0003_add_posts_table.sql");
    assert!(out.contains("0003_add_posts_table.sql"), "{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("-- Migration number: 0003 \t "), "{text}");
    let (code, _, err) = d1(&p, &["migrations", "create", "DB", "a/b"]);
    assert_ne!(code, 0);
    assert!(err.contains("path separator"), "{err}");

    // A binding's own migrations_dir, created when missing.
    let q = TempConfig::new(&[
        (
            "wrangler.toml",
            &format!("{WRANGLER}migrations_dir = \"db/changes\"\n"),
        ),
        ("index.js", WORKER),
    ]);
    ok(&q, &["migrations", "create", "DB", "init"]);
    assert!(q.dir.path().join("db/changes/0001_init.sql").is_file());
    let (code, _, err) = d1(
        &project_without_migrations(),
        &["migrations", "apply", "DB"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("No migrations present at"), "{err}");
}

fn project_without_migrations() -> TempConfig {
    TempConfig::new(&[("wrangler.toml", WRANGLER), ("index.js", WORKER)])
}

fn json_rows(p: &TempConfig, sql: &str) -> Value {
    let out = ok(p, &["execute", "DB", "--json", "--command", sql]);
    let all: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    all[0]["results"].clone()
}

#[test]
fn execute_prints_tables_or_json() {
    let p = project();
    ok(&p, &["migrations", "apply", "DB"]);
    let out = ok(
        &p,
        &[
            "execute",
            "DB",
            "--command",
            "SELECT id, name FROM users ORDER BY id",
        ],
    );
    assert!(
        out.contains("│ id │ name │")
            && out.contains("│ 1  │ ann  │")
            && out.contains("│ 2  │ b;ob │"),
        "{out}"
    );
    assert!(out.contains("1 command executed successfully."), "{out}");

    let file = p.dir.path().join("q.sql");
    std::fs::write(
        &file,
        "INSERT INTO users (name)\n  VALUES ('cy');\n-- a comment; with a semicolon\nSELECT name, x'0102' AS b, 2.0 AS r, NULL AS n FROM users WHERE name = 'cy';\n",
    )
    .unwrap();
    let out = ok(
        &p,
        &["execute", "DB", "--json", "--file", file.to_str().unwrap()],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["success"], true);
    assert_eq!(v[0]["results"], json!([]));
    assert!(v[0]["meta"]["duration"].is_number());
    assert_eq!(
        v[1]["results"],
        json!([{ "name": "cy", "b": "[1, 2]", "r": 2.0, "n": null }])
    );

    // Errors: SQLite's message; in JSON, as wrangler prints them.
    let (code, out, err) = d1(&p, &["execute", "DB", "--command", "SELEC 1"]);
    assert_ne!(code, 0);
    assert!(err.contains("near \"SELEC\": syntax error"), "{out}{err}");
    let (code, out, _) = d1(&p, &["execute", "DB", "--json", "--command", "SELEC 1"]);
    assert_ne!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(
        v["error"]["text"]
            .as_str()
            .unwrap()
            .contains("syntax error"),
        "{v}"
    );
}

#[test]
fn bad_invocations_say_what_is_wrong() {
    let p = project();
    let (code, _, err) = d1(&p, &["execute", "NOPE", "--command", "SELECT 1"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no D1 database has the name or binding 'NOPE'")
            && err.contains("DB (cli-db)"),
        "{err}"
    );
    let (code, _, err) = d1(&p, &["execute", "DB"]);
    assert_ne!(code, 0);
    assert!(err.contains("--command") && err.contains("--file"), "{err}");
    let (code, _, err) = d1(&p, &["execute", "DB", "--remote", "--command", "SELECT 1"]);
    assert_ne!(code, 0);
    assert!(err.contains("local"), "{err}");
    let (code, _, _) = d1(&p, &["execute", "DB", "--local", "--command", "SELECT 1"]);
    assert_eq!(code, 0, "--local is accepted");
}

#[test]
fn a_running_server_holds_the_state_folder() {
    let p = project();
    ok(&p, &["migrations", "apply", "DB"]);
    let s = Server::start(&[
        "--config",
        &p.path("wrangler.toml"),
        "--persist-to",
        &p.path("state"),
    ]);
    assert_eq!(s.get("/").json(), json!({ "n": 2 }));
    let (code, out, err) = d1(&p, &["execute", "DB", "--command", "DELETE FROM users"]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("in use by another motu process"), "{err}");
    assert!(
        err.contains(Path::new(&p.path("state")).to_str().unwrap()),
        "{err}"
    );
    drop(s);
    assert_eq!(
        json_rows(&p, "SELECT count(*) AS n FROM users"),
        json!([{ "n": 2 }])
    );
}
