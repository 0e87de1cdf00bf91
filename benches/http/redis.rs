//! A `redis-server` of a bench's own, and `redis-benchmark`'s figure for
//! the same machine (the limit a Redis-backed measure is put beside).

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on a free loopback port, killed when dropped.
pub struct Redis {
    child: Child,
    /// Its port.
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Redis {
    /// Starts one with `args` besides its port, folder and loopback
    /// address, once it answers; `None` when it cannot run
    /// (scripts/install-redis.sh installs it).
    // The child is waited for in `Drop`.
    #[allow(clippy::zombie_processes)]
    pub fn start(args: &[&str]) -> Option<Redis> {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(args)
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = Redis {
            child,
            port,
            _dir: dir,
        };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(30) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    /// Its URL, database 0.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// `redis-benchmark -n 200000 -q -c connections ARGS…` against it: the
    /// requests per second of its (last) figure.
    pub fn benchmark(&self, connections: usize, args: &[&str]) -> Option<f64> {
        let out = Command::new("redis-benchmark")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-n", "200000", "-q", "-c", &connections.to_string()])
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        // "GET: 81234.56 requests per second, p50=0.055 msec"
        let line = text
            .split(['\r', '\n'])
            .rev()
            .find(|l| l.contains("requests per second"))?;
        line.rsplit_once(": ")?
            .1
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }
}
