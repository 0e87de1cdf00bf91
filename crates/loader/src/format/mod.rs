//! Module formats: how each file a Worker imports becomes an ES module an
//! engine can load.
//!
//! # Which format a file has
//!
//! - A file a module rule matches (see [`rules`]) is **Text**, **Data** or
//!   **CompiledWasm**: its default export is a string, an `ArrayBuffer` or
//!   a `WebAssembly.Module`.
//! - A `.json` file is **JSON**: its default export is the parsed value
//!   (`import data from './x.json'`, with or without `with { type: 'json' }`,
//!   and `require('./x.json')`).
//! - JavaScript (`.js`, `.mjs`, `.cjs`, `.jsx`, and TypeScript once
//!   transpiled) is an **ES module** or **CommonJS**, decided as esbuild
//!   decides it: `.mjs`/`.mts` files are ES modules and `.cjs`/`.cts` files
//!   CommonJS; any other file is an ES module when it has ES module syntax
//!   (`import`/`export` declarations, `import.meta`), CommonJS when it
//!   refers to a free `module`, `exports` or `require` or returns at its
//!   top level, and otherwise (a file with neither) an ES module when
//!   Node.js would load it as one (its nearest `package.json` says
//!   `"type": "module"`), else CommonJS.
//!
//! # CommonJS
//!
//! A CommonJS file becomes two modules:
//!
//! - the **factory**, under the file's own name (so stack traces name the
//!   file, at its own lines): an ES module exporting one function that runs
//!   the file's code once, inside `function (exports, require, module,
//!   __filename, __dirname)`, and returns `module.exports` (later calls
//!   return the same object — the module cache; a call during the first
//!   run, in a `require()` cycle, returns the exports so far, as Node.js
//!   does). Its `require` is synchronous: every module it requires with a
//!   literal specifier was resolved at start-up and is statically imported
//!   by the factory, so `require()` only picks it. A CommonJS module yields
//!   its `module.exports`; an ES module its namespace, as an object with
//!   `__esModule: true` (as bundlers do); JSON, Text, Data and CompiledWasm
//!   modules their value. Any other specifier throws an `Error` with
//!   `code: 'MODULE_NOT_FOUND'`.
//! - the **ES module view**, which ES modules import instead: it runs the
//!   factory and exports `default` and the names a static analysis finds
//!   (as Node.js's cjs-module-lexer finds them). `default` is
//!   `module.exports`, except that when the exports carry `__esModule`
//!   (CommonJS compiled from an ES module) and the importing file is not
//!   one Node.js loads as an ES module (`.mjs`, `"type": "module"`), it is
//!   `module.exports.default` — esbuild's rule.
//!
//! An ES module that calls a free `require` (mixed modules are common in
//! packages) gets the same synchronous `require` function. So does the
//! `require` an ES module makes with `node:module`'s `createRequire(…)`:
//! the calls of it with a literal specifier are resolved at start-up like
//! `require()` calls, and the module hands that table to `createRequire`
//! (through `globalThis[Symbol.for('motu.require')]`, by its name, which
//! its `import.meta.url` gives).
//!
//! # `import.meta`
//!
//! Each `import.meta` of a module is the module's own object with what
//! workerd gives: `url` (`file:///bundle/` and the module's name, e.g.
//! `file:///bundle/src/index.js`), `filename` and `dirname` (its path and
//! folder), `main` (true for the entry) and `resolve(specifier)` (the URL
//! of `specifier` against `url`; a Node.js built-in gives its `node:`
//! name). The loader writes it: `import.meta` becomes a binding of the same
//! length made on the module's first line, so no engine hook is needed and
//! positions in the module stay.
//!
//! The code a Worker's module runs in is always an ES module, so CommonJS
//! code runs in strict mode, as in the bundle wrangler makes.

mod analyze;
mod assets;
mod commonjs;
mod meta;
pub mod rules;

pub(crate) use analyze::{analyze, Analysis, Goal, Request, RequestKind};
pub(crate) use assets::{data_module, json_module, text_module, wasm_module};
pub(crate) use commonjs::{
    esm_view, factory, js_string, with_require, with_require_table, HELPER, HELPER_NAME,
};
pub(crate) use meta::with_import_meta;

/// The prefix of the specifiers generated code imports by module name
/// (`motu-graph:node_modules/x/index.js`), which no user specifier has.
pub(crate) const GENERATED: &str = "motu-graph:";

/// The format of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// An ES module.
    Esm,
    /// A CommonJS module.
    CommonJs,
    /// JSON.
    Json,
    /// Text (a string).
    Text,
    /// Data (an `ArrayBuffer`).
    Data,
    /// A compiled WebAssembly module.
    CompiledWasm,
}

/// How to parse the JavaScript file `name`.
pub(crate) fn goal(name: &str) -> Goal {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("mjs" | "mts") => Goal::Module,
        Some("cjs" | "cts") => Goal::CommonJs,
        _ => Goal::Either,
    }
}

/// The format of a JavaScript file parsed as `goal` whose analysis is
/// `analysis`; `node_esm`: Node.js would load it as an ES module.
pub(crate) fn js_format(goal: Goal, analysis: &Analysis, node_esm: bool) -> Format {
    match goal {
        Goal::Module => Format::Esm,
        Goal::CommonJs => Format::CommonJs,
        Goal::Either if analysis.esm => Format::Esm,
        Goal::Either if analysis.commonjs_markers => Format::CommonJs,
        Goal::Either if node_esm => Format::Esm,
        Goal::Either => Format::CommonJs,
    }
}

/// What `require()` of one specifier yields, by the module it resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Required {
    /// A CommonJS module's `module.exports` (its factory's name).
    CommonJs(String),
    /// An ES module's namespace (its name).
    Esm(String),
    /// The default export of a JSON, Text, Data or CompiledWasm module.
    Value(String),
}

/// Whether `name` may follow `export { x as … }` without quotes.
pub(crate) fn is_identifier_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '$' || c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '$' || c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format_of(name: &str, src: &str, node_esm: bool) -> Format {
        let g = goal(name);
        js_format(g, &analyze(src, g).unwrap(), node_esm)
    }

    #[test]
    fn formats_follow_esbuilds_rules() {
        assert_eq!(format_of("a.mjs", "x = 1", false), Format::Esm);
        assert_eq!(format_of("a.cjs", "x = 1", true), Format::CommonJs);
        assert_eq!(format_of("a.js", "export default 1", false), Format::Esm);
        assert_eq!(
            format_of("a.js", "module.exports = 1", true),
            Format::CommonJs
        );
        assert_eq!(
            format_of("a.js", "const x = require('y')", true),
            Format::CommonJs
        );
        assert_eq!(format_of("a.js", "globalThis.x = 1", true), Format::Esm);
        assert_eq!(
            format_of("a.js", "globalThis.x = 1", false),
            Format::CommonJs
        );
        assert!(is_identifier_name("Hono"));
        assert!(is_identifier_name("$x_1"));
        assert!(!is_identifier_name("a-b"));
        assert!(!is_identifier_name("1a"));
    }
}
