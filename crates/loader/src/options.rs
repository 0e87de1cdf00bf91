//! How a project is loaded.

use std::path::PathBuf;

use crate::format::rules::ModuleRule;
use crate::resolve::{BuiltinModules, DEFAULT_CONDITIONS};

/// Where a project is and how to load it.
#[derive(Debug, Clone)]
pub struct ProjectOptions {
    /// The project folder: every module must lie inside it.
    pub root: PathBuf,
    /// The entry file: absolute, or relative to `root`.
    pub entry: PathBuf,
    /// Module rules (wrangler's `rules`), in front of the default ones
    /// (see [`crate::format::rules`]). Default none.
    pub rules: Vec<ModuleRule>,
    /// The custom conditions under which `package.json` `exports` are
    /// matched, besides `import`/`require` and `default`. Default
    /// [`DEFAULT_CONDITIONS`]: `workerd`, `worker`, `browser`, as wrangler
    /// gives esbuild.
    pub conditions: Vec<String>,
    /// The built-in modules (`node:*`, `cloudflare:*`) the runtime
    /// provides. Default none: importing one is a start-up error naming
    /// it.
    pub builtins: BuiltinModules,
}

impl ProjectOptions {
    /// A project rooted at `root` whose entry is `entry`, with every other
    /// option at its default.
    pub fn new(root: impl Into<PathBuf>, entry: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            entry: entry.into(),
            rules: Vec::new(),
            conditions: DEFAULT_CONDITIONS.iter().map(|c| (*c).to_owned()).collect(),
            builtins: BuiltinModules::new(),
        }
    }
}
