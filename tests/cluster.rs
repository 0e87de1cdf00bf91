//! Cluster mode: several `motu` processes on loopback sharing one real
//! `redis-server` (`[cluster] redis`): KV written through one node is read
//! through another, a cron trigger fires once per tick across three nodes
//! (and goes on when one of them is killed), the nodes ride out Redis
//! stopping and starting again, and a wrong password is a clear error that
//! never shows the password; a queue's messages are each consumed once by
//! the nodes that consume it, and a batch in flight on a node killed with
//! `kill -9` is delivered by another. Each test starts its own
//! `redis-server` (tests/common/redis.rs). The Workers are
//! `tests/fixtures/cluster.js` and `tests/fixtures/cluster_queue.js`.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::redis::RedisServer;
use common::{on_each_engine, Server, TempConfig};

/// A node: its own folder (config and state), named `node` in `env.NODE`.
fn node(engine: &str, redis: &str, node: &str, crons: &str) -> (TempConfig, Server) {
    node_with_env(engine, redis, node, crons, &[])
}

fn node_with_env(
    engine: &str,
    redis: &str,
    node: &str,
    crons: &str,
    env: &[(&str, &str)],
) -> (TempConfig, Server) {
    let config = TempConfig::new(&[
        ("cluster.js", include_str!("fixtures/cluster.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n\
                 [cluster]\nredis = \"{redis}\"\n\
                 [admin]\nlisten = \"127.0.0.1:0\"\n\
                 [[workers]]\nname = \"app\"\nmain = \"cluster.js\"\n{crons}\n\
                 [workers.vars]\nNODE = \"{node}\"\n\
                 [[workers.kv_namespaces]]\nbinding = \"KV\"\nid = \"shared\"\n"
            ),
        ),
    ]);
    let server = Server::start_with_env(&["--config", &config.path("motu.toml")], env);
    (config, server)
}

fn get(s: &Server, path: &str) -> (u16, String) {
    let r = s.get(path);
    (r.status, r.text())
}

fn readyz(s: &Server) -> (u16, String) {
    let r = common::request(s.admin.as_ref().unwrap(), "GET", "/readyz", &[], b"");
    (r.status, r.text())
}

