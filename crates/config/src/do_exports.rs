//! Wrangler's declarative `exports` map: the Durable Object classes a
//! Worker exports, each with its lifecycle, which Cloudflare now prefers to
//! the `migrations` list for new Workers (the two cannot both be set):
//!
//! ```jsonc
//! "exports": {
//!   "ChatRoom": { "type": "durable-object", "state": "renamed", "renamed_to": "Room" },
//!   "Room": { "type": "durable-object", "storage": "sqlite" },    // state "created" (live)
//!   "Old": { "type": "durable-object", "state": "deleted" }       // its objects are deleted
//! }
//! ```
//!
//! motu reads the map as the migrations it stands for (the rest of the
//! config and the runtime know only migrations): the live classes as new
//! classes, each rename as a step of its own (a chain `A → B → C` in
//! order, so the live class finds the objects made under its first name),
//! each deletion after them. The steps' tags are derived from the map
//! (`exports:created`, `exports:renamed:<class>`, `exports:deleted:<class>`)
//! and recorded as any migration's, so a deletion happens once. Transfers
//! between Workers (`transferred`) are refused as the `migrations` list's
//! are; a class `expecting-transfer` is live (it starts empty: no Worker
//! hands it objects); `storage` is read (every object is SQLite-backed) and
//! `container` is reported as unsupported.

use serde_json::{Map, Value};

/// The keys of an `exports` entry motu reads.
const ENTRY_KEYS: &[&str] = &["type", "state", "storage", "renamed_to"];

/// `exports` (at `field`) as a `migrations` list, with the keys it left
/// out (to warn about), or the field and message of what is wrong.
pub(crate) fn as_migrations(
    exports: &Value,
    field: &str,
) -> Result<(Value, Vec<String>), (String, String)> {
    let Value::Object(map) = exports else {
        return Err((field.into(), "must be a table of classes".into()));
    };
    let mut ignored = Vec::new();
    let mut live = Vec::new();
    let mut renames: Vec<(String, String)> = Vec::new();
    let mut deleted = Vec::new();
    for (class, entry) in map {
        let at = |k: &str| format!("{field}.{class}.{k}");
        let Value::Object(entry) = entry else {
            return Err((format!("{field}.{class}"), "must be a table".into()));
        };
        for key in entry.keys() {
            if !ENTRY_KEYS.contains(&key.as_str()) {
                ignored.push(at(key));
            }
        }
        match entry.get("type").and_then(Value::as_str) {
            Some("durable-object") => {}
            Some(other) => {
                return Err((
                    at("type"),
                    format!("'{other}' is not an export type motu knows (\"durable-object\")"),
                ))
            }
            None => return Err((at("type"), "missing (\"durable-object\")".into())),
        }
        if let Some(storage) = entry.get("storage") {
            if !matches!(storage.as_str(), Some("sqlite" | "legacy-kv")) {
                return Err((at("storage"), "must be \"sqlite\" or \"legacy-kv\"".into()));
            }
        }
        let state = entry.get("state").map_or(Some("created"), Value::as_str);
        match state {
            Some("created" | "expecting-transfer") => live.push(class.clone()),
            Some("deleted") => deleted.push(class.clone()),
            Some("renamed") => {
                let to = entry
                    .get("renamed_to")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| (at("renamed_to"), "missing".into()))?;
                if !map.contains_key(to) {
                    return Err((
                        at("renamed_to"),
                        format!("'{to}' is not a class of this map"),
                    ));
                }
                renames.push((class.clone(), to.to_owned()));
            }
            Some("transferred") => {
                return Err((
                    at("state"),
                    "\"transferred\" is not supported by motu (classes move between Workers of one server with script_name)"
                        .into(),
                ))
            }
            _ => {
                return Err((
                    at("state"),
                    "must be \"created\", \"deleted\", \"renamed\", \"transferred\" or \"expecting-transfer\"".into(),
                ))
            }
        }
    }
    let mut steps = vec![step(
        "exports:created",
        "new_sqlite_classes",
        strings(&live),
    )];
    for (from, to) in chain_order(&renames).map_err(|class| {
        (
            format!("{field}.{class}.renamed_to"),
            "the renames go round in a circle".into(),
        )
    })? {
        let mut rename = Map::new();
        rename.insert("from".into(), Value::String(from.clone()));
        rename.insert("to".into(), Value::String(to));
        steps.push(step(
            &format!("exports:renamed:{from}"),
            "renamed_classes",
            Value::Array(vec![Value::Object(rename)]),
        ));
    }
    for class in deleted {
        steps.push(step(
            &format!("exports:deleted:{class}"),
            "deleted_classes",
            strings(std::slice::from_ref(&class)),
        ));
    }
    Ok((Value::Array(steps), ignored))
}

