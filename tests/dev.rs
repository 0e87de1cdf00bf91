//! The development loop against the real server, on every engine: hot
//! reload under continuous load with no failed request, a reload not held
//! back by a steady stream of storage writes, a syntax error in
//! new code (in an imported module) keeping the old version and logged with
//! file, line and column, `motu dev` reloading a changed Wrangler config,
//! and stack traces that point at the Worker's files.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{on_each_engine, try_request, Server, TempConfig};

/// A module Worker that answers `version` after a short wait, so that
/// requests are in flight when the code changes.
fn versioned(version: &str) -> String {
    format!(
        "import {{ tag }} from './lib.js';\n\
         export default {{\n\
           async fetch() {{\n\
             await new Promise((r) => setTimeout(r, 20));\n\
             return new Response(tag('{version}'));\n\
           }},\n\
         }};\n"
    )
}

const LIB: &str = "export function tag(v) {\n  return 'version ' + v;\n}\n";

/// Polls `/` until it answers `want` (up to 60 s: a reload on a busy
/// machine may take long).
fn wait_for_body(s: &Server, want: &str) {
    let start = Instant::now();
    loop {
        let r = s.get("/");
        if r.text() == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "still {:?} ({}), not {want:?}; log:\n{}",
            r.text(),
            r.status,
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn hot_reload_under_load_fails_no_request() {
    on_each_engine("hot_reload_under_load_fails_no_request", |engine| {
        let c = TempConfig::new(&[("worker.js", &versioned("1")), ("lib.js", LIB)]);
        let s = Server::start(&[&c.path("worker.js"), "--engine", engine, "--watch"]);
        s.wait_for_log("watching for changes");
        assert_eq!(s.get("/").text(), "version 1");
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        // Answers of the new version so far.
        let served_new = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..3)
            .map(|_| {
                let (addr, stop, served, failures, served_new) = (
                    s.addr.clone(),
                    stop.clone(),
                    served.clone(),
                    failures.clone(),
                    served_new.clone(),
                );
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        match try_request(&addr, "GET", "/", &[], b"") {
                            Some(r) if r.status == 200 && r.text() == "version 1" => {}
                            Some(r) if r.status == 200 && r.text() == "version 2" => {
                                served_new.fetch_add(1, Ordering::Relaxed);
                            }
                            Some(r) => {
                                failures
                                    .lock()
                                    .unwrap()
                                    .push(format!("{} {}", r.status, r.text()))
                            }
                            None => failures.lock().unwrap().push("no answer".into()),
                        }
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        // The load is on (however slow a busy machine makes each request)
        // before the code changes, and stays on until the new version has
        // answered as many requests after the switch.
        let wait_until = |what: &str, done: &dyn Fn() -> bool| {
            let start = Instant::now();
            while !done() {
                if start.elapsed() > Duration::from_secs(60) {
                    stop.store(true, Ordering::Relaxed);
                    panic!(
                        "{what} ({} requests served, {} by the new version); log:\n{}",
                        served.load(Ordering::Relaxed),
                        served_new.load(Ordering::Relaxed),
                        s.log()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        wait_until("too little load before the change", &|| {
            served.load(Ordering::Relaxed) >= 20
        });
        std::fs::write(c.path("worker.js"), versioned("2")).unwrap();
        wait_until("the new version never answered 20 requests", &|| {
            served_new.load(Ordering::Relaxed) >= 20
        });
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().unwrap();
        }
        let failures = failures.lock().unwrap();
        assert!(
            failures.is_empty(),
            "{} of {} requests failed: {:?}",
            failures.len(),
            served.load(Ordering::Relaxed),
            &failures[..failures.len().min(5)]
        );
        assert_eq!(s.get("/").text(), "version 2");
        let log = s.wait_for_log("reloaded");
        assert!(log.contains("reloaded"), "{log}");
    });
}

/// A Worker that writes to KV on every request, then answers `version`.
fn writing(version: &str) -> String {
    format!(
        "export default {{\n\
           async fetch(request, env) {{\n\
             await env.KV.put('last', String(Date.now()));\n\
             return new Response('version {version}');\n\
           }},\n\
         }};\n"
    )
}

/// Serves the KV-writing Worker with `--watch`, its state folder at
/// `state` in the project folder (the default when `None`), keeps two clients requesting (every request writes to the state
/// folder), changes the code, and waits (60 s at most) for the new version
/// to answer while the writes go on.
fn reload_while_writing(engine: &str, state: Option<&str>) {
    let config = r#"{ "name": "writer", "main": "worker.js",
        "kv_namespaces": [{ "binding": "KV", "id": "k" }] }"#;
    let c = TempConfig::new(&[("wrangler.jsonc", config), ("worker.js", &writing("1"))]);
    let config = c.path("wrangler.jsonc");
    let state = state.map(|dir| c.path(dir));
    let mut args = vec!["--config", &config, "--engine", engine, "--watch"];
    if let Some(dir) = &state {
        args.extend(["--persist-to", dir]);
    }
    let s = Server::start(&args);
    s.wait_for_log("watching for changes");
    assert_eq!(s.get("/").text(), "version 1");
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (addr, stop, served) = (s.addr.clone(), stop.clone(), served.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if try_request(&addr, "GET", "/", &[], b"").is_some_and(|r| r.status == 200) {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // The writes are under way before the code changes.
    let start = Instant::now();
    while served.load(Ordering::Relaxed) < 20 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no load; log:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(c.path("worker.js"), writing("2")).unwrap();
    let start = Instant::now();
    let mut last = String::new();
    while last != "version 2" && start.elapsed() < Duration::from_secs(60) {
        last = s.get("/").text();
        std::thread::sleep(Duration::from_millis(20));
    }
    let writes_meanwhile = served.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    assert_eq!(
        last,
        "version 2",
        "the new code never answered while {writes_meanwhile} writes went on; log:\n{}",
        s.log()
    );
}

#[test]
fn storage_writes_do_not_hold_back_a_reload() {
    on_each_engine("storage_writes_do_not_hold_back_a_reload", |engine| {
        // The default state folder, .motu/state in the project.
        reload_while_writing(engine, None);
        // A state folder in the project that is not hidden.
        reload_while_writing(engine, Some("data"));
    });
}

#[test]
fn a_syntax_error_on_reload_keeps_the_old_version() {
    on_each_engine("a_syntax_error_on_reload_keeps_the_old_version", |engine| {
        let c = TempConfig::new(&[("worker.js", &versioned("1")), ("lib.js", LIB)]);
        let s = Server::start(&[&c.path("worker.js"), "--engine", engine, "--watch"]);
        s.wait_for_log("watching for changes");
        assert_eq!(s.get("/").text(), "version 1");
        // A syntax error on line 2 of the imported module.
        std::fs::write(
            c.path("lib.js"),
            "export function tag(v) {\n  return 'v' + ;\n}\n",
        )
        .unwrap();
        let log = s.wait_for_log("the previous version keeps serving");
        // The loader finds it before any isolate runs, and names the
        // module as a path in the project folder.
        let expected = "lib.js:2:";
        let line = log
            .lines()
            .find(|l| l.contains("the previous version keeps serving"))
            .unwrap_or_else(|| panic!("no reload error logged:\n{log}"));
        assert!(line.contains(expected), "expected {expected} in {line}");
        assert!(line.contains("SyntaxError"), "{line}");
        for _ in 0..5 {
            let r = s.get("/");
            assert_eq!((r.status, r.text().as_str()), (200, "version 1"));
        }
        // Fixed: the new code loads.
        std::fs::write(
            c.path("lib.js"),
            "export function tag(v) {\n  return 'fixed ' + v;\n}\n",
        )
        .unwrap();
        wait_for_body(&s, "fixed 1");
    });
}

#[test]
fn motu_dev_reloads_a_changed_wrangler_config() {
    on_each_engine("motu_dev_reloads_a_changed_wrangler_config", |engine| {
        let toml = |greeting: &str, route: &str| {
            format!(
                "name = \"app\"\nmain = \"src/index.js\"\nroutes = [\"{route}/*\"]\n[vars]\nGREETING = \"{greeting}\"\n"
            )
        };
        let c = TempConfig::new(&[
            ("wrangler.toml", &toml("one", "a.test")),
            (
                "src/index.js",
                "export default { fetch(r, env) { return new Response(env.GREETING); } };\n",
            ),
        ]);
        let s = Server::start_command(
            "dev",
            &["--config", &c.path("wrangler.toml"), "--engine", engine],
            &[],
        );
        s.wait_for_log("watching for changes");
        let get = |host: &str| s.request("GET", "/", &[("host", host)], b"");
        assert_eq!(get("a.test").text(), "one");
        std::fs::write(c.path("wrangler.toml"), toml("two", "b.test")).unwrap();
        let start = Instant::now();
        while get("b.test").text() != "two" {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the new config was not applied; log:\n{}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // As under wrangler dev, any host reaches the project's Worker,
        // routed or not.
        assert_eq!(get("elsewhere.test").text(), "two");
    });
}

#[test]
fn stack_traces_point_at_the_workers_files() {
    on_each_engine("stack_traces_point_at_the_workers_files", |engine| {
        let c = TempConfig::new(&[
            (
                "worker.js",
                "import { boom } from './lib/helper.js';\n\
                 export default {\n\
                   fetch(request) {\n\
                     if (new URL(request.url).pathname === '/uncaught') boom();\n\
                     try {\n\
                       boom();\n\
                     } catch (e) {\n\
                       return new Response(e.stack);\n\
                     }\n\
                   },\n\
                 };\n",
            ),
            (
                "lib/helper.js",
                "// helpers\nexport function boom() {\n  throw new Error('deep');\n}\n",
            ),
            (
                "script.js",
                "function f() {\n  throw new Error('script');\n}\n\
                 addEventListener('fetch', (e) => {\n\
                   try { f(); } catch (err) { e.respondWith(new Response(err.stack)); }\n\
                 });\n",
            ),
        ]);
        let s = Server::start(&[&c.path("worker.js"), "--engine", engine]);
        let stack = s.get("/").text();
        assert!(stack.contains("lib/helper.js:3:"), "{stack}");
        assert!(stack.contains("worker.js:6:"), "{stack}");
        assert_eq!(s.get("/uncaught").status, 500);
        let log = s.wait_for_log("lib/helper.js:3:");
        assert!(
            log.contains("worker.js:4:"),
            "the uncaught error's stack: {log}"
        );
        drop(s);
        let s = Server::start(&[&c.path("script.js"), "--engine", engine]);
        let stack = s.get("/").text();
        assert!(stack.contains("script.js:2:"), "{stack}");
        assert!(stack.contains("script.js:5:"), "{stack}");
    });
}

#[test]
fn code_built_inside_the_assets_folder_reloads() {
    // As Astro builds for Workers: the Worker's modules in `dist/_worker.js/`,
    // beside the pages `dist` serves as assets.
    on_each_engine("motu_dev_reloads_code_inside_assets", |engine| {
        let c = TempConfig::new(&[
            (
                "wrangler.toml",
                "name = \"site\"\nmain = \"dist/_worker.js/index.js\"\n[assets]\ndirectory = \"dist\"\nbinding = \"ASSETS\"\n",
            ),
            (
                "dist/_worker.js/index.js",
                "import { word } from './dep.js';\nexport default { fetch() { return new Response(word); } };\n",
            ),
            ("dist/_worker.js/dep.js", "export const word = 'one';\n"),
            ("dist/page.html", "<p>page</p>\n"),
        ]);
        let s = Server::start_command(
            "dev",
            &["--config", &c.path("wrangler.toml"), "--engine", engine],
            &[],
        );
        s.wait_for_log("watching for changes");
        wait_for_body(&s, "one");
        std::fs::write(
            c.path("dist/_worker.js/dep.js"),
            "export const word = 'two';\n",
        )
        .unwrap();
        wait_for_body(&s, "two");
        assert_eq!(s.get("/page").text(), "<p>page</p>\n");
    });
}

#[test]
fn motu_dev_reaches_local_origins_and_every_host_as_wrangler_dev_does() {
    on_each_engine("motu_dev_local_origins", |engine| {
        let origin = common::Origin::start();
        let c = TempConfig::new(&[
            (
                "wrangler.toml",
                "name = \"app\"\nmain = \"index.js\"\nroutes = [{ pattern = \"shop.example.com/*\", zone_name = \"example.com\" }]\n",
            ),
            (
                "index.js",
                "export default { async fetch(r, env) {\n\
                   try { return new Response(await (await fetch(env.ORIGIN + '/echo')).text()); }\n\
                   catch (e) { return new Response(String(e.message), { status: 502 }); } } };\n",
            ),
        ]);
        let var = format!("ORIGIN={}", origin.url());
        let args = [
            "--config",
            &c.path("wrangler.toml"),
            "--engine",
            engine,
            "--var",
            &var,
        ];
        // `serve` keeps to public addresses and to the routes, and says how
        // to allow a local address.
        let served = Server::start(&args);
        let refused = served.request("GET", "/", &[("host", "shop.example.com")], b"");
        assert_eq!(refused.status, 502, "{}", refused.text());
        assert!(
            refused.text().contains("allow_private"),
            "{}",
            refused.text()
        );
        assert_eq!(served.get("/").status, 404);
        drop(served);
        // `dev` reaches the local origin, from any host.
        let dev = Server::start_command("dev", &args, &[]);
        let r = dev.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), dev.log());
        assert!(origin.served.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    });
}

#[test]
fn several_wrangler_projects_run_together_as_wrangler_dev_runs_them() {
    on_each_engine("motu_dev_several_projects", |engine| {
        let c = TempConfig::new(&[
            (
                "web/wrangler.toml",
                "name = \"web\"\nmain = \"src/index.js\"\nservices = [{ binding = \"API\", service = \"api\" }]\n\
                 [[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\nscript_name = \"api\"\n",
            ),
            (
                "web/src/index.js",
                "export default { async fetch(request, env) {\n\
                   const api = await (await env.API.fetch('http://api/')).text();\n\
                   const n = await env.COUNTER.getByName('c').increment();\n\
                   return new Response(`${api} ${n}`);\n\
                 } };\n",
            ),
            (
                "api/wrangler.toml",
                "name = \"api\"\nmain = \"src/index.js\"\n\
                 [[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n\
                 [[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Counter\"]\n",
            ),
            (
                "api/src/index.js",
                "import { DurableObject } from 'cloudflare:workers';\n\
                 import { word } from './word.js';\n\
                 export class Counter extends DurableObject {\n\
                   async increment() { const n = ((await this.ctx.storage.get('n')) ?? 0) + 1; await this.ctx.storage.put('n', n); return n; }\n\
                 }\n\
                 export default { fetch(request, env) { return new Response(`${word} ${env.TOKEN}`); } };\n",
            ),
            ("api/src/word.js", "export const word = 'api';\n"),
            // The second project's own secrets.
            ("api/.dev.vars", "TOKEN=t1\n"),
        ]);
        let (web, api) = (c.path("web/wrangler.toml"), c.path("api/wrangler.toml"));
        let state = c.path("state");
        let s = Server::start_command(
            "dev",
            &[
                "-c",
                &web,
                "-c",
                &api,
                "--engine",
                engine,
                "--persist-to",
                &state,
            ],
            &[],
        );
        s.wait_for_log("watching for changes");
        wait_for_body(&s, "api t1 1");
        assert_eq!(s.get("/").text(), "api t1 2");
        // The second project's code reloads too.
        std::fs::write(c.path("api/src/word.js"), "export const word = 'API';\n").unwrap();
        let start = Instant::now();
        loop {
            let text = s.get("/").text();
            if text.starts_with("API t1 ") {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "still {text:?}; log:\n{}",
                s.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            !s.log().contains("which this server does not run"),
            "{}",
            s.log()
        );
    });
}
