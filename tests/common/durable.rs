//! What the Durable Object tests share: a server of a fixture project on a
//! state folder, JSON answers, a WebSocket echo server for the objects'
//! own sockets to dial (the admin metrics helpers are in `common`).

use std::path::{Path, PathBuf};

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
    serve_project_with_env(project, config, engine, state, extra, &[])
}

/// Like [`serve_project`], with extra environment variables (`MOTU_…`
/// overrides of the settings).
pub fn serve_project_with_env(
    project: &str,
    config: &str,
    engine: &str,
    state: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
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
    Server::start_with_env(&args, env)
}

/// A temporary folder and the state folder inside it (not made yet).
pub fn state_folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    (dir, state)
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

/// Waits until the `durable-objects` fixture's object `name` has run its
/// alarm handler `runs` times: its report (`/do/<name>/alarms`).
pub fn wait_for_alarm_runs(server: &Server, name: &str, runs: usize) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let report = get_json(server, &format!("/do/{name}/alarms"));
        if report["runs"].as_array().unwrap().len() >= runs {
            return report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the alarm never ran {runs} times: {report}\n{}",
            server.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A WebSocket server that echoes each text message (`echo: <text>`) and
/// reports how each connection's socket was closed: the close frame's
/// code and reason (1006 and why, for a connection lost without one). Its
/// `host:port`.
pub fn echo_listener() -> (String, std::sync::mpsc::Receiver<(u16, String)>) {
    use tokio_tungstenite::tungstenite::{accept, Message};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut ws = match accept(stream) {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = tx.send((1006, e.to_string()));
                        return;
                    }
                };
                loop {
                    match ws.read() {
                        Ok(Message::Text(t)) => {
                            let _ = ws.send(Message::text(format!("echo: {}", t.as_str())));
                        }
                        Ok(Message::Close(frame)) => {
                            let closed = frame.map_or((1005, String::new()), |f| {
                                (u16::from(f.code), f.reason.as_str().to_owned())
                            });
                            let _ = tx.send(closed);
                            return;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            let _ = tx.send((1006, e.to_string()));
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, rx)
}
