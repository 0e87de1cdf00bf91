//! What the benches that load the real server share: starting `motu serve`
//! on an ephemeral port, a keep-alive HTTP/1.1 connection that reads whole
//! responses (by length or chunked), and a closed-loop load whose
//! connections send their next request as soon as the last one is
//! answered. Each bench prints its figures as ratios to a baseline it
//! measures in the same run with the same load.

#![allow(dead_code)]

pub mod redis;
pub mod syncs;
pub mod workerd;
pub mod wrangler;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary to bench: `MOTU_BIN` when set (a release build, say), else
/// the one Cargo built for this bench.
pub fn motu_bin() -> String {
    std::env::var("MOTU_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_motu").to_owned())
}

/// The environment variable `name` parsed, or `default` when it is unset
/// or does not parse.
pub fn setting<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The engines this build has: QuickJS, and V8 with the `v8` feature.
pub fn engines() -> &'static [&'static str] {
    if cfg!(feature = "v8") {
        &["quickjs", "v8"]
    } else {
        &["quickjs"]
    }
}

/// Copies the folder `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Where a server's stderr goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stderr {
    /// To this process's stderr.
    Inherit,
    /// Nowhere.
    Discard,
    /// Into a buffer that [`Server::log`] reads.
    Capture,
}

/// A running server process (`motu serve`, or another for a baseline),
/// killed when dropped, with the folder its config lives in.
pub struct Server {
    child: Child,
    /// `host:port` it listens on.
    pub addr: String,
    /// `host:port` of motu's admin listener, when it printed one.
    pub admin: Option<String>,
    /// The folder of its config and state, removed when dropped.
    pub dir: tempfile::TempDir,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in motu's "listening" line.
pub fn motu_address(line: &str) -> Option<String> {
    line.strip_prefix("motu listening on http://")
        .map(str::to_owned)
}

impl Server {
    /// Writes `files` (name, content) into a fresh folder and serves its
    /// `motu.toml` with `bin`.
    pub fn with_files(bin: &str, files: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        Server::serve(bin, dir)
    }

    /// `bin serve --config dir/motu.toml --listen 127.0.0.1:0`, logging at
    /// `warn` without colours.
    pub fn command(bin: &str, dir: &tempfile::TempDir) -> Command {
        let mut command = Command::new(bin);
        command
            .args(["serve", "--config"])
            .arg(dir.path().join("motu.toml"))
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1");
        command
    }

    /// Serves `dir/motu.toml` with `bin` and waits until it listens. The
    /// server's log goes to this process's stderr.
    pub fn serve(bin: &str, dir: tempfile::TempDir) -> Server {
        Server::spawn(
            Server::command(bin, &dir),
            dir,
            Stderr::Inherit,
            motu_address,
        )
    }

    /// Starts `command` and waits for the stdout line from which `addr_of`
    /// reads its address (motu's admin address is taken on the way).
    // The child is waited for in `Drop`.
    #[allow(clippy::zombie_processes)]
    pub fn spawn(
        mut command: Command,
        dir: tempfile::TempDir,
        stderr: Stderr,
        addr_of: impl Fn(&str) -> Option<String>,
    ) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(match stderr {
                Stderr::Inherit => Stdio::inherit(),
                Stderr::Discard => Stdio::null(),
                Stderr::Capture => Stdio::piped(),
            })
            .spawn()
            .expect("spawn the server");
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let sink = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let mut log = sink.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let mut admin = None;
        loop {
            line.clear();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "the server exited before listening"
            );
            if let Some(a) = line.trim().strip_prefix("motu admin listening on http://") {
                admin = Some(a.to_owned());
            }
            if let Some(addr) = addr_of(line.trim()) {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut stdout, &mut std::io::sink());
                });
                return Server {
                    child,
                    addr,
                    admin,
                    dir,
                    log,
                };
            }
        }
    }

    /// What the server wrote to stderr so far, when it is captured.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory, in MiB.
    pub fn resident_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        kib / 1024.0
    }

    /// The server's CPU time so far (user + system).
    pub fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // SAFETY: sysconf only reads a system setting.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        Duration::from_millis(ticks * 1000 / hz.max(1))
    }
}

/// A keep-alive connection that sends requests and reads whole responses,
/// opened again when the server closes it (after its
/// `keep_alive_max_requests`, or a `connection: close`).
pub struct Connection {
    addr: String,
    reader: BufReader<TcpStream>,
    scratch: Vec<u8>,
}

fn connect(addr: &str) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    BufReader::with_capacity(256 << 10, stream)
}

