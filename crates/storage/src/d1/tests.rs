//! Tests of the D1 store as a whole.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::StorageError;

fn memory() -> Database {
    Database::in_memory(D1Limits::default()).unwrap()
}

fn run(db: &Database, sql: &str, params: Vec<D1Value>) -> QueryResult {
    db.batch(&[Query::with_params(sql, params)], None)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .remove(0)
}

fn error(db: &Database, sql: &str, params: Vec<D1Value>) -> String {
    db.batch(&[Query::with_params(sql, params)], None)
        .err()
        .unwrap_or_else(|| panic!("{sql} ran"))
        .to_string()
}

#[test]
fn values_keep_their_storage_class() {
    let db = memory();
    run(&db, "CREATE TABLE t (v)", vec![]);
    let values = vec![
        D1Value::Null,
        D1Value::from_number(42.0),
        D1Value::from_number(2.5),
        D1Value::Text("héllo".into()),
        D1Value::Blob(vec![0, 1, 255]),
    ];
    for v in &values {
        run(&db, "INSERT INTO t VALUES (?)", vec![v.clone()]);
    }
    let r = run(
        &db,
        "SELECT v, typeof(v) AS t FROM t ORDER BY rowid",
        vec![],
    );
    assert_eq!(r.columns, ["v", "t"]);
    let types: Vec<_> = r.rows.iter().map(|row| row[1].clone()).collect();
    assert_eq!(
        types,
        ["null", "integer", "real", "text", "blob"].map(|t| D1Value::Text(t.into()))
    );
    let read: Vec<_> = r.rows.iter().map(|row| row[0].clone()).collect();
    assert_eq!(
        read,
        vec![
            D1Value::Null,
            D1Value::Integer(42),
            D1Value::Real(2.5),
            D1Value::Text("héllo".into()),
            D1Value::Blob(vec![0, 1, 255]),
        ]
    );
}

#[test]
fn meta_reports_what_a_query_did() {
    let db = memory();
    run(
        &db,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
        vec![],
    );
    let r = run(
        &db,
        "INSERT INTO t (name) VALUES (?), (?)",
        vec![D1Value::Text("a".into()), D1Value::Text("b".into())],
    );
    assert!(r.rows.is_empty() && r.columns.is_empty());
    assert_eq!(r.meta.changes, 2);
    assert_eq!(r.meta.rows_written, 2);
    assert_eq!(r.meta.last_row_id, 2);
    assert!(r.meta.changed_db);
    assert!(r.meta.size_after > 0);
    assert!(r.meta.duration_ms >= 0.0);

    let r = run(&db, "SELECT * FROM t", vec![]);
    assert_eq!(r.rows.len(), 2);
    assert_eq!(r.meta.changes, 0);
    assert!(!r.meta.changed_db);
    assert!(r.meta.rows_read >= 2, "{:?}", r.meta);
    assert_eq!(r.meta.rows_written, 0);
    assert_eq!(r.meta.last_row_id, 2);
}

#[test]
fn ordered_parameters_and_counts() {
    let db = memory();
    let r = run(
        &db,
        "SELECT ?2 AS b, ?1 AS a, ?2 AS again",
        vec![D1Value::Integer(1), D1Value::Text("x".into())],
    );
    assert_eq!(
        r.rows,
        vec![vec![
            D1Value::Text("x".into()),
            D1Value::Integer(1),
            D1Value::Text("x".into())
        ]]
    );
    assert_eq!(
        error(&db, "SELECT ?", vec![]),
        "D1_ERROR: Wrong number of parameter bindings for SQL query."
    );
    assert_eq!(
        error(&db, "SELECT ?", vec![D1Value::Null, D1Value::Null]),
        "D1_ERROR: Wrong number of parameter bindings for SQL query."
    );
}

#[test]
fn several_statements_in_one_query_run_in_order() {
    let db = memory();
    let r = run(
        &db,
        "CREATE TABLE t (a); INSERT INTO t VALUES (1); SELECT a + ? AS s FROM t",
        vec![D1Value::Integer(5)],
    );
    assert_eq!(r.columns, ["s"]);
    assert_eq!(r.rows, vec![vec![D1Value::Integer(6)]]);
    assert_eq!(
        error(&db, "SELECT ?; SELECT 1", vec![D1Value::Null]),
        "D1_ERROR: When executing multiple SQL statements in a single call, only the last statement can have parameters."
    );
    assert_eq!(
        error(&db, " -- nothing\n", vec![]),
        "D1_ERROR: No SQL statements detected."
    );
}

