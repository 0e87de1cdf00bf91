//! `queues`: a Worker's queue producers (`env.NAME.send(…)`) and the queues
//! it consumes (its `queue(batch, env, ctx)` handler).
//!
//! ```toml
//! [[workers.queues.producers]]
//! binding = "JOBS"          # env.JOBS is the queue
//! queue = "jobs"            # which queue
//! delivery_delay = 0        # seconds every message waits before delivery (default 0)
//!
//! [[workers.queues.consumers]]
//! queue = "jobs"
//! max_batch_size = 10       # messages per batch, 1 to 100 (default 10)
//! max_batch_timeout = 5     # seconds a batch waits to fill, 0 to 60 (default 5)
//! max_retries = 3           # retries before the dead-letter queue, 0 to 100 (default 3)
//! dead_letter_queue = "jobs-dlq"  # default none: dropped with a log line
//! retry_delay = 0           # seconds before a retried message is delivered again (default 0)
//! max_concurrency = 4       # batches delivered at once, 1 to 250 (default 250)
//! ```
//!
//! Wrangler configs use the same keys under `queues`, as Cloudflare
//! documents them. A queue is named by its name, which names its file in
//! the state folder (`queues/<queue>.sqlite`); Workers naming the same
//! queue share it. A queue has at most one consumer (as on Cloudflare), and
//! a consumer's dead-letter queue is another queue.

use std::time::Duration;

use serde::Deserialize;

/// The keys of a `queues.producers` entry motu reads.
pub(crate) const PRODUCER_KEYS: &[&str] = &["binding", "queue", "delivery_delay"];
/// The keys of a `queues.consumers` entry motu reads.
pub(crate) const CONSUMER_KEYS: &[&str] = &[
    "queue",
    "max_batch_size",
    "max_batch_timeout",
    "max_retries",
    "dead_letter_queue",
    "retry_delay",
    "max_concurrency",
];

/// The longest delay of a message (`delivery_delay`, `retry_delay`,
/// `delaySeconds`), in seconds: Cloudflare's 24 hours.
pub const MAX_DELAY_SECONDS: u32 = 86_400;
/// The largest batch a consumer may ask for.
pub const MAX_BATCH_SIZE: u32 = 100;
/// The longest batch timeout, in seconds.
pub const MAX_BATCH_TIMEOUT_SECONDS: f64 = 60.0;
/// The most retries of a message.
pub const MAX_RETRIES: u32 = 100;
/// The most batches of one consumer delivered at once (Cloudflare's
/// ceiling of concurrent consumer invocations), and the default.
pub const MAX_CONCURRENCY: u32 = 250;

/// `[workers.queues]`, as serde reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueues {
    #[serde(default)]
    pub(crate) producers: Vec<RawProducer>,
    #[serde(default)]
    pub(crate) consumers: Vec<RawConsumer>,
}

/// One `[[workers.queues.producers]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProducer {
    pub(crate) binding: Option<String>,
    pub(crate) queue: Option<String>,
    pub(crate) delivery_delay: Option<f64>,
}

/// One `[[workers.queues.consumers]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConsumer {
    pub(crate) queue: Option<String>,
    pub(crate) max_batch_size: Option<f64>,
    pub(crate) max_batch_timeout: Option<f64>,
    pub(crate) max_retries: Option<f64>,
    pub(crate) dead_letter_queue: Option<String>,
    pub(crate) retry_delay: Option<f64>,
    pub(crate) max_concurrency: Option<f64>,
}

/// A queue producer binding: `env.<binding>` sends to `queue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueProducerSettings {
    /// `binding`: the name in `env`. Required.
    pub binding: String,
    /// `queue`: the queue's name. Required.
    pub queue: String,
    /// `delivery_delay`: seconds every message sent through this binding
    /// waits before it can be delivered, unless the send gives its own
    /// `delaySeconds`. 0 to 86,400; default 0.
    pub delivery_delay: u32,
}

