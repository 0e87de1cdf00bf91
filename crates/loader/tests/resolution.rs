//! Resolution and module formats through a `Project`, as engines use it:
//! `resolve(referrer, specifier)` and `source(name)` on projects written
//! into temporary folders.

use std::path::Path;

use motu_engine::ModuleSource;
use motu_loader::{BuiltinModules, LoaderError, ModuleRule, Project, ProjectOptions, RuleType};

/// A project folder with `files`.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn load(dir: &Path, entry: &str) -> Project {
    Project::load(&ProjectOptions::new(dir, entry)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn exports_subpaths_patterns_and_nested_conditions() {
    let dir = folder(&[
        (
            "node_modules/pkg/package.json",
            r#"{ "name": "pkg", "exports": {
                ".": { "node": "./node.js", "worker": { "import": "./worker.mjs", "default": "./worker.js" }, "default": "./main.js" },
                "./feature/*": { "require": "./cjs/*.js", "default": "./esm/*.js" },
                "./package.json": "./package.json"
            } }"#,
        ),
        ("node_modules/pkg/node.js", "export const a = 'node';"),
        (
            "node_modules/pkg/worker.mjs",
            "export const a = 'worker import';",
        ),
        (
            "node_modules/pkg/worker.js",
            "exports.a = 'worker require';",
        ),
        ("node_modules/pkg/main.js", "export const a = 'default';"),
        ("node_modules/pkg/esm/x.js", "export const x = 1;"),
        ("node_modules/pkg/cjs/x.js", "exports.x = 1;"),
        (
            "index.js",
            "import { a } from 'pkg';\nimport { x } from 'pkg/feature/x';\n\
             import './c.cjs';\nexport default {};",
        ),
        ("c.cjs", "require('pkg'); require('pkg/feature/x');"),
    ]);
    let p = load(dir.path(), "index.js");
    assert_eq!(
        p.resolve("index.js", "pkg").unwrap(),
        "node_modules/pkg/worker.mjs"
    );
    assert_eq!(
        p.resolve("index.js", "pkg/feature/x").unwrap(),
        "node_modules/pkg/esm/x.js"
    );
    // require() uses the `require` condition: the CommonJS files.
    let factory = p.source("c.cjs").unwrap();
    assert!(
        factory.contains("\"motu-graph:node_modules/pkg/worker.js\""),
        "{factory}"
    );
    assert!(
        factory.contains("\"motu-graph:node_modules/pkg/cjs/x.js\""),
        "{factory}"
    );
}

#[test]
fn custom_conditions_replace_the_default_ones() {
    let dir = folder(&[
        (
            "node_modules/pkg/package.json",
            r#"{ "exports": { "workerd": "./w.js", "edge-light": "./edge.js", "default": "./d.js" } }"#,
        ),
        ("node_modules/pkg/w.js", "export default 1;"),
        ("node_modules/pkg/edge.js", "export default 1;"),
        ("node_modules/pkg/d.js", "export default 1;"),
        ("index.js", "import x from 'pkg';\nexport default {};"),
    ]);
    let p = load(dir.path(), "index.js");
    assert_eq!(
        p.resolve("index.js", "pkg").unwrap(),
        "node_modules/pkg/w.js"
    );
    let mut options = ProjectOptions::new(dir.path(), "index.js");
    options.conditions = vec!["edge-light".into()];
    let p = Project::load(&options).unwrap();
    assert_eq!(
        p.resolve("index.js", "pkg").unwrap(),
        "node_modules/pkg/edge.js"
    );
}

