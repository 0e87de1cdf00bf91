//! Idle collections, on every engine: an isolate that has been idle for a
//! second after running JavaScript collects its garbage the first time, and
//! later only once its heap has grown since its last collection (by 64 KiB)
//! or that collection is 30 seconds old; in between it is left alone and
//! counted in `motu_idle_collections_skipped_total`. A Durable Object
//! that leaves memory makes its instance garbage without the heap growing:
//! the next idle collection runs whatever the growth, and what it gives
//! back counts toward the server's trim of its C heap.

mod common;

use std::time::{Duration, Instant};

use common::{metrics, on_each_engine, Server, TempConfig};

/// `/grow` keeps about a megabyte of objects alive, `/drop` lets them go;
/// any other path builds next to nothing.
const WORKER: &str = r#"
let kept = null;
export default {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/grow') kept = Array.from({ length: 16384 }, (_, i) => ({ i, text: `item ${i}` }));
    if (path === '/drop') kept = null;
    return new Response(path);
  },
};
"#;

/// The value of the unlabelled counter `name` in the server's metrics.
fn counter(server: &Server, name: &str) -> u64 {
    let text = metrics(server);
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0, |v| v.trim().parse::<f64>().unwrap() as u64)
}

/// Waits (up to `patience`) until counter `name` is at least `value`.
fn wait_for_counter(server: &Server, name: &str, value: u64, patience: Duration) {
    let deadline = Instant::now() + patience;
    loop {
        let now = counter(server, name);
        if now >= value {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} stayed at {now}, below {value}:\n{}",
            metrics(server)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const COLLECTED: &str = "motu_idle_collections_total";
const SKIPPED: &str = "motu_idle_collections_skipped_total";

#[test]
fn an_idle_isolate_collects_when_its_heap_grew_and_is_left_alone_when_not() {
    on_each_engine(
        "an_idle_isolate_collects_when_its_heap_grew_and_is_left_alone_when_not",
        |engine| {
            let dir = TempConfig::new(&[("worker.js", WORKER)]);
            let path = dir.path("worker.js");
            let server =
                Server::start(&[&path, "--engine", engine, "--admin-listen", "127.0.0.1:0"]);
            let patience = Duration::from_secs(60);

            // The first idle collection comes whatever the heap did.
            assert_eq!(server.get("/").text(), "/");
            wait_for_counter(&server, COLLECTED, 1, patience);
            assert_eq!(counter(&server, SKIPPED), 0);

            // A request that leaves nothing behind: the isolate falls idle
            // again and is left alone.
            assert_eq!(server.get("/").text(), "/");
            wait_for_counter(&server, SKIPPED, 1, patience);
            assert_eq!(counter(&server, COLLECTED), 1);

            // A megabyte more in use: it collects.
            assert_eq!(server.get("/grow").text(), "/grow");
            wait_for_counter(&server, COLLECTED, 2, patience);

            // Objects that were live at that collection die, which need
            // not show as growth: collected by the time that collection
            // is 30 seconds old at the latest.
            assert_eq!(server.get("/drop").text(), "/drop");
            wait_for_counter(&server, COLLECTED, 3, Duration::from_secs(120));
        },
    );
}

/// An object that holds 8 MiB in a cycle (which QuickJS frees only in a
/// collection, as it does the `WebSocket`s of an object with hibernated
/// sockets).
const HOARD: &str = r#"
import { DurableObject } from 'cloudflare:workers';
export class Hoard extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    const hoard = { bytes: new ArrayBuffer(8 << 20) };
    hoard.self = hoard;
    this.hoard = hoard;
  }
  fetch() { return new Response(String(this.hoard.bytes.byteLength)); }
}
export default { fetch(request, env) { return env.HOARD.getByName('one').fetch(request); } };
"#;

const RELEASED: &str = "motu_isolate_released_bytes_total";
const TRIMS: &str = "motu_heap_trims_total";

#[test]
fn an_object_that_left_memory_is_collected_at_the_next_idle_collection() {
    on_each_engine(
        "an_object_that_left_memory_is_collected_at_the_next_idle_collection",
        |engine| {
            // The object leaves after 2 s idle: its isolate's first idle
            // collection (1 s after the request) comes while it is live.
            let config = format!(
                "[server]\nengine = \"{engine}\"\n\
                 [[workers]]\nname = \"hoard\"\nmain = \"hoard.js\"\nroutes = [\"*/*\"]\n\
                 [[workers.durable_objects.bindings]]\nname = \"HOARD\"\nclass_name = \"Hoard\"\n\
                 [workers.durable_objects]\nidle_timeout_s = 2\n\
                 [[workers.migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Hoard\"]\n"
            );
            let dir = TempConfig::new(&[("hoard.js", HOARD), ("motu.toml", &config)]);
            let state = dir.path("state");
            let server = Server::start(&[
                "--config",
                &dir.path("motu.toml"),
                "--persist-to",
                &state,
                "--admin-listen",
                "127.0.0.1:0",
            ]);
            let patience = Duration::from_secs(60);
            assert_eq!(server.get("/").text(), (8 << 20).to_string());
            // The isolate collects while the object is live (1 s idle);
            // then the object leaves (2 s idle), which grows no heap.
            common::wait_for_metrics(&server, &[r#"motu_durable_objects_live{worker="hoard"} 0"#]);
            let collected = counter(&server, COLLECTED);
            let skipped = counter(&server, SKIPPED);
            let released = counter(&server, RELEASED);
            let trims = counter(&server, TRIMS);
            // The next idle collection is not skipped for want of growth:
            // it gives the object's 8 MiB back.
            let deadline = Instant::now() + patience;
            while counter(&server, COLLECTED) == collected && counter(&server, SKIPPED) == skipped {
                assert!(Instant::now() < deadline, "{}", metrics(&server));
                std::thread::sleep(Duration::from_millis(50));
            }
            let text = metrics(&server);
            assert_eq!(counter(&server, SKIPPED), skipped, "{text}");
            assert!(
                counter(&server, RELEASED) >= released + (8 << 20),
                "the object's memory was not given back:\n{text}"
            );
            // What it gave back is enough for the server to trim its heap.
            wait_for_counter(&server, TRIMS, trims + 1, patience);
        },
    );
}
