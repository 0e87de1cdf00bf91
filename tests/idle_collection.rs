//! Idle collections, on every engine: an isolate that has been idle for a
//! second after running JavaScript collects its garbage the first time, and
//! later only once its heap has grown since its last collection (by 64 KiB)
//! or that collection is 30 seconds old; in between it is left alone and
//! counted in `motu_idle_collections_skipped_total`.

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
