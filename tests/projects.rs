//! A Workers project folder run as `wrangler dev` runs it, on every engine:
//! the config found in the current folder, a one-Worker config without
//! routes served on every host and path, wrangler's `--port` and `--ip`,
//! imports from anywhere in the project folder, and a stack trace naming
//! the project's file.

mod common;

use std::process::Command;

use common::{fixture, on_each_engine, Server};

fn get(s: &Server, host: &str, path: &str) -> common::Response {
    s.request("GET", path, &[("host", host)], b"")
}

#[test]
fn a_project_folder_is_served_with_no_arguments() {
    on_each_engine("a_project_folder_is_served_with_no_arguments", |engine| {
        for command in ["serve", "dev"] {
            let s = Server::start_in(
                Some(&fixture("project")),
                command,
                &["--ip", "127.0.0.1", "--port", "0", "--engine", engine],
                &[],
            );
            for (host, path) in [
                ("localhost", "/"),
                ("localhost:8787", "/a/b"),
                ("example.com", "/any"),
                ("project.localhost", "/x"),
            ] {
                let r = get(&s, host, path);
                assert_eq!(
                    (r.status, r.text()),
                    (200, format!("project {path}")),
                    "{command}: {host}{path}"
                );
            }
        }
    });
}

#[test]
fn a_stack_trace_names_the_project_file() {
    on_each_engine("a_stack_trace_names_the_project_file", |engine| {
        let config = fixture("project/wrangler.jsonc");
        let s = Server::start(&["--config", config.to_str().unwrap(), "--engine", engine]);
        assert_eq!(get(&s, "localhost", "/throw").status, 500);
        let log = s.wait_for_log("thrown from the project");
        assert!(log.contains("src/index.js:7"), "{log}");
    });
}

#[test]
fn without_a_config_in_the_folder_the_error_says_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_motu"))
        .arg("serve")
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("wrangler.jsonc, wrangler.json, wrangler.toml, motu.toml"),
        "{stderr}"
    );
    assert!(stderr.contains("motu serve worker.js"), "{stderr}");
}

#[test]
fn port_and_listen_are_exclusive() {
    let (code, _, stderr) = common::run_motu(&[
        "serve",
        "--config",
        fixture("project/wrangler.jsonc").to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--port",
        "0",
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--port"), "{stderr}");
}

#[test]
fn the_readme_example_is_served_by_a_relative_path() {
    on_each_engine(
        "the_readme_example_is_served_by_a_relative_path",
        |engine| {
            let s = Server::start_in(
                Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))),
                "serve",
                &[
                    "examples/hello/worker.js",
                    "--port",
                    "0",
                    "--engine",
                    engine,
                ],
                &[],
            );
            let r = get(&s, "localhost", "/");
            assert_eq!(r.status, 200, "{}", r.text());
        },
    );
}
