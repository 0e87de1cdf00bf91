//! A Durable Object counter through HTTP, beside the hello Worker, per
//! engine: `motu serve` (the bench build) with two Workers, `hello`
//! (answers "Hello World!") and `counter`, whose fetch handler calls one
//! object (`idFromName("c")`) through its stub: `/read` reads the count
//! (`storage.get`, no write), `/increment` reads and writes it (`get`, then
//! `put`, whose response waits for the fsync of the object's log: the
//! output gate). Every request goes to the same object, so its events are
//! one at a time. Driven by the same closed-loop load (CONNECTIONS
//! keep-alive connections, each sending its next request when the last
//! answer arrived) for SECONDS each, alternating, ROUNDS times. Prints the
//! req/s of each and their ratios to hello, measured in the same run (the
//! target: increments at least 0.3x hello); the read column against the
//! increment column is what the durable write (its fsync) costs.
//!
//! `cargo bench --bench durable_objects` (QuickJS); add `--features v8` for
//! both. `DO_BENCH_SECONDS` and `DO_BENCH_CONNECTIONS` change the load.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;

const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";
const COUNTER: &str = "import { DurableObject } from 'cloudflare:workers';\n\
export class Counter extends DurableObject {\n\
  async fetch(request) {\n\
    const n = (await this.ctx.storage.get('n')) ?? 0;\n\
    if (new URL(request.url).pathname === '/increment') await this.ctx.storage.put('n', n + 1);\n\
    return new Response(String(n));\n\
  }\n\
}\n\
export default {\n\
  async fetch(request, env) {\n\
    const stub = env.COUNTER.getByName('c');\n\
    const response = await stub.fetch(new URL(new URL(request.url).pathname, 'https://do.internal'));\n\
    await response.text();\n\
    return new Response('ok');\n\
  },\n\
};\n";

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

// The child is waited for in `Drop`.
#[allow(clippy::zombie_processes)]
fn start(engine: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.js"), HELLO).unwrap();
    std::fs::write(dir.path().join("counter.js"), COUNTER).unwrap();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
         [[workers]]\nname = \"counter\"\nmain = \"counter.js\"\nroutes = [\"counter.test/*\"]\n\
         [[workers.durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n"
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
            return Server {
                child,
                addr,
                _dir: dir,
            };
        }
    }
}

/// A keep-alive connection sending requests for `host`.
struct Connection {
    stream: BufReader<TcpStream>,
    request: Vec<u8>,
}

impl Connection {
    fn open(addr: &str, method: &str, host: &str, path: &str) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let request =
            format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\n\r\n");
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

    /// One request, on a new connection if the server closed this one.
    fn send(&mut self, addr: &str, method: &str, host: &str, path: &str) -> (u16, usize) {
        if let Some(answer) = self.try_send() {
            return answer;
        }
        *self = Connection::open(addr, method, host, path);
        self.try_send()
            .expect("the server answers on a new connection")
    }
}

/// Requests per second to `host` with `connections` closed-loop clients
/// for `seconds`; every answer must be 200 with a body of `length` bytes.
fn load(
    addr: &str,
    (host, path): (&str, &str),
    connections: usize,
    seconds: f64,
    length: usize,
) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (stop, done) = (stop.clone(), done.clone());
            let (addr, host, path) = (addr.to_owned(), host.to_owned(), path.to_owned());
            std::thread::spawn(move || {
                let mut c = Connection::open(&addr, "GET", &host, &path);
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(
                        c.send(&addr, "GET", &host, &path),
                        (200, length),
                        "{host}{path}"
                    );
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Warm up, then count.
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

fn main() {
    let seconds: f64 = std::env::var("DO_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let connections: usize = std::env::var("DO_BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let engines: &[&str] = if cfg!(feature = "v8") {
        &["quickjs", "v8"]
    } else {
        &["quickjs"]
    };
    println!(
        "Durable Object counter vs hello, {connections} connections, {seconds} s per measure, best of {ROUNDS}"
    );
    println!(
        "{:<8} {:>12} {:>10} {:>7} {:>12} {:>7}",
        "engine", "hello req/s", "read req/s", "ratio", "incr. req/s", "ratio"
    );
    for engine in engines {
        let server = start(engine);
        let (mut hello, mut read, mut increment) = (0f64, 0f64, 0f64);
        for _ in 0..ROUNDS {
            let load = |target, length| load(&server.addr, target, connections, seconds, length);
            hello = hello.max(load(("hello.test", "/"), 12));
            read = read.max(load(("counter.test", "/read"), 2));
            increment = increment.max(load(("counter.test", "/increment"), 2));
        }
        println!(
            "{engine:<8} {hello:>12.0} {read:>10.0} {:>6.2}x {increment:>12.0} {:>6.2}x",
            read / hello,
            increment / hello
        );
    }
}