/// Waits (up to a minute) until `check` holds.
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_kv_write_through_one_node_is_read_through_another() {
    on_each_engine("cluster_kv_shared_between_nodes", |engine| {
        let redis = RedisServer::start();
        let (_a_dir, a) = node(engine, &redis.url(), "a", "");
        let (_b_dir, b) = node(engine, &redis.url(), "b", "");
        let r = a.request("POST", "/put?key=greeting", &[], b"written through a");
        assert_eq!((r.status, r.text().as_str()), (200, "ok"));
        assert_eq!(
            get(&b, "/get?key=greeting"),
            (200, "written through a".into())
        );
        for k in ["list/2", "list/1", "other"] {
            b.request("POST", &format!("/put?key={k}"), &[], b"x");
        }
        assert_eq!(
            get(&a, "/list?prefix=list/"),
            (200, r#"["list/1","list/2"]"#.into())
        );
        assert_eq!(get(&b, "/delete?key=greeting").0, 200);
        assert_eq!(get(&a, "/get?key=greeting"), (200, "null".into()));
        // Each node's state folder holds no KV namespace: it is in Redis.
        assert!(!_a_dir
            .dir
            .path()
            .join(".motu/state/kv/shared.sqlite")
            .exists());
        assert_eq!(readyz(&a), (200, "ready\n".into()));
    });
}

/// The ticks recorded so far: scheduled time → the nodes that ran it.
fn ticks(s: &Server) -> BTreeMap<u64, Vec<String>> {
    let (status, text) = get(s, "/list?prefix=tick:");
    assert_eq!(status, 200, "{text}");
    let names: Vec<String> = serde_json::from_str(&text).unwrap();
    let mut ticks: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for name in names {
        let mut parts = name.split(':').skip(1);
        let time = parts.next().unwrap().parse().unwrap();
        ticks
            .entry(time)
            .or_default()
            .push(parts.next().unwrap().to_owned());
    }
    ticks
}

fn assert_once_each(ticks: &BTreeMap<u64, Vec<String>>) {
    for (time, nodes) in ticks {
        assert_eq!(
            nodes.len(),
            1,
            "the tick at {time} ran on {nodes:?}: {ticks:?}"
        );
    }
}

#[test]
fn a_cron_tick_fires_once_across_three_nodes_and_outlives_a_node() {
    on_each_engine("cluster_cron_once_per_tick", |engine| {
        let redis = RedisServer::start();
        let every_second = "crons = [\"* * * * * *\"]";
        let (_a_dir, a) = node(engine, &redis.url(), "a", every_second);
        let (_b_dir, b) = node(engine, &redis.url(), "b", every_second);
        let (_c_dir, mut c) = node(engine, &redis.url(), "c", every_second);
        // Ticks once all three run: each fired by one node only.
        let first = ticks(&a).keys().next_back().copied().unwrap_or(0);
        wait_until("five ticks with three nodes", || {
            ticks(&a).range(first + 1..).count() >= 5
        });
        let seen = ticks(&b);
        assert_once_each(&seen);
        assert!(seen.len() >= 5);
        // Consecutive seconds: no tick went missing.
        let times: Vec<u64> = seen.range(first + 1..).map(|(t, _)| *t).collect();
        for pair in times.windows(2) {
            assert_eq!(pair[1] - pair[0], 1000, "{times:?}");
        }
        // A node dies: the others go on firing every tick, once.
        c.kill_hard();
        let killed_at = ticks(&a).keys().next_back().copied().unwrap();
        wait_until("four ticks after a node died", || {
            ticks(&b).range(killed_at + 1..).count() >= 4
        });
        let after = ticks(&a);
        assert_once_each(&after);
        for (time, nodes) in after.range(killed_at + 1000..) {
            assert_ne!(nodes[0], "c", "the tick at {time} ran on the dead node");
        }
    });
}

#[test]
fn nodes_recover_when_redis_stops_and_starts_again() {
    on_each_engine("cluster_redis_outage", |engine| {
        let mut redis = RedisServer::start();
        let (_a_dir, a) = node(engine, &redis.url(), "a", "");
        let (_b_dir, b) = node(engine, &redis.url(), "b", "");
        assert_eq!(a.request("POST", "/put?key=k", &[], b"before").status, 200);
        redis.stop();
        // KV rejects with a clear error; what needs no Redis goes on.
        let mut failure = (0, String::new());
        wait_until("KV fails while Redis is down", || {
            failure = get(&b, "/get?key=k");
            failure.0 == 503
        });
        let url = redis.url();
        assert!(
            failure.1.starts_with(&format!(
                "Error: KV GET failed: 503 Service Unavailable (Redis at {url}: unreachable"
            )),
            "{failure:?}"
        );
        assert_eq!(get(&a, "/hello"), (200, "hello from a".into()));
        wait_until("/readyz reports Redis", || readyz(&a).0 == 503);
        let (_, why) = readyz(&a);
        assert!(
            why.contains(&format!("Redis at {url} is unreachable")),
            "{why}"
        );
        let unreachable = format!("Redis at {url} is unreachable");
        assert!(a.wait_for_log(&unreachable).contains(&unreachable));
        // Redis returns: the nodes recover by themselves.
        redis.restart();
        wait_until("KV works again through b", || {
            get(&b, "/get?key=k") == (200, "before".into())
        });
        wait_until("KV works again through a", || {
            a.request("POST", "/put?key=k", &[], b"after").status == 200
        });
        assert_eq!(get(&b, "/get?key=k"), (200, "after".into()));
        wait_until("/readyz is ready again", || readyz(&a).0 == 200);
        let answers = format!("Redis at {url} answers");
        assert!(a.wait_for_log(&answers).contains(&answers));
    });
}

#[test]
fn a_wrong_password_is_a_clear_error_that_never_shows_the_password() {
    on_each_engine("cluster_wrong_password", |engine| {
        let redis = RedisServer::start_with(&["--requirepass", "the-right-one"]);
        let url = format!("redis://:not-the-password@127.0.0.1:{}/0", redis.port);
        let shown = format!("redis://:***@127.0.0.1:{}/0", redis.port);
        let (_dir, s) = node(engine, &url, "a", "");
        let (status, text) = get(&s, "/get?key=k");
        assert_eq!(status, 503, "{text}");
        assert!(text.contains(&format!("Redis at {shown}")), "{text}");
        let (status, why) = readyz(&s);
        assert_eq!(status, 503);
        let lower = why.to_ascii_lowercase();
        assert!(
            lower.contains("password") || lower.contains("auth"),
            "{why}"
        );
        let log = s.wait_for_log(&shown);
        assert!(
            log.contains(&format!("Redis at {shown} is unreachable")),
            "{log}"
        );
        for seen in [&text, &why, &log] {
            assert!(
                !seen.contains("not-the-password"),
                "the password shows: {seen}"
            );
        }
    });
}

#[test]
fn nodes_share_kv_over_tls_with_a_password() {
    on_each_engine("cluster_tls", |engine| {
        let (redis, ca) = RedisServer::start_tls(&["--requirepass", "tls-secret"]);
        let url = format!("rediss://:tls-secret@127.0.0.1:{}/0", redis.port);
        let trust = [("SSL_CERT_FILE", ca.to_str().unwrap())];
        let (_a_dir, a) = node_with_env(engine, &url, "a", "", &trust);
        let (_b_dir, b) = node_with_env(engine, &url, "b", "", &trust);
        assert_eq!(
            a.request("POST", "/put?key=k", &[], b"over tls").status,
            200
        );
        assert_eq!(get(&b, "/get?key=k"), (200, "over tls".into()));
        assert_eq!(readyz(&b), (200, "ready\n".into()));
        // A node that does not trust the server's certificate: a clear
        // error, and no password in it.
        let (_c_dir, c) = node(engine, &url, "c", "");
        let (status, text) = get(&c, "/get?key=k");
        assert_eq!(status, 503, "{text}");
        let shown = format!("rediss://:***@127.0.0.1:{}/0", redis.port);
        assert!(text.contains(&shown), "{text}");
        let (_, why) = readyz(&c);
        assert!(why.to_ascii_lowercase().contains("certificate"), "{why}");
        for seen in [text, why, c.log()] {
            assert!(!seen.contains("tls-secret"), "the password shows: {seen}");
        }
    });
}

/// A node of the queue tests (`tests/fixtures/cluster_queue.js`): it sends
/// to the queue `work`, and consumes it if `consume`.
fn queue_node(engine: &str, redis: &str, node: &str, consume: bool) -> (TempConfig, Server) {
    let consumer = if consume {
        "[[workers.queues.consumers]]\nqueue = \"work\"\nmax_batch_size = 5\nmax_batch_timeout = 1\n"
    } else {
        ""
    };
    let config = TempConfig::new(&[
        ("queue.js", include_str!("fixtures/cluster_queue.js")),
        (
            "motu.toml",
            &format!(
                "[server]\nengine = \"{engine}\"\n\
                 [cluster]\nredis = \"{redis}\"\n\
                 [[workers]]\nname = \"app\"\nmain = \"queue.js\"\n\
                 [workers.vars]\nNODE = \"{node}\"\n\
                 [[workers.kv_namespaces]]\nbinding = \"KV\"\nid = \"seen\"\n\
                 [[workers.queues.producers]]\nbinding = \"WORK\"\nqueue = \"work\"\n\
                 {consumer}"
            ),
        ),
    ]);
    let server = Server::start(&["--config", &config.path("motu.toml")]);
    (config, server)
}

/// Sends messages tagged `tags` through `s`, in one `sendBatch`.
fn send(s: &Server, tags: &[String]) {
    let body = serde_json::to_vec(tags).unwrap();
    let r = s.request("POST", "/send", &[], &body);
    assert_eq!((r.status, r.text().as_str()), (200, "sent"));
}

/// The deliveries so far: tag → `(node, attempts)` of each.
fn deliveries(s: &Server) -> BTreeMap<String, Vec<(String, u32)>> {
    let (status, text) = get(s, "/got");
    assert_eq!(status, 200, "{text}");
    let names: Vec<String> = serde_json::from_str(&text).unwrap();
    let mut seen: BTreeMap<String, Vec<(String, u32)>> = BTreeMap::new();
    for name in names {
        let parts: Vec<&str> = name.split(':').collect();
        seen.entry(parts[1].to_owned())
            .or_default()
            .push((parts[2].to_owned(), parts[3].parse().unwrap()));
    }
    seen
}

/// Waits until the queue holds no message (every one acknowledged).
fn wait_until_empty(s: &Server) {
    wait_until("the queue to empty", || {
        let r = s.get("/metrics");
        r.status == 200 && r.json()["backlogCount"] == 0
    });
}

#[test]
fn each_queue_message_is_consumed_once_across_nodes() {
    on_each_engine("cluster_queue_once", |engine| {
        let redis = RedisServer::start();
        // a only sends; b and c consume what any node sent.
        let (_a_dir, a) = queue_node(engine, &redis.url(), "a", false);
        let (_b_dir, b) = queue_node(engine, &redis.url(), "b", true);
        let (_c_dir, c) = queue_node(engine, &redis.url(), "c", true);
        let tags: Vec<String> = (0..60).map(|i| format!("m{i}")).collect();
        for chunk in tags[..50].chunks(10) {
            send(&a, chunk);
        }
        send(&c, &tags[50..]);
        wait_until("every message delivered", || deliveries(&b).len() == 60);
        wait_until_empty(&a);
        let seen = deliveries(&c);
        let mut by_node: BTreeMap<&str, usize> = BTreeMap::new();
        for tag in &tags {
            let got = &seen[tag];
            assert_eq!(got.len(), 1, "{tag} was delivered {got:?}: {seen:?}");
            assert_ne!(got[0].0, "a", "a does not consume");
            assert_eq!(got[0].1, 1);
            *by_node.entry(got[0].0.as_str()).or_default() += 1;
        }
        eprintln!("cluster_queue_once on {engine}: deliveries by node {by_node:?}");
    });
}

#[test]
fn a_killed_nodes_batch_in_flight_is_delivered_by_another() {
    on_each_engine("cluster_queue_node_killed", |engine| {
        let redis = RedisServer::start();
        let (_a_dir, a) = queue_node(engine, &redis.url(), "a", false);
        let (_b_dir, b) = queue_node(engine, &redis.url(), "b", true);
        let (_c_dir, c) = queue_node(engine, &redis.url(), "c", true);
        // One full batch, which holds on whichever node gets it first.
        let tags: Vec<String> = ["k0", "k1", "hold", "k3", "k4"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        send(&a, &tags);
        wait_until("the batch's first delivery", || deliveries(&a).len() == 5);
        let first = deliveries(&a);
        let holder = first["hold"][0].0.clone();
        for tag in &tags {
            assert_eq!(first[tag], [(holder.clone(), 1)], "one batch: {first:?}");
        }
        let (mut dead, alive, other) = if holder == "b" {
            (b, c, "c")
        } else {
            (c, b, "b")
        };
        dead.kill_hard();
        // Once the dead node's lease has run out, the other node takes the
        // batch over and delivers it again, with the same attempt count.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let seen = deliveries(&alive);
            if tags.iter().all(|t| seen.get(t).map_or(0, Vec::len) == 2) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the batch was not delivered again: {seen:?}\nlog of {other}:\n{}",
                alive.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        wait_until_empty(&a);
        let seen = deliveries(&a);
        let mut expected = vec![(holder.clone(), 1), (other.to_owned(), 1)];
        expected.sort();
        for tag in &tags {
            let mut got = seen[tag].clone();
            got.sort();
            assert_eq!(got, expected, "{seen:?}");
        }
    });
}

#[test]
fn queues_ride_out_redis_stopping_and_starting_again() {
    on_each_engine("cluster_queue_redis_outage", |engine| {
        let mut redis = RedisServer::start();
        let (_a_dir, a) = queue_node(engine, &redis.url(), "a", false);
        let (_b_dir, b) = queue_node(engine, &redis.url(), "b", true);
        send(&a, &["before".to_owned()]);
        wait_until("the first message delivered", || {
            deliveries(&b).contains_key("before")
        });
        redis.stop();
        // A send rejects with a clear error while Redis is down.
        let url = redis.url();
        let body = serde_json::to_vec(&["during"]).unwrap();
        let mut failure = (0, String::new());
        // Sends made before the client noticed are accepted (and counted).
        let mut accepted = 0;
        wait_until("a send fails while Redis is down", || {
            let r = a.request("POST", "/send", &[], &body);
            failure = (r.status, r.text());
            accepted += usize::from(failure.0 == 200);
            failure.0 == 503
        });
        assert!(
            failure.1.starts_with(&format!(
                "Error: Queue sendBatch failed: Internal Server Error (Redis at {url}: unreachable"
            )),
            "{failure:?}"
        );
        // Redis returns: sends and deliveries go on by themselves.
        redis.restart();
        wait_until("a send succeeds again", || {
            a.request("POST", "/send", &[], br#"["after"]"#).status == 200
        });
        wait_until("the message sent after the outage delivered", || {
            deliveries(&a).contains_key("after")
        });
        wait_until_empty(&a);
        let seen = deliveries(&b);
        assert_eq!(seen["before"].len(), 1, "{seen:?}");
        assert_eq!(seen["after"].len(), 1, "{seen:?}");
        let during = seen.get("during").map_or(0, Vec::len);
        assert_eq!(during, accepted, "a refused send was kept: {seen:?}");
    });
}
