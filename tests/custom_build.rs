//! Custom builds (`build` in a Wrangler config) against the real server,
//! on every engine: the build's Worker and assets are served by `motu
//! serve` and `motu dev`, the command finds the project's
//! `node_modules/.bin` and knows which command runs it, `motu dev` builds
//! again on a change under `watch_dir`, a failing build refuses start-up
//! (and in `motu dev` keeps the last good version), and `cwd` is honoured.

mod common;

use std::time::{Duration, Instant};

use common::{on_each_engine, run_motu, Server, TempConfig};

/// Builds `dist/worker.js` (answering the message in `src/message.txt`
/// and the wrangler command the build ran for) and `public/asset.txt`.
const BUILD_MJS: &str = r#"import fs from "node:fs";
const message = fs.readFileSync("src/message.txt", "utf8").trim();
const answer = `${message} via ${process.env.WRANGLER_COMMAND}`;
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/worker.js",
  `export default { fetch() { return new Response(${JSON.stringify(answer)}); } };\n`);
fs.mkdirSync("public", { recursive: true });
fs.writeFileSync("public/asset.txt", `asset ${message}`);
console.log(`built ${message}`);
"#;

/// A project whose Worker and assets only exist once its build has run;
/// the build is a local npm binary, reached the way `npm run` reaches it.
fn project(message: &str) -> TempConfig {
    let c = TempConfig::new(&[
        (
            "wrangler.json",
            r#"{
  "name": "built",
  "main": "dist/worker.js",
  "assets": { "directory": "public" },
  "build": { "command": "gen-worker && echo build finished" }
}"#,
        ),
        ("build.mjs", BUILD_MJS),
        ("src/message.txt", message),
        (
            "node_modules/.bin/gen-worker",
            "#!/bin/sh\nexec node build.mjs\n",
        ),
    ]);
    make_executable(&c.path("node_modules/.bin/gen-worker"));
    c
}

