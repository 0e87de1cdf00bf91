//! TypeScript and JSX to JavaScript, in-process, with oxc.
//!
//! # Concepts
//!
//! - A project's **transpile options** ([`TranspileOptions`]) come from its
//!   `tsconfig.json` and its [`ProjectOptions`] (`define`, `node_env`, the
//!   JSX defaults); see `config.rs` for what is read.
//! - The **pipeline** (`pipeline.rs`) parses a module, refuses what it
//!   cannot compile faithfully (a syntax error, TC39 standard decorators)
//!   with the file, line and column, transforms TypeScript, JSX and legacy
//!   decorators, replaces `define`d globals and prints JavaScript with a
//!   source map. Nothing is lowered to an older ECMAScript.
//! - **Which modules go through it**: TypeScript (`.ts`, `.mts`, `.cts`,
//!   `.tsx`) and JSX (`.jsx`) always; JavaScript only when its text
//!   contains the last name of a `define` key (`NODE_ENV` for
//!   `process.env.NODE_ENV`), or what looks like a `using` declaration
//!   (`using x =`, lowered to a try/finally block for the engines that
//!   cannot parse it), so a plain JavaScript module costs a substring
//!   search or two and stays byte for byte what the author wrote.
//! - **Positions** ([`Positions`]): the source map of each transpiled
//!   module, kept by the [`Transpiler`], turns a place in the JavaScript
//!   back into the author's line and column. The runtime asks through
//!   `ModuleSource::original_position` when it formats stack traces.
//! - The **cache** (`crate::cache`): output by content hash, in memory for
//!   the process and on disk in the project's cache folder.

mod config;
mod helpers;
mod pipeline;
pub(crate) mod positions;
mod standard_decorators;
mod unread_imports;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use oxc::transformer_plugins::ReplaceGlobalDefinesConfig;
use parking_lot::Mutex;

pub(crate) use config::absolute;
pub use config::{Jsx, TranspileOptions};
pub use positions::Positions;

use crate::cache::{Cache, Entry, Hit, Key};
use crate::{LoaderError, ModuleKind, ProjectOptions};

/// The transformer, as part of every cache key. Kept equal to the pinned
/// `oxc` version (a unit test checks).
pub const TRANSFORMER: &str = "oxc 0.146.0";

/// A module turned into JavaScript.
#[derive(Debug, Clone)]
pub struct Transpiled {
    /// The JavaScript.
    pub code: Arc<str>,
    /// The way back from places in `code` to places in the module's text
    /// (empty when `code` is the text itself).
    pub positions: Arc<Positions>,
}

/// Turns the module `name`, whose text is `source`, into JavaScript with
/// `options`, without the cache. `transform`: whether TypeScript/JSX
/// transforms run (else only `define`s are replaced).
pub fn transpile(
    name: &str,
    source: &str,
    transform: bool,
    options: &TranspileOptions,
) -> Result<Transpiled, LoaderError> {
    let defines = defines_config(options)?;
    let out = pipeline::run(name, source, transform, options, &defines)?;
    Ok(Transpiled {
        code: out.code.into(),
        positions: Arc::new(out.positions),
    })
}

/// A project's transpiler: its options, the cache, and the positions of
/// every module it has transpiled (by module name).
pub struct Transpiler {
    options: TranspileOptions,
    fingerprint: String,
    /// The `define` replacements, made when a module first needs them.
    defines: OnceLock<ReplaceGlobalDefinesConfig>,
    triggers: Vec<String>,
    cache: Cache,
    positions: Mutex<HashMap<String, Arc<Positions>>>,
    mapped: AtomicBool,
}

