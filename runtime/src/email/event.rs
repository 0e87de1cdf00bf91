//! Email events: [`DeliverEmail`] picks (or starts) an isolate of the
//! Worker through the registry and runs its `email` handler there, the way
//! a queue batch is delivered (`crate::queues`), and answers what the
//! handler did ([`EmailDelivered`]).

use actix::prelude::*;
use motu_engine::HostValue;
use tokio::sync::oneshot;

use super::mime::MessageHeaders;
use crate::isolate_actor::IsolateActor;
use crate::registry::InFlight;
use crate::{Registry, RuntimeError};

/// An incoming message for a Worker's `email` handler.
#[derive(Debug, Clone)]
pub struct DeliverEmail {
    /// The Worker.
    pub worker: String,
    /// The envelope sender (`message.from`).
    pub from: String,
    /// The envelope recipient (`message.to`).
    pub to: String,
    /// The raw RFC 5322 message.
    pub raw: Vec<u8>,
    /// Whether this is the second try, after the isolate first chosen
    /// turned out to be going away.
    pub retried: bool,
}

/// One `forward()` or `reply()` of a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAction {
    /// `forward` or `reply`.
    pub kind: String,
    /// The recipient of a forward, the sender of a reply.
    pub address: String,
    /// The message id the call resolved with.
    pub message_id: String,
    /// The file the message was written to.
    pub file: String,
    /// The headers a forward added.
    pub headers: Vec<(String, String)>,
}

/// What an `email` handler did of its message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailReport {
    /// The reason given to `setReject()`, if it was called.
    pub reject_reason: Option<String>,
    /// Its forwards and replies, in order.
    pub actions: Vec<EmailAction>,
}

impl EmailReport {
    /// The report the prelude's `email_result(id, report)` op carries:
    /// `{ rejectReason, actions: [{ type, address, messageId, file,
    /// headers: [[name, value]…] }…] }`.
    pub fn from_value(value: &HostValue) -> Self {
        let text = |v: &HostValue, k: &str| {
            v.get(k)
                .and_then(HostValue::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let actions = value
            .get("actions")
            .and_then(HostValue::as_list)
            .unwrap_or(&[])
            .iter()
            .map(|a| EmailAction {
                kind: text(a, "type"),
                address: text(a, "address"),
                message_id: text(a, "messageId"),
                file: text(a, "file"),
                headers: a
                    .get("headers")
                    .and_then(HostValue::as_list)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|p| {
                        let p = p.as_list()?;
                        Some((
                            p.first()?.as_str()?.to_owned(),
                            p.get(1)?.as_str()?.to_owned(),
                        ))
                    })
                    .collect(),
            })
            .collect();
        Self {
            reject_reason: value
                .get("rejectReason")
                .and_then(HostValue::as_str)
                .map(str::to_owned),
            actions,
        }
    }
}

/// How an email event ended, and what its handler did.
#[derive(Debug)]
pub struct EmailDelivered {
    /// `Ok` when the handler returned (or its promise fulfilled).
    pub result: Result<(), RuntimeError>,
    /// What it did, when the isolate reported it (not when it was cut
    /// off).
    pub report: Option<EmailReport>,
}

impl EmailDelivered {
    fn failed(error: RuntimeError) -> Self {
        Self {
            result: Err(error),
            report: None,
        }
    }
}

impl Message for DeliverEmail {
    type Result = EmailDelivered;
}

impl Handler<DeliverEmail> for Registry {
    type Result = ResponseFuture<EmailDelivered>;

