//! What the pipeline makes of TypeScript and JSX. What the output does when
//! run is tested against the real server in `tests/typescript.rs`.

use super::*;

fn options() -> TranspileOptions {
    TranspileOptions {
        jsx: Jsx::Classic {
            factory: "h".into(),
            fragment: "Fragment".into(),
        },
        legacy_decorators: false,
        decorator_metadata: false,
        strict_null_checks: true,
        define_class_fields: true,
        only_remove_type_imports: false,
        define: vec![("process.env.NODE_ENV".into(), "\"development\"".into())],
        tsconfig: None,
    }
}

fn js(name: &str, source: &str, options: &TranspileOptions) -> String {
    transpile(name, source, true, options)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .code
        .to_string()
}

#[test]
fn types_go_and_values_stay() {
    let out = js(
        "src/index.ts",
        "import type { A } from './a';\nimport { B, type C } from './b';\n\
         interface I { x: number }\ntype T = string | number;\n\
         declare const ext: number;\n\
         abstract class Base { abstract f(): void; override toString(): string { return 'b'; } }\n\
         export function id<T>(x: T): T { return x as T; }\n\
         const v = { a: 1 } satisfies Record<string, number>;\n\
         export const n = (null as unknown as { y?: number })!;\n\
         export default { v, B };\n",
        &options(),
    );
    for gone in [
        "interface",
        "type T",
        "import type",
        "'./a'",
        "satisfies",
        " as ",
        "declare",
        "abstract",
        "override",
        "<T>",
    ] {
        assert!(!out.contains(gone), "'{gone}' is left in:\n{out}");
    }
    assert!(out.contains("import { B } from \"./b\""), "{out}");
    assert!(out.contains("function id(x)"), "{out}");
}

#[test]
fn imports_used_only_as_types_go_unless_verbatim() {
    let source = "import { Only } from './types';\nlet x: Only;\nexport {};\n";
    assert!(!js("a.ts", source, &options()).contains("./types"));
    let verbatim = TranspileOptions {
        only_remove_type_imports: true,
        ..options()
    };
    // Kept for its side effects, without the binding nothing reads (a
    // bundler drops it too; unbundled, a type's name fails to link).
    let out = js("a.ts", source, &verbatim);
    assert!(out.contains("import \"./types\""), "{out}");
    assert!(!out.contains("Only"), "{out}");
    let read = js(
        "a.ts",
        "import { Used, Type } from './m';\nlet t: Type;\nexport const u = Used;\n",
        &verbatim,
    );
    assert!(read.contains("import { Used } from \"./m\""), "{read}");
}

#[test]
fn enums_namespaces_and_parameter_properties_become_javascript() {
    let out = js(
        "a.ts",
        "export enum Color { Red, Green = 5, Blue }\n\
         export const enum Dir { Up = 'UP' }\n\
         export namespace Geo { export const pi = 3.14; export function area(r: number) { return pi * r * r; } }\n\
         export class P { constructor(private readonly x: number, public y = 2) {} }\n",
        &options(),
    );
    assert!(out.contains("Color[Color[\"Red\"] = 0] = \"Red\""), "{out}");
    assert!(out.contains("Dir[\"Up\"] = \"UP\""), "{out}");
    assert!(out.contains("Geo"), "{out}");
    assert!(out.contains("this.x = x"), "{out}");
    assert!(
        !out.contains("private") && !out.contains("readonly"),
        "{out}"
    );
}

#[test]
fn class_fields_without_initializer_follow_use_define_for_class_fields() {
    let source = "export class A { x: number; y = 1; }\n";
    assert!(js("a.ts", source, &options()).contains("x;"));
    let set = TranspileOptions {
        define_class_fields: false,
        ..options()
    };
    let out = js("a.ts", source, &set);
    assert!(!out.contains("x;") && out.contains("y = 1"), "{out}");
}

#[test]
fn legacy_decorators_compile_to_helpers_on_the_first_line() {
    let legacy = TranspileOptions {
        legacy_decorators: true,
        decorator_metadata: true,
        ..options()
    };
    let out = js(
        "a.ts",
        "function tag(t: any) {}\n@tag\nexport class A {\n  @tag m(@tag p: string) {}\n}\n",
        &legacy,
    );
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("var babelHelpers = {"), "{out}");
    assert!(out.contains("babelHelpers.decorate("), "{out}");
    assert!(out.contains("babelHelpers.decorateParam(0, tag)"), "{out}");
    assert!(
        out.contains("babelHelpers.decorateMetadata(\"design:paramtypes\""),
        "{out}"
    );
    assert!(!out.contains('@'), "{out}");
}

