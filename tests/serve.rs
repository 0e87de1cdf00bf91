//! The real server, end to end over HTTP, on every engine.

mod common;

use common::{on_each_engine, Server, TempConfig};

#[test]
fn hello_world() {
    on_each_engine("hello_world", |engine| {
        let s = Server::worker("hello.js", engine, &[]);
        let r = s.get("/");
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), "Hello World!");
        assert_eq!(r.header("content-type"), Some("text/plain;charset=UTF-8"));
        // Every host and path reaches the single Worker.
        let r = s.request("GET", "/any/path?x=1", &[("host", "some.example")], b"");
        assert_eq!(r.text(), "Hello World!");
    });
}

#[test]
fn json_response() {
    on_each_engine("json_response", |engine| {
        let s = Server::worker("json.js", engine, &[]);
        let r = s.request("PUT", "/", &[], b"");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.json(),
            serde_json::json!({ "ok": true, "method": "PUT", "list": [1, 2, 3], "nested": { "a": "b" } })
        );
    });
}

#[test]
fn echo_of_a_64k_body() {
    on_each_engine("echo_of_a_64k_body", |engine| {
        let s = Server::worker("echo.js", engine, &[]);
        let body: Vec<u8> = (0..65536u32).map(|i| (i * 7 % 251) as u8).collect();
        let r = s.request(
            "POST",
            "/",
            &[("content-type", "application/x-test")],
            &body,
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/x-test"));
        assert_eq!(r.body.len(), body.len());
        assert!(r.body == body, "the echoed body differs");
    });
}

#[test]
fn request_headers_query_and_vars_are_visible() {
    on_each_engine("request_headers_query_and_vars_are_visible", |engine| {
        let s = Server::worker(
            "inspect.js",
            engine,
            &["--var", "GREETING=hi there", "--var", "EMPTY="],
        );
        let r = s.request(
            "GET",
            "/p/a%20th?tag=a&tag=b&q=x%20y",
            &[
                ("host", "site.example:8080"),
                ("x-custom", "  Value  "),
                ("X-Multi", "1"),
            ],
            b"",
        );
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(j["method"], "GET");
        assert_eq!(
            j["url"],
            "http://site.example:8080/p/a%20th?tag=a&tag=b&q=x%20y"
        );
        assert_eq!(j["host"], "site.example:8080");
        assert_eq!(j["pathname"], "/p/a%20th");
        assert_eq!(j["query"]["q"], "x y");
        assert_eq!(j["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(j["headers"]["x-custom"], "Value");
        assert_eq!(j["headers"]["x-multi"], "1");
        assert_eq!(
            j["env"],
            serde_json::json!({ "GREETING": "hi there", "EMPTY": "" })
        );
    });
}

#[test]
fn a_throwing_worker_gives_500_and_keeps_serving() {
    on_each_engine("a_throwing_worker_gives_500_and_keeps_serving", |engine| {
        let s = Server::worker("throws.js", engine, &[]);
        let r = s.get("/throw");
        assert_eq!(r.status, 500);
        assert!(
            !r.text().contains("secret-detail"),
            "the body leaks the error: {}",
            r.text()
        );
        assert!(
            !r.text().contains("throws.js"),
            "the body leaks the stack: {}",
            r.text()
        );
        let log = s.wait_for_log("secret-detail-in-message");
        assert!(
            log.contains("secret-detail-in-message"),
            "the error is not logged: {log}"
        );
        assert!(
            log.contains("worker=\"throws\"") || log.contains("worker=throws"),
            "no Worker name: {log}"
        );
        assert!(log.contains("throws.js"), "the stack is not logged: {log}");
        for path in ["/reject", "/not-a-response"] {
            assert_eq!(s.get(path).status, 500, "{path}");
        }
        // The same isolate keeps serving: its counter has seen every request.
        let r = s.get("/");
        assert_eq!((r.status, r.text()), (200, "ok 4".to_owned()));
    });
}

#[test]
fn a_module_worker_imports_other_modules() {
    on_each_engine("a_module_worker_imports_other_modules", |engine| {
        let s = Server::worker("modular/worker.js", engine, &[]);
        assert_eq!(s.get("/").text(), "Hello from modules!");
        assert_eq!(s.get("/shout").text(), "HELLO FROM MODULES!");
        let r = s.get("/elsewhere");
        assert_eq!((r.status, r.text()), (404, "not here".to_owned()));
    });
}

#[test]
fn a_service_worker_script_is_served() {
    on_each_engine("a_service_worker_script_is_served", |engine| {
        let s = Server::worker("service-worker.js", engine, &["--var", "GREETING=hello"]);
        let r = s.request("POST", "/sw", &[], b"data");
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), "service worker saw POST /sw (hello)");
        assert_eq!(r.header("x-served-by"), Some("service-worker"));
    });
}

#[test]
fn one_isolate_serves_requests_concurrently() {
    on_each_engine("one_isolate_serves_requests_concurrently", |engine| {
        let s = Server::worker("slow.js", engine, &["--threads", "1"]);
        let addr = s.addr.clone();
        let slow = std::thread::spawn(move || common::request(&addr, "GET", "/slow", &[], b""));
        std::thread::sleep(std::time::Duration::from_millis(100));
        let fast = s.get("/fast").json();
        let slow = slow.join().unwrap().json();
        // The slow request started first, and was still waiting when the fast
        // one was served by the same isolate.
        assert_eq!(slow["n"], 1);
        assert_eq!(fast["n"], 2);
        assert_eq!(
            slow["served"], 2,
            "the slow request should finish after the fast one"
        );
    });
}

#[test]
fn console_output_goes_to_the_log_with_the_worker_name() {
    on_each_engine(
        "console_output_goes_to_the_log_with_the_worker_name",
        |engine| {
            let s = Server::worker("console.js", engine, &[]);
            assert_eq!(s.get("/").text(), "logged");
            let log = s.wait_for_log("error line");
            let line = |needle: &str| {
                log.lines()
                    .find(|l| l.contains(needle))
                    .unwrap_or_else(|| panic!("no '{needle}' in log:\n{log}"))
                    .to_owned()
            };
            let info = line("log line");
            assert!(info.contains("INFO") && info.contains("console"), "{info}");
            assert!(info.contains("{ a: 1, list: [ 1, 2 ] }"), "{info}");
            assert!(line("warn line").contains("WARN"));
            assert!(line("error line").contains("ERROR"));
            assert!(log.contains("Error: boom"), "{log}");
        },
    );
}

#[test]
fn a_worker_that_fails_to_start_gives_500_and_others_keep_serving() {
    on_each_engine(
        "a_worker_that_fails_to_start_gives_500_and_others_keep_serving",
        |engine| {
            let c = TempConfig::new(&[
            ("broken.js", include_str!("fixtures/broken.js")),
            ("hello.js", include_str!("fixtures/hello.js")),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\n\
                     [[workers]]\nname = \"broken\"\nmain = \"broken.js\"\nroutes = [\"broken.test/*\"]\n\
                     [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n"
                ),
            ),
        ]);
            let s = Server::start(&["--config", &c.path("motu.toml")]);
            let r = s.request("GET", "/", &[("host", "broken.test")], b"");
            assert_eq!(r.status, 500);
            assert!(s.log().contains("SyntaxError"), "{}", s.log());
            let r = s.request("GET", "/", &[("host", "hello.test")], b"");
            assert_eq!((r.status, r.text()), (200, "Hello World!".to_owned()));
        },
    );
}