    fn handle(&mut self, msg: DeliverEmail, ctx: &mut Self::Context) -> Self::Result {
        let instance = self.instance(&msg.worker, &ctx.address(), None);
        let registry = ctx.address();
        Box::pin(async move {
            let chosen = match instance {
                Ok(chosen) => chosen,
                Err(e) => return EmailDelivered::failed(e),
            };
            chosen
                .in_flight
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _done = InFlight(chosen.in_flight);
            let addr = match chosen.starting.await {
                Ok(addr) => addr,
                Err(e) => return EmailDelivered::failed(e),
            };
            let event = EmailEvent {
                from: msg.from.clone(),
                to: msg.to.clone(),
                raw: msg.raw.clone(),
            };
            match addr.send(event).await {
                Ok(EmailDelivered {
                    result: Err(RuntimeError::Unavailable(_)),
                    ..
                })
                | Err(_)
                    if !msg.retried =>
                {
                    let again = DeliverEmail {
                        retried: true,
                        ..msg
                    };
                    registry.send(again).await.unwrap_or_else(|_| {
                        EmailDelivered::failed(RuntimeError::Startup("the registry stopped".into()))
                    })
                }
                Ok(delivered) => delivered,
                Err(_) => EmailDelivered::failed(RuntimeError::Lost(msg.worker)),
            }
        })
    }
}

/// An incoming message for the actor's Worker (sent by [`DeliverEmail`]).
#[derive(Debug, Clone)]
struct EmailEvent {
    from: String,
    to: String,
    raw: Vec<u8>,
}

impl Message for EmailEvent {
    type Result = EmailDelivered;
}

impl EmailEvent {
    /// The event as the prelude's `dispatch` hook gets it: `{ type:
    /// 'email', from, to, raw, headers: [[name, value]…] }`.
    fn into_value(self) -> HostValue {
        let headers = MessageHeaders::parse(&self.raw)
            .0
            .into_iter()
            .map(|(k, v)| HostValue::List(vec![k.into(), v.into()]))
            .collect();
        HostValue::Map(vec![
            ("type".into(), "email".into()),
            ("from".into(), self.from.into()),
            ("to".into(), self.to.into()),
            ("raw".into(), HostValue::Bytes(self.raw)),
            ("headers".into(), HostValue::List(headers)),
        ])
    }
}

impl Handler<EmailEvent> for IsolateActor {
    type Result = ResponseFuture<EmailDelivered>;

    fn handle(&mut self, msg: EmailEvent, ctx: &mut Self::Context) -> Self::Result {
        let (report_tx, mut report_rx) = oneshot::channel::<HostValue>();
        let size = msg.raw.len() * 2 + 256;
        let started = self.start_limited_event(
            |worker| tracing::info_span!("email", worker),
            "an email event",
            |host, id| host.expect_report(id, report_tx),
            msg.into_value(),
            size,
            ctx,
        );
        let (worker, rx) = match started {
            Ok(started) => started,
            Err(worker) => {
                return Box::pin(async move {
                    EmailDelivered::failed(RuntimeError::Unavailable(worker))
                })
            }
        };
        Box::pin(async move {
            let result = rx
                .await
                .unwrap_or(Err(RuntimeError::Lost(worker)))
                .map(drop);
            // Reported in the turn that ended the event, before its outcome.
            let report = report_rx
                .try_recv()
                .ok()
                .map(|v| EmailReport::from_value(&v));
            EmailDelivered { result, report }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_lists_the_rejection_and_the_actions() {
        let value = HostValue::Map(vec![
            ("rejectReason".into(), "spam".into()),
            (
                "actions".into(),
                HostValue::List(vec![HostValue::Map(vec![
                    ("type".into(), "forward".into()),
                    ("address".into(), "a@x.test".into()),
                    ("messageId".into(), "<1@x.test>".into()),
                    ("file".into(), "/tmp/f.eml".into()),
                    (
                        "headers".into(),
                        HostValue::List(vec![HostValue::List(vec!["X-Tag".into(), "1".into()])]),
                    ),
                ])]),
            ),
        ]);
        let r = EmailReport::from_value(&value);
        assert_eq!(r.reject_reason.as_deref(), Some("spam"));
        assert_eq!(r.actions[0].kind, "forward");
        assert_eq!(r.actions[0].headers, vec![("X-Tag".into(), "1".into())]);
        let none = EmailReport::from_value(&HostValue::Map(vec![(
            "rejectReason".into(),
            HostValue::Null,
        )]));
        assert_eq!(none, EmailReport::default());
    }
}