#[test]
fn imports_fields_and_extension_probing() {
    let dir = folder(&[
        (
            "package.json",
            r##"{ "name": "app", "imports": { "#db": { "worker": "./src/db-worker.js", "default": "./src/db.js" } } }"##,
        ),
        ("src/db-worker.js", "export const db = 'worker';"),
        ("src/db.js", "export const db = 'default';"),
        ("src/util/index.js", "export const u = 1;"),
        ("src/ts-only.ts", "export const t = 1;"),
        (
            "src/index.js",
            "import { db } from '#db';\nimport { u } from './util';\nexport default {};",
        ),
    ]);
    let p = load(dir.path(), "src/index.js");
    assert_eq!(
        p.resolve("src/index.js", "#db").unwrap(),
        "src/db-worker.js"
    );
    assert_eq!(
        p.resolve("src/index.js", "./util").unwrap(),
        "src/util/index.js"
    );
}

#[test]
fn browser_module_and_main_fields() {
    let dir = folder(&[
        (
            "node_modules/both/package.json",
            r#"{ "main": "./main.js", "module": "./module.js" }"#,
        ),
        ("node_modules/both/main.js", "exports.x = 'main';"),
        ("node_modules/both/module.js", "export const x = 'module';"),
        (
            "node_modules/remap/package.json",
            r#"{ "main": "./index.js", "browser": { "./node-only.js": "./browser-only.js", "fs": false } }"#,
        ),
        (
            "node_modules/remap/index.js",
            "const impl = require('./node-only.js'); const fs = require('fs'); module.exports = { impl, fs };",
        ),
        ("node_modules/remap/node-only.js", "module.exports = 'node';"),
        ("node_modules/remap/browser-only.js", "module.exports = 'browser';"),
        (
            "index.js",
            "import { x } from 'both';\nimport remap from 'remap';\nexport default {};",
        ),
    ]);
    let p = load(dir.path(), "index.js");
    assert_eq!(
        p.resolve("index.js", "both").unwrap(),
        "node_modules/both/module.js"
    );
    let remap = p.source("node_modules/remap/index.js").unwrap();
    assert!(
        remap.contains("\"motu-graph:node_modules/remap/browser-only.js\""),
        "{remap}"
    );
    // `"fs": false` is an empty module.
    assert!(remap.contains("\"motu-graph:motu:empty\""), "{remap}");
}

#[test]
fn tsconfig_paths_and_base_url() {
    let dir = folder(&[
        (
            "tsconfig.json",
            r#"{ "compilerOptions": { "allowJs": true, "baseUrl": ".", "paths": { "@lib/*": ["src/lib/*"] } } }"#,
        ),
        ("src/lib/math.js", "export const add = (a, b) => a + b;"),
        ("src/config.js", "export const c = 1;"),
        (
            "src/index.js",
            "import { add } from '@lib/math.js';\nimport { c } from 'src/config.js';\nexport default {};",
        ),
    ]);
    let p = load(dir.path(), "src/index.js");
    assert_eq!(
        p.resolve("src/index.js", "@lib/math.js").unwrap(),
        "src/lib/math.js"
    );
    assert_eq!(
        p.resolve("src/index.js", "src/config.js").unwrap(),
        "src/config.js"
    );
}

#[test]
fn workspaces_link_inside_the_project() {
    let dir = folder(&[
        (
            "packages/shared/package.json",
            r#"{ "name": "@app/shared", "main": "index.js" }"#,
        ),
        ("packages/shared/index.js", "export const shared = 1;"),
        (
            "index.js",
            "import { shared } from '@app/shared';\nexport default {};",
        ),
    ]);
    std::fs::create_dir_all(dir.path().join("node_modules/@app")).unwrap();
    std::os::unix::fs::symlink(
        "../../packages/shared",
        dir.path().join("node_modules/@app/shared"),
    )
    .unwrap();
    let p = load(dir.path(), "index.js");
    // Known by its real path.
    assert_eq!(
        p.resolve("index.js", "@app/shared").unwrap(),
        "packages/shared/index.js"
    );
}

