//! Queue producer bindings (`queues.producers`): the host side of
//! `crates/webapi/js/cloudflare/queue.js`, over a
//! [`QueueBackend`](motu_storage::queues::QueueBackend).
//!
//! The JavaScript class serialises each message body for its content type
//! (`text` and `json` as strings, `bytes` and `v8` as bytes) and calls:
//!
//! - `send(body, contentType, delaySeconds)`;
//! - `send_batch([[body, contentType, delaySeconds], …], delaySeconds)`;
//! - `metrics()`: `{ backlogCount, backlogBytes, oldestMessageTimestamp }`.
//!
//! This file checks Cloudflare's limits (a message of at most 128 KB, a
//! batch of at most 100 messages and 256 KB, a delay of at most 24 hours)
//! with the errors `wrangler dev` gives, and makes the work that adds the
//! messages durably. A message's delay is its own `delaySeconds`, else the
//! batch's, else the binding's `delivery_delay`.
//!
//! Every binding of one queue, in every Worker, shares one [`Queue`]: the
//! backend and the signal that wakes the queue's consumer when a message
//! arrives (see `crate::queues`). The backend is a SQLite database of the
//! state folder, or with `[cluster] redis` a Redis stream that every node
//! shares (`motu_storage::redis::RedisQueue`).

use std::path::PathBuf;
use std::sync::{Arc, Weak};

use motu_engine::{HostValue, JsError};
use motu_storage::kv::now_ms;
use motu_storage::queues::{new_message_id, NewMessage, QueueBackend, SqliteQueue};
use motu_storage::redis::RedisQueue;
use motu_storage::{StateFolder, StorageError};
use motu_webapi::Work;
use parking_lot::Mutex;

use super::{BindingKind, Call, Kind, Storage, StorageBinding, Store, StoreOptions, EXTERNAL_OPS};

impl BindingKind {
    /// A queue producer (`queues.producers`).
    pub const QUEUE: BindingKind = BindingKind("queue");
}

impl StorageBinding {
    /// `env.<binding>` sends to the queue `queue`; messages wait
    /// `delivery_delay` seconds before delivery unless a send says
    /// otherwise. (The id is the queue's name, with `@<seconds>` appended
    /// for a delay: bindings with different delays are different binding
    /// stores over the same queue.)
    pub fn queue(binding: impl Into<String>, queue: &str, delivery_delay: u32) -> Self {
        Self {
            binding: binding.into(),
            kind: BindingKind::QUEUE,
            id: if delivery_delay == 0 {
                queue.to_owned()
            } else {
                format!("{queue}@{delivery_delay}")
            },
        }
    }
}

pub(super) const KIND: Kind = Kind {
    kind: BindingKind::QUEUE,
    limit: EXTERNAL_OPS,
    open,
};

/// The largest message body, in bytes (128 KB, a KB being 1000 bytes).
pub const MAX_MESSAGE_BYTES: usize = 128_000;
/// The most messages of one `sendBatch`.
pub const MAX_BATCH_MESSAGES: usize = 100;
/// The most bytes of one `sendBatch`'s bodies (256 KB).
pub const MAX_BATCH_BYTES: usize = 256_000;
/// The longest delay, in seconds (24 hours).
pub const MAX_DELAY_SECONDS: f64 = 86_400.0;

/// One queue of the process: its messages and the signal that wakes its
/// consumer. Shared by every binding that names it and by its consumer.
#[derive(Debug)]
pub struct Queue {
    name: String,
    backend: Arc<dyn QueueBackend>,
    arrived: tokio::sync::Notify,
}

impl Queue {
    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its messages.
    pub fn backend(&self) -> &Arc<dyn QueueBackend> {
        &self.backend
    }

    /// Adds `messages` durably and wakes the consumer.
    pub fn send(&self, messages: &[NewMessage]) -> Result<(), StorageError> {
        self.backend.send(messages)?;
        crate::queues::metrics::sent(&self.name, messages.len());
        self.arrived.notify_one();
        Ok(())
    }

    /// Resolves when messages were sent since the last time it resolved.
    pub async fn arrived(&self) {
        self.arrived.notified().await
    }
}

/// The queues open in the process, by database file (or Redis URL and
/// queue name): every binding and consumer of one queue gets the same
/// [`Queue`].
static OPEN: Mutex<Vec<(PathBuf, Weak<Queue>)>> = Mutex::new(Vec::new());

