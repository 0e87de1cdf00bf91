//! Worker code: scripts, modules and how imports resolve.

use std::collections::HashMap;
use std::sync::Arc;

/// The two forms a Worker takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// An ES module with `export default { fetch, scheduled }`; it may import
    /// other modules of the same Worker.
    Module,
    /// A classic (service-worker) script that calls `addEventListener`.
    Script,
}

/// Where a Worker's modules come from, and how its imports resolve.
///
/// Engines ask [`ModuleSource::resolve`] for the name of every module a
/// module imports (statically or with `import()`), then
/// [`ModuleSource::source`] for the text of each name they have not loaded
/// yet. Names are opaque to engines; they show in stack traces.
pub trait ModuleSource: Send + Sync {
    /// The source of the module named `name` (as [`ModuleSource::resolve`]
    /// gave it), or `None` when there is no such module.
    fn source(&self, name: &str) -> Option<Arc<str>>;

    /// The name of the module that `specifier`, imported by the module named
    /// `referrer`, refers to; or a message saying why there is none.
    ///
    /// The default resolves with [`resolve_specifier`]: relative to the
    /// referrer, bare specifiers kept as they are.
    fn resolve(&self, referrer: &str, specifier: &str) -> Result<String, String> {
        resolve_specifier(referrer, specifier)
    }

    /// Where the place `line:column` (1-based, as stack traces count) of
    /// the module `name` is in the file its author wrote, when the module's
    /// JavaScript was generated from that file (TypeScript, JSX); `None`
    /// when it is the same place, or unknown.
    ///
    /// The default knows of no generated modules.
    fn original_position(&self, name: &str, line: u32, column: u32) -> Option<(u32, u32)> {
        let _ = (name, line, column);
        None
    }

    /// Whether some module may have places that differ from its file's, so
    /// that stack traces need [`ModuleSource::original_position`]. Asked
    /// when an isolate starts; when false, stack traces are the engine's
    /// own and cost nothing more.
    ///
    /// The default: false.
    fn maps_positions(&self) -> bool {
        false
    }

    /// The bytes of the module `name` when its JavaScript fetches them from
    /// the host at run time (a Data or CompiledWasm module, whose bytes are
    /// not written into its source); `None` otherwise. The default has
    /// none.
    fn bytes(&self, _name: &str) -> Option<Arc<[u8]>> {
        None
    }

    /// The names of the Worker's files, sorted: what node:fs shows under
    /// `/bundle`, as Cloudflare shows a Worker's modules there. The
    /// default has none.
    fn bundle_files(&self) -> Vec<String> {
        Vec::new()
    }

    /// The content of the file `name` of [`ModuleSource::bundle_files`].
    /// The default has none.
    fn bundle_file(&self, _name: &str) -> Option<Arc<[u8]>> {
        None
    }
}

/// Modules held in memory, by name.
#[derive(Debug, Default, Clone)]
pub struct MemoryModules(HashMap<String, Arc<str>>);

impl MemoryModules {
    /// No modules.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a module.
    pub fn with(mut self, name: impl Into<String>, source: impl Into<Arc<str>>) -> Self {
        self.0.insert(name.into(), source.into());
        self
    }
}

impl ModuleSource for MemoryModules {
    fn source(&self, name: &str) -> Option<Arc<str>> {
        self.0.get(name).cloned()
    }
}

/// The code of one Worker, ready to load into an isolate.
#[derive(Clone)]
pub struct WorkerCode {
    /// Module or script.
    pub syntax: Syntax,
    /// The name of the entry module or script (e.g. `worker.js`).
    pub entry: String,
    /// Where sources are found.
    pub modules: Arc<dyn ModuleSource>,
}

impl WorkerCode {
    /// The entry module's source, or the exception an engine reports when
    /// there is none.
    pub fn entry_source(&self) -> Result<Arc<str>, crate::EngineError> {
        self.modules.source(&self.entry).ok_or_else(|| {
            crate::EngineError::Exception(crate::JsError::new(
                "Error",
                format!("the Worker has no module '{}'", self.entry),
            ))
        })
    }
}

impl std::fmt::Debug for WorkerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerCode")
            .field("syntax", &self.syntax)
            .field("entry", &self.entry)
            .finish_non_exhaustive()
    }
}

/// Resolves an import specifier against the name of the importing module.
///
/// Names are `/`-separated paths relative to the Worker's root, without a
/// leading `./`. Relative specifiers (`./x.js`, `../x.js`) resolve against the
/// importer's folder; a specifier starting with `/` against the root; any other
/// (bare) specifier is kept as it is, so a [`ModuleSource`] may offer it by
/// that name. Going above the root is an error.
pub fn resolve_specifier(referrer: &str, specifier: &str) -> Result<String, String> {
    let (base, rest): (Vec<&str>, &str) = if let Some(rest) = specifier.strip_prefix('/') {
        (Vec::new(), rest)
    } else if specifier.starts_with("./") || specifier.starts_with("../") {
        let mut dir: Vec<&str> = referrer.split('/').collect();
        dir.pop();
        (dir, specifier)
    } else {
        return Ok(specifier.to_owned());
    };
    let mut parts = base;
    for seg in rest.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "import '{specifier}' from '{referrer}' leaves the Worker's root"
                    ));
                }
            }
            s => parts.push(s),
        }
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::resolve_specifier;

    #[test]
    fn relative_specifiers_resolve_against_the_importer() {
        assert_eq!(resolve_specifier("worker.js", "./a.js").unwrap(), "a.js");
        assert_eq!(resolve_specifier("lib/x.js", "./a.js").unwrap(), "lib/a.js");
        assert_eq!(resolve_specifier("lib/x.js", "../a.js").unwrap(), "a.js");
        assert_eq!(
            resolve_specifier("lib/x/y.js", "../../b/c.js").unwrap(),
            "b/c.js"
        );
        assert_eq!(resolve_specifier("lib/x.js", "/top.js").unwrap(), "top.js");
        assert_eq!(resolve_specifier("lib/x.js", "pkg").unwrap(), "pkg");
    }

    #[test]
    fn leaving_the_root_is_an_error() {
        assert!(resolve_specifier("worker.js", "../a.js").is_err());
    }
}
