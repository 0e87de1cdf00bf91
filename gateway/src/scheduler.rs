//! The cron scheduler: fires each Worker's triggers on time, in UTC.

use std::cell::Cell;
use std::rc::Rc;

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

/// Starts one task per job on the current actix arbiter; each sleeps until
/// its trigger is next due and fires it through `registry`. A run still
/// going when the trigger is due again makes that tick be skipped (and
/// logged), unless the job allows overlap.
pub fn start_scheduler(registry: Addr<Registry>, jobs: Vec<CronJob>) {
    for job in jobs {
        let registry = registry.clone();
        actix_rt::spawn(run_job(registry, job));
    }
}

async fn run_job(registry: Addr<Registry>, job: CronJob) {
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
