//! Dynamic Worker Loaders (`worker_loaders`) against the real server, on
//! both engines: a Worker loads Workers from code it gives at run time
//! (`tests/fixtures/worker_loader/app.js`) and calls them over fetch and
//! RPC; the same id reuses its isolate and asks for the code once; `env`
//! carries cloned values and service bindings; module types; where
//! `globalOutbound` sends `fetch()`; Tail Workers' traces; Cloudflare's
//! errors for bad code; sandboxed code that forges its calls' targets
//! refused by the host, an id unable to take an anonymous Worker's name,
//! a Cache API that keeps nothing, modules from outside the Worker's folder
//! refused; a runaway dynamic Worker stopped at its CPU limit while its
//! parent serves; an idle dynamic Worker let go, so its code is asked for
//! again; `motu dev` letting go of a changed parent's dynamic Workers.

mod common;

use common::{metrics, on_each_engine, wait_for_metrics, Server, TempConfig};

const APP: &str = include_str!("fixtures/worker_loader/app.js");

fn serve(engine: &str) -> (TempConfig, Server) {
    let c = TempConfig::new(&[
        ("app.js", APP),
        (
            "wrangler.jsonc",
            include_str!("fixtures/worker_loader/wrangler.jsonc"),
        ),
    ]);
    let s = Server::start(&["--config", &c.path("wrangler.jsonc"), "--engine", engine]);
    (c, s)
}

#[test]
fn dynamic_workers_are_cached_by_id_and_called_over_fetch_and_rpc() {
    on_each_engine("dynamic_workers_cached_by_id", |engine| {
        let (_c, s) = serve(engine);
        // Same id: one isolate (its counter goes on), code asked for once;
        // no id and load(): a Worker each.
        assert_eq!(
            s.get("/cache").text(),
            "0,1,2,0,1,0 loads=3 counter at 3 for /path"
        );
        assert_eq!(s.get("/named").text(), "named T ada / named T bob");
        assert_eq!(s.get("/squat").text(), "own code");
        assert_eq!(s.get("/cache-api").text(), "nothing / parent kept");
        assert_eq!(
            s.get("/env").text(),
            "number 123 v 1970-01-01T00:00:00.000Z 3 Howdy, Eve! GREETER+MAP+NESTED+NUM+WHEN"
        );
        assert_eq!(s.get("/modules").text(), "plain text 1.2.3 7 42 6869");
        assert_eq!(
            s.get("/callback").text(),
            "XY x,y RangeError: sandboxed code failed"
        );
    });
}

#[test]
fn global_outbound_decides_where_fetch_goes() {
    on_each_engine("dynamic_workers_global_outbound", |engine| {
        let (_c, s) = serve(engine);
        let text = s.get("/outbound").text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        // What the dynamic Worker threw, as its caller gets it.
        assert_eq!(
            lines[0],
            "Error: This worker is not permitted to access the internet via global functions like fetch(). It must use capabilities (such as bindings in 'env') to talk to the outside world.",
        );
        assert_eq!(lines[1], "outbound saw GET http://example.com/a");
        // Left out: out to the network under the server's egress policy.
        assert!(
            lines[2].contains("egress policy allows only public addresses"),
            "{text}"
        );
    });
}

