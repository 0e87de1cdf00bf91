//! HTMLRewriter over a 1 MiB HTML page through a Worker over HTTP, beside a
//! passthrough of the same page measured in the same run, per engine.
//!
//! One `motu serve` (release build) runs `benches/workers/html_rewriter.js`,
//! which makes a 1 MiB page once and streams it in 64 KiB chunks: as it is
//! (`/passthrough`, the baseline), through a rewriter whose selector
//! matches nothing (`/parse`: lol-html's parsing alone) and through one
//! that rewrites the href of each of the page's 5,350 links (`/links`: an
//! element handler call per link). One keep-alive HTTP/1.1 connection sends
//! requests back to back; after a warm-up, each load runs for a fixed time.
//! Printed per engine: MB/s (10^6 bytes of page a second) of each, and the
//! rewriting's figures as ratios to the passthrough's.
//!
//! The Worker runs with `cpu_ms = 2000`: the event of one page must fit.
//!
//! `cargo bench --bench html_rewriter` (QuickJS); add `--features v8` for
//! both engines. `HTML_BENCH_SECS` sets the seconds per load (default 5),
//! `MOTU_BIN` another build of the binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Worker's `cpu_ms`.
const CPU_MS: u64 = 2000;

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
fn start(bin: &str, engine: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("html_rewriter.js"),
        include_str!("workers/html_rewriter.js"),
    )
    .unwrap();
    // A CPU limit that a whole page's rewriting fits in (the default 50 ms
    // is less than 5,350 handler calls take on a busy machine).
    let config = format!(
        "[server]\nengine = \"{engine}\"\n[limits]\ncpu_ms = {CPU_MS}\n\
         [[workers]]\nname = \"html\"\nmain = \"html_rewriter.js\"\n"
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

/// Sends `GET path` on `reader`'s connection and reads the chunked
/// response whole; returns the status and the body's length, or `None`
/// when the server had closed the connection.
fn get(reader: &mut BufReader<TcpStream>, path: &str) -> Option<(u16, usize)> {
    write!(
        reader.get_mut(),
        "GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = None;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = Some(v.trim().parse::<usize>().unwrap());
        }
    }
    let mut buf = vec![0; 64 << 10];
    let mut skip = |reader: &mut BufReader<TcpStream>, mut n: usize| {
        while n > 0 {
            let want = n.min(buf.len());
            reader.read_exact(&mut buf[..want]).unwrap();
            n -= want;
        }
    };
    if let Some(n) = length {
        skip(reader, n);
        return Some((status, n));
    }
    let mut total = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let size = usize::from_str_radix(line.trim(), 16).unwrap();
        skip(reader, size + 2);
        if size == 0 {
            return Some((status, total));
        }
        total += size;
    }
}

/// A connection to `addr`.
fn connect(addr: &str) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    BufReader::with_capacity(256 << 10, stream)
}

/// `GET path`, on a new connection when the server closed the last one
/// (after its `keep_alive_max_requests`); the body's length.
fn fetch(reader: &mut BufReader<TcpStream>, addr: &str, path: &str) -> usize {
    let (status, n) = get(reader, path).unwrap_or_else(|| {
        *reader = connect(addr);
        get(reader, path).expect("the server answers on a new connection")
    });
    assert_eq!(status, 200, "{path}");
    n
}

/// Body bytes per second of `path`, for `time` after a second of warm-up.
fn load(addr: &str, path: &str, time: Duration) -> f64 {
    let mut reader = connect(addr);
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_secs(1) {
        fetch(&mut reader, addr, path);
    }
    let started = Instant::now();
    let mut bytes = 0;
    while started.elapsed() < time {
        bytes += fetch(&mut reader, addr, path);
    }
    bytes as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let bin = std::env::var("MOTU_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_motu").to_owned());
    let secs: u64 = std::env::var("HTML_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let engines: &[&str] = if cfg!(feature = "v8") {
        &["quickjs", "v8"]
    } else {
        &["quickjs"]
    };
    println!("binary: {bin}; 1 connection, {secs} s per load after 1 s of warm-up");
    println!(
        "| engine | passthrough MB/s | parse MB/s | ÷ passthrough | 5,350 links rewritten MB/s | ÷ passthrough |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |"
    );
    for engine in engines {
        let s = start(&bin, engine);
        let time = Duration::from_secs(secs);
        let pass = load(&s.addr, "/passthrough", time) / 1e6;
        let parse = load(&s.addr, "/parse", time) / 1e6;
        let links = load(&s.addr, "/links", time) / 1e6;
        println!(
            "| {engine} | {pass:.0} | {parse:.1} | {:.3} | {links:.1} | {:.3} |",
            parse / pass,
            links / pass
        );
    }
}