/// A queue the Worker consumes, and how its batches are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConsumerSettings {
    /// `queue`: the queue's name. Required.
    pub queue: String,
    /// `max_batch_size`: the most messages in one batch, 1 to 100; default
    /// 10.
    pub max_batch_size: u32,
    /// `max_batch_timeout` (seconds): how long a batch that is not full
    /// waits for more messages, 0 to 60; default 5 s.
    pub max_batch_timeout: Duration,
    /// `max_retries`: how many times a message is retried before it goes
    /// to the dead-letter queue (or is dropped), 0 to 100; default 3.
    pub max_retries: u32,
    /// `dead_letter_queue`: where messages go after their last retry;
    /// default none (they are dropped, with a log line).
    pub dead_letter_queue: Option<String>,
    /// `retry_delay` (seconds): how long a retried message waits before it
    /// is delivered again, unless the retry gives its own `delaySeconds`; 0
    /// to 86,400; default 0.
    pub retry_delay: u32,
    /// `max_concurrency`: the most batches delivered at once, 1 to 250;
    /// default 250 (as many as there are full batches, up to Cloudflare's
    /// ceiling).
    pub max_concurrency: u32,
}

/// A Worker's `queues`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueuesSettings {
    /// `producers`: queue bindings in `env`. Default none.
    pub producers: Vec<QueueProducerSettings>,
    /// `consumers`: the queues whose batches this Worker's `queue` handler
    /// gets. Default none.
    pub consumers: Vec<QueueConsumerSettings>,
}

impl QueuesSettings {
    /// Whether there is nothing in it.
    pub fn is_empty(&self) -> bool {
        self.producers.is_empty() && self.consumers.is_empty()
    }
}

/// Whether `name` can name a queue: it names its file.
fn valid_queue_name(name: &str) -> bool {
    crate::kv::valid_store_id(name)
}

