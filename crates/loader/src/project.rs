//! A project: the `ModuleSource` of a Worker loaded from a folder.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use motu_engine::ModuleSource;
use parking_lot::Mutex;

use crate::transpile::{self, Transpiler};
use crate::{resolve, LoaderError, ModuleKind, ProjectOptions};

/// A Worker's project folder, serving its modules as JavaScript. Modules are
/// read and transformed on first use, then kept.
#[derive(Debug)]
pub struct Project {
    root: PathBuf,
    entry: String,
    modules: Mutex<HashMap<String, Option<Arc<str>>>>,
    transpiler: Transpiler,
}

impl Project {
    /// Opens the project of `options`, reading and transforming its entry
    /// module (so that an unreadable or broken entry is an error now).
    pub fn load(options: &ProjectOptions) -> Result<Self, LoaderError> {
        let root = options.root.clone();
        let entry_path = if options.entry.is_absolute() {
            options.entry.clone()
        } else {
            root.join(&options.entry)
        };
        let outside = || LoaderError::OutsideRoot {
            entry: entry_path.clone(),
            root: root.clone(),
        };
        let relative = entry_path.strip_prefix(&root).map_err(|_| outside())?;
        let entry = module_name(relative).ok_or_else(outside)?;
        let transpiler = Transpiler::new(options, &transpile::absolute(&entry_path))?;
        let project = Self {
            root,
            entry,
            modules: Mutex::new(HashMap::new()),
            transpiler,
        };
        let code = project.transform(&project.entry)?;
        project
            .modules
            .lock()
            .insert(project.entry.clone(), Some(code));
        Ok(project)
    }

    /// The entry module's name.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The project's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The JavaScript of the module `name`.
    fn transform(&self, name: &str) -> Result<Arc<str>, LoaderError> {
        let path = self.root.join(name);
        let text = std::fs::read_to_string(&path).map_err(|source| LoaderError::Read {
            path: path.clone(),
            source,
        })?;
        match ModuleKind::of(name) {
            Some(kind) => self.transpiler.module(name, kind, &text),
            None => Ok(text.into()),
        }
    }
}

impl Project {
    /// Transpiles the module `name` now if it needs it, so that a module
    /// that cannot be transpiled fails its import with the reason (file,
    /// line, column) rather than as a missing module.
    fn transpiles(&self, name: &str) -> Result<(), String> {
        if !ModuleKind::of(name).is_some_and(ModuleKind::needs_transpiling)
            || self.modules.lock().contains_key(name)
        {
            return Ok(());
        }
        match self.transform(name) {
            Ok(code) => {
                self.modules.lock().insert(name.to_owned(), Some(code));
                Ok(())
            }
            Err(e @ (LoaderError::Transform { .. } | LoaderError::Unsupported { .. })) => {
                Err(e.to_string())
            }
            // A missing or unreadable file is the engine's to report.
            Err(_) => Ok(()),
        }
    }
}

/// The module name of a path relative to the root: `/`-separated, with no
/// `.`, `..` or root components.
fn module_name(relative: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in relative.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

impl ModuleSource for Project {
    fn source(&self, name: &str) -> Option<Arc<str>> {
        if name.starts_with('/') || name.split('/').any(|seg| seg == ".." || seg.is_empty()) {
            return None;
        }
        if let Some(hit) = self.modules.lock().get(name) {
            return hit.clone();
        }
        let code = self.transform(name).ok();
        self.modules.lock().insert(name.to_owned(), code.clone());
        code
    }

    fn resolve(&self, referrer: &str, specifier: &str) -> Result<String, String> {
        let name = resolve::resolve(referrer, specifier)?;
        self.transpiles(&name)?;
        Ok(name)
    }

    fn original_position(&self, name: &str, line: u32, column: u32) -> Option<(u32, u32)> {
        self.transpiler.original_position(name, line, column)
    }

    fn maps_positions(&self) -> bool {
        self.transpiler.maps_positions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("lib")).unwrap();
        std::fs::write(dir.path().join("main.js"), "export default {}").unwrap();
        std::fs::write(dir.path().join("lib/a.js"), "export const a = 1;").unwrap();
        let p = Project::load(&ProjectOptions::new(dir.path(), "main.js")).unwrap();
        assert_eq!(p.entry(), "main.js");
        assert_eq!(p.source("lib/a.js").as_deref(), Some("export const a = 1;"));
        assert_eq!(p.source("lib/missing.js"), None);
        assert_eq!(p.source("../etc/passwd"), None);
        assert_eq!(p.source("/etc/passwd"), None);
    }

    #[test]
    fn an_entry_outside_the_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = Project::load(&ProjectOptions::new(dir.path(), "../x.js")).unwrap_err();
        assert!(matches!(err, LoaderError::OutsideRoot { .. }), "{err}");
    }
}
