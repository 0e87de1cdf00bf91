//! A Yjs editor for the tests: `tests/projects/partyserver/client/editor.mjs`
//! run by Node.js (`y-partyserver`'s provider syncing a `Y.Doc` over a real
//! WebSocket), driven over its standard streams: one JSON command a line
//! in, one JSON event a line out (see the script).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};

use serde_json::{json, Value};

use super::ws::PATIENCE;

/// One editor of a document: a Node.js process.
pub struct Editor {
    child: Child,
    stdin: ChildStdin,
    events: Receiver<Value>,
    /// The shared text as the editor last told it.
    pub text: String,
}

impl Editor {
    /// Opens document `name` of the `Document` server at `addr`
    /// (`host:port`) and waits until the first sync is done.
    pub fn open(addr: &str, name: &str) -> Editor {
        let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/projects/partyserver");
        let mut child = Command::new("node")
            .current_dir(&project)
            .args(["client/editor.mjs", addr, name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node (scripts/install-test-projects.sh installs it)");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, events) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let event = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("the editor printed {line:?}: {e}"));
                if tx.send(event).is_err() {
                    return;
                }
            }
        });
        let mut editor = Editor {
            child,
            stdin,
            events,
            text: String::new(),
        };
        editor.until(|event| event.get("synced").is_some());
        editor
    }

    /// Reads events until one `done` accepts (keeping track of the text).
    fn until(&mut self, done: impl Fn(&Value) -> bool) {
        loop {
            let event = self
                .events
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("the editor's text stayed {:?}", self.text));
            if let Some(text) = event.get("text").or_else(|| event.get("synced")) {
                self.text = text.as_str().unwrap().to_owned();
            }
            if done(&event) {
                return;
            }
        }
    }

    /// Waits until the shared text is `text`.
    pub fn wait_for_text(&mut self, text: &str) {
        if self.text != text {
            self.until(|event| {
                event.get("text").or_else(|| event.get("synced")) == Some(&json!(text))
            });
        }
    }

    /// Inserts `text` at `index` of the shared text.
    pub fn insert(&mut self, index: usize, text: &str) {
        let command = json!({ "insert": [index, text] });
        writeln!(self.stdin, "{command}").unwrap();
    }

    /// Closes the editor's socket and waits until the process is done.
    pub fn close(mut self) {
        writeln!(self.stdin, "{}", json!({ "close": true })).unwrap();
        let deadline = std::time::Instant::now() + PATIENCE;
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "the editor never exited"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
