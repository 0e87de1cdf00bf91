//! Workers made of npm packages, against the real server on every engine:
//! bare imports resolved from `node_modules` (hono, zod, itty-router, a
//! local package with a `workerd` condition), CommonJS packages imported
//! with default and named imports, `require()` cycles, JSON imported both
//! ways, Text/Data/CompiledWasm modules and the `rules` key, a pnpm-style
//! symlinked layout; and what is refused at start-up: a missing package, a
//! `node:` built-in motu does not provide, an import leaving the project.
//!
//! The fixture projects under `tests/projects/` are installed by
//! `scripts/install-test-projects.sh` (`npm ci`), which README's test
//! command runs first.

mod common;

use std::path::{Path, PathBuf};

use common::{on_each_engine, Server, TempConfig};

/// The path of a project under `tests/projects`, checked to be installed.
fn project(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/projects")
        .join(name);
    if dir.join("package-lock.json").exists() {
        assert!(
            dir.join("node_modules").is_dir(),
            "{} has no node_modules: run scripts/install-test-projects.sh",
            dir.display()
        );
    }
    dir
}

/// The npm-basics project served from its wrangler config on `engine`.
fn npm_basics(engine: &str) -> Server {
    let config = project("npm-basics").join("wrangler.jsonc");
    Server::start(&["--config", config.to_str().unwrap(), "--engine", engine])
}

fn get(s: &Server, path: &str) -> serde_json::Value {
    let r = s.request("GET", path, &[("host", "npm-basics.localhost")], b"");
    assert_eq!(r.status, 200, "{path}: {}\n{}", r.text(), s.log());
    r.json()
}

#[test]
fn hono_zod_and_itty_router_answer() {
    on_each_engine("hono_zod_and_itty_router_answer", |engine| {
        let s = npm_basics(engine);
        assert_eq!(get(&s, "/hono/ann")["hello"], "ann");
        // A subpath export of a real package (`hono/jsx`).
        let jsx = s.request(
            "GET",
            "/jsx?name=Ann",
            &[("host", "npm-basics.localhost")],
            b"",
        );
        assert_eq!(
            (jsx.status, jsx.text()),
            (200, "<h1 class=\"title\">Hello Ann</h1>".to_owned())
        );
        let ok = get(&s, "/zod?name=Al&age=3");
        assert_eq!(ok["user"], serde_json::json!({ "name": "Al", "age": 3 }));
        let bad = s.request(
            "GET",
            "/zod?name=A&age=-1",
            &[("host", "npm-basics.localhost")],
            b"",
        );
        assert_eq!(bad.status, 400, "{}", bad.text());
        assert_eq!(bad.json()["issues"], serde_json::json!(["name", "age"]));
        let itty = get(&s, "/itty/items/7");
        assert_eq!(
            itty,
            serde_json::json!({ "item": "7", "from": "itty-router" })
        );
    });
}

#[test]
fn commonjs_packages_import_with_default_and_named_imports() {
    on_each_engine(
        "commonjs_packages_import_with_default_and_named_imports",
        |engine| {
            let s = npm_basics(engine);
            let body = get(&s, "/cjs");
            // cookie@0.7 (exports.parse = …): default and named imports.
            assert_eq!(body["defaultParse"], "two");
            assert_eq!(body["namedParse"], "42");
            assert_eq!(body["serialize"], "k=v; HttpOnly");
            // ms (module.exports = function): the default import.
            assert_eq!(body["ms"], 172_800_000);
        },
    );
}

#[test]
fn require_follows_node_semantics() {
    on_each_engine("require_follows_node_semantics", |engine| {
        let s = npm_basics(engine);
        // a.cjs requires b.cjs, which requires a.cjs back and sees the
        // exports a had set so far.
        let cycle = get(&s, "/cycle");
        assert_eq!(
            cycle,
            serde_json::json!({ "name": "a", "fromB": "b", "sawA": "a", "same": true })
        );
        let mixed = get(&s, "/mixed");
        assert_eq!(
            mixed["esmDefault"], "esm default",
            "require() of an ES module"
        );
        assert_eq!(mixed["esmNamed"], "esm named");
        assert_eq!(mixed["esModule"], true);
        assert_eq!(mixed["cookie"], "3", "require() of a CommonJS package");
        assert_eq!(
            mixed["optional"], "MODULE_NOT_FOUND",
            "a missing package required inside try fails at run time"
        );
        assert_eq!(mixed["thisIsExports"], true);
    });
}

