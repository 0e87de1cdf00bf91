//! Hibernatable WebSockets: the sockets a Durable Object accepted with
//! `ctx.acceptWebSocket(ws, tags)`, held outside the object so that it may
//! leave memory while they stay open.
//!
//! # Concepts
//!
//! - **A room per object** ([`Room`]), in the runtime's [`Hibernation`]
//!   table (shared by every isolate, keyed by namespace and id): the
//!   object's open hibernatable sockets, each with its tags, its
//!   attachment (`ws.serializeAttachment`, at most
//!   [`MAX_ATTACHMENT_BYTES`]), its queue toward the peer and the time of
//!   its last auto-response; and the object's auto-response pair. None of
//!   it is in an isolate: the object can be evicted (idle, or with its
//!   isolate) and made again with all of it intact. A room goes when it
//!   holds neither a socket nor an auto-response.
//! - **The room owns the sockets' pumps' deliveries** (it is their
//!   [`SocketOwner`]): a message that equals the auto-response request is
//!   answered from the room, without waking the object; anything else is
//!   an event for the object ([`SocketWake`], a request extension like the
//!   alarm's), sent through the registry's directory as a stub's fetch is,
//!   so the object is made again if it left memory, and events stay one at
//!   a time. The prelude calls `webSocketMessage(ws, message)`,
//!   `webSocketClose(ws, code, reason, wasClean)` or, for a socket that
//!   closed on an error, `webSocketError(ws, error)` first.
//! - **Hibernated sockets do not keep their object** in memory (the
//!   object's idle timeout runs while they are open), nor do they go when
//!   the object's isolate is evicted: only the object's own `close`, the
//!   peer, or the server's shutdown (1001, from the gateway) closes them.
//! - **In the isolate** ([`Local`]): a socket accepted in an event waits,
//!   with its pump, until the event's 101 response takes the pump to the
//!   gateway; one whose response never came is forgotten with its event.
//!
//! # Ops
//!
//! `durable_ws(method, slot, …)` for the object in `slot`: `accept(tags)`
//! → socket id; `send(id, data)` → `true` or why the socket was closed;
//! `close(id, code, reason)`; `list(tag | null)` → ids; `tags(id)`;
//! `attach(id, bytes | null)`; `attachment(id)` → bytes or null;
//! `setAuto(request | null, response)`; `getAuto()` → `[request,
//! response]` or null; `autoTime(id)` → ms since the epoch or null.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use actix::Recipient;
use motu_engine::{HostValue, JsError};
use parking_lot::Mutex;

use super::ObjectTarget;
use crate::websocket::outbox::Outbox;
use crate::websocket::pump::{channel, reserve, Outgoing, Pump};
use crate::websocket::{Incoming, SocketOwner, OUTGOING_QUEUE_BYTES};
use crate::{Body, Dispatch};

/// The largest attachment a socket keeps: 2,048 bytes serialised, as on
/// Cloudflare.
pub const MAX_ATTACHMENT_BYTES: usize = 2048;

/// The most tags a socket may have (Cloudflare's 10).
pub const MAX_TAGS: usize = 10;

/// The longest tag, in characters (Cloudflare's 256).
pub const MAX_TAG_CHARS: usize = 256;

/// The most hibernatable sockets one object holds (Cloudflare's 32,768).
pub const MAX_SOCKETS: usize = 32_768;

/// What tells an isolate that an object's event is something arriving on
/// one of its hibernatable sockets (a request extension).
#[derive(Debug, Clone)]
pub(crate) struct SocketWake {
    /// The socket's id in its room.
    pub(crate) socket: u32,
    /// What arrived.
    pub(crate) event: Incoming,
}

impl SocketWake {
    /// The event's payload for the prelude: `{ socket, kind, data, code,
    /// reason, wasClean }`.
    pub(crate) fn payload(&self) -> HostValue {
        let mut fields = vec![("socket".into(), HostValue::Number(self.socket.into()))];
        match &self.event {
            Incoming::Text(text) => {
                fields.push(("kind".into(), "message".into()));
                fields.push(("data".into(), HostValue::String(text.clone())));
            }
            Incoming::Binary(bytes) => {
                fields.push(("kind".into(), "message".into()));
                fields.push(("data".into(), HostValue::Bytes(bytes.clone())));
            }
            Incoming::Close {
                code,
                reason,
                clean,
            } => {
                fields.push(("kind".into(), "close".into()));
                fields.push(("code".into(), HostValue::Number((*code).into())));
                fields.push(("reason".into(), HostValue::String(reason.clone())));
                fields.push(("wasClean".into(), HostValue::Bool(*clean)));
            }
        }
        HostValue::Map(fields)
    }
}

