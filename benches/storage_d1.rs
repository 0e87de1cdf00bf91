//! D1 through a Worker over HTTP, beside the hello Worker, per engine:
//! `motu serve` (the bench build) with two Workers, `hello` (answers "Hello
//! World!") and `d1`, over a database in a fresh state folder with the
//! fixture project's schema (`tests/projects/storage-d1/migrations`,
//! applied with `motu d1 migrations apply`). `d1` answers a point select
//! by primary key (`GET /`: `prepare(…).bind(1).first()`, the row as JSON)
//! or an insert (`GET /insert`: `prepare(…).bind(…).run()`, a durable
//! commit each). The same closed-loop load (CONNECTIONS keep-alive
//! connections, each sending its next request when the last answer
//! arrived) drives each for SECONDS, alternating, ROUNDS times; printed:
//! the best req/s of each (the machine is shared: the best round is the
//! one least disturbed) and the ratios to hello measured in the same run
//! (target: select at least 0.5x hello). The KV bench measures the same
//! way.
//!
//! `cargo bench --bench storage_d1` (QuickJS); add `--features v8` for
//! both. `D1_BENCH_SECONDS` (default 3) and `D1_BENCH_CONNECTIONS`
//! (default 8) change the load.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";
const D1: &str = "export default {\n  async fetch(request, env) {\n    if (request.url.endsWith('/insert')) {\n      const r = await env.DB.prepare('INSERT INTO entries (k, v) VALUES (?, ?)').bind(crypto.randomUUID(), 'v').run();\n      return new Response(String(r.meta.changes));\n    }\n    const row = await env.DB.prepare('SELECT id, email, name FROM users WHERE id = ?').bind(1).first();\n    return Response.json(row);\n  },\n};\n";

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is waited for in `Drop`.
#[allow(clippy::zombie_processes)]
fn start(bin: &str, engine: &str, dir: &std::path::Path) -> Server {
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::write(dir.join("hello.js"), HELLO).unwrap();
    std::fs::write(dir.join("d1.js"), D1).unwrap();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
         [[workers]]\nname = \"d1\"\nmain = \"d1.js\"\nroutes = [\"d1.test/*\"]\n\
         [[workers.d1_databases]]\nbinding = \"DB\"\ndatabase_id = \"bench\"\n\
         migrations_dir = \"{root}/tests/projects/storage-d1/migrations\"\n"
    );
    let file = dir.join("motu.toml");
    std::fs::write(&file, config).unwrap();
    let status = Command::new(bin)
        .args(["d1", "migrations", "apply", "DB", "--config"])
        .arg(&file)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "migrations");
    let mut child = Command::new(bin)
        .args(["serve", "--config"])
        .arg(&file)
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
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
            return Server { child, addr };
        }
    }
}

/// One keep-alive connection: sends GET `path` to `host`, reads the
/// response (content-length or chunked); its status. A connection the
/// server closes (after `keep_alive_max_requests`) is opened again.
struct Conn {
    addr: String,
    stream: BufReader<TcpStream>,
    request: Vec<u8>,
}

fn connect(addr: &str) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    BufReader::new(stream)
}

impl Conn {
    fn new(addr: &str, host: &str, path: &str) -> Conn {
        Conn {
            addr: addr.to_owned(),
            stream: connect(addr),
            request: format!("GET {path} HTTP/1.1\r\nhost: {host}\r\n\r\n").into_bytes(),
        }
    }

    fn send(&mut self) -> u16 {
        let mut line = String::new();
        let sent = self.stream.get_mut().write_all(&self.request).is_ok();
        if !sent || self.stream.read_line(&mut line).unwrap_or(0) == 0 {
            // Closed by the server: again, on a new connection.
            self.stream = connect(&self.addr);
            self.stream.get_mut().write_all(&self.request).unwrap();
            line.clear();
            self.stream.read_line(&mut line).unwrap();
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            self.stream.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
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
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line).unwrap();
                let size = usize::from_str_radix(line.trim(), 16).unwrap();
                let mut buf = vec![0; size + 2];
                self.stream.read_exact(&mut buf).unwrap();
                if size == 0 {
                    break;
                }
            }
        } else {
            let mut buf = vec![0; length.unwrap_or(0)];
            self.stream.read_exact(&mut buf).unwrap();
        }
        if close {
            self.stream = connect(&self.addr);
        }
        status
    }
}

/// Requests per second over `seconds` with `connections` connections.
fn load(addr: &str, host: &str, path: &str, connections: usize, seconds: f64) -> f64 {
    // Warm-up: the isolates start, the JIT (V8) warms.
    let mut warm = Conn::new(addr, host, path);
    for _ in 0..200 {
        assert_eq!(warm.send(), 200, "{host}{path}");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (stop, done) = (stop.clone(), done.clone());
            let (addr, host, path) = (addr.to_owned(), host.to_owned(), path.to_owned());
            std::thread::spawn(move || {
                let mut conn = Conn::new(&addr, &host, &path);
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(conn.send(), 200, "{host}{path}");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let start = Instant::now();
    let before = done.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let n = done.load(Ordering::Relaxed) - before;
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    n as f64 / elapsed
}

fn main() {
    let bin = std::env::var("MOTU_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_motu").to_owned());
    let seconds: f64 = std::env::var("D1_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let connections: usize = std::env::var("D1_BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let engines: &[&str] = if cfg!(feature = "v8") {
        &["quickjs", "v8"]
    } else {
        &["quickjs"]
    };
    println!(
        "binary: {bin}; {connections} connections, best of {ROUNDS} rounds of {seconds} s per figure"
    );
    println!(
        "{:<8} {:>12} {:>14} {:>8} {:>14} {:>8}",
        "engine", "hello req/s", "select req/s", "ratio", "insert req/s", "ratio"
    );
    for engine in engines {
        let dir = tempfile::tempdir().unwrap();
        let s = start(&bin, engine, dir.path());
        let (mut hello, mut select, mut insert) = (0.0f64, 0.0f64, 0.0f64);
        for _ in 0..ROUNDS {
            hello = hello.max(load(&s.addr, "hello.test", "/", connections, seconds));
            select = select.max(load(&s.addr, "d1.test", "/", connections, seconds));
            insert = insert.max(load(&s.addr, "d1.test", "/insert", connections, seconds));
        }
        println!(
            "{engine:<8} {hello:>12.0} {select:>14.0} {:>7.2}x {insert:>14.0} {:>7.2}x",
            select / hello,
            insert / hello
        );
    }
}
