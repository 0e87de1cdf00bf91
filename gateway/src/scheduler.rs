//! The cron scheduler: fires each Worker's triggers on time, in UTC.
//!
//! On one node every tick fires here. In a cluster every node runs the same
//! schedule (ticks are times of the wall clock, the same on every node), and
//! before firing a tick asks a [`TickLock`] whether it is the one node that
//! fires it: the first node to take the lock of (Worker, cron, scheduled
//! time) does, the others skip it. A node that dies takes no more locks, so
//! the others fire its ticks; a tick whose lock cannot be asked (the shared
//! store is unreachable) is skipped and logged, never fired twice.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix::Addr;
use chrono::Utc;
use motu_config::CronTrigger;
use motu_runtime::{Registry, Trigger};

/// One trigger of one Worker.
#[derive(Debug, Clone)]
pub struct CronJob {
    /// The Worker whose `scheduled` handler runs.
    pub worker: String,
    /// When.
    pub trigger: CronTrigger,
    /// Whether a run may start while the previous one goes on.
    pub overlap: bool,
}

/// What a [`TickLock`] answers: whether this node fires the tick, or why
/// it could not be asked.
pub type TickLockFuture = Pin<Box<dyn Future<Output = Result<bool, String>> + Send>>;

/// Decides which node of a cluster fires a cron tick (see the module docs).
pub trait TickLock: Send + Sync + 'static {
    /// Whether this node fires the tick of `worker`'s trigger `cron` due at
    /// `scheduled_ms` (milliseconds since the Unix epoch): true for exactly
    /// one of the nodes that ask; an error when it cannot be told.
    fn take(&self, worker: &str, cron: &str, scheduled_ms: i64) -> TickLockFuture;
}

/// Starts one task per job on the current actix arbiter; each sleeps until
/// its trigger is next due and fires it through `registry`. A run still
/// going when the trigger is due again makes that tick be skipped (and
/// logged), unless the job allows overlap.
pub fn start_scheduler(registry: Addr<Registry>, jobs: Vec<CronJob>) {
    start_cluster_scheduler(registry, jobs, None);
}

/// [`start_scheduler`] for a node of a cluster: each tick fires only if
/// `lock` says this node takes it (`None`: every tick fires here).
pub fn start_cluster_scheduler(
    registry: Addr<Registry>,
    jobs: Vec<CronJob>,
    lock: Option<Arc<dyn TickLock>>,
) {
    for job in jobs {
        let registry = registry.clone();
        actix_rt::spawn(run_job(registry, job, lock.clone()));
    }
}

async fn run_job(registry: Addr<Registry>, job: CronJob, lock: Option<Arc<dyn TickLock>>) {
    let running = Rc::new(Cell::new(0usize));
    let mut after = Utc::now();
    while let Some(due) = job.trigger.next_after(after) {
        let wait = (due - Utc::now()).to_std().unwrap_or_default();
        actix_rt::time::sleep(wait).await;
        after = due;
        if running.get() > 0 && !job.overlap {
            tracing::warn!(
                worker = job.worker.as_str(),
                cron = job.trigger.expression(),
                "skipping a cron tick: the previous run is still going"
            );
            continue;
        }
        if let Some(lock) = &lock {
            let scheduled_ms = due.timestamp_millis();
            match lock
                .take(&job.worker, job.trigger.expression(), scheduled_ms)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(
                        worker = job.worker.as_str(),
                        cron = job.trigger.expression(),
                        "skipping a cron tick: which node fires it cannot be decided ({e})"
                    );
                    continue;
                }
            }
        }
        running.set(running.get() + 1);
        let trigger = Trigger {
            worker: job.worker.clone(),
            cron: job.trigger.expression().to_owned(),
            scheduled_time: due.timestamp_millis() as f64,
            retried: false,
        };
        let send = registry.send(trigger);
        let running = running.clone();
        // The outcome is logged and counted by the runtime's supervisor.
        actix_rt::spawn(async move {
            let _ = send.await;
            running.set(running.get() - 1);
        });
    }
    tracing::warn!(
        worker = job.worker.as_str(),
        cron = job.trigger.expression(),
        "this cron trigger will never fire again"
    );
}
