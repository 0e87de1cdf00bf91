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
    /// The `tsconfig.json` whose `compilerOptions` shape how TypeScript and
    /// JSX are transpiled (wrangler's `tsconfig` key): absolute, or relative
    /// to `root`. Default `None`: the `tsconfig.json` nearest to the entry
    /// (in its folder or the closest folder above it), if there is one.
    pub tsconfig: Option<PathBuf>,
    /// Global expressions replaced at load in every module, as wrangler's
    /// `define` key (and esbuild's `define`) does: each pair is a global
    /// name or property chain (`DEBUG`, `process.env.API`) and the
    /// JavaScript expression it becomes (`"true"`, `"\"https://x\""`).
    /// Entries here win over the `process.env.NODE_ENV` replacement of
    /// [`ProjectOptions::node_env`]. Default none.
    pub define: Vec<(String, String)>,
    /// The value `process.env.NODE_ENV` (and `global.process.env.NODE_ENV`,
    /// `globalThis.process.env.NODE_ENV`) is replaced with, as a string
    /// literal, as wrangler does. Wrangler uses its own `NODE_ENV`
    /// environment variable when set, else `"development"` for `wrangler
    /// dev` and `"production"` for `wrangler deploy`; the `motu` binary does
    /// the same for `motu dev` and `motu serve`. Default `"production"`.
    pub node_env: String,
    /// The classic-runtime JSX factory used when neither the module (an
    /// `@jsx` pragma) nor `tsconfig.json` (`jsxFactory`) names one
    /// (wrangler's `jsx_factory`). Default `None`: `React.createElement`.
    pub jsx_factory: Option<String>,
    /// The classic-runtime JSX fragment used when neither the module
    /// (`@jsxFrag`) nor `tsconfig.json` (`jsxFragmentFactory`) names one
    /// (wrangler's `jsx_fragment`). Default `None`: `React.Fragment`.
    pub jsx_fragment: Option<String>,
    /// Where transpiled modules are kept between runs, by content hash (the
    /// `motu` binary uses `<project>/.motu/cache`). Default `None`: kept in
    /// memory only, for the life of the process.
    pub cache_dir: Option<PathBuf>,
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
    /// Whether only files inside `root` may be loaded: no packages hoisted
    /// into its ancestors' `node_modules`, no workspace siblings. For code
    /// that is not trusted (a dynamic Worker's). Default `false`.
    pub confined: bool,
    /// Module aliases (wrangler's `alias` key): an import whose specifier
    /// is exactly a key (`node-fetch`, `node:fs`) loads what the value
    /// names instead, resolved from `root` as if a module there imported
    /// it (`./shims/fetch`, another package, a built-in module). They
    /// apply to every module, packages' included, and come before the
    /// built-in modules. Default none.
    pub alias: Vec<(String, String)>,
}

impl ProjectOptions {
    /// A project rooted at `root` whose entry is `entry`, with every other
    /// option at its default.
    pub fn new(root: impl Into<PathBuf>, entry: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            entry: entry.into(),
            tsconfig: None,
            define: Vec::new(),
            node_env: "production".into(),
            jsx_factory: None,
            jsx_fragment: None,
            cache_dir: None,
            rules: Vec::new(),
            conditions: DEFAULT_CONDITIONS.iter().map(|c| (*c).to_owned()).collect(),
            builtins: BuiltinModules::new(),
            confined: false,
            alias: Vec::new(),
        }
    }
}