/// Every object's room (see the module docs), shared by the runtime's
/// isolates.
#[derive(Default)]
pub(crate) struct Hibernation {
    rooms: Mutex<HashMap<(String, String), Arc<Room>>>,
    next: AtomicU32,
}

impl Hibernation {
    /// The room of `target`, made (waking through `wake`) if need be.
    fn room(&self, target: &ObjectTarget, wake: Option<Recipient<Dispatch>>) -> Option<Arc<Room>> {
        let mut rooms = self.rooms.lock();
        if let Some(room) = rooms.get(&target.key()) {
            return Some(room.clone());
        }
        let room = Arc::new(Room {
            target: target.clone(),
            wake: wake?,
            state: Mutex::default(),
        });
        rooms.insert(target.key(), room.clone());
        Some(room)
    }

    /// The room of `target`, if it has one.
    fn existing(&self, target: &ObjectTarget) -> Option<Arc<Room>> {
        self.rooms.lock().get(&target.key()).cloned()
    }

    /// Drops `room` from the table once it holds nothing: no socket, no
    /// auto-response.
    fn vacate(&self, room: &Arc<Room>) {
        let mut rooms = self.rooms.lock();
        let empty = {
            let state = room.state.lock();
            state.sockets.is_empty() && state.auto.is_none()
        };
        if empty {
            if let Some(held) = rooms.get(&room.target.key()) {
                if Arc::ptr_eq(held, room) {
                    rooms.remove(&room.target.key());
                }
            }
        }
    }
}

/// One hibernatable socket, as its room holds it.
struct Held {
    tags: Vec<String>,
    attachment: Option<Vec<u8>>,
    /// When it last got the auto-response (ms since the epoch).
    auto_at: Option<f64>,
    tx: Outbox,
    /// The object closed it: its close is not an event for the object.
    closing: bool,
    /// Its close is being delivered: no longer listed.
    closed: bool,
}

#[derive(Default)]
struct RoomState {
    sockets: BTreeMap<u32, Held>,
    /// `setWebSocketAutoResponse`'s pair.
    auto: Option<(String, String)>,
}

/// One object's hibernatable sockets (see the module docs).
pub(crate) struct Room {
    target: ObjectTarget,
    /// Where its events go: the registry.
    wake: Recipient<Dispatch>,
    state: Mutex<RoomState>,
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

impl Room {
    /// Answers `text` on `socket` if it is the auto-response's request.
    fn auto_respond(&self, socket: u32, text: &str) -> bool {
        let mut state = self.state.lock();
        let RoomState { sockets, auto } = &mut *state;
        let Some((request, response)) = auto else {
            return false;
        };
        if request != text {
            return false;
        }
        let Some(held) = sockets.get_mut(&socket) else {
            return false;
        };
        held.auto_at = Some(now_ms());
        let control = held.tx.control();
        if reserve(&control.queued, response.len(), OUTGOING_QUEUE_BYTES) {
            held.tx.send(Outgoing::Text(response.clone()));
        } else {
            control.abort.notify_one();
        }
        true
    }

    /// Delivers `event` of `socket` (see the module docs).
    async fn deliver(self: Arc<Self>, hibernation: Arc<Hibernation>, socket: u32, event: Incoming) {
        match &event {
            Incoming::Text(text) if self.auto_respond(socket, text) => return,
            Incoming::Close { .. } => {
                let mut state = self.state.lock();
                let Some(held) = state.sockets.get_mut(&socket) else {
                    return;
                };
                held.closed = true;
                if held.closing {
                    // The object closed it: nothing to tell it.
                    state.sockets.remove(&socket);
                    drop(state);
                    super::metrics::websocket_closed(&self.target.worker);
                    hibernation.vacate(&self);
                    return;
                }
            }
            _ => {}
        }
        let is_close = matches!(event, Incoming::Close { .. });
        let request = http::Request::builder()
            .method("POST")
            .uri("https://websocket.internal/")
            .extension(self.target.clone())
            .extension(SocketWake { socket, event })
            .body(Body::empty());
        if let Ok(request) = request {
            let worker = self.target.worker.clone();
            match self.wake.send(Dispatch::new(worker, request)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(
                    worker = self.target.worker.as_str(),
                    class = self.target.class.as_str(),
                    "a Durable Object's WebSocket handler failed: {e}"
                ),
                Err(_) => {}
            }
        }
        if is_close && self.state.lock().sockets.remove(&socket).is_some() {
            super::metrics::websocket_closed(&self.target.worker);
            hibernation.vacate(&self);
        }
    }
}

/// A room as the owner of one socket's pump.
struct RoomOwner {
    room: Arc<Room>,
    hibernation: Arc<Hibernation>,
}

impl SocketOwner for RoomOwner {
    fn deliver(&self, socket: u32, event: Incoming) -> Pin<Box<dyn Future<Output = bool> + Send>> {
        let room = self.room.clone();
        let hibernation = self.hibernation.clone();
        Box::pin(async move {
            room.deliver(hibernation, socket, event).await;
            true
        })
    }
}

/// An isolate's part (see the module docs): the pumps of sockets accepted
/// in events whose response has not taken them yet.
pub(crate) struct Local {
    hibernation: Arc<Hibernation>,
    pumps: RefCell<HashMap<u32, (Option<u64>, Pump)>>,
}

fn number(value: Option<HostValue>) -> Option<f64> {
    value.and_then(|v| v.as_f64())
}

fn closed_reason() -> String {
    "The WebSocket is closed".to_owned()
}

impl Local {
    /// The isolate's part of `hibernation`.
    pub(crate) fn new(hibernation: Arc<Hibernation>) -> Self {
        Self {
            hibernation,
            pumps: RefCell::default(),
        }
    }