#[test]
fn tail_workers_get_a_trace_of_each_event() {
    on_each_engine("dynamic_workers_tails", |engine| {
        let (_c, s) = serve(engine);
        assert_eq!(s.get("/traced").text(), "201 TypeError: boom 5");
        // Traces arrive once each event is over (waitUntil work included).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let items = loop {
            let text = s.get("/tails").text();
            let items: serde_json::Value = serde_json::from_str(&text).unwrap();
            if items.as_array().is_some_and(|a| a.len() >= 3) {
                break items;
            }
            assert!(std::time::Instant::now() < deadline, "only {text}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let mut items: Vec<serde_json::Value> = items.as_array().unwrap().clone();
        items.sort_by_key(|i| i["event"].as_str().unwrap_or_default().to_owned());
        assert_eq!(
            serde_json::Value::Array(items),
            serde_json::json!([
                { "tag": "t1", "script": "app:LOADER:id:traced", "event": "GET /boom undefined",
                  "outcome": "exception", "logs": ["log: serving /boom"],
                  "exceptions": ["TypeError: boom"] },
                { "tag": "t1", "script": "app:LOADER:id:traced", "event": "GET /ok 201",
                  "outcome": "ok", "logs": ["log: serving /ok", "warn: after the response"],
                  "exceptions": [] },
                { "tag": "t1", "script": "app:LOADER:id:traced", "event": "add",
                  "outcome": "ok", "logs": ["info: adding"], "exceptions": [] },
            ])
        );
    });
}

#[test]
fn bad_code_gets_cloudflare_errors_and_a_runaway_fails_alone() {
    on_each_engine("dynamic_workers_bad_code", |engine| {
        let (_c, s) = serve(engine);
        let text = s.get("/errors").text();
        let expected = [
            "TypeError: Dynamic Worker code must contain at least one module.",
            "TypeError: Module name must end with '.js' or '.py' (or the content must be an object indicating the type explicitly). Got: a.ts. If you're trying to load TypeScript, bundle it first with '@cloudflare/worker-bundler' and pass the generated JavaScript modules.",
            "TypeError: Each module must contain exactly one of 'js', 'cjs', 'text', 'data', 'json', 'py', or 'wasm'. Module 'a.js' contained 2 properties.",
            "TypeError: WorkerCode.mainModule 'a.js' is not one of its modules.",
            "TypeError: Module name '../a.js' must be a relative path",
            "Error: Can't set compatibility date in the future: 2999-01-01",
            "SyntaxError: Module 'a.js' nests brackets more than 2000 levels deep",
            "RangeError: WorkerCode.limits.cpuMs must be a number of milliseconds from 1 to 3600000, not inf",
            "DataCloneError: Could not serialize object of type \"LoopbackServiceStub\". This type does not support serialization.",
            "DataCloneError: Entrypoints to dynamically-loaded workers cannot be transferred to other Workers",
            "Error: Failed to start the dynamic Worker: cannot read Worker 'app:LOADER:id:missing-import': a.js:1: import './nowhere.js': no such file",
            "failed to start: RangeError: top-level at a.js:1:",
        ];
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), expected.len(), "{text}");
        for (line, want) in lines.iter().zip(expected) {
            assert!(line.contains(want), "{line:?} lacks {want:?}\n{text}");
        }
        // Forged targets are refused by the host; the given binding works.
        let refused = "TypeError: This Worker has no binding to call that service: a dynamic Worker may call only itself and the service bindings in its env";
        assert_eq!(
            s.get("/escape").text(),
            format!("{refused}\n{refused}\n{refused}\nGiven, honest!")
        );
        let runaway = s.get("/runaway").text();
        assert!(
            runaway.contains("'app:LOADER:id:runaway' exceeded its CPU time limit of 20 ms"),
            "{runaway}"
        );
        // The parent and the other dynamic Workers go on.
        assert_eq!(s.get("/").text(), "parent is fine");
        assert_eq!(s.get("/named").text(), "named T ada / named T bob");
    });
}

#[test]
fn an_idle_dynamic_worker_is_let_go_and_its_code_asked_for_again() {
    on_each_engine("dynamic_workers_let_go", |engine| {
        let toml = format!(
            "[server]\nengine = \"{engine}\"\n\
             [[workers]]\nname = \"app\"\nmain = \"app.js\"\ncompatibility_date = \"2025-11-20\"\n\
             [workers.limits]\nidle_timeout_s = 1\ncpu_ms = 30000\n\
             [[workers.worker_loaders]]\nbinding = \"LOADER\"\n\
             [admin]\nlisten = \"127.0.0.1:0\"\n"
        );
        let c = TempConfig::new(&[("app.js", APP), ("motu.toml", &toml)]);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let first = s.get("/nonce").text();
        assert_eq!(first.len(), 36, "{first}");
        // Called again before it is idle: the same code.
        assert_eq!(s.get("/nonce").text(), first);
        assert!(
            metrics(&s).contains("motu_dynamic_workers_loaded{worker=\"app\"} 1"),
            "{}",
            metrics(&s)
        );
        // Once idle (no isolate, no call for its idle second), it is let go
        // (watched without calling it)…
        wait_for_metrics(
            &s,
            &[
                "motu_dynamic_workers_let_go_total{worker=\"app\"} 1",
                "motu_dynamic_workers_loaded{worker=\"app\"} 0",
            ],
        );
        // …and the next call asks the parent for the code again.
        let again = s.get("/nonce").text();
        assert_eq!(again.len(), 36, "{again}");
        assert_ne!(again, first);
    });
}