fn make_executable(path: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Polls `path` until it answers `want` (up to 15 s).
fn wait_for(s: &Server, path: &str, want: &str) {
    let start = Instant::now();
    loop {
        let r = s.get(path);
        if r.text() == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{path} still {:?} ({}), not {want:?}; log:\n{}",
            r.text(),
            r.status,
            s.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_builds_output_is_served() {
    on_each_engine("the_builds_output_is_served", |engine| {
        let c = project("v1");
        let config = c.path("wrangler.json");
        let s = Server::start(&["--config", &config, "--engine", engine]);
        assert_eq!(s.get("/").text(), "v1 via deploy", "{}", s.log());
        assert_eq!(s.get("/asset.txt").text(), "asset v1");
        let log = s.log();
        assert!(log.contains("[custom build] built v1"), "{log}");
        assert!(log.contains("[custom build] build finished"), "{log}");
        drop(s);
        std::fs::remove_dir_all(c.path("dist")).unwrap();
        let s = Server::start_command("dev", &["--config", &config, "--engine", engine], &[]);
        assert_eq!(s.get("/").text(), "v1 via dev", "{}", s.log());
    });
}

#[test]
fn dev_builds_again_when_watch_dir_changes() {
    on_each_engine("dev_builds_again_when_watch_dir_changes", |engine| {
        let c = project("v1");
        let config = c.path("wrangler.json");
        let s = Server::start_command("dev", &["--config", &config, "--engine", engine], &[]);
        s.wait_for_log("watching for changes");
        assert_eq!(s.get("/").text(), "v1 via dev", "{}", s.log());
        std::fs::write(c.path("src/message.txt"), "v2").unwrap();
        wait_for(&s, "/", "v2 via dev");
        wait_for(&s, "/asset.txt", "asset v2");
        let log = s.log();
        assert!(log.contains("running the custom build again"), "{log}");
    });
}

#[test]
fn a_failing_build_refuses_to_start() {
    let c = TempConfig::new(&[(
        "wrangler.json",
        r#"{"name": "broken", "main": "dist/worker.js",
            "build": {"command": "echo compiling; echo 'src/a.ts: no such name' >&2; exit 3"}}"#,
    )]);
    let config = c.path("wrangler.json");
    for command in ["serve", "check"] {
        let args = [command, "--config", &config, "--listen", "127.0.0.1:0"];
        let args = if command == "serve" {
            &args[..]
        } else {
            &args[..3]
        };
        let (code, stderr) = run_to_exit(args);
        assert_ne!(code, 0, "{stderr}");
        assert!(stderr.contains("[custom build] compiling"), "{stderr}");
        assert!(
            stderr.contains("[custom build] src/a.ts: no such name"),
            "{stderr}"
        );
        assert!(
            stderr.contains("failed (exit status: 3); its output is above"),
            "{stderr}"
        );
    }
}

/// Runs `motu ARGS…` until it exits (a server that starts anyway is
/// killed after 30 s, and that fails the test): its exit code and stderr.
fn run_to_exit(args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_motu"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "motu {args:?} did not exit; stderr:\n{}",
                reader.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code().unwrap_or(-1), reader.join().unwrap())
}

/// A build that fails while `src/message.txt` says `bad`.
const FLAKY_BUILD: &str = r#"message=$(cat src/message.txt)
if [ "$message" = bad ]; then echo "cannot build $message" >&2; exit 1; fi
mkdir -p dist
echo "export default { fetch() { return new Response('$message'); } };" > dist/worker.js
"#;

#[test]
fn dev_keeps_the_last_good_version_when_a_build_fails() {
    on_each_engine(
        "dev_keeps_the_last_good_version_when_a_build_fails",
        |engine| {
            let c = TempConfig::new(&[
                (
                    "wrangler.toml",
                    "name = \"flaky\"\nmain = \"dist/worker.js\"\n[build]\ncommand = \"sh build.sh\"\n",
                ),
                ("build.sh", FLAKY_BUILD),
                ("src/message.txt", "good"),
            ]);
            let config = c.path("wrangler.toml");
            let s = Server::start_command("dev", &["--config", &config, "--engine", engine], &[]);
            s.wait_for_log("watching for changes");
            assert_eq!(s.get("/").text(), "good", "{}", s.log());
            std::fs::write(c.path("src/message.txt"), "bad").unwrap();
            let log = s.wait_for_log("the previous version keeps serving");
            assert!(log.contains("[custom build] cannot build bad"), "{log}");
            assert!(log.contains("failed (exit status: 1)"), "{log}");
            assert_eq!(s.get("/").text(), "good");
            std::fs::write(c.path("src/message.txt"), "fixed").unwrap();
            wait_for(&s, "/", "fixed");
        },
    );
}

#[test]
fn the_build_runs_in_its_cwd() {
    on_each_engine("the_build_runs_in_its_cwd", |engine| {
        let c = TempConfig::new(&[
            (
                "wrangler.json",
                r#"{"name": "tools", "main": "dist/worker.js",
                    "build": {"command": "sh make.sh", "cwd": "tools"}}"#,
            ),
            (
                "tools/make.sh",
                "mkdir -p ../dist\necho \"export default { fetch() { return new Response('made in $(basename \"$PWD\")'); } };\" > ../dist/worker.js\n",
            ),
        ]);
        let s = Server::start(&["--config", &c.path("wrangler.json"), "--engine", engine]);
        assert_eq!(s.get("/").text(), "made in tools", "{}", s.log());
    });
}

#[test]
fn no_build_serves_what_is_there_and_says_what_is_missing() {
    let c = project("v1");
    let config = c.path("wrangler.json");
    let (code, _, stderr) = run_motu(&["check", "--no-build", "--config", &config]);
    assert_ne!(code, 0, "{stderr}");
    assert!(!stderr.contains("[custom build]"), "{stderr}");
    assert!(stderr.contains("(not run: --no-build)"), "{stderr}");
    let (code, _, stderr) = run_motu(&["check", "--config", &config]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run_motu(&["check", "--no-build", "--config", &config]);
    assert_eq!(code, 0, "{stderr}");
}
