//! What a Next.js app built by OpenNext (`opennextjs-cloudflare build`,
//! Cloudflare's `next-starter-template`) needs, reproduced in a small
//! fixture (tests/fixtures/opennext) against the real server, on every
//! engine:
//!
//! - modules imported and required by their **absolute paths** (OpenNext
//!   writes them so into `handler.mjs` and the Turbopack runtime's chunks),
//!   which esbuild, wrangler's bundler, takes as paths on disk, still
//!   confined to the project;
//! - a **CompiledWasm module imported at the top** and instantiated on one
//!   route only (Next.js's handler imports `@vercel/og`'s `resvg.wasm`):
//!   on QuickJS, which has no WebAssembly, the Worker starts and serves its
//!   other routes, and instantiating the module fails with an error naming
//!   it; on V8 it runs;
//! - a request made by **subclassing `http.IncomingMessage`** with Node's
//!   public constructor (a socket-like object) and its own `_read`;
//! - workerd's **`readAtLeast`** on a BYOB reader (OpenNext's image handler
//!   reads an image's first 32 bytes with it from a teed body);
//! - a **`Request` with a `ReadableStream` body and no `duplex`**, which
//!   workerd takes and the standard refuses (OpenNext's middleware passes
//!   Next.js's POSTs, server actions among them, on so).

mod common;

use common::{on_each_engine, Server, TempConfig};
use serde_json::json;

/// The fixture project in a temporary folder, its `ABSOLUTE` replaced by
/// that folder's path, its `main` served with `nodejs_compat` on `engine`.
fn serve_main(engine: &str, main: &str) -> (TempConfig, Server) {
    let c = TempConfig::new(&[]);
    let root = c.dir.path().canonicalize().unwrap();
    let absolute = root.to_str().unwrap();
    let fixture = common::fixture("opennext");
    let sources = [
        "worker.js",
        "absolute.js",
        "lib/greet.js",
        "lib/uses.cjs",
        "lib/twice.cjs",
    ];
    for name in sources {
        let text = std::fs::read_to_string(fixture.join(name)).unwrap();
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text.replace("ABSOLUTE", absolute)).unwrap();
    }
    std::fs::copy(fixture.join("add.wasm"), root.join("add.wasm")).unwrap();
    std::fs::write(
        root.join("wrangler.jsonc"),
        format!(
            r#"{{ "name": "w", "main": "{main}", "compatibility_date": "2025-10-08",
                 "compatibility_flags": ["nodejs_compat"] }}"#
        ),
    )
    .unwrap();
    let s = Server::start(&["--config", &c.path("wrangler.jsonc"), "--engine", engine]);
    (c, s)
}

/// The fixture's worker.js on `engine`.
fn serve(engine: &str) -> (TempConfig, Server) {
    serve_main(engine, "worker.js")
}

#[test]
fn modules_named_by_absolute_paths_load() {
    on_each_engine("modules_named_by_absolute_paths_load", |engine| {
        let (_c, s) = serve_main(engine, "absolute.js");
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(
            r.json(),
            json!({ "greet": "hello, next", "twice": 42, "isModule": true })
        );
    });
}

#[test]
fn a_wasm_module_imported_but_unused_lets_the_worker_serve() {
    on_each_engine(
        "a_wasm_module_imported_but_unused_lets_the_worker_serve",
        |engine| {
            let (_c, s) = serve(engine);
            assert_eq!(s.get("/elsewhere").status, 404, "{}", s.log());
            let r = s.get("/wasm");
            assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
            if engine == "quickjs" {
                let error = r.json()["error"].as_str().unwrap().to_owned();
                assert!(
                    error.starts_with("CompileError: ")
                        && error.contains("add.wasm: a CompiledWasm module needs WebAssembly"),
                    "{error}"
                );
            } else {
                assert_eq!(r.json(), json!({ "sum": 42 }));
            }
        },
    );
}

#[test]
fn an_incoming_message_subclass_is_a_request() {
    on_each_engine("an_incoming_message_subclass_is_a_request", |engine| {
        let (_c, s) = serve(engine);
        let r = s.get("/incoming");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        // As Node.js 22 gives them.
        assert_eq!(
            r.json(),
            json!({
                "method": "POST", "url": "/page?x=1", "header": "b", "encrypted": true,
                "port": 443, "isReadable": true, "body": "the body",
                "bare": { "url": "", "method": null, "socket": null, "statusCode": null, "headers": {} }
            })
        );
    });
}

#[test]
fn read_at_least_fills_a_byob_view_across_chunks() {
    on_each_engine("read_at_least_fills_a_byob_view_across_chunks", |engine| {
        let (_c, s) = serve(engine);
        let r = s.get("/byob");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(
            r.json(),
            json!({
                "first": [32, false, 31], "short": [8, false, 32], "end": true,
                "tooMany": "TypeError", "rest": 40
            })
        );
    });
}

#[test]
fn a_streamed_request_body_needs_no_duplex() {
    on_each_engine("a_streamed_request_body_needs_no_duplex", |engine| {
        let (_c, s) = serve(engine);
        let r = s.request("POST", "/duplex", &[], b"by=2");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        assert_eq!(r.json(), json!({ "body": "by=2", "duplex": "half" }));
    });
}
