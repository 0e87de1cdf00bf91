//! Node.js compatibility (`nodejs_compat`) against the real server, on
//! every engine: each module family's cases (tests/fixtures/node/*.mjs) run
//! in a Worker and under the `node` of this machine (the oracle, installed
//! by scripts/install-test-projects.sh), and must give the same results; a
//! Worker without the flag sees no `node:*` module and no `process` or
//! `Buffer`; the flag and the compatibility date decide the globals and
//! `process.env` as on Workers (and node:fs and node:http(s) their own
//! flags); `require()` of a built-in gives its `module.exports`;
//! `createRequire` gives a module's own CommonJS files and packages;
//! `import.meta` is workerd's.

mod common;

use std::path::Path;
use std::process::Command;

use common::{on_each_engine, Server, TempConfig};

const FAMILIES: &[&str] = &[
    "buffer",
    "events",
    "util",
    "process",
    "path",
    "string_decoder",
    "querystring",
    "timers",
    "assert",
    "url",
    "os",
    "diagnostics_channel",
    "crypto",
    "stream",
    "async_hooks",
    "net",
    "fs",
    "module",
    "zlib",
    "crypto_keys",
];

/// The fixture files of the cases, by name.
fn case_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("worker.mjs", include_str!("fixtures/node/worker.mjs")),
        ("harness.mjs", include_str!("fixtures/node/harness.mjs")),
        ("buffer.mjs", include_str!("fixtures/node/buffer.mjs")),
        ("events.mjs", include_str!("fixtures/node/events.mjs")),
        ("util.mjs", include_str!("fixtures/node/util.mjs")),
        ("process.mjs", include_str!("fixtures/node/process.mjs")),
        ("path.mjs", include_str!("fixtures/node/path.mjs")),
        (
            "string_decoder.mjs",
            include_str!("fixtures/node/string_decoder.mjs"),
        ),
        (
            "querystring.mjs",
            include_str!("fixtures/node/querystring.mjs"),
        ),
        ("timers.mjs", include_str!("fixtures/node/timers.mjs")),
        ("assert.mjs", include_str!("fixtures/node/assert.mjs")),
        ("url.mjs", include_str!("fixtures/node/url.mjs")),
        ("os.mjs", include_str!("fixtures/node/os.mjs")),
        (
            "diagnostics_channel.mjs",
            include_str!("fixtures/node/diagnostics_channel.mjs"),
        ),
        ("crypto.mjs", include_str!("fixtures/node/crypto.mjs")),
        ("stream.mjs", include_str!("fixtures/node/stream.mjs")),
        (
            "async_hooks.mjs",
            include_str!("fixtures/node/async_hooks.mjs"),
        ),
        ("net.mjs", include_str!("fixtures/node/net.mjs")),
        ("fs.mjs", include_str!("fixtures/node/fs.mjs")),
        ("module.mjs", include_str!("fixtures/node/module.mjs")),
        ("zlib.mjs", include_str!("fixtures/node/zlib.mjs")),
        (
            "crypto_keys.mjs",
            include_str!("fixtures/node/crypto_keys.mjs"),
        ),
    ]
}

/// A config serving `main` with `flags` and `date`, plus `files`.
fn config(
    main: &str,
    date: &str,
    flags: &[&str],
    extra: &str,
    files: &[(&str, &str)],
) -> TempConfig {
    let flags: Vec<String> = flags.iter().map(|f| format!("{f:?}")).collect();
    let toml = format!(
        "[[workers]]\nname = \"w\"\nmain = \"{main}\"\ncompatibility_date = \"{date}\"\n\
         compatibility_flags = [{}]\nroutes = [\"*/*\"]\n{extra}",
        flags.join(", ")
    );
    let mut all = files.to_vec();
    all.push(("motu.toml", &toml));
    TempConfig::new(&all)
}

fn serve(c: &TempConfig, engine: &str) -> Server {
    Server::start(&["--config", &c.path("motu.toml"), "--engine", engine])
}

