//! `worker_loaders`: a Worker's Dynamic Worker Loader bindings,
//! `[[workers.worker_loaders]]` in motu.toml and `worker_loaders` in a
//! Wrangler config (the same key; not inherited by `[env.NAME]` sections,
//! as bindings are not).
//!
//! ```toml
//! [[workers.worker_loaders]]
//! binding = "LOADER"        # env.LOADER.get(id, () => code), env.LOADER.load(code)
//! ```
//!
//! The binding starts Workers from code the Worker gives at run time, each
//! in isolates of its own (see the runtime's `dynamic` module).

use serde::Deserialize;

/// The keys of a `worker_loaders` entry motu reads from a Wrangler config.
pub(crate) const WRANGLER_KEYS: &[&str] = &["binding"];

/// One `[[workers.worker_loaders]]` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkerLoader {
    pub(crate) binding: Option<String>,
}

/// Validates a Worker's `worker_loaders` into their binding names; `taken`
/// tells whether a name in `env` is already used by another binding.
/// Errors are `(field, message)`.
pub(crate) fn validate(
    raw: &[RawWorkerLoader],
    taken: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, (String, String)> {
    let mut out: Vec<String> = Vec::new();
    for (i, l) in raw.iter().enumerate() {
        let field = format!("worker_loaders[{i}].binding");
        let binding = match l.binding.as_deref().map(str::trim) {
            Some(b) if !b.is_empty() => b.to_owned(),
            _ => return Err((field, "missing".into())),
        };
        if binding.contains(':') {
            // It is part of its dynamic Workers' names, `PARENT:BINDING:…`.
            return Err((field, format!("'{binding}' may not contain ':'")));
        }
        if taken(&binding) || out.contains(&binding) {
            return Err((field, format!("'{binding}' is already bound in env")));
        }
        out.push(binding);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(binding: Option<&str>) -> RawWorkerLoader {
        RawWorkerLoader {
            binding: binding.map(str::to_owned),
        }
    }

    #[test]
    fn bindings_are_named_once() {
        let free = |_: &str| false;
        assert_eq!(
            validate(&[raw(Some("LOADER")), raw(Some("SANDBOX"))], &free).unwrap(),
            ["LOADER", "SANDBOX"]
        );
        let (field, message) = validate(&[raw(Some("A")), raw(Some("A"))], &free).unwrap_err();
        assert_eq!(field, "worker_loaders[1].binding");
        assert!(message.contains("already bound"), "{message}");
        let (field, _) = validate(&[raw(None)], &free).unwrap_err();
        assert_eq!(field, "worker_loaders[0].binding");
        let (_, message) = validate(&[raw(Some("A:B"))], &free).unwrap_err();
        assert!(message.contains("':'"), "{message}");
        let (_, message) = validate(&[raw(Some("KV"))], &|n| n == "KV").unwrap_err();
        assert!(message.contains("'KV'"), "{message}");
    }
}
