//! The loader of motu: from a Workers project folder to the modules a Worker
//! runs, with no Node.js, bundler or wrangler involved.
//!
//! # Concepts
//!
//! - A **project** ([`Project`]) is a folder (its *root*) and an entry file
//!   inside it. Everything a Worker imports must lie inside the root (its
//!   `node_modules` included); nothing else is readable.
//! - A **module name** is a path relative to the root with `/` separators
//!   (`src/index.ts`, `node_modules/hono/dist/index.js`). Engines see only
//!   names; stack traces show them.
//! - **Resolution** ([`resolve`]) turns an import specifier and the name of
//!   the importing module into a module name.
//! - A module's **kind** ([`ModuleKind`]) follows from its file name: an ES
//!   module, TypeScript or JSX to transpile, and so on.
//! - **Transpiling** ([`transpile`]) turns TypeScript and JSX into
//!   JavaScript.
//! - A [`Project`] is the Worker's `motu_engine::ModuleSource`: engines ask
//!   it to resolve imports and for the JavaScript of each module.

mod error;
mod kind;
mod options;
mod project;
pub mod resolve;
pub mod transpile;

pub use error::LoaderError;
pub use kind::ModuleKind;
pub use options::ProjectOptions;
pub use project::Project;
