//! Tests against a real `redis-server` (Debian's package; README's test
//! command installs it), started on a free loopback port in a folder of
//! its own and killed at the end.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;
use crate::kv::{KvBackend, KvEntry, KvStore};

/// A `redis-server` of one test.
struct Server {
    child: Option<Child>,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Server::on(port)
    }

    fn on(port: u16) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/install-redis.sh installs it)");
        let server = Server {
            child: Some(child),
            port,
            _dir: dir,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn client(server: &Server) -> Arc<Redis> {
    let redis = Redis::connect(&server.url(), &server.url()).unwrap();
    assert!(
        redis.wait_until_up(Duration::from_secs(30)),
        "{:?}",
        redis.health()
    );
    redis
}

/// The same checks on both backends: what the binding relies on.
fn behaves_like_kv(kv: &dyn KvBackend) {
    assert_eq!(kv.get("a", 0).unwrap(), None);
    kv.put("a", b"one".to_vec(), None, Some(r#"{"m":1}"#))
        .unwrap();
    assert_eq!(
        kv.get("a", 0).unwrap().unwrap().metadata.as_deref(),
        Some(r#"{"m":1}"#)
    );
    let later = crate::kv::now_ms() / 1000 + 3600;
    kv.put("a", b"two".to_vec(), Some(later), None).unwrap();
    assert_eq!(
        kv.get("a", 0).unwrap(),
        Some(KvEntry {
            value: b"two".to_vec(),
            expiration: Some(later),
            metadata: None
        })
    );
    assert_eq!(kv.get("a", later * 1000).unwrap(), None, "expired");
    kv.delete("a").unwrap();
    kv.delete("a").unwrap();
    assert_eq!(kv.get("a", 0).unwrap(), None);

    for k in ["b", "a", "ab", "a\u{e9}", "a\u{ff}x", "b0", "c"] {
        kv.put(k, k.as_bytes().to_vec(), None, None).unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = kv.list("a", 2, cursor.as_deref(), 0).unwrap();
        assert!(page.keys.len() <= 2);
        seen.extend(page.keys.into_iter().map(|k| k.name));
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["a", "ab", "a\u{e9}", "a\u{ff}x"]);
    assert_eq!(kv.list("", 1000, None, 0).unwrap().keys.len(), 7);
    let full = kv.list("b", 2, None, 0).unwrap();
    assert_eq!(full.keys.len(), 2);
    assert_eq!(full.cursor, None, "an exactly full last page has no cursor");
    let many = kv
        .get_many(&["c".into(), "nope".into(), "b0".into()], 0)
        .unwrap();
    assert_eq!(
        many.iter()
            .map(|e| e.as_ref().map(|e| e.value.clone()))
            .collect::<Vec<_>>(),
        [Some(b"c".to_vec()), None, Some(b"b0".to_vec())]
    );
}

#[test]
fn redis_kv_behaves_like_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    behaves_like_kv(&KvStore::open(&dir.path().join("ns.sqlite")).unwrap());
    let server = Server::start();
    let redis = client(&server);
    behaves_like_kv(&RedisKv::open(&redis, "ns"));
    // Another namespace is another set of keys.
    assert_eq!(
        RedisKv::open(&redis, "other")
            .list("", 10, None, 0)
            .unwrap()
            .keys,
        []
    );
}

#[test]
fn expired_keys_leave_the_list_and_the_index() {
    let server = Server::start();
    let redis = client(&server);
    let kv = RedisKv::open(&redis, "exp");
    let now_s = crate::kv::now_ms() / 1000;
    for i in 0..5 {
        kv.put(&format!("k{i}"), b"v".to_vec(), Some(now_s + 1), None)
            .unwrap();
    }
    kv.put("kept", b"v".to_vec(), None, None).unwrap();
    // Listed as of a time after they expired: only the kept key, in pages.
    let later = (now_s + 2) * 1000;
    let page = kv.list("", 1, None, later).unwrap();
    assert_eq!(page.keys.len(), 1);
    assert_eq!(page.keys[0].name, "kept");
    assert_eq!(page.cursor, None);
    let index: usize = redis
        .block_on(|mut c| async move {
            redis::cmd("ZCARD")
                .arg("motu:kv:{exp}:keys")
                .query_async(&mut c)
                .await
        })
        .unwrap();
    assert_eq!(index, 1, "the expired keys were dropped from the index");
}

#[test]
fn a_tick_lock_is_taken_once() {
    let server = Server::start();
    let redis = client(&server);
    let other = client(&server);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let ttl = Duration::from_secs(60);
        assert!(redis.try_lock("w:* * * * *:1000", "a", ttl).await.unwrap());
        assert!(!other.try_lock("w:* * * * *:1000", "b", ttl).await.unwrap());
        assert!(other.try_lock("w:* * * * *:2000", "b", ttl).await.unwrap());
    });
}

#[test]
fn calls_fail_clearly_while_redis_is_down_and_recover_when_it_returns() {
    let mut server = Server::start();
    let port = server.port;
    let redis = client(&server);
    let kv = RedisKv::open(&redis, "down");
    kv.put("k", b"v".to_vec(), None, None).unwrap();
    server.stop();
    // The first call after the loss may wait for the connection to fail;
    // every one then fails at once, naming the URL and why.
    let start = Instant::now();
    let err = loop {
        match kv.get("k", 0) {
            Err(e) => break e.to_string(),
            Ok(_) => {
                assert!(start.elapsed() < Duration::from_secs(30), "no error");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    assert!(
        err.starts_with(&format!("Redis at {}", server.url())),
        "{err}"
    );
    assert!(err.contains("unreachable"), "{err}");
    assert!(redis.health().is_err());
    let _server = Server::on(port);
    let start = Instant::now();
    while kv.put("k", b"back".to_vec(), None, None).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "did not recover");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(kv.get("k", 0).unwrap().unwrap().value, b"back");
    assert!(redis.health().is_ok());
}

#[test]
fn a_wrong_password_is_a_clear_error_without_the_password() {
    let server = Server::start();
    // Require a password, then connect with another one.
    let admin = client(&server);
    admin
        .block_on(|mut c| async move {
            redis::cmd("CONFIG")
                .arg("SET")
                .arg("requirepass")
                .arg("right-one")
                .query_async::<()>(&mut c)
                .await
        })
        .unwrap();
    let url = format!("redis://:wrong-one@127.0.0.1:{}/0", server.port);
    let shown = format!("redis://:***@127.0.0.1:{}/0", server.port);
    let redis = Redis::connect(&url, &shown).unwrap();
    assert!(!redis.wait_until_up(Duration::from_secs(2)));
    let health = redis.health().unwrap_err();
    let err = RedisKv::open(&redis, "x")
        .get("k", 0)
        .unwrap_err()
        .to_string();
    for message in [&health, &err] {
        assert!(!message.contains("wrong-one"), "{message}");
        assert!(message.contains(&shown), "{message}");
    }
    assert!(
        health.to_ascii_lowercase().contains("password")
            || health.to_ascii_lowercase().contains("auth"),
        "{health}"
    );
}

mod queues {
    use super::*;
    use crate::kv::now_ms;
    use crate::queues::{Delivery, NewMessage, QueueBackend, Retry};
    use crate::redis::RedisQueue;

    fn message(id: &str, visible_at_ms: i64) -> NewMessage {
        NewMessage {
            id: id.into(),
            timestamp_ms: 1000 + id.len() as i64,
            content_type: "text".into(),
            body: id.as_bytes().to_vec(),
            visible_at_ms,
            failed_attempts: 0,
        }
    }

    fn ids(d: &[Delivery]) -> Vec<&str> {
        d.iter().map(|d| d.id.as_str()).collect()
    }

    fn sorted(d: &[Delivery]) -> Vec<&str> {
        let mut ids = ids(d);
        ids.sort();
        ids
    }

    #[test]
    fn messages_are_leased_settled_retried_and_delayed() {
        let server = Server::start();
        let redis = client(&server);
        let q = RedisQueue::open(&redis, "jobs");
        let now = now_ms();
        let later = now + 60_000;
        q.send(&[message("a", now), message("b", now), message("late", later)])
            .unwrap();
        let stats = q.stats(now).unwrap();
        assert_eq!((stats.messages, stats.ready, stats.bytes), (3, 2, 6));
        assert_eq!(stats.next_visible_at_ms, Some(later));
        assert_eq!(stats.oldest_timestamp_ms, Some(1001));
        let first = q.receive(1, now).unwrap();
        assert_eq!(ids(&first), ["a"]);
        assert_eq!(first[0].body, b"a");
        assert_eq!(first[0].content_type, "text");
        assert_eq!(first[0].timestamp_ms, 1001);
        // A leased message is not handed out again.
        assert_eq!(ids(&q.receive(10, now).unwrap()), ["b"]);
        assert_eq!(q.stats(now).unwrap().ready, 0);
        assert!(q.receive(10, now).unwrap().is_empty());
        q.settle(
            &["a".into()],
            &[Retry {
                id: "b".into(),
                visible_at_ms: later,
            }],
        )
        .unwrap();
        let stats = q.stats(now).unwrap();
        assert_eq!((stats.messages, stats.ready, stats.bytes), (2, 0, 5));
        assert!(q.receive(10, now).unwrap().is_empty(), "nothing visible");
        // Once their time has come, the delayed and the retried message.
        assert_eq!(q.stats(later).unwrap().ready, 2);
        let both = q.receive(10, later).unwrap();
        assert_eq!(sorted(&both), ["b", "late"]);
        let b = both.iter().find(|d| d.id == "b").unwrap();
        assert_eq!((b.failed_attempts, b.body.as_slice()), (1, &b"b"[..]));
        // A released message is visible again at once, its attempts kept.
        q.release(&["late".into()]);
        let again = q.receive(10, later).unwrap();
        assert_eq!(ids(&again), ["late"]);
        assert_eq!(again[0].failed_attempts, 0);
        // A retry that is due at once goes straight back to the stream.
        q.settle(
            &["late".into()],
            &[Retry {
                id: "b".into(),
                visible_at_ms: 0,
            }],
        )
        .unwrap();
        let b = q.receive(10, now).unwrap();
        assert_eq!((ids(&b), b[0].failed_attempts), (vec!["b"], 2));
        q.settle(&["b".into()], &[]).unwrap();
        let stats = q.stats(later).unwrap();
        assert_eq!((stats.messages, stats.bytes, stats.ready), (0, 0, 0));
        assert_eq!(stats.oldest_timestamp_ms, None);
        // Settling what is gone, or was never held, changes nothing.
        q.settle(&["b".into(), "nope".into()], &[]).unwrap();
    }

    #[test]
    fn each_message_goes_to_one_node() {
        let server = Server::start();
        let (ra, rb) = (client(&server), client(&server));
        let a = RedisQueue::open(&ra, "shared");
        let b = RedisQueue::open(&rb, "shared");
        assert_ne!(a.consumer(), b.consumer());
        let now = now_ms();
        let sent: Vec<NewMessage> = (0..30).map(|i| message(&format!("m{i:02}"), now)).collect();
        b.send(&sent[..10]).unwrap();
        a.send(&sent[10..]).unwrap();
        let mut got_a = Vec::new();
        let mut got_b = Vec::new();
        loop {
            let x = a.receive(4, now).unwrap();
            let y = b.receive(3, now).unwrap();
            if x.is_empty() && y.is_empty() {
                break;
            }
            got_a.extend(x);
            got_b.extend(y);
        }
        assert!(!got_a.is_empty() && !got_b.is_empty());
        let mut all: Vec<&str> = ids(&got_a).into_iter().chain(ids(&got_b)).collect();
        all.sort();
        let expected: Vec<String> = (0..30).map(|i| format!("m{i:02}")).collect();
        assert_eq!(all, expected, "every message once");
        // Each node settles what it holds; the other's ids are not its own.
        let a_ids: Vec<String> = got_a.iter().map(|d| d.id.clone()).collect();
        let b_ids: Vec<String> = got_b.iter().map(|d| d.id.clone()).collect();
        b.settle(&a_ids, &[]).unwrap();
        assert_eq!(a.stats(now).unwrap().messages, 30, "not b's to settle");
        a.settle(&a_ids, &[]).unwrap();
        b.settle(&b_ids, &[]).unwrap();
        assert_eq!(a.stats(now).unwrap().messages, 0);
    }

    #[test]
    fn a_dead_nodes_messages_are_taken_over_once_its_lease_runs_out() {
        let server = Server::start();
        let (ra, rb) = (client(&server), client(&server));
        let lease = Duration::from_secs(1);
        let renew = Duration::from_millis(100);
        let a = RedisQueue::with_lease(&ra, "takeover", lease, renew);
        let b = RedisQueue::with_lease(&rb, "takeover", lease, renew);
        let now = now_ms();
        a.send(&[message("x", now), message("y", now)]).unwrap();
        assert_eq!(sorted(&a.receive(10, now).unwrap()), ["x", "y"]);
        assert_eq!(b.stats(now).unwrap().ready, 0);
        // While a lives it renews its leases: b, looking for longer than
        // a lease, takes nothing over.
        let watch = Instant::now();
        while watch.elapsed() < lease * 3 {
            assert!(
                b.receive(10, now_ms()).unwrap().is_empty(),
                "taken from a live node"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // a stops renewing its leases (its process died): b takes over.
        drop(a);
        let start = Instant::now();
        let taken = loop {
            let got = b.receive(10, now_ms()).unwrap();
            if !got.is_empty() {
                break got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never taken over"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(sorted(&taken), ["x", "y"]);
        assert!(taken.iter().all(|d| d.failed_attempts == 0));
        b.settle(&["x".into(), "y".into()], &[]).unwrap();
        assert_eq!(b.stats(now_ms()).unwrap().messages, 0);
    }
}
