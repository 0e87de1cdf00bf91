//! `wrangler dev --local`, Cloudflare's development server (Node.js
//! driving workerd through Miniflare), as a peer that a bench measures
//! beside motu in the same run. One `wrangler dev` serves one Worker (its
//! `wrangler.toml`), on a port of this machine's loopback; it starts
//! offline (it only warns that it cannot fetch the `Request.cf` object).
//!
//! Benches do not install it: `scripts/install-wrangler.sh` does, from npm,
//! into the compare cache; without it a bench skips wrangler and says so.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The wrangler binary: `WRANGLER_BIN` when set, else the one
/// `scripts/install-wrangler.sh` installs into the [compare
/// cache](super::workerd::compare_cache); `None` when there is none.
pub fn binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("WRANGLER_BIN") {
        return Some(bin.into());
    }
    let bin = super::workerd::compare_cache()?.join("wrangler/node_modules/.bin/wrangler");
    bin.is_file().then_some(bin)
}

/// What `bin --version` prints (`4.86.0`), or `unknown`.
pub fn version(bin: &Path) -> String {
    super::workerd::version(bin)
}

/// A running `wrangler dev`, stopped when dropped (SIGTERM, so that it
/// stops the workerd processes it started), with its Worker's folder.
pub struct Wrangler {
    child: Child,
    /// `127.0.0.1:port` it listens on.
    pub addr: String,
    /// The folder of its `wrangler.toml` (and its `.wrangler` state).
    pub dir: tempfile::TempDir,
}

impl Drop for Wrangler {
    fn drop(&mut self) {
        // SAFETY: `kill` only sends a signal, to the process this struct
        // started and has not waited for yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// Whether `addr` answers `GET /` with a 200.
fn answers(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let request = b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n";
    let mut head = [0u8; 12];
    stream.write_all(request).is_ok()
        && stream.read_exact(&mut head).is_ok()
        && head.starts_with(b"HTTP/1.1 200")
}

impl Wrangler {
    /// `bin dev --local` in `dir` (which holds `wrangler.toml` and the
    /// Worker's files) on a free loopback port, once `GET /` answers 200.
    /// Its output is discarded; metrics are not sent.
    // The child is waited for in `Drop`.
    #[allow(clippy::zombie_processes)]
    pub fn dev(bin: &Path, dir: tempfile::TempDir) -> Wrangler {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .args(["dev", "--local", "--ip", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .args(["--inspector-port", "0", "--log-level", "warn"])
            .arg("--show-interactive-dev-session=false")
            .current_dir(dir.path())
            .env("WRANGLER_SEND_METRICS", "false")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn wrangler");
        let mut wrangler = Wrangler {
            child,
            addr: format!("127.0.0.1:{port}"),
            dir,
        };
        let started = Instant::now();
        while !answers(&wrangler.addr) {
            assert!(
                wrangler.child.try_wait().unwrap().is_none(),
                "wrangler dev exited before answering"
            );
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "wrangler dev did not answer within 2 minutes"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        wrangler
    }

    /// The process ids of wrangler and of every process under it (its
    /// workerd processes among them).
    pub fn pids(&self) -> Vec<u32> {
        let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
                Some((pid, ppid.parse().ok()?))
            })
            .collect();
        let mut pids = vec![self.child.id()];
        let mut i = 0;
        while i < pids.len() {
            let parent = pids[i];
            pids.extend(
                parents
                    .iter()
                    .filter(|(_, p)| *p == parent)
                    .map(|(c, _)| *c),
            );
            i += 1;
        }
        pids
    }
}
