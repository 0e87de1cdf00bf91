//! workerd, Cloudflare's open-source Workers runtime (the runtime inside
//! `wrangler dev`), as a peer that a bench measures beside motu in the
//! same run: where its binary is, and serving a Cap'n Proto config whose
//! sockets listen on ephemeral ports (`127.0.0.1:0`), which workerd
//! reports on its control pipe (`--control-fd`, one JSON line per socket).
//!
//! Benches do not install it: `scripts/install-workerd.sh` does, from npm,
//! into the compare cache that `benches/compare/run.sh` uses too; without
//! it a bench skips workerd and says so.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The folder that `scripts/install-workerd.sh` and
/// `scripts/install-wrangler.sh` install into: `$MOTU_COMPARE_CACHE`, else
/// `$XDG_CACHE_HOME/motu-compare`, else `~/.cache/motu-compare`.
pub fn compare_cache() -> Option<PathBuf> {
    std::env::var_os("MOTU_COMPARE_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| Path::new(&d).join("motu-compare")))
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/motu-compare")))
}

/// The workerd binary: `WORKERD_BIN` when set, else the one
/// `scripts/install-workerd.sh` installs into the [compare
/// cache](compare_cache); `None` when there is none.
pub fn binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("WORKERD_BIN") {
        return Some(bin.into());
    }
    let bin = compare_cache()?.join("npm/node_modules/.bin/workerd");
    bin.is_file().then_some(bin)
}

/// The first line `bin --version` prints (`workerd 2026-11-23`), or
/// `unknown`.
pub fn version(bin: &Path) -> String {
    Command::new(bin)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A running `workerd serve`, killed when dropped, with the folder of its
/// config (and whatever storage the config puts there).
pub struct Workerd {
    child: Child,
    ports: HashMap<String, u16>,
    /// The folder of `config.capnp`, removed when dropped.
    pub dir: tempfile::TempDir,
}

impl Drop for Workerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The socket and port of a control line such as
/// `{"event":"listen","socket":"http","port":8080}`.
fn listening(line: &str) -> Option<(String, u16)> {
    let event: serde_json::Value = serde_json::from_str(line).ok()?;
    if event["event"] != "listen" {
        return None;
    }
    let socket = event["socket"].as_str()?.to_owned();
    let port = u16::try_from(event["port"].as_u64()?).ok()?;
    Some((socket, port))
}

impl Workerd {
    /// Serves `dir/config.capnp` (its `config` constant) with `bin` and
    /// waits until each of `sockets` listens. Its log goes to this
    /// process's stderr.
    // The child is waited for in `Drop`.
    #[allow(clippy::zombie_processes)]
    pub fn serve(bin: &Path, dir: tempfile::TempDir, sockets: &[&str]) -> Workerd {
        let mut child = Command::new(bin)
            .arg("serve")
            .arg(dir.path().join("config.capnp"))
            .args(["--control-fd", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn workerd");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ports = HashMap::new();
        let mut line = String::new();
        while sockets.iter().any(|s| !ports.contains_key(*s)) {
            line.clear();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "workerd exited before listening"
            );
            ports.extend(listening(line.trim()));
        }
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        Workerd { child, ports, dir }
    }

    /// `127.0.0.1:port` of the socket named `socket` in the config.
    pub fn addr(&self, socket: &str) -> String {
        format!("127.0.0.1:{}", self.ports[socket])
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}
