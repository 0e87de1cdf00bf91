//! What a JavaScript module needs and offers, read from its syntax tree
//! (oxc's parser and scope analysis): its imports and `require()` calls,
//! whether it is an ES module or CommonJS, and the names it exports.
//!
//! CommonJS export names are found the way Node.js's cjs-module-lexer
//! finds them, so that `import { x } from 'cjs'` links: assignments to
//! `exports.x`, `module.exports.x` (and `["x"]`), `Object.defineProperty(
//! exports, "x", …)`, the keys of an object literal assigned to
//! `module.exports` (esbuild's `0 && (module.exports = { … })`
//! annotation included), and re-exports: `module.exports = require("y")`,
//! `__exportStar(require("y"), exports)` (TypeScript, tslib), and Babel's
//! `Object.keys(_y).forEach(…)` over `var _y = require("y")`.

use std::collections::{BTreeSet, HashMap, HashSet};

use oxc::allocator::Allocator;
use oxc::ast::ast::*;
use oxc::ast_visit::{walk, Visit};
use oxc::parser::{ParseOptions, Parser};
use oxc::semantic::{IsGlobalReference, Scoping, SemanticBuilder};
use oxc::span::SourceType;
use oxc::syntax::module_record::ExportExportName;
use oxc::syntax::scope::ScopeFlags;

/// How a module asks for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// `import … from`, `import '…'`, `export … from`.
    Static,
    /// `import('…')` with a literal specifier.
    Dynamic,
    /// `require('…')` with a literal specifier.
    Require,
}

/// One module asked for, with a literal specifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    /// The specifier, as written.
    pub(crate) specifier: String,
    /// How it is asked for.
    pub(crate) kind: RequestKind,
    /// Byte offset of the specifier in the module's text.
    pub(crate) offset: u32,
    /// Inside a `try` block (of the same function): a failure to resolve
    /// is the module's to catch at run time, not a start-up error (as in
    /// esbuild).
    pub(crate) optional: bool,
}

/// What the analysis of one module found.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// Whether the module has ES module syntax (`import`/`export`
    /// declarations, `import.meta`).
    pub(crate) esm: bool,
    /// Whether it refers to CommonJS's free `module`, `exports` or
    /// `require`, or returns at its top level.
    pub(crate) commonjs_markers: bool,
    /// Whether it calls a free `require`.
    pub(crate) calls_require: bool,
    /// The modules it asks for with literal specifiers, in source order.
    pub(crate) requests: Vec<Request>,
    /// Byte ranges to blank out: import attributes (`with { … }`,
    /// `assert { … }`, which not every engine parses) and a hashbang line.
    pub(crate) blanks: Vec<(u32, u32)>,
    /// CommonJS export names.
    pub(crate) cjs_exports: BTreeSet<String>,
    /// Specifiers whose exports a CommonJS module re-exports.
    pub(crate) cjs_reexports: Vec<String>,
    /// ES module export names (`default` included).
    pub(crate) esm_exports: BTreeSet<String>,
    /// Specifiers of `export * from`.
    pub(crate) esm_star: Vec<String>,
    /// Byte ranges of each `import.meta`.
    pub(crate) import_metas: Vec<(u32, u32)>,
    /// Whether it makes a `require` with `createRequire(…)` (of
    /// `node:module`) and calls it: its `X('…')` calls of such a function
    /// are in `requests` as `RequestKind::Require`.
    pub(crate) creates_require: bool,
}

/// A syntax error.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    /// Byte offset of the problem.
    pub(crate) offset: u32,
    /// What the parser said.
    pub(crate) message: String,
}

/// How to parse a module's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Goal {
    /// An ES module (`.mjs`).
    Module,
    /// CommonJS (`.cjs`).
    CommonJs,
    /// Decided by its content.
    Either,
}

