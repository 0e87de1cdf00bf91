//! Shared helpers of the integration tests: a real `motu` server on an
//! ephemeral loopback port, a tiny HTTP/1.1 client, and the per-engine
//! expectations.

#![allow(dead_code)]

pub mod certs;
pub mod durability;
pub mod durable;
pub mod editor;
pub mod mariadb;
pub mod postgres;
pub mod redis;
pub mod ws;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The engines this build has.
pub fn engines() -> &'static [&'static str] {
    if cfg!(feature = "v8") {
        &["quickjs", "v8"]
    } else {
        &["quickjs"]
    }
}

/// Runs `case` once per engine, honouring `tests/expectations.txt`: a case
/// listed there for an engine must fail on it (and the run fails if it
/// passes, so the list is kept true).
pub fn on_each_engine(name: &str, case: impl Fn(&str) + std::panic::RefUnwindSafe) {
    for engine in engines() {
        let expected_failure = expected_failure(engine, name);
        let outcome = std::panic::catch_unwind(|| case(engine));
        match (outcome, expected_failure) {
            (Ok(()), None) => {}
            (Err(e), None) => std::panic::resume_unwind(e),
            (Err(_), Some(reason)) => eprintln!("{name} on {engine}: expected failure ({reason})"),
            (Ok(()), Some(_)) => panic!(
                "{name} on {engine} passed but tests/expectations.txt expects it to fail: remove the line"
            ),
        }
    }
}

/// The reason `tests/expectations.txt` gives for `case` failing on `engine`.
pub fn expected_failure(engine: &str, case: &str) -> Option<String> {
    include_str!("../expectations.txt")
        .lines()
        .find_map(|line| {
            let line = line.trim();
            if line.starts_with('#') || line.is_empty() {
                return None;
            }
            let mut parts = line.splitn(3, char::is_whitespace);
            let (e, c, reason) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
            (e == engine && c == case).then(|| reason.trim().to_owned())
        })
}

/// The path of a fixture under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
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