/// What `node` gives for the cases of `family` in the folder `dir`.
fn node_results(dir: &Path, family: &str) -> serde_json::Value {
    let out = Command::new("node")
        .args([
            "--input-type=module",
            "--no-warnings",
            "-e",
            "const m = await import(process.argv[1]); console.log(JSON.stringify(await m.run()));",
        ])
        .arg(dir.join(format!("{family}.mjs")))
        .output()
        .expect("node runs (scripts/install-test-projects.sh installs it)");
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The cases whose results differ, with both sides.
fn differences(ours: &serde_json::Value, node: &serde_json::Value) -> Vec<String> {
    let (ours, node) = (ours.as_object().unwrap(), node.as_object().unwrap());
    let mut out = Vec::new();
    for (name, expected) in node {
        let got = ours.get(name).unwrap_or(&serde_json::Value::Null);
        if got != expected {
            out.push(format!("{name}:\n  motu: {got}\n  node: {expected}"));
        }
    }
    out
}

#[test]
fn module_families_behave_as_node_does() {
    on_each_engine("module_families_behave_as_node_does", |engine| {
        // The crypto cases derive keys at Node's default costs: more than
        // the default CPU limit of a debug build.
        let c = config(
            "worker.mjs",
            "2025-04-01",
            &[
                "nodejs_compat",
                "enable_nodejs_fs_module",
                "enable_nodejs_http_modules",
            ],
            "[workers.limits]\ncpu_ms = 5000\n",
            &case_files(),
        );
        let s = serve(&c, engine);
        let mut all = Vec::new();
        for family in FAMILIES {
            let r = s.get(&format!("/{family}"));
            assert_eq!(r.status, 200, "{family}: {}\n{}", r.text(), s.log());
            let ours = r.json();
            let node = node_results(c.dir.path(), family);
            assert!(
                node.as_object().unwrap().len() > 5,
                "{family}: node ran its cases"
            );
            all.extend(
                differences(&ours, &node)
                    .into_iter()
                    .map(|d| format!("[{family}] {d}")),
            );
        }
        assert!(
            all.is_empty(),
            "{} cases differ from Node.js:\n{}",
            all.len(),
            all.join("\n")
        );
    });
}

/// The JSON a GET of `/` on the Worker answers, checking it is a 200.
fn answer(s: &Server) -> serde_json::Value {
    let r = s.get("/");
    assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
    r.json()
}

const PROBE: &str = "\
export default {
  async fetch() {
    const attempt = async (specifier) => {
      try { await import(specifier); return 'imported'; } catch (e) { return String(e && e.message); }
    };
    return Response.json({
      process: typeof process,
      Buffer: typeof Buffer,
      hook: Symbol.for('motu.node') in globalThis,
      prefixed: await attempt('node:buffer'),
      bare: await attempt('events'),
    });
  },
};
";

#[test]
fn without_nodejs_compat_a_worker_sees_none_of_it() {
    on_each_engine("without_nodejs_compat_a_worker_sees_none_of_it", |engine| {
        let c = config("probe.mjs", "2025-04-01", &[], "", &[("probe.mjs", PROBE)]);
        let s = serve(&c, engine);
        let v = answer(&s);
        assert_eq!(v["process"], "undefined", "{v}");
        assert_eq!(v["Buffer"], "undefined", "{v}");
        assert_eq!(v["hook"], false, "{v}");
        for key in ["prefixed", "bare"] {
            let message = v[key].as_str().unwrap();
            assert!(message.contains("built-in module"), "{key}: {message}");
        }
        // The same probe with the flag imports both.
        let c = config(
            "probe.mjs",
            "2025-04-01",
            &["nodejs_compat"],
            "",
            &[("probe.mjs", PROBE)],
        );
        let s = serve(&c, engine);
        let v = answer(&s);
        assert_eq!(v["prefixed"], "imported", "{v}");
        assert_eq!(v["bare"], "imported", "{v}");
        assert_eq!(v["process"], "object", "{v}");
        assert_eq!(v["Buffer"], "function", "{v}");
    });
}

