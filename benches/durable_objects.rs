//! A Durable Object counter through HTTP, beside the hello Worker, on each
//! engine of motu, on workerd (the runtime inside `wrangler dev`) and on
//! `wrangler dev` itself, in the same run with the same load. Each server has two Workers, `hello`
//! (answers "Hello World!") and `counter`, whose fetch handler calls one
//! object (`get(idFromName("c"))`) through its stub:
//!
//! - `/rpc-increment`: the RPC method `increment()` (`storage.get`, then
//!   `put`; its result waits for the fsync of the object's log: the output
//!   gate) — the target: at least 0.3x hello;
//! - `/rpc-read`: the RPC method `read()` (`get` only, no write, no fsync);
//! - `/increment`: the same increment through `stub.fetch` and the
//!   object's `fetch` handler.
//!
//! motu is `motu serve` (the bench build, or `MOTU_BIN`) with a `motu.toml`
//! per engine. workerd gets a Cap'n Proto config with the same two Worker
//! files: one socket per Worker, the counter Worker's `Counter` class in
//! `durableObjectNamespaces` (a `uniqueKey`), its storage
//! `durableObjectStorage = (localDisk = "do-storage")`, a disk service in
//! the config's temporary folder. The binary is `WORKERD_BIN`, or the one
//! `scripts/install-workerd.sh` installed into the compare cache; without
//! one the bench says so and skips workerd (it installs nothing).
//!
//! Every request goes to the same object, so its events are one at a time.
//! All servers run at once, idle but for the one measured; each round takes
//! them in turn, each with the four loads in turn: the same closed-loop
//! load (CONNECTIONS keep-alive connections, each sending its next request
//! when the last answer arrived) for SECONDS each, ROUNDS rounds, the best
//! of each kept. Prints the req/s of each and their ratios to the same
//! server's hello, then motu's ratios to each peer.
//!
//! The fsync is reported on its own. For motu, from the server's
//! `motu_durable_object_flush_seconds` histogram read before and after each
//! RPC increment load: how long one flush took on average, how many
//! increments one flush covered (flushes are grouped while one is going
//! on), and the share of the load's wall time during which a flush of the
//! object was going on. For every server, when `strace` is there, a
//! separate RPC increment load (after the measured rounds, not a
//! throughput figure) with `strace -f -w -c` attached counts the
//! fsync-family calls per increment and their mean wall time: whether the
//! server makes a write durable before it answers. workerd's local storage
//! is SQLite in WAL mode at SQLite's default `synchronous = FULL`: each
//! commit of an object's implicit transaction `fsync`s the WAL, on the
//! event loop's thread, and the output gate holds the answer until then
//! (one `fsync` per increment, none grouped, seen with strace: the WAL's
//! `pwrite64`, its `fsync`, then the answer's `writev`). The read column
//! against the increment column is what the write and its fsync cost.
//!
//! `wrangler dev --local` (found where `scripts/install-wrangler.sh` puts
//! it, or `WRANGLER_BIN`; skipped likewise) runs one per Worker, each a
//! proxy workerd and the Worker's workerd under Node.js; its increments
//! `fsync` once each too.
//!
//! Measured (release build, three runs, 8 connections, 3 s, best of 3, the
//! 2-core machine at a load average of 6.7 to 8.4): RPC increments per
//! second, and their ratio to the same server's hello — motu QuickJS 3,145
//! to 3,516 (0.17x to 0.19x), motu V8 2,952 to 3,678 (0.12x to 0.19x),
//! workerd 310 to 1,111 (0.02x to 0.06x), wrangler dev 47 to 465; hello
//! even with workerd (motu 0.94x to 1.27x of its 16,663 to 19,628 req/s),
//! RPC reads 0.34x to 0.46x of hello on motu, 0.19x to 0.46x on workerd.
//! Syncs per increment under strace: motu 0.26 to 0.40 (`fdatasync`,
//! grouped), workerd and wrangler dev 1.00 (`fsync`). README.md's Durable
//! Objects section has the table.
//!
//! `cargo bench --bench durable_objects` (QuickJS); add `--features v8` for
//! both. `DO_BENCH_SECONDS` and `DO_BENCH_CONNECTIONS` change the load.

mod http;

use std::path::Path;
use std::time::Duration;