#[test]
fn invalid_sql_fails_in_d1s_words() {
    let db = memory();
    assert_eq!(
        error(&db, "SELEC 1", vec![]),
        "D1_ERROR: near \"SELEC\": syntax error at offset 0: SQLITE_ERROR"
    );
    assert!(
        error(&db, "SELECT * FROM missing", vec![]).starts_with("D1_ERROR: no such table: missing")
    );
}

#[test]
fn a_batch_commits_whole_or_not_at_all() {
    let db = memory();
    run(
        &db,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
        vec![],
    );
    let ok = db
        .batch(
            &[
                Query::with_params(
                    "INSERT INTO t VALUES (?, ?)",
                    vec![D1Value::Integer(1), D1Value::Text("a".into())],
                ),
                Query::new("SELECT count(*) AS n FROM t"),
            ],
            None,
        )
        .unwrap();
    assert_eq!(ok[1].rows, vec![vec![D1Value::Integer(1)]]);
    let err = db
        .batch(
            &[
                Query::with_params(
                    "INSERT INTO t VALUES (?, ?)",
                    vec![D1Value::Integer(2), D1Value::Text("b".into())],
                ),
                Query::with_params(
                    "INSERT INTO t VALUES (?, ?)",
                    vec![D1Value::Integer(1), D1Value::Text("dup".into())],
                ),
            ],
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "D1_ERROR: UNIQUE constraint failed: t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"
    );
    let r = run(&db, "SELECT id FROM t", vec![]);
    assert_eq!(
        r.rows,
        vec![vec![D1Value::Integer(1)]],
        "the batch was rolled back"
    );
}

#[test]
fn exec_runs_lines_and_names_the_failing_one() {
    let db = memory();
    let r = db
        .exec(
            "CREATE TABLE t (a);\n\n-- a comment\nINSERT INTO t VALUES (1); INSERT INTO t VALUES (2);\nSELECT * FROM t",
            None,
        )
        .unwrap();
    assert_eq!(r.count, 3);
    let err = db
        .exec("INSERT INTO t VALUES (3)\nINSERTZ INTO t VALUES (4)", None)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "D1_EXEC_ERROR: Error in line 2: INSERTZ INTO t VALUES (4): near \"INSERTZ\": syntax error at offset 0: SQLITE_ERROR"
    );
    let r = run(&db, "SELECT count(*) FROM t", vec![]);
    assert_eq!(
        r.rows,
        vec![vec![D1Value::Integer(2)]],
        "exec is one transaction"
    );
}

#[test]
fn limits_are_cloudflares() {
    let db = memory();
    let many = vec!["?"; 101].join(",");
    assert!(
        error(&db, &format!("SELECT {many}"), vec![D1Value::Null; 101])
            .starts_with("D1_ERROR: too many SQL variables")
    );
    let hundred = vec!["?"; 100].join(",");
    assert_eq!(
        run(&db, &format!("SELECT {hundred}"), vec![D1Value::Null; 100]).rows[0].len(),
        100
    );

    let long = format!("SELECT '{}'", "x".repeat(100_000));
    assert!(
        error(&db, &long, vec![]).starts_with("D1_ERROR: statement too long"),
        "{}",
        error(&db, &long, vec![])
    );

    run(&db, "CREATE TABLE t (v)", vec![]);
    let big = D1Value::Text("x".repeat(2_000_001));
    assert!(error(&db, "INSERT INTO t VALUES (?)", vec![big])
        .starts_with("D1_ERROR: string or blob too big"));
    run(
        &db,
        "INSERT INTO t VALUES (?)",
        vec![D1Value::Blob(vec![7; 1_000_000])],
    );
    assert!(error(
        &db,
        "SELECT * FROM t WHERE v LIKE ?",
        vec![D1Value::Text("%".repeat(51))]
    )
    .starts_with("D1_ERROR: LIKE or GLOB pattern too complex"));
}