#[test]
fn a_static_import_without_the_flag_is_a_clear_start_error() {
    on_each_engine(
        "a_static_import_without_the_flag_is_a_clear_start_error",
        |engine| {
            let main = "import { Buffer } from 'node:buffer';\n\
                        export default { fetch() { return new Response(Buffer.from('x').toString('hex')); } };\n";
            let c = config("main.mjs", "2025-04-01", &[], "", &[("main.mjs", main)]);
            let s = serve(&c, engine);
            let r = s.get("/");
            assert_eq!(r.status, 500);
            // The log is read from the server's stderr as it comes: wait
            // for the line rather than expect it with the response.
            let log = s.wait_for_log("'node:buffer'");
            assert!(log.contains("'node:buffer'"), "{log}");
            let c = config(
                "main.mjs",
                "2025-04-01",
                &["nodejs_compat"],
                "",
                &[("main.mjs", main)],
            );
            let s = serve(&c, engine);
            assert_eq!(s.get("/").text(), "78");
        },
    );
}

const ENV_PROBE: &str = "\
import process from 'node:process';
import { resolve } from 'node:path';
export default {
  fetch() {
    return Response.json({
      process: typeof globalThis.process,
      Buffer: typeof globalThis.Buffer,
      env: { ...process.env },
      cwd: process.cwd(),
      resolved: resolve('a/b'),
      builtin: typeof globalThis.process?.getBuiltinModule?.('node:buffer')?.Buffer,
      same: globalThis.process === undefined || globalThis.process === process,
    });
  },
};
";

#[test]
fn the_flags_and_date_decide_the_globals_and_process_env() {
    on_each_engine(
        "the_flags_and_date_decide_the_globals_and_process_env",
        |engine| {
            let vars = "[workers.vars]\nTEXT = \"hello\"\nNUMBER = 5\n";
            let files = [("probe.mjs", ENV_PROBE)];
            // (date, flags, globals, env populated)
            let cases: &[(&str, &[&str], bool, bool)] = &[
                ("2024-01-01", &["nodejs_compat"], false, false),
                ("2024-09-23", &["nodejs_compat"], true, false),
                ("2023-01-01", &["nodejs_compat_v2"], true, false),
                (
                    "2024-10-01",
                    &["nodejs_compat", "no_nodejs_compat_v2"],
                    false,
                    false,
                ),
                ("2025-04-01", &["nodejs_compat"], true, true),
                (
                    "2025-04-01",
                    &["nodejs_compat", "nodejs_compat_do_not_populate_process_env"],
                    true,
                    false,
                ),
                (
                    "2024-01-01",
                    &["nodejs_compat", "nodejs_compat_populate_process_env"],
                    false,
                    true,
                ),
            ];
            for (date, flags, globals, populated) in cases {
                let c = config("probe.mjs", date, flags, vars, &files);
                let s = serve(&c, engine);
                let v = answer(&s);
                let what = format!("{date} {flags:?}: {v}");
                let (p, b) = if *globals {
                    ("object", "function")
                } else {
                    ("undefined", "undefined")
                };
                assert_eq!(v["process"], p, "{what}");
                assert_eq!(v["Buffer"], b, "{what}");
                assert_eq!(v["same"], true, "{what}");
                if *globals {
                    assert_eq!(v["builtin"], "function", "{what}");
                }
                let env = if *populated {
                    serde_json::json!({ "TEXT": "hello" })
                } else {
                    serde_json::json!({})
                };
                assert_eq!(v["env"], env, "{what}");
                assert_eq!(v["cwd"], "/bundle", "{what}");
                assert_eq!(v["resolved"], "/bundle/a/b", "{what}");
            }
        },
    );
}

