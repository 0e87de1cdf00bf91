//! TypeScript and JSX Workers against the real server, on every engine:
//! a Worker whose entry is `src/index.ts` answers; enums, namespaces,
//! parameter properties, legacy decorators and JSX (classic and automatic
//! runtime) behave as `tsc` compiles them; `process.env.NODE_ENV` and
//! wrangler's `define` are replaced; stack traces and the uncaught-exception
//! log name the TypeScript file's own lines, through imports; a syntax error
//! or an unsupported construct stops start-up with one line naming file,
//! line and column; transpiled modules are cached on disk across restarts.
//!
//! The fixture projects are under `tests/projects/`; each test serves a
//! copy, so the cache folder the server writes (`.motu/cache`) stays out of
//! the repository. Their imports name files with their extension
//! (`./colors.ts`), which is what the loader resolves today.

mod common;

use std::path::{Path, PathBuf};

use common::{on_each_engine, run_motu, Server, TempConfig};

/// A copy of the fixture project `name` in a fresh temporary folder.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/projects")
            .join(name),
        dir.path(),
    );
    dir
}

fn config(dir: &tempfile::TempDir) -> String {
    dir.path()
        .join("wrangler.jsonc")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A GET of `path` on the Worker `worker` (at `WORKER.localhost`).
fn get(s: &Server, worker: &str, path: &str) -> common::Response {
    s.request(
        "GET",
        path,
        &[("host", &format!("{worker}.localhost"))],
        b"",
    )
}

/// `motu serve --config <copy of the project> --engine <engine>`.
fn serve(dir: &tempfile::TempDir, engine: &str) -> Server {
    Server::start(&["--config", &config(dir), "--engine", engine])
}

#[test]
fn a_typescript_worker_answers() {
    on_each_engine("a_typescript_worker_answers", |engine| {
        let dir = project("ts-basics");
        let s = serve(&dir, engine);
        let r = get(&s, "ts-basics", "/");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.text(), "hello from TypeScript");
    });
}

#[test]
fn enums_namespaces_and_parameter_properties_work() {
    on_each_engine("enums_namespaces_and_parameter_properties_work", |engine| {
        let dir = project("ts-basics");
        let s = serve(&dir, engine);
        let e = get(&s, "ts-basics", "/enum").json();
        assert_eq!(e["red"], 0, "{e}");
        assert_eq!(e["blue"], 6, "{e}");
        assert_eq!(e["name"], "Green", "{e}");
        assert_eq!(e["up"], "UP", "{e}");
        assert_eq!(e["describe"], "blue is 6", "{e}");
        let n = get(&s, "ts-basics", "/namespace").json();
        assert_eq!(n["area"], 12, "{n}");
        assert_eq!(n["pi"], 3, "{n}");
        assert_eq!(n["unit"], 9, "{n}");
        assert_eq!(
            get(&s, "ts-basics", "/op-error").text(),
            "InvalidCharacterError"
        );
        let p = get(&s, "ts-basics", "/params").json();
        assert_eq!(p["owner"], "ada", "{p}");
        assert_eq!(p["total"], 15, "{p}");
        assert_eq!(p["keys"], serde_json::json!(["balance", "owner"]), "{p}");
    });
}

#[test]
fn legacy_decorators_run_when_tsconfig_asks() {
    on_each_engine("legacy_decorators_run_when_tsconfig_asks", |engine| {
        let dir = project("ts-basics");
        let s = serve(&dir, engine);
        let d = get(&s, "ts-basics", "/decorators").json();
        assert_eq!(d["greeting"], "HELLO, MOTU!", "{d}");
        // TypeScript's order: parameters, then the method, then the class.
        assert_eq!(
            d["calls"],
            serde_json::json!(["param greet#0", "method greet", "class Greeter"]),
            "{d}"
        );
    });
}

#[test]
fn jsx_compiles_with_the_classic_runtime() {
    on_each_engine("jsx_compiles_with_the_classic_runtime", |engine| {
        let dir = project("ts-basics");
        let s = serve(&dir, engine);
        let r = get(&s, "ts-basics", "/jsx");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.text(),
            "<h1 class=\"title\">Hi motu</h1><ul><li>2</li><li>4</li></ul>"
        );
    });
}

