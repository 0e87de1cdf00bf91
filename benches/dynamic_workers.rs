//! Dynamic Workers (Worker Loaders) through HTTP, beside the hello Worker
//! and a plain service binding, on each engine of motu, in the same run
//! with the same load. Each server has `hello` (answers "Hello World!")
//! and `parent`, whose fetch handler:
//!
//! - `/service`: calls `hello` through a service binding (the in-process
//!   call a dynamic Worker's is built on);
//! - `/cached`: calls a dynamic Worker of a fixed id (`LOADER.get('fixed',
//!   …)`): loaded once, then the same isolate;
//! - `/one-shot`: loads a new dynamic Worker for every request
//!   (`LOADER.load(code)`: the code checked, its module written and loaded,
//!   an isolate started) and calls it once — running code a request brings,
//!   as an AI agent's tool call does.
//!
//! Printed: req/s of each (best of 3 rounds), the ratios to hello and to the
//! service binding, the server's CPU per one-shot request, and its RSS
//! after the one-shot load with the dynamic Workers still loaded then.
//! `cargo bench --features v8 --bench dynamic_workers`; `DW_BENCH_SECONDS`
//! and `DW_BENCH_CONNECTIONS` change the load.

mod http;

use std::time::Duration;

use http::{Server, Target};

const ROUNDS: usize = 3;

const HELLO: &str = "export default { fetch() { return new Response('Hello World!') } }\n";

const PARENT: &str = "const CODE = { compatibilityDate: '2025-06-01', mainModule: 'w.js',\n\
  modules: { 'w.js': \"export default { fetch() { return new Response('Hello World!') } }\" } };\n\
export default {\n\
  async fetch(request, env) {\n\
    const path = new URL(request.url).pathname;\n\
    if (path === '/service') return env.HELLO.fetch(request);\n\
    const worker = path === '/cached' ? env.LOADER.get('fixed', () => CODE) : env.LOADER.load(CODE);\n\
    return worker.getEntrypoint().fetch(request);\n\
  },\n\
};\n";

/// The figures of one engine.
#[derive(Default)]
struct Figures {
    hello: f64,
    service: f64,
    cached: f64,
    one_shot: f64,
    /// Server CPU seconds and answers over the one-shot loads.
    one_shot_cpu: f64,
    one_shot_answers: u64,
    rss_mib: f64,
    loaded: f64,
}

fn serve(engine: &str) -> Server {
    let config = format!(
        "[server]\nengine = \"{engine}\"\n\
         [admin]\nlisten = \"127.0.0.1:0\"\n\
         [[workers]]\nname = \"hello\"\nmain = \"hello.js\"\nroutes = [\"hello.test/*\"]\n\
         [[workers]]\nname = \"parent\"\nmain = \"parent.js\"\nroutes = [\"parent.test/*\"]\n\
         compatibility_date = \"2025-11-20\"\n\
         [[workers.services]]\nbinding = \"HELLO\"\nservice = \"hello\"\n\
         [[workers.worker_loaders]]\nbinding = \"LOADER\"\n"
    );
    Server::with_files(
        &http::motu_bin(),
        &[
            ("hello.js", HELLO),
            ("parent.js", PARENT),
            ("motu.toml", &config),
        ],
    )
}

/// The value of the gauge `motu_dynamic_workers_loaded` of `parent`.
fn loaded(admin: &str) -> f64 {
    let mut c = http::Connection::open(admin);
    let (_, text) = c.request_body("GET", "admin", "/metrics", b"");
    let text = String::from_utf8_lossy(&text).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("motu_dynamic_workers_loaded{worker=\"parent\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn main() {
    let seconds: f64 = http::setting("DW_BENCH_SECONDS", 3.0);
    let connections: usize = http::setting("DW_BENCH_CONNECTIONS", 8);
    let (warmup, time) = (Duration::from_millis(300), Duration::from_secs_f64(seconds));
    let servers: Vec<(&str, Server)> = http::engines().iter().map(|e| (*e, serve(e))).collect();
    println!(
        "Dynamic Workers vs hello and a service binding, {connections} connections, {seconds} s \
         per measure, best of {ROUNDS} rounds (the engines in turn each round)"
    );
    let mut figures: Vec<Figures> = servers.iter().map(|_| Figures::default()).collect();
    for _ in 0..ROUNDS {
        for ((_, server), f) in servers.iter().zip(&mut figures) {
            let measure = |host, path| {
                let target = Target::get(host, path).answering(12);
                http::load(&server.addr, target, connections, warmup, time)
            };
            f.hello = f.hello.max(measure("hello.test", "/").requests);
            f.service = f.service.max(measure("parent.test", "/service").requests);
            f.cached = f.cached.max(measure("parent.test", "/cached").requests);
            let cpu = server.cpu();
            let one_shot = measure("parent.test", "/one-shot");
            f.one_shot_cpu += (server.cpu() - cpu).as_secs_f64();
            f.one_shot_answers += one_shot.all_answers;
            f.one_shot = f.one_shot.max(one_shot.requests);
            f.rss_mib = f.rss_mib.max(server.resident_mib());
            let admin = server
                .admin
                .as_deref()
                .expect("motu printed its admin address");
            f.loaded = f.loaded.max(loaded(admin));
        }
    }
    println!(
        "{:<8} {:>11} {:>13} {:>6} {:>12} {:>6} {:>7} {:>13} {:>6} {:>8} {:>12} {:>9} {:>8}",
        "engine",
        "hello req/s",
        "service req/s",
        "ratio",
        "cached req/s",
        "ratio",
        "/svc",
        "one-shot r/s",
        "ratio",
        "/svc",
        "CPU ms/shot",
        "RSS MiB",
        "loaded"
    );
    for ((engine, _), f) in servers.iter().zip(&figures) {
        println!(
            "{:<8} {:>11.0} {:>13.0} {:>5.2}x {:>12.0} {:>5.2}x {:>6.2}x {:>13.0} {:>5.3}x {:>7.3}x {:>12.2} {:>9.0} {:>8.0}",
            engine,
            f.hello,
            f.service,
            f.service / f.hello,
            f.cached,
            f.cached / f.hello,
            f.cached / f.service,
            f.one_shot,
            f.one_shot / f.hello,
            f.one_shot / f.service,
            f.one_shot_cpu / f.one_shot_answers.max(1) as f64 * 1e3,
            f.rss_mib,
            f.loaded,
        );
    }
}
