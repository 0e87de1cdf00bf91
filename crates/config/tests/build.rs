//! Custom builds (`build`) read from Wrangler configs and motu.toml.

use std::path::PathBuf;

use motu_config::Loaded;

mod common;

use common::Dir;

const WRANGLER: &str = r#"{
  "name": "chat",
  "main": "dist/worker.js",
  "assets": { "directory": "public/dist" },
  "build": { "command": "node build.mjs", "cwd": "web", "watch_dir": ["src", "shared"] },
  "env": {
    "staging": { "vars": { "A": "b" } },
    "own": { "build": { "command": "make" } }
  }
}"#;

#[test]
fn a_wrangler_build_is_read_and_its_outputs_need_not_exist_yet() {
    let d = Dir::with(&[]);
    let Loaded { settings, warnings } = d.load_any("wrangler.json", WRANGLER, None, &[]).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let w = &settings.workers[0];
    let build = w.build.as_ref().expect("a build");
    let base = d.0.path();
    assert_eq!(build.command, "node build.mjs");
    assert_eq!(build.cwd, base.join("web"));
    assert_eq!(
        build.watch_dirs,
        vec![base.join("src"), base.join("shared")]
    );
    assert_eq!(
        w.main.as_deref(),
        Some(base.join("dist/worker.js").as_path())
    );
}

#[test]
fn environments_inherit_the_build_unless_they_set_their_own() {
    let d = Dir::with(&[]);
    let staging = d
        .load_any("wrangler.json", WRANGLER, Some("staging"), &[])
        .unwrap();
    let build = staging.settings.workers[0].build.clone().unwrap();
    assert_eq!(build.command, "node build.mjs");
    let own = d
        .load_any("wrangler.json", WRANGLER, Some("own"), &[])
        .unwrap();
    let build = own.settings.workers[0].build.clone().unwrap();
    assert_eq!(build.command, "make");
    assert_eq!(build.cwd, d.0.path().to_path_buf());
    assert_eq!(build.watch_dirs, vec![d.0.path().join("src")]);
}

#[test]
fn without_a_command_there_is_no_build_and_outputs_must_exist() {
    let d = Dir::with(&[]);
    let text = r#"{"name": "a", "main": "dist/worker.js", "build": {"watch_dir": "src"}}"#;
    let e = d.load_any("wrangler.json", text, None, &[]).unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
}

#[test]
fn unknown_build_keys_are_warned_about() {
    let d = Dir::with(&[("src/index.js", "export default {}")]);
    let text = r#"{"name": "a", "main": "src/index.js",
        "build": {"command": "true", "upload": {"format": "modules"}}}"#;
    let Loaded { warnings, .. } = d.load_any("wrangler.json", text, None, &[]).unwrap();
    assert_eq!(
        warnings,
        vec!["key 'build.upload' is not supported by motu; ignored".to_owned()]
    );
}

#[test]
fn motu_toml_reads_a_build_too() {
    let d = Dir::with(&[]);
    let text = r#"
[[workers]]
name = "a"
main = "out/a.js"
[workers.build]
command = "sh make.sh"
watch_dir = "lib"
"#;
    let Loaded { settings, .. } = d.load_any("motu.toml", text, None, &[]).unwrap();
    let build = settings.workers[0].build.clone().unwrap();
    assert_eq!(build.command, "sh make.sh");
    assert_eq!(
        build.watch_dirs,
        vec![PathBuf::from(d.0.path()).join("lib")]
    );
}
