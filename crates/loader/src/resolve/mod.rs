//! Import specifiers to files, the way wrangler's bundler (esbuild, for the
//! `workerd` platform) finds them.
//!
//! Resolution is [`oxc_resolver`]'s (a port of webpack's enhanced-resolve),
//! set up as wrangler sets up esbuild:
//!
//! - **Relative** specifiers (`./x.js`, `../x`) resolve against the
//!   importing file's folder; a specifier starting with `/` against the
//!   project's root (motu's rule), or, when there is no such file there,
//!   as an absolute path (esbuild's rule: bundlers such as OpenNext's
//!   write absolute paths into their output), still confined.
//! - **Bare** specifiers (`hono`, `hono/jsx`, `@scope/pkg/sub`) are looked
//!   up in the nearest `node_modules` folder up the tree from the importer.
//!   A package's `package.json` `exports` decides which file a subpath
//!   is (subpaths, `*` patterns, nested conditions), under the conditions
//!   [`DEFAULT_CONDITIONS`] (`workerd`, `worker`, `browser`, wrangler's
//!   custom conditions) plus `import` for `import` statements and
//!   `import()`, or `require` for `require()` calls, plus `default`. The
//!   order of conditions in `exports` decides, not the order of this list.
//!   `#internal` specifiers go through the package's `imports`.
//! - A package without `exports` is entered through its `browser`,
//!   `module` or `main` field (in that order); the `browser` field's
//!   object form remaps (or, with `false`, empties) files and packages.
//! - Files are probed with the extensions `.tsx`, `.ts`, `.jsx`, `.js`,
//!   `.json` (esbuild's), folders through their `index`; an import of
//!   `x.js` finds `x.ts` when there is no `x.js`.
//! - `tsconfig.json`'s `paths` and `baseUrl` apply, from the tsconfig
//!   nearest to the importer.
//! - Symbolic links are followed (npm workspaces, pnpm's
//!   `node_modules/.pnpm` store): a module is known by its real path.
//! - `node:*` and `cloudflare:*` are built-in modules
//!   ([`BuiltinModules`]).
//! - **Aliases** (wrangler's `alias` key) come first: a specifier that is
//!   exactly an alias's name, in any module, is replaced by its target,
//!   which is resolved from the project's root (as wrangler resolves it,
//!   with Node.js's rules from the project folder) — a file, a package or
//!   a built-in module.
//!
//! **Confinement**: the real path of every resolved file (after symbolic
//! links) must lie inside the project's root, in a `node_modules` folder
//! above it (hoisted packages) or in the workspace it belongs to
//! ([`confine`]); anything else is refused.
//! A missing package is reported with the advice to run `npm install`.

mod builtin;
mod confine;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use oxc_resolver::{ModuleType, ResolveError, ResolveOptions, TsconfigDiscovery};

pub use builtin::BuiltinModules;
use confine::Confinement;

/// The custom conditions wrangler gives esbuild for Workers (besides
/// `import`/`require` and `default`, which are always active).
pub const DEFAULT_CONDITIONS: [&str; 3] = ["workerd", "worker", "browser"];

/// How a module is requested, which decides the `import` or `require`
/// condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An `import` statement, `export … from` or `import()`.
    Import,
    /// A `require()` call.
    Require,
}

/// What a specifier resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A file inside the root.
    File {
        /// Its real path.
        path: PathBuf,
        /// Its module name: the path relative to the root, `/`-separated.
        name: String,
        /// Whether Node.js would load it as an ES module: a `.mjs` file, or
        /// a `.js` file whose nearest `package.json` says `"type": "module"`.
        node_esm: bool,
    },
    /// A built-in module the runtime provides, by name (`node:buffer`).
    Builtin(String),
    /// A module a `browser` field maps to `false`: an empty module.
    Empty,
}

