//! Hibernated WebSockets held open: SOCKETS idle sockets of one Durable
//! Object (accepted with `ctx.acceptWebSocket`), per engine, with the
//! object out of memory. Prints the server's resident memory before (one
//! socket open, the object evicted) and after (every socket open, the
//! object evicted again, both read from the metrics, and each time after
//! the server trimmed its C heap once quiet — `motu_heap_trims_total`
//! moved — or, if it does not within [`TRIM_WAIT`], without), the growth
//! per socket, and its ratio to the 4 KiB target; then checks that a
//! message still wakes the object.
//!
//! `cargo bench --bench websocket_hibernation` (QuickJS); add
//! `--features v8` for both (`WS_HIB_ENGINE=quickjs` or `v8` runs one of
//! them). `WS_HIB_SOCKETS` changes the count (10,000);
//! `MOTU_BIN` measures another build of the binary. The process needs
//! room for SOCKETS + a few file descriptors (`ulimit -n`).

mod http;

use std::process::Command;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use http::{Server, Stderr};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The target: at most this many bytes of the server's memory per idle
/// hibernated socket.
const TARGET_BYTES: f64 = 4096.0;

/// How long to wait for the server to trim its C heap once the object
/// left memory (it trims 2 s after the memory it gave back stops moving).
const TRIM_WAIT: Duration = Duration::from_secs(15);

const ROOM: &str = "import { DurableObject } from 'cloudflare:workers';\n\
export class Room extends DurableObject {\n\
  fetch(request) {\n\
    const [client, server] = Object.values(new WebSocketPair());\n\
    this.ctx.acceptWebSocket(server, ['all']);\n\
    return new Response(null, { status: 101, webSocket: client });\n\
  }\n\
  webSocketMessage(ws, message) { ws.send(`${message} ${this.ctx.getTags(ws)}`); }\n\
}\n\
export default { fetch(request, env) { return env.ROOMS.getByName('bench').fetch(request); } };\n";

fn start(engine: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("room.js"), ROOM).unwrap();
    let config = format!(
        "[server]\nengine = \"{engine}\"\nthreads = 1\n\
         [[workers]]\nname = \"room\"\nmain = \"room.js\"\nroutes = [\"*/*\"]\n\
         [[workers.durable_objects.bindings]]\nname = \"ROOMS\"\nclass_name = \"Room\"\n\
         [workers.durable_objects]\nidle_timeout_s = 1\n\
         [[workers.migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Room\"]\n"
    );
    std::fs::write(dir.path().join("motu.toml"), config).unwrap();
    let mut command: Command = Server::command(&http::motu_bin(), &dir);
    command
        .args(["--admin-listen", "127.0.0.1:0", "--persist-to"])
        .arg(dir.path().join("state"));
    Server::spawn(command, dir, Stderr::Inherit, http::motu_address)
}

async fn open(addr: &str) -> Socket {
    let request = format!("ws://{addr}/").into_client_request().unwrap();
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// The value of the metric line starting with `prefix`.
fn metric(server: &Server, prefix: &str) -> Option<f64> {
    let admin = server.admin.as_deref().expect("an admin listener");
    let mut c = http::Connection::open(admin);
    let (status, body) = c.request_body("GET", "admin", "/metrics", b"");
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&body);
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|v| v.trim().parse().ok())
}

/// Waits up to [`TRIM_WAIT`] for the server's count of heap trims to pass
/// `since`; says whether it did, and the count now.
fn wait_trimmed(server: &Server, since: f64) -> (bool, f64) {
    let deadline = Instant::now() + TRIM_WAIT;
    loop {
        let trims = metric(server, "motu_heap_trims_total").unwrap_or(0.0);
        if trims > since {
            return (true, trims);
        }
        if Instant::now() >= deadline {
            return (false, trims);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until the object is out of memory with `sockets` open.
fn wait_hibernated(server: &Server, sockets: usize) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let live = metric(server, "motu_durable_objects_live{worker=\"room\"}");
        let held = metric(server, "motu_durable_object_websockets{worker=\"room\"}");
        if live == Some(0.0) && held == Some(sockets as f64) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the object never hibernated with {sockets} sockets (live {live:?}, held {held:?})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn main() {
    let count: usize = http::setting("WS_HIB_SOCKETS", 10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let only = std::env::var("WS_HIB_ENGINE").ok();
    for engine in http::engines() {
        if only.as_deref().is_some_and(|o| o != *engine) {
            continue;
        }
        let server = start(engine);
        let addr = server.addr.clone();
        let mut first = rt.block_on(open(&addr));
        wait_hibernated(&server, 1);
        let (trimmed_before, trims) = wait_trimmed(&server, 0.0);
        let before = server.resident_mib();
        // What isolates gave back before the baseline: an upper bound on
        // the free heap an untrimmed baseline may hold.
        let released = metric(&server, "motu_isolate_released_bytes_total").unwrap_or(0.0);
        let started = Instant::now();
        let sockets: Vec<Socket> = rt.block_on(
            futures::stream::iter(0..count)
                .map(|_| open(&addr))
                .buffer_unordered(64)
                .collect(),
        );
        let opened = started.elapsed();
        wait_hibernated(&server, count + 1);
        let untrimmed = server.resident_mib();
        let (trimmed_after, _) = wait_trimmed(&server, trims);
        let after = server.resident_mib();
        // What the object's isolate gave back once it left memory.
        let released_after =
            metric(&server, "motu_isolate_released_bytes_total").unwrap_or(0.0) - released;
        let per_socket = (after - before) * 1024.0 * 1024.0 / count as f64;
        let said = |trimmed: bool, given_back: f64| {
            let trimmed = if trimmed { "trimmed" } else { "not trimmed" };
            format!("{trimmed}, {:.1} MiB given back", given_back / 1048576.0)
        };
        println!(
            "{engine}: {count} hibernated sockets opened in {:.1} s; object out of memory; \
             RSS {before:.1} MiB ({}) -> {untrimmed:.1} MiB, {after:.1} MiB ({}): \
             {:.0} bytes per socket = {:.2}x the 4 KiB target",
            opened.as_secs_f64(),
            said(trimmed_before, released),
            said(trimmed_after, released_after),
            per_socket,
            per_socket / TARGET_BYTES,
        );
        // A message still wakes the object, with the socket's tags.
        let starts = metric(&server, "motu_durable_object_starts_total{worker=\"room\"}");
        let reply = rt.block_on(async {
            first.send(Message::text("hello")).await.unwrap();
            loop {
                match first.next().await {
                    Some(Ok(Message::Text(t))) => break t.as_str().to_owned(),
                    Some(Ok(_)) => continue,
                    other => panic!("no reply: {other:?}"),
                }
            }
        });
        let woke = metric(&server, "motu_durable_object_starts_total{worker=\"room\"}");
        println!("{engine}: a message woke the object (starts {starts:?} -> {woke:?}): {reply:?}");
        assert_eq!(reply, "hello all");
        drop(sockets);
    }
}