use http::workerd::{self, Workerd};
use http::wrangler::{self, Wrangler};
use http::{Server, Target};

const ROUNDS: usize = 3;

const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";
const COUNTER: &str = "import { DurableObject } from 'cloudflare:workers';\n\
export class Counter extends DurableObject {\n\
  async increment() {\n\
    const n = ((await this.ctx.storage.get('n')) ?? 0) + 1;\n\
    await this.ctx.storage.put('n', n);\n\
    return n;\n\
  }\n\
  async read() { return (await this.ctx.storage.get('n')) ?? 0; }\n\
  async fetch(request) {\n\
    const n = (await this.ctx.storage.get('n')) ?? 0;\n\
    if (new URL(request.url).pathname === '/increment') await this.ctx.storage.put('n', n + 1);\n\
    return new Response(String(n));\n\
  }\n\
}\n\
export default {\n\
  async fetch(request, env) {\n\
    const stub = env.COUNTER.get(env.COUNTER.idFromName('c'));\n\
    const path = new URL(request.url).pathname;\n\
    if (path === '/rpc-increment') await stub.increment();\n\
    else if (path === '/rpc-read') await stub.read();\n\
    else await (await stub.fetch(new URL(path, 'https://do.internal'))).text();\n\
    return new Response('ok');\n\
  },\n\
};\n";

/// workerd's config: the same two Workers, each on its own socket, the
/// counter's `Counter` class a Durable Object namespace stored on the disk
/// service `do-storage` (the folder `storage`).
fn workerd_config(storage: &Path) -> String {
    format!(
        "using Workerd = import \"/workerd/workerd.capnp\";\n\
         const config :Workerd.Config = (\n\
           services = [\n\
             (name = \"hello\", worker = .hello),\n\
             (name = \"counter\", worker = .counter),\n\
             (name = \"do-storage\", disk = (path = \"{}\", writable = true)),\n\
           ],\n\
           sockets = [\n\
             (name = \"hello\", address = \"127.0.0.1:0\", http = (), service = \"hello\"),\n\
             (name = \"counter\", address = \"127.0.0.1:0\", http = (), service = \"counter\"),\n\
           ],\n\
         );\n\
         const hello :Workerd.Worker = (\n\
           modules = [(name = \"hello.js\", esModule = embed \"hello.js\")],\n\
           compatibilityDate = \"2025-01-01\",\n\
         );\n\
         const counter :Workerd.Worker = (\n\
           modules = [(name = \"counter.js\", esModule = embed \"counter.js\")],\n\
           compatibilityDate = \"2025-01-01\",\n\
           bindings = [(name = \"COUNTER\", durableObjectNamespace = \"Counter\")],\n\
           durableObjectNamespaces = [(className = \"Counter\", uniqueKey = \"motu-bench-counter\")],\n\
           durableObjectStorage = (localDisk = \"do-storage\"),\n\
         );\n",
        storage.display()
    )
}

/// The counter Worker's `wrangler.toml`: its `Counter` class a
/// SQLite-backed Durable Object class, as workerd's local storage is.
const COUNTER_WRANGLER: &str = "name = \"counter\"\nmain = \"counter.js\"\n\
compatibility_date = \"2025-01-01\"\n\
[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n\
[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Counter\"]\n";

/// A running server of the comparison (kept until the end of the run).
enum Process {
    Motu(Server),
    Workerd(Workerd),
    /// One `wrangler dev` per Worker (hello's only kept running).
    Wrangler {
        _hello: Wrangler,
        counter: Wrangler,
    },
}

/// A server measured: where its hello and counter Workers answer.
struct Subject {
    /// `quickjs`, `v8` (motu's engines), `workerd` or `wrangler`.
    name: String,
    /// `host:port` of hello, and of the counter.
    hello: String,
    counter: String,
    /// motu's admin listener (its `/metrics`); `None` for the peers.
    admin: Option<String>,
    process: Process,
}

impl Subject {
    /// The processes that run the counter (and write its object).
    fn counter_pids(&self) -> Vec<u32> {
        match &self.process {
            Process::Motu(server) => vec![server.pid()],
            Process::Workerd(workerd) => vec![workerd.pid()],
            Process::Wrangler { counter, .. } => counter.pids(),
        }
    }
}