#[test]
fn the_globals_and_process_env_hold_beside_every_kind_of_binding() {
    on_each_engine(
        "the_globals_and_process_env_hold_beside_every_kind_of_binding",
        |engine| {
            // Bindings whose objects are made before the Node.js settings
            // are read at start-up (a KV namespace, a service binding, a
            // Durable Object namespace): the globals must not be lost.
            let extra = "[workers.vars]\nTEXT = \"hello\"\n\
                         [[workers.kv_namespaces]]\nbinding = \"KV\"\n\
                         [[workers.services]]\nbinding = \"SELF\"\nservice = \"w\"\n\
                         [[workers.durable_objects.bindings]]\nname = \"D\"\nclass_name = \"D\"\n\
                         [[workers.migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"D\"]\n";
            let probe = format!("{ENV_PROBE}export class D {{}}\n");
            let files = [("probe.mjs", probe.as_str())];
            let c = config("probe.mjs", "2025-04-01", &["nodejs_compat"], extra, &files);
            let s = serve(&c, engine);
            let v = answer(&s);
            assert_eq!(v["process"], "object", "{v}");
            assert_eq!(v["Buffer"], "function", "{v}");
            assert_eq!(v["env"], serde_json::json!({ "TEXT": "hello" }), "{v}");
        },
    );
}

#[test]
fn require_of_a_builtin_gives_its_module_exports() {
    on_each_engine("require_of_a_builtin_gives_its_module_exports", |engine| {
        let cjs = "const EventEmitter = require('events');\n\
                   const { Buffer } = require('node:buffer');\n\
                   const path = require('path');\n\
                   class Clock extends EventEmitter {}\n\
                   module.exports = () => {\n\
                     const c = new Clock(); let got;\n\
                     c.on('tick', v => { got = v; }); c.emit('tick', 7);\n\
                     return [typeof EventEmitter, got, Buffer.from('hi').toString('base64'), path.join('a', '..', 'b')].join(' ');\n\
                   };\n";
        let main = "import run from './lib.cjs';\n\
                    export default { fetch() { return new Response(run()); } };\n";
        let c = config(
            "main.mjs",
            "2025-04-01",
            &["nodejs_compat"],
            "",
            &[("main.mjs", main), ("lib.cjs", cjs)],
        );
        let s = serve(&c, engine);
        let r = s.get("/");
        assert_eq!(r.text(), "function 7 aGk= b", "{}", s.log());
    });
}

const TMP_PROBE: &str = "\
import fs from 'node:fs';
import notes from './notes.txt';
import config from './data/config.json';
const atStart = (() => { fs.writeFileSync('/tmp/top', 'top level'); return fs.readFileSync('/tmp/top', 'utf8'); })();
const caught = f => { try { return String(f()); } catch (e) { return e.code; } };
export default {
  async fetch(request) {
    const before = fs.readdirSync('/tmp');
    fs.writeFileSync('/tmp/mine', new URL(request.url).pathname);
    await new Promise(resolve => setTimeout(resolve, 1));
    return Response.json({
      atStart,
      before,
      after: fs.readFileSync('/tmp/mine', 'utf8'),
      root: fs.readdirSync('/'),
      readOnly: caught(() => fs.writeFileSync('/etc-file', 'x')),
      bundle: caught(() => fs.readFileSync('/bundle/probe.mjs', 'utf8').includes('const atStart')),
      bundleList: fs.readdirSync('/bundle'),
      bundleText: fs.readFileSync('/bundle/notes.txt', 'utf8'),
      bundleJson: JSON.parse(fs.readFileSync('/bundle/data/config.json', 'utf8')).value,
      bundleSize: fs.statSync('/bundle/notes.txt').size,
      bundleReadOnly: caught(() => fs.writeFileSync('/bundle/notes.txt', 'x')),
      bundleNew: caught(() => fs.writeFileSync('/bundle/new.txt', 'x')),
      bundleMissing: caught(() => fs.readFileSync('/bundle/nope.js')),
      dev: fs.readdirSync('/dev'),
    });
  },
};
";

