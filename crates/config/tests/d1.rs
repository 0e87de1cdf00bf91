//! `d1_databases` in Wrangler configs and motu.toml.

use std::path::{Path, PathBuf};

use motu_config::{Loaded, Settings};

const ENGINES: &[&str] = &["quickjs", "v8"];

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

const JSONC: &str = r#"{
  "name": "app",
  "main": "src/index.js",
  // The database, as wrangler d1 create prints it
  "d1_databases": [
    {
      "binding": "DB",
      "database_name": "app-db",
      "database_id": "0b1d0e6a-0000-4000-8000-000000000001",
      "migrations_dir": "db/migrations",
      "remote": false
    }
  ],
  "env": {
    "staging": {
      "d1_databases": [
        { "binding": "DB", "database_name": "staging-db", "database_id": "staging-id", "preview_database_id": "preview-id" }
      ]
    },
    "bare": {}
  }
}"#;

#[test]
fn wrangler_d1_databases_are_read_and_not_inherited() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/index.js", "export default {}");
    let file = write(dir.path(), "wrangler.jsonc", JSONC);

    let Loaded { settings, warnings } = Settings::load_any(&file, None, ENGINES).unwrap();
    let d1 = &settings.workers[0].d1_databases;
    assert_eq!(d1.len(), 1);
    assert_eq!(d1[0].binding, "DB");
    assert_eq!(d1[0].database_name.as_deref(), Some("app-db"));
    assert_eq!(d1[0].id(), "0b1d0e6a-0000-4000-8000-000000000001");
    assert_eq!(d1[0].migrations_dir, dir.path().join("db/migrations"));
    assert_eq!(d1[0].migrations_table, "d1_migrations");
    assert!(
        warnings.iter().any(|w| w.contains("d1_databases.remote")),
        "{warnings:?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("'d1_databases'")),
        "{warnings:?}"
    );

    let staging = Settings::load_any(&file, Some("staging"), ENGINES).unwrap();
    let d1 = &staging.settings.workers[0].d1_databases;
    assert_eq!(d1[0].id(), "staging-id", "motu serves database_id");
    assert_eq!(d1[0].preview_database_id.as_deref(), Some("preview-id"));
    assert_eq!(d1[0].migrations_dir, dir.path().join("migrations"));

    let bare = Settings::load_any(&file, Some("bare"), ENGINES).unwrap();
    assert!(
        bare.settings.workers[0].d1_databases.is_empty(),
        "not inherited"
    );
}

#[test]
fn motu_toml_takes_the_same_keys() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "w.js", "export default {}");
    let file = write(
        dir.path(),
        "motu.toml",
        r#"
        [[workers]]
        name = "a"
        main = "w.js"
        [[workers.d1_databases]]
        binding = "DB"
        database_id = "shared"
        migrations_table = "history"
        [[workers]]
        name = "b"
        main = "w.js"
        [[workers.d1_databases]]
        binding = "OTHER"
        database_id = "shared"
        "#,
    );
    let settings = Settings::load_any(&file, None, ENGINES).unwrap().settings;
    assert_eq!(settings.workers[0].d1_databases[0].id(), "shared");
    assert_eq!(
        settings.workers[0].d1_databases[0].migrations_table,
        "history"
    );
    assert_eq!(settings.workers[1].d1_databases[0].id(), "shared");
}

#[test]
fn bad_d1_bindings_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "w.js", "export default {}");
    let load = |text: &str| {
        let file = write(dir.path(), "motu.toml", text);
        Settings::load_any(&file, None, ENGINES)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let head = "[[workers]]\nname = \"a\"\nmain = \"w.js\"\n";
    let e = load(&format!(
        "{head}[[workers.d1_databases]]\ndatabase_id = \"x\"\n"
    ));
    assert!(
        e.contains("workers[0].d1_databases[0].binding: missing"),
        "{e}"
    );
    let e = load(&format!(
        "{head}[workers.vars]\nDB = \"x\"\n[[workers.d1_databases]]\nbinding = \"DB\"\n"
    ));
    assert!(
        e.contains("d1_databases[0].binding") && e.contains("already a binding"),
        "{e}"
    );
    let e = load(&format!(
        "{head}[[workers.d1_databases]]\nbinding = \"DB\"\nid = \"x\"\n"
    ));
    assert!(e.contains("unknown field") && e.contains("id"), "{e}");

    let file = write(
        dir.path(),
        "wrangler.toml",
        "name = \"a\"\nmain = \"w.js\"\n[[d1_databases]]\nbinding = \"DB\"\ndatabase_id = \"a/b\"\n",
    );
    let e = Settings::load_any(&file, None, ENGINES)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("d1_databases[0].database_id") && e.contains("cannot name a database"),
        "{e}"
    );
}
