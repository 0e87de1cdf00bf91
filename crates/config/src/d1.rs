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
//! The same keys in a Wrangler config's `d1_databases` list. The database a
//! binding uses is its `database_id` (else its binding name), which names
//! its file in the state folder (`d1/<database_id>.sqlite`); Workers whose
//! bindings name the same database share it. `preview_database_id` is
//! recorded: motu serves `database_id` in dev and serve alike, and `motu d1`
//! commands work on that same database.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The keys of a `d1_databases` entry motu reads from a Wrangler config.
pub(crate) const WRANGLER_KEYS: &[&str] = &[
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
    /// `binding`: the name in `env`. Required.
    pub binding: String,
    /// `database_name`: the database's name, by which `motu d1` commands
    /// may name it. Default none.
    pub database_name: Option<String>,
    /// `database_id`: the database, which Workers naming the same id share;
    /// it names its file in the state folder, so it is made of letters,
    /// digits, `-`, `_` and `.`. Default: the binding's name.
    pub database_id: String,
    /// `preview_database_id`: recorded (Cloudflare's database for `wrangler
    /// dev --remote`); motu always uses `database_id`. Default none.
    pub preview_database_id: Option<String>,
    /// `migrations_dir`: the folder of migration files, resolved against
    /// the config's folder. Default `migrations`.
    pub migrations_dir: PathBuf,
    /// `migrations_table`: the table recording applied migrations. Default
    /// `d1_migrations`.
    pub migrations_table: String,
}

impl D1Binding {
    /// The database this binding uses (its `database_id`).
    pub fn id(&self) -> &str {
        &self.database_id
    }

    /// Whether `name` names this binding, as wrangler's `d1` commands take
    /// it: its binding name or its `database_name`.
    pub fn is_named(&self, name: &str) -> bool {
        self.binding == name || self.database_name.as_deref() == Some(name)
    }
}

/// Validates a Worker's `d1_databases` (`base`: the config's folder);
/// `taken` tells whether a name in `env` is already used by another
/// binding. Errors are `(field, message)` with the field relative to the
/// Worker.
pub(crate) fn validate(
    raw: &[RawD1Database],
    base: &Path,
    taken: &dyn Fn(&str) -> bool,
) -> Result<Vec<D1Binding>, (String, String)> {
    let mut out: Vec<D1Binding> = Vec::new();
    for (i, d) in raw.iter().enumerate() {
        let field = |f: &str| format!("d1_databases[{i}].{f}");
        let binding = match &d.binding {
            Some(b) if !b.is_empty() => b.clone(),
            _ => return Err((field("binding"), "missing".into())),
        };
        if taken(&binding) || out.iter().any(|o| o.binding == binding) {
            return Err((
                field("binding"),
                format!("'{binding}' is already a binding of this Worker"),
            ));
        }
        for (key, value) in [
            ("database_name", &d.database_name),
            ("preview_database_id", &d.preview_database_id),
            ("migrations_dir", &d.migrations_dir),
            ("migrations_table", &d.migrations_table),
        ] {
            if value.as_deref() == Some("") {
                return Err((field(key), "is empty".into()));
            }
        }
        let database_id = d.database_id.clone().unwrap_or_else(|| binding.clone());
        if !crate::kv::valid_store_id(&database_id) {
            return Err((
                field(if d.database_id.is_some() {
                    "database_id"
                } else {
                    "binding"
                }),
                format!(
                    "'{database_id}' cannot name a database: use letters, digits, '-', '_' and '.' \
                     (up to 200, not starting with '.')"
                ),
            ));
        }
        out.push(D1Binding {
            binding,
            database_name: d.database_name.clone(),
            database_id,
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
            &|_| false,
        )
        .unwrap();
        assert_eq!(list[0].id(), "id-1");
        assert_eq!(list[0].migrations_dir, Path::new("/p/migrations"));
        assert_eq!(list[0].migrations_table, "d1_migrations");
        assert!(list[0].is_named("DB") && list[0].is_named("app") && !list[0].is_named("x"));
        assert_eq!(list[1].id(), "id-2");
        assert_eq!(list[1].preview_database_id.as_deref(), Some("id-3"));
        assert_eq!(list[1].migrations_dir, Path::new("/p/db/migrations"));
        assert_eq!(list[1].migrations_table, "schema_history");
        assert_eq!(list[2].id(), "LOCAL");
    }

    #[test]
    fn bad_bindings_are_named() {
        let base = Path::new("/p");
        let none = &|_: &str| false;
        let err = validate(&raw("[[d1_databases]]\ndatabase_id = \"x\""), base, none).unwrap_err();
        assert_eq!(
            err,
            ("d1_databases[0].binding".to_owned(), "missing".to_owned())
        );
        let err = validate(
            &raw("[[d1_databases]]\nbinding = \"A\"\n[[d1_databases]]\nbinding = \"A\""),
            base,
            none,
        )
        .unwrap_err();
        assert_eq!(err.0, "d1_databases[1].binding");
        let err = validate(
            &raw("[[d1_databases]]\nbinding = \"A\"\ndatabase_id = \"../x\""),
            base,
            none,
        )
        .unwrap_err();
        assert_eq!(err.0, "d1_databases[0].database_id");
        let err = validate(&raw("[[d1_databases]]\nbinding = \"A\""), base, &|n| {
            n == "A"
        })
        .unwrap_err();
        assert!(err.1.contains("already a binding"), "{err:?}");
        let err = validate(
            &raw("[[d1_databases]]\nbinding = \"A\"\nmigrations_dir = \"\""),
            base,
            none,
        )
        .unwrap_err();
        assert_eq!(err.0, "d1_databases[0].migrations_dir");
    }
}
