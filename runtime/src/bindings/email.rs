//! Email bindings (`send_email`) and the outgoing mail of `email`
//! handlers: the host side of `crates/webapi/js/cloudflare/email.js`.
//!
//! A `send_email` binding is a store of kind `email` whose id is its name
//! and restrictions as JSON (two bindings alike share a store). Every
//! Worker also has a hidden one (name and id empty, no restrictions),
//! through which its `email` handler forwards and replies. Methods, as the
//! JavaScript calls them:
//!
//! - `send(from, [recipient…], raw)`: the binding's restrictions are
//!   checked at once (the call throws), then the work checks the message
//!   (`crate::email::checks`) and writes it to the outbox; no recipients
//!   (the object form without `to`) means the binding's
//!   `destination_address`, added as the `To` header;
//! - `forward(rcptTo, [[name, value]…], raw)`: the incoming message with
//!   the added `X-*` headers first;
//! - `reply(incomingFrom, incomingTo, incomingRaw, from, to, raw)`.
//!
//! Each resolves to `{ messageId, file }`. Nothing is sent: see
//! `crate::email::outbox`. The calls are not counted against an
//! operations limit.

use std::sync::Arc;

use motu_engine::{HostValue, JsError};
use motu_storage::{StateFolder, StorageError};
use motu_webapi::Work;

use super::{BindingKind, Call, Kind, StorageBinding, Store, StoreOptions, UNCOUNTED};
use crate::email::checks::{self, Incoming, SendRules};
use crate::email::mime::MessageHeaders;
use crate::email::outbox::{new_message_id, Outbox, Outgoing};

impl BindingKind {
    /// An email binding (`send_email`), or a Worker's hidden one.
    pub const EMAIL: BindingKind = BindingKind("email");
}

impl StorageBinding {
    /// `env.<name>` sends email under `rules`.
    pub fn send_email(name: impl Into<String>, rules: &SendRules) -> Self {
        let name = name.into();
        let id = serde_json::json!({
            "name": name,
            "destination_address": rules.destination_address,
            "allowed_destination_addresses": rules.allowed_destination_addresses,
            "allowed_sender_addresses": rules.allowed_sender_addresses,
        });
        Self {
            binding: name,
            kind: BindingKind::EMAIL,
            id: id.to_string(),
        }
    }

    /// The hidden binding through which a Worker's `email` handler forwards
    /// and replies.
    pub(crate) fn email_event() -> Self {
        Self {
            binding: String::new(),
            kind: BindingKind::EMAIL,
            id: String::new(),
        }
    }
}

pub(super) const KIND: Kind = Kind {
    kind: BindingKind::EMAIL,
    limit: UNCOUNTED,
    open,
};

/// A binding's store: its restrictions and the outbox.
struct Mailer {
    name: String,
    rules: SendRules,
    outbox: Outbox,
}

fn open(state: &StateFolder, id: &str, _: &StoreOptions) -> Result<Arc<dyn Store>, StorageError> {
    let config: serde_json::Value = serde_json::from_str(id).unwrap_or_default();
    let list = |key: &str| {
        config.get(key).and_then(|v| v.as_array()).map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
    };
    let text = |key: &str| config.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Ok(Arc::new(Mailer {
        name: text("name").unwrap_or_default(),
        rules: SendRules {
            destination_address: text("destination_address"),
            allowed_destination_addresses: list("allowed_destination_addresses"),
            allowed_sender_addresses: list("allowed_sender_addresses"),
        },
        outbox: Outbox::in_state_folder(state.path()),
    }))
}

fn error(message: impl Into<String>) -> JsError {
    JsError::new("Error", message)
}

fn string(value: Option<HostValue>, what: &str) -> Result<String, JsError> {
    match value {
        Some(HostValue::String(s)) => Ok(s),
        _ => Err(JsError::type_error(format!(
            "email: {what} must be a string"
        ))),
    }
}

fn bytes(value: Option<HostValue>) -> Result<Vec<u8>, JsError> {
    match value {
        Some(HostValue::Bytes(b)) => Ok(b),
        Some(HostValue::String(s)) => Ok(s.into_bytes()),
        _ => Err(JsError::type_error("email: the message must be bytes")),
    }
}

