//! Queues over HTTP, on both engines: the fixture project
//! `tests/projects/queues` sends to a queue through its routes and consumes
//! it, recording every delivery in a D1 table (see its `src/index.js`);
//! each server gets a state folder of its own (`--persist-to`). The cases
//! that do not kill the server run on both backends: the embedded store,
//! then Redis Streams (`[cluster] redis`, a database of the test file's
//! own `redis-server` per case).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::durability::{KillNine, Seen};
use common::{on_each_engine, wait_for_metrics, Server};
use serde_json::{json, Value};

fn project(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/projects/queues")
        .join(file)
        .to_str()
        .unwrap()
        .to_owned()
}

fn serve(engine: &str, state: &Path) -> Server {
    serve_with(engine, state, &[])
}

fn serve_with(engine: &str, state: &Path, extra: &[&str]) -> Server {
    let config = project("wrangler.jsonc");
    let mut args = vec![
        "--config",
        &config,
        "--engine",
        engine,
        "--persist-to",
        state.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let redis = REDIS.with(|r| r.borrow().clone());
    let env: Vec<(&str, &str)> = redis
        .as_deref()
        .map(|url| ("MOTU_CLUSTER__REDIS", url))
        .into_iter()
        .collect();
    let server = Server::start_with_env(&args, &env);
    wait_for_redis(&server, redis.as_deref());
    server
}

/// With the Redis backend, waits until the server says it uses it.
fn wait_for_redis(server: &Server, redis: Option<&str>) {
    if let Some(url) = redis {
        let needle = format!("shared through Redis at {url}");
        assert!(
            server.wait_for_log(&needle).contains(&needle),
            "{}",
            server.log()
        );
    }
}

thread_local! {
    /// The Redis URL of the case running on this thread, when it runs on
    /// the Redis backend.
    static REDIS: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `case` on each engine with the embedded store, then on each engine
/// with the queues in Redis (a fresh database per engine). A failure names
/// the backend.
fn on_each_backend(name: &str, case: impl Fn(&str) + std::panic::RefUnwindSafe) {
    on_each_engine(name, &case);
    on_each_engine(name, |engine| {
        REDIS.with(|r| *r.borrow_mut() = Some(common::redis::shared_url()));
        let outcome = std::panic::catch_unwind(|| case(engine));
        let url = REDIS.with(|r| r.borrow_mut().take()).unwrap();
        if let Err(e) = outcome {
            eprintln!("{name} on {engine} failed with the Redis backend ({url})");
            std::panic::resume_unwind(e);
        }
    });
}

fn state_folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    (dir, state)
}

/// POSTs `body` to `path`: `{ result }` or `{ error }`.
fn call(server: &Server, path: &str, body: Value) -> Value {
    let body = serde_json::to_vec(&body).unwrap();
    server.request("POST", path, &[], &body).json()
}

fn ok(server: &Server, path: &str, body: Value) -> Value {
    let answer = call(server, path, body.clone());
    assert!(
        answer.get("error").is_none(),
        "{path} {body} failed: {answer}"
    );
    answer["result"].clone()
}

fn deliveries(server: &Server) -> Vec<Value> {
    ok(server, "/deliveries", json!({}))
        .as_array()
        .unwrap()
        .clone()
}

/// Waits (up to a minute) until `done` holds of the deliveries: them.
fn wait_for(server: &Server, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = deliveries(server);
        if done(&seen) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "waited a minute for {what}; deliveries: {seen:#?}\nlog:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The deliveries of messages tagged `tag`.
fn tagged<'a>(seen: &'a [Value], tag: &str) -> Vec<&'a Value> {
    seen.iter().filter(|d| d["tag"] == tag).collect()
}

