//! WebSocket echo: messages per second over CONNECTIONS sockets, and the
//! 99th percentile of a message's round trip, for motu (per engine: a
//! Worker answering the upgrade with a `WebSocketPair` end that sends each
//! message back) beside Deno (`Deno.upgradeWebSocket`, the same echo), both
//! pinned to core 0 (`taskset`, when there is one; motu with one executor
//! thread), driven by the same closed-loop load from this process (each
//! socket sends its next 32-byte text message when the last echo arrived)
//! for SECONDS each, alternating, ROUNDS times. Prints each server's
//! messages/s, p99 and CPU time per echoed message (the server process's
//! user and system time over the messages it echoed), and motu's ratio to
//! Deno measured in the same run (the target: at least 1x Deno).
//!
//! Deno comes from `DENO` (a path), else `deno` on the PATH, else the npm
//! package `deno` installed once into `target/deno-npm`. Without Deno the
//! bench says why and prints motu's figures with their ratio to the hello
//! Worker's HTTP requests/s on the same core instead.
//!
//! `cargo bench --bench websocket_echo` (QuickJS); add `--features v8` for
//! both. `WS_BENCH_SECONDS` and `WS_BENCH_CONNECTIONS` change the load;
//! `MOTU_BIN` measures another build of the binary.

mod http;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use http::{Server, Stderr};

use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const ROUNDS: usize = 3;

const ECHO: &str = "export default {\n  fetch(request) {\n    if (request.headers.get('upgrade') !== 'websocket') return new Response('Hello World!');\n    const [client, server] = Object.values(new WebSocketPair());\n    server.accept();\n    server.addEventListener('message', e => server.send(e.data));\n    return new Response(null, { status: 101, webSocket: client });\n  },\n};\n";

const DENO_ECHO: &str = "Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`listening ${port}`) }, request => {\n  const { socket, response } = Deno.upgradeWebSocket(request);\n  socket.onmessage = e => socket.send(e.data);\n  return response;\n});\n";

/// `program args…`, pinned to core 0 when `taskset` is there.
fn pinned(program: &Path, args: &[&str]) -> Command {
    let has_taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut command = if has_taskset {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    command.args(args);
    command
}

fn start_motu(engine: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("echo.js"), ECHO).unwrap();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nthreads = 1\n\
         [[workers]]\nname = \"echo\"\nmain = \"echo.js\"\nroutes = [\"*/*\"]\n"
    );
    std::fs::write(dir.path().join("motu.toml"), config).unwrap();
    let path = dir.path().join("motu.toml");
    let bin = http::motu_bin();
    let mut command = pinned(
        Path::new(&bin),
        &[
            "serve",
            "--config",
            path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
    );
    command.env("RUST_LOG", "warn").env("NO_COLOR", "1");
    Server::spawn(command, dir, Stderr::Inherit, http::motu_address)
}

fn start_deno(deno: &Path) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("echo.js");
    std::fs::write(&script, DENO_ECHO).unwrap();
    let mut command = pinned(
        deno,
        &["run", "--quiet", "--allow-net", script.to_str().unwrap()],
    );
    command
        .env("DENO_DIR", dir.path().join("deno-dir"))
        .env("DENO_NO_UPDATE_CHECK", "1");
    Server::spawn(command, dir, Stderr::Inherit, |l| {
        l.strip_prefix("listening ")
            .map(|port| format!("127.0.0.1:{port}"))
    })
}

/// Deno, or why there is none.
fn find_deno() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("DENO") {
        return Ok(path.into());
    }
    let works = |p: &Path| {
        Command::new(p)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works(Path::new("deno")) {
        return Ok("deno".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let prefix = target.join("deno-npm");
    let bin = prefix.join("node_modules/.bin/deno");
    if !works(&bin) {
        eprintln!("installing the npm package deno into {}", prefix.display());
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg("deno@2")
            .status()
            .map_err(|e| format!("npm could not run: {e}"))?;
        if !status.success() || !works(&bin) {
            return Err("the npm package deno could not be installed".into());
        }
    }
    Ok(bin)
}

/// Messages echoed and the round trips' histogram (µs) of `connections`
/// sockets to `addr` for `seconds` (on a local task set).
async fn echo_load(addr: &str, connections: usize, seconds: u64) -> (u64, Histogram<u64>) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = format!("ws://{addr}/").into_client_request().unwrap();
        tasks.push(tokio::task::spawn_local(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            let mut histogram = Histogram::<u64>::new(3).unwrap();
            let payload = "x".repeat(32);
            let mut count = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                ws.send(Message::text(payload.clone())).await.unwrap();
                loop {
                    match ws.next().await {
                        Some(Ok(Message::Text(_))) => break,
                        Some(Ok(_)) => continue,
                        other => panic!("the echo broke off: {other:?}"),
                    }
                }
                histogram.record(sent.elapsed().as_micros() as u64).unwrap();
                count += 1;
            }
            let _ = ws.close(None).await;
            (count, histogram)
        }));
    }
    let mut total = 0;
    let mut all = Histogram::<u64>::new(3).unwrap();
    for task in tasks {
        let (count, histogram) = task.await.unwrap();
        total += count;
        all.add(histogram).unwrap();
    }
    (total, all)
}

