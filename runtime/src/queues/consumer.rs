//! A queue's consumer: the loop that makes batches and settles them.
//!
//! Each consumer runs on a thread of its own (`motu-queue-<name>`), where
//! the calls to the queue's backend may block on the disk without holding
//! up an executor. The loop:
//!
//! 1. counts the messages that are ready (visible and not in flight);
//! 2. while fewer than `max_concurrency` batches are in flight, delivers a
//!    batch of up to `max_batch_size` messages when that many are ready, or
//!    when the first ready message has waited `max_batch_timeout`;
//! 3. otherwise sleeps until a message is sent, a batch finishes, the batch
//!    timeout passes or a delayed message becomes visible (and, for a queue
//!    that other nodes send to, no longer than the backend's poll
//!    interval).
//!
//! A delivered batch goes through the registry to an isolate of the
//! consumer Worker ([`DeliverBatch`]); when its event ends, each message's
//! fate ([`super::outcome`]) is settled in one durable step (after the
//! dead-lettered ones were added to their queue), logged and counted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Addr;
use motu_storage::kv::now_ms;
use motu_storage::queues::{NewMessage, Retry};

use super::deliver::{BatchMessage, DeliverBatch, Delivered};
use super::outcome::{fate, Fate};
use super::{metrics, QueueConsumer};
use crate::bindings::Queue;
use crate::{Registry, Storage};

/// How long the loop waits before trying again after its store failed.
const FAILED_STORE_PAUSE: Duration = Duration::from_secs(1);

/// Starts the consumer of `consumer.queue` on a thread of its own; its
/// batches go to `registry`. The queue (and its dead-letter queue) are
/// opened now: an error names the one that could not be.
pub fn start_consumer(
    registry: Addr<Registry>,
    storage: &Storage,
    consumer: QueueConsumer,
) -> Result<(), String> {
    let queue = storage.queue(&consumer.queue)?;
    let dead_letter = consumer
        .dead_letter_queue
        .as_deref()
        .map(|name| storage.queue(name))
        .transpose()?;
    let name = consumer.queue.clone();
    std::thread::Builder::new()
        .name(format!("motu-queue-{name}"))
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a queue consumer's runtime starts");
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, run(registry, queue, dead_letter, consumer));
        })
        .map_err(|e| format!("queue '{name}': cannot start its consumer: {e}"))?;
    Ok(())
}

async fn run(
    registry: Addr<Registry>,
    queue: Arc<Queue>,
    dead_letter: Option<Arc<Queue>>,
    consumer: QueueConsumer,
) {
    let consumer = Arc::new(consumer);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut in_flight: u32 = 0;
    // When the first of the ready messages was seen waiting.
    let mut waiting_since: Option<Instant> = None;
    loop {
        let now = now_ms();
        let stats = match queue.backend().stats(now) {
            Ok(stats) => stats,
            Err(e) => {
                tracing::error!(queue = queue.name(), "queue consumer: {e}");
                tokio::time::sleep(FAILED_STORE_PAUSE).await;
                continue;
            }
        };
        metrics::backlog(queue.name(), stats.messages);
        let mut wake: Option<Instant> = None;
        if stats.ready == 0 {
            waiting_since = None;
        } else if in_flight < consumer.max_concurrency {
            let since = *waiting_since.get_or_insert_with(Instant::now);
            let full = stats.ready >= u64::from(consumer.max_batch_size);
            if full || since.elapsed() >= consumer.max_batch_timeout {
                match queue
                    .backend()
                    .receive(consumer.max_batch_size as usize, now)
                {
                    Ok(batch) if !batch.is_empty() => {
                        in_flight += 1;
                        waiting_since = None;
                        let job = deliver(
                            registry.clone(),
                            queue.clone(),
                            dead_letter.clone(),
                            consumer.clone(),
                            batch,
                        );
                        let done = done_tx.clone();
                        tokio::task::spawn_local(async move {
                            job.await;
                            let _ = done.send(());
                        });
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(queue = queue.name(), "queue consumer: {e}");
                        tokio::time::sleep(FAILED_STORE_PAUSE).await;
                        continue;
                    }
                }
            } else {
                wake = Some(since + consumer.max_batch_timeout);
            }
        }
        if let Some(at) = stats.next_visible_at_ms {
            let visible = Instant::now() + Duration::from_millis((at - now).max(0) as u64);
            wake = Some(wake.map_or(visible, |w| w.min(visible)));
        }
        // A queue other nodes send to (Redis): look again after a while.
        if let Some(poll) = queue.backend().poll_interval() {
            let next = Instant::now() + poll;
            wake = Some(wake.map_or(next, |w| w.min(next)));
        }
        let sleep = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = queue.arrived() => {}
            Some(()) = done_rx.recv() => {
                in_flight -= 1;
                // Every batch that finished meanwhile.
                while done_rx.try_recv().is_ok() {
                    in_flight -= 1;
                }
            }
            _ = sleep => {}
        }
    }
}

