//! WebSocket echo: messages per second over CONNECTIONS sockets, and the
//! 99th percentile of a message's round trip, for motu (per engine: a
//! Worker answering the upgrade with a `WebSocketPair` end that sends each
//! message back) beside Deno (`Deno.upgradeWebSocket`, the same echo), both
//! pinned to core 0 (`taskset`, when there is one; motu with one executor
//! thread), driven by the same closed-loop load from this process (each
//! socket sends its next 32-byte text message when the last echo arrived)
//! for SECONDS each after a warm-up, alternating, ROUNDS times. The load
//! is one `epoll` loop pinned to core 1 (`ws_client`), which keeps up with
//! either server: the messages per second are the server's. Prints each
//! round's figures, then each server's median messages/s, p99 and CPU time
//! per echoed message (the server process's user and system time over the
//! measured window, divided by the messages echoed in it), and motu's ratio
//! to Deno measured in the same run (the target: at least 1x Deno).
//!
//! Deno comes from `DENO` (a path), else `deno` on the PATH, else the npm
//! package `deno` installed once into `target/deno-npm`. Without Deno the
//! bench says why and prints motu's figures with their ratio to the hello
//! Worker's HTTP requests/s on the same core instead.
//!
//! `cargo bench --bench websocket_echo` (QuickJS); add `--features v8` for
//! both. `WS_BENCH_SECONDS`, `WS_BENCH_CONNECTIONS` and `WS_BENCH_ROUNDS`
//! change the load;
//! `MOTU_BIN` measures another build of the binary; `MOTU_BIN_B` a second
//! one in the same rounds (A, B, then Deno), with B's ratios to A.

mod http;
mod ws_client;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use http::{Server, Stderr};

/// Rounds by default (`WS_BENCH_ROUNDS`).
const ROUNDS: usize = 3;

/// Echoes before the measured window (connections made, caches warm).
const WARMUP: Duration = Duration::from_millis(500);

const ECHO: &str = "export default {\n  fetch(request) {\n    if (request.headers.get('upgrade') !== 'websocket') return new Response('Hello World!');\n    const [client, server] = Object.values(new WebSocketPair());\n    server.accept();\n    server.addEventListener('message', e => server.send(e.data));\n    return new Response(null, { status: 101, webSocket: client });\n  },\n};\n";

const DENO_ECHO: &str = "Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`listening ${port}`) }, request => {\n  const { socket, response } = Deno.upgradeWebSocket(request);\n  socket.onmessage = e => socket.send(e.data);\n  return response;\n});\n";

/// Whether `taskset` is there to pin the servers.
fn has_taskset() -> bool {
    Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The niceness the servers and the load run at (`WS_BENCH_NICE`, -20 by
/// default): on a machine shared with other work, a server at the default
/// niceness gets a share of its core that changes with that work, and its
/// messages per second with it. Each server runs in a session of its own
/// whose scheduling group (Linux's autogroup, when it is on) gets this
/// niceness too, and so does this process's group when it leads a session
/// of its own (`setsid`), so that other sessions' work (builds, other
/// benches) yields to the measured server and its load. Raising it needs the privilege to (root); without it, everything
/// runs as it would have.
fn niceness() -> i32 {
    http::setting("WS_BENCH_NICE", -20)
}

/// Gives the calling process's scheduling group (autogroup) niceness
/// `nice`, when the system has them and allows it. Async-signal-safe.
fn renice_group(nice: i32) {
    let mut text = [0u8; 8];
    let mut n = 0;
    if nice < 0 {
        text[0] = b'-';
        n = 1;
    }
    let magnitude = nice.unsigned_abs().min(99);
    if magnitude >= 10 {
        text[n] = b'0' + (magnitude / 10) as u8;
        n += 1;
    }
    text[n] = b'0' + (magnitude % 10) as u8;
    n += 1;
    // SAFETY: open, write and close on a path and buffer that outlive the
    // calls.
    unsafe {
        let fd = libc::open(c"/proc/self/autogroup".as_ptr(), libc::O_WRONLY);
        if fd >= 0 {
            libc::write(fd, text.as_ptr().cast(), n);
            libc::close(fd);
        }
    }
}

/// `program args…`, pinned to core 0 when `taskset` is there, at
/// [`niceness`] in a session of its own (its threads inherit it).
fn pinned(program: &Path, args: &[&str]) -> Command {
    let mut command = if has_taskset() {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    command.args(args);
    let nice = niceness();
    // SAFETY: setsid, setpriority and renice_group are async-signal-safe;
    // a failure leaves the child as it was.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(move || {
            libc::setsid();
            renice_group(nice);
            libc::setpriority(libc::PRIO_PROCESS, 0, nice);
            Ok(())
        });
    }
    command
}

fn start_motu(engine: &str, bin: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("echo.js"), ECHO).unwrap();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nthreads = 1\n\
         [[workers]]\nname = \"echo\"\nmain = \"echo.js\"\nroutes = [\"*/*\"]\n"
    );
    std::fs::write(dir.path().join("motu.toml"), config).unwrap();
    let path = dir.path().join("motu.toml");
    let mut command = pinned(
        Path::new(bin),
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

/// The core the load runs on: the one the servers are not pinned to, when
/// the machine has two or more and `taskset` pins the servers.
fn load_core() -> Option<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores > 1 && has_taskset()).then_some(1)
}