/// The queue `name`: in Redis with `[cluster] redis`
/// ([`StoreOptions::redis`]), shared by every node; otherwise a SQLite
/// database of the state folder.
fn open_queue(
    state: &StateFolder,
    name: &str,
    options: &StoreOptions,
) -> Result<Arc<Queue>, StorageError> {
    let path = match &options.redis {
        Some(redis) => PathBuf::from(format!("{}#queue:{name}", redis.url())),
        None => state.store_path("queues", name, "sqlite")?,
    };
    let mut open = OPEN.lock();
    open.retain(|(_, q)| q.strong_count() > 0);
    if let Some(queue) = open
        .iter()
        .find(|(p, _)| *p == path)
        .and_then(|(_, q)| q.upgrade())
    {
        return Ok(queue);
    }
    let backend: Arc<dyn QueueBackend> = match &options.redis {
        Some(redis) => Arc::new(RedisQueue::open(redis, name)),
        None => Arc::new(SqliteQueue::open(&path)?),
    };
    let queue = Arc::new(Queue {
        name: name.to_owned(),
        backend,
        arrived: tokio::sync::Notify::new(),
    });
    open.push((path, Arc::downgrade(&queue)));
    Ok(queue)
}

impl Storage {
    /// The queue `name` of the state folder, opened now unless it is open
    /// already (a consumer's queue, or its dead-letter queue).
    pub fn queue(&self, name: &str) -> Result<Arc<Queue>, String> {
        let folder = self.folder()?;
        let options = self.0.options.read().clone();
        open_queue(folder, name, &options).map_err(|e| format!("queue '{name}': {e}"))
    }
}

fn open(
    state: &StateFolder,
    id: &str,
    options: &StoreOptions,
) -> Result<Arc<dyn Store>, StorageError> {
    let (name, delay) = match id.rsplit_once('@') {
        Some((name, delay)) => (name, delay.parse().unwrap_or(0)),
        None => (id, 0),
    };
    Ok(Arc::new(Producer {
        queue: open_queue(state, name, options)?,
        delivery_delay: delay,
    }))
}

/// The store behind a queue binding.
struct Producer {
    queue: Arc<Queue>,
    delivery_delay: u32,
}

/// `Queue <method> failed: <message>`, as workerd throws a refused send.
fn failed(method: &str, message: impl std::fmt::Display) -> JsError {
    JsError::new("Error", format!("Queue {method} failed: {message}"))
}

/// A body as the JavaScript class serialised it.
fn body(value: Option<HostValue>) -> Result<Vec<u8>, JsError> {
    match value {
        Some(HostValue::String(s)) => Ok(s.into_bytes()),
        Some(HostValue::Bytes(b)) => Ok(b),
        _ => Err(JsError::type_error(
            "Queue: a message body must be serialised",
        )),
    }
}

fn content_type(value: Option<&HostValue>) -> Result<String, JsError> {
    match value.and_then(HostValue::as_str) {
        Some(t @ ("text" | "json" | "bytes" | "v8")) => Ok(t.to_owned()),
        Some(t) => Err(JsError::type_error(format!(
            "Unsupported queue message content type: {t}"
        ))),
        None => Ok("json".into()),
    }
}

/// A delay argument in seconds, checked: `None` when not given.
fn delay(method: &str, value: Option<&HostValue>) -> Result<Option<u32>, JsError> {
    match value {
        None | Some(HostValue::Undefined | HostValue::Null) => Ok(None),
        Some(HostValue::Number(n)) if n.fract() == 0.0 && (0.0..=MAX_DELAY_SECONDS).contains(n) => {
            Ok(Some(*n as u32))
        }
        Some(other) => {
            let shown = match other {
                HostValue::Number(n) => format!("{n}"),
                HostValue::String(s) => s.clone(),
                _ => "a value".into(),
            };
            Err(failed(
                method,
                format!(
                    "message delay {shown} is invalid: it must be a whole number of seconds from 0 to {MAX_DELAY_SECONDS}"
                ),
            ))
        }
    }
}

fn message(body: Vec<u8>, content_type: String, delay_s: u32, now: i64) -> NewMessage {
    NewMessage {
        id: new_message_id(),
        timestamp_ms: now,
        content_type,
        body,
        visible_at_ms: now + i64::from(delay_s) * 1000,
        failed_attempts: 0,
    }
}

fn storage_failed(method: &str, e: StorageError) -> JsError {
    let reason = if e.is_disk_full() {
        "the disk is full".to_owned()
    } else {
        e.to_string()
    };
    failed(method, format!("Internal Server Error ({reason})"))
}