/// Resolves specifiers inside one project.
///
/// Its resolvers (for `import` and `require`, sharing one cache of what
/// they found on disk) are made when first needed, and can be let go once
/// the project's import graph is walked ([`Resolver::forget`]): a server of
/// thousands of Workers keeps no resolver cache per Worker, and the rare
/// import only run time can see makes them again.
pub(crate) struct Resolver {
    confinement: Confinement,
    conditions: Vec<String>,
    /// For `import` and for `require`.
    made: OnceLock<(oxc_resolver::Resolver, oxc_resolver::Resolver)>,
    builtins: BuiltinModules,
    /// Module aliases: specifier, target.
    alias: Vec<(String, String)>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("root", &self.root())
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver for the project at `root` (a real path, symbolic links
    /// resolved) with the custom `conditions` and the runtime's `builtins`.
    pub(crate) fn new(
        root: PathBuf,
        conditions: &[String],
        builtins: BuiltinModules,
        strict: bool,
    ) -> Self {
        Self {
            confinement: if strict {
                Confinement::strict(root)
            } else {
                Confinement::new(root)
            },
            conditions: conditions.to_vec(),
            made: OnceLock::new(),
            builtins,
            alias: Vec::new(),
        }
    }

    /// The same resolver with module aliases (specifier, target): see the
    /// module's documentation.
    pub(crate) fn with_alias(mut self, alias: &[(String, String)]) -> Self {
        self.alias = alias.to_vec();
        self
    }

    /// Lets the resolvers and their cache go; they are made again when
    /// next needed.
    pub(crate) fn forget(&mut self) {
        self.made.take();
    }

    /// The resolvers for `import` and for `require`, made now if need be.
    fn made(&self) -> &(oxc_resolver::Resolver, oxc_resolver::Resolver) {
        self.made.get_or_init(|| Self::make(&self.conditions))
    }

    fn make(conditions: &[String]) -> (oxc_resolver::Resolver, oxc_resolver::Resolver) {
        let with = |kind: &str| {
            let mut names: Vec<String> = conditions.to_vec();
            names.push(kind.to_owned());
            names.push("default".to_owned());
            names
        };
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let options = ResolveOptions {
            condition_names: with("import"),
            extensions: strings(&[".tsx", ".ts", ".jsx", ".js", ".json"]),
            extension_alias: vec![
                (".js".into(), strings(&[".js", ".ts", ".tsx"])),
                (".mjs".into(), strings(&[".mjs", ".mts"])),
                (".cjs".into(), strings(&[".cjs", ".cts"])),
            ],
            main_fields: strings(&["browser", "module", "main"]),
            alias_fields: vec![vec!["browser".into()]],
            tsconfig: Some(TsconfigDiscovery::Auto),
            symlinks: true,
            node_path: false,
            builtin_modules: false,
            module_type: true,
            ..ResolveOptions::default()
        };
        let import = oxc_resolver::Resolver::new(options.clone());
        let require = import.clone_with_options(ResolveOptions {
            condition_names: with("require"),
            ..options
        });
        (import, require)
    }

    /// The project's root (a real path).
    pub(crate) fn root(&self) -> &Path {
        self.confinement.root()
    }

    /// The runtime's built-in modules.
    pub(crate) fn builtins(&self) -> &BuiltinModules {
        &self.builtins
    }

    /// What `specifier`, requested as `kind` by the file at `importer` (a
    /// real path inside the root), refers to; or why there is nothing.
    pub(crate) fn resolve(
        &self,
        importer: &Path,
        specifier: &str,
        kind: Kind,
    ) -> Result<Target, String> {
        if let Some((_, target)) = self.alias.iter().find(|(name, _)| name == specifier) {
            return self
                .resolve_alias(target, kind)
                .map_err(|e| format!("alias '{specifier}' -> '{target}': {e}"));
        }
        self.resolve_plain(importer, specifier, kind)
    }

    /// What an alias's `target` refers to: resolved from the root's folder.
    fn resolve_alias(&self, target: &str, kind: Kind) -> Result<Target, String> {
        if builtin::has_builtin_scheme(target) {
            return self.builtin(target);
        }
        let (import, require) = self.made();
        let resolver = match kind {
            Kind::Import => import,
            Kind::Require => require,
        };
        match resolver.resolve(self.root(), target) {
            Ok(found) => {
                let node_esm = found.module_type() == Some(ModuleType::Module);
                self.inside(found.into_path_buf(), node_esm)
            }
            Err(ResolveError::NotFound(_)) if is_bare(target) => {
                match builtin::node_builtin(target) {
                    Some(name) => self.builtin(&name),
                    None => Err(self.missing_package(&self.root().join("package.json"), target)),
                }
            }
            Err(ResolveError::NotFound(_)) => Err("no such file".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// [`Resolver::resolve`] without aliases.
    fn resolve_plain(
        &self,
        importer: &Path,
        specifier: &str,
        kind: Kind,
    ) -> Result<Target, String> {
        if builtin::has_builtin_scheme(specifier) {
            return self.builtin(specifier);
        }
        let rooted;
        let request = match specifier.strip_prefix('/') {
            Some(rest) => {
                rooted = self.root().join(rest);
                rooted.to_str().ok_or("the path is not UTF-8")?
            }
            None => specifier,
        };
        let (import, require) = self.made();
        let resolver = match kind {
            Kind::Import => import,
            Kind::Require => require,
        };
        let found = match resolver.resolve_file(importer, request) {
            // Not under the root: an absolute path, as esbuild takes it
            // (OpenNext's bundles name files by their absolute paths).
            Err(ResolveError::NotFound(_)) if request != specifier => {
                resolver.resolve_file(importer, specifier)
            }
            found => found,
        };
        match found {
            Ok(found) => {
                let node_esm = found.module_type() == Some(ModuleType::Module);
                self.inside(found.into_path_buf(), node_esm)
            }
            Err(ResolveError::Ignored(_)) => Ok(Target::Empty),
            Err(ResolveError::NotFound(_)) if is_bare(specifier) => {
                if let Some(name) = builtin::node_builtin(specifier) {
                    return self.builtin(&name);
                }
                Err(self.missing_package(importer, specifier))
            }
            Err(ResolveError::NotFound(_)) => Err("no such file".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The target of the file at `path` (absolute), if it lies inside the
    /// root; its real path decides.
    pub(crate) fn file(&self, path: &Path) -> Result<Target, String> {
        let real = path
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let dir = real.parent().unwrap_or(self.root());
        let name = real
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("the path is not UTF-8")?;
        match self.made().0.resolve(dir, &format!("./{name}")) {
            Ok(found) => {
                let node_esm = found.module_type() == Some(ModuleType::Module);
                self.inside(real, node_esm)
            }
            Err(_) => self.inside(real, false),
        }
    }

    fn inside(&self, path: PathBuf, node_esm: bool) -> Result<Target, String> {
        let Some(name) = self.confinement.name(&path) else {
            return Err(format!(
                "resolves to '{}', outside the project folder '{}' (and outside the node_modules \
                 folders above it and its workspace); refused",
                path.display(),
                self.root().display()
            ));
        };
        Ok(Target::File {
            path,
            name,
            node_esm,
        })
    }

    fn builtin(&self, name: &str) -> Result<Target, String> {
        if self.builtins.source(name).is_some() {
            Ok(Target::Builtin(name.to_owned()))
        } else {
            Err(builtin::missing_message(name))
        }
    }

    /// Why the bare `specifier` was not found from `importer`.
    fn missing_package(&self, importer: &Path, specifier: &str) -> String {
        let package = package_name(specifier);
        let installed = importer
            .ancestors()
            .skip(1)
            .any(|dir| dir.join("node_modules").join(package).exists());
        if installed {
            format!("package '{package}' has no module '{specifier}'")
        } else {
            format!("package '{package}' is not installed; run npm install")
        }
    }
}

/// Whether `specifier` is bare: not relative, not absolute, not a URL.
pub(crate) fn is_bare(specifier: &str) -> bool {
    !(specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier == "."
        || specifier == ".."
        || specifier.starts_with('/')
        || specifier.starts_with('#'))
}

/// The package a bare specifier names: `@scope/pkg` or `pkg`.
fn package_name(specifier: &str) -> &str {
    let mut ends = specifier.match_indices('/').map(|(i, _)| i);
    let end = if specifier.starts_with('@') {
        ends.nth(1)
    } else {
        ends.next()
    };
    &specifier[..end.unwrap_or(specifier.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        assert_eq!(package_name("hono"), "hono");
        assert_eq!(package_name("hono/jsx"), "hono");
        assert_eq!(package_name("@scope/pkg/sub/x"), "@scope/pkg");
        assert_eq!(package_name("@scope/pkg"), "@scope/pkg");
        assert!(is_bare("hono"));
        assert!(!is_bare("./x"));
        assert!(!is_bare("/x"));
        assert!(!is_bare("#internal"));
    }
}