#[test]
fn commonjs_views_follow_esbuilds_default_interop() {
    let dir = folder(&[
        (
            "node_modules/compiled/index.js",
            "Object.defineProperty(exports, '__esModule', { value: true });\nexports.default = 'dflt';\nexports.named = 1;",
        ),
        (
            "index.js",
            "import d from 'compiled';\nimport n from './node.mjs';\nexport default {};",
        ),
        ("node.mjs", "import d from 'compiled';\nexport default {};"),
    ]);
    let p = load(dir.path(), "index.js");
    let view = p.resolve("index.js", "compiled").unwrap();
    let code = p.source(&view).unwrap();
    assert!(
        code.contains("__esModule ? __motu_e.default"),
        "Babel interop: {code}"
    );
    assert!(code.contains("as named }"), "{code}");
    // An importer Node.js loads as an ES module gets module.exports.
    let node = p.resolve("node.mjs", "compiled").unwrap();
    assert_ne!(node, view);
    assert!(p
        .source(&node)
        .unwrap()
        .contains("export default __motu_e;"));
}

#[test]
fn dynamic_imports_with_computed_specifiers_resolve_late() {
    let dir = folder(&[
        ("routes/a.js", "export default 'a';"),
        (
            "index.js",
            "export default { fetch: (r) => import(`./routes/${r}.js`) };",
        ),
    ]);
    let p = load(dir.path(), "index.js");
    assert_eq!(
        p.resolve("index.js", "./routes/a.js").unwrap(),
        "routes/a.js"
    );
    assert_eq!(
        p.source("routes/a.js").as_deref(),
        Some("export default 'a';")
    );
    let err = p.resolve("index.js", "./routes/zz.js").unwrap_err();
    assert!(err.contains("./routes/zz.js"), "{err}");
}

#[test]
fn rules_make_text_data_and_wasm_modules() {
    let dir = folder(&[
        ("a.txt", "hi"),
        ("b.bin", "\u{1}\u{2}"),
        ("c.md", "# c"),
        (
            "index.js",
            "import a from './a.txt';\nimport b from './b.bin';\nimport c from './c.md';\nexport default {};",
        ),
    ]);
    let mut options = ProjectOptions::new(dir.path(), "index.js");
    options.rules = vec![ModuleRule {
        fallthrough: true,
        ..ModuleRule::new(RuleType::Data, &["**/*.md"])
    }];
    let p = Project::load(&options).unwrap();
    assert_eq!(
        p.source("a.txt").as_deref(),
        Some("export default \"hi\";\n")
    );
    assert_eq!(p.bytes("b.bin").as_deref(), Some(&[1u8, 2][..]));
    assert_eq!(p.bytes("c.md").as_deref(), Some(&b"# c"[..]));
    // No rule for `.css`: an error at the import.
    let dir = folder(&[
        ("s.css", "a{}"),
        ("index.js", "\nimport './s.css';\nexport default {};"),
    ]);
    let err = Project::load(&ProjectOptions::new(dir.path(), "index.js")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("index.js:2: import './s.css': no module rule matches '.css' files"),
        "{err}"
    );
    // A file without an extension is named as such.
    let dir = folder(&[
        ("lib/run", "export default 1;"),
        ("index.js", "import './lib/run';\nexport default {};"),
    ]);
    let err = Project::load(&ProjectOptions::new(dir.path(), "index.js")).unwrap_err();
    assert!(
        err.to_string()
            .contains("no module rule matches 'lib/run' (a file without an extension)"),
        "{err}"
    );
}

#[test]
fn provided_builtins_are_modules() {
    let dir = folder(&[(
        "index.js",
        "import { Buffer } from 'node:buffer';\nimport b2 from 'buffer';\nexport default {};",
    )]);
    let mut options = ProjectOptions::new(dir.path(), "index.js");
    options.builtins =
        BuiltinModules::new().with("node:buffer", "export const Buffer = 1; export default {};");
    let p = Project::load(&options).unwrap();
    assert_eq!(p.resolve("index.js", "node:buffer").unwrap(), "node:buffer");
    assert_eq!(p.resolve("index.js", "buffer").unwrap(), "node:buffer");
    assert!(p.source("node:buffer").unwrap().contains("Buffer = 1"));
}