#[test]
fn each_event_has_a_tmp_of_its_own() {
    on_each_engine("each_event_has_a_tmp_of_its_own", |engine| {
        let c = config(
            "probe.mjs",
            "2025-09-15",
            &["nodejs_compat"],
            "",
            &[
                ("probe.mjs", TMP_PROBE),
                ("notes.txt", "read me"),
                ("data/config.json", "{ \"value\": 7 }"),
            ],
        );
        let s = serve(&c, engine);
        for path in ["/one", "/two", "/three"] {
            let r = s.get(path);
            assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
            let v = r.json();
            assert_eq!(v["atStart"], "top level", "{v}");
            // A new event starts with an empty /tmp: nothing of the top
            // level's nor of the events before.
            assert_eq!(v["before"], serde_json::json!([]), "{v}");
            assert_eq!(v["after"], path, "{v}");
            assert_eq!(
                v["root"],
                serde_json::json!(["bundle", "dev", "tmp"]),
                "{v}"
            );
            assert_eq!(v["readOnly"], "EROFS", "{v}");
            // The Worker's files, read-only.
            assert_eq!(v["bundle"], "true", "{v}");
            assert_eq!(
                v["bundleList"],
                serde_json::json!(["data", "notes.txt", "probe.mjs"]),
                "{v}"
            );
            assert_eq!(v["bundleText"], "read me", "{v}");
            assert_eq!(v["bundleJson"], 7, "{v}");
            assert_eq!(v["bundleSize"], 7, "{v}");
            assert_eq!(v["bundleReadOnly"], "EROFS", "{v}");
            assert_eq!(v["bundleNew"], "EROFS", "{v}");
            assert_eq!(v["bundleMissing"], "ENOENT", "{v}");
            assert_eq!(
                v["dev"],
                serde_json::json!(["full", "null", "random", "zero"]),
                "{v}"
            );
        }
    });
}

const GATE_PROBE: &str = "\
import fs from 'node:fs';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { builtinModules } from 'node:module';
const caught = f => { try { return String(f()); } catch (e) { return `${e.code}: ${e.message}`; } };
export default {
  async fetch() {
    return Response.json({
      fs: caught(() => { fs.writeFileSync('/tmp/x', 'written'); return readFileSync('/tmp/x', 'utf8'); }),
      http: caught(() => (typeof http.STATUS_CODES === 'object' ? http.STATUS_CODES[404] : http.get())),
      https: caught(() => (typeof https.globalAgent === 'object' ? 'real' : https.request())),
      listed: ['fs', 'fs/promises', 'http', 'https', 'vm', 'punycode', 'child_process'].every(n => builtinModules.includes(n)),
      getBuiltin: [typeof process.getBuiltinModule('fs'), typeof process.getBuiltinModule('http'), typeof process.getBuiltinModule('path')],
      fsPromises: await import('node:fs/promises').then(m => typeof m.readFile),
    });
  },
};
";

#[test]
fn fs_and_http_follow_their_compatibility_flags_and_dates() {
    on_each_engine(
        "fs_and_http_follow_their_compatibility_flags_and_dates",
        |engine| {
            // (date, flags, fs there, http there)
            let cases: &[(&str, &[&str], bool, bool)] = &[
                ("2025-04-01", &["nodejs_compat"], false, false),
                ("2025-08-15", &["nodejs_compat"], false, true),
                ("2025-09-15", &["nodejs_compat"], true, true),
                (
                    "2025-04-01",
                    &[
                        "nodejs_compat",
                        "enable_nodejs_fs_module",
                        "enable_nodejs_http_modules",
                    ],
                    true,
                    true,
                ),
                (
                    "2026-01-01",
                    &[
                        "nodejs_compat",
                        "disable_nodejs_fs_module",
                        "disable_nodejs_http_modules",
                    ],
                    false,
                    false,
                ),
            ];
            for (date, flags, fs, http) in cases {
                let c = config("probe.mjs", date, flags, "", &[("probe.mjs", GATE_PROBE)]);
                let s = serve(&c, engine);
                let v = answer(&s);
                let case = format!("{date} {flags:?}: {v}");
                // Without its flag a module is a stand-in, as wrangler's
                // bundle has one: it imports, and its functions say why.
                if *fs {
                    assert_eq!(v["fs"], "written", "{case}");
                } else {
                    let text = v["fs"].as_str().unwrap();
                    assert!(
                        text.starts_with(
                            "ERR_METHOD_NOT_IMPLEMENTED: node:fs.writeFileSync is not available"
                        ),
                        "{case}"
                    );
                    assert!(
                        text.contains("enable_nodejs_fs_module") && text.contains("2025-09-15"),
                        "{case}"
                    );
                }
                if *http {
                    assert_eq!(v["http"], "Not Found", "{case}");
                    assert_eq!(v["https"], "real", "{case}");
                } else {
                    assert!(
                        v["http"].as_str().unwrap().contains("is not available"),
                        "{case}"
                    );
                    let text = v["https"].as_str().unwrap();
                    assert!(
                        text.starts_with(
                            "ERR_METHOD_NOT_IMPLEMENTED: node:https.request is not available"
                        ),
                        "{case}"
                    );
                    assert!(text.contains("enable_nodejs_http_modules"), "{case}");
                }
                assert_eq!(v["listed"], true, "{case}");
                let kind = |on: bool| if on { "object" } else { "undefined" };
                assert_eq!(
                    v["getBuiltin"],
                    serde_json::json!([kind(*fs), kind(*http), "object"]),
                    "{case}"
                );
                assert_eq!(v["fsPromises"], "function", "{case}");
            }
        },
    );
}

