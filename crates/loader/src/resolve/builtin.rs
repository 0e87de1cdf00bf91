//! Built-in modules: `node:*` and `cloudflare:*`.
//!
//! A Worker imports the runtime's own modules by name (`node:buffer`,
//! `cloudflare:sockets`). The runtime hands the loader the ones it provides
//! ([`BuiltinModules`], empty by default); importing any other is a
//! start-up error naming the module, never a failure deep in a stack. A bare
//! Node.js built-in name (`buffer`, `fs/promises`) is first looked up in
//! `node_modules`, as wrangler's bundler does (an npm polyfill of that name
//! wins); only when no package has that name is it the built-in
//! `node:NAME`.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The built-in modules a runtime provides, by name (`node:buffer`), each
/// an ES module's source. Cheap to clone.
#[derive(Clone, Default)]
pub struct BuiltinModules(Arc<BTreeMap<String, Arc<str>>>);

impl BuiltinModules {
    /// No built-in modules.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the module `name` (`node:buffer`), whose ES
    /// module source is `source`.
    pub fn with(mut self, name: impl Into<String>, source: impl Into<Arc<str>>) -> Self {
        Arc::make_mut(&mut self.0).insert(name.into(), source.into());
        self
    }

    /// The source of the built-in module `name`, if it is provided.
    pub fn source(&self, name: &str) -> Option<Arc<str>> {
        self.0.get(name).cloned()
    }
}

impl std::fmt::Debug for BuiltinModules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Whether `specifier` names a built-in module by its scheme (`node:`,
/// `cloudflare:`, `workerd:`).
pub(crate) fn has_builtin_scheme(specifier: &str) -> bool {
    ["node:", "cloudflare:", "workerd:"]
        .iter()
        .any(|s| specifier.starts_with(s))
}

/// The `node:` name of a bare Node.js built-in (`fs/promises` →
/// `node:fs/promises`), or `None` when `specifier` is not one.
pub(crate) fn node_builtin(specifier: &str) -> Option<String> {
    nodejs_built_in_modules::BUILTINS
        .contains(&specifier)
        .then(|| format!("node:{specifier}"))
}

/// Why a built-in module cannot be imported.
pub(crate) fn missing_message(name: &str) -> String {
    format!("'{name}' is a built-in module that motu does not provide yet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_told_apart() {
        assert!(has_builtin_scheme("node:buffer"));
        assert!(has_builtin_scheme("cloudflare:sockets"));
        assert!(!has_builtin_scheme("hono"));
        assert_eq!(
            node_builtin("fs/promises").as_deref(),
            Some("node:fs/promises")
        );
        assert_eq!(node_builtin("buffer").as_deref(), Some("node:buffer"));
        assert_eq!(node_builtin("hono"), None);
        let b = BuiltinModules::new().with("node:buffer", "export const Buffer = 1;");
        assert!(b.source("node:buffer").is_some());
        assert!(b.source("node:fs").is_none());
        assert_eq!(format!("{b:?}"), "{\"node:buffer\"}");
    }
}
