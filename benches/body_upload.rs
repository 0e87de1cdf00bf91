//! What a large upload costs, through the real `motu` binary, per engine:
//!
//! - **CPU**: a 90 MB `content-length` upload read whole (`arrayBuffer()`)
//!   and chunk by chunk, under the default `cpu_ms = 50`: the answer, the
//!   CPU time charged to the event (`motu_event_cpu_seconds`), and the
//!   process's CPU time over the upload; their ratio is the share of the
//!   server's work billed to the Worker.
//! - **Memory**: a 200 MB upload read chunk by chunk, then whole: resident
//!   memory before, right after, and 5 s later, with the heap trimmed after
//!   large bodies (the default) and without (`MALLOC_TRIM_THRESHOLD_` set,
//!   which turns motu's trimming off); the ratio is with / without.
//!
//! `cargo bench --bench body_upload` (add `--features v8` for both engines).

mod http;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use http::{Server, Stderr};

const MB: usize = 1 << 20;

/// A `motu serve` of the upload Worker on loopback, with an admin
/// listener; `env` is added to its environment.
fn start(engine: &str, memory_mb: u64, env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("upload.js"),
        include_str!("workers/upload.js"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("motu.toml"),
        format!(
            "[server]\nengine = \"{engine}\"\nmax_body_mb = 300\n[admin]\nlisten = \"127.0.0.1:0\"\n\
             [limits]\nmemory_mb = {memory_mb}\n\
             [[workers]]\nname = \"upload\"\nmain = \"upload.js\"\nroutes = [\"*/*\"]\n"
        ),
    )
    .unwrap();
    let mut command = Server::command(&http::motu_bin(), &dir);
    command.envs(env.iter().copied());
    Server::spawn(command, dir, Stderr::Discard, http::motu_address)
}

/// The CPU time charged to the Worker's events so far.
fn event_cpu(s: &Server) -> Duration {
    let admin = s.admin.as_deref().expect("an admin listener");
    let text = request(
        admin,
        b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        0,
    )
    .1;
    let secs: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("motu_event_cpu_seconds_sum{worker=\"upload\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    Duration::from_secs_f64(secs)
}

/// POSTs `size` bytes to `path` with a content-length; the status line
/// and body of the answer.
fn upload(s: &Server, path: &str, size: usize) -> (String, String) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: upload\r\ncontent-length: {size}\r\nconnection: close\r\n\r\n"
    );
    request(&s.addr, head.as_bytes(), size)
}

/// Sends `head` and `body_len` bytes; the answer's status line and body.
fn request(addr: &str, head: &[u8], body_len: usize) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(head).unwrap();
    let chunk = vec![b'u'; 256 * 1024];
    let mut left = body_len;
    while left > 0 {
        let n = left.min(chunk.len());
        if s.write_all(&chunk[..n]).is_err() {
            break;
        }
        left -= n;
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.trim().to_owned(),
    )
}

fn cpu_phase(engine: &str) {
    let s = start(engine, 1024, &[]);
    for path in ["/buffer", "/stream"] {
        let (cpu0, event0) = (s.cpu(), event_cpu(&s));
        let (status, body) = upload(&s, path, 90 * MB);
        // The event is recorded when it ends, just after its response.
        let start = Instant::now();
        let mut event = event_cpu(&s);
        while event == event0 && start.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(20));
            event = event_cpu(&s);
        }
        let process = s.cpu() - cpu0;
        let charged = event - event0;
        println!(
            "{engine:8} 90 MB {path:8} {status} ({body}): charged {:6.1} ms, process {:6.1} ms, charged/process {:.2}",
            charged.as_secs_f64() * 1e3,
            process.as_secs_f64() * 1e3,
            charged.as_secs_f64() / process.as_secs_f64().max(1e-9),
        );
    }
}

/// Resident memory before, right after, and 5 s after a 200 MB upload to
/// `path`.
fn memory_of(engine: &str, path: &str, env: &[(&str, &str)]) -> (f64, f64, f64) {
    let s = start(engine, 1024, env);
    let before = s.resident_mib();
    let (status, _) = upload(&s, path, 200 * MB);
    assert!(status.contains(" 200 "), "{engine} {path}: {status}");
    let after = s.resident_mib();
    std::thread::sleep(Duration::from_secs(5));
    (before, after, s.resident_mib())
}

fn memory_phase(engine: &str) {
    for path in ["/stream", "/buffer"] {
        let untrimmed = memory_of(engine, path, &[("MALLOC_TRIM_THRESHOLD_", "33554432")]);
        let trimmed = memory_of(engine, path, &[]);
        println!(
            "{engine:8} 200 MB {path:8} resident MiB before / after / 5 s later: not trimmed {:.0} / {:.0} / {:.0}, trimmed {:.0} / {:.0} / {:.0}; settled ratio trimmed/not {:.2}",
            untrimmed.0, untrimmed.1, untrimmed.2, trimmed.0, trimmed.1, trimmed.2,
            trimmed.2 / untrimmed.2,
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("body_upload: bench");
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    for engine in http::engines() {
        cpu_phase(engine);
        memory_phase(engine);
    }
}