#[test]
fn json_imports_both_ways() {
    on_each_engine("json_imports_both_ways", |engine| {
        let s = npm_basics(engine);
        let body = get(&s, "/json");
        assert_eq!(body["attributes"], "npm-basics", "with {{ type: 'json' }}");
        assert_eq!(body["plain"], "npm-basics", "without attributes");
        assert_eq!(body["same"], true, "one module");
        assert_eq!(body["required"], "npm-basics", "require() of JSON");
        assert_eq!(body["protoIsAKey"], true, "JSON's __proto__ is a key");
    });
}

#[test]
fn the_workerd_condition_is_picked() {
    on_each_engine("the_workerd_condition_is_picked", |engine| {
        let s = npm_basics(engine);
        let body = get(&s, "/workerd");
        // "node" comes first in the package's exports and "browser",
        // "import" and "default" match too: "workerd" wins as wrangler's
        // conditions say; a `*` subpath pattern under "worker".
        assert_eq!(body["picked"], "workerd");
        assert_eq!(body["sub"], "sub/thing.worker.js");
    });
}

#[test]
fn text_data_and_rule_modules() {
    on_each_engine("text_data_and_rule_modules", |engine| {
        let s = npm_basics(engine);
        let body = get(&s, "/assets");
        assert_eq!(body["notes"], "plain text, two lines\nsecond line\n");
        assert_eq!(body["page"], "<p>hello</p>");
        // `.md` is Text only through the config's `rules`.
        assert_eq!(body["readme"], "# Read me");
        assert_eq!(body["blobIsArrayBuffer"], true);
        assert_eq!(body["blob"], serde_json::json!([0, 1, 254, 255]));
    });
}

#[test]
fn compiled_wasm_modules_run() {
    on_each_engine("compiled_wasm_modules_run", |engine| {
        let entry = project("wasm-module").join("index.js");
        let s = Server::start(&[entry.to_str().unwrap(), "--engine", engine]);
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(
            r.json(),
            serde_json::json!({ "sum": 42, "isModule": true, "same": true })
        );
    });
}

/// QuickJS has no WebAssembly: a CompiledWasm module instantiated at the
/// Worker's top level fails its start with an error naming the module and
/// the engine's lack (tests/opennext.rs: one instantiated later fails only
/// there).
#[test]
fn compiled_wasm_without_webassembly_is_a_clear_error() {
    let entry = project("wasm-module").join("index.js");
    let s = Server::start(&[entry.to_str().unwrap(), "--engine", "quickjs"]);
    assert_eq!(s.get("/").status, 500);
    let log = s.wait_for_log("needs WebAssembly");
    assert!(
        log.contains("add.wasm: a CompiledWasm module needs WebAssembly"),
        "{log}"
    );
}