    /// The pump of socket `id`, for the 101 response that hands it over.
    pub(crate) fn take_pump(&self, id: u32) -> Option<Pump> {
        self.pumps.borrow_mut().remove(&id).map(|(_, pump)| pump)
    }

    /// Forgets the pumps of events that are over (`live` tells): their
    /// sockets never connected, and leave their rooms.
    pub(crate) fn forget(&self, live: impl Fn(u64) -> bool) {
        self.pumps
            .borrow_mut()
            .retain(|_, (event, _)| event.is_some_and(&live));
    }

    /// The `durable_ws` op for the object `target` (see the module docs),
    /// in event `event`, its wake-ups going to `wake`.
    pub(crate) fn call(
        &self,
        target: &ObjectTarget,
        event: Option<u64>,
        wake: Option<Recipient<Dispatch>>,
        method: &str,
        args: impl Iterator<Item = HostValue>,
    ) -> Result<HostValue, JsError> {
        let mut args = args;
        if method == "accept" {
            return self.accept(target, event, wake, args.next());
        }
        if method == "setAuto" {
            // The pair outlives the object's time in memory: kept in its
            // room, made now if need be.
            let pair = match (args.next(), args.next()) {
                (Some(HostValue::String(q)), Some(HostValue::String(a))) => Some((q, a)),
                _ => None,
            };
            if let Some(room) = match pair {
                Some(_) => self.hibernation.room(target, wake),
                None => self.hibernation.existing(target),
            } {
                room.state.lock().auto = pair;
                self.hibernation.vacate(&room);
            }
            return Ok(HostValue::Undefined);
        }
        let Some(room) = self.hibernation.existing(target) else {
            return Ok(match method {
                "list" => HostValue::List(Vec::new()),
                "send" => closed_reason().into(),
                _ => HostValue::Null,
            });
        };
        if method == "getAuto" {
            let state = room.state.lock();
            return Ok(state.auto.as_ref().map_or(HostValue::Null, |(q, a)| {
                HostValue::List(vec![q.as_str().into(), a.as_str().into()])
            }));
        }
        if method == "list" {
            let tag = match args.next() {
                Some(HostValue::String(tag)) => Some(tag),
                _ => None,
            };
            let mut state = room.state.lock();
            // Sockets whose response never took them are gone.
            let before = state.sockets.len();
            state.sockets.retain(|_, h| !h.tx.is_closed());
            for _ in state.sockets.len()..before {
                super::metrics::websocket_closed(&target.worker);
            }
            let ids = state
                .sockets
                .iter()
                .filter(|(_, h)| !h.closed && tag.as_ref().is_none_or(|t| h.tags.contains(t)))
                .map(|(id, _)| HostValue::Number((*id).into()))
                .collect();
            return Ok(HostValue::List(ids));
        }
        let id = number(args.next()).unwrap_or(-1.0) as u32;
        let mut state = room.state.lock();
        let Some(held) = state.sockets.get_mut(&id) else {
            return Ok(match method {
                "send" => closed_reason().into(),
                "tags" => HostValue::List(Vec::new()),
                _ => HostValue::Null,
            });
        };
        Ok(match method {
            "send" => {
                let message = match args.next() {
                    Some(HostValue::String(text)) => Outgoing::Text(text),
                    Some(HostValue::Bytes(bytes)) => Outgoing::Binary(bytes),
                    _ => return Err(JsError::type_error("send: a string or bytes")),
                };
                if held.closing {
                    return Ok(closed_reason().into());
                }
                let size = message.size();
                let control = held.tx.control();
                if !reserve(&control.queued, size, OUTGOING_QUEUE_BYTES) {
                    let waiting = control.queued.load(Ordering::Acquire);
                    control.abort.notify_one();
                    return Ok(format!(
                        "The WebSocket was closed: its peer is not reading ({} bytes were waiting to be sent, the limit is {OUTGOING_QUEUE_BYTES})",
                        waiting + size
                    )
                    .into());
                }
                held.tx.send(message);
                HostValue::Bool(true)
            }
            "close" => {
                let code = number(args.next()).unwrap_or(1000.0) as u16;
                let reason = match args.next() {
                    Some(HostValue::String(r)) => r,
                    _ => String::new(),
                };
                if !held.closing {
                    held.closing = true;
                    held.tx.send(Outgoing::Close(code, reason));
                    held.tx.control().closing.notify_one();
                }
                HostValue::Undefined
            }
            "tags" => HostValue::List(held.tags.iter().map(|t| t.as_str().into()).collect()),
            "attach" => {
                held.attachment = match args.next() {
                    Some(HostValue::Bytes(bytes)) => {
                        if bytes.len() > MAX_ATTACHMENT_BYTES {
                            return Err(JsError::new(
                                "Error",
                                format!(
                                    "A WebSocket 'attachment' cannot be larger than {MAX_ATTACHMENT_BYTES} bytes. The attachment's serialized size is {} bytes.",
                                    bytes.len()
                                ),
                            ));
                        }
                        Some(bytes)
                    }
                    _ => None,
                };
                HostValue::Undefined
            }
            "attachment" => held
                .attachment
                .clone()
                .map_or(HostValue::Null, HostValue::Bytes),
            "autoTime" => held.auto_at.map_or(HostValue::Null, HostValue::Number),
            other => {
                return Err(JsError::type_error(format!(
                    "durable_ws: unknown method '{other}'"
                )))
            }
        })
    }