/// `motu serve` on `engine` with the two Workers.
fn motu(engine: &str) -> Subject {
    let config = format!(
        "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
         [[workers]]\nname = \"counter\"\nmain = \"counter.js\"\nroutes = [\"counter.test/*\"]\n\
         [[workers.durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n"
    );
    let server = Server::with_files(
        &http::motu_bin(),
        &[
            ("hello.js", HELLO),
            ("counter.js", COUNTER),
            ("motu.toml", &config),
        ],
    );
    Subject {
        name: engine.to_owned(),
        hello: server.addr.clone(),
        counter: server.addr.clone(),
        admin: Some(
            server
                .admin
                .clone()
                .expect("motu printed its admin address"),
        ),
        process: Process::Motu(server),
    }
}

/// `workerd serve` with the two Workers, its objects stored in its folder.
fn workerd(bin: &Path) -> Subject {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().join("do-storage");
    std::fs::create_dir(&storage).unwrap();
    std::fs::write(dir.path().join("hello.js"), HELLO).unwrap();
    std::fs::write(dir.path().join("counter.js"), COUNTER).unwrap();
    std::fs::write(dir.path().join("config.capnp"), workerd_config(&storage)).unwrap();
    let workerd = Workerd::serve(bin, dir, &["hello", "counter"]);
    Subject {
        name: "workerd".to_owned(),
        hello: workerd.addr("hello"),
        counter: workerd.addr("counter"),
        admin: None,
        process: Process::Workerd(workerd),
    }
}

/// Two `wrangler dev --local`, hello's and the counter's, the counter's
/// objects stored in its folder's `.wrangler/state`.
fn wrangler(bin: &Path) -> Subject {
    let dev = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        Wrangler::dev(bin, dir)
    };
    let hello = dev(&[
        ("hello.js", HELLO),
        (
            "wrangler.toml",
            "name = \"hello\"\nmain = \"hello.js\"\ncompatibility_date = \"2025-01-01\"\n",
        ),
    ]);
    let counter = dev(&[("counter.js", COUNTER), ("wrangler.toml", COUNTER_WRANGLER)]);
    Subject {
        name: "wrangler".to_owned(),
        hello: hello.addr.clone(),
        counter: counter.addr.clone(),
        admin: None,
        process: Process::Wrangler {
            _hello: hello,
            counter,
        },
    }
}

/// The flush histogram's sum (seconds) and count for the counter Worker.
fn flushes(admin: &str) -> (f64, f64) {
    let mut c = http::Connection::open(admin);
    let (status, body) = c.request_body("GET", "admin", "/metrics", b"");
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&body);
    let value = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name}{{worker=\"counter\"}}")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (
        value("motu_durable_object_flush_seconds_sum"),
        value("motu_durable_object_flush_seconds_count"),
    )
}

/// The best req/s of each load over the rounds, and motu's flushes.
#[derive(Default)]
struct Figures {
    hello: f64,
    rpc: f64,
    read: f64,
    fetch: f64,
    /// Flush seconds and flushes during the RPC increment loads (motu).
    flush_s: f64,
    flush_n: f64,
    /// Increments answered during those loads, warm-ups included.
    increments: u64,
}

