//! `kv_namespaces`: a Worker's KV namespace bindings.
//!
//! ```toml
//! [[workers.kv_namespaces]]
//! binding = "CACHE"      # env.CACHE is the namespace
//! id = "0f2ac74b498b48028cb68387c421e279"  # which namespace (default: the binding's name)
//! preview_id = "…"       # recorded; motu serves `id` in dev and serve alike
//! ```
//!
//! Wrangler configs use the same keys. As under `wrangler dev`, a binding
//! without an `id` uses its binding name as the namespace id, and two
//! bindings (of one Worker or of several) with the same `id` share one
//! namespace.

use serde::Deserialize;

/// The keys of a `kv_namespaces` entry motu reads from a Wrangler config.
pub(crate) const WRANGLER_KEYS: &[&str] = &["binding", "id", "preview_id"];

/// One `[[workers.kv_namespaces]]` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKvNamespace {
    pub(crate) binding: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) preview_id: Option<String>,
}

/// A KV namespace binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvNamespaceSettings {
    /// `binding`: the name in `env`. Required.
    pub binding: String,
    /// `id`: the namespace, which Workers naming the same id share; it
    /// names its file in the state folder (`kv/<id>.sqlite`), so it is made
    /// of letters, digits, `-`, `_` and `.`. Default: the binding's name.
    pub id: String,
    /// `preview_id`: recorded (Cloudflare's namespace for `wrangler dev
    /// --remote`); motu always serves `id`. Default none.
    pub preview_id: Option<String>,
}

/// Whether `id` can name a store (see [`KvNamespaceSettings::id`]).
pub(crate) fn valid_store_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Validates a Worker's `kv_namespaces`; `taken` tells whether a name in
/// `env` is already used by another binding. Errors are `(field, message)`
/// with the field relative to the Worker.
pub(crate) fn validate(
    raw: &[RawKvNamespace],
    taken: &dyn Fn(&str) -> bool,
) -> Result<Vec<KvNamespaceSettings>, (String, String)> {
    let mut out: Vec<KvNamespaceSettings> = Vec::new();
    for (i, ns) in raw.iter().enumerate() {
        let field = |f: &str| format!("kv_namespaces[{i}].{f}");
        let binding = match &ns.binding {
            Some(b) if !b.is_empty() => b.clone(),
            _ => return Err((field("binding"), "missing".into())),
        };
        if taken(&binding) || out.iter().any(|o| o.binding == binding) {
            return Err((
                field("binding"),
                format!("'{binding}' is already a binding of this Worker"),
            ));
        }
        let id = ns.id.clone().unwrap_or_else(|| binding.clone());
        if !valid_store_id(&id) {
            return Err((
                field(if ns.id.is_some() { "id" } else { "binding" }),
                format!(
                    "'{id}' cannot name a namespace: use letters, digits, '-', '_' and '.' \
                     (up to 200, not starting with '.')"
                ),
            ));
        }
        out.push(KvNamespaceSettings {
            binding,
            id,
            preview_id: ns.preview_id.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(binding: Option<&str>, id: Option<&str>) -> RawKvNamespace {
        RawKvNamespace {
            binding: binding.map(Into::into),
            id: id.map(Into::into),
            preview_id: None,
        }
    }

    #[test]
    fn namespaces_are_validated() {
        let none = |_: &str| false;
        let ok = validate(&[raw(Some("A"), Some("abc")), raw(Some("B"), None)], &none).unwrap();
        assert_eq!(ok[0].id, "abc");
        assert_eq!(ok[1].id, "B", "the binding names the namespace by default");
        let err =
            |r: &[RawKvNamespace], taken: &dyn Fn(&str) -> bool| validate(r, taken).unwrap_err();
        assert_eq!(
            err(&[raw(None, Some("x"))], &none).0,
            "kv_namespaces[0].binding"
        );
        assert!(err(&[raw(Some("A"), None), raw(Some("A"), None)], &none)
            .1
            .contains("already"));
        assert!(err(&[raw(Some("V"), None)], &|n| n == "V")
            .1
            .contains("already"));
        assert_eq!(
            err(&[raw(Some("A"), Some("../x"))], &none).0,
            "kv_namespaces[0].id"
        );
    }
}
