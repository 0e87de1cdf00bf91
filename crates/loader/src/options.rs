//! How a project is loaded.

use std::path::PathBuf;

/// Where a project is and how to load it.
#[derive(Debug, Clone)]
pub struct ProjectOptions {
    /// The project folder: every module must lie inside it.
    pub root: PathBuf,
    /// The entry file: absolute, or relative to `root`.
    pub entry: PathBuf,
}

impl ProjectOptions {
    /// A project rooted at `root` whose entry is `entry`.
    pub fn new(root: impl Into<PathBuf>, entry: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            entry: entry.into(),
        }
    }
}