impl Store for Producer {
    fn call(&self, method: &str, args: Vec<HostValue>, _: &Call<'_>) -> Result<Work, JsError> {
        let queue = self.queue.clone();
        let mut args = args.into_iter();
        match method {
            "send" => {
                let body = body(args.next())?;
                let rest: Vec<HostValue> = args.collect();
                let content_type = content_type(rest.first())?;
                let delay_s = delay("send", rest.get(1))?.unwrap_or(self.delivery_delay);
                if body.len() > MAX_MESSAGE_BYTES {
                    return Err(failed(
                        "send",
                        format!(
                            "message length of {} bytes exceeds limit of {MAX_MESSAGE_BYTES}",
                            body.len()
                        ),
                    ));
                }
                let bytes = body.len();
                Ok(Work::from_fn(bytes, false, move |_| {
                    let m = message(body, content_type, delay_s, now_ms());
                    queue.send(&[m]).map_err(|e| storage_failed("send", e))?;
                    Ok(HostValue::Undefined)
                }))
            }
            "send_batch" => {
                let list = match args.next() {
                    Some(HostValue::List(list)) => list,
                    _ => return Err(JsError::type_error("Queue: the batch must be a list")),
                };
                let batch_delay = delay("sendBatch", args.next().as_ref())?;
                if list.is_empty() {
                    return Err(JsError::type_error(
                        "sendBatch() requires at least one message",
                    ));
                }
                if list.len() > MAX_BATCH_MESSAGES {
                    return Err(failed(
                        "sendBatch",
                        format!(
                            "batch message count of {} exceeds limit of {MAX_BATCH_MESSAGES}",
                            list.len()
                        ),
                    ));
                }
                let mut pending = Vec::with_capacity(list.len());
                let mut total = 0;
                for entry in list {
                    let HostValue::List(entry) = entry else {
                        return Err(JsError::type_error("Queue: a batch entry must be a list"));
                    };
                    let mut entry = entry.into_iter();
                    let body = body(entry.next())?;
                    let rest: Vec<HostValue> = entry.collect();
                    let content_type = content_type(rest.first())?;
                    let delay_s = delay("sendBatch", rest.get(1))?
                        .or(batch_delay)
                        .unwrap_or(self.delivery_delay);
                    if body.len() > MAX_MESSAGE_BYTES {
                        return Err(failed(
                            "sendBatch",
                            format!(
                                "message in batch has length {} bytes which exceeds single message size limit of {MAX_MESSAGE_BYTES}",
                                body.len()
                            ),
                        ));
                    }
                    total += body.len();
                    pending.push((body, content_type, delay_s));
                }
                if total > MAX_BATCH_BYTES {
                    return Err(failed(
                        "sendBatch",
                        format!("batch size of {total} bytes exceeds limit of {MAX_BATCH_BYTES}"),
                    ));
                }
                Ok(Work::from_fn(total, false, move |_| {
                    let now = now_ms();
                    let messages: Vec<NewMessage> = pending
                        .into_iter()
                        .map(|(b, t, d)| message(b, t, d, now))
                        .collect();
                    queue
                        .send(&messages)
                        .map_err(|e| storage_failed("sendBatch", e))?;
                    Ok(HostValue::Undefined)
                }))
            }
            "metrics" => Ok(Work::from_fn(0, false, move |_| {
                let stats = queue
                    .backend()
                    .stats(now_ms())
                    .map_err(|e| storage_failed("metrics", e))?;
                Ok(HostValue::Map(vec![
                    (
                        "backlogCount".into(),
                        HostValue::Number(stats.messages as f64),
                    ),
                    ("backlogBytes".into(), HostValue::Number(stats.bytes as f64)),
                    (
                        "oldestMessageTimestamp".into(),
                        stats
                            .oldest_timestamp_ms
                            .map_or(HostValue::Null, |t| HostValue::Number(t as f64)),
                    ),
                ]))
            })),
            _ => Err(JsError::type_error(format!("Queue: no method '{method}'"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_checked() {
        assert_eq!(delay("send", None).unwrap(), None);
        assert_eq!(
            delay("send", Some(&HostValue::Number(86_400.0))).unwrap(),
            Some(86_400)
        );
        let err = delay("send", Some(&HostValue::Number(86_401.0))).unwrap_err();
        assert!(err
            .message
            .starts_with("Queue send failed: message delay 86401 is invalid"));
        assert!(delay("send", Some(&HostValue::Number(1.5))).is_err());
        assert!(delay("send", Some(&HostValue::Number(-1.0))).is_err());
    }

    #[test]
    fn bindings_of_one_queue_share_it() {
        let storage = Storage::throwaway();
        let a = storage.queue("jobs").unwrap();
        let b = storage.queue("jobs").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let id = StorageBinding::queue("Q", "jobs", 30).id;
        assert_eq!(id, "jobs@30");
    }
}