/// Analyses `text`, JavaScript parsed as `goal` says.
pub(crate) fn analyze(text: &str, goal: Goal) -> Result<Analysis, SyntaxError> {
    let allocator = Allocator::default();
    let source_type = match goal {
        Goal::Module => SourceType::mjs(),
        Goal::CommonJs => SourceType::cjs(),
        Goal::Either => SourceType::unambiguous(),
    }
    .with_jsx(true);
    let parsed = Parser::new(&allocator, text, source_type)
        .with_options(ParseOptions {
            allow_return_outside_function: goal != Goal::Module,
            ..ParseOptions::default()
        })
        .parse();
    if let Some(error) = parsed.diagnostics.errors().next() {
        let offset = error.labels.first().map(|l| l.offset()).unwrap_or(0);
        return Err(SyntaxError {
            offset,
            message: error.message.to_string(),
        });
    }
    let program = parsed.program;
    let semantic = SemanticBuilder::new().build(&program);
    let scoping = semantic.semantic.into_scoping();
    let mut collector = Collector {
        scoping: &scoping,
        analysis: Analysis {
            esm: program.source_type.is_module(),
            ..Analysis::default()
        },
        try_depth: 0,
        function_depth: 0,
        require_vars: HashMap::new(),
        created_requires: HashSet::new(),
        local_calls: Vec::new(),
    };
    if let Some(hashbang) = &program.hashbang {
        collector
            .analysis
            .blanks
            .push((hashbang.span.start, hashbang.span.end));
    }
    collector.visit_program(&program);
    let calls = std::mem::take(&mut collector.local_calls);
    for (name, request) in calls {
        if collector.created_requires.contains(&name) {
            collector.analysis.creates_require = true;
            collector.analysis.requests.push(request);
        }
    }
    let mut analysis = collector.analysis;
    let record = &parsed.module_record;
    for entry in record
        .local_export_entries
        .iter()
        .chain(record.indirect_export_entries.iter())
    {
        match &entry.export_name {
            ExportExportName::Name(n) => {
                analysis.esm_exports.insert(n.name.to_string());
            }
            ExportExportName::Default(_) => {
                analysis.esm_exports.insert("default".into());
            }
            ExportExportName::Null => {}
        }
    }
    for entry in record.star_export_entries.iter() {
        if let Some(request) = &entry.module_request {
            analysis.esm_star.push(request.name.to_string());
        }
    }
    Ok(analysis)
}

struct Collector<'s> {
    scoping: &'s Scoping,
    analysis: Analysis,
    try_depth: u32,
    function_depth: u32,
    /// `var x = require("y")`: `x` → `y`.
    require_vars: HashMap<String, String>,
    /// Names bound to `createRequire(…)`.
    created_requires: HashSet<String>,
    /// Calls of a bound name with one literal argument: the name and the
    /// request they make if the name is one of `created_requires`.
    local_calls: Vec<(String, Request)>,
}

impl Collector<'_> {
    fn request(&mut self, literal: &StringLiteral<'_>, kind: RequestKind) {
        self.analysis.requests.push(Request {
            specifier: literal.value.to_string(),
            kind,
            offset: literal.span.start,
            optional: self.try_depth > 0,
        });
    }

    /// Blanks an import attributes clause, from the end of the specifier
    /// (`source`) so that the `with`/`assert` keyword goes too.
    fn blank_with(&mut self, source: &StringLiteral<'_>, clause: Option<&WithClause<'_>>) {
        if let Some(clause) = clause {
            self.analysis
                .blanks
                .push((source.span.end, clause.span.end));
        }
    }

    /// Whether `expr` is the free identifier `name`.
    fn is_free(&self, expr: &Expression<'_>, name: &str) -> bool {
        match expr.without_parentheses() {
            Expression::Identifier(id) => id.name == name && id.is_global_reference(self.scoping),
            _ => false,
        }
    }

    /// Whether `expr` is `exports` or `module.exports` (free).
    fn is_exports(&self, expr: &Expression<'_>) -> bool {
        self.is_free(expr, "exports") || self.is_module_exports(expr)
    }

    fn is_module_exports(&self, expr: &Expression<'_>) -> bool {
        match expr.without_parentheses().as_member_expression() {
            Some(m) => {
                self.is_free(m.object(), "module") && m.static_property_name() == Some("exports")
            }
            None => false,
        }
    }

    /// The specifier of `require("y")` (free `require`).
    fn required<'b>(&self, expr: &'b Expression<'_>) -> Option<&'b str> {
        let Expression::CallExpression(call) = expr.without_parentheses() else {
            return None;
        };
        if !self.is_free(&call.callee, "require") || call.arguments.len() != 1 {
            return None;
        }
        match &call.arguments[0] {
            Argument::StringLiteral(s) => Some(s.value.as_str()),
            _ => None,
        }
    }

    fn export_name(&mut self, name: &str) {
        if name != "__esModule" {
            self.analysis.cjs_exports.insert(name.to_owned());
        }
    }

    fn object_keys(&mut self, object: &ObjectExpression<'_>) {
        for property in &object.properties {
            match property {
                ObjectPropertyKind::ObjectProperty(p) => {
                    if let Some(name) = p.key.static_name() {
                        self.export_name(&name);
                    }
                }
                ObjectPropertyKind::SpreadProperty(spread) => {
                    if let Some(spec) = self.required(&spread.argument) {
                        self.analysis.cjs_reexports.push(spec.to_owned());
                    }
                }
            }
        }
    }
}