fn strings(value: Option<HostValue>) -> Vec<String> {
    match value {
        Some(HostValue::List(list)) => list
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Writes `message` for `what` and answers `{ messageId, file }`.
fn deliver(
    outbox: &Outbox,
    what: Outgoing,
    sender: &str,
    message: &[u8],
) -> Result<HostValue, JsError> {
    let path = outbox.write(what, message).map_err(|e| {
        error(format!(
            "the message could not be written to the outbox: {e}"
        ))
    })?;
    Ok(HostValue::Map(vec![
        ("messageId".into(), new_message_id(sender).into()),
        ("file".into(), path.display().to_string().into()),
    ]))
}

impl Mailer {
    fn send(&self, mut args: std::vec::IntoIter<HostValue>) -> Result<Work, JsError> {
        let from = string(args.next(), "from")?;
        let mut recipients = strings(args.next());
        let mut raw = bytes(args.next())?;
        if recipients.is_empty() {
            // The object form without `to`: the binding's one recipient.
            let Some(to) = &self.rules.destination_address else {
                return Err(error("the email has no recipient: give `to`"));
            };
            let mut with_to = format!("To: {to}\r\n").into_bytes();
            with_to.append(&mut raw);
            raw = with_to;
            recipients.push(to.clone());
        }
        self.rules.check_sender(&from).map_err(error)?;
        for to in &recipients {
            self.rules.check_recipient(to).map_err(error)?;
        }
        let (outbox, name) = (self.outbox.clone(), self.name.clone());
        Ok(Work::from_fn(raw.len(), false, move |_| {
            checks::check_message(&from, &raw).map_err(error)?;
            let sent = deliver(&outbox, Outgoing::Sent, &from, &raw)?;
            if let Some(file) = sent.get("file").and_then(HostValue::as_str) {
                tracing::info!(
                    binding = name.as_str(),
                    "send_email: a message from {from} to {} was not sent; it is in {file}",
                    recipients.join(", ")
                );
            }
            Ok(sent)
        }))
    }

    fn forward(&self, mut args: std::vec::IntoIter<HostValue>) -> Result<Work, JsError> {
        let to = string(args.next(), "rcptTo")?;
        let headers = match args.next() {
            Some(HostValue::List(list)) => list,
            _ => Vec::new(),
        };
        let raw = bytes(args.next())?;
        let mut added = Vec::new();
        for pair in headers {
            let pair = strings(Some(pair));
            let (Some(name), Some(value)) = (pair.first(), pair.get(1)) else {
                continue;
            };
            checks::check_forward_header(name).map_err(error)?;
            added.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        let outbox = self.outbox.clone();
        Ok(Work::from_fn(raw.len(), false, move |_| {
            checks::check_size(&raw).map_err(error)?;
            added.extend_from_slice(&raw);
            let forwarded = deliver(&outbox, Outgoing::Forwarded, &to, &added)?;
            if let Some(file) = forwarded.get("file").and_then(HostValue::as_str) {
                tracing::info!("email handler forwarded the message to {to}; it is in {file}");
            }
            Ok(forwarded)
        }))
    }

    fn reply(&self, mut args: std::vec::IntoIter<HostValue>) -> Result<Work, JsError> {
        let incoming_from = string(args.next(), "the incoming sender")?;
        let incoming_to = string(args.next(), "the incoming recipient")?;
        let incoming_raw = bytes(args.next())?;
        let from = string(args.next(), "from")?;
        let to = string(args.next(), "to")?;
        let raw = bytes(args.next())?;
        let outbox = self.outbox.clone();
        Ok(Work::from_fn(raw.len(), false, move |_| {
            let headers = MessageHeaders::parse(&incoming_raw);
            let incoming = Incoming {
                from: &incoming_from,
                to: &incoming_to,
                headers: &headers,
            };
            let reply = checks::check_reply(incoming, &from, &to, &raw).map_err(error)?;
            let replied = deliver(&outbox, Outgoing::Replied, &from, &reply)?;
            if let Some(file) = replied.get("file").and_then(HostValue::as_str) {
                tracing::info!("email handler replied to {to}; the reply is in {file}");
            }
            Ok(replied)
        }))
    }
}

impl Store for Mailer {
    fn call(&self, method: &str, args: Vec<HostValue>, _: &Call<'_>) -> Result<Work, JsError> {
        let args = args.into_iter();
        match method {
            "send" => self.send(args),
            "forward" => self.forward(args),
            "reply" => self.reply(args),
            _ => Err(JsError::type_error(format!("email: no method '{method}'"))),
        }
    }
}
