//! Queue throughput through a Worker, beside the hello Worker, per engine
//! and per backend: `motu serve` (the bench build) with two Workers, `hello`
//! (answers "Hello World!") and `queue`, which sends to a queue on `POST /`
//! (one `send`, or a `sendBatch` of BATCH messages) and consumes the same
//! queue (its `queue` handler returns, so each batch is acknowledged), in a
//! fresh state folder. The producers are closed-loop clients (CONNECTIONS
//! keep-alive connections) for SECONDS; the figure is the messages sent
//! divided by the time from the first send until the queue is empty again,
//! every message acknowledged: messages/s from `send` to `ack`.
//!
//! Each engine is measured with the embedded backend (SQLite in the state
//! folder) and with the queue in Redis Streams (`[cluster] redis`, a
//! `redis-server` the bench starts, with its defaults: no append-only
//! file). Printed beside hello's req/s measured in the same run, and
//! beside `redis-benchmark`'s own XADD figure against the same Redis (one
//! small entry per command, as many clients as connections): the limit of
//! what Redis gives on this machine, as a ratio.
//!
//! The backends do not promise the same thing: an embedded send is on disk
//! (`synchronous=FULL`) when it resolves; a send to Redis is as durable as
//! the Redis server is configured to make it.
//!
//! `cargo bench --bench queues` (QuickJS); add `--features v8` for both.
//! `QUEUE_BENCH_SECONDS` and `QUEUE_BENCH_CONNECTIONS` change the load.
//! Needs `redis-server` and `redis-benchmark` (scripts/install-redis.sh)
//! for the Redis rows; without them only the embedded rows are printed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
/// Messages per `sendBatch` in the batched measure.
const BATCH: usize = 10;