/// Links `from` into `to` file by file (hard links; copies across file
/// systems).
fn link_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            link_tree(&entry.path(), &target);
        } else if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_pnpm_layout_resolves_through_its_symlinks() {
    // pnpm's layout: node_modules/NAME links into node_modules/.pnpm,
    // where each package sees its own dependencies as siblings; `ms` is
    // not in the top node_modules at all.
    let installed = project("npm-basics").join("node_modules");
    let dir = tempfile::Builder::new()
        .prefix("pnpm-layout")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let root = dir.path();
    let store = root.join("node_modules/.pnpm");
    link_tree(
        &installed.join("hono"),
        &store.join("hono@4.13.19/node_modules/hono"),
    );
    link_tree(
        &installed.join("ms"),
        &store.join("ms@2.1.3/node_modules/ms"),
    );
    let uses = store.join("uses-ms@1.0.0/node_modules/uses-ms");
    std::fs::create_dir_all(&uses).unwrap();
    std::fs::write(
        uses.join("package.json"),
        r#"{ "name": "uses-ms", "version": "1.0.0", "main": "index.js" }"#,
    )
    .unwrap();
    std::fs::write(
        uses.join("index.js"),
        "const ms = require('ms');\nmodule.exports = (s) => ms(s);\n",
    )
    .unwrap();
    let symlink = |target: &str, link: &Path| std::os::unix::fs::symlink(target, link).unwrap();
    symlink(
        "../../ms@2.1.3/node_modules/ms",
        &store.join("uses-ms@1.0.0/node_modules/ms"),
    );
    symlink(
        ".pnpm/hono@4.13.19/node_modules/hono",
        &root.join("node_modules/hono"),
    );
    symlink(
        ".pnpm/uses-ms@1.0.0/node_modules/uses-ms",
        &root.join("node_modules/uses-ms"),
    );
    std::fs::write(
        root.join("package.json"),
        r#"{ "name": "pnpm-layout", "private": true }"#,
    )
    .unwrap();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(
        root.join("src/index.js"),
        "import { Hono } from 'hono';\nimport toMs from 'uses-ms';\n\
         const app = new Hono();\napp.get('/:span', (c) => c.json({ ms: toMs(c.req.param('span')) }));\n\
         export default app;\n",
    )
    .unwrap();
    let entry = root.join("src/index.js");
    on_each_engine("a_pnpm_layout_resolves_through_its_symlinks", |engine| {
        let s = Server::start(&[entry.to_str().unwrap(), "--engine", engine]);
        let r = s.get("/1h");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(r.json()["ms"], 3_600_000);
    });
}

/// Serves the project at `entry` of `dir`, whose code cannot be loaded:
/// the one line the server logs at start-up about it (containing
/// `needle`). The Worker then answers 500.
fn startup_error(dir: &TempConfig, engine: &str, entry: &str, needle: &str) -> String {
    let s = Server::start(&[&dir.path(entry), "--engine", engine]);
    let log = s.wait_for_log(needle);
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(lines.len(), 1, "one line with {needle:?}:\n{log}");
    assert!(lines[0].contains("ERROR"), "{}", lines[0]);
    assert_eq!(s.get("/").status, 500);
    lines[0].to_owned()
}

/// A project folder with `files`.
fn files(files: &[(&str, &str)]) -> TempConfig {
    TempConfig::new(files)
}