/// What one round measured of one server.
struct Round {
    /// Echoed messages per second.
    rate: f64,
    /// The 99th percentile round trip, ms.
    p99: f64,
    /// The server's CPU time per echoed message, µs.
    cpu: f64,
    /// The share of the window the server was on a CPU (1: saturated).
    server_busy: f64,
    /// The share of the window the load thread was on a CPU.
    client_busy: f64,
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} msg/s, p99 {:.2} ms, {:.1} µs CPU/msg (server busy {:.0}%, load {:.0}%)",
            self.rate,
            self.p99,
            self.cpu,
            self.server_busy * 100.0,
            self.client_busy * 100.0
        )
    }
}

/// What the echo load measured of `server` over `seconds` after a warm-up;
/// the server's CPU time is read at the ends of the measured window.
fn measure(server: &Server, connections: usize, seconds: u64) -> Round {
    let time = Duration::from_secs(seconds);
    let (window_tx, window) = std::sync::mpsc::channel();
    let load = ws_client::Load {
        addr: server.addr.clone(),
        connections,
        payload_bytes: 32,
        warmup: WARMUP,
        time,
        core: load_core(),
        nice: niceness(),
    };
    let load = ws_client::echo_load(load, window_tx);
    let from = window.recv().expect("the measured window");
    let cpu_before = server.cpu();
    std::thread::sleep((from + time).saturating_duration_since(Instant::now()));
    let cpu = server.cpu().saturating_sub(cpu_before);
    let echoes = load.join().expect("the load thread");
    let count = echoes.count;
    let window = echoes.elapsed.as_secs_f64();
    Round {
        rate: count as f64 / window,
        p99: echoes.round_trips.value_at_quantile(0.99) as f64 / 1e3,
        cpu: cpu.as_secs_f64() * 1e6 / count.max(1) as f64,
        server_busy: cpu.as_secs_f64() / window,
        client_busy: echoes.client_cpu.as_secs_f64() / window,
    }
}

/// The hello Worker's HTTP requests/s over `connections` keep-alive
/// connections for `seconds` (the baseline when there is no Deno).
fn hello_rps(addr: &str, connections: usize, seconds: u64) -> f64 {
    let target = http::Target::get("echo.test", "/").answering(12);
    let time = Duration::from_secs(seconds);
    http::load(addr, target, connections, Duration::from_millis(300), time).requests
}

fn main() {
    // This process's scheduling group is its session's: raised only when
    // the session is its own (`setsid cargo bench …`), not the caller's.
    // SAFETY: plain system calls about this process.
    if unsafe { libc::getsid(0) == libc::getpid() } {
        renice_group(niceness());
    }
    let seconds: u64 = http::setting("WS_BENCH_SECONDS", 5);
    let connections: usize = http::setting("WS_BENCH_CONNECTIONS", 32);
    let rounds: usize = http::setting("WS_BENCH_ROUNDS", ROUNDS).max(1);
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
        "WebSocket echo, {connections} sockets, 32-byte text messages, {seconds} s x {rounds} rounds, servers on core 0, load on core {}, niceness {}",
        load_core().map_or_else(|| "any".to_owned(), |c| c.to_string()),
        niceness()
    );
    // A second build measured in the same rounds, right after the first:
    // its ratios to the first, round by round.
    let other_bin = std::env::var("MOTU_BIN_B").ok();
    if let Some(b) = &other_bin {
        println!(
            "B: {b}, measured after A (`{}`) in each round",
            http::motu_bin()
        );
    }
    for engine in http::engines() {
        let motu = start_motu(engine, &http::motu_bin());
        let other = other_bin.as_deref().map(|b| start_motu(engine, b));
        let (mut cpu_b_to_a, mut rate_b_to_a, mut cpu_b_to_deno) =
            (Vec::new(), Vec::new(), Vec::new());
        let (mut motu_rates, mut peer_rates) = (Vec::new(), Vec::new());
        let (mut motu_p99, mut peer_p99) = (Vec::new(), Vec::new());
        let (mut motu_cpu, mut peer_cpu) = (Vec::new(), Vec::new());
        for round in 1..=rounds {
            let m = measure(&motu, connections, seconds);
            motu_rates.push(m.rate);
            motu_p99.push(m.p99);
            motu_cpu.push(m.cpu);
            print!("  round {round}: motu-{engine} {m}");
            let b = other.as_ref().map(|o| measure(o, connections, seconds));
            if let Some(b) = &b {
                print!(" | B {b}");
                cpu_b_to_a.push(b.cpu / m.cpu);
                rate_b_to_a.push(b.rate / m.rate);
            }
            match &deno_server {
                Some(d) => {
                    let r = measure(d, connections, seconds);
                    peer_rates.push(r.rate);
                    peer_p99.push(r.p99);
                    peer_cpu.push(r.cpu);
                    if let Some(b) = &b {
                        cpu_b_to_deno.push(b.cpu / r.cpu);
                    }
                    println!(" | deno {r}");
                }
                None => {
                    let rate = hello_rps(&motu.addr, connections, seconds);
                    peer_rates.push(rate);
                    println!(" | hello HTTP {rate:.0} req/s");
                }
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
        if other.is_some() {
            let deno = if cpu_b_to_deno.is_empty() {
                String::new()
            } else {
                format!(", B/deno CPU/msg {:.2}x", median(&mut cpu_b_to_deno))
            };
            println!(
                "motu-{engine} B/A, medians of the rounds' ratios: CPU/msg {:.3}x, msg/s {:.3}x{deno}",
                median(&mut cpu_b_to_a),
                median(&mut rate_b_to_a)
            );
        }
    }
}
