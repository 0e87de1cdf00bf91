//! TC39 standard decorators (TypeScript 5's, without
//! `experimentalDecorators`) on the members most code decorates: methods,
//! getters and setters (static or not), instance fields and the class
//! itself, of a class declaration with a name. Neither engine runs decorators and the
//! transformer compiles only the legacy ones, so a module's text is
//! rewritten before it is parsed for good: each decorator is blanked out
//! (spaces, so that every other place in the module keeps its line and
//! column) and, right after the class's closing brace, on the same line, a
//! call applies them:
//!
//! ```js
//! class Counter { @callable() increment() {} }
//! // becomes
//! class Counter {             increment() {} };__motuDecorate(Counter, [["method", "increment", false, [callable()]]], []);
//! ```
//!
//! `__motuDecorate` (`DECORATE_HELPER`, put on the output's first line)
//! gives each decorator the member's value and a context (`kind`, `name`,
//! `static`, `private: false`, `access`, `metadata`, `addInitializer`), last
//! decorator first, and defines what it returns in the member's place; then
//! the class decorators, whose result replaces the class's binding; the
//! class gets `Symbol.metadata`. An instance field's value is wrapped
//! (`x = __motuInit(C, this, n, value)`: the initializers its decorators
//! returned) and followed by a private field whose initializer runs the
//! field's extra initializers once it is defined (`#__motuAfter<n>`); a
//! class with decorated instance methods gets a first private field that
//! runs their initializers as an instance is made (`#__motuStart`).
//! Private fields are invisible to the class's users. What differs from the
//! proposal: decorator expressions are evaluated once the class is defined
//! (not before), initializers of static members run once the class is
//! decorated, and inside the class body its name still means the
//! undecorated class. Not handled, each a clear error at its place:
//! decorators on static fields, `accessor` fields, private or computed
//! members, declared or optional fields, class expressions and unnamed
//! classes.

use oxc::ast::ast::{Class, ClassElement, MethodDefinitionKind, Program, PropertyKey};
use oxc::ast_visit::{walk, Visit};
use oxc::span::GetSpan;

/// The function the rewritten classes call, defined on the output's first
/// line of a module that has one (so that no line moves).
pub(crate) const DECORATE_HELPER: &str = concat!(
    // By class: the initializers of its instance methods' decorators, and
    // by field number the initializers and extra initializers of its
    // fields' decorators.
    "const __motuClasses = new WeakMap();",
    "const __motuStart = (C, self) => { const c = __motuClasses.get(C); if (c) for (const f of c.starts) f.call(self); };",
    "const __motuInit = (C, self, n, v) => { const f = __motuClasses.get(C)?.fields[n]; if (f) for (const init of f.inits) v = init.call(self, v); return v; };",
    "const __motuAfter = (C, self, n) => { const f = __motuClasses.get(C)?.fields[n]; if (f) for (const extra of f.extras) extra.call(self); };",
    "const __motuDecorate = (C, elements, classDecorators) => {",
    "const metaKey = Symbol.metadata || Symbol.for('Symbol.metadata');",
    "const parent = Object.getPrototypeOf(C);",
    "const metadata = Object.create(parent && parent[metaKey] || null);",
    "const statics = [], table = { starts: [], fields: [] };",
    "__motuClasses.set(C, table);",
    "for (const [kind, name, isStatic, decorators, n] of elements) {",
    "const target = isStatic ? C : C.prototype;",
    "const desc = kind === 'field' ? undefined : Object.getOwnPropertyDescriptor(target, name);",
    "const slot = kind === 'method' ? 'value' : kind === 'getter' ? 'get' : 'set';",
    "let value = desc === undefined ? undefined : desc[slot];",
    "const field = { inits: [], extras: [] };",
    "for (let i = decorators.length - 1; i >= 0; i--) {",
    "let done = false;",
    "const access = kind === 'setter' ? { has: o => name in o, set: (o, v) => { o[name] = v; } } : kind === 'field' ? { has: o => name in o, get: o => o[name], set: (o, v) => { o[name] = v; } } : { has: o => name in o, get: o => o[name] };",
    "const context = { kind, name, static: isStatic, private: false, access, metadata, addInitializer(f) {",
    "if (done) throw new TypeError('addInitializer() can only be called while the decorator runs');",
    "if (typeof f !== 'function') throw new TypeError('An initializer must be a function');",
    "(kind === 'field' ? field.extras : isStatic ? statics : table.starts).push(f); } };",
    "const r = decorators[i](value, context); done = true;",
    "if (kind === 'field') { if (r !== undefined) { if (typeof r !== 'function') throw new TypeError('A field decorator must return a function or undefined'); field.inits.push(r); } continue; }",
    "if (r !== undefined) { if (typeof r !== 'function') throw new TypeError(`A ${kind} decorator must return a function or undefined`); value = r; }",
    "}",
    "if (kind === 'field') table.fields[n] = field;",
    "else Object.defineProperty(target, name, { ...desc, [slot]: value });",
    "}",
    "for (const f of statics) f.call(C);",
    "Object.defineProperty(C, metaKey, { value: metadata, writable: true, configurable: true });",
    "let result = C; const inits = [];",
    "for (let i = classDecorators.length - 1; i >= 0; i--) {",
    "let done = false;",
    "const context = { kind: 'class', name: C.name, metadata, addInitializer(f) {",
    "if (done) throw new TypeError('addInitializer() can only be called while the decorator runs');",
    "if (typeof f !== 'function') throw new TypeError('An initializer must be a function');",
    "inits.push(f); } };",
    "const r = classDecorators[i](result, context); done = true;",
    "if (r !== undefined) { if (typeof r !== 'function') throw new TypeError('A class decorator must return a function or undefined'); result = r; }",
    "}",
    "for (const f of inits) f.call(result);",
    "return result; };",
);

