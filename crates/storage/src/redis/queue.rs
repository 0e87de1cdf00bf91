//! Queues in Redis Streams: what every node of a cluster sends to and
//! consumes from (see `queue_scripts.rs` for the keys).
//!
//! - **One delivery per message across the nodes**: a queue is a stream
//!   with one consumer group; each node is a consumer of that group (named
//!   after its host, process id and a random suffix), and `XREADGROUP`
//!   hands each entry to one consumer only.
//! - **Leases**: an entry handed to a node stays *pending* to it until it
//!   is settled. While the node lives it renews its leases every
//!   [`QUEUE_RENEW`] (`XCLAIM … JUSTID` resets an entry's idle time); a
//!   node that dies stops renewing them, and once an entry has been idle
//!   for [`QUEUE_LEASE`], the next node that receives takes it over
//!   (`XAUTOCLAIM`) and delivers it again, with the same attempt count:
//!   delivery is at least once, as on one node across a `kill -9`.
//! - **Delays**: a stream has no visibility times, so a message sent with
//!   a delay, or retried with one, waits in a sorted set scored by the time
//!   it becomes visible, and joins the stream (at its end) in the first
//!   receive after that time.
//! - **Settling**: acknowledged entries are acknowledged and deleted
//!   (`XACK`, `XDEL`); a retried entry is deleted and its message added
//!   again, with one more failed attempt, to the stream or the delayed set;
//!   each settlement is one script, atomic in Redis.
//! - **Counting**: the backlog (every message, visible, delayed or in
//!   flight) is a sorted set of message ids by send time, with a counter of
//!   their bytes; "ready" is the stream's entries not handed out yet, the
//!   delayed messages now due and the expired leases.
//! - **Waking up**: a node learns of messages other nodes sent by looking
//!   every [`QUEUE_POLL`] ([`QueueBackend::poll_interval`]); its own sends
//!   wake its consumer at once.
//!
//! How durable an acknowledged send is, is the Redis server's setting
//! (`appendonly`, `appendfsync`), as for KV.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use redis::streams::StreamRangeReply;

use super::queue_scripts::{GROUP, RECEIVE, RENEW, SETTLE, STATS};
use super::Redis;
use crate::queues::{Delivery, NewMessage, QueueBackend, QueueStats, Retry};
use crate::StorageError;

/// How long an entry handed to a node may go without the node renewing
/// its lease before another node takes it over.
pub const QUEUE_LEASE: Duration = Duration::from_secs(15);

/// How often a node renews the leases of the entries it holds.
pub const QUEUE_RENEW: Duration = Duration::from_secs(3);

/// How often a node's consumer looks for messages other nodes sent.
pub const QUEUE_POLL: Duration = Duration::from_millis(200);

/// One queue in Redis Streams (see the module docs).
#[derive(Debug)]
pub struct RedisQueue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    redis: Arc<Redis>,
    stream: String,
    delayed: String,
    data: String,
    all: String,
    bytes: String,
    /// This process's consumer name in the group.
    consumer: String,
    /// [`QUEUE_LEASE`] (shorter in tests).
    lease: Duration,
    /// The entries this process holds: message id → stream entry id.
    leased: Mutex<HashMap<String, String>>,
}

/// This process's consumer name: host name, process id and a random
/// suffix (a process that restarts with the same id is another consumer).
fn consumer_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let suffix = &crate::queues::new_message_id()[..8];
    format!("{host}:{}:{suffix}", std::process::id())
}

impl RedisQueue {
    /// The queue `name` of `redis` (nothing is read or written until it is
    /// used). Renews the leases of the entries it holds while it lives.
    pub fn open(redis: &Arc<Redis>, name: &str) -> Self {
        Self::with_lease(redis, name, QUEUE_LEASE, QUEUE_RENEW)
    }