/// Waits until the queue `jobs` holds nothing (every message settled).
fn wait_empty(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let m = ok(server, "/metrics", json!({}));
        if m["backlogCount"] == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the queue never emptied: {m}\nlog:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_content_type_round_trips() {
    on_each_backend("queues_content_types", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let kinds = ["text", "bytes", "json", "v8", "default"];
        for kind in kinds {
            ok(&server, "/send-kind", json!({ "kind": kind }));
        }
        let seen = wait_for(&server, "five messages", |s| s.len() >= 5);
        assert_eq!(seen.len(), 5, "{seen:#?}");
        for (kind, d) in kinds.iter().zip(&seen) {
            let expected = match *kind {
                // What the consumer's describe() makes of the value sent.
                "text" => json!("string:plain text é"),
                "bytes" => json!("Uint8Array:0,1,254,255"),
                "v8" => ok(&server, "/describe-kind", json!({ "kind": "v8" })),
                _ => ok(&server, "/describe-kind", json!({ "kind": "json" })),
            };
            assert_eq!(d["body"], expected, "{kind}: {d}");
            assert_eq!(d["attempts"], 1);
            assert_eq!(d["queue"], "jobs");
            assert_eq!(d["id"].as_str().unwrap().len(), 32, "{d}");
        }
        // The v8 body kept its types: Date, Map, Set, BigInt, NaN, -0,
        // undefined, RegExp, typed arrays, errors, shared and cyclic
        // references, holes.
        let v8: Value = serde_json::from_str(seen[3]["body"].as_str().unwrap()).unwrap();
        assert_eq!(v8["big"], "12345678901234567890");
        assert_eq!(v8["self"], true);
        assert_eq!(v8["shared"], true);
        assert_eq!(v8["sparse"], "3:false:3");
        wait_empty(&server);
    });
}

#[test]
fn batches_are_made_by_size_and_by_timeout() {
    on_each_backend("queues_batching", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        // max_batch_size is 4: eight messages sent at once are two full
        // batches.
        let messages: Vec<Value> = (0..8)
            .map(|i| json!({ "body": { "tag": format!("m{i}") } }))
            .collect();
        ok(&server, "/send-batch", json!({ "messages": messages }));
        let seen = wait_for(&server, "eight messages", |s| s.len() >= 8);
        let mut batches: BTreeMap<String, usize> = BTreeMap::new();
        for d in &seen {
            assert_eq!(d["batch_size"], 4, "{seen:#?}");
            *batches
                .entry(d["batch"].as_str().unwrap().into())
                .or_default() += 1;
        }
        assert_eq!(batches.values().collect::<Vec<_>>(), [&4, &4]);
        // A lone message is delivered once the batch timeout has passed, in
        // a batch of one.
        ok(&server, "/send", json!({ "body": { "tag": "lone" } }));
        let seen = wait_for(&server, "the lone message", |s| {
            !tagged(s, "lone").is_empty()
        });
        assert_eq!(tagged(&seen, "lone")[0]["batch_size"], 1);
        wait_empty(&server);
    });
}

