//! KV through a Worker over HTTP, on the Redis backend (`[cluster] redis`)
//! beside the embedded one, per engine: two `motu serve` processes (the
//! bench build) with the same Worker, one keeping its namespace in its
//! state folder (SQLite), one in a `redis-server` this bench starts on a
//! free loopback port. Each is driven by the same closed-loop load
//! (CONNECTIONS keep-alive connections, each sending its next request when
//! the last answer arrived) for SECONDS per measure, alternating, best of
//! ROUNDS: `get` of a 1 KiB value and `put` of a 1 KiB value. Prints the
//! req/s and the ratios Redis/embedded measured in the same run (the
//! target: Redis get at least 0.5x embedded get), then `redis-benchmark`'s
//! own GET figure against the same server, the limit of what Redis gives
//! on this machine.
//!
//! The Worker's CPU limit is raised to 1 s: on a busy machine an embedded
//! put's share of SQLite's work (a WAL checkpoint, now and then) can pass
//! the default 50 ms, which is not what this measures.
//!
//! The two backends do not promise the same thing: an embedded put is on
//! disk (SQLite, `synchronous=FULL`) when it is acknowledged; a Redis put
//! is as durable as the Redis server is configured to make it (here its
//! defaults: no append-only file).
//!
//! `cargo bench --bench kv_redis` (QuickJS); add `--features v8` for both.
//! `KV_BENCH_SECONDS` and `KV_BENCH_CONNECTIONS` change the load. Needs
//! `redis-server` and `redis-benchmark` (scripts/install-redis.sh).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;

const KV: &str = "export default {\n  async fetch(request, env) {\n    if (new URL(request.url).pathname === '/put') {\n      await env.KV.put('k', 'v'.repeat(1024));\n      return new Response('stored');\n    }\n    return new Response(await env.KV.get('k'));\n  },\n};\n";

struct Process {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// The child is waited for in `Drop`.
#[allow(clippy::zombie_processes)]
fn redis_server() -> (Process, u16) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server runs (scripts/install-redis.sh installs it)");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "redis-server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (Process { child, _dir: dir }, port)
}

// The child is waited for in `Drop`.
#[allow(clippy::zombie_processes)]
fn motu(engine: &str, redis: Option<&str>) -> (Process, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kv.js"), KV).unwrap();
    let cluster = redis
        .map(|url| format!("[cluster]\nredis = \"{url}\"\n"))
        .unwrap_or_default();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n{cluster}\
         [limits]\ncpu_ms = 1000\n\
         [[workers]]\nname = \"kv\"\nmain = \"kv.js\"\n\
         [[workers.kv_namespaces]]\nbinding = \"KV\"\nid = \"bench\"\n"
    );
    std::fs::write(dir.path().join("motu.toml"), config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_motu"))
        .args(["serve", "--config"])
        .arg(dir.path().join("motu.toml"))
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn motu");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "motu exited");
        if let Some(addr) = line.trim().strip_prefix("motu listening on http://") {
            let addr = addr.to_owned();
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut stdout, &mut std::io::sink());
            });
            return (Process { child, _dir: dir }, addr);
        }
    }
}

/// A keep-alive connection sending `GET path`.
struct Connection {
    stream: BufReader<TcpStream>,
    request: Vec<u8>,
}

impl Connection {
    fn open(addr: &str, path: &str) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n");
        Self {
            stream: BufReader::new(stream),
            request: request.into_bytes(),
        }
    }

    /// One request: the status and the body's length; `None` when the
    /// server had closed the connection (after `keep_alive_max_requests`).
    fn try_send(&mut self) -> Option<(u16, usize)> {
        self.stream.get_mut().write_all(&self.request).ok()?;
        let mut line = String::new();
        if self.stream.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0;
        loop {
            line.clear();
            self.stream.read_line(&mut line).unwrap();
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).unwrap();
        Some((status, length))
    }

    fn send(&mut self, addr: &str, path: &str) -> (u16, usize) {
        if let Some(answer) = self.try_send() {
            return answer;
        }
        *self = Connection::open(addr, path);
        self.try_send()
            .expect("the server answers on a new connection")
    }
}

/// Requests per second of `GET path` with `connections` closed-loop
/// clients for `seconds`; every answer must be 200 with `length` bytes.
fn load(addr: &str, path: &str, connections: usize, seconds: f64, length: usize) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (stop, done) = (stop.clone(), done.clone());
            let (addr, path) = (addr.to_owned(), path.to_owned());
            std::thread::spawn(move || {
                let mut c = Connection::open(&addr, &path);
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(c.send(&addr, &path), (200, length), "{path}");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let start_count = done.load(Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let count = done.load(Ordering::Relaxed) - start_count;
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    count as f64 / elapsed
}

/// `redis-benchmark`'s GET requests per second against `port`, with as
/// many clients as the bench's connections and 1 KiB values.
fn redis_benchmark_get(port: u16, connections: usize) -> Option<f64> {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-t", "get", "-n", "200000", "-d", "1024", "-q"])
        .args(["-c", &connections.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "GET: 81234.56 requests per second, p50=0.055 msec"
    let line = text
        .split(['\r', '\n'])
        .rev()
        .find(|l| l.contains("GET:"))?;
    line.split_once("GET:")?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let seconds: f64 = std::env::var("KV_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let connections: usize = std::env::var("KV_BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let engines: &[&str] = if cfg!(feature = "v8") {
        &["quickjs", "v8"]
    } else {
        &["quickjs"]
    };
    let (_redis, port) = redis_server();
    let url = format!("redis://127.0.0.1:{port}/0");
    println!(
        "KV through a Worker, 1 KiB values, embedded (SQLite) vs Redis, {connections} connections, \
         {seconds} s per measure, best of {ROUNDS}"
    );
    println!(
        "{:<8} {:>10} {:>10} {:>7} {:>10} {:>10} {:>7}",
        "engine", "get emb", "get redis", "ratio", "put emb", "put redis", "ratio"
    );
    for engine in engines {
        let (_embedded, embedded) = motu(engine, None);
        let (_clustered, clustered) = motu(engine, Some(&url));
        for addr in [&embedded, &clustered] {
            // The value that `get` reads.
            let (status, _) = Connection::open(addr, "/put").send(addr, "/put");
            assert_eq!(status, 200);
        }
        let mut best = [0f64; 4];
        for _ in 0..ROUNDS {
            let figures = [
                load(&embedded, "/", connections, seconds, 1024),
                load(&clustered, "/", connections, seconds, 1024),
                load(&embedded, "/put", connections, seconds, 6),
                load(&clustered, "/put", connections, seconds, 6),
            ];
            for (b, f) in best.iter_mut().zip(figures) {
                *b = b.max(f);
            }
        }
        let [ge, gr, pe, pr] = best;
        println!(
            "{engine:<8} {ge:>10.0} {gr:>10.0} {:>6.2}x {pe:>10.0} {pr:>10.0} {:>6.2}x",
            gr / ge,
            pr / pe
        );
    }
    match redis_benchmark_get(port, connections) {
        Some(rps) => println!(
            "redis-benchmark GET (1 KiB, {connections} clients) on this machine: {rps:.0} req/s"
        ),
        None => println!("redis-benchmark GET: could not run redis-benchmark"),
    }
}