#[test]
fn the_sandbox_example_runs_submitted_code_without_network() {
    on_each_engine("dynamic_workers_sandbox_example", |engine| {
        let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/sandbox/wrangler.jsonc");
        let s = Server::start(&["--config", config.to_str().unwrap(), "--engine", engine]);
        let run = |code: &str| {
            let r = s.request("POST", "/run", &[], code.as_bytes());
            (r.status, r.text())
        };
        assert_eq!(
            run("export default async ({ store }) => { await store.set('n', 2); return (await store.get('n')) * 21; }"),
            (200, r#"{"result":42}"#.into())
        );
        let (status, text) = run("export default () => fetch('https://example.com/')");
        assert_eq!(status, 422, "{text}");
        assert!(
            text.contains("not permitted to access the internet"),
            "{text}"
        );
        let (status, text) = run("export default () => { for (;;) {} }");
        assert_eq!(status, 422, "{text}");
        assert!(
            text.contains("exceeded its CPU time limit of 50 ms"),
            "{text}"
        );
        let (status, text) = run("export default ( => nope");
        assert_eq!(status, 422, "{text}");
        assert!(text.contains("submitted.js"), "{text}");
        assert_eq!(
            run("export default () => 'still serving'"),
            (200, r#"{"result":"still serving"}"#.into())
        );
    });
}

/// A parent whose dynamic Worker (of a fixed id) answers `version`.
fn parent_of(version: &str) -> String {
    format!(
        "export default {{\n\
           async fetch(request, env) {{\n\
             const worker = env.LOADER.get('fixed', () => ({{\n\
               compatibilityDate: '2025-06-01', mainModule: 'a.js',\n\
               modules: {{ 'a.js': \"export default {{ fetch() {{ return new Response('{version}') }} }}\" }},\n\
             }}));\n\
             return worker.getEntrypoint().fetch(request);\n\
           }},\n\
         }};\n"
    )
}

#[test]
fn motu_dev_lets_go_of_the_dynamic_workers_of_a_changed_parent() {
    on_each_engine("dynamic_workers_motu_dev_reload", |engine| {
        let c = TempConfig::new(&[
            ("app.js", &parent_of("one")),
            (
                "wrangler.jsonc",
                include_str!("fixtures/worker_loader/wrangler.jsonc"),
            ),
        ]);
        let s = Server::start_command(
            "dev",
            &["--config", &c.path("wrangler.jsonc"), "--engine", engine],
            &[],
        );
        s.wait_for_log("watching for changes");
        assert_eq!(s.get("/").text(), "one");
        // The same id, new code in the parent: the new code runs, as it
        // would after `wrangler dev` reloads.
        std::fs::write(c.path("app.js"), parent_of("two")).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let text = s.get("/").text();
            if text == "two" {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still {text:?}; log:\n{}",
                s.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    });
}

#[test]
fn a_dynamic_worker_loads_only_its_own_modules() {
    on_each_engine("dynamic_workers_confined", |engine| {
        // A package hoisted into the temporary folder the modules are
        // written under: a project could load it, a dynamic Worker may not.
        let c = TempConfig::new(&[
            ("app.js", APP),
            (
                "wrangler.jsonc",
                include_str!("fixtures/worker_loader/wrangler.jsonc"),
            ),
            (
                "tmp/node_modules/leak/package.json",
                r#"{ "name": "leak", "main": "index.js" }"#,
            ),
            (
                "tmp/node_modules/leak/index.js",
                "export default 'host secret';\n",
            ),
        ]);
        let tmp = c.path("tmp");
        let s = Server::start_with_env(
            &["--config", &c.path("wrangler.jsonc"), "--engine", engine],
            &[("TMPDIR", &tmp)],
        );
        let text = s.get("/confined").text();
        assert!(!text.contains("host secret"), "{text}");
        assert!(
            text.starts_with("Error: Failed to start the dynamic Worker:") && text.contains("leak"),
            "{text}"
        );
    });
}