#[test]
fn a_failing_message_is_retried_then_dead_lettered() {
    on_each_backend("queues_retry_dlq", |engine| {
        let (_dir, state) = state_folder();
        let server = serve_with(engine, &state, &["--admin-listen", "127.0.0.1:0"]);
        ok(
            &server,
            "/send",
            json!({ "body": { "tag": "bad", "throwAlways": true } }),
        );
        // max_retries is 2: three deliveries, then the dead-letter queue,
        // whose consumer gets it as a first attempt.
        let seen = wait_for(&server, "the dead-lettered message", |s| {
            s.iter().any(|d| d["queue"] == "jobs-dlq")
        });
        let on_jobs: Vec<_> = seen.iter().filter(|d| d["queue"] == "jobs").collect();
        assert_eq!(
            on_jobs
                .iter()
                .map(|d| d["attempts"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            [1, 2, 3],
            "{seen:#?}"
        );
        let dead = seen.iter().find(|d| d["queue"] == "jobs-dlq").unwrap();
        assert_eq!(dead["id"], on_jobs[0]["id"], "the message keeps its id");
        assert_eq!(dead["attempts"], 1);
        assert_eq!(dead["sent_at"], on_jobs[0]["sent_at"], "and its timestamp");
        let log = server.wait_for_log("to dead letter queue \"jobs-dlq\" after 3 failed attempts");
        assert!(log.contains("the consumer failed on purpose"), "{log}");
        wait_empty(&server);
        wait_for_metrics(
            &server,
            &[
                r#"motu_queue_sent_total{queue="jobs"} 1"#,
                r#"motu_queue_delivered_total{queue="jobs"} 3"#,
                r#"motu_queue_retried_total{queue="jobs"} 2"#,
                r#"motu_queue_dead_lettered_total{queue="jobs"} 1"#,
                r#"motu_queue_acked_total{queue="jobs-dlq"} 1"#,
                r#"motu_queue_backlog{queue="jobs"} 0"#,
            ],
        );
    });
}

#[test]
fn explicit_acks_and_retries_decide_each_message() {
    on_each_backend("queues_ack_retry", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        // One batch: A acknowledged, R retried once, N left alone.
        let batch = json!([
            { "body": { "tag": "A", "ack": true } },
            { "body": { "tag": "R", "retryOnce": true } },
            { "body": { "tag": "N" } },
        ]);
        ok(&server, "/send-batch", json!({ "messages": batch }));
        let seen = wait_for(&server, "R's second delivery", |s| {
            tagged(s, "R").len() >= 2
        });
        wait_empty(&server);
        let seen_now = deliveries(&server);
        assert_eq!(tagged(&seen_now, "A").len(), 1, "{seen:#?}");
        assert_eq!(tagged(&seen_now, "N").len(), 1, "{seen:#?}");
        assert_eq!(tagged(&seen_now, "R").len(), 2, "{seen:#?}");
        assert_eq!(tagged(&seen_now, "R")[1]["attempts"], 2);
        // A handler that throws after acknowledging one message: only the
        // other is retried.
        let batch = json!([
            { "body": { "tag": "acked", "ack": true, "throwOnFirst": true } },
            { "body": { "tag": "other", "throwOnFirst": true } },
        ]);
        ok(&server, "/send-batch", json!({ "messages": batch }));
        wait_for(&server, "other's second delivery", |s| {
            tagged(s, "other").len() >= 2
        });
        wait_empty(&server);
        let seen = deliveries(&server);
        assert_eq!(tagged(&seen, "acked").len(), 1, "{seen:#?}");
        assert_eq!(tagged(&seen, "other").len(), 2, "{seen:#?}");
    });
}

#[test]
fn delays_hold_messages_back() {
    on_each_backend("queues_delays", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        ok(
            &server,
            "/send",
            json!({ "body": { "tag": "delayed" }, "options": { "delaySeconds": 2 } }),
        );
        // The binding's delivery_delay (2 s) applies unless the send gives
        // its own.
        ok(
            &server,
            "/send-later",
            json!({ "body": { "tag": "later" } }),
        );
        ok(
            &server,
            "/send",
            json!({ "body": { "tag": "retried", "retryOnce": true, "retryDelay": 1 } }),
        );
        let seen = wait_for(&server, "every delivery", |s| {
            !tagged(s, "delayed").is_empty()
                && !tagged(s, "later").is_empty()
                && tagged(s, "retried").len() >= 2
        });
        let waited =
            |d: &Value| d["delivered_at"].as_i64().unwrap() - d["sent_at"].as_i64().unwrap();
        assert!(waited(tagged(&seen, "delayed")[0]) >= 2000, "{seen:#?}");
        assert!(waited(tagged(&seen, "later")[0]) >= 2000, "{seen:#?}");
        let retried = tagged(&seen, "retried");
        let gap = retried[1]["delivered_at"].as_i64().unwrap()
            - retried[0]["delivered_at"].as_i64().unwrap();
        assert!(gap >= 1000, "retry({{ delaySeconds: 1 }}): {seen:#?}");
        wait_empty(&server);
    });
}

