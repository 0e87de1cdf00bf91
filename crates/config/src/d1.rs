//! `d1_databases`: D1 database bindings.
//!
//! ```toml
//! [[workers.d1_databases]]
//! binding = "DB"                 # env.DB (required)
//! database_name = "prod-db"      # how commands name it (default none)
//! database_id = "5f2c…"          # the database (default: the binding name)
//! preview_database_id = "9a1e…"  # used instead of database_id when set
//! migrations_dir = "migrations"  # relative to the config (default "migrations")
//! migrations_table = "d1_migrations"  # applied migrations (default "d1_migrations")
//! ```
//!
//! The same keys in a Wrangler config's `d1_databases` list. As `wrangler
//! dev` does locally, the database a binding uses is `preview_database_id`
//! when set, else `database_id`, else the binding name; Workers whose
//! bindings name the same database share it.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

/// The keys of a D1 binding motu reads (Wrangler's names).
const KEYS: &[&str] = &[
    "binding",
    "database_name",
    "database_id",
    "preview_database_id",
    "migrations_dir",
    "migrations_table",
];

/// One `[[workers.d1_databases]]` as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawD1Database {
    binding: Option<String>,
    database_name: Option<String>,
    database_id: Option<String>,
    preview_database_id: Option<String>,
    migrations_dir: Option<String>,
    migrations_table: Option<String>,
}

/// A D1 binding: `env.<binding>` is a D1 database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct D1Binding {
    /// `binding`: the name in `env`.
    pub binding: String,
    /// `database_name`: the database's name, by which commands may name it.
    /// Default none.
    pub database_name: Option<String>,
    /// `database_id`. Default none.
    pub database_id: Option<String>,
    /// `preview_database_id`: the database used instead of `database_id`
    /// when set (as `wrangler dev` does). Default none.
    pub preview_database_id: Option<String>,
    /// `migrations_dir`: the folder of migration files, resolved against
    /// the config's folder. Default `migrations`.
    pub migrations_dir: PathBuf,
    /// `migrations_table`: the table recording applied migrations. Default
    /// `d1_migrations`.
    pub migrations_table: String,
}

impl D1Binding {
    /// The database this binding uses: `preview_database_id`, else
    /// `database_id`, else the binding name.
    pub fn id(&self) -> &str {
        self.preview_database_id
            .as_deref()
            .or(self.database_id.as_deref())
            .unwrap_or(&self.binding)
    }

    /// Whether `name` names this binding, as wrangler's `d1` commands take
    /// it: its binding name or its `database_name`.
    pub fn is_named(&self, name: &str) -> bool {
        self.binding == name || self.database_name.as_deref() == Some(name)
    }
}

/// Validates a Worker's `d1_databases` (`base`: the config's folder).
/// Errors name the field within the list (`[0].binding`).
pub(crate) fn validate(
    raw: &[RawD1Database],
    base: &Path,
) -> Result<Vec<D1Binding>, (String, String)> {
    let mut out: Vec<D1Binding> = Vec::new();
    for (i, d) in raw.iter().enumerate() {
        let field = |f: &str| format!("[{i}].{f}");
        let binding = match &d.binding {
            Some(b) if !b.is_empty() => b.clone(),
            _ => return Err((field("binding"), "missing".into())),
        };
        if out.iter().any(|o| o.binding == binding) {
            return Err((field("binding"), format!("'{binding}' is bound twice")));
        }
        for (key, value) in [
            ("database_name", &d.database_name),
            ("database_id", &d.database_id),
            ("preview_database_id", &d.preview_database_id),
            ("migrations_dir", &d.migrations_dir),
            ("migrations_table", &d.migrations_table),
        ] {
            if value.as_deref() == Some("") {
                return Err((field(key), "is empty".into()));
            }
        }
        out.push(D1Binding {
            binding,
            database_name: d.database_name.clone(),
            database_id: d.database_id.clone(),
            preview_database_id: d.preview_database_id.clone(),
            migrations_dir: base.join(d.migrations_dir.as_deref().unwrap_or("migrations")),
            migrations_table: d
                .migrations_table
                .clone()
                .unwrap_or_else(|| "d1_migrations".to_owned()),
        });
    }
    Ok(out)
}

/// A Wrangler config's `d1_databases` in motu.toml's shape: the keys motu
/// reads, each other key passed to `unsupported` (with its field path).
pub(crate) fn from_wrangler(
    value: &Value,
    field: &str,
    unsupported: &mut dyn FnMut(&str),
) -> Result<Value, (String, String)> {
    let Value::Array(list) = value else {
        return Err((field.to_owned(), "must be a list".into()));
    };
    let mut out = Vec::new();
    for (i, d) in list.iter().enumerate() {
        let Value::Object(d) = d else {
            return Err((format!("{field}[{i}]"), "must be a table".into()));
        };
        let mut kept = Map::new();
        for (key, value) in d {
            if !KEYS.contains(&key.as_str()) {
                unsupported(&format!("{field}.{key}"));
            } else if !value.is_string() {
                return Err((format!("{field}[{i}].{key}"), "must be a string".into()));
            } else {
                kept.insert(key.clone(), value.clone());
            }
        }
        out.push(Value::Object(kept));
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(toml_text: &str) -> Vec<RawD1Database> {
        #[derive(Deserialize)]
        struct Doc {
            d1_databases: Vec<RawD1Database>,
        }
        toml::from_str::<Doc>(toml_text).unwrap().d1_databases
    }

    #[test]
    fn bindings_take_wranglers_defaults() {
        let base = Path::new("/p");
        let list = validate(
            &raw(r#"
                [[d1_databases]]
                binding = "DB"
                database_name = "app"
                database_id = "id-1"
                [[d1_databases]]
                binding = "CACHE"
                database_id = "id-2"
                preview_database_id = "id-3"
                migrations_dir = "db/migrations"
                migrations_table = "schema_history"
                [[d1_databases]]
                binding = "LOCAL"
                "#),
            base,
        )
        .unwrap();
        assert_eq!(list[0].id(), "id-1");
        assert_eq!(list[0].migrations_dir, Path::new("/p/migrations"));
        assert_eq!(list[0].migrations_table, "d1_migrations");
        assert!(list[0].is_named("DB") && list[0].is_named("app") && !list[0].is_named("x"));
        assert_eq!(list[1].id(), "id-3");
        assert_eq!(list[1].migrations_dir, Path::new("/p/db/migrations"));
        assert_eq!(list[1].migrations_table, "schema_history");
        assert_eq!(list[2].id(), "LOCAL");
    }

    #[test]
    fn bad_bindings_are_named() {
        let base = Path::new("/p");
        let err = validate(&raw("[[d1_databases]]\ndatabase_id = \"x\""), base).unwrap_err();
        assert_eq!(err, ("[0].binding".to_owned(), "missing".to_owned()));
        let err = validate(
            &raw("[[d1_databases]]\nbinding = \"A\"\n[[d1_databases]]\nbinding = \"A\""),
            base,
        )
        .unwrap_err();
        assert_eq!(err.0, "[1].binding");
        let err = validate(
            &raw("[[d1_databases]]\nbinding = \"A\"\ndatabase_id = \"\""),
            base,
        )
        .unwrap_err();
        assert_eq!(err.0, "[0].database_id");
    }
}
