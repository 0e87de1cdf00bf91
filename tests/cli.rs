//! The command line: config errors, `check` and `--help`.

mod common;

use common::{run_motu, TempConfig};

const HELLO: &str = "export default { fetch() { return new Response('hi') } }";

/// `motu serve --config FILE` must fail at start-up with one line that names
/// the file and contains `needle`.
fn refuses(toml: &str, needle: &str) {
    let c = TempConfig::new(&[("worker.js", HELLO), ("motu.toml", toml)]);
    let file = c.path("motu.toml");
    for command in ["serve", "check"] {
        let (code, _out, err) = run_motu(
            &[command, "--config", &file, "--listen", "127.0.0.1:0"]
                [..if command == "serve" { 5 } else { 3 }],
        );
        assert_ne!(code, 0, "{command} should fail for:\n{toml}");
        let line = err.trim();
        assert_eq!(line.lines().count(), 1, "one line expected, got:\n{line}");
        assert!(
            line.contains(&file),
            "the error should name the file: {line}"
        );
        assert!(
            line.contains(needle),
            "the error should contain '{needle}': {line}"
        );
    }
}

#[test]
fn a_missing_config_file_is_refused() {
    let (code, _, err) = run_motu(&["serve", "--config", "/nonexistent/motu.toml"]);
    assert_ne!(code, 0);
    assert!(err.contains("/nonexistent/motu.toml"), "{err}");
}

#[test]
fn a_toml_error_is_refused() {
    refuses("[server\nlisten = 1\n", "line 1");
}

#[test]
fn an_unknown_field_is_refused() {
    refuses("[server]\nlisen = \"127.0.0.1:1\"\n", "lisen");
}

#[test]
fn a_wildcard_in_the_middle_of_a_route_is_refused() {
    refuses(
        "[[workers]]\nname = \"a\"\nmain = \"worker.js\"\nroutes = [\"exa*mple.com/*\"]\n",
        "workers[0].routes[0]",
    );
}

#[test]
fn two_workers_with_one_name_are_refused() {
    refuses(
        "[[workers]]\nname = \"a\"\nmain = \"worker.js\"\n[[workers]]\nname = \"a\"\nmain = \"worker.js\"\n",
        "workers[1].name",
    );
}

#[test]
fn a_missing_main_is_refused() {
    refuses(
        "[[workers]]\nname = \"a\"\nmain = \"gone.js\"\n",
        "workers[0].main",
    );
}

#[test]
fn an_engine_that_is_not_built_in_is_refused() {
    refuses("[server]\nengine = \"spidermonkey\"\n", "server.engine");
    refuses(
        "[[workers]]\nname = \"a\"\nmain = \"worker.js\"\nengine = \"spidermonkey\"\n",
        "workers[0].engine",
    );
    if !cfg!(feature = "v8") {
        refuses("[server]\nengine = \"v8\"\n", "--features v8");
    }
}

#[test]
fn check_accepts_a_good_config_and_rejects_broken_code() {
    let c = TempConfig::new(&[
        ("worker.js", HELLO),
        ("broken.js", "export default {"),
        (
            "good.toml",
            "[[workers]]\nname = \"a\"\nmain = \"worker.js\"\n",
        ),
        (
            "bad.toml",
            "[[workers]]\nname = \"b\"\nmain = \"broken.js\"\n",
        ),
    ]);
    let (code, out, err) = run_motu(&["check", "--config", &c.path("good.toml")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok (1 Worker)"), "{out}");
    let (code, _, err) = run_motu(&["check", "--config", &c.path("bad.toml")]);
    assert_ne!(code, 0);
    assert!(
        err.contains("broken.js") && err.contains("SyntaxError"),
        "{err}"
    );
}

#[test]
fn serve_needs_a_worker_or_a_config() {
    let (code, _, err) = run_motu(&["serve"]);
    assert_ne!(code, 0);
    assert!(err.contains("motu serve worker.js"), "{err}");
    let (code, _, err) = run_motu(&["serve", "/nonexistent/worker.js"]);
    assert_ne!(code, 0);
    assert!(err.contains("/nonexistent/worker.js"), "{err}");
    let (code, _, err) = run_motu(&["serve", "x.js", "--var", "NOEQUALS"]);
    assert_ne!(code, 0);
    assert!(err.contains("NOEQUALS") || err.contains("x.js"), "{err}");
}

#[test]
fn every_command_has_help() {
    for args in [&["--help"][..], &["serve", "--help"], &["check", "--help"]] {
        let (code, out, _) = run_motu(args);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage: motu"), "{args:?}: {out}");
    }
    let (_, out, _) = run_motu(&["serve", "--help"]);
    for flag in ["--config", "--listen", "--engine", "--var", "--threads"] {
        assert!(out.contains(flag), "serve --help lacks {flag}: {out}");
    }
}

/// README's first command is `cargo run -- serve …`: that needs the `motu`
/// binary to be the only one among the workspace's default members.
#[test]
fn cargo_run_at_the_root_finds_only_the_motu_binary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let members = manifest["workspace"]["default-members"].as_array().unwrap();
    let mut with_binaries = Vec::new();
    for member in members.iter().map(|m| m.as_str().unwrap()) {
        let dir = root.join(member);
        let own: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml")).unwrap()).unwrap();
        if dir.join("src/main.rs").is_file() || own.contains_key("bin") {
            with_binaries.push(member.to_owned());
        }
    }
    assert_eq!(with_binaries, ["."], "default members with a binary");
}