fn whole(
    value: Option<f64>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
    field: String,
) -> Result<u32, (String, String)> {
    let Some(v) = value else { return Ok(default) };
    if v.fract() != 0.0 || v < *range.start() as f64 || v > *range.end() as f64 {
        return Err((
            field,
            format!(
                "{v} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(v as u32)
}

fn queue_name(value: &Option<String>, field: String) -> Result<String, (String, String)> {
    match value {
        Some(q) if valid_queue_name(q) => Ok(q.clone()),
        Some(q) => Err((
            field,
            format!(
                "'{q}' cannot name a queue: use letters, digits, '-', '_' and '.' \
                 (up to 200, not starting with '.')"
            ),
        )),
        None => Err((field, "missing".into())),
    }
}

/// Validates a Worker's `queues`; `taken` tells whether a name in `env` is
/// already used by another binding. Errors are `(field, message)` with the
/// field relative to the Worker.
pub(crate) fn validate(
    raw: &RawQueues,
    taken: &dyn Fn(&str) -> bool,
) -> Result<QueuesSettings, (String, String)> {
    let mut out = QueuesSettings::default();
    for (i, p) in raw.producers.iter().enumerate() {
        let field = |f: &str| format!("queues.producers[{i}].{f}");
        let binding = match &p.binding {
            Some(b) if !b.is_empty() => b.clone(),
            _ => return Err((field("binding"), "missing".into())),
        };
        if taken(&binding) || out.producers.iter().any(|o| o.binding == binding) {
            return Err((
                field("binding"),
                format!("'{binding}' is already a binding of this Worker"),
            ));
        }
        out.producers.push(QueueProducerSettings {
            binding,
            queue: queue_name(&p.queue, field("queue"))?,
            delivery_delay: whole(
                p.delivery_delay,
                0,
                0..=MAX_DELAY_SECONDS,
                field("delivery_delay"),
            )?,
        });
    }
    for (i, c) in raw.consumers.iter().enumerate() {
        let field = |f: &str| format!("queues.consumers[{i}].{f}");
        let queue = queue_name(&c.queue, field("queue"))?;
        if out.consumers.iter().any(|o| o.queue == queue) {
            return Err((
                field("queue"),
                format!("this Worker already consumes queue '{queue}'"),
            ));
        }
        let dead_letter_queue = match &c.dead_letter_queue {
            None => None,
            dlq => Some(queue_name(dlq, field("dead_letter_queue"))?),
        };
        if dead_letter_queue.as_deref() == Some(queue.as_str()) {
            return Err((
                field("dead_letter_queue"),
                format!("queue '{queue}' cannot be its own dead-letter queue"),
            ));
        }
        let timeout = c.max_batch_timeout.unwrap_or(5.0);
        if !(0.0..=MAX_BATCH_TIMEOUT_SECONDS).contains(&timeout) {
            return Err((
                field("max_batch_timeout"),
                format!("{timeout} is not a number of seconds from 0 to 60"),
            ));
        }
        out.consumers.push(QueueConsumerSettings {
            queue,
            max_batch_size: whole(
                c.max_batch_size,
                10,
                1..=MAX_BATCH_SIZE,
                field("max_batch_size"),
            )?,
            max_batch_timeout: Duration::from_secs_f64(timeout),
            max_retries: whole(c.max_retries, 3, 0..=MAX_RETRIES, field("max_retries"))?,
            dead_letter_queue,
            retry_delay: whole(
                c.retry_delay,
                0,
                0..=MAX_DELAY_SECONDS,
                field("retry_delay"),
            )?,
            max_concurrency: whole(
                c.max_concurrency,
                MAX_CONCURRENCY,
                1..=MAX_CONCURRENCY,
                field("max_concurrency"),
            )?,
        });
    }
    Ok(out)
}

/// The `queues` of a Wrangler config as motu.toml has them: the keys motu
/// reads, and the fields (relative to `field`) of those it leaves out.
pub(crate) fn from_wrangler(
    value: &serde_json::Value,
    field: &str,
) -> Result<(serde_json::Value, Vec<String>), (String, String)> {
    use serde_json::{Map, Value};
    let Value::Object(queues) = value else {
        return Err((field.to_owned(), "must be a table".into()));
    };
    let mut ignored = Vec::new();
    let mut kept = Map::new();
    for (key, list) in queues {
        let keys = match key.as_str() {
            "producers" => PRODUCER_KEYS,
            "consumers" => CONSUMER_KEYS,
            _ => {
                ignored.push(format!("{field}.{key}"));
                continue;
            }
        };
        let Value::Array(list) = list else {
            return Err((format!("{field}.{key}"), "must be a list".into()));
        };
        let mut entries = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let Value::Object(entry) = entry else {
                return Err((format!("{field}.{key}[{i}]"), "must be a table".into()));
            };
            // A pull consumer (`type = "http_pull"`) is read over HTTP by
            // something else; motu delivers only to Workers.
            if entry.get("type").and_then(Value::as_str) == Some("http_pull") {
                ignored.push(format!("{field}.{key}[{i}] (an http_pull consumer)"));
                continue;
            }
            let mut out = Map::new();
            for (k, v) in entry {
                if keys.contains(&k.as_str()) {
                    out.insert(k.clone(), v.clone());
                } else if k != "type" {
                    ignored.push(format!("{field}.{key}[{i}].{k}"));
                }
            }
            entries.push(Value::Object(out));
        }
        kept.insert(key.clone(), Value::Array(entries));
    }
    Ok((Value::Object(kept), ignored))
}

/// Checks the consumers of every Worker together: a queue has at most one
/// consumer. `workers` lists each Worker's name and queues.
pub(crate) fn validate_consumers<'a>(
    workers: impl Iterator<Item = (usize, &'a str, &'a QueuesSettings)>,
) -> Result<(), (String, String)> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (i, name, queues) in workers {
        for (j, c) in queues.consumers.iter().enumerate() {
            if let Some((_, other)) = seen.iter().find(|(q, _)| *q == c.queue) {
                return Err((
                    format!("workers[{i}].queues.consumers[{j}].queue"),
                    format!(
                        "queue '{}' is consumed by Worker '{other}' already; a queue has one consumer",
                        c.queue
                    ),
                ));
            }
            seen.push((&c.queue, name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumer(queue: &str) -> RawConsumer {
        RawConsumer {
            queue: Some(queue.into()),
            max_batch_size: None,
            max_batch_timeout: None,
            max_retries: None,
            dead_letter_queue: None,
            retry_delay: None,
            max_concurrency: None,
        }
    }

    #[test]
    fn defaults_are_cloudflares() {
        let raw = RawQueues {
            producers: vec![RawProducer {
                binding: Some("Q".into()),
                queue: Some("jobs".into()),
                delivery_delay: None,
            }],
            consumers: vec![consumer("jobs")],
        };
        let q = validate(&raw, &|_| false).unwrap();
        assert_eq!(q.producers[0].delivery_delay, 0);
        let c = &q.consumers[0];
        assert_eq!(c.max_batch_size, 10);
        assert_eq!(c.max_batch_timeout, Duration::from_secs(5));
        assert_eq!(c.max_retries, 3);
        assert_eq!(c.retry_delay, 0);
        assert_eq!(c.max_concurrency, 250);
        assert_eq!(c.dead_letter_queue, None);
    }

    #[test]
    fn bad_values_name_their_field() {
        let err = |c: RawConsumer| {
            validate(
                &RawQueues {
                    producers: vec![],
                    consumers: vec![c],
                },
                &|_| false,
            )
            .unwrap_err()
        };
        let big = RawConsumer {
            max_batch_size: Some(101.0),
            ..consumer("q")
        };
        assert_eq!(err(big).0, "queues.consumers[0].max_batch_size");
        let slow = RawConsumer {
            max_batch_timeout: Some(61.0),
            ..consumer("q")
        };
        assert_eq!(err(slow).0, "queues.consumers[0].max_batch_timeout");
        let own = RawConsumer {
            dead_letter_queue: Some("q".into()),
            ..consumer("q")
        };
        assert!(err(own).1.contains("its own dead-letter queue"));
        assert_eq!(err(consumer("../x")).0, "queues.consumers[0].queue");
        let taken = validate(
            &RawQueues {
                producers: vec![RawProducer {
                    binding: Some("V".into()),
                    queue: Some("q".into()),
                    delivery_delay: Some(86_401.0),
                }],
                consumers: vec![],
            },
            &|n| n == "V",
        )
        .unwrap_err();
        assert!(taken.1.contains("already a binding"), "{taken:?}");
    }

    #[test]
    fn a_queue_has_one_consumer() {
        let a = validate(
            &RawQueues {
                producers: vec![],
                consumers: vec![consumer("q")],
            },
            &|_| false,
        )
        .unwrap();
        let err = validate_consumers([(0, "a", &a), (1, "b", &a)].into_iter()).unwrap_err();
        assert_eq!(err.0, "workers[1].queues.consumers[0].queue");
        assert!(err.1.contains("Worker 'a'"), "{err:?}");
    }

    #[test]
    fn wrangler_queues_keep_the_known_keys() {
        let v = serde_json::json!({
            "producers": [{ "binding": "Q", "queue": "q", "extra": 1 }],
            "consumers": [{ "queue": "q", "type": "worker", "max_batch_size": 5 },
                          { "queue": "p", "type": "http_pull", "visibility_timeout_ms": 5 }],
            "other": true,
        });
        let (kept, ignored) = from_wrangler(&v, "queues").unwrap();
        assert_eq!(
            kept,
            serde_json::json!({
                "producers": [{ "binding": "Q", "queue": "q" }],
                "consumers": [{ "queue": "q", "max_batch_size": 5 }],
            })
        );
        assert_eq!(ignored.len(), 3, "{ignored:?}");
    }
}
