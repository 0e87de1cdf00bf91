//! A batch through the registry: [`DeliverBatch`] picks (or starts) an
//! isolate of the consumer Worker and runs its `queue` handler there, the
//! way a cron trigger runs its `scheduled` handler (`crate::trigger`): the
//! event has the Worker's CPU and memory limits and the scheduled events'
//! wall-clock limit.

use actix::prelude::*;

use crate::registry::InFlight;
use crate::{Registry, RuntimeError};

use super::outcome::Report;

/// One message of a batch, as the handler gets it.
#[derive(Debug, Clone)]
pub struct BatchMessage {
    /// Its id.
    pub id: String,
    /// When it was sent, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// How its body is read back (`text`, `json`, `bytes`, `v8`).
    pub content_type: String,
    /// The body's bytes.
    pub body: Vec<u8>,
    /// Which delivery of it this is, from 1.
    pub attempts: u32,
}

/// A batch for a Worker's `queue` handler.
#[derive(Debug, Clone)]
pub struct DeliverBatch {
    /// The consumer Worker.
    pub worker: String,
    /// The queue's name (`batch.queue`).
    pub queue: String,
    /// The messages.
    pub messages: Vec<BatchMessage>,
    /// Whether this is the second try, after the isolate first chosen
    /// turned out to be going away.
    pub retried: bool,
}

/// How a batch's event ended, and what its handler said of each message.
#[derive(Debug)]
pub struct Delivered {
    /// `Ok` when the handler returned (or its promise fulfilled).
    pub result: Result<(), RuntimeError>,
    /// The calls to `ack`, `retry`, `ackAll` and `retryAll` it made, when
    /// the isolate reported them (not when it was cut off).
    pub report: Option<Report>,
}

impl Message for DeliverBatch {
    type Result = Delivered;
}

impl Handler<DeliverBatch> for Registry {
    type Result = ResponseFuture<Delivered>;

    fn handle(&mut self, msg: DeliverBatch, ctx: &mut Self::Context) -> Self::Result {
        let instance = self.instance(&msg.worker, &ctx.address(), None);
        let registry = ctx.address();
        Box::pin(async move {
            let crate::registry::Chosen {
                starting,
                in_flight,
                ..
            } = match instance {
                Ok(chosen) => chosen,
                Err(e) => {
                    return Delivered {
                        result: Err(e),
                        report: None,
                    }
                }
            };
            in_flight.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _done = InFlight(in_flight);
            let addr = match starting.await {
                Ok(addr) => addr,
                Err(e) => {
                    return Delivered {
                        result: Err(e),
                        report: None,
                    }
                }
            };
            let event = super::QueueEvent {
                queue: msg.queue.clone(),
                messages: msg.messages.clone(),
            };
            match addr.send(event).await {
                Ok(Delivered {
                    result: Err(RuntimeError::Unavailable(_)),
                    ..
                })
                | Err(_)
                    if !msg.retried =>
                {
                    match registry
                        .send(DeliverBatch {
                            retried: true,
                            ..msg
                        })
                        .await
                    {
                        Ok(delivered) => delivered,
                        Err(_) => Delivered {
                            result: Err(RuntimeError::Startup("the registry stopped".into())),
                            report: None,
                        },
                    }
                }
                Ok(delivered) => delivered,
                Err(_) => Delivered {
                    result: Err(RuntimeError::Lost(msg.worker)),
                    report: None,
                },
            }
        })
    }
}