#[test]
fn jsx_compiles_with_the_automatic_runtime() {
    on_each_engine("jsx_compiles_with_the_automatic_runtime", |engine| {
        let dir = project("ts-jsx-automatic");
        let s = serve(&dir, engine);
        let r = get(&s, "ts-jsx-automatic", "/");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.text(),
            "<ul><li data-kind=\"item\">a</li><li data-kind=\"item\">b</li></ul>"
        );
    });
}

#[test]
fn node_env_and_define_are_replaced_as_wrangler_does() {
    on_each_engine(
        "node_env_and_define_are_replaced_as_wrangler_does",
        |engine| {
            let dir = project("ts-basics");
            let s = serve(&dir, engine);
            let v = get(&s, "ts-basics", "/env").json();
            assert_eq!(v["nodeEnv"], "production", "{v}");
            assert_eq!(v["flavor"], "fixture", "{v}");
            drop(s);
            let dev =
                Server::start_command("dev", &["--config", &config(&dir), "--engine", engine], &[]);
            assert_eq!(
                get(&dev, "ts-basics", "/env").json()["nodeEnv"],
                "development"
            );
            drop(dev);
            let custom = Server::start_with_env(
                &["--config", &config(&dir), "--engine", engine],
                &[("NODE_ENV", "staging")],
            );
            assert_eq!(
                get(&custom, "ts-basics", "/env").json()["nodeEnv"],
                "staging"
            );
        },
    );
}

/// The line of `needle` in the fixture file `file` (1-based).
fn line_of(dir: &tempfile::TempDir, file: &str, needle: &str) -> usize {
    std::fs::read_to_string(dir.path().join(file))
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} is not in {file}"))
        + 1
}

#[test]
fn stack_traces_name_the_typescript_files_lines() {
    on_each_engine("stack_traces_name_the_typescript_files_lines", |engine| {
        let dir = project("ts-basics");
        let throw_line = line_of(&dir, "src/lib/boom.ts", "throw new Error");
        let call_line = line_of(&dir, "src/index.ts", "explode('caught')");
        let s = serve(&dir, engine);
        let stack = get(&s, "ts-basics", "/stack").text();
        // `  throw new Error(`boom: ${options.reason}`);`: the columns each
        // engine reports for this line written in JavaScript (V8: `new`;
        // QuickJS: the template's expression).
        let column = if engine == "v8" { 9 } else { 28 };
        // Otherwise in the engine's own format.
        if engine == "v8" {
            assert!(
                stack.starts_with("Error: boom: caught\n    at explode ("),
                "{stack}"
            );
        } else {
            assert!(stack.starts_with("    at explode ("), "{stack}");
        }
        assert!(
            stack.contains(&format!("src/lib/boom.ts:{throw_line}:{column}")),
            "{stack}"
        );
        let frame = stack
            .lines()
            .find(|l| l.contains("src/index.ts:"))
            .unwrap_or_else(|| panic!("no frame in src/index.ts: {stack}"));
        assert!(
            frame.contains(&format!("src/index.ts:{call_line}:")),
            "the caller's frame names its own line {call_line}: {stack}"
        );
        assert!(frame.contains("fetch"), "{frame}");

        // The uncaught exception's log line, too.
        let r = get(&s, "ts-basics", "/throw");
        assert_eq!(r.status, 500);
        let log = s.wait_for_log("uncaught exception");
        let line = log
            .lines()
            .find(|l| l.contains("uncaught exception"))
            .unwrap();
        assert!(
            line.contains(&format!("src/lib/boom.ts:{throw_line}:{column}")),
            "{line}"
        );
    });
}

/// The start-up error of a project whose files are `files` (a
/// `wrangler.jsonc` naming `src/index.ts` is added): `motu check` must fail
/// on it, and `motu serve` must log the same error and answer 500 (a Worker
/// that cannot load does not stop the server). The standard error of
/// `motu check`.
fn start_up_error(files: &[(&str, &str)], engine: &str) -> String {
    let mut all = vec![(
        "wrangler.jsonc",
        r#"{ "name": "broken", "main": "src/index.ts" }"#,
    )];
    all.extend_from_slice(files);
    let c = TempConfig::new(&all);
    let config = c.path("wrangler.jsonc");
    let (code, _, stderr) = run_motu(&["check", "--config", &config, "--engine", engine]);
    assert_ne!(code, 0, "{stderr}");
    let s = Server::start(&["--config", &config, "--engine", engine]);
    let line = stderr
        .lines()
        .find(|l| l.contains("src/index.ts"))
        .unwrap_or_else(|| {
            panic!("motu check names src/index.ts:\n{stderr}");
        });
    let place = line[line.find("src/index.ts").unwrap()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    s.wait_for_log(&place);
    assert_eq!(s.get("/").status, 500);
    stderr
}

/// The line of `stderr` that names `place`, which must be the only one
/// naming the problem.
fn error_line<'a>(stderr: &'a str, place: &str) -> &'a str {
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(place)).collect();
    assert_eq!(lines.len(), 1, "one line names {place}:\n{stderr}");
    lines[0]
}

