//! R2 `get` of a 1 MiB object through a Worker over HTTP, beside the hello
//! Worker measured in the same run, per engine.
//!
//! One `motu serve` (release build) runs two Workers: the fixture project
//! `tests/projects/storage-r2` (`GET /get/KEY` answers
//! `new Response(object.body)` with the object's HTTP metadata) and
//! `benches/workers/hello.js`. Keep-alive HTTP/1.1 connections from this
//! process send requests back to back; after a warm-up, each load runs for
//! a fixed time. Printed: hello req/s; R2 get req/s, as a ratio to hello;
//! and the body bytes per second the R2 Worker served (GB/s, 10^9 bytes;
//! the target is at least 1 GB/s).
//!
//! `cargo bench --bench storage_r2` (QuickJS); add `--features v8` for
//! both engines. `R2_BENCH_SECS` sets the seconds per load (default 5),
//! `R2_BENCH_CONNECTIONS` the connections (default 8), `MOTU_BIN` another
//! build of the binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const OBJECT: usize = 1 << 20;

struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// The child is waited for in `Drop`.
#[allow(clippy::zombie_processes)]
fn start(bin: &str, engine: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy(&root.join("tests/projects/storage-r2"), dir.path());
    std::fs::copy(
        root.join("benches/workers/hello.js"),
        dir.path().join("hello.js"),
    )
    .unwrap();
    let config = format!(
        "[server]\nengine = \"{engine}\"\n\
         [[workers]]\nname = \"r2\"\nmain = \"src/index.ts\"\nroutes = [\"r2.test/*\"]\n\
         [[workers.r2_buckets]]\nbinding = \"BUCKET\"\nbucket_name = \"bench\"\n\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n"
    );
    std::fs::write(dir.path().join("motu.toml"), config).unwrap();
    let mut child = Command::new(bin)
        .args(["serve", "--config"])
        .arg(dir.path().join("motu.toml"))
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn motu");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "motu exited before listening"
        );
        if let Some(addr) = line.trim().strip_prefix("motu listening on http://") {
            let addr = addr.to_owned();
            std::thread::spawn(move || {
                let mut rest = String::new();
                let _ = stdout.read_to_string(&mut rest);
            });
            return Server {
                child,
                addr,
                _dir: dir,
            };
        }
    }
}

/// A keep-alive connection that sends requests and reads whole responses,
/// opened again when the server closes it (after its
/// `keep_alive_max_requests`).
struct Connection {
    addr: String,
    reader: BufReader<TcpStream>,
    buf: Vec<u8>,
}

fn connect(addr: &str) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    BufReader::with_capacity(256 << 10, stream)
}

impl Connection {
    fn open(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            reader: connect(addr),
            buf: vec![0; 256 << 10],
        }
    }

    /// Sends a request; returns the status and the body's length.
    fn request(&mut self, method: &str, host: &str, path: &str, body: &[u8]) -> (u16, usize) {
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
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = Some(v.trim().parse::<usize>().unwrap());
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        let mut total = 0;
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).unwrap();
                let size = usize::from_str_radix(line.trim(), 16).unwrap();
                self.skip(size + 2);
                if size == 0 {
                    break;
                }
                total += size;
            }
        } else {
            total = length.unwrap_or(0);
            self.skip(total);
        }
        (status, total)
    }

    fn skip(&mut self, mut n: usize) {
        while n > 0 {
            let want = n.min(self.buf.len());
            self.reader.read_exact(&mut self.buf[..want]).unwrap();
            n -= want;
        }
    }
}

/// Requests per second and body bytes per second of `path` on `host`,
/// over `connections` connections for `time` after a warm-up.
fn load(addr: &str, host: &str, path: &str, connections: usize, time: Duration) -> (f64, f64) {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (addr, host, path) = (addr.to_owned(), host.to_owned(), path.to_owned());
            let (measuring, stop) = (measuring.clone(), stop.clone());
            let (requests, bytes) = (requests.clone(), bytes.clone());
            std::thread::spawn(move || {
                let mut c = Connection::open(&addr);
                while !stop.load(Ordering::Relaxed) {
                    let (status, n) = c.request("GET", &host, &path, b"");
                    assert_eq!(status, 200, "{host}{path}");
                    if measuring.load(Ordering::Relaxed) {
                        requests.fetch_add(1, Ordering::Relaxed);
                        bytes.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(time);
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    (
        requests.load(Ordering::Relaxed) as f64 / elapsed,
        bytes.load(Ordering::Relaxed) as f64 / elapsed,
    )
}

fn main() {
    let bin = std::env::var("MOTU_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_motu").to_owned());
    let secs: u64 = std::env::var("R2_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let connections: usize = std::env::var("R2_BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let engines: &[&str] = if cfg!(feature = "v8") {
        &["quickjs", "v8"]
    } else {
        &["quickjs"]
    };
    println!("binary: {bin}; {connections} connections, {secs} s per load after 1 s of warm-up");
    println!(
        "| engine | hello req/s | R2 get 1 MiB req/s | ÷ hello | body GB/s |\n| --- | ---: | ---: | ---: | ---: |"
    );
    for engine in engines {
        let s = start(&bin, engine);
        let object: Vec<u8> = (0..OBJECT).map(|i| (i % 251) as u8).collect();
        let (status, _) =
            Connection::open(&s.addr).request("PUT", "r2.test", "/put/bench-1mib", &object);
        assert_eq!(status, 200, "storing the object");
        let time = Duration::from_secs(secs);
        let (hello, _) = load(&s.addr, "hello.test", "/", connections, time);
        let (r2, body) = load(&s.addr, "r2.test", "/get/bench-1mib", connections, time);
        println!(
            "| {engine} | {hello:.0} | {r2:.0} | {:.3}× | {:.2} |",
            r2 / hello,
            body / 1e9
        );
    }
}