impl Connection {
    /// A connection to `addr`.
    pub fn open(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            reader: connect(addr),
            scratch: vec![0; 256 << 10],
        }
    }

    /// Sends a request; the status and the body's length.
    pub fn request(&mut self, method: &str, host: &str, path: &str, body: &[u8]) -> (u16, usize) {
        self.exchange(method, host, path, body, None)
    }

    /// Sends a request; the status and the body.
    pub fn request_body(
        &mut self,
        method: &str,
        host: &str,
        path: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let mut answer = Vec::new();
        let (status, _) = self.exchange(method, host, path, body, Some(&mut answer));
        (status, answer)
    }

    fn exchange(
        &mut self,
        method: &str,
        host: &str,
        path: &str,
        body: &[u8],
        mut keep: Option<&mut Vec<u8>>,
    ) -> (u16, usize) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let mut line = String::new();
        for attempt in 0.. {
            let stream = self.reader.get_mut();
            let sent = stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(body));
            line.clear();
            if sent.is_ok() && self.reader.read_line(&mut line).unwrap_or(0) > 0 {
                break;
            }
            assert!(attempt < 3, "the server keeps closing the connection");
            self.reader = connect(&self.addr);
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
            if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            }
        }
        let mut total = 0;
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).unwrap();
                let size = usize::from_str_radix(line.trim(), 16).unwrap();
                self.read(size, keep.as_deref_mut());
                self.read(2, None);
                if size == 0 {
                    break;
                }
                total += size;
            }
        } else {
            total = length.unwrap_or(0);
            self.read(total, keep);
        }
        if close {
            self.reader = connect(&self.addr);
        }
        (status, total)
    }

    /// Reads `n` bytes, appended to `keep` when given.
    fn read(&mut self, mut n: usize, mut keep: Option<&mut Vec<u8>>) {
        while n > 0 {
            let want = n.min(self.scratch.len());
            self.reader.read_exact(&mut self.scratch[..want]).unwrap();
            if let Some(keep) = keep.as_deref_mut() {
                keep.extend_from_slice(&self.scratch[..want]);
            }
            n -= want;
        }
    }
}

/// What every connection of a load sends.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    /// The request's method.
    pub method: &'a str,
    /// Its `Host`, which picks the Worker.
    pub host: &'a str,
    /// Its path.
    pub path: &'a str,
    /// Its body.
    pub body: &'a [u8],
    /// The body length every answer must have, when it is known.
    pub length: Option<usize>,
}

impl<'a> Target<'a> {
    /// `GET path` to `host`.
    pub fn get(host: &'a str, path: &'a str) -> Self {
        Target {
            method: "GET",
            host,
            path,
            body: b"",
            length: None,
        }
    }

    /// The same, with every answer's body `length` bytes long.
    pub fn answering(self, length: usize) -> Self {
        Target {
            length: Some(length),
            ..self
        }
    }
}

/// What a load measured.
pub struct Rate {
    /// Answers per second.
    pub requests: f64,
    /// Answer body bytes per second.
    pub bytes: f64,
    /// Answers counted.
    pub answers: u64,
    /// Every answer, warm-up and the requests in flight at the end
    /// included.
    pub all_answers: u64,
}

/// `connections` closed-loop clients send `target` for `warmup` (not
/// counted), then for `time`; every answer must be a 200 (of the target's
/// length, when it has one).
pub fn load(
    addr: &str,
    target: Target,
    connections: usize,
    warmup: Duration,
    time: Duration,
) -> Rate {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let all = Arc::new(AtomicU64::new(0));
    let rate = std::thread::scope(|scope| {
        for _ in 0..connections {
            let (measuring, stop) = (measuring.clone(), stop.clone());
            let (answers, bytes, all) = (answers.clone(), bytes.clone(), all.clone());
            scope.spawn(move || {
                let mut c = Connection::open(addr);
                while !stop.load(Ordering::Relaxed) {
                    let (status, n) =
                        c.request(target.method, target.host, target.path, target.body);
                    assert_eq!(status, 200, "{}{}", target.host, target.path);
                    if let Some(length) = target.length {
                        assert_eq!(n, length, "{}{}", target.host, target.path);
                    }
                    all.fetch_add(1, Ordering::Relaxed);
                    if measuring.load(Ordering::Relaxed) {
                        answers.fetch_add(1, Ordering::Relaxed);
                        bytes.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            });
        }
        std::thread::sleep(warmup);
        measuring.store(true, Ordering::Relaxed);
        let started = Instant::now();
        std::thread::sleep(time);
        measuring.store(false, Ordering::Relaxed);
        let elapsed = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let answers = answers.load(Ordering::Relaxed);
        Rate {
            requests: answers as f64 / elapsed,
            bytes: bytes.load(Ordering::Relaxed) as f64 / elapsed,
            answers,
            all_answers: 0,
        }
    });
    Rate {
        all_answers: all.load(Ordering::Relaxed),
        ..rate
    }
}
