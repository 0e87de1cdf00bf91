//! A call to a Worker's entrypoint through the registry: [`RpcCall`] picks
//! (or starts) an isolate of the Worker, as a service binding's fetch does,
//! and delivers the [`CallEvent`] there. A call to a Durable Object goes
//! to the isolate hosting the object, through the registry's directory
//! (`crate::durable::directory`).

use std::sync::atomic::Ordering;

use actix::prelude::*;

use super::{Answer, CallEvent};
use crate::registry::{Chosen, InFlight};
use crate::{Registry, RuntimeError};

/// A call of a method of a Worker's entrypoint.
#[derive(Debug)]
pub struct RpcCall {
    /// The Worker.
    pub worker: String,
    /// The call.
    pub event: CallEvent,
    /// Whether this is the second try, after the isolate first chosen
    /// turned out to be going away.
    pub retried: bool,
}

impl Message for RpcCall {
    type Result = Result<Answer, RuntimeError>;
}

impl Handler<RpcCall> for Registry {
    type Result = ResponseFuture<Result<Answer, RuntimeError>>;

    fn handle(&mut self, msg: RpcCall, ctx: &mut Self::Context) -> Self::Result {
        if let super::Receiver::Object(target) = &msg.event.receiver {
            let target = target.clone();
            return crate::durable::directory::call(self, target, msg, ctx);
        }
        let registry = ctx.address();
        let instance = self.instance(&msg.worker, &registry, None);
        Box::pin(async move {
            let Chosen {
                starting,
                in_flight,
                ..
            } = instance?;
            in_flight.fetch_add(1, Ordering::Relaxed);
            let _done = InFlight(in_flight);
            let addr = starting.await?;
            match addr.send(msg.event.clone()).await {
                Ok(Err(RuntimeError::Unavailable(_))) | Err(_) if !msg.retried => registry
                    .send(RpcCall {
                        retried: true,
                        ..msg
                    })
                    .await
                    .unwrap_or_else(|_| Err(RuntimeError::Startup("the registry stopped".into()))),
                Ok(result) => result,
                Err(_) => Err(RuntimeError::Lost(msg.worker)),
            }
        })
    }
}
