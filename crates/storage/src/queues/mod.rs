//! Queues: messages a producer sends and a consumer receives in batches,
//! acknowledges or retries, kept until they are acknowledged.
//!
//! # Concepts
//!
//! - **A backend** ([`QueueBackend`]) holds one queue's messages. The
//!   embedded one, [`SqliteQueue`], is a SQLite database per queue in the
//!   state folder (`queues/<queue name>.sqlite`); with `[cluster] redis`,
//!   [`RedisQueue`](crate::redis::RedisQueue) keeps it in a Redis stream
//!   with a consumer group, shared by every node, behind the same trait.
//!   Nothing here knows about Workers, JavaScript or batching rules: the
//!   runtime's consumer decides when to receive and what to do with the
//!   outcome.
//! - **A message** ([`NewMessage`], [`Delivery`]) is an id, the time it was
//!   sent, a content type (`text`, `json`, `bytes`, `v8`: how the body's
//!   bytes become a JavaScript value again) and the body's bytes, with the
//!   time it becomes **visible** (a delayed send or a delayed retry is
//!   invisible until then) and how many deliveries of it failed so far.
//! - **Leases**: [`QueueBackend::receive`] hands out up to `max` visible
//!   messages and leases them: they are not handed out again until they
//!   are settled or released. A lease lives in the process, not on disk:
//!   when the process dies (even by `kill -9`) every leased message is
//!   visible again to the next process, so a message in flight at a crash
//!   is delivered again — delivery is *at least once*.
//! - **Settling** ([`QueueBackend::settle`]): acknowledged messages are
//!   deleted and retried ones get their failed-attempt count raised and a
//!   new visible time, in one durable transaction: once it returns, an
//!   acknowledged message never comes back, across crashes too.
//! - **Durability**: [`QueueBackend::send`] returns once the messages are on
//!   disk (SQLite in WAL mode with `synchronous=FULL`, see
//!   [`crate::sqlite`]): a send the producer saw succeed survives a crash.

mod sqlite;

use crate::StorageError;

pub use sqlite::SqliteQueue;

/// A message to add to a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Its id, unique in the queue (the producer makes it).
    pub id: String,
    /// When it was sent, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// How its body is read back: `text`, `json`, `bytes` or `v8`.
    pub content_type: String,
    /// The body's bytes.
    pub body: Vec<u8>,
    /// When it becomes visible to the consumer, in milliseconds since the
    /// Unix epoch (the send time plus its delay).
    pub visible_at_ms: i64,
    /// Deliveries of it that failed already (0 for a new message; a message
    /// moved to a dead-letter queue keeps its count).
    pub failed_attempts: u32,
}

/// A message handed to a consumer, leased until it is settled or released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: String,
    /// When it was sent, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// How its body is read back.
    pub content_type: String,
    /// The body's bytes.
    pub body: Vec<u8>,
    /// Deliveries of it that failed before this one (this one is attempt
    /// `failed_attempts + 1`).
    pub failed_attempts: u32,
}

/// A leased message to retry: visible again at `visible_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// The message's id.
    pub id: String,
    /// When it is visible again, in milliseconds since the Unix epoch.
    pub visible_at_ms: i64,
}

/// What a queue holds now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Messages in the queue: visible, delayed and leased.
    pub messages: u64,
    /// Their bodies' bytes.
    pub bytes: u64,
    /// Messages visible now and not leased: what a receive would hand out.
    pub ready: u64,
    /// The oldest message's send time, in milliseconds since the Unix epoch.
    pub oldest_timestamp_ms: Option<i64>,
    /// The earliest time a message that is not visible yet becomes visible.
    pub next_visible_at_ms: Option<i64>,
}

/// One queue's messages (see the module docs). Every method blocks (on the
/// disk, or on a server): callers run them off the executor threads.
pub trait QueueBackend: Send + Sync + std::fmt::Debug + 'static {
    /// Adds `messages`, durably, all or none.
    fn send(&self, messages: &[NewMessage]) -> Result<(), StorageError>;

    /// Leases and returns up to `max` messages visible at `now_ms` and not
    /// leased, oldest visible first.
    fn receive(&self, max: usize, now_ms: i64) -> Result<Vec<Delivery>, StorageError>;

    /// Settles leased messages in one durable step: deletes `acks`, and
    /// raises the failed-attempt count of `retries` and makes each visible
    /// at its time. Their leases end. Ids the queue does not hold are
    /// skipped.
    fn settle(&self, acks: &[String], retries: &[Retry]) -> Result<(), StorageError>;

    /// Ends the leases of `ids` without changing the messages (the
    /// delivery did not happen): they are visible again at once.
    fn release(&self, ids: &[String]);

    /// What the queue holds at `now_ms`.
    fn stats(&self, now_ms: i64) -> Result<QueueStats, StorageError>;

    /// How often a consumer should look for messages that other processes
    /// sent (a store shared by several nodes); `None` (the default): only
    /// this process sends to the queue, and its sends wake the consumer.
    fn poll_interval(&self) -> Option<std::time::Duration> {
        None
    }
}

/// A new message id: 32 random hexadecimal digits, as Cloudflare's ids.
pub fn new_message_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No randomness from the system: the time and a counter keep ids
        // unique within the process.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&t.to_be_bytes());
        bytes[8..].copy_from_slice(&n.to_be_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
