//! Node.js compatibility (`nodejs_compat`) against the real server, on
//! every engine: each module family's cases (tests/fixtures/node/*.mjs) run
//! in a Worker and under the `node` of this machine (the oracle, installed
//! by scripts/install-test-projects.sh), and must give the same results; a
//! Worker without the flag sees no `node:*` module and no `process` or
//! `Buffer`; the flag and the compatibility date decide the globals and
//! `process.env` as on Workers; `require()` of a built-in gives its
//! `module.exports`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{on_each_engine, Server, TempConfig};

const FAMILIES: &[&str] = &["buffer", "events", "util", "process", "path"];

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
        let c = config(
            "worker.mjs",
            "2025-04-01",
            &["nodejs_compat"],
            "",
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