#[test]
fn the_producer_enforces_cloudflares_limits() {
    on_each_backend("queues_limits", |engine| {
        let (_dir, state) = state_folder();
        let server = serve(engine, &state);
        let refused = |case: &str| {
            let answer = call(&server, "/refused", json!({ "case": case }));
            let e = answer
                .get("error")
                .unwrap_or_else(|| panic!("{case} should fail: {answer}"));
            (
                e["name"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        };
        assert_eq!(
            refused("too-big"),
            (
                "Error".into(),
                "Queue send failed: message length of 128001 bytes exceeds limit of 128000".into()
            )
        );
        ok(&server, "/refused", json!({ "case": "just-fits" }));
        assert_eq!(
            refused("batch-count").1,
            "Queue sendBatch failed: batch message count of 101 exceeds limit of 100"
        );
        assert_eq!(
            refused("batch-bytes").1,
            "Queue sendBatch failed: batch size of 300000 bytes exceeds limit of 256000"
        );
        assert_eq!(
            refused("batch-message").1,
            "Queue sendBatch failed: message in batch has length 128001 bytes which exceeds single message size limit of 128000"
        );
        assert_eq!(
            refused("batch-empty"),
            (
                "TypeError".into(),
                "sendBatch() requires at least one message".into()
            )
        );
        assert_eq!(
            refused("content-type"),
            (
                "TypeError".into(),
                "Unsupported queue message content type: xml".into()
            )
        );
        assert_eq!(
            refused("text-type"),
            (
                "TypeError".into(),
                "Content Type \"text\" requires a value of type string, but received: number"
                    .into()
            )
        );
        assert_eq!(refused("bytes-type").0, "TypeError");
        assert_eq!(
            refused("undefined"),
            (
                "TypeError".into(),
                "Message body cannot be undefined".into()
            )
        );
        assert!(
            refused("delay")
                .1
                .starts_with("Queue send failed: message delay 86401 is invalid"),
            "{:?}",
            refused("delay")
        );
        assert_eq!(refused("v8-function").0, "DataCloneError");
        // Only the message that fitted was stored.
        let seen = wait_for(&server, "the message that fitted", |s| !s.is_empty());
        wait_empty(&server);
        assert_eq!(deliveries(&server).len(), 1, "{seen:#?}");
    });
}

#[test]
fn acknowledged_sends_survive_kill_9() {
    on_each_engine("queues_kill_9", |engine| {
        let (_dir, state) = state_folder();
        let start = || serve(engine, &state);
        let write = |addr: &str, n: u64| {
            let body = serde_json::to_vec(&json!({ "body": { "tag": format!("n{n}") } })).unwrap();
            match common::try_request(addr, "POST", "/send", &[], &body) {
                Some(r) => r.status == 200 && r.json().get("error").is_none(),
                None => false,
            }
        };
        let read = |server: &Server, ns: &[u64]| {
            // Whatever was in the queue at the kill is delivered again.
            wait_empty(server);
            let seen = deliveries(server);
            let tags: BTreeSet<&str> = seen.iter().filter_map(|d| d["tag"].as_str()).collect();
            ns.iter()
                .map(|n| {
                    if tags.contains(format!("n{n}").as_str()) {
                        Seen::Whole
                    } else {
                        Seen::Absent
                    }
                })
                .collect()
        };
        let report = KillNine {
            rounds: 20,
            writers: 4,
            start: &start,
            write: &write,
            read: &read,
        }
        .run();
        assert!(report.acknowledged > 0, "{report:?}");
    });
}

#[test]
fn acked_messages_stay_gone_and_in_flight_ones_come_back_after_kill_9() {
    on_each_engine("queues_kill_9_settled", |engine| {
        let (_dir, state) = state_folder();
        let mut server = serve(engine, &state);
        let batch: Vec<Value> = (0..5)
            .map(|i| json!({ "body": { "tag": format!("done{i}") } }))
            .collect();
        ok(&server, "/send-batch", json!({ "messages": batch }));
        wait_for(&server, "five deliveries", |s| s.len() >= 5);
        wait_empty(&server);
        // A message whose first delivery never finishes: in flight when the
        // server dies.
        ok(
            &server,
            "/send",
            json!({ "body": { "tag": "stuck", "hangFirst": true } }),
        );
        wait_for(&server, "the stuck delivery", |s| {
            !tagged(s, "stuck").is_empty()
        });
        server.kill_hard();
        let server = serve(engine, &state);
        // The stuck message comes back (its lease died with the process);
        // a message sent after the restart is delivered after it.
        ok(&server, "/send", json!({ "body": { "tag": "sentinel" } }));
        let seen = wait_for(&server, "the sentinel and the stuck message again", |s| {
            !tagged(s, "sentinel").is_empty() && tagged(s, "stuck").len() >= 2
        });
        wait_empty(&server);
        let seen_now = deliveries(&server);
        for i in 0..5 {
            assert_eq!(
                tagged(&seen_now, &format!("done{i}")).len(),
                1,
                "an acknowledged message came back: {seen:#?}"
            );
        }
        assert_eq!(tagged(&seen_now, "stuck").len(), 2, "{seen_now:#?}");
    });
}

const SERVICE_WORKER: &str = r#"
addEventListener('fetch', event => event.respondWith(handle(event.request)));
async function handle(request) {
  const url = new URL(request.url);
  if (url.pathname === '/send') {
    await JOBS.send(await request.text(), { contentType: 'text' });
    return new Response('sent');
  }
  const { keys } = await SEEN.list();
  return Response.json(keys.map(k => k.name));
}
addEventListener('queue', event => {
  event.waitUntil((async () => {
    for (const m of event.messages) {
      await SEEN.put(`${m.body}:${m.attempts}`, event.queue);
      // The first delivery of 'loop' runs out of CPU time: the isolate is
      // evicted, the event fails and the message is retried.
      if (m.body === 'loop' && m.attempts === 1) for (;;) {}
      if (m.body === 'reject' && m.attempts === 1) throw new Error('rejected on purpose');
    }
  })());
});
"#;

#[test]
fn service_worker_consumers_run_under_the_workers_limits() {
    on_each_engine("queues_service_worker_limits", |engine| {
        let config = common::TempConfig::new(&[
            ("worker.js", SERVICE_WORKER),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
                     [[workers]]\nname = \"sw\"\nmain = \"worker.js\"\nroutes = [\"*/*\"]\n\
                     [workers.limits]\ncpu_ms = 200\n\
                     [[workers.kv_namespaces]]\nbinding = \"SEEN\"\n\
                     [[workers.queues.producers]]\nbinding = \"JOBS\"\nqueue = \"sw-jobs\"\n\
                     [[workers.queues.consumers]]\nqueue = \"sw-jobs\"\nmax_batch_size = 1\n"
                ),
            ),
        ]);
        let server = Server::start(&["--config", &config.path("motu.toml")]);
        // One message at a time: batches of different messages may run
        // concurrently in one isolate, and the loop's eviction would fail
        // any other batch in flight with it.
        let mut seen: Vec<String> = Vec::new();
        for (body, wanted) in [
            ("plain", &["plain:1"][..]),
            ("loop", &["loop:1", "loop:2"][..]),
            ("reject", &["reject:1", "reject:2"][..]),
        ] {
            assert_eq!(
                server.request("POST", "/send", &[], body.as_bytes()).status,
                200
            );
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                seen = serde_json::from_value(server.get("/seen").json()).unwrap();
                if wanted.iter().all(|w| seen.iter().any(|s| s == w)) {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "seen {seen:?}\nlog:\n{}",
                    server.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        assert!(!seen.iter().any(|s| s == "plain:2"), "{seen:?}");
        // The log is read from the server's stderr as it comes: wait for
        // the lines rather than expect them with the last delivery.
        let log = server.wait_for_log("rejected on purpose");
        assert!(log.contains("rejected on purpose"), "{log}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server.log().to_lowercase().contains("cpu") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = server.log();
        assert!(
            log.to_lowercase().contains("cpu"),
            "the CPU limit is logged: {log}"
        );
    });
}

/// A consumer whose batches each hold until `/release`, recording in KV
/// when each started and ended. (Its CPU limit is raised: a batch polls KV
/// for as long as it is held.)
const CONCURRENCY_WORKER: &str = r#"
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/send') {
      await env.JOBS.sendBatch(Array.from({ length: 6 }, (_, i) => ({ body: i })));
      return new Response('sent');
    }
    if (url.pathname === '/release') {
      await env.KV.put('release', 'yes');
      return new Response('released');
    }
    const { keys } = await env.KV.list({ prefix: 'run:' });
    return Response.json(keys.map(k => k.metadata));
  },
  async queue(batch, env) {
    const id = batch.messages[0].body;
    const start = Date.now();
    await env.KV.put(`run:${id}`, '', { metadata: { id, start } });
    while ((await env.KV.get('release')) === null) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    await env.KV.put(`run:${id}`, '', { metadata: { id, start, end: Date.now() } });
  },
};
"#;