    /// [`RedisQueue::open`] with another lease and renewal interval.
    pub(super) fn with_lease(
        redis: &Arc<Redis>,
        name: &str,
        lease: Duration,
        renew: Duration,
    ) -> Self {
        let key = |part: &str| format!("motu:q:{{{name}}}:{part}");
        let inner = Arc::new(Inner {
            redis: redis.clone(),
            stream: key("stream"),
            delayed: key("delayed"),
            data: key("data"),
            all: key("all"),
            bytes: key("bytes"),
            consumer: consumer_name(),
            lease,
            leased: Mutex::new(HashMap::new()),
        });
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        redis.handle.spawn(async move {
            loop {
                tokio::time::sleep(renew).await;
                let Some(inner) = weak.upgrade() else { return };
                inner.renew().await;
            }
        });
        Self { inner }
    }

    /// This process's consumer name in the queue's group.
    pub fn consumer(&self) -> &str {
        &self.inner.consumer
    }
}

impl Inner {
    /// Renews the leases of the entries held (see the module docs).
    async fn renew(&self) {
        let entries: Vec<String> = self.leased.lock().values().cloned().collect();
        if entries.is_empty() {
            return;
        }
        let stream = self.stream.clone();
        let consumer = self.consumer.clone();
        let renewed = self
            .redis
            .run(move |mut c| async move {
                let mut call = RENEW.prepare_invoke();
                call.key(stream).arg(GROUP).arg(consumer);
                for e in entries {
                    call.arg(e);
                }
                call.invoke_async::<i64>(&mut c).await
            })
            .await;
        if let Err(e) = renewed {
            tracing::warn!("queue leases not renewed: {e}");
        }
    }

    /// Runs SETTLE on `(message id, mode, visible at)`: the entries held
    /// for those messages are settled and no longer held.
    fn settle(
        &self,
        items: Vec<(&str, &'static str, i64)>,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let triples: Vec<(String, &'static str, i64)> = {
            let mut leased = self.leased.lock();
            items
                .into_iter()
                .filter_map(|(id, mode, at)| leased.remove(id).map(|e| (e, mode, at)))
                .collect()
        };
        if triples.is_empty() {
            return Ok(());
        }
        let keys = [
            self.stream.clone(),
            self.delayed.clone(),
            self.data.clone(),
            self.all.clone(),
            self.bytes.clone(),
        ];
        self.redis.block_on(move |mut c| async move {
            let mut call = SETTLE.prepare_invoke();
            for k in keys {
                call.key(k);
            }
            call.arg(GROUP).arg(now_ms);
            for (entry, mode, at) in triples {
                call.arg(entry).arg(mode).arg(at);
            }
            call.invoke_async::<i64>(&mut c).await.map(drop)
        })
    }
}

fn delivery(entry: &redis::streams::StreamId) -> Option<Delivery> {
    Some(Delivery {
        id: entry.get("id")?,
        timestamp_ms: entry.get("ts")?,
        content_type: entry.get("ct")?,
        body: entry.get("body")?,
        failed_attempts: entry.get("fa").unwrap_or(0),
    })
}

impl QueueBackend for RedisQueue {
    fn send(&self, messages: &[NewMessage]) -> Result<(), StorageError> {
        if messages.is_empty() {
            return Ok(());
        }
        let q = &self.inner;
        let now = crate::kv::now_ms();
        let mut pipe = redis::pipe();
        pipe.atomic();
        for m in messages {
            pipe.cmd("ZADD")
                .arg(&q.all)
                .arg(m.timestamp_ms)
                .arg(&m.id)
                .ignore();
            pipe.cmd("INCRBY").arg(&q.bytes).arg(m.body.len()).ignore();
            if m.visible_at_ms <= now {
                pipe.cmd("XADD")
                    .arg(&q.stream)
                    .arg("*")
                    .arg("id")
                    .arg(&m.id)
                    .arg("ts")
                    .arg(m.timestamp_ms)
                    .arg("ct")
                    .arg(&m.content_type)
                    .arg("body")
                    .arg(&m.body)
                    .arg("fa")
                    .arg(m.failed_attempts)
                    .ignore();
            } else {
                let id = &m.id;
                pipe.cmd("HSET")
                    .arg(&q.data)
                    .arg(format!("{id}:ts"))
                    .arg(m.timestamp_ms)
                    .arg(format!("{id}:ct"))
                    .arg(&m.content_type)
                    .arg(format!("{id}:body"))
                    .arg(&m.body)
                    .arg(format!("{id}:fa"))
                    .arg(m.failed_attempts)
                    .ignore();
                pipe.cmd("ZADD")
                    .arg(&q.delayed)
                    .arg(m.visible_at_ms)
                    .arg(id)
                    .ignore();
            }
        }
        q.redis
            .block_on(move |mut c| async move { pipe.query_async::<()>(&mut c).await })
    }