/// Why a decorator cannot be lowered, at a byte offset of the module.
#[derive(Debug)]
pub(crate) struct Unsupported {
    /// Where.
    pub offset: u32,
    /// What.
    pub message: &'static str,
}

/// `source` with the standard decorators of `program` (its parse) lowered
/// as the module docs say, or `None` when it has none.
pub(crate) fn lower(program: &Program<'_>, source: &str) -> Result<Option<String>, Unsupported> {
    let mut finder = Classes {
        source,
        edits: Vec::new(),
        error: None,
    };
    finder.visit_program(program);
    if let Some(error) = finder.error {
        return Err(error);
    }
    if finder.edits.is_empty() {
        return Ok(None);
    }
    let mut bytes = source.as_bytes().to_vec();
    // Blanks first (they keep lengths), then insertions from the end.
    for edit in &finder.edits {
        for span in &edit.blanks {
            for b in &mut bytes[span.0 as usize..span.1 as usize] {
                if *b != b'\n' && *b != b'\r' {
                    *b = b' ';
                }
            }
        }
    }
    // From the end, so that earlier offsets stay good; texts at one
    // offset in the reverse of the order they were made, so that they
    // read in that order.
    let mut inserts: Vec<(u32, usize, &str)> = Vec::new();
    for edit in &finder.edits {
        for (at, text) in &edit.inserts {
            inserts.push((*at, inserts.len(), text.as_str()));
        }
    }
    inserts.sort_by_key(|(at, seq, _)| std::cmp::Reverse((*at, *seq)));
    for (at, _, text) in inserts {
        let at = at as usize;
        bytes.splice(at..at, text.bytes());
    }
    // Only ASCII spaces replaced whole decorators and ASCII was inserted
    // between tokens: still UTF-8.
    Ok(Some(
        String::from_utf8(bytes).unwrap_or_else(|_| source.to_owned()),
    ))
}

/// One class's rewrite: the decorators to blank (byte ranges) and the
/// texts to insert (at byte offsets, in the order they read): the fields'
/// and the instance's hooks, and the call after the class.
struct Edit {
    blanks: Vec<(u32, u32)>,
    inserts: Vec<(u32, String)>,
}

struct Classes<'s> {
    source: &'s str,
    edits: Vec<Edit>,
    error: Option<Unsupported>,
}

