//! `motu-wpt --emit-workerd DIR` on a small WPT tree: it lists the service
//! of each selected file and writes a workerd configuration with the shim
//! and each file's scripts (no workerd needed).

use std::path::Path;
use std::process::Command;

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

#[test]
fn emit_workerd_writes_a_configuration_for_the_selected_files() {
    let root = std::env::temp_dir().join(format!("motu-wpt-emit-cli-{}", std::process::id()));
    let wpt = root.join("wpt");
    let out = root.join("out");
    write(&wpt, "resources/testharness.js", "var harness;");
    write(&wpt, "url/a.any.js", "test(() => {}, 'a');");
    write(&wpt, "encoding/b.any.js", "test(() => {}, 'b');");
    write(&wpt, "encoding/c.html", "<script></script>");

    let output = Command::new(env!("CARGO_BIN_EXE_motu-wpt"))
        .arg("--wpt")
        .arg(&wpt)
        .arg("--emit-workerd")
        .arg(&out)
        .args(["--compat-date", "2026-01-02", "encoding/", "url/"])
        .output()
        .expect("motu-wpt runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let config = std::fs::read_to_string(out.join("config.capnp")).unwrap_or_default();
    let shim = std::fs::read_to_string(out.join("shim.js")).unwrap_or_default();
    let scripts = std::fs::read_to_string(out.join("t0001.scripts.json")).unwrap_or_default();
    std::fs::remove_dir_all(&root).expect("clean up");

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // In the runner's order: the subset's directories, url before encoding.
    assert_eq!(stdout, "t0000 url/a.any.js\nt0001 encoding/b.any.js\n");
    assert!(config.contains("compatibilityDate = \"2026-01-02\""));
    assert!(config.contains("(name = \"t0001\", service = \"t0001\")"));
    assert!(shim.contains("WPT_EVAL"), "the runner's shim");
    let scripts: serde_json::Value = serde_json::from_str(&scripts).expect("JSON");
    assert_eq!(scripts[0]["source"], "var harness;");
    assert_eq!(scripts[1]["source"], "test(() => {}, 'b');");
}