#[test]
fn a_full_database_refuses_writes_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let limits = D1Limits {
        max_database_bytes: 64 << 10,
        ..D1Limits::default()
    };
    let db = Database::open(&dir.path().join("db.sqlite"), limits).unwrap();
    run(&db, "CREATE TABLE t (v)", vec![]);
    run(&db, "INSERT INTO t VALUES ('kept')", vec![]);
    let err = db
        .batch(
            &[Query::with_params(
                "INSERT INTO t VALUES (?)",
                vec![D1Value::Blob(vec![1; 200 << 10])],
            )],
            None,
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("D1_ERROR: database or disk is full"),
        "{err}"
    );
    let r = run(&db, "SELECT v FROM t", vec![]);
    assert_eq!(r.rows, vec![vec![D1Value::Text("kept".into())]]);
}

#[test]
fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("abc-123.sqlite");
    let db = Database::open(&path, D1Limits::default()).unwrap();
    run(
        &db,
        "CREATE TABLE t (v); INSERT INTO t VALUES ('x')",
        vec![],
    );
    drop(db);
    let db = Database::open(&path, D1Limits::default()).unwrap();
    let r = run(&db, "SELECT v FROM t", vec![]);
    assert_eq!(r.rows, vec![vec![D1Value::Text("x".into())]]);
    let mode = run(&db, "PRAGMA data_version", vec![]);
    assert_eq!(mode.rows.len(), 1);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    std::fs::write(&path, b"hello, this is not a database at all").unwrap();
    let err = Database::open(&path, D1Limits::default()).unwrap_err();
    assert!(matches!(err, StorageError::NotADatabase { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("is not a SQLite database"), "{text}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"hello, this is not a database at all",
        "left as it was"
    );
}

#[test]
fn dump_is_a_sqlite_file() {
    let db = memory();
    run(
        &db,
        "CREATE TABLE t (v); INSERT INTO t VALUES ('dumped')",
        vec![],
    );
    let image = db.dump().unwrap();
    assert!(image.starts_with(b"SQLite format 3\0"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.sqlite");
    std::fs::write(&path, &image).unwrap();
    let copy = Database::open(&path, D1Limits::default()).unwrap();
    let r = run(&copy, "SELECT v FROM t", vec![]);
    assert_eq!(r.rows, vec![vec![D1Value::Text("dumped".into())]]);
}

#[test]
fn bookmarks_move_on_with_changes_only() {
    let db = memory();
    let first = db.bookmark();
    run(&db, "SELECT 1", vec![]);
    assert_eq!(db.bookmark(), first);
    run(&db, "CREATE TABLE t (v)", vec![]);
    let second = db.bookmark();
    assert!(second > first);
}

#[test]
fn long_calls_stop_when_asked_or_out_of_time() {
    let db = memory();
    let endless =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let stop: Stop = Arc::new(move || f.load(Ordering::Relaxed));
    let t = std::thread::spawn({
        let flag = flag.clone();
        move || {
            std::thread::sleep(Duration::from_millis(50));
            flag.store(true, Ordering::Relaxed);
        }
    });
    let err = db.batch(&[Query::new(endless)], Some(stop)).unwrap_err();
    t.join().unwrap();
    assert!(
        err.to_string().starts_with("D1_ERROR: interrupted"),
        "{err}"
    );

    let db = Database::in_memory(D1Limits {
        max_duration: Duration::from_millis(10),
        ..D1Limits::default()
    })
    .unwrap();
    let err = db.batch(&[Query::new(endless)], None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "D1_ERROR: D1 DB exceeded its CPU time limit and was reset."
    );
    // The database still answers.
    assert_eq!(
        run(&db, "SELECT 1 AS one", vec![]).rows,
        vec![vec![D1Value::Integer(1)]]
    );
}

#[test]
fn d1s_refusals_apply_to_queries() {
    let db = memory();
    for sql in [
        "BEGIN TRANSACTION",
        "PRAGMA journal_mode = DELETE",
        "ATTACH 'x' AS x",
    ] {
        assert!(
            error(&db, sql, vec![]).starts_with("D1_ERROR: not authorized"),
            "{sql}"
        );
    }
    assert!(run(&db, "PRAGMA table_list", vec![])
        .columns
        .contains(&"name".to_owned()));
}

#[test]
fn scripts_drop_a_wrapping_transaction() {
    let db = memory();
    let results = db
        .script(
            "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t (a);\nINSERT INTO t VALUES ('a;b');\nCOMMIT;\n",
            None,
        )
        .unwrap();
    assert_eq!(results.len(), 3);
    let r = run(&db, "SELECT a FROM t", vec![]);
    assert_eq!(r.rows, vec![vec![D1Value::Text("a;b".into())]]);
}

mod migration_files {
    use super::*;

    #[test]
    fn order_numbers_and_names() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "10_c.sql",
            "9_b.sql",
            "0001_a.sql",
            "notes.txt",
            "z.sql",
            ".hidden.sql",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let names = migrations::list(dir.path()).unwrap();
        assert_eq!(names, ["0001_a.sql", "9_b.sql", "10_c.sql", "z.sql"]);
        assert_eq!(
            migrations::next_name(&names, "add users"),
            "0011_add_users.sql"
        );
        assert_eq!(migrations::next_name(&[], "init"), "0001_init.sql");
    }

    #[test]
    fn create_writes_the_next_file() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("migrations");
        let p = migrations::create(&m, "create users", "2025-01-02T03:04:05.000Z").unwrap();
        assert_eq!(p, m.join("0001_create_users.sql"));
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "-- Migration number: 0001 \t 2025-01-02T03:04:05.000Z\n"
        );
        let p = migrations::create(&m, "more", "t").unwrap();
        assert_eq!(p, m.join("0002_more.sql"));
    }

    #[test]
    fn apply_once_in_order_and_stop_at_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path();
        std::fs::write(
            m.join("0001_users.sql"),
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
        )
        .unwrap();
        std::fs::write(
            m.join("0002_seed.sql"),
            "INSERT INTO users (name) VALUES ('ann');\nINSERT INTO users (name) VALUES ('bob');",
        )
        .unwrap();
        std::fs::write(
            m.join("0003_bad.sql"),
            "INSERT INTO users (name) VALUES ('cy');\nINSERT INTO nowhere VALUES (1);",
        )
        .unwrap();
        let db = memory();
        let table = migrations::DEFAULT_TABLE;
        let todo = migrations::unapplied(&db, m, table).unwrap();
        assert_eq!(todo, ["0001_users.sql", "0002_seed.sql", "0003_bad.sql"]);
        migrations::apply(&db, m, table, &todo[0]).unwrap();
        migrations::apply(&db, m, table, &todo[1]).unwrap();
        let err = migrations::apply(&db, m, table, &todo[2]).unwrap_err();
        assert!(err.to_string().contains("no such table: nowhere"), "{err}");
        assert_eq!(
            migrations::applied(&db, table).unwrap(),
            ["0001_users.sql", "0002_seed.sql"]
        );
        assert_eq!(
            migrations::unapplied(&db, m, table).unwrap(),
            ["0003_bad.sql"]
        );
        let r = run(&db, "SELECT count(*) FROM users", vec![]);
        assert_eq!(
            r.rows,
            vec![vec![D1Value::Integer(2)]],
            "the failed migration left nothing"
        );
        let r = run(
            &db,
            "SELECT id, name, typeof(applied_at) FROM d1_migrations ORDER BY id",
            vec![],
        );
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0][0], D1Value::Integer(1));
        assert_eq!(r.rows[1][1], D1Value::Text("0002_seed.sql".into()));
        assert_eq!(r.rows[1][2], D1Value::Text("text".into()));
    }
}

#[test]
fn every_call_that_wrote_is_flushed_before_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("db.sqlite"), D1Limits::default()).unwrap();
    run(&db, "CREATE TABLE t (v)", vec![]);
    let after_create = db.flushes();
    assert!(after_create >= 1, "the CREATE TABLE was flushed");
    run(&db, "INSERT INTO t VALUES (1)", vec![]);
    assert_eq!(db.flushes(), after_create + 1, "the INSERT was flushed");
    // Reads write nothing and wait for no flush.
    run(&db, "SELECT * FROM t", vec![]);
    assert_eq!(db.flushes(), after_create + 1);
    // A statement that writes without changing rows or the file's size.
    run(&db, "DROP TABLE t", vec![]);
    assert_eq!(db.flushes(), after_create + 2, "the DROP TABLE was flushed");
    // A failed call rolls back and flushes nothing.
    error(&db, "INSERT INTO missing VALUES (1)", vec![]);
    assert_eq!(db.flushes(), after_create + 2);
}