#[test]
fn max_concurrency_bounds_the_batches_in_flight() {
    on_each_backend("queues_max_concurrency", |engine| {
        let redis = REDIS.with(|r| r.borrow().clone());
        let config = common::TempConfig::new(&[
            ("worker.js", CONCURRENCY_WORKER),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\nstate_dir = \"state\"\n\
                     [[workers]]\nname = \"c\"\nmain = \"worker.js\"\nroutes = [\"*/*\"]\n\
                     [workers.limits]\ncpu_ms = 10000\n\
                     [[workers.kv_namespaces]]\nbinding = \"KV\"\nid = \"runs\"\n\
                     [[workers.queues.producers]]\nbinding = \"JOBS\"\nqueue = \"conc\"\n\
                     [[workers.queues.consumers]]\nqueue = \"conc\"\nmax_batch_size = 1\n\
                     max_concurrency = 2\n"
                ),
            ),
        ]);
        let env: Vec<(&str, &str)> = redis
            .as_deref()
            .map(|url| ("MOTU_CLUSTER__REDIS", url))
            .into_iter()
            .collect();
        let server = Server::start_with_env(&["--config", &config.path("motu.toml")], &env);
        wait_for_redis(&server, redis.as_deref());
        let runs = || -> Vec<Value> {
            let r = server.get("/runs");
            assert_eq!(r.status, 200, "{}", r.text());
            r.json().as_array().unwrap().clone()
        };
        assert_eq!(server.get("/send").status, 200);
        // Six batches of one are ready; two start and hold.
        let deadline = Instant::now() + Duration::from_secs(60);
        while runs().len() < 2 {
            assert!(Instant::now() < deadline, "log:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        // Give a consumer that ignores the limit time to start more.
        std::thread::sleep(Duration::from_secs(1));
        let started = runs();
        assert_eq!(started.len(), 2, "{started:?}\nlog:\n{}", server.log());
        assert_eq!(server.get("/release").status, 200);
        let deadline = Instant::now() + Duration::from_secs(60);
        let done = loop {
            let seen = runs();
            if seen.len() == 6 && seen.iter().all(|r| r.get("end").is_some()) {
                break seen;
            }
            assert!(
                Instant::now() < deadline,
                "{seen:?}\nlog:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        // Never more than two at once: at each start, count the batches
        // started before and not ended yet.
        let span = |r: &Value| (r["start"].as_i64().unwrap(), r["end"].as_i64().unwrap());
        for r in &done {
            let (start, _) = span(r);
            let running = done
                .iter()
                .filter(|o| {
                    let (s, e) = span(o);
                    s <= start && start < e
                })
                .count();
            assert!(running <= 2, "{running} batches at once: {done:?}");
        }
    });
}
