//! A call as an event of the isolate actor that holds its receiver.

use actix::prelude::*;
use motu_engine::HostValue;
use tokio::sync::oneshot;

use super::{Answer, CallEvent, Hold, Receiver, Release, Retain};
use crate::isolate_actor::IsolateActor;
use crate::RuntimeError;

impl Handler<CallEvent> for IsolateActor {
    type Result = ResponseFuture<Result<Answer, RuntimeError>>;

    fn handle(&mut self, msg: CallEvent, ctx: &mut Self::Context) -> Self::Result {
        let (answer_tx, answer_rx) = oneshot::channel();
        let size = msg.size();
        let nested = matches!(msg.receiver, Receiver::Object(_))
            && msg.from_draining.as_ref().is_some_and(|d| d.now());
        let span = |worker: &str| {
            tracing::info_span!(
                "rpc",
                worker,
                method = msg.path.join(".").as_str(),
                request_id = msg.request_id.as_ref().map(|r| r.as_str())
            )
        };
        let started = self.start_event(
            span,
            |host, id| {
                host.set_depth(id, msg.depth);
                host.set_request_id(id, msg.request_id.clone());
                if !matches!(msg.receiver, Receiver::Object(_)) {
                    let method = msg.path.join(".");
                    host.trace_begin(id, crate::dynamic::tails::TracedEvent::Rpc { method });
                }
                let peers = host.rpc_peers();
                peers.expect_answer(id, answer_tx);
                let peer = msg.origin.clone().map_or(HostValue::Null, |origin| {
                    HostValue::Number(peers.register(origin, id).into())
                });
                let (bodies, writers) = msg.streams.take();
                let streams = bodies
                    .into_iter()
                    .map(|body| HostValue::Number(host.open_readable_for(body, id).into()))
                    .collect();
                let writers = writers
                    .into_iter()
                    .map(|w| HostValue::Number(host.adopt_sink_for(w, id).into()))
                    .collect();
                let path = HostValue::List(msg.path.iter().map(|p| p.as_str().into()).collect());
                let call = |mut head: Vec<(String, HostValue)>| {
                    head.extend([
                        ("path".into(), path),
                        ("call".into(), HostValue::Bool(msg.call)),
                        ("args".into(), msg.args),
                        ("peer".into(), peer),
                        ("streams".into(), HostValue::List(streams)),
                        ("writers".into(), HostValue::List(writers)),
                    ]);
                    HostValue::Map(head)
                };
                match &msg.receiver {
                    // An event of the object (made now if need be), whose
                    // payload names no receiver: the object is it.
                    Receiver::Object(target) => {
                        host.durable_objects()
                            .event(target, id, "rpc", call(Vec::with_capacity(6)))
                    }
                    receiver => call(vec![
                        ("type".into(), "rpc".into()),
                        ("receiver".into(), receiver.to_value()),
                    ]),
                }
            },
            size,
            nested,
            ctx,
        );
        let (worker, outcome) = match started {
            Ok(started) => started,
            Err(worker) => return Box::pin(async move { Err(RuntimeError::Unavailable(worker)) }),
        };
        Box::pin(async move {
            // The event ends when its answer is given (or it is cut off).
            outcome
                .await
                .unwrap_or(Err(RuntimeError::Lost(worker.clone())))?;
            answer_rx.await.map_err(|_| RuntimeError::Lost(worker))
        })
    }
}

impl Handler<Release> for IsolateActor {
    type Result = ();

    fn handle(&mut self, msg: Release, ctx: &mut Self::Context) {
        let (key, n) = match msg.hold {
            Hold::Grant(grant) => ("grant", grant),
            Hold::Export(export) => ("export", export),
        };
        let event = HostValue::Map(vec![
            ("type".into(), "rpc_release".into()),
            (key.into(), HostValue::Number(n as f64)),
        ]);
        self.turn_without_event(event, ctx);
    }
}

impl Handler<Retain> for IsolateActor {
    type Result = ();

    fn handle(&mut self, msg: Retain, ctx: &mut Self::Context) {
        let event = HostValue::Map(vec![
            ("type".into(), "rpc_retain".into()),
            ("export".into(), HostValue::Number(msg.export as f64)),
        ]);
        self.turn_without_event(event, ctx);
    }
}

/// An RPC call this isolate made was answered (or failed): its op settles
/// once the answer's stubs have a peer handle here.
pub(crate) struct Answered {
    pub(crate) id: motu_engine::OpId,
    /// The answer and the event that made the call.
    pub(crate) result: Result<(Answer, u64), motu_engine::JsError>,
}

impl Message for Answered {
    type Result = ();
}

impl Handler<Answered> for IsolateActor {
    type Result = ();

    fn handle(&mut self, msg: Answered, ctx: &mut Self::Context) {
        let result = msg
            .result
            .map(|(answer, event)| self.host().rpc_answered(answer, event));
        <Self as Handler<crate::isolate_actor::OpDone>>::handle(
            self,
            crate::isolate_actor::OpDone { id: msg.id, result },
            ctx,
        );
    }
}
