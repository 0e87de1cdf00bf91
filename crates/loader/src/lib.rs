//! The loader of motu: from a Workers project folder to the modules a Worker
//! runs, with no Node.js, bundler or wrangler involved.
//!
//! # Concepts
//!
//! - A **project** ([`Project`]) is a folder (its *root*) and an entry file
//!   inside it. Everything a Worker imports must lie inside the root (its
//!   `node_modules` included, and the real path of every symbolic link);
//!   nothing else is readable.
//! - A **module name** is a path relative to the root with `/` separators
//!   (`src/index.ts`, `node_modules/hono/dist/index.js`). Engines see only
//!   names; stack traces show them. Modules the loader makes up have names
//!   no file has (`motu:commonjs`, `…/index.js?esm-view`).
//! - **Resolution** ([`resolve`]) turns an import specifier and the
//!   importing file into a file, as wrangler's bundler would: relative
//!   paths, npm packages from `node_modules` (`exports` with the `workerd`,
//!   `worker` and `browser` conditions, `imports`, `browser`/`module`/`main`
//!   fields), `tsconfig.json` paths, symbolic links; and `node:*` /
//!   `cloudflare:*` built-in modules.
//! - A module's **format** ([`format`](mod@format)) decides how it becomes an ES
//!   module: ES module, CommonJS (wrapped, with a synchronous `require`),
//!   JSON, or a module rule's Text, Data or CompiledWasm.
//! - A module's **kind** ([`ModuleKind`]) follows from its file name: plain
//!   JavaScript, or TypeScript or JSX to transpile.
//! - **Transpiling** ([`transpile`]) turns TypeScript and JSX into
//!   JavaScript with oxc, following the project's `tsconfig.json`, and
//!   replaces `define`d globals (`process.env.NODE_ENV`). Transpiled
//!   modules keep a source map, so stack traces can name the author's line
//!   and column ([`Project`]'s `ModuleSource::original_position`).
//! - The **cache** ([`cache`]) keeps transpiled output by content hash, in
//!   memory and in the project's cache folder.
//! - The **graph** of the entry's imports is walked when the project loads:
//!   every file reached is resolved, read and transformed before any
//!   isolate exists, so a missing package is one start-up error naming the
//!   importing file and line.
//! - A [`Project`] is the Worker's `motu_engine::ModuleSource`: engines ask
//!   it to resolve imports, for the JavaScript of each module and for the
//!   bytes of Data and CompiledWasm modules.

pub mod cache;
mod error;
pub mod format;
mod graph;
mod kind;
mod options;
mod project;
pub mod resolve;
pub mod transpile;

pub use error::LoaderError;
pub use format::rules::{ModuleRule, RuleType};
pub use kind::ModuleKind;
pub use options::ProjectOptions;
pub use project::Project;
pub use resolve::BuiltinModules;
