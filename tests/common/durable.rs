//! What the Durable Object tests share: a server of a fixture project on a
//! state folder, the admin listener's metrics, JSON answers.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Server;

/// Starts `motu` on `tests/projects/<project>/<config>` with `engine`, its
/// state in `state`, and `extra` arguments.
pub fn serve_project(
    project: &str,
    config: &str,
    engine: &str,
    state: &Path,
    extra: &[&str],
) -> Server {
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/projects")
        .join(project)
        .join(config);
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--engine",
        engine,
        "--persist-to",
        state.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A temporary folder and the state folder inside it (not made yet).
pub fn state_folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    (dir, state)
}

/// The admin listener's metrics.
pub fn metrics(server: &Server) -> String {
    let admin = server.admin.clone().expect("an admin listener");
    super::request(&admin, "GET", "/metrics", &[], b"").text()
}

/// Waits until the metrics hold every line of `lines`.
pub fn wait_for_metrics(server: &Server, lines: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = metrics(server);
        if lines.iter().all(|l| text.lines().any(|t| t == *l)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the metrics never showed {lines:?}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The JSON answer to `GET path`, which must be a 200.
pub fn get_json(server: &Server, path: &str) -> serde_json::Value {
    let response = server.get(path);
    assert_eq!(
        response.status,
        200,
        "{path}: {}\n{}",
        response.text(),
        server.log()
    );
    response.json()
}