    fn receive(&self, max: usize, now_ms: i64) -> Result<Vec<Delivery>, StorageError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let q = &self.inner;
        let keys = [q.stream.clone(), q.delayed.clone(), q.data.clone()];
        let consumer = q.consumer.clone();
        let lease = q.lease.as_millis() as u64;
        let reply: StreamRangeReply = q.redis.block_on(move |mut c| async move {
            let mut call = RECEIVE.prepare_invoke();
            for k in keys {
                call.key(k);
            }
            call.arg(now_ms)
                .arg(max)
                .arg(GROUP)
                .arg(consumer)
                .arg(lease);
            call.invoke_async(&mut c).await
        })?;
        let mut out = Vec::with_capacity(reply.ids.len());
        let mut leased = q.leased.lock();
        for entry in &reply.ids {
            match delivery(entry) {
                Some(d) => {
                    leased.insert(d.id.clone(), entry.id.clone());
                    out.push(d);
                }
                None => tracing::warn!(
                    "queue stream {}: entry {} is not a message; skipped",
                    q.stream,
                    entry.id
                ),
            }
        }
        Ok(out)
    }

    fn settle(&self, acks: &[String], retries: &[Retry]) -> Result<(), StorageError> {
        let items = acks
            .iter()
            .map(|id| (id.as_str(), "ack", 0))
            .chain(
                retries
                    .iter()
                    .map(|r| (r.id.as_str(), "retry", r.visible_at_ms)),
            )
            .collect();
        self.inner.settle(items, crate::kv::now_ms())
    }

    fn release(&self, ids: &[String]) {
        let items = ids.iter().map(|id| (id.as_str(), "release", 0)).collect();
        // When Redis does not answer, the entries stay pending to this
        // node, no longer renewed: another receive takes them over once
        // their lease runs out.
        if let Err(e) = self.inner.settle(items, crate::kv::now_ms()) {
            tracing::warn!("queue messages not released: {e}; they are delivered again once their lease runs out");
        }
    }

    fn stats(&self, now_ms: i64) -> Result<QueueStats, StorageError> {
        let q = &self.inner;
        let keys = [
            q.stream.clone(),
            q.delayed.clone(),
            q.all.clone(),
            q.bytes.clone(),
        ];
        let lease = q.lease.as_millis() as u64;
        let (messages, bytes, oldest, ready, next): (i64, i64, i64, i64, i64) =
            q.redis.block_on(move |mut c| async move {
                let mut call = STATS.prepare_invoke();
                for k in keys {
                    call.key(k);
                }
                call.arg(GROUP).arg(now_ms).arg(lease);
                call.invoke_async(&mut c).await
            })?;
        Ok(QueueStats {
            messages: messages.max(0) as u64,
            bytes: bytes.max(0) as u64,
            ready: ready.max(0) as u64,
            oldest_timestamp_ms: (oldest >= 0).then_some(oldest),
            next_visible_at_ms: (next >= 0).then_some(next),
        })
    }

    fn poll_interval(&self) -> Option<Duration> {
        Some(QUEUE_POLL)
    }
}