impl Classes<'_> {
    fn fail(&mut self, offset: u32, message: &'static str) {
        self.error.get_or_insert(Unsupported { offset, message });
    }

    fn text(&self, span: oxc::span::Span) -> &str {
        &self.source[span.start as usize..span.end as usize]
    }

    /// The rewrite of `class`, if it has decorators.
    fn class(&mut self, class: &Class<'_>) {
        let decorated_members = class.body.body.iter().any(|e| match e {
            ClassElement::MethodDefinition(m) => !m.decorators.is_empty(),
            ClassElement::PropertyDefinition(p) => !p.decorators.is_empty(),
            ClassElement::AccessorProperty(a) => !a.decorators.is_empty(),
            _ => false,
        });
        if class.decorators.is_empty() && !decorated_members {
            return;
        }
        let first = class
            .decorators
            .first()
            .map_or(class.span.start, |d| d.span.start);
        if class.is_expression() {
            return self.fail(
                first,
                "decorators on a class expression are not supported yet: declare the class with a name",
            );
        }
        let Some(id) = &class.id else {
            return self.fail(
                first,
                "decorators on a class without a name are not supported yet: give the class a name",
            );
        };
        let class_name = id.name.as_str();
        let mut blanks = Vec::new();
        let mut elements = Vec::new();
        let mut inserts: Vec<(u32, String)> = Vec::new();
        let mut fields = 0;
        let mut instance_members = false;
        for element in &class.body.body {
            match element {
                ClassElement::MethodDefinition(m) if !m.decorators.is_empty() => {
                    let at = m.decorators[0].span.start;
                    let kind = match m.kind {
                        MethodDefinitionKind::Method => "method",
                        MethodDefinitionKind::Get => "getter",
                        MethodDefinitionKind::Set => "setter",
                        MethodDefinitionKind::Constructor => {
                            return self.fail(at, "a constructor cannot be decorated")
                        }
                    };
                    let name = match member_name(&m.key, m.computed) {
                        Ok(name) => name,
                        Err(message) => return self.fail(at, message),
                    };
                    instance_members |= !m.r#static;
                    let decorators: Vec<&str> = m
                        .decorators
                        .iter()
                        .map(|d| self.text(d.expression.span()))
                        .collect();
                    elements.push(format!(
                        "[{:?}, {}, {}, [{}]]",
                        kind,
                        js_string(&name),
                        m.r#static,
                        decorators.join(", ")
                    ));
                    blanks.extend(m.decorators.iter().map(|d| (d.span.start, d.span.end)));
                }
                ClassElement::PropertyDefinition(p) if !p.decorators.is_empty() => {
                    let at = p.decorators[0].span.start;
                    if p.r#static {
                        return self.fail(
                            at,
                            "standard decorators on static fields are not supported yet (instance fields, methods, getters, \
                             setters and classes are); set \"experimentalDecorators\": true in tsconfig.json's \
                             compilerOptions to use TypeScript's legacy decorators",
                        );
                    }
                    if p.declare || p.optional {
                        return self.fail(at, "a declared or optional field cannot be decorated");
                    }
                    let name = match member_name(&p.key, p.computed) {
                        Ok(name) => name,
                        Err(message) => return self.fail(at, message),
                    };
                    let n = fields;
                    fields += 1;
                    let decorators: Vec<&str> = p
                        .decorators
                        .iter()
                        .map(|d| self.text(d.expression.span()))
                        .collect();
                    elements.push(format!(
                        "[\"field\", {}, false, [{}], {n}]",
                        js_string(&name),
                        decorators.join(", ")
                    ));
                    blanks.extend(p.decorators.iter().map(|d| (d.span.start, d.span.end)));
                    // The field's value goes through the decorators'
                    // initializers; their extra initializers run once it
                    // is defined (a private field right after it).
                    match &p.value {
                        Some(value) => {
                            let span = value.span();
                            inserts.push((
                                span.start,
                                format!("__motuInit({class_name}, this, {n}, "),
                            ));
                            inserts.push((span.end, ")".to_owned()));
                        }
                        None => {
                            let end = p
                                .type_annotation
                                .as_ref()
                                .map_or(p.key.span().end, |t| t.span.end);
                            inserts.push((
                                end,
                                format!(" = __motuInit({class_name}, this, {n}, undefined)"),
                            ));
                        }
                    }
                    inserts.push((
                        p.span.end,
                        format!(";#__motuAfter{n} = __motuAfter({class_name}, this, {n});"),
                    ));
                }
                ClassElement::AccessorProperty(a) if !a.decorators.is_empty() => {
                    return self.fail(
                        a.decorators[0].span.start,
                        "decorators on accessor fields are not supported yet",
                    )
                }
                _ => {}
            }
        }
        let class_decorators: Vec<&str> = class
            .decorators
            .iter()
            .map(|d| self.text(d.expression.span()))
            .collect();
        blanks.extend(class.decorators.iter().map(|d| (d.span.start, d.span.end)));
        let name = class_name;
        if instance_members {
            // The initializers of instance members' decorators run as an
            // instance is made, before its fields (the first field).
            inserts.insert(
                0,
                (
                    class.body.span.start + 1,
                    format!("#__motuStart = __motuStart({name}, this);"),
                ),
            );
        }
        let apply = format!(
            "__motuDecorate({name}, [{}], [{}])",
            elements.join(", "),
            class_decorators.join(", ")
        );
        let call = if class_decorators.is_empty() {
            format!(";{apply};")
        } else {
            format!(";{name} = {apply};")
        };
        inserts.push((class.span.end, call));
        self.edits.push(Edit { blanks, inserts });
    }
}