#[test]
fn standard_decorators_on_static_fields_are_refused_with_their_place() {
    let err = transpile(
        "src/a.ts",
        "let x = 1;\nclass A {\n  @dec static f = 1;\n}\n",
        true,
        &options(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("src/a.ts:3:3: "), "{text}");
    assert!(text.contains("experimentalDecorators"), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let err = transpile(
        "src/index.ts",
        "export default {\n  fetch(): Response {\n    let x: = 1;\n  }\n};\n",
        true,
        &options(),
    )
    .unwrap_err();
    match err {
        LoaderError::Transform {
            module,
            line,
            column,
            message,
        } => {
            assert_eq!((module.as_str(), line), ("src/index.ts", 3), "{message}");
            assert_eq!(column, 12, "{message}");
            assert!(!message.contains('\n'));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn jsx_classic_uses_the_factory_and_keeps_its_import() {
    let out = js(
        "a.tsx",
        "import { h, Fragment } from './jsx';\nexport const v = <><p class=\"x\">{1}</p></>;\n",
        &options(),
    );
    assert!(
        out.contains("h(Fragment, null, /* @__PURE__ */ h(\"p\""),
        "{out}"
    );
    assert!(out.contains("from \"./jsx\""), "{out}");
}

#[test]
fn jsx_automatic_imports_the_runtime_of_the_import_source() {
    let auto = TranspileOptions {
        jsx: Jsx::Automatic {
            import_source: "hono/jsx".into(),
            development: false,
        },
        ..options()
    };
    let out = js("a.jsx", "export const v = <p>hi</p>;\n", &auto);
    assert!(out.contains("from \"hono/jsx/jsx-runtime\""), "{out}");
    assert!(out.contains("jsx(\"p\""), "{out}");
}

#[test]
fn jsx_pragmas_win_over_the_options() {
    let auto = TranspileOptions {
        jsx: Jsx::Automatic {
            import_source: "react".into(),
            development: false,
        },
        ..options()
    };
    let out = js(
        "a.tsx",
        "/** @jsxImportSource ./lib */\nexport const v = <p>hi</p>;\n",
        &auto,
    );
    assert!(out.contains("from \"./lib/jsx-runtime\""), "{out}");
    // As in esbuild, an import source applies to the automatic runtime only.
    let out = js(
        "a.tsx",
        "/** @jsxImportSource ./lib */\nexport const v = <p>hi</p>;\n",
        &options(),
    );
    assert!(!out.contains("jsx-runtime"), "{out}");
    let out = js(
        "a.tsx",
        "/** @jsxRuntime automatic @jsxImportSource ./lib */\nexport const v = <p>hi</p>;\n",
        &options(),
    );
    assert!(out.contains("from \"./lib/jsx-runtime\""), "{out}");
    let out = js(
        "a.tsx",
        "/** @jsx make */\nexport const v = <p>hi</p>;\n",
        &options(),
    );
    assert!(out.contains("make(\"p\""), "{out}");
}

#[test]
fn node_env_is_replaced_in_typescript_and_javascript() {
    let out = js(
        "a.ts",
        "export const m: string = process.env.NODE_ENV;\n",
        &options(),
    );
    assert!(out.contains("m = \"development\""), "{out}");
    let out = transpile(
        "lib.js",
        "export const m = process.env.NODE_ENV, other = process.env.OTHER;\n",
        false,
        &options(),
    )
    .unwrap()
    .code;
    assert!(out.contains("m = \"development\""), "{out}");
    assert!(out.contains("process.env.OTHER"), "{out}");
}

#[test]
fn a_bad_define_is_an_error() {
    let bad = TranspileOptions {
        define: vec![("process.env.X".into(), "1 +".into())],
        ..options()
    };
    let err = transpile("a.ts", "export {}", true, &bad).unwrap_err();
    assert!(err.to_string().starts_with("define: "), "{err}");
}

/// The author's place of the output's `new Error`, as its positions give it.
fn original_of_new_error(out: &Transpiled) -> Option<(u32, u32)> {
    let (line, column) = out
        .code
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("new Error").map(|c| (i as u32 + 1, c as u32 + 1)))
        .unwrap();
    out.positions.original(line, column)
}

#[test]
fn positions_lead_back_to_the_authors_lines() {
    let source = "interface A {\n  x: number;\n}\n\ntype B = A;\n\nexport function f(a: A): number {\n  throw new Error('x');\n}\n";
    let out = transpile("a.ts", source, true, &options()).unwrap();
    assert_eq!(original_of_new_error(&out), Some((8, 9)), "{}", out.code);
}

#[test]
fn standard_method_decorators_are_applied_and_keep_positions() {
    let source = "function d(v: any, c: any) { return v; }\nclass A {\n  @d m(): number { return 1; }\n}\nexport const e = new Error('x');\n";
    let out = transpile("a.ts", source, true, &options()).unwrap();
    assert!(
        out.code
            .lines()
            .next()
            .unwrap()
            .contains("const __motuDecorate = "),
        "{}",
        out.code
    );
    assert!(out.code.contains("__motuDecorate(A, [["), "{}", out.code);
    assert!(!out.code.contains('@'), "{}", out.code);
    assert_eq!(original_of_new_error(&out), Some((5, 18)), "{}", out.code);
}

#[test]
fn the_decorator_helpers_do_not_move_positions() {
    let legacy = TranspileOptions {
        legacy_decorators: true,
        ..options()
    };
    let source = "function d(t: any) {}\n@d\nclass A {}\nexport const e = new Error('x');\n";
    let out = transpile("a.ts", source, true, &legacy).unwrap();
    assert_eq!(original_of_new_error(&out), Some((4, 18)), "{}", out.code);
}

#[test]
fn plain_javascript_is_left_alone_and_costs_no_positions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.js"), "").unwrap();
    let entry = absolute(&dir.path().join("w.js"));
    let t = Transpiler::new(&ProjectOptions::new(dir.path(), &entry), &entry).unwrap();
    let text = "export default { fetch() { return new Response('x') } }";
    let (code, hit) = t
        .module_with_hit("w.js", ModuleKind::JavaScript, text)
        .unwrap();
    assert_eq!((&*code, hit), (text, None));
    assert!(!t.maps_positions());
    assert_eq!(t.original_position("w.js", 1, 1), None);
}

#[test]
fn a_second_transpiler_of_the_same_text_hits_the_cache() {
    let _only = crate::cache::TEST_LOCK.lock();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.ts"), "").unwrap();
    let entry = absolute(&dir.path().join("w.ts"));
    let mut project = ProjectOptions::new(dir.path(), &entry);
    project.cache_dir = Some(dir.path().join("cache"));
    // Unique text, so no other test's entry answers.
    let text = format!("export const where: string = {:?};\n", dir.path());
    let first = Transpiler::new(&project, &entry).unwrap();
    let (code, hit) = first
        .module_with_hit("w.ts", ModuleKind::TypeScript, &text)
        .unwrap();
    assert_eq!(hit, None);
    assert!(!code.contains(": string"));
    assert!(first.maps_positions());
    let second = Transpiler::new(&project, &entry).unwrap();
    let (again, hit) = second
        .module_with_hit("w.ts", ModuleKind::TypeScript, &text)
        .unwrap();
    assert_eq!((again, hit), (code.clone(), Some(Hit::Memory)));
    assert!(second.maps_positions(), "positions come with a cache hit");
    // A new process has only the disk.
    crate::cache::clear_memory();
    let third = Transpiler::new(&project, &entry).unwrap();
    let (again, hit) = third
        .module_with_hit("w.ts", ModuleKind::TypeScript, &text)
        .unwrap();
    assert_eq!((again, hit), (code, Some(Hit::Disk)));
    // Other options: another key.
    project.node_env = "development".into();
    let other = Transpiler::new(&project, &entry).unwrap();
    let (_, hit) = other
        .module_with_hit("w.ts", ModuleKind::TypeScript, &text)
        .unwrap();
    assert_eq!(hit, None);
}

#[test]
fn the_transformer_named_in_cache_keys_is_the_pinned_one() {
    let manifest = include_str!("../../../../Cargo.toml");
    let pin = manifest
        .lines()
        .find(|l| l.starts_with("oxc = "))
        .expect("the workspace pins oxc");
    let version = TRANSFORMER.strip_prefix("oxc ").unwrap();
    assert!(
        pin.contains(&format!("\"={version}\"")),
        "{pin} vs {TRANSFORMER}"
    );
}

#[test]
fn javascript_that_cannot_be_parsed_is_left_to_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.js"), "").unwrap();
    let entry = absolute(&dir.path().join("w.js"));
    let t = Transpiler::new(&ProjectOptions::new(dir.path(), &entry), &entry).unwrap();
    let text = "export const env = process.env.NODE_ENV; let let = 1;";
    let code = t.module("w.js", ModuleKind::JavaScript, text).unwrap();
    assert_eq!(&*code, text);
    // TypeScript is another matter: an error.
    assert!(t
        .module("w.ts", ModuleKind::TypeScript, "let x: = 1;")
        .is_err());
}

#[test]
fn using_declarations_are_lowered_with_the_helper() {
    for name in ["a.ts", "a.js"] {
        let out = js(
            name,
            "export function f(r) {\n  using a = r;\n  return 1;\n}\nexport async function g(r) {\n  await using b = r;\n}\n",
            &options(),
        );
        let first = out.lines().next().unwrap();
        assert!(first.contains("usingCtx()"), "{name}: {out}");
        assert!(
            !out.contains("using a") && !out.contains("using b"),
            "{name}: {out}"
        );
        assert!(
            out.contains(".u(r)") && out.contains(".a(r)"),
            "{name}: {out}"
        );
    }
}

#[test]
fn only_javascript_that_may_declare_using_goes_through() {
    assert!(mentions_using("{ using x = y; }"));
    assert!(mentions_using("await using\tx = y;"));
    assert!(mentions_using("for (using $r of list) {}"));
    assert!(!mentions_using("const usingX = 1; // confusing"));
    assert!(!mentions_using("refusing to go"));
    assert!(!mentions_using("// Set the header using the value given"));
    assert!(!mentions_using("if (using == 1) {}"));
    assert!(!mentions_using("using offset"));
}