#[test]
fn a_typescript_syntax_error_is_a_one_line_start_up_error() {
    on_each_engine(
        "a_typescript_syntax_error_is_a_one_line_start_up_error",
        |engine| {
            let stderr = start_up_error(
            &[(
                "src/index.ts",
                "export default {\n  fetch(): Response {\n    let x: = 1;\n    return new Response('x');\n  },\n};\n",
            )],
            engine,
        );
            let line = error_line(&stderr, "src/index.ts:3:12");
            assert!(line.contains("broken"), "the Worker is named: {line}");
        },
    );
}

#[test]
fn standard_static_field_decorators_are_refused_with_what_to_do() {
    on_each_engine(
        "standard_static_field_decorators_are_refused_with_what_to_do",
        |engine| {
            let decorated =
            "const track = (value: unknown, context: unknown) => value;\n\nexport class Tracked {\n  @track static field = 1;\n}\n";
            // In the entry: `motu serve` does not start.
            let stderr = start_up_error(
                &[(
                    "src/index.ts",
                    &format!("{decorated}export default {{ fetch: () => new Response('x') }};\n"),
                )],
                engine,
            );
            let line = error_line(&stderr, "src/index.ts:4:3");
            assert!(line.contains("experimentalDecorators"), "{line}");
            // In an imported module: loading the Worker fails, naming it (the
            // server starts and logs it; each request would fail the same way).
            let c = TempConfig::new(&[
            ("wrangler.jsonc", r#"{ "name": "broken", "main": "src/index.ts" }"#),
            (
                "src/index.ts",
                "import { Tracked } from './model.ts';\nexport default { fetch: () => new Response(String(new Tracked())) };\n",
            ),
            ("src/model.ts", decorated),
        ]);
            let s = Server::start(&["--config", &c.path("wrangler.jsonc"), "--engine", engine]);
            let log = s.wait_for_log("src/model.ts:4:3");
            let line = error_line(&log, "src/model.ts:4:3");
            assert!(line.contains("experimentalDecorators"), "{line}");
        },
    );
}

/// A Worker whose methods, getter, static method and class have TC39
/// standard decorators (no `experimentalDecorators`), as the Agents SDK's
/// `@callable()` is used.
const STANDARD_DECORATED: &str = r#"
const calls: string[] = [];
function logged(value: Function, context: ClassMethodDecoratorContext) {
  calls.push(`decorate ${String(context.name)} ${context.kind} static=${context.static}`);
  context.metadata[String(context.name)] = 'logged';
  return function (this: unknown, ...args: unknown[]) {
    calls.push(`call ${String(context.name)}`);
    return (value as any).apply(this, args);
  };
}
function doubled(get: Function, context: ClassGetterDecoratorContext) {
  return function (this: unknown) { return (get as any).call(this) * 2; };
}
function registered(value: Function, context: ClassMethodDecoratorContext) {
  context.addInitializer(function (this: any) { calls.push(`init ${this.name}`); });
}
function instanceInit(value: Function, context: ClassMethodDecoratorContext) {
  context.addInitializer(function (this: any) { calls.push(`start ${typeof this.add} ${this.count}`); });
}
function tenfold(value: undefined, context: ClassFieldDecoratorContext) {
  context.addInitializer(function (this: any) { calls.push(`after ${String(context.name)} ${this[context.name]}`); });
  return (initial: number) => initial * 10;
}
function named(prefix: string) {
  return function <T extends new (...a: any[]) => any>(cls: T, context: ClassDecoratorContext) {
    return class extends cls { label = `${prefix}:${String(context.name)}`; };
  };
}

@named('tag')
export class Thing {
  @logged add(a: number, b: number) { return a + b; }
  @doubled get size() { return 21; }
  @registered static make() { return 'made'; }
  @instanceInit other() {}
  @tenfold count = 4;
}

export default {
  fetch() {
    const t = new Thing();
    const metadata = (Thing as any)[(Symbol as any).metadata ?? Symbol.for('Symbol.metadata')];
    return Response.json({ sum: t.add(1, 2), size: t.size, label: (t as any).label, count: t.count, made: Thing.make(), metadata: { ...metadata }, keys: Object.keys(t), calls });
  },
};
"#;

#[test]
fn standard_decorators_on_methods_and_classes_run() {
    on_each_engine("standard_decorators_on_methods_and_classes_run", |engine| {
        let c = TempConfig::new(&[
            (
                "wrangler.jsonc",
                r#"{ "name": "decorated", "main": "src/index.ts" }"#,
            ),
            ("src/index.ts", STANDARD_DECORATED),
        ]);
        let s = Server::start(&["--config", &c.path("wrangler.jsonc"), "--engine", engine]);
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(
            r.json(),
            serde_json::json!({
                "sum": 3,
                "size": 42,
                "label": "tag:Thing",
                "count": 40,
                "made": "made",
                "metadata": { "add": "logged" },
                "keys": ["count", "label"],
                "calls": [
                    "decorate add method static=false",
                    "init Thing",
                    "start function undefined",
                    "after count 40",
                    "call add"
                ]
            })
        );
    });
}

/// Every file under `dir` with its modification time.
fn files_with_times(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    let e = e.unwrap();
                    (e.path(), e.metadata().unwrap().modified().unwrap())
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn transpiled_modules_are_cached_on_disk_across_restarts() {
    on_each_engine(
        "transpiled_modules_are_cached_on_disk_across_restarts",
        |engine| {
            let dir = project("ts-basics");
            let cache = dir.path().join(".motu/cache/transpiled");
            let s = serve(&dir, engine);
            assert_eq!(get(&s, "ts-basics", "/jsx").status, 200);
            drop(s);
            let first = files_with_times(&cache);
            // One file per transpiled module: index, colors, geometry,
            // decorators, view, jsx, lib/boom (types.ts is never imported at
            // run time).
            assert_eq!(first.len(), 7, "{first:?}");
            // A restart finds them all: a module transpiled again would be
            // written again (a new file renamed into place, with a new time).
            let s = serve(&dir, engine);
            assert_eq!(get(&s, "ts-basics", "/jsx").status, 200);
            drop(s);
            assert_eq!(files_with_times(&cache), first);
        },
    );
}

#[test]
fn wranglers_jsx_factory_jsx_fragment_and_tsconfig_keys_apply() {
    on_each_engine(
        "wranglers_jsx_factory_jsx_fragment_and_tsconfig_keys_apply",
        |engine| {
            let page = "export default {\n  fetch() {\n    return new Response(<><b>hi</b></>);\n  },\n};\n\
                        function h(tag, _props, ...children) {\n  return tag === Frag ? children.join('') : `<${tag}>${children.join('')}</${tag}>`;\n}\n\
                        const Frag = Symbol('fragment');\nglobalThis.h = h;\nglobalThis.Frag = Frag;\n";
            // The keys name the factory and fragment when no tsconfig does.
            let dir = TempConfig::new(&[
                (
                    "wrangler.jsonc",
                    r#"{ "name": "jsx", "main": "src/index.jsx", "jsx_factory": "h", "jsx_fragment": "Frag" }"#,
                ),
                ("src/index.jsx", page),
            ]);
            let s = Server::start(&["--config", &dir.path("wrangler.jsonc"), "--engine", engine]);
            assert_eq!(s.get("/").text(), "<b>hi</b>");
            drop(s);
            // `tsconfig` picks a tsconfig other than the nearest, whose
            // jsxFactory wins over the keys.
            let dir = TempConfig::new(&[
                (
                    "wrangler.jsonc",
                    r#"{ "name": "jsx", "main": "src/index.jsx", "jsx_factory": "nope", "jsx_fragment": "Frag", "tsconfig": "tsconfig.worker.json" }"#,
                ),
                (
                    "tsconfig.json",
                    r#"{ "compilerOptions": { "jsxFactory": "alsoNope" } }"#,
                ),
                (
                    "tsconfig.worker.json",
                    r#"{ "compilerOptions": { "jsxFactory": "h" } }"#,
                ),
                ("src/index.jsx", page),
            ]);
            let s = Server::start(&["--config", &dir.path("wrangler.jsonc"), "--engine", engine]);
            assert_eq!(s.get("/").text(), "<b>hi</b>");
        },
    );
}
