//! `motu serve` and `motu dev`: starting the consumer of every queue a
//! Worker of the settings consumes (see `motu_runtime::start_consumer`).
//! Consumers are started once, with the server; a `motu dev` reload keeps
//! them as they were (like cron triggers).

use motu_config::Settings;
use motu_runtime::{start_consumer, QueueConsumer, Runtime, Storage};

/// Starts a consumer for each `queues.consumers` entry of each Worker;
/// a queue that cannot be opened is a start-up error naming it.
pub(crate) fn start_consumers(
    settings: &Settings,
    runtime: &Runtime,
    storage: &Storage,
) -> anyhow::Result<()> {
    for w in &settings.workers {
        for c in &w.queues.consumers {
            let consumer = QueueConsumer {
                worker: w.name.clone(),
                queue: c.queue.clone(),
                max_batch_size: c.max_batch_size,
                max_batch_timeout: c.max_batch_timeout,
                max_retries: c.max_retries,
                dead_letter_queue: c.dead_letter_queue.clone(),
                retry_delay: c.retry_delay,
                max_concurrency: c.max_concurrency,
            };
            start_consumer(runtime.registry(), storage, consumer)
                .map_err(|e| anyhow::anyhow!("Worker '{}': {e}", w.name))?;
            tracing::info!(
                worker = w.name.as_str(),
                queue = c.queue.as_str(),
                "consuming queue '{}'",
                c.queue
            );
        }
    }
    Ok(())
}