fn main() {
    let seconds: f64 = http::setting("DO_BENCH_SECONDS", 3.0);
    let connections: usize = http::setting("DO_BENCH_CONNECTIONS", 8);
    let (warmup, time) = (Duration::from_millis(300), Duration::from_secs_f64(seconds));
    let mut subjects: Vec<Subject> = http::engines().iter().map(|e| motu(e)).collect();
    match workerd::binary() {
        Some(bin) => {
            println!("workerd: {} ({})", bin.display(), workerd::version(&bin));
            subjects.push(workerd(&bin));
        }
        None => println!(
            "workerd: not found (scripts/install-workerd.sh installs it, or set WORKERD_BIN): skipped"
        ),
    }
    match wrangler::binary() {
        Some(bin) => {
            println!("wrangler dev: {} ({})", bin.display(), wrangler::version(&bin));
            subjects.push(wrangler(&bin));
        }
        None => println!(
            "wrangler dev: not found (scripts/install-wrangler.sh installs it, or set WRANGLER_BIN): skipped"
        ),
    }
    println!(
        "Durable Object counter vs hello, {connections} connections, {seconds} s per measure, \
         best of {ROUNDS} rounds (the servers in turn each round)"
    );
    let mut figures: Vec<Figures> = subjects.iter().map(|_| Figures::default()).collect();
    for _ in 0..ROUNDS {
        for (subject, f) in subjects.iter().zip(&mut figures) {
            let measure = |addr: &str, host, path, length| {
                let target = Target::get(host, path).answering(length);
                http::load(addr, target, connections, warmup, time)
            };
            let counter = |path| measure(&subject.counter, "counter.test", path, 2);
            f.hello = f
                .hello
                .max(measure(&subject.hello, "hello.test", "/", 12).requests);
            let before = subject.admin.as_deref().map(flushes);
            let rate = counter("/rpc-increment");
            if let (Some(before), Some(admin)) = (before, &subject.admin) {
                let after = flushes(admin);
                f.flush_s += after.0 - before.0;
                f.flush_n += after.1 - before.1;
            }
            f.rpc = f.rpc.max(rate.requests);
            f.increments += rate.all_answers;
            f.read = f.read.max(counter("/rpc-read").requests);
            f.fetch = f.fetch.max(counter("/increment").requests);
        }
    }
    println!(
        "{:<8} {:>11} {:>13} {:>6} {:>12} {:>6} {:>14} {:>6} | {:>13} {:>13} {:>11}",
        "server",
        "hello req/s",
        "RPC incr. r/s",
        "ratio",
        "RPC read r/s",
        "ratio",
        "fetch incr r/s",
        "ratio",
        "fsync mean ms",
        "incr./fsync",
        "fsync share"
    );
    let wall = (warmup + time).as_secs_f64() * ROUNDS as f64;
    for (subject, f) in subjects.iter().zip(&figures) {
        let flush = if subject.admin.is_some() {
            format!(
                "{:>13.2} {:>13.1} {:>10.0}%",
                f.flush_s / f.flush_n.max(1.0) * 1e3,
                f.increments as f64 / f.flush_n.max(1.0),
                f.flush_s / wall * 100.0,
            )
        } else {
            format!("{:>13} {:>13} {:>11}", "-", "-", "-")
        };
        println!(
            "{:<8} {:>11.0} {:>13.0} {:>5.2}x {:>12.0} {:>5.2}x {:>14.0} {:>5.2}x | {flush}",
            subject.name,
            f.hello,
            f.rpc,
            f.rpc / f.hello,
            f.read,
            f.read / f.hello,
            f.fetch,
            f.fetch / f.hello,
        );
    }
    let motu = || {
        subjects
            .iter()
            .zip(&figures)
            .filter(|(s, _)| s.admin.is_some())
    };
    for (peer, p) in subjects
        .iter()
        .zip(&figures)
        .filter(|(s, _)| s.admin.is_none())
    {
        for (subject, f) in motu() {
            println!(
                "motu {} / {}: hello {:.2}x, RPC increment {:.2}x, RPC read {:.2}x, fetch increment {:.2}x",
                subject.name,
                peer.name,
                f.hello / p.hello,
                f.rpc / p.rpc,
                f.read / p.read,
                f.fetch / p.fetch,
            );
        }
    }
    syncs(&subjects, connections, time);
}

/// Each server's fsync-family calls per RPC increment, from a separate
/// load under strace.
fn syncs(subjects: &[Subject], connections: usize, time: Duration) {
    println!(
        "Syncs per RPC increment (strace -f -w -c attached during a separate {} s load; not a throughput figure)",
        time.as_secs_f64()
    );
    println!(
        "{:<8} {:>10} {:>10} {:>11} {:>13}",
        "server", "increments", "sync calls", "calls/incr.", "mean ms/call"
    );
    for subject in subjects {
        let target = Target::get("counter.test", "/rpc-increment").answering(2);
        let traced = http::syncs::count(&subject.counter_pids(), || {
            http::load(&subject.counter, target, connections, Duration::ZERO, time)
        });
        let Some((rate, syncs)) = traced else {
            println!(
                "{:<8} skipped: strace is missing or cannot attach",
                subject.name
            );
            return;
        };
        println!(
            "{:<8} {:>10} {:>10} {:>11.2} {:>13.2}",
            subject.name,
            rate.all_answers,
            syncs.calls,
            syncs.calls as f64 / rate.all_answers.max(1) as f64,
            syncs.seconds / syncs.calls.max(1) as f64 * 1e3,
        );
    }
}