const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";
const QUEUE: &str = "export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/backlog') {
      return new Response(String((await env.Q.metrics()).backlogCount));
    }
    if (url.pathname === '/batch') {
      await env.Q.sendBatch(Array.from({ length: 10 }, (_, i) => ({ body: { n: i } })));
    } else {
      await env.Q.send({ n: 1 });
    }
    return new Response('ok');
  },
  async queue(batch) {
    let sum = 0;
    for (const m of batch.messages) sum += m.body.n;
    if (sum < 0) throw new Error('never');
  },
};
";

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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `redis-server` of the bench: killed when dropped.
struct Redis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `redis-server` on a free port, once it answers; `None` when it cannot
/// run.
// The child is waited for in `Drop`.
#[allow(clippy::zombie_processes)]
fn redis_server() -> Option<Redis> {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
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

/// `redis-benchmark`'s XADD commands per second against `port` (one small
/// entry per command, `connections` clients).
fn redis_benchmark_xadd(port: u16, connections: usize) -> Option<f64> {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-n", "200000", "-q", "-c", &connections.to_string()])
        .args(["XADD", "motu-bench-stream", "*", "body", "{\"n\":1}"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "XADD motu-bench-stream * body {"n":1}: 81234.56 requests per second, p50=…"
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

// The child is waited for in `Drop`.
#[allow(clippy::zombie_processes)]
fn start(engine: &str, redis: Option<&str>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.js"), HELLO).unwrap();
    std::fs::write(dir.path().join("queue.js"), QUEUE).unwrap();
    let cluster = redis
        .map(|url| format!("[cluster]\nredis = \"{url}\"\n"))
        .unwrap_or_default();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n{cluster}\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
         [[workers]]\nname = \"queue\"\nmain = \"queue.js\"\nroutes = [\"queue.test/*\"]\n\
         [[workers.queues.producers]]\nbinding = \"Q\"\nqueue = \"bench\"\n\
         [[workers.queues.consumers]]\nqueue = \"bench\"\nmax_batch_size = 100\nmax_batch_timeout = 0.05\n"
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

/// A keep-alive connection sending requests for `host` and `path`.
struct Connection {
    stream: BufReader<TcpStream>,
    request: Vec<u8>,
    method: String,
    host: String,
    path: String,
}

impl Connection {
    fn open(addr: &str, method: &str, host: &str, path: &str) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let request =
            format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\n\r\n");
        Self {
            stream: BufReader::new(stream),
            request: request.into_bytes(),
            method: method.into(),
            host: host.into(),
            path: path.into(),
        }
    }

    /// One request: the status and the body; `None` when the server had
    /// closed the connection (after `keep_alive_max_requests`).
    fn try_send(&mut self, body: &mut Vec<u8>) -> Option<u16> {
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
        body.resize(length, 0);
        self.stream.read_exact(body).unwrap();
        Some(status)
    }

    /// One request, on a new connection if the server closed this one: the
    /// status and the body's length.
    fn send_body(&mut self, addr: &str, body: &mut Vec<u8>) -> (u16, usize) {
        if let Some(status) = self.try_send(body) {
            return (status, body.len());
        }
        *self = Connection::open(
            addr,
            &self.method.clone(),
            &self.host.clone(),
            &self.path.clone(),
        );
        let status = self
            .try_send(body)
            .expect("the server answers on a new connection");
        (status, body.len())
    }
}

/// Requests answered with `host` and `path` by `connections` closed-loop
/// clients in `seconds`; every answer must be 200 with a body of `length`
/// bytes.
fn load_path(
    addr: &str,
    method: &str,
    host: &str,
    path: &str,
    connections: usize,
    seconds: f64,
    length: usize,
) -> u64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..connections)
        .map(|_| {
            let (stop, done) = (stop.clone(), done.clone());
            let (addr, method, host, path) = (
                addr.to_owned(),
                method.to_owned(),
                host.to_owned(),
                path.to_owned(),
            );
            std::thread::spawn(move || {
                let mut c = Connection::open(&addr, &method, &host, &path);
                let mut body = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    assert_eq!(c.send_body(&addr, &mut body), (200, length), "{host}{path}");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    done.load(Ordering::Relaxed)
}

/// The queue's backlog, as the Worker reports it.
fn backlog(addr: &str) -> u64 {
    let mut c = Connection::open(addr, "GET", "queue.test", "/backlog");
    let mut body = Vec::new();
    let (status, _) = c.send_body(addr, &mut body);
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap().trim().parse().unwrap()
}

/// Messages per second from `send` to `ack`: producers on `path` for
/// `seconds`, each request sending `per_request` messages, then waiting
/// until the queue is empty.
fn throughput(addr: &str, path: &str, per_request: usize, connections: usize, seconds: f64) -> f64 {
    let started = Instant::now();
    let requests = load_path(addr, "POST", "queue.test", path, connections, seconds, 2);
    while backlog(addr) > 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed().as_secs_f64();
    (requests * per_request as u64) as f64 / elapsed
}

/// The best of ROUNDS of `send` and `sendBatch` throughput on `server`.
fn measure(server: &Server, connections: usize, seconds: f64) -> (f64, f64) {
    let (mut single, mut batched) = (0f64, 0f64);
    for _ in 0..ROUNDS {
        single = single.max(throughput(&server.addr, "/", 1, connections, seconds));
        batched = batched.max(throughput(
            &server.addr,
            "/batch",
            BATCH,
            connections,
            seconds,
        ));
    }
    (single, batched)
}

fn main() {
    let seconds: f64 = std::env::var("QUEUE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let connections: usize = std::env::var("QUEUE_BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let engines: &[&str] = if cfg!(feature = "v8") {
        &["quickjs", "v8"]
    } else {
        &["quickjs"]
    };
    let redis = redis_server();
    let xadd = redis
        .as_ref()
        .and_then(|r| redis_benchmark_xadd(r.port, connections));
    println!(
        "Queue messages/s from send to ack vs hello req/s, {connections} connections, {seconds} s of sending per measure, best of {ROUNDS}"
    );
    match xadd {
        Some(x) => println!(
            "redis-benchmark XADD ({connections} clients) on the same Redis: {x:.0} commands/s"
        ),
        None => println!("redis-benchmark XADD: could not run redis-server/redis-benchmark"),
    }
    println!(
        "{:<8} {:<9} {:>11} {:>11} {:>7} {:>8} {:>14} {:>7} {:>8}",
        "engine",
        "backend",
        "hello req/s",
        "send msg/s",
        "/hello",
        "/XADD",
        "batch10 msg/s",
        "/hello",
        "/XADD"
    );
    let vs_xadd = |v: f64| xadd.map_or("-".to_owned(), |x| format!("{:.3}x", v / x));
    for engine in engines {
        let mut hello = 0f64;
        let mut backends: Vec<(&str, Option<String>)> = vec![("embedded", None)];
        if let Some(r) = &redis {
            backends.push(("redis", Some(format!("redis://127.0.0.1:{}/0", r.port))));
        }
        for (backend, url) in backends {
            let server = start(engine, url.as_deref());
            if hello == 0.0 {
                for _ in 0..ROUNDS {
                    let requests = load_path(
                        &server.addr,
                        "GET",
                        "hello.test",
                        "/",
                        connections,
                        seconds,
                        12,
                    );
                    hello = hello.max(requests as f64 / seconds);
                }
            }
            let (single, batched) = measure(&server, connections, seconds);
            println!(
                "{engine:<8} {backend:<9} {hello:>11.0} {single:>11.0} {:>6.2}x {:>8} {batched:>14.0} {:>6.2}x {:>8}",
                single / hello,
                vs_xadd(single),
                batched / hello,
                vs_xadd(batched)
            );
        }
    }
}