/// A `motu` process serving on a loopback port; killed when dropped.
pub struct Server {
    child: Child,
    /// `host:port` it listens on.
    pub addr: String,
    /// `host:port` of its admin listener, when it has one.
    pub admin: Option<String>,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// `motu serve ARGS… --listen 127.0.0.1:0`, once it listens.
    // The child is waited for in `Drop`, or before panicking.
    #[allow(clippy::zombie_processes)]
    pub fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    /// [`Server::start`] with extra environment variables.
    #[allow(clippy::zombie_processes)]
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        Server::start_command("serve", args, env)
    }

    /// `motu COMMAND ARGS… --listen 127.0.0.1:0` (`serve` or `dev`), with
    /// extra environment variables, once it listens.
    #[allow(clippy::zombie_processes)]
    pub fn start_command(command: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut all = args.to_vec();
        all.extend(["--listen", "127.0.0.1:0"]);
        Server::start_in(None, command, &all, env)
    }

    /// `motu COMMAND ARGS…` run in the folder `dir` (or this process's),
    /// with extra environment variables, once it listens. The arguments
    /// must pick a free port (e.g. `--port 0`).
    #[allow(clippy::zombie_processes)]
    pub fn start_in(
        dir: Option<&Path>,
        command: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_motu"));
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .arg(command)
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn motu");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let mut admin = None;
        loop {
            line.clear();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "motu exited before listening; log:\n{}",
                    log.lock().unwrap()
                );
            }
            if let Some(a) = line.trim().strip_prefix("motu admin listening on http://") {
                admin = Some(a.to_owned());
            }
            if let Some(addr) = line.trim().strip_prefix("motu listening on http://") {
                let addr = addr.to_owned();
                std::thread::spawn(move || {
                    let mut rest = String::new();
                    let _ = stdout.read_to_string(&mut rest);
                });
                return Server {
                    child,
                    addr,
                    admin,
                    log,
                };
            }
        }
    }

    /// One Worker file served with an engine, plus extra arguments.
    pub fn worker(file: &str, engine: &str, extra: &[&str]) -> Server {
        let path = fixture(file);
        let mut args = vec![path.to_str().unwrap(), "--engine", engine];
        args.extend_from_slice(extra);
        Server::start(&args)
    }

    /// A request to `path` with `Host: localhost`.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    /// Any request; one that gets no answer fails the test with the
    /// server's log (did it stop, or never answer?).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let asked = Instant::now();
        try_request(&self.addr, method, path, headers, body).unwrap_or_else(|| {
            panic!(
                "{method} {path}: no answer after {:?}; log:\n{}",
                asked.elapsed(),
                self.log()
            )
        })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (a name for `kill -s`, e.g. `TERM`) to the server.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {signal} failed");
    }

    /// Waits up to `timeout` for the server to exit: its exit code, or
    /// `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status.code().unwrap_or(-1));
            }
            if start.elapsed() > timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server with SIGKILL (`kill -9`: no chance to clean up)
    /// and waits for it to be gone.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle` (up to 60 s: a busy machine
    /// may be slow to get there, and only a failing test waits that long).
    pub fn wait_for_log(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let log = self.log();
            if log.contains(needle) || start.elapsed() > Duration::from_secs(60) {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response as the tests see it.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How long [`try_request`] waits for a response before it gives up.
pub const REQUEST_PATIENCE: Duration = Duration::from_secs(300);

/// Sends one HTTP/1.1 request on a fresh connection and reads the response.
/// A `host` header in `headers` replaces the default `localhost`.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    try_request(addr, method, path, headers, body).expect("the server answers")
}

/// Like [`request`], but `None` when the connection fails.
pub fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Response> {
    let mut stream = TcpStream::connect(addr).ok()?;
    // Only a server that hangs waits this long: a request that takes a few
    // seconds of CPU time on a quiet machine (a debug build's long sorts
    // and parses) may take over half a minute when a busy machine gives
    // its thread a fifth of a core.
    stream.set_read_timeout(Some(REQUEST_PATIENCE)).ok()?;
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str("host: localhost\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    // A connection cut before the head (the server died) is no response.
    if !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return None;
    }
    Some(parse_response(&raw))
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Writes a config file (and Worker files) into a fresh temporary folder.
pub struct TempConfig {
    /// The folder.
    pub dir: tempfile::TempDir,
}

impl TempConfig {
    /// A folder with the given files.
    pub fn new(files: &[(&str, &str)]) -> TempConfig {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        TempConfig { dir }
    }

    /// The path of a file in it.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }
}

/// Runs `motu ARGS…` to completion: (exit code, stdout, stderr).
pub fn run_motu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_motu"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tiny HTTP/1.1 origin server on a loopback port, for Workers'
/// subrequests to reach: each connection serves one request and closes.
///
/// - `/hello` answers `hello from origin`;
/// - `/echo` answers `METHOD BODY` with the request's `x-test` header
///   returned as `x-seen`;
/// - `/redirect?status=S&to=PATH` answers status S with `location: PATH`;
/// - `/loop` redirects to itself;
/// - `/stream` sends `first`, then `last` half a second later (chunked);
/// - `/held` sends `first`, then `last` once the test calls
///   [`Origin::release`] (chunked);
/// - `/slow` answers after 3 seconds.
pub struct Origin {
    /// `127.0.0.1:port`.
    pub addr: String,
    /// Requests served so far.
    pub served: Arc<std::sync::atomic::AtomicUsize>,
    released: Arc<std::sync::atomic::AtomicBool>,
}

impl Origin {
    /// Starts it on a thread that lives as long as the test process.
    pub fn start() -> Origin {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let released = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let count = served.clone();
        let gate = released.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let count = count.clone();
                let gate = gate.clone();
                std::thread::spawn(move || {
                    if serve_origin_request(stream, &gate).is_ok() {
                        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
        });
        Origin {
            addr,
            served,
            released,
        }
    }

    /// Lets `/held` send the rest of its body.
    pub fn release(&self) {
        self.released
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn serve_origin_request(
    stream: TcpStream,
    released: &std::sync::atomic::AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("/").to_owned();
    let mut length = 0;
    let mut chunked = false;
    let mut x_test = String::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
            "x-test" => x_test = value.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    while chunked {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk)?;
        body.extend_from_slice(&chunk[..size]);
        chunked = size > 0;
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let param = |key: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or("")
            .to_owned()
    };
    let (status, extra, text) = match path {
        "/hello" => (200, String::new(), "hello from origin".to_owned()),
        "/echo" => (
            200,
            format!("x-seen: {x_test}\r\n"),
            format!("{method} {}", String::from_utf8_lossy(&body)),
        ),
        "/redirect" => (
            param("status").parse().unwrap_or(302),
            format!("location: {}\r\n", param("to")),
            String::new(),
        ),
        "/stream" => {
            // Two chunks, half a second apart.
            let mut out = stream;
            write!(out, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nfirst\r\n")?;
            out.flush()?;
            std::thread::sleep(Duration::from_millis(500));
            write!(out, "4\r\nlast\r\n0\r\n\r\n")?;
            return out.flush();
        }
        "/held" => {
            // `first`, then `last` once the test releases it.
            let mut out = stream;
            write!(out, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nfirst\r\n")?;
            out.flush()?;
            while !released.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
            write!(out, "4\r\nlast\r\n0\r\n\r\n")?;
            return out.flush();
        }
        "/loop" => (302, "location: /loop\r\n".to_owned(), String::new()),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            (200, String::new(), "slow".to_owned())
        }
        _ => (404, String::new(), "not found".to_owned()),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{text}",
        text.len()
    )?;
    out.flush()
}

/// Keeps asking a well-behaved Worker (by its `host` header) while a test
/// runs, and counts the answers that were not exactly `200 expected`.
pub struct Bystander {
    stop: Arc<std::sync::atomic::AtomicBool>,
    wrong: Arc<std::sync::atomic::AtomicUsize>,
    served: Arc<std::sync::atomic::AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Bystander {
    /// Starts asking `host` on the server at `addr` every few milliseconds
    /// (for at most five minutes).
    pub fn start(addr: &str, host: &str, expected: &str) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let stop = Arc::new(AtomicBool::new(false));
        let wrong = Arc::new(AtomicUsize::new(0));
        let served = Arc::new(AtomicUsize::new(0));
        let (s, w, n) = (stop.clone(), wrong.clone(), served.clone());
        let (addr, host, expected) = (addr.to_owned(), host.to_owned(), expected.to_owned());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(300);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                let r = try_request(&addr, "GET", "/", &[("host", &host)], b"");
                if r.map(|r| (r.status, r.text())) != Some((200, expected.clone())) {
                    w.fetch_add(1, Ordering::SeqCst);
                }
                n.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            stop,
            wrong,
            served,
            thread: Some(thread),
        }
    }

    /// Stops asking: (answers, wrong answers).
    pub fn finish(mut self) -> (usize, usize) {
        use std::sync::atomic::Ordering;
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        (
            self.served.load(Ordering::SeqCst),
            self.wrong.load(Ordering::SeqCst),
        )
    }
}

/// The admin listener's metrics.
pub fn metrics(server: &Server) -> String {
    let admin = server.admin.clone().expect("an admin listener");
    request(&admin, "GET", "/metrics", &[], b"").text()
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

/// Whether the tests run as root (CI does): database servers then run as
/// their package's own user.
pub fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A loopback port free when asked (for a server a test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