impl std::fmt::Debug for Transpiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transpiler")
            .field("options", &self.options)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl Transpiler {
    /// The transpiler of the project of `options`, whose entry is the
    /// absolute path `entry` (its nearest `tsconfig.json` applies unless
    /// the options name one).
    pub fn new(options: &ProjectOptions, entry: &Path) -> Result<Self, LoaderError> {
        let transpile_options = TranspileOptions::for_project(options, entry)?;
        // A project with a tsconfig.json maps positions from the start, so
        // that every isolate of it does the same, whichever of its modules
        // it has loaded by then.
        let mapped = AtomicBool::new(transpile_options.tsconfig.is_some());
        // Made now so that a bad `define` is an error now; kept until a
        // module needs it or the project is loaded ([`Transpiler::forget`]).
        let defines = OnceLock::from(defines_config(&transpile_options)?);
        Ok(Self {
            defines,
            fingerprint: transpile_options.fingerprint(),
            triggers: transpile_options
                .define_triggers()
                .map(str::to_owned)
                .collect(),
            options: transpile_options,
            cache: Cache::new(options.cache_dir.as_deref()),
            positions: Mutex::new(HashMap::new()),
            mapped,
        })
    }

    /// The options it follows.
    pub fn options(&self) -> &TranspileOptions {
        &self.options
    }

    /// Lets the `define` set-up go; it is made again when a module next
    /// needs it.
    pub fn forget(&mut self) {
        self.defines.take();
    }

    fn defines(&self) -> Result<&ReplaceGlobalDefinesConfig, LoaderError> {
        if let Some(defines) = self.defines.get() {
            return Ok(defines);
        }
        let made = defines_config(&self.options)?;
        Ok(self.defines.get_or_init(|| made))
    }

    /// The JavaScript of the module `name` of kind `kind` whose text is
    /// `source`: the text itself when nothing applies to it, else the
    /// cached or freshly transpiled output (whose positions are kept).
    pub fn module(
        &self,
        name: &str,
        kind: ModuleKind,
        source: &str,
    ) -> Result<Arc<str>, LoaderError> {
        Ok(self.module_with_hit(name, kind, source)?.0)
    }

    /// [`Transpiler::module`], also telling whether the output came from
    /// the cache (`None`: transpiled now, or not transpiled at all).
    pub fn module_with_hit(
        &self,
        name: &str,
        kind: ModuleKind,
        source: &str,
    ) -> Result<(Arc<str>, Option<Hit>), LoaderError> {
        let typed = kind.needs_transpiling();
        let lower_using = !typed && mentions_using(source);
        if !typed && !lower_using && !self.triggers.iter().any(|t| source.contains(t.as_str())) {
            return Ok((source.into(), None));
        }
        let transform = typed || lower_using;
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        let key = Key::new(ext, &self.fingerprint, source);
        let (entry, hit) = match self.cache.get(&key) {
            Some((entry, hit)) => (entry, Some(hit)),
            None => {
                let out = match self
                    .defines()
                    .and_then(|d| pipeline::run(name, source, transform, &self.options, d))
                {
                    Ok(out) => out,
                    // A JavaScript module stays as its author wrote it when
                    // it cannot be read for its `define`s: the engine then
                    // says what it makes of it, as it would without them.
                    Err(e) if !typed => {
                        tracing::warn!("{e}; its `define` replacements are not applied");
                        return Ok((source.into(), None));
                    }
                    Err(e) => return Err(e),
                };
                let entry = Arc::new(Entry {
                    code: out.code.into(),
                    positions: Arc::new(out.positions),
                });
                self.cache.put(key, entry.clone());
                (entry, None)
            }
        };
        if !entry.positions.is_empty() {
            self.positions
                .lock()
                .insert(name.to_owned(), entry.positions.clone());
            self.mapped.store(true, Ordering::Release);
        }
        Ok((entry.code.clone(), hit))
    }

    /// The author's place of `line:column` (1-based) in the JavaScript of
    /// the module `name`; `None` when the module was not transpiled.
    pub fn original_position(&self, name: &str, line: u32, column: u32) -> Option<(u32, u32)> {
        if !self.mapped.load(Ordering::Acquire) {
            return None;
        }
        let positions = self.positions.lock().get(name)?.clone();
        positions.original(line, column)
    }

    /// Whether some module it has given out was transpiled (so its places
    /// differ from its file's), or the project has a `tsconfig.json` (so
    /// some may be).
    pub fn maps_positions(&self) -> bool {
        self.mapped.load(Ordering::Acquire)
    }
}

/// The define pass's configuration of `options`; a key or value that is
/// not JavaScript is an error naming it.
fn defines_config(options: &TranspileOptions) -> Result<ReplaceGlobalDefinesConfig, LoaderError> {
    ReplaceGlobalDefinesConfig::new(&options.define).map_err(|errors| LoaderError::Config {
        path: "define".into(),
        message: errors
            .errors()
            .map(|e| e.message.to_string())
            .collect::<Vec<_>>()
            .join("; "),
    })
}

#[cfg(test)]
mod tests;

/// Whether JavaScript `source` may hold a `using` declaration: the word
/// `using` (not part of a longer name), white space, a name, and `=` (not
/// `==`) or `of` — what `using x = …` and `for (using x of …)` look like,
/// and prose in comments seldom does.
fn mentions_using(source: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    source.match_indices("using").any(|(i, _)| {
        if source[..i].chars().next_back().is_some_and(ident) {
            return false;
        }
        let rest = &source[i + "using".len()..];
        let name = rest.trim_start();
        if name.len() == rest.len() {
            return false;
        }
        let after_name = name.trim_start_matches(ident);
        if after_name.len() == name.len() {
            return false;
        }
        let next = after_name.trim_start();
        (next.starts_with('=') && !next.starts_with("=="))
            || (next.starts_with("of") && !next[2..].starts_with(ident))
    })
}