impl<'a> Visit<'a> for Classes<'_> {
    fn visit_class(&mut self, class: &Class<'a>) {
        self.class(class);
        walk::walk_class(self, class);
    }
}

/// The name of a decorated member with `key`, or why it cannot be
/// decorated here.
fn member_name(key: &PropertyKey<'_>, computed: bool) -> Result<String, &'static str> {
    match key {
        PropertyKey::StaticIdentifier(id) if !computed => Ok(id.name.to_string()),
        PropertyKey::StringLiteral(s) if !computed => Ok(s.value.to_string()),
        PropertyKey::PrivateIdentifier(_) => {
            Err("decorators on private members are not supported yet")
        }
        _ => Err("decorators on members with computed names are not supported yet"),
    }
}

/// `s` as a JavaScript string literal.
fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxc::allocator::Allocator;
    use oxc::parser::Parser;
    use oxc::span::SourceType;

    fn lowered(source: &str) -> Result<Option<String>, Unsupported> {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, source, SourceType::ts()).parse();
        assert!(!parsed.diagnostics.has_errors(), "{:?}", parsed.diagnostics);
        lower(&parsed.program, source)
    }

    #[test]
    fn decorators_are_blanked_and_applied_after_the_class() {
        let source =
            "class A {\n  @dec() m() {}\n  @a @b static get g() { return 1; }\n}\nlet x = 1;\n";
        let out = lowered(source).unwrap().unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[1], "         m() {}");
        assert_eq!(lines[2], "        static get g() { return 1; }");
        assert_eq!(
            lines[3],
            "};__motuDecorate(A, [[\"method\", \"m\", false, [dec()]], [\"getter\", \"g\", true, [a, b]]], []);"
        );
        assert_eq!(lines[4], "let x = 1;");
    }

    #[test]
    fn a_field_goes_through_its_decorators_and_instance_members_get_a_start() {
        let out = lowered("class A {\n  @f x = 1;\n  @g y: number;\n  @m m() {}\n}\n")
            .unwrap()
            .unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "class A {#__motuStart = __motuStart(A, this);");
        assert_eq!(
            lines[1],
            "     x = __motuInit(A, this, 0, 1);;#__motuAfter0 = __motuAfter(A, this, 0);"
        );
        assert_eq!(
            lines[2],
            "     y: number = __motuInit(A, this, 1, undefined);;#__motuAfter1 = __motuAfter(A, this, 1);"
        );
        assert!(
            lines[4].contains("[\"field\", \"x\", false, [f], 0]"),
            "{out}"
        );
    }

    #[test]
    fn a_class_decorator_rebinds_the_class() {
        let out = lowered("@sealed export class B {}\n").unwrap().unwrap();
        assert_eq!(
            out,
            "        export class B {};B = __motuDecorate(B, [], [sealed]);\n"
        );
        assert!(lowered("class C { m() {} }").unwrap().is_none());
    }

    #[test]
    fn what_is_not_lowered_is_named_at_its_place() {
        let message = |s: &str| lowered(s).unwrap_err();
        let e = message("class A {\n  @dec static x = 1;\n}");
        assert_eq!(e.offset, 12);
        assert!(e.message.contains("static fields"));
        assert!(message("class A { @dec #m() {} }")
            .message
            .contains("private"));
        assert!(message("class A { @dec [k]() {} }")
            .message
            .contains("computed"));
        assert!(message("const A = class { @dec m() {} };")
            .message
            .contains("expression"));
        assert!(message("export default @dec class {}")
            .message
            .contains("name"));
    }
}