#[test]
fn workers_are_routed_by_host_and_path() {
    on_each_engine("workers_are_routed_by_host_and_path", |engine| {
        let worker = |name: &str| {
            format!("export default {{ fetch(r) {{ return new Response('{name} ' + new URL(r.url).pathname) }} }}")
        };
        let (site, api, wild) = (worker("site"), worker("api"), worker("wild"));
        let c = TempConfig::new(&[
            ("site.js", &site),
            ("api/main.js", &api),
            ("wild.js", &wild),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\n\
                     [[workers]]\nname = \"site\"\nmain = \"site.js\"\nroutes = [\"example.com/*\"]\nworkers_dev = true\n\
                     [[workers]]\nname = \"api\"\nmain = \"api/main.js\"\nroutes = [\"example.com/api/*\", \"api.example.com/*\"]\n\
                     [[workers]]\nname = \"wild\"\nmain = \"wild.js\"\nroutes = [\"*.example.com/*\"]\n"
                ),
            ),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let at = |host: &str, path: &str| {
            let r = s.request("GET", path, &[("host", host)], b"");
            (r.status, r.text())
        };
        assert_eq!(at("example.com", "/"), (200, "site /".into()));
        assert_eq!(
            at("example.com", "/api/users"),
            (200, "api /api/users".into())
        );
        assert_eq!(at("api.example.com", "/x"), (200, "api /x".into()));
        assert_eq!(at("www.example.com", "/x"), (200, "wild /x".into()));
        // Only a Worker with workers_dev is public at NAME.localhost when the
        // config has several.
        assert_eq!(
            at("site.localhost", "/direct"),
            (200, "site /direct".into())
        );
        assert_eq!(at("api.localhost", "/x").0, 404);
        let (status, body) = at("unknown.org", "/");
        assert_eq!(status, 404);
        assert!(body.contains("No Worker"), "{body}");
    });
}

/// Code that only prepares WebAssembly at load (es-module-lexer in Astro's
/// server build) starts on both engines; on QuickJS, which has none, the
/// stand-in refuses to compile with an error that says so.
#[test]
fn webassembly_prepared_at_load_does_not_stop_a_worker() {
    on_each_engine("webassembly_prepared_at_load", |engine| {
        let c = common::TempConfig::new(&[(
            "index.js",
            "const ready = WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))\n\
               .then(m => m instanceof WebAssembly.Module ? 'compiled' : 'not a module',\n\
                     e => `${e.name}: ${e.message}`);\n\
             export default { async fetch() {\n\
               return new Response(`${typeof WebAssembly} ${WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))} ${await ready}`);\n\
             } };\n",
        )]);
        let s = Server::start(&[&c.path("index.js"), "--engine", engine]);
        let expected = if engine == "quickjs" {
            "object false CompileError: WebAssembly is not available in this engine (QuickJS has none: run this Worker on V8, --engine v8 or engine = \"v8\")"
        } else {
            "object true compiled"
        };
        assert_eq!(s.get("/").text(), expected, "{}", s.log());
    });
}

#[test]
fn webassembly_modules_run() {
    on_each_engine("webassembly_modules_run", |engine| {
        let s = Server::worker("wasm.js", engine, &[]);
        let r = s.get("/");
        assert_eq!((r.status, r.text()), (200, "42".to_owned()));
    });
}