    /// `accept(tags)`: a new socket in the object's room, its pump kept
    /// for the event's response.
    fn accept(
        &self,
        target: &ObjectTarget,
        event: Option<u64>,
        wake: Option<Recipient<Dispatch>>,
        tags: Option<HostValue>,
    ) -> Result<HostValue, JsError> {
        let tags = match tags {
            Some(HostValue::List(tags)) => tags
                .into_iter()
                .map(|t| match t {
                    HostValue::String(t) => Ok(t),
                    _ => Err(JsError::type_error("acceptWebSocket: tags must be strings")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        if tags.len() > MAX_TAGS {
            return Err(JsError::new(
                "Error",
                format!(
                    "A WebSocket can have at most {MAX_TAGS} tags, got {}.",
                    tags.len()
                ),
            ));
        }
        if let Some(long) = tags.iter().find(|t| t.chars().count() > MAX_TAG_CHARS) {
            return Err(JsError::new(
                "Error",
                format!(
                    "A WebSocket tag can be at most {MAX_TAG_CHARS} characters long, got {}.",
                    long.chars().count()
                ),
            ));
        }
        let room = self.hibernation.room(target, wake).ok_or_else(|| {
            JsError::new("Error", "Hibernatable WebSockets are not available here")
        })?;
        let id = self.hibernation.next.fetch_add(1, Ordering::Relaxed) + 1;
        let owner = Arc::new(RoomOwner {
            room: room.clone(),
            hibernation: self.hibernation.clone(),
        });
        let (tx, pump) = channel(id, owner);
        {
            let mut state = room.state.lock();
            if state.sockets.len() >= MAX_SOCKETS {
                return Err(JsError::new(
                    "Error",
                    format!("A Durable Object can hold at most {MAX_SOCKETS} WebSockets."),
                ));
            }
            state.sockets.insert(
                id,
                Held {
                    tags,
                    attachment: None,
                    auto_at: None,
                    tx,
                    closing: false,
                    closed: false,
                },
            );
        }
        super::metrics::websocket_opened(&target.worker);
        self.pumps.borrow_mut().insert(id, (event, pump));
        Ok(HostValue::Number(id.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_payload_carries_the_message_or_the_close() {
        let wake = SocketWake {
            socket: 7,
            event: Incoming::Close {
                code: 1000,
                reason: "bye".into(),
                clean: true,
            },
        };
        let HostValue::Map(fields) = wake.payload() else {
            panic!("a map");
        };
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("socket"), Some(HostValue::Number(7.0)));
        assert_eq!(get("kind"), Some("close".into()));
        assert_eq!(get("reason"), Some("bye".into()));
        assert_eq!(get("wasClean"), Some(HostValue::Bool(true)));
    }
}
