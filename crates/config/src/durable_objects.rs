//! `durable_objects` and `migrations`: a Worker's Durable Object namespace
//! bindings, and the history of the classes it exports.
//!
//! ```toml
//! [[workers.durable_objects.bindings]]
//! name = "COUNTER"          # env.COUNTER is the namespace
//! class_name = "Counter"    # the class (exported by the Worker's main module)
//! script_name = "other"     # optional: the Worker of this server that exports it
//!
//! [workers.durable_objects]
//! idle_timeout_s = 10       # motu only: an object with no events this long leaves memory
//!
//! [[workers.migrations]]
//! tag = "v1"
//! new_sqlite_classes = ["Counter"]   # also new_classes
//! [[workers.migrations]]
//! tag = "v2"
//! renamed_classes = [{ from = "Counter", to = "Tally" }]
//! deleted_classes = ["Old"]
//! ```
//!
//! Wrangler configs use the same keys (`durable_objects.bindings`,
//! `migrations`). Migrations are applied in the order of their tags as the
//! list gives them; what a rename means for storage (the new name keeps
//! the objects of the old one) is the runtime's business.

use serde::Deserialize;

/// Cloudflare's figure: an object with no events for about this long
/// leaves memory.
pub const DEFAULT_IDLE_TIMEOUT_S: u64 = 10;

/// `durable_objects`, as serde reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDurableObjects {
    #[serde(default)]
    pub(crate) bindings: Vec<RawDurableBinding>,
    pub(crate) idle_timeout_s: Option<u64>,
}

/// One `durable_objects.bindings` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDurableBinding {
    pub(crate) name: Option<String>,
    pub(crate) class_name: Option<String>,
    pub(crate) script_name: Option<String>,
    pub(crate) environment: Option<String>,
}

/// One `migrations` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMigration {
    pub(crate) tag: Option<String>,
    #[serde(default)]
    pub(crate) new_classes: Vec<String>,
    #[serde(default)]
    pub(crate) new_sqlite_classes: Vec<String>,
    #[serde(default)]
    pub(crate) renamed_classes: Vec<RawRename>,
    #[serde(default)]
    pub(crate) deleted_classes: Vec<String>,
    #[serde(default)]
    pub(crate) transferred_classes: Vec<toml::Value>,
}

/// A `renamed_classes` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRename {
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
}

/// A Durable Object namespace binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurableObjectBinding {
    /// `name`: the name in `env`. Required.
    pub name: String,
    /// `class_name`: the exported class. Required.
    pub class_name: String,
    /// `script_name`: the Worker of this server that exports the class.
    /// Default none: this Worker.
    pub script_name: Option<String>,
    /// The class's first name, following the exporting Worker's
    /// `renamed_classes` back (derived, not read): a renamed class keeps
    /// the objects made under its old name. Default `class_name`.
    pub original_class: String,
}

/// A Worker's Durable Objects settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurableObjectsSettings {
    /// `durable_objects.bindings`. Default none.
    pub bindings: Vec<DurableObjectBinding>,
    /// `durable_objects.idle_timeout_s`: seconds without an event after
    /// which an object leaves memory (its storage stays). Default
    /// [`DEFAULT_IDLE_TIMEOUT_S`].
    pub idle_timeout_s: u64,
    /// `migrations`, in order. Default none.
    pub migrations: Vec<Migration>,
}

impl Default for DurableObjectsSettings {
    fn default() -> Self {
        Self {
            bindings: Vec::new(),
            idle_timeout_s: DEFAULT_IDLE_TIMEOUT_S,
            migrations: Vec::new(),
        }
    }
}

impl DurableObjectsSettings {
    /// The classes the Worker's migrations leave it exporting with
    /// storage, in the order they were created, each with its first name
    /// (see [`DurableObjectBinding::original_class`]): a class made new and
    /// not deleted since, under the name its latest rename gave it.
    pub fn live_classes(&self) -> Vec<(String, String)> {
        let mut live: Vec<String> = Vec::new();
        for m in &self.migrations {
            live.extend(m.new_classes.iter().cloned());
            for (from, to) in &m.renamed_classes {
                if let Some(name) = live.iter_mut().find(|c| *c == from) {
                    name.clone_from(to);
                }
            }
            live.retain(|c| !m.deleted_classes.contains(c));
        }
        live.into_iter()
            .map(|c| {
                let first = original_class(&self.migrations, &c);
                (c, first)
            })
            .collect()
    }
}

/// One migration: what happened to the Worker's classes at `tag`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Migration {
    /// `tag`: its name, unique in the list. Required.
    pub tag: String,
    /// `new_classes` and `new_sqlite_classes` (every object is
    /// SQLite-backed in motu). Default none.
    pub new_classes: Vec<String>,
    /// `renamed_classes`: `(from, to)`. Default none.
    pub renamed_classes: Vec<(String, String)>,
    /// `deleted_classes`: their objects' storage is deleted. Default none.
    pub deleted_classes: Vec<String>,
}