/// Delivers one batch and settles its messages.
async fn deliver(
    registry: Addr<Registry>,
    queue: Arc<Queue>,
    dead_letter: Option<Arc<Queue>>,
    consumer: Arc<QueueConsumer>,
    batch: Vec<motu_storage::queues::Delivery>,
) {
    let began = Instant::now();
    let messages: Vec<BatchMessage> = batch
        .iter()
        .map(|d| BatchMessage {
            id: d.id.clone(),
            timestamp_ms: d.timestamp_ms,
            content_type: d.content_type.clone(),
            body: d.body.clone(),
            attempts: d.failed_attempts + 1,
        })
        .collect();
    let delivered = registry
        .send(DeliverBatch {
            worker: consumer.worker.clone(),
            queue: queue.name().to_owned(),
            messages,
            retried: false,
        })
        .await
        .unwrap_or_else(|_| Delivered {
            result: Err(crate::RuntimeError::Startup("the registry stopped".into())),
            report: None,
        });
    let succeeded = delivered.result.is_ok();
    let now = now_ms();
    let (mut acks, mut retries, mut dead, mut dropped) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for d in &batch {
        match fate(
            &d.id,
            succeeded,
            delivered.report.as_ref(),
            consumer.retry_delay,
        ) {
            Fate::Ack => acks.push(d.id.clone()),
            Fate::Retry(_) if d.failed_attempts + 1 > consumer.max_retries => {
                let attempts = d.failed_attempts + 1;
                let plural = if attempts == 1 { "" } else { "s" };
                acks.push(d.id.clone());
                match &dead_letter {
                    Some(dlq) => {
                        tracing::warn!(
                            queue = queue.name(),
                            "Moving message \"{}\" on queue \"{}\" to dead letter queue \"{}\" after {attempts} failed attempt{plural}",
                            d.id,
                            queue.name(),
                            dlq.name()
                        );
                        dead.push(NewMessage {
                            id: d.id.clone(),
                            timestamp_ms: d.timestamp_ms,
                            content_type: d.content_type.clone(),
                            body: d.body.clone(),
                            visible_at_ms: now,
                            failed_attempts: 0,
                        });
                    }
                    None => {
                        tracing::warn!(
                            queue = queue.name(),
                            "Dropped message \"{}\" on queue \"{}\" after {attempts} failed attempt{plural}",
                            d.id,
                            queue.name()
                        );
                        dropped += 1;
                    }
                }
            }
            Fate::Retry(delay) => retries.push(Retry {
                id: d.id.clone(),
                visible_at_ms: now + i64::from(delay) * 1000,
            }),
        }
    }
    // Dead-lettered messages reach their queue before they leave this one:
    // a crash in between delivers them twice, never loses them.
    if let (Some(dlq), false) = (&dead_letter, dead.is_empty()) {
        if let Err(e) = dlq.send(&dead) {
            tracing::error!(
                queue = queue.name(),
                "cannot move messages to the dead-letter queue '{}' ({e}); they are retried",
                dlq.name()
            );
            let ids: Vec<String> = dead.iter().map(|m| m.id.clone()).collect();
            acks.retain(|id| !ids.contains(id));
            queue.backend().release(&ids);
            dead.clear();
        }
    }
    let settled = queue.backend().settle(&acks, &retries);
    let millis = began.elapsed().as_secs_f64() * 1e3;
    let acked = acks.len() - dead.len() - dropped;
    match (&settled, &delivered.result) {
        (Err(e), _) => {
            let ids: Vec<String> = batch.iter().map(|d| d.id.clone()).collect();
            queue.backend().release(&ids);
            tracing::error!(
                queue = queue.name(),
                worker = consumer.worker.as_str(),
                "queue batch of {} messages could not be settled ({e}); it will be delivered again",
                batch.len()
            );
        }
        (Ok(()), Ok(())) => tracing::info!(
            queue = queue.name(),
            worker = consumer.worker.as_str(),
            "QUEUE {} {acked}/{} acked, {} retried, {} dead-lettered, {dropped} dropped ({millis:.0} ms)",
            queue.name(),
            batch.len(),
            retries.len(),
            dead.len(),
        ),
        (Ok(()), Err(e)) => tracing::warn!(
            queue = queue.name(),
            worker = consumer.worker.as_str(),
            "QUEUE {} {acked}/{} acked, {} retried, {} dead-lettered, {dropped} dropped ({millis:.0} ms): the handler failed: {e}",
            queue.name(),
            batch.len(),
            retries.len(),
            dead.len(),
        ),
    }
    if settled.is_ok() {
        metrics::batch(
            queue.name(),
            batch.len(),
            acked,
            retries.len(),
            dead.len(),
            dropped,
        );
    }
}
