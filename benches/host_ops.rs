//! What long host work costs a Worker's neighbours, through the real server
//! (`motu serve` with one executor thread, so the neighbour shares it with
//! the hostile Worker, `cpu_ms = 50`), per engine:
//!
//! - the neighbour's latency while nothing else runs (the baseline), and
//!   the longest a neighbour request waited while a hostile request's host
//!   work ran, as a ratio to the baseline's median;
//! - the hostile request's answer and wall time;
//! - the CPU time the server used during the hostile request, and in the
//!   half second after its answer (work that goes on after the answer);
//! - the hostile event's CPU time when it was evicted, from the log.
//!
//! The shapes are those of the issue: RSA-4096 `generateKey`, twenty
//! PBKDF2-SHA512 `deriveBits` at 100,000 iterations, twenty SHA-512 digests
//! of 64 MiB. `cargo bench --features v8 --bench host_ops`; `MOTU_BIN=PATH`
//! measures another build of the binary (to compare with an older one),
//! `HOST_OPS_RUNS` sets the runs per shape (default 3).

mod http;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Server, Stderr};

const SHAPES: [(&str, &str); 3] = [
    ("rsa-4096", "/rsa?bits=4096"),
    ("pbkdf2 20x100k", "/pbkdf2?n=20&iterations=100000"),
    ("sha512 20x64MiB", "/digest?n=20&mib=64"),
];

/// The server: one executor thread, the hostile and neighbour Workers.
fn start(bin: &str, engine: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hostile");
    for file in ["host_ops.js", "neighbour.js"] {
        std::fs::copy(format!("{fixtures}/{file}"), dir.path().join(file)).unwrap();
    }
    let config = format!(
        "[server]\nengine = \"{engine}\"\nthreads = 1\n\
         [limits]\ncpu_ms = 50\nmemory_mb = 256\n\
         [[workers]]\nname = \"hostile\"\nmain = \"host_ops.js\"\nroutes = [\"hostile.test/*\"]\n\
         [[workers]]\nname = \"neighbour\"\nmain = \"neighbour.js\"\nroutes = [\"neighbour.test/*\"]\n"
    );
    std::fs::write(dir.path().join("motu.toml"), config).unwrap();
    Server::spawn(
        Server::command(bin, &dir),
        dir,
        Stderr::Capture,
        http::motu_address,
    )
}

/// One GET on a fresh connection: (status, body).
fn get(addr: &str, host: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Neighbour latencies (ms) while `stop` is not set.
fn poll_neighbour(addr: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<f64>> {
    std::thread::spawn(move || {
        let mut waits = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let t = Instant::now();
            let (status, _) = get(&addr, "neighbour.test", "/");
            assert_eq!(status, 200);
            waits.push(ms(t.elapsed()));
            std::thread::sleep(Duration::from_millis(2));
        }
        waits
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The `cpu_ms` of each `CpuLimit` eviction in the log.
fn evictions(log: &str) -> Vec<f64> {
    log.lines()
        .filter(|l| l.contains("isolate evicted") && l.contains("CpuLimit"))
        .filter_map(|l| {
            let rest = &l[l.find("cpu_ms=")? + 7..];
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect()
}

fn main() {
    let bin = http::motu_bin();
    let runs: usize = http::setting("HOST_OPS_RUNS", 3);
    println!("binary: {bin}");
    for engine in http::engines() {
        let s = start(&bin, engine);
        // Baseline: the neighbour alone.
        for _ in 0..20 {
            get(&s.addr, "neighbour.test", "/");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let poller = poll_neighbour(s.addr.clone(), stop.clone());
        std::thread::sleep(Duration::from_secs(1));
        stop.store(true, Ordering::SeqCst);
        let base = median(poller.join().unwrap());
        println!("\n{engine}: neighbour alone, median {base:.2} ms");
        println!(
            "{:<16} {:>6} {:>9} {:>12} {:>8} {:>11} {:>10} {:>11}",
            "shape",
            "status",
            "wall ms",
            "neighbour ms",
            "x base",
            "server cpu",
            "cpu after",
            "evicted at"
        );
        for (name, path) in SHAPES {
            for _ in 0..runs {
                get(&s.addr, "hostile.test", "/ok");
                std::thread::sleep(Duration::from_millis(200));
                let evicted_before = evictions(&s.log()).len();
                let stop = Arc::new(AtomicBool::new(false));
                let poller = poll_neighbour(s.addr.clone(), stop.clone());
                std::thread::sleep(Duration::from_millis(50));
                let (cpu0, t) = (s.cpu(), Instant::now());
                let (status, _) = get(&s.addr, "hostile.test", path);
                let (wall, cpu1) = (t.elapsed(), s.cpu());
                stop.store(true, Ordering::SeqCst);
                let waits = poller.join().unwrap();
                std::thread::sleep(Duration::from_millis(500));
                let cpu2 = s.cpu();
                let worst = waits.iter().copied().fold(0.0, f64::max);
                let evicted = evictions(&s.log())
                    .get(evicted_before)
                    .map_or("-".to_owned(), |c| format!("{c:.0} ms"));
                println!(
                    "{name:<16} {status:>6} {:>9.0} {worst:>12.1} {:>8.1} {:>8.0} ms {:>7.0} ms {evicted:>11}",
                    ms(wall),
                    worst / base,
                    ms(cpu1 - cpu0),
                    ms(cpu2 - cpu1),
                );
            }
        }
    }
}