#[test]
fn aliases_replace_exact_specifiers_from_the_root() {
    let dir = folder(&[
        (
            "node_modules/node-fetch/package.json",
            r#"{ "name": "node-fetch", "main": "index.js" }"#,
        ),
        (
            "node_modules/node-fetch/index.js",
            "module.exports = 'real';",
        ),
        ("node_modules/node-fetch/sub.js", "module.exports = 'sub';"),
        (
            "node_modules/lib/package.json",
            r#"{ "name": "lib", "main": "index.js" }"#,
        ),
        (
            "node_modules/lib/index.js",
            "require('node-fetch'); require('node-fetch/sub.js');",
        ),
        ("shims/fetch.ts", "export default fetch;"),
        (
            "src/index.js",
            "import f from 'node-fetch';\nimport 'lib';\nimport 'old-buffer';\nexport default {};",
        ),
    ]);
    let mut options = ProjectOptions::new(dir.path(), "src/index.js");
    options.builtins =
        BuiltinModules::new().with("node:buffer", "export const Buffer = 1; export default {};");
    options.alias = vec![
        ("node-fetch".into(), "./shims/fetch".into()),
        ("old-buffer".into(), "node:buffer".into()),
    ];
    let p = Project::load(&options).unwrap_or_else(|e| panic!("{e}"));
    // From the entry and from inside a package, the target is found from
    // the root (not from the importer's folder).
    assert_eq!(
        p.resolve("src/index.js", "node-fetch").unwrap(),
        "shims/fetch.ts"
    );
    assert_eq!(
        p.resolve("node_modules/lib/index.js", "node-fetch")
            .unwrap(),
        "shims/fetch.ts"
    );
    // Only the exact specifier: a subpath is the package's own.
    // (An import of a CommonJS file is its ES module view.)
    assert_eq!(
        p.resolve("node_modules/lib/index.js", "node-fetch/sub.js")
            .unwrap(),
        "node_modules/node-fetch/sub.js?esm-view"
    );
    assert_eq!(
        p.resolve("src/index.js", "old-buffer").unwrap(),
        "node:buffer"
    );
    // Without the alias, the package itself.
    let mut plain = options.clone();
    plain.alias.truncate(1);
    plain.alias[0].0 = "unused".into();
    plain.entry = "node_modules/lib/index.js".into();
    let p = Project::load(&plain).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.resolve("node_modules/lib/index.js", "node-fetch")
            .unwrap(),
        "node_modules/node-fetch/index.js?esm-view"
    );
    // A target that is not there is a start-up error naming the alias.
    options.alias[0].1 = "./shims/missing".into();
    let err = Project::load(&options).unwrap_err().to_string();
    assert!(
        err.contains("alias 'node-fetch' -> './shims/missing': no such file"),
        "{err}"
    );
}

#[test]
fn broken_modules_are_errors_with_their_place() {
    let dir = folder(&[
        ("index.js", "import './lib.js';\nexport default {};"),
        ("lib.js", "const a = 1;\nconst = 2;\n"),
        ("data.json", "{ \"a\": 1,, }"),
        ("j.js", "import d from './data.json';\nexport default {};"),
    ]);
    let err = Project::load(&ProjectOptions::new(dir.path(), "index.js")).unwrap_err();
    assert!(
        matches!(&err, LoaderError::Transform { module, line: 2, .. } if module == "lib.js"),
        "{err}"
    );
    let err = Project::load(&ProjectOptions::new(dir.path(), "j.js")).unwrap_err();
    assert!(err.to_string().starts_with("data.json:1:"), "{err}");
}

#[test]
fn service_worker_scripts_are_served_as_they_are() {
    let src = "addEventListener('fetch', (e) => e.respondWith(new Response('hi')));\n";
    let dir = folder(&[("sw.js", src)]);
    let p = load(dir.path(), "sw.js");
    assert!(!p.is_module());
    assert_eq!(p.source("sw.js").as_deref(), Some(src));
}