/// Whether `name` is a JavaScript identifier-like class name.
fn valid_class(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

/// Validates a Worker's `durable_objects` and `migrations`; `taken` tells
/// whether a name in `env` is already used. Errors are `(field, message)`.
pub(crate) fn validate(
    raw: &RawDurableObjects,
    migrations: &[RawMigration],
    taken: &dyn Fn(&str) -> bool,
) -> Result<DurableObjectsSettings, (String, String)> {
    let mut bindings: Vec<DurableObjectBinding> = Vec::new();
    for (i, b) in raw.bindings.iter().enumerate() {
        let field = |f: &str| format!("durable_objects.bindings[{i}].{f}");
        let name = match &b.name {
            Some(n) if !n.is_empty() => n.clone(),
            _ => return Err((field("name"), "missing".into())),
        };
        if taken(&name) || bindings.iter().any(|o| o.name == name) {
            return Err((
                field("name"),
                format!("'{name}' is already a binding of this Worker"),
            ));
        }
        let class_name = match &b.class_name {
            Some(c) if valid_class(c) => c.clone(),
            Some(c) => return Err((field("class_name"), format!("'{c}' is not a class name"))),
            None => return Err((field("class_name"), "missing".into())),
        };
        if b.environment.is_some() {
            return Err((
                field("environment"),
                "not supported: name the Worker of this server with script_name".into(),
            ));
        }
        bindings.push(DurableObjectBinding {
            name,
            original_class: class_name.clone(),
            class_name,
            script_name: b.script_name.clone().filter(|s| !s.is_empty()),
        });
    }
    let mut out = Vec::new();
    for (i, m) in migrations.iter().enumerate() {
        let field = |f: &str| format!("migrations[{i}].{f}");
        let tag = match &m.tag {
            Some(t) if !t.is_empty() => t.clone(),
            _ => return Err((field("tag"), "missing".into())),
        };
        if out.iter().any(|o: &Migration| o.tag == tag) {
            return Err((field("tag"), format!("tag '{tag}' appears twice")));
        }
        if !m.transferred_classes.is_empty() {
            return Err((
                field("transferred_classes"),
                "not supported by motu (classes move between Workers of one server with script_name)"
                    .into(),
            ));
        }
        let mut new_classes = m.new_classes.clone();
        new_classes.extend(m.new_sqlite_classes.iter().cloned());
        let mut renamed = Vec::new();
        for (j, r) in m.renamed_classes.iter().enumerate() {
            let (Some(from), Some(to)) = (&r.from, &r.to) else {
                return Err((
                    field(&format!("renamed_classes[{j}]")),
                    "needs both 'from' and 'to'".into(),
                ));
            };
            renamed.push((from.clone(), to.clone()));
        }
        for c in new_classes
            .iter()
            .chain(&m.deleted_classes)
            .chain(renamed.iter().flat_map(|(a, b)| [a, b]))
        {
            if !valid_class(c) {
                return Err((field("classes"), format!("'{c}' is not a class name")));
            }
        }
        out.push(Migration {
            tag,
            new_classes,
            renamed_classes: renamed,
            deleted_classes: m.deleted_classes.clone(),
        });
    }
    Ok(DurableObjectsSettings {
        bindings,
        idle_timeout_s: raw.idle_timeout_s.unwrap_or(DEFAULT_IDLE_TIMEOUT_S).max(1),
        migrations: out,
    })
}

/// The first name of `class` in `migrations`: each rename to it, latest
/// first, is followed back to the name it came from.
pub(crate) fn original_class(migrations: &[Migration], class: &str) -> String {
    let mut name = class.to_owned();
    for m in migrations.iter().rev() {
        if let Some((from, _)) = m.renamed_classes.iter().find(|(_, to)| *to == name) {
            name = from.clone();
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_classes_follow_renames_and_deletions() {
        let m = |new: &[&str], renamed: &[(&str, &str)], deleted: &[&str]| Migration {
            tag: String::new(),
            new_classes: new.iter().map(|c| (*c).to_owned()).collect(),
            renamed_classes: renamed
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            deleted_classes: deleted.iter().map(|c| (*c).to_owned()).collect(),
        };
        let s = DurableObjectsSettings {
            migrations: vec![
                m(&["A", "B", "C"], &[], &[]),
                m(&[], &[("A", "A2")], &["B"]),
                m(&["D"], &[("A2", "A3")], &[]),
            ],
            ..Default::default()
        };
        assert_eq!(
            s.live_classes(),
            [
                ("A3".into(), "A".into()),
                ("C".into(), "C".into()),
                ("D".into(), "D".into())
            ]
        );
    }

    #[test]
    fn bindings_and_migrations_are_validated() {
        let raw: RawDurableObjects = toml::from_str(
            r#"bindings = [{ name = "C", class_name = "Counter" }, { name = "D", class_name = "Room", script_name = "chat" }]"#,
        )
        .unwrap();
        #[derive(Deserialize)]
        struct M {
            migrations: Vec<RawMigration>,
        }
        let m: M = toml::from_str(
            r#"
            [[migrations]]
            tag = "v1"
            new_sqlite_classes = ["Counter"]
            [[migrations]]
            tag = "v2"
            renamed_classes = [{ from = "Counter", to = "Tally" }]
            "#,
        )
        .unwrap();
        let s = validate(&raw, &m.migrations, &|_| false).unwrap();
        assert_eq!(s.bindings[1].script_name.as_deref(), Some("chat"));
        assert_eq!(s.idle_timeout_s, DEFAULT_IDLE_TIMEOUT_S);
        assert_eq!(
            s.migrations[1].renamed_classes,
            [("Counter".into(), "Tally".into())]
        );
        assert_eq!(original_class(&s.migrations, "Tally"), "Counter");
        assert_eq!(original_class(&s.migrations, "Other"), "Other");
        assert_eq!(s.live_classes(), [("Tally".into(), "Counter".into())]);
        let err = validate(&raw, &m.migrations, &|n| n == "C").unwrap_err();
        assert_eq!(err.0, "durable_objects.bindings[0].name");
        let bad: RawDurableObjects =
            toml::from_str(r#"bindings = [{ name = "X", class_name = "not a class" }]"#).unwrap();
        assert_eq!(
            validate(&bad, &[], &|_| false).unwrap_err().0,
            "durable_objects.bindings[0].class_name"
        );
    }
}