/// One migration: `tag` and one list.
fn step(tag: &str, key: &str, list: Value) -> Value {
    let mut m = Map::new();
    m.insert("tag".into(), Value::String(tag.into()));
    m.insert(key.into(), list);
    Value::Object(m)
}

fn strings(list: &[String]) -> Value {
    Value::Array(list.iter().cloned().map(Value::String).collect())
}

/// `renames` ordered so that a rename comes after the one that made its
/// `from` (`A → B` before `B → C`); the class of a circle as the error.
fn chain_order(renames: &[(String, String)]) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for start in renames
        .iter()
        .filter(|(from, _)| renames.iter().all(|(_, to)| to != from))
    {
        let mut at = Some(start.clone());
        while let Some((from, to)) = at {
            at = renames.iter().find(|(f, _)| *f == to).cloned();
            out.push((from, to));
        }
    }
    match renames.iter().find(|r| !out.contains(r)) {
        Some((class, _)) => Err(class.clone()),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(json: &str) -> Result<Value, (String, String)> {
        as_migrations(&serde_json::from_str(json).unwrap(), "exports").map(|(v, _)| v)
    }

    #[test]
    fn live_classes_renames_in_chain_order_then_deletions() {
        let m = convert(
            r#"{
              "B": { "type": "durable-object", "state": "renamed", "renamed_to": "C" },
              "Gone": { "type": "durable-object", "state": "deleted" },
              "A": { "type": "durable-object", "state": "renamed", "renamed_to": "B" },
              "C": { "type": "durable-object", "storage": "sqlite" },
              "In": { "type": "durable-object", "state": "expecting-transfer" }
            }"#,
        )
        .unwrap();
        let tags: Vec<&str> = m
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["tag"].as_str().unwrap())
            .collect();
        assert_eq!(
            tags,
            [
                "exports:created",
                "exports:renamed:A",
                "exports:renamed:B",
                "exports:deleted:Gone"
            ]
        );
        assert_eq!(m[0]["new_sqlite_classes"], serde_json::json!(["C", "In"]));
        assert_eq!(
            m[1]["renamed_classes"],
            serde_json::json!([{ "from": "A", "to": "B" }])
        );
        assert_eq!(m[3]["deleted_classes"], serde_json::json!(["Gone"]));
    }

    #[test]
    fn what_cannot_be_read_is_named() {
        let err = |json: &str| convert(json).unwrap_err();
        assert_eq!(err(r#"{ "A": {} }"#).0, "exports.A.type");
        assert_eq!(
            err(r#"{ "A": { "type": "durable-object", "state": "renamed" } }"#).0,
            "exports.A.renamed_to"
        );
        assert_eq!(
            err(r#"{ "A": { "type": "durable-object", "state": "renamed", "renamed_to": "Z" } }"#)
                .1,
            "'Z' is not a class of this map"
        );
        assert_eq!(
            err(r#"{ "A": { "type": "durable-object", "state": "transferred", "transferred_to": "w" } }"#).0,
            "exports.A.state"
        );
        assert!(err(
            r#"{ "A": { "type": "durable-object", "state": "renamed", "renamed_to": "B" },
                 "B": { "type": "durable-object", "state": "renamed", "renamed_to": "A" } }"#
        )
        .1
        .contains("circle"));
        let (_, ignored) = as_migrations(
            &serde_json::json!({ "A": { "type": "durable-object", "container": "c" } }),
            "exports",
        )
        .unwrap();
        assert_eq!(ignored, ["exports.A.container"]);
    }
}
