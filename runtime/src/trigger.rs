//! Scheduled events through the registry: [`Trigger`] picks (or starts) an
//! isolate of the Worker and runs its `scheduled` handler there.

use actix::prelude::*;

use crate::isolate_actor::Scheduled;
use crate::registry::InFlight;
use crate::supervisor::{ScheduledOutcome, ScheduledRan};
use crate::{Registry, RuntimeError};

/// Fires a Worker's `scheduled` handler, starting its isolate if needed.
/// Resolves when the handler has finished (`waitUntil` work may go on).
#[derive(Debug, Clone)]
pub struct Trigger {
    /// The Worker's name.
    pub worker: String,
    /// The cron expression the event carries.
    pub cron: String,
    /// When the trigger was due, in milliseconds since the Unix epoch.
    pub scheduled_time: f64,
    /// Whether this is the second try, after the isolate first chosen
    /// turned out to be going away.
    pub retried: bool,
}

impl Message for Trigger {
    type Result = Result<(), RuntimeError>;
}

impl Handler<Trigger> for Registry {
    type Result = ResponseFuture<Result<(), RuntimeError>>;

    fn handle(&mut self, msg: Trigger, ctx: &mut Self::Context) -> Self::Result {
        let instance = self.instance(&msg.worker, &ctx.address(), None);
        let registry = ctx.address();
        let supervisor = (!msg.retried).then(|| self.supervisor());
        let began = std::time::Instant::now();
        let (worker, cron) = (msg.worker.clone(), msg.cron.clone());
        let run = async move {
            let crate::registry::Chosen {
                starting,
                in_flight,
                ..
            } = instance?;
            in_flight.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _done = InFlight(in_flight);
            let addr = starting.await?;
            let event = Scheduled {
                cron: msg.cron.clone(),
                scheduled_time: msg.scheduled_time,
            };
            match addr.send(event).await {
                Ok(Err(RuntimeError::Unavailable(_))) | Err(_) if !msg.retried => registry
                    .send(Trigger {
                        retried: true,
                        ..msg
                    })
                    .await
                    .unwrap_or_else(|_| Err(RuntimeError::Startup("the registry stopped".into()))),
                Ok(result) => result,
                Err(_) => Err(RuntimeError::Lost(msg.worker)),
            }
        };
        Box::pin(async move {
            let result = run.await;
            // The first try reports, once, whatever the retry did.
            if let Some(supervisor) = supervisor {
                supervisor.do_send(ScheduledRan {
                    worker,
                    cron,
                    outcome: ScheduledOutcome::of(&result),
                    millis: began.elapsed().as_secs_f64() * 1e3,
                    error: result.as_ref().err().map(ToString::to_string),
                });
            }
            result
        })
    }
}