#[test]
fn a_missing_package_is_one_startup_line() {
    on_each_engine("a_missing_package_is_one_startup_line", |engine| {
        let dir = files(&[
                ("package.json", r#"{ "name": "x", "private": true }"#),
                (
                    "src/index.js",
                    "// a Worker\nimport { helper } from './lib.js';\nexport default { fetch: () => new Response(helper()) };\n",
                ),
                (
                    "src/lib.js",
                    "\n\nimport leftPad from 'left-pad';\nexport const helper = () => leftPad('1', 3);\n",
                ),
        ]);
        let line = startup_error(&dir, engine, "src/index.js", "left-pad");
        assert!(
            line.contains(
                ": src/lib.js:3: import 'left-pad': package 'left-pad' is not installed; run npm install"
            ),
            "{line}"
        );
        // A relative import of a file that is not there.
        let dir = files(&[
            ("package.json", "{}"),
            ("index.js", "import './gone.js';\nexport default {};\n"),
        ]);
        let line = startup_error(&dir, engine, "index.js", "gone.js");
        assert!(
            line.contains(": index.js:1: import './gone.js': no such file"),
            "{line}"
        );
    });
}

#[test]
fn node_builtins_are_a_startup_error_naming_the_module() {
    on_each_engine(
        "node_builtins_are_a_startup_error_naming_the_module",
        |engine| {
            let dir = files(&[
                ("package.json", "{}"),
                (
                    "index.js",
                    "import { Buffer } from 'node:buffer';\nexport default {};\n",
                ),
            ]);
            let line = startup_error(&dir, engine, "index.js", "node:buffer");
            assert!(
                line.contains(
                    ": index.js:1: import 'node:buffer': 'node:buffer' is a built-in module that motu does not provide yet"
                ),
                "{line}"
            );
            // A bare built-in name no package provides, from CommonJS.
            let dir = files(&[
                ("package.json", "{}"),
                ("index.js", "import './cjs.js';\nexport default {};\n"),
                ("cjs.js", "const fs = require('fs');\n"),
            ]);
            let line = startup_error(&dir, engine, "index.js", "'fs'");
            assert!(
                line.contains(": cjs.js:1: import 'fs': 'node:fs' is a built-in module"),
                "{line}"
            );
        },
    );
}

#[test]
fn imports_leaving_the_project_are_refused() {
    on_each_engine("imports_leaving_the_project_are_refused", |engine| {
        let dir = TempConfig::new(&[
            ("secret.js", "export const secret = 'outside';\n"),
            ("app/package.json", "{}"),
            (
                "app/index.js",
                "import { secret } from '../secret.js';\nexport default {};\n",
            ),
            (
                "app/linked.js",
                "import { secret } from 'evil';\nexport default {};\n",
            ),
        ]);
        // A relative path out of the project folder.
        let line = startup_error(&dir, engine, "app/index.js", "../secret.js");
        assert!(line.contains(": index.js:1:"), "{line}");
        assert!(
            line.contains("outside the project folder") && line.contains("refused"),
            "{line}"
        );
        // A package in node_modules that is a symbolic link out of it.
        std::fs::create_dir_all(dir.dir.path().join("app/node_modules")).unwrap();
        std::fs::create_dir_all(dir.dir.path().join("evil")).unwrap();
        std::fs::write(
            dir.dir.path().join("evil/package.json"),
            r#"{ "name": "evil", "main": "index.js" }"#,
        )
        .unwrap();
        std::fs::write(
            dir.dir.path().join("evil/index.js"),
            "export const secret = 'outside';\n",
        )
        .unwrap();
        let link = dir.dir.path().join("app/node_modules/evil");
        if !link.exists() {
            std::os::unix::fs::symlink(dir.dir.path().join("evil"), &link).unwrap();
        }
        let line = startup_error(&dir, engine, "app/linked.js", "'evil'");
        assert!(
            line.contains(": linked.js:1:") && line.contains("outside the project folder"),
            "{line}"
        );
    });
}

#[test]
fn hoisted_packages_and_workspace_siblings_of_a_monorepo_resolve() {
    on_each_engine(
        "hoisted_packages_and_workspace_siblings_of_a_monorepo_resolve",
        |engine| {
            let dir = files(&[
                (
                    "package.json",
                    r#"{ "private": true, "workspaces": ["apps/*", "packages/*"] }"#,
                ),
                (
                    "node_modules/hoisted/package.json",
                    r#"{ "name": "hoisted", "main": "index.js" }"#,
                ),
                ("node_modules/hoisted/index.js", "export const h = 'hoisted';\n"),
                (
                    "packages/shared/package.json",
                    r#"{ "name": "@mono/shared", "main": "index.js" }"#,
                ),
                (
                    "packages/shared/index.js",
                    "export const s = 'shared';\nexport function fail() { throw new Error('from shared'); }\n",
                ),
                ("apps/api/package.json", r#"{ "name": "api", "private": true }"#),
                (
                    "apps/api/src/index.js",
                    "import { h } from 'hoisted';\nimport { s, fail } from '@mono/shared';\n\
                     export default { fetch(request) {\n\
                       if (new URL(request.url).pathname === '/fail') { try { fail(); } catch (e) { return new Response(e.stack); } }\n\
                       return new Response(`${h} ${s}`);\n\
                     } };\n",
                ),
            ]);
            // npm links workspace packages into the top node_modules.
            let scope = dir.dir.path().join("node_modules/@mono");
            std::fs::create_dir_all(&scope).unwrap();
            let link = scope.join("shared");
            if !link.exists() {
                std::os::unix::fs::symlink("../../packages/shared", &link).unwrap();
            }
            let s = Server::start(&[&dir.path("apps/api/src/index.js"), "--engine", engine]);
            let r = s.get("/");
            assert_eq!((r.status, r.text()), (200, "hoisted shared".to_owned()));
            // A module from above the project is named by its way there.
            let stack = s.get("/fail").text();
            assert!(stack.contains("../../packages/shared/index.js"), "{stack}");
        },
    );
}
