//! A project: the `ModuleSource` of a Worker loaded from a folder.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use motu_engine::ModuleSource;
use parking_lot::Mutex;

use crate::{resolve, transpile, LoaderError, ModuleKind, ProjectOptions};

/// A Worker's project folder, serving its modules as JavaScript. Modules are
/// read and transformed on first use, then kept.
#[derive(Debug)]
pub struct Project {
    root: PathBuf,
    entry: String,
    modules: Mutex<HashMap<String, Option<Arc<str>>>>,
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
        let project = Self {
            root,
            entry,
            modules: Mutex::new(HashMap::new()),
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
        let kind = ModuleKind::of(name).unwrap_or(ModuleKind::JavaScript);
        Ok(transpile::transpile(name, kind, &text)?.code.into())
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
        resolve::resolve(referrer, specifier)
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