/// Messages/s, the p99 round trip (ms) and the server's CPU time per
/// message (µs) of [`echo_load`] against `server`.
fn measure(server: &Server, connections: usize, seconds: u64) -> (f64, f64, f64) {
    let addr = server.addr.as_str();
    let cpu_before = server.cpu();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let (count, histogram) = local.block_on(&rt, echo_load(addr, connections, seconds));
    let cpu = server.cpu().saturating_sub(cpu_before);
    (
        count as f64 / seconds as f64,
        histogram.value_at_quantile(0.99) as f64 / 1e3,
        cpu.as_secs_f64() * 1e6 / count.max(1) as f64,
    )
}

/// The hello Worker's HTTP requests/s over `connections` keep-alive
/// connections for `seconds` (the baseline when there is no Deno).
fn hello_rps(addr: &str, connections: usize, seconds: u64) -> f64 {
    let target = http::Target::get("echo.test", "/").answering(12);
    let time = Duration::from_secs(seconds);
    http::load(addr, target, connections, Duration::from_millis(300), time).requests
}

fn main() {
    let seconds: u64 = http::setting("WS_BENCH_SECONDS", 5);
    let connections: usize = http::setting("WS_BENCH_CONNECTIONS", 32);
    let deno = find_deno();
    let deno_server = match &deno {
        Ok(path) => Some(start_deno(path)),
        Err(why) => {
            println!(
                "no Deno to compare with ({why}): the baseline is the hello Worker's HTTP req/s"
            );
            None
        }
    };
    println!(
        "WebSocket echo, {connections} sockets, 32-byte text messages, {seconds} s x {ROUNDS} rounds, servers on core 0"
    );
    for engine in http::engines() {
        let motu = start_motu(engine);
        let (mut motu_rates, mut peer_rates) = (Vec::new(), Vec::new());
        let (mut motu_p99, mut peer_p99) = (Vec::new(), Vec::new());
        let (mut motu_cpu, mut peer_cpu) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let (rate, p99, cpu) = measure(&motu, connections, seconds);
            motu_rates.push(rate);
            motu_p99.push(p99);
            motu_cpu.push(cpu);
            match &deno_server {
                Some(d) => {
                    let (rate, p99, cpu) = measure(d, connections, seconds);
                    peer_rates.push(rate);
                    peer_p99.push(p99);
                    peer_cpu.push(cpu);
                }
                None => peer_rates.push(hello_rps(&motu.addr, connections, seconds)),
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (m, m99) = (median(&mut motu_rates), median(&mut motu_p99));
        let mc = median(&mut motu_cpu);
        let p = median(&mut peer_rates);
        match &deno_server {
            Some(_) => {
                let p99 = median(&mut peer_p99);
                let pc = median(&mut peer_cpu);
                println!(
                    "motu-{engine}: {m:.0} msg/s, p99 {m99:.2} ms, {mc:.1} µs CPU/msg | deno: {p:.0} msg/s, p99 {p99:.2} ms, {pc:.1} µs CPU/msg | motu/deno {:.2}x msg/s, p99 {:.2}x, CPU/msg {:.2}x",
                    m / p,
                    m99 / p99,
                    mc / pc
                );
            }
            None => println!(
                "motu-{engine}: {m:.0} msg/s, p99 {m99:.2} ms, {mc:.1} µs CPU/msg | hello HTTP {p:.0} req/s | echo msg/s / hello req/s {:.2}x",
                m / p
            ),
        }
    }
}