const BUILTINS_PROBE: &str = "\
import { builtinModules, isBuiltin } from 'node:module';
export default {
  async fetch() {
    const failed = [];
    for (const name of builtinModules) {
      try { await import(`node:${name}`); } catch (e) { failed.push(`${name}: ${e.message}`); }
    }
    return Response.json({ list: builtinModules, failed, frozen: Object.isFrozen(builtinModules), allBuiltin: builtinModules.every(isBuiltin) });
  },
};
";

/// Node.js's `module.builtinModules` on this machine (the oracle).
fn node_builtin_modules() -> Vec<String> {
    let out = Command::new("node")
        .args(["-p", "JSON.stringify(require('module').builtinModules)"])
        .output()
        .expect("node runs (scripts/install-test-projects.sh installs it)");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn builtin_modules_lists_every_importable_node_module() {
    on_each_engine(
        "builtin_modules_lists_every_importable_node_module",
        |engine| {
            // Importing every module in one request is more than the
            // default CPU limit of a debug build on a busy machine.
            let c = config(
                "probe.mjs",
                "2025-09-15",
                &["nodejs_compat"],
                "[workers.limits]\ncpu_ms = 5000\n",
                &[("probe.mjs", BUILTINS_PROBE)],
            );
            let s = serve(&c, engine);
            let v = answer(&s);
            assert_eq!(v["failed"], serde_json::json!([]), "{v}");
            assert_eq!(v["frozen"], true, "{v}");
            assert_eq!(v["allBuiltin"], true, "{v}");
            let list: Vec<String> = serde_json::from_value(v["list"].clone()).unwrap();
            // The stand-ins and node:punycode are listed with the rest.
            for name in [
                "buffer",
                "fs",
                "fs/promises",
                "http",
                "zlib",
                "punycode",
                "vm",
                "child_process",
                "worker_threads",
                "tty",
                "inspector/promises",
            ] {
                assert!(
                    list.contains(&name.to_owned()),
                    "{name} missing from {list:?}"
                );
            }
            // Each is one Node.js has.
            let node = node_builtin_modules();
            for name in &list {
                assert!(
                    node.contains(name),
                    "{name} is not a Node.js built-in module"
                );
            }
            let mut sorted = list.clone();
            sorted.sort();
            assert_eq!(sorted, list, "sorted, as Node's list is");
        },
    );
}

const REQUIRE_MAIN: &str = "\
import { createRequire } from 'node:module';
import * as lib from './lib/meta.mjs';
const require = createRequire(import.meta.url);
const own = require('./lib/own.cjs');
const code = f => { try { return f(); } catch (e) { return e.code; } };
export default {
  fetch() {
    const other = './lib/' + 'other.cjs';
    const same = './lib/' + 'own.cjs';
    return Response.json({
      own: own.hello('motu'),
      pkg: require('left-pad-ish')('7', 3),
      json: require('./data.json').answer,
      esm: require('./lib/esm.mjs').twice(21),
      cached: require('./lib/own.cjs') === own,
      crypto: typeof require('node:crypto').createHash,
      stringDecoder: typeof require('string_decoder').StringDecoder,
      vm: code(() => require('node:vm').runInThisContext('1')),
      missing: code(() => require('./lib/nope.cjs')),
      computedKnown: require(same) === own,
      computedUnknown: code(() => require(other)),
      fromPath: code(() => createRequire('/bundle/main.mjs')('./lib/own.cjs') === own),
      notAbsolute: code(() => createRequire('main.mjs')),
      meta: {
        url: import.meta.url, main: import.meta.main, filename: import.meta.filename,
        dirname: import.meta.dirname, resolved: import.meta.resolve('./lib/x.js'),
        builtin: import.meta.resolve('fs'), nullProto: Object.getPrototypeOf(import.meta) === null,
        same: import.meta === import.meta,
      },
      lib: lib.meta,
    });
  },
};
";

#[test]
fn create_require_gives_the_workers_own_modules_and_packages() {
    on_each_engine(
        "create_require_gives_the_workers_own_modules_and_packages",
        |engine| {
            let c = config(
                "main.mjs",
                "2025-09-15",
                &["nodejs_compat"],
                "",
                &[
                    ("main.mjs", REQUIRE_MAIN),
                    (
                        "lib/own.cjs",
                        "exports.hello = name => `hello ${name} from ${__filename}`;\n",
                    ),
                    ("lib/other.cjs", "module.exports = 'other';\n"),
                    ("lib/esm.mjs", "export const twice = n => n * 2;\n"),
                    (
                        "lib/meta.mjs",
                        "export const meta = { url: import.meta.url, main: import.meta.main, \
                         dirname: import.meta.dirname };\n",
                    ),
                    ("data.json", "{ \"answer\": 42 }"),
                    (
                        "node_modules/left-pad-ish/package.json",
                        "{ \"name\": \"left-pad-ish\", \"main\": \"index.js\" }",
                    ),
                    (
                        "node_modules/left-pad-ish/index.js",
                        "module.exports = (s, n) => s.padStart(n, '0');\n",
                    ),
                ],
            );
            let s = serve(&c, engine);
            let v = answer(&s);
            assert_eq!(v["own"], "hello motu from /lib/own.cjs", "{v}");
            assert_eq!(v["pkg"], "007", "{v}");
            assert_eq!(v["json"], 42, "{v}");
            assert_eq!(v["esm"], 42, "{v}");
            assert_eq!(v["cached"], true, "{v}");
            assert_eq!(v["crypto"], "function", "{v}");
            assert_eq!(v["stringDecoder"], "function", "{v}");
            assert_eq!(v["vm"], "ERR_METHOD_NOT_IMPLEMENTED", "{v}");
            assert_eq!(v["missing"], "MODULE_NOT_FOUND", "{v}");
            // A specifier computed at run time finds what a literal one
            // of the module asked for, and nothing else.
            assert_eq!(v["computedKnown"], true, "{v}");
            assert_eq!(v["computedUnknown"], "MODULE_NOT_FOUND", "{v}");
            assert_eq!(v["fromPath"], true, "{v}");
            assert_eq!(v["notAbsolute"], "ERR_INVALID_ARG_VALUE", "{v}");
            assert_eq!(
                v["meta"],
                serde_json::json!({
                    "url": "file:///bundle/main.mjs", "main": true,
                    "filename": "/bundle/main.mjs", "dirname": "/bundle",
                    "resolved": "file:///bundle/lib/x.js", "builtin": "node:fs",
                    "nullProto": true, "same": true,
                }),
                "{v}"
            );
            assert_eq!(
                v["lib"],
                serde_json::json!({
                    "url": "file:///bundle/lib/meta.mjs", "main": false, "dirname": "/bundle/lib",
                }),
                "{v}"
            );
        },
    );
}
