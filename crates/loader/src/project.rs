//! A project: the `ModuleSource` of a Worker loaded from a folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use motu_engine::ModuleSource;
use parking_lot::RwLock;

use crate::format::rules::Rules;
use crate::graph::Graph;
use crate::resolve::{Resolver, Target};
use crate::transpile::{self, Transpiler};
use crate::{LoaderError, ProjectOptions};

/// A Worker's project folder, serving its modules as JavaScript. The
/// entry's whole import graph is read, resolved and transformed when the
/// project loads (the loader's graph walk); engines then read the results.
#[derive(Debug)]
pub struct Project {
    root: PathBuf,
    entry: String,
    is_module: bool,
    graph: RwLock<Graph>,
}

impl Project {
    /// Opens the project of `options`: reads the entry and every module it
    /// imports, so that a missing package, an unreadable file or a module
    /// that does not parse is an error now.
    pub fn load(options: &ProjectOptions) -> Result<Self, LoaderError> {
        let root = options
            .root
            .canonicalize()
            .map_err(|source| LoaderError::Read {
                path: options.root.clone(),
                source,
            })?;
        let entry_path = if options.entry.is_absolute() {
            options.entry.clone()
        } else {
            options.root.join(&options.entry)
        };
        let resolver = Resolver::new(
            root.clone(),
            &options.conditions,
            options.builtins.clone(),
            options.confined,
        )
        .with_alias(&options.alias);
        let outside = || LoaderError::OutsideRoot {
            entry: entry_path.clone(),
            root: root.clone(),
        };
        let real = entry_path
            .canonicalize()
            .map_err(|source| LoaderError::Read {
                path: entry_path.clone(),
                source,
            })?;
        if !real.starts_with(&root) {
            return Err(outside());
        }
        let target = resolver.file(&real).map_err(|_| outside())?;
        if !matches!(target, Target::File { .. }) {
            return Err(outside());
        }
        let transpiler = Transpiler::new(options, &transpile::absolute(&entry_path))?;
        let mut graph = Graph::new(resolver, Rules::new(&options.rules)?, transpiler);
        let (entry, is_module) = graph.add_entry(target)?;
        graph.settle();
        Ok(Self {
            root,
            entry,
            is_module,
            graph: RwLock::new(graph),
        })
    }

    /// The entry module's name.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// Whether the entry is an ES module (else a service-worker script,
    /// served as it is).
    pub fn is_module(&self) -> bool {
        self.is_module
    }

    /// The project's root folder (its real path).
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl ModuleSource for Project {
    fn source(&self, name: &str) -> Option<Arc<str>> {
        if let Some(code) = self.graph.read().module(name) {
            return Some(code);
        }
        let mut graph = self.graph.write();
        graph.add_by_name(name)?;
        graph.module(name)
    }

    fn resolve(&self, referrer: &str, specifier: &str) -> Result<String, String> {
        if let Some(name) = self.graph.read().link(referrer, specifier) {
            return Ok(name);
        }
        let mut graph = self.graph.write();
        if let Some(name) = graph.link(referrer, specifier) {
            return Ok(name);
        }
        graph.link_late(referrer, specifier)
    }

    fn bytes(&self, name: &str) -> Option<Arc<[u8]>> {
        self.graph.read().bytes(name)
    }

    fn bundle_files(&self) -> Vec<String> {
        self.graph.read().bundle_files()
    }

    fn bundle_file(&self, name: &str) -> Option<Arc<[u8]>> {
        self.graph.read().bundle_file(name)
    }

    fn original_position(&self, name: &str, line: u32, column: u32) -> Option<(u32, u32)> {
        self.graph
            .read()
            .transpiler()
            .original_position(name, line, column)
    }

    fn maps_positions(&self) -> bool {
        self.graph.read().transpiler().maps_positions()
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
        assert!(p.is_module());
        assert_eq!(p.source("lib/a.js").as_deref(), Some("export const a = 1;"));
        assert_eq!(p.source("lib/missing.js"), None);
        assert_eq!(p.source("../etc/passwd"), None);
        assert_eq!(p.source("/etc/passwd"), None);
    }

    #[test]
    fn an_entry_outside_the_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.js"), "export default {}").unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        let err =
            Project::load(&ProjectOptions::new(dir.path().join("root"), "../x.js")).unwrap_err();
        assert!(matches!(err, LoaderError::OutsideRoot { .. }), "{err}");
    }
}