impl<'a> Visit<'a> for Collector<'_> {
    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        self.request(&it.source, RequestKind::Static);
        self.blank_with(&it.source, it.with_clause.as_deref());
        walk::walk_import_declaration(self, it);
    }

    fn visit_export_from_declaration(&mut self, it: &ExportFromDeclaration<'a>) {
        self.request(&it.source, RequestKind::Static);
        self.blank_with(&it.source, it.with_clause.as_deref());
        walk::walk_export_from_declaration(self, it);
    }

    fn visit_export_all_declaration(&mut self, it: &ExportAllDeclaration<'a>) {
        self.request(&it.source, RequestKind::Static);
        self.blank_with(&it.source, it.with_clause.as_deref());
        walk::walk_export_all_declaration(self, it);
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        match &it.source {
            Expression::StringLiteral(s) => self.request(s, RequestKind::Dynamic),
            Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
                if let Some(cooked) = t.quasis.first().and_then(|q| q.value.cooked) {
                    self.analysis.requests.push(Request {
                        specifier: cooked.to_string(),
                        kind: RequestKind::Dynamic,
                        offset: t.span.start,
                        optional: self.try_depth > 0,
                    });
                }
            }
            _ => {}
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_import_meta(&mut self, it: &ImportMeta) {
        self.analysis.esm = true;
        self.analysis
            .import_metas
            .push((it.span.start, it.span.end));
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if matches!(it.name.as_str(), "module" | "exports" | "require")
            && it.is_global_reference(self.scoping)
        {
            self.analysis.commonjs_markers = true;
        }
    }

    fn visit_return_statement(&mut self, it: &ReturnStatement<'a>) {
        if self.function_depth == 0 {
            self.analysis.commonjs_markers = true;
        }
        walk::walk_return_statement(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let (Expression::Identifier(id), [Argument::StringLiteral(s)]) =
            (it.callee.without_parentheses(), it.arguments.as_slice())
        {
            if !id.is_global_reference(self.scoping) {
                let request = Request {
                    specifier: s.value.to_string(),
                    kind: RequestKind::Require,
                    offset: s.span.start,
                    // A createRequire()'d `require` of what cannot be
                    // resolved fails when called, not at start-up.
                    optional: true,
                };
                self.local_calls.push((id.name.to_string(), request));
            }
        }
        if self.is_free(&it.callee, "require") {
            self.analysis.calls_require = true;
            if let [Argument::StringLiteral(s)] = it.arguments.as_slice() {
                self.request(s, RequestKind::Require);
            }
        }
        // Object.defineProperty(exports, "x", …)
        if it
            .callee
            .is_specific_member_access("Object", "defineProperty")
        {
            if let [target, Argument::StringLiteral(name), ..] = it.arguments.as_slice() {
                if target.as_expression().is_some_and(|t| self.is_exports(t)) {
                    self.export_name(&name.value);
                }
            }
        }
        // __exportStar(require("y"), exports), __export(require("y")),
        // tslib.__exportStar(…): re-exports; __export(target, { x: … }):
        // esbuild's export table.
        let callee_name = match it.callee.without_parentheses() {
            Expression::Identifier(id) => Some(id.name.as_str()),
            e => e
                .as_member_expression()
                .and_then(|m| m.static_property_name()),
        };
        if let Some(name) = callee_name {
            if name.ends_with("__exportStar") || name.ends_with("__export") {
                for arg in &it.arguments {
                    match arg.as_expression() {
                        Some(Expression::ObjectExpression(o)) if name.ends_with("__export") => {
                            self.object_keys(o)
                        }
                        Some(e) => {
                            if let Some(spec) = self.required(e) {
                                self.analysis.cjs_reexports.push(spec.to_owned());
                            }
                        }
                        None => {}
                    }
                }
            }
        }
        // Object.keys(_y).forEach(…) over `var _y = require("y")` (Babel).
        if let Some(m) = it.callee.as_member_expression() {
            if m.static_property_name() == Some("forEach") {
                if let Expression::CallExpression(keys) = m.object().without_parentheses() {
                    if keys.callee.is_specific_member_access("Object", "keys") {
                        if let [Argument::Identifier(id)] = keys.arguments.as_slice() {
                            if let Some(spec) = self.require_vars.get(id.name.as_str()) {
                                self.analysis.cjs_reexports.push(spec.clone());
                            }
                        }
                    }
                }
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if let Some(target) = it.left.as_member_expression() {
            if self.is_exports(target.object()) {
                if let Some(name) = target.static_property_name() {
                    self.export_name(name);
                }
            } else if self.is_free(target.object(), "module")
                && target.static_property_name() == Some("exports")
            {
                match it.right.without_parentheses() {
                    Expression::ObjectExpression(o) => self.object_keys(o),
                    e => {
                        if let Some(spec) = self.required(e) {
                            self.analysis.cjs_reexports.push(spec.to_owned());
                        }
                    }
                }
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&it.id, &it.init) {
            if let Some(spec) = self.required(init) {
                self.require_vars
                    .insert(id.name.to_string(), spec.to_owned());
            }
            if is_create_require(init) {
                self.created_requires.insert(id.name.to_string());
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_try_statement(&mut self, it: &TryStatement<'a>) {
        self.try_depth += 1;
        self.visit_block_statement(&it.block);
        self.try_depth -= 1;
        if let Some(handler) = &it.handler {
            self.visit_catch_clause(handler);
        }
        if let Some(finalizer) = &it.finalizer {
            self.visit_block_statement(finalizer);
        }
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        let depth = std::mem::take(&mut self.try_depth);
        self.function_depth += 1;
        walk::walk_function(self, it, flags);
        self.function_depth -= 1;
        self.try_depth = depth;
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        let depth = std::mem::take(&mut self.try_depth);
        self.function_depth += 1;
        walk::walk_arrow_function_expression(self, it);
        self.function_depth -= 1;
        self.try_depth = depth;
    }
}

/// Whether `expr` is a call of `createRequire` (`createRequire(…)`,
/// `module.createRequire(…)`, whatever the namespace is called).
fn is_create_require(expr: &Expression<'_>) -> bool {
    let Expression::CallExpression(call) = expr.without_parentheses() else {
        return false;
    };
    match call.callee.without_parentheses() {
        Expression::Identifier(id) => id.name == "createRequire",
        callee => callee
            .as_member_expression()
            .is_some_and(|m| m.static_property_name() == Some("createRequire")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set: &BTreeSet<String>) -> Vec<&str> {
        set.iter().map(String::as_str).collect()
    }

    #[test]
    fn created_requires_and_import_metas_are_found() {
        let src = "import { createRequire } from 'node:module';\n\
                   const require = createRequire(import.meta.url);\n\
                   const a = require('./a.cjs');\nfunction f() { return require('pkg'); }\n\
                   const other = (x) => x; other('not-a-require');";
        let a = analyze(src, Goal::Either).unwrap();
        assert!(a.creates_require && !a.calls_require);
        let required: Vec<&str> = a
            .requests
            .iter()
            .filter(|r| r.kind == RequestKind::Require)
            .map(|r| r.specifier.as_str())
            .collect();
        assert_eq!(required, ["./a.cjs", "pkg"]);
        assert_eq!(a.import_metas.len(), 1);
        let (start, end) = a.import_metas[0];
        assert_eq!(&src[start as usize..end as usize], "import.meta");
        let plain = analyze("const f = (x) => x; f('y'); export {}", Goal::Either).unwrap();
        assert!(!plain.creates_require && plain.requests.is_empty());
    }

    #[test]
    fn esm_is_told_from_commonjs() {
        let a = analyze("import x from './x.js'; export const y = x;", Goal::Either).unwrap();
        assert!(a.esm);
        assert_eq!(names(&a.esm_exports), ["y"]);
        assert_eq!(a.requests[0].specifier, "./x.js");
        assert_eq!(a.requests[0].kind, RequestKind::Static);
        let a = analyze("module.exports = 1;", Goal::Either).unwrap();
        assert!(!a.esm && a.commonjs_markers);
        let a = analyze("console.log(import.meta.url)", Goal::Either).unwrap();
        assert!(a.esm);
        let a = analyze("globalThis.x = 1;", Goal::Either).unwrap();
        assert!(!a.esm && !a.commonjs_markers);
        // A local `module` is no marker.
        let a = analyze("function f(module) { module.exports = 1 }", Goal::Either).unwrap();
        assert!(!a.commonjs_markers);
        // Top-level return is CommonJS.
        let a = analyze("if (globalThis.x) return;\nexports.a = 1", Goal::Either).unwrap();
        assert!(a.commonjs_markers);
    }

    #[test]
    fn requires_are_found_with_their_try_blocks() {
        let src = "const a = require('a');\ntry { require('b') } catch {}\n\
                   try { (() => require('c'))() } catch {}\nrequire(name);\n\
                   function f(require) { require('d') }";
        let a = analyze(src, Goal::Either).unwrap();
        let found: Vec<(&str, bool)> = a
            .requests
            .iter()
            .map(|r| (r.specifier.as_str(), r.optional))
            .collect();
        assert_eq!(found, [("a", false), ("b", true), ("c", false)]);
        assert!(a.calls_require);
        assert_eq!(&src[a.requests[0].offset as usize..][..3], "'a'");
    }

    #[test]
    fn commonjs_export_names_are_found() {
        let src = r#"
            exports.a = 1; module.exports.b = 2; exports["c"] = 3;
            Object.defineProperty(exports, "d", { get() { return 4 } });
            Object.defineProperty(exports, "__esModule", { value: true });
            exports.e = exports.f = void 0;
            0 && (module.exports = { g, h: 1, "i": 2, ...require("./more") });
            __exportStar(require("./star"), exports);
            var _x = require("./babel");
            Object.keys(_x).forEach(function (k) { exports[k] = _x[k]; });
        "#;
        let a = analyze(src, Goal::Either).unwrap();
        assert_eq!(
            names(&a.cjs_exports),
            ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        );
        assert_eq!(a.cjs_reexports, ["./more", "./star", "./babel"]);
        let a = analyze("module.exports = require('./impl.js')", Goal::Either).unwrap();
        assert_eq!(a.cjs_reexports, ["./impl.js"]);
        let a = analyze(
            "__export(src_exports, { Hono: () => Hono, x: () => x }); module.exports = __toCommonJS(src_exports);",
            Goal::Either,
        )
        .unwrap();
        assert_eq!(names(&a.cjs_exports), ["Hono", "x"]);
    }

    #[test]
    fn attributes_and_hashbangs_are_blanked() {
        let src = "#!/usr/bin/env node\nimport d from './d.json' with { type: 'json' };\nexport * from './e.js' assert { type: 'json' };";
        let a = analyze(src, Goal::Either).unwrap();
        let cut: Vec<&str> = a
            .blanks
            .iter()
            .map(|&(s, e)| &src[s as usize..e as usize])
            .collect();
        assert_eq!(
            cut,
            [
                "#!/usr/bin/env node",
                " with { type: 'json' }",
                " assert { type: 'json' }"
            ]
        );
        assert_eq!(names(&a.esm_exports), Vec::<&str>::new());
        assert_eq!(a.esm_star, ["./e.js"]);
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let e = analyze("let x = ;", Goal::Either).unwrap_err();
        assert_eq!(e.offset, 8);
    }
}
