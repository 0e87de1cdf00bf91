//! V8 is loaded on first use: a server whose Workers all run on QuickJS
//! never maps libnode, and when the V8 shim cannot be loaded, QuickJS
//! Workers keep serving while V8 Workers fail with "V8 engine unavailable".

#![cfg(feature = "v8")]

mod common;

use common::{Server, TempConfig};

/// Whether the process maps libnode.
fn maps_libnode(s: &Server) -> bool {
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", s.pid())).expect("read maps");
    maps.contains("libnode")
}

/// A config with one QuickJS and one V8 Worker, by host.
fn two_engines() -> TempConfig {
    TempConfig::new(&[
        ("hello.js", include_str!("fixtures/hello.js")),
        (
            "motu.toml",
            "[[workers]]\nname = \"q\"\nmain = \"hello.js\"\nengine = \"quickjs\"\nroutes = [\"q.test/*\"]\n\
             [[workers]]\nname = \"v\"\nmain = \"hello.js\"\nengine = \"v8\"\nroutes = [\"v.test/*\"]\n",
        ),
    ])
}

#[test]
fn libnode_is_loaded_only_for_v8_workers() {
    let s = Server::worker("hello.js", "quickjs", &[]);
    assert_eq!(s.get("/").text(), "Hello World!");
    assert!(!maps_libnode(&s), "a QuickJS-only server loaded libnode");

    let c = two_engines();
    let s = Server::start(&["--config", &c.path("motu.toml")]);
    let r = s.request("GET", "/", &[("host", "v.test")], b"");
    assert_eq!((r.status, r.text()), (200, "Hello World!".to_owned()));
    assert!(
        maps_libnode(&s),
        "a V8 Worker served without libnode mapped"
    );
}

#[test]
fn quickjs_workers_serve_when_v8_cannot_be_loaded() {
    let c = two_engines();
    let missing = c.path("no-such-dir/libmotu_v8_shim.so");
    let s = Server::start_with_env(
        &["--config", &c.path("motu.toml")],
        &[("MOTU_V8_SHIM", &missing)],
    );
    let r = s.request("GET", "/", &[("host", "q.test")], b"");
    assert_eq!((r.status, r.text()), (200, "Hello World!".to_owned()));

    let r = s.request("GET", "/", &[("host", "v.test")], b"");
    assert_eq!(r.status, 500);
    // The log line is read from the server's stderr by another thread.
    let log = s.wait_for_log("V8 engine unavailable");
    assert!(log.contains("V8 engine unavailable"), "{log}");
    assert!(
        log.contains(&missing),
        "the log does not name the shim: {log}"
    );
    assert!(!maps_libnode(&s));

    // QuickJS keeps serving after the failed V8 start.
    let r = s.request("GET", "/", &[("host", "q.test")], b"");
    assert_eq!((r.status, r.text()), (200, "Hello World!".to_owned()));
}

#[test]
fn motu_v8_flags_reach_v8() {
    let c = TempConfig::new(&[
        (
            "wasm.js",
            "export default { fetch: () => new Response(String(WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])))) };\n",
        ),
        (
            "motu.toml",
            "[[workers]]\nname = \"v\"\nmain = \"wasm.js\"\nengine = \"v8\"\n",
        ),
    ]);
    let plain = Server::start(&["--config", &c.path("motu.toml")]);
    assert_eq!(plain.get("/").text(), "true");
    drop(plain);
    let flagged = Server::start_with_env(
        &["--config", &c.path("motu.toml")],
        &[("MOTU_V8_FLAGS", "--no-expose-wasm")],
    );
    // V8 without WebAssembly: motu's stand-in, which validates nothing.
    assert_eq!(flagged.get("/").text(), "false");
}
