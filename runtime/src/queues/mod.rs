//! Queue consumers: batches of a queue's messages delivered to a Worker's
//! `queue(batch, env, ctx)` handler (or its `addEventListener('queue')`
//! listeners), at least once.
//!
//! # The pieces
//!
//! - **The queue** ([`Queue`](crate::bindings::Queue)): the backend that
//!   holds the messages (`motu_storage::queues`, SQLite in the state folder
//!   by default) and the signal producers raise when they send. Producers
//!   are storage bindings (`bindings/queue.rs`).
//! - **The consumer** ([`start_consumer`], `consumer.rs`): a loop per
//!   consumed queue that makes batches (full, or when the batch timeout
//!   passed), up to `max_concurrency` at once, and settles each batch's
//!   messages when its event ends.
//! - **The event** ([`DeliverBatch`] through the registry, then
//!   [`QueueEvent`] to an isolate actor): run like a scheduled event, under
//!   the Worker's CPU and memory limits and the scheduled events'
//!   wall-clock limit (`scheduled_wall_ms`, 15 minutes by default, as
//!   Cloudflare's consumer duration).
//! - **The outcome** (`outcome.rs`): what the handler said of each message
//!   (`ack()`, `retry()`, `ackAll()`, `retryAll()`), reported by the prelude
//!   when the event ends, and whether the handler threw, decide which
//!   messages are deleted and which are retried; after `max_retries` they
//!   go to the dead-letter queue, or are dropped with a log line.
//! - **Metrics** (`metrics.rs`): `motu_queue_*` per queue.

mod consumer;
mod deliver;
pub(crate) mod metrics;
mod outcome;

use std::time::Duration;

use actix::prelude::*;
use motu_engine::HostValue;
use tokio::sync::oneshot;

use crate::isolate_actor::IsolateActor;
use crate::RuntimeError;

pub use consumer::start_consumer;
pub use deliver::{BatchMessage, DeliverBatch, Delivered};
pub use outcome::{Fate, Report};

/// A Worker's consumer of one queue, and how its batches are made (see
/// `motu_config::QueueConsumerSettings` for each setting's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConsumer {
    /// The Worker whose `queue` handler gets the batches.
    pub worker: String,
    /// The queue.
    pub queue: String,
    /// The most messages in one batch.
    pub max_batch_size: u32,
    /// How long a batch that is not full waits for more messages.
    pub max_batch_timeout: Duration,
    /// Retries of a message before it goes to the dead-letter queue.
    pub max_retries: u32,
    /// Where messages go after their last retry; `None`: dropped.
    pub dead_letter_queue: Option<String>,
    /// Seconds a retried message waits, unless its retry says otherwise.
    pub retry_delay: u32,
    /// The most batches in flight at once.
    pub max_concurrency: u32,
}

/// A batch for the actor's Worker (sent by [`DeliverBatch`]).
#[derive(Debug, Clone)]
pub struct QueueEvent {
    /// The queue's name.
    pub queue: String,
    /// The messages.
    pub messages: Vec<BatchMessage>,
}

impl Message for QueueEvent {
    type Result = Delivered;
}

impl QueueEvent {
    /// The event as the prelude's `dispatch` hook gets it: `{ type:
    /// 'queue', queue, messages: [[id, timestamp, contentType, body,
    /// attempts]…] }`.
    fn into_value(self) -> HostValue {
        let messages = self
            .messages
            .into_iter()
            .map(|m| {
                HostValue::List(vec![
                    m.id.into(),
                    HostValue::Number(m.timestamp_ms as f64),
                    m.content_type.into(),
                    HostValue::Bytes(m.body),
                    HostValue::Number(f64::from(m.attempts)),
                ])
            })
            .collect();
        HostValue::Map(vec![
            ("type".into(), "queue".into()),
            ("queue".into(), self.queue.into()),
            ("messages".into(), HostValue::List(messages)),
        ])
    }

    /// The bytes the event carries into the isolate.
    fn size(&self) -> usize {
        self.messages.iter().map(|m| m.body.len() + 64).sum()
    }
}

impl Handler<QueueEvent> for IsolateActor {
    type Result = ResponseFuture<Delivered>;

    fn handle(&mut self, msg: QueueEvent, ctx: &mut Self::Context) -> Self::Result {
        let (report_tx, mut report_rx) = oneshot::channel::<HostValue>();
        let size = msg.size();
        let queue = msg.queue.clone();
        let started = self.start_limited_event(
            |worker| tracing::info_span!("queue", worker, queue = queue.as_str()),
            "a queue event",
            |host, id| host.expect_report(id, report_tx),
            msg.into_value(),
            size,
            ctx,
        );
        let (worker, rx) = match started {
            Ok(started) => started,
            Err(worker) => {
                return Box::pin(async move {
                    Delivered {
                        result: Err(RuntimeError::Unavailable(worker)),
                        report: None,
                    }
                })
            }
        };
        Box::pin(async move {
            let result = rx
                .await
                .unwrap_or(Err(RuntimeError::Lost(worker)))
                .map(drop);
            // Reported in the turn that ended the event, before its outcome.
            let report = report_rx.try_recv().ok().map(|v| Report::from_value(&v));
            Delivered { result, report }
        })
    }
}
