//! Where each live Durable Object is: the registry's directory of objects
//! and the isolates that host them (see the module docs of
//! [`crate::durable`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix::prelude::*;
use tokio::sync::oneshot;

use super::ObjectTarget;
use crate::isolate_actor::IsolateActor;
use crate::registry::{retryable, InFlight, Starting};
use crate::rpc::{Answer, Receiver, RpcCall};
use crate::{Dispatch, Fetch, FetchResponse, Registry, RuntimeError};

/// How many times an event follows its object to a new isolate before it
/// fails (each time, the old isolate has gone first).
const MAX_MOVES: u32 = 4;

/// The isolate hosting one object.
#[derive(Clone)]
struct Home {
    starting: Starting,
    in_flight: Arc<AtomicUsize>,
}

impl Home {
    /// Whether events may go there: starting, or started and not stopped.
    fn usable(&self) -> bool {
        match self.starting.peek() {
            None => true,
            Some(Ok(addr)) => addr.connected(),
            Some(Err(_)) => false,
        }
    }
}

/// The registry's objects and their isolates.
#[derive(Default)]
pub(crate) struct Directory {
    homes: HashMap<(String, String), Home>,
    /// The count at the last sweep of homes whose isolate is gone.
    swept_at: usize,
    /// The alarm scheduler.
    pub(crate) alarms: super::alarms::Scheduler,
    /// Where live objects are, published for stubs' direct way
    /// (`direct.rs`).
    pub(crate) direct: super::direct::Homes,
}

impl Directory {
    /// Forgets the homes whose isolate is gone, once the directory has
    /// doubled since the last sweep.
    fn sweep(&mut self) {
        if self.homes.len() >= 2 * self.swept_at.max(64) {
            self.homes.retain(|_, h| h.usable());
            self.swept_at = self.homes.len();
        }
    }
}

/// Resolves once the isolate is gone (stopped): then its objects may be
/// made elsewhere.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct WhenGone;

impl Handler<WhenGone> for IsolateActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: WhenGone, _ctx: &mut Self::Context) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.durable_objects().when_gone(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// The isolate hosting the object `target` (one of the Worker's isolates,
/// chosen now if none hosts it).
fn home(
    registry: &mut Registry,
    target: &ObjectTarget,
    ctx: &mut Context<Registry>,
) -> Result<Home, RuntimeError> {
    let key = target.key();
    let existing = registry
        .objects
        .homes
        .get(&key)
        .filter(|h| h.usable())
        .cloned();
    match existing {
        Some(home) => Ok(home),
        None => registry
            .instance(&target.worker, &ctx.address(), None)
            .map(|chosen| {
                let home = Home {
                    starting: chosen.starting,
                    in_flight: chosen.in_flight,
                };
                registry.objects.sweep();
                registry.objects.homes.insert(key, home.clone());
                home
            }),
    }
}

/// Sends `msg`, an event for the object `target`, to the isolate that
/// hosts the object, choosing one of the Worker's isolates if none does.
pub(crate) fn dispatch(
    registry: &mut Registry,
    target: ObjectTarget,
    msg: Dispatch,
    ctx: &mut Context<Registry>,
) -> ResponseFuture<Result<FetchResponse, RuntimeError>> {
    let address = ctx.address();
    let home = home(registry, &target, ctx);
    let direct = registry.objects.direct.clone();
    Box::pin(async move {
        let home = home?;
        home.in_flight.fetch_add(1, Ordering::Relaxed);
        let done = InFlight(home.in_flight.clone());
        let addr: Addr<IsolateActor> = home.starting.await?;
        direct.publish(&target, &addr, &home.in_flight);
        super::metrics::routed(&target.worker, "directory");
        let (request, head, reclaim) = retryable(msg.request);
        match addr.send(Fetch(request)).await {
            Ok(Err(RuntimeError::Unavailable(_))) | Err(_) if target.attempt < MAX_MOVES => {
                drop(done);
                // The isolate is going away: the object moves once it is
                // gone, never while it may still run there.
                let _ = addr.send(WhenGone).await;
                let Some(body) = reclaim.reclaim() else {
                    return Err(RuntimeError::Lost(target.worker));
                };
                let moved = ObjectTarget {
                    attempt: target.attempt + 1,
                    ..target.clone()
                };
                let Ok(mut request) = head.body(body) else {
                    return Err(RuntimeError::Lost(target.worker));
                };
                request.extensions_mut().insert(moved);
                address
                    .send(Dispatch {
                        worker: msg.worker,
                        request,
                        retried: true,
                    })
                    .await
                    .unwrap_or_else(|_| Err(RuntimeError::Startup("the registry stopped".into())))
            }
            Ok(result) => result,
            Err(_) => Err(RuntimeError::Lost(target.worker)),
        }
    })
}

/// Sends `msg`, an RPC call of the object `target`, to the isolate that
/// hosts the object, as [`dispatch`] sends a fetch: the call is an event
/// of the object, in the same mailbox, and follows the object when its
/// isolate goes away before the call started.
pub(crate) fn call(
    registry: &mut Registry,
    target: ObjectTarget,
    msg: RpcCall,
    ctx: &mut Context<Registry>,
) -> ResponseFuture<Result<Answer, RuntimeError>> {
    let address = ctx.address();
    let home = home(registry, &target, ctx);
    let direct = registry.objects.direct.clone();
    Box::pin(async move {
        let home = home?;
        home.in_flight.fetch_add(1, Ordering::Relaxed);
        let done = InFlight(home.in_flight.clone());
        let addr: Addr<IsolateActor> = home.starting.await?;
        direct.publish(&target, &addr, &home.in_flight);
        super::metrics::routed(&target.worker, "directory");
        match addr.send(msg.event.clone()).await {
            Ok(Err(RuntimeError::Unavailable(_))) | Err(_) if target.attempt < MAX_MOVES => {
                drop(done);
                // As for a fetch: the object moves once its isolate is
                // gone. The call had not started (its streams are still
                // there to take).
                let _ = addr.send(WhenGone).await;
                let mut event = msg.event;
                event.receiver = Receiver::Object(ObjectTarget {
                    attempt: target.attempt + 1,
                    ..target
                });
                address
                    .send(RpcCall {
                        worker: msg.worker,
                        event,
                        retried: true,
                    })
                    .await
                    .unwrap_or_else(|_| Err(RuntimeError::Startup("the registry stopped".into())))
            }
            Ok(result) => result,
            Err(_) => Err(RuntimeError::Lost(target.worker)),
        }
    })
}
