//! Body streams between an isolate and the host, by numeric handle.
//!
//! - A **readable** is a [`Body`] JavaScript reads chunk by chunk (a request
//!   body from the client, a subrequest's response body): the async op
//!   `body_read(handle)` settles with a `Uint8Array`, or `null` at the end;
//!   `body_cancel(handle)` drops it. From its first read on, a readable
//!   reads ahead of JavaScript, up to [`READ_AHEAD`] bytes, and each read
//!   hands over all that arrived meanwhile in one `Uint8Array` (up to
//!   [`READ_AHEAD`]): a large body reaches the Worker in far fewer turns
//!   than the pieces the socket gives (64 KiB or less), and the Worker is
//!   not charged a turn's fixed cost for each.
//! - A **sink** is a [`Body::channel`] JavaScript writes into (a response
//!   body leaving the Worker, later a subrequest's request body):
//!   `body_sink_open()` returns its handle, the async op
//!   `body_sink_write(handle, bytes)` settles once the chunk is accepted (so a
//!   slow consumer slows the producer), `body_sink_close(handle)` ends it and
//!   `body_sink_abort(handle, message)` ends it with an error. The host takes
//!   the consuming [`Body`] with [`BodyStreams::take_sink_body`].
//!
//! - A **pipe** carries bytes from another isolate into this one (a
//!   `WritableStream` this isolate sends over RPC): `rpc_pipe()` opens a
//!   readable fed by a channel whose producing end waits under a handle
//!   until an RPC value takes it ([`BodyStreams::take_pipe_writer`]) to the
//!   isolate that writes; there it becomes a sink of that isolate's event
//!   ([`BodyStreams::adopt_sink`]). The readable belongs to no event: it
//!   lasts until the writer ends it (or goes away, which ends it with an
//!   error).
//!
//! Every stream belongs to the event whose turn opened it. Streams of an
//! event that has ended are released; releasing a sink ends its body with an
//! error, so a consumer never waits for a producer that is gone.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::{Rc, Weak};

use bytes::Bytes;
use futures::future::{AbortHandle, AbortRegistration, Abortable};
use futures::StreamExt;
use motu_engine::{HostValue, JsError, OpId};
use tokio::sync::Notify;

use crate::body::{Body, BodyError, BodySender, BodyStream};

/// Chunks a sink holds before a write waits for its consumer.
const SINK_CAPACITY: usize = 8;

/// How many bytes a readable reads ahead of JavaScript, and the most one
/// `body_read` hands over.
pub(crate) const READ_AHEAD: usize = 1 << 20;

/// Settles an async op (the actor's `OpDone`).
pub(crate) type Settle = Rc<dyn Fn(OpId, Result<HostValue, JsError>)>;

/// An async op in flight on a stream: released streams settle it with an
/// error, so no promise waits forever.
struct Pending {
    abort: AbortHandle,
    id: OpId,
    settle: Settle,
}

impl Pending {
    fn release(self, message: &str) {
        self.abort.abort();
        (self.settle)(self.id, Err(JsError::type_error(message.to_owned())));
    }
}

struct Readable {
    /// The body until its first read starts reading ahead.
    stream: Option<BodyStream>,
    /// What was read ahead, once reading started.
    ahead: Option<Rc<Ahead>>,
    /// Stops the task that reads ahead.
    pump: Option<AbortHandle>,
    event: Option<u64>,
    reading: Option<Pending>,
}

/// What a readable's body gave ahead of JavaScript's reads.
#[derive(Default)]
struct Ahead {
    chunks: RefCell<VecDeque<Bytes>>,
    buffered: Cell<usize>,
    /// How the body ended, once it did (after the chunks before it).
    end: RefCell<Option<Result<(), BodyError>>>,
    /// Tells a waiting read that a chunk or the end arrived.
    arrived: Notify,
    /// Tells the reading-ahead task that there is room again.
    room: Notify,
}

impl Ahead {
    /// Takes up to [`READ_AHEAD`] bytes of what arrived: `None` when
    /// nothing did.
    fn take(&self) -> Option<HostValue> {
        let mut chunks = self.chunks.borrow_mut();
        let mut taken = Vec::new();
        let mut size = 0;
        while let Some(next) = chunks.front() {
            if !taken.is_empty() && size + next.len() > READ_AHEAD {
                break;
            }
            size += next.len();
            taken.extend(chunks.pop_front());
        }
        drop(chunks);
        if taken.is_empty() {
            return None;
        }
        self.buffered.set(self.buffered.get() - size);
        self.room.notify_one();
        // Joined by `joined` for a read, or by `read_all`.
        Some(HostValue::Chunks(taken))
    }
}

/// Pieces of at least this many bytes in all are joined into one vector
/// here, outside the isolate's turns, which the engine then adopts as the
/// `Uint8Array`'s memory (the engines adopt byte strings from 64 KiB on);
/// fewer are left for the engine to copy straight into its buffer.
const JOIN_MIN: usize = 64 << 10;

/// What [`Ahead::take`] gave, its pieces joined into one vector when they
/// are [`JOIN_MIN`] or more, so that the Worker's turn does not copy them.
fn joined(value: HostValue) -> HostValue {
    match value {
        HostValue::Chunks(mut pieces)
            if pieces.iter().map(Bytes::len).sum::<usize>() >= JOIN_MIN =>
        {
            if pieces.len() == 1 {
                // Without a copy when this is the only reference.
                return HostValue::Bytes(Vec::from(pieces.remove(0)));
            }
            let mut whole = Vec::with_capacity(pieces.iter().map(Bytes::len).sum());
            for piece in &pieces {
                whole.extend_from_slice(piece);
            }
            HostValue::Bytes(whole)
        }
        other => other,
    }
}

/// Once something arrived for a read, lets what is already on its way
/// arrive too before the read settles: the task reading the socket and the
/// one reading ahead run between yields to the executor, and a read that
/// settles with one piece each time would cost the Worker a turn per piece.
/// Stops at [`READ_AHEAD`], at the body's end, or when two yields in a row
/// brought nothing (the rest is not here yet).
async fn gather(ahead: &Ahead) {
    if ahead.buffered.get() == 0 {
        return;
    }
    let mut idle = 0;
    while idle < 2 && ahead.buffered.get() < READ_AHEAD && ahead.end.borrow().is_none() {
        let before = ahead.buffered.get();
        tokio::task::yield_now().await;
        idle = if ahead.buffered.get() == before {
            idle + 1
        } else {
            0
        };
    }
}

/// Reads `stream` into `ahead`, staying at most [`READ_AHEAD`] bytes ahead.
async fn read_ahead(mut stream: BodyStream, ahead: Rc<Ahead>) {
    loop {
        while ahead.buffered.get() >= READ_AHEAD {
            ahead.room.notified().await;
        }
        let end = match stream.next().await {
            Some(Ok(chunk)) if chunk.is_empty() => continue,
            Some(Ok(chunk)) => {
                ahead.buffered.set(ahead.buffered.get() + chunk.len());
                ahead.chunks.borrow_mut().push_back(chunk);
                ahead.arrived.notify_one();
                continue;
            }
            Some(Err(e)) => Err(e),
            None => Ok(()),
        };
        *ahead.end.borrow_mut() = Some(end);
        ahead.arrived.notify_one();
        return;
    }
}

struct Sink {
    sender: Option<BodySender>,
    /// The consuming end, until the host takes it.
    body: Option<Body>,
    event: Option<u64>,
    /// The event whose response this sink is the body of.
    responds_to: Option<u64>,
    writing: Option<Pending>,
}

/// The body streams of one isolate.
#[derive(Default)]
pub(crate) struct BodyStreams {
    next: Cell<u32>,
    readables: Rc<RefCell<HashMap<u32, Readable>>>,
    sinks: Rc<RefCell<HashMap<u32, Sink>>>,
    /// Events a readable of which failed through its client's fault
    /// ([`BodyError::is_client`]).
    client_faults: Rc<RefCell<HashSet<u64>>>,
    /// The producing ends of pipes, until an RPC value takes them.
    pipes: RefCell<HashMap<u32, BodySender>>,
}

/// The stream handle at `args[i]`, or a `TypeError`.
fn handle_arg(args: &[HostValue], i: usize, op: &str) -> Result<u32, JsError> {
    match args.get(i).and_then(HostValue::as_f64) {
        Some(n) if n >= 0.0 && n <= u32::MAX as f64 && n.fract() == 0.0 => Ok(n as u32),
        _ => Err(JsError::type_error(format!(
            "{op}: argument {i} must be a stream handle"
        ))),
    }
}

impl BodyStreams {
    fn next_handle(&self) -> u32 {
        let h = self.next.get().wrapping_add(1).max(1);
        self.next.set(h);
        h
    }

    /// Makes `body` readable from JavaScript; returns its handle.
    pub(crate) fn open_readable(&self, body: Body, event: Option<u64>) -> u32 {
        let handle = self.next_handle();
        self.readables.borrow_mut().insert(
            handle,
            Readable {
                stream: Some(body.into_stream()),
                ahead: None,
                pump: None,
                event,
                reading: None,
            },
        );
        handle
    }

    /// Starts a read of readable `handle` (reading ahead from the first):
    /// what was read ahead, the event the readable belongs to, and what
    /// the read runs under so that releasing the readable stops it.
    fn begin_read(
        &self,
        handle: u32,
        id: OpId,
        settle: &Settle,
    ) -> Result<(Rc<Ahead>, Option<u64>, AbortRegistration), JsError> {
        let mut readables = self.readables.borrow_mut();
        let entry = readables
            .get_mut(&handle)
            .ok_or_else(|| JsError::type_error("The body stream was released"))?;
        if entry.reading.is_some() {
            return Err(JsError::type_error(
                "The body stream already has a read pending",
            ));
        }
        if let Some(stream) = entry.stream.take() {
            let ahead = Rc::new(Ahead::default());
            let (abort, registration) = AbortHandle::new_pair();
            entry.ahead = Some(ahead.clone());
            entry.pump = Some(abort);
            actix_rt::spawn(async move {
                let _ = Abortable::new(read_ahead(stream, ahead), registration).await;
            });
        }
        let Some(ahead) = entry.ahead.clone() else {
            return Err(JsError::type_error("The body stream was released"));
        };
        let (abort, registration) = AbortHandle::new_pair();
        entry.reading = Some(Pending {
            abort,
            id,
            settle: settle.clone(),
        });
        Ok((ahead, entry.event, registration))
    }

    /// How a readable's body ended, for a read that found nothing more: the
    /// readable is gone, and a client's fault is kept for its event.
    fn ended(
        readables: &Weak<RefCell<HashMap<u32, Readable>>>,
        faults: &Weak<RefCell<HashSet<u64>>>,
        handle: u32,
        event: Option<u64>,
        end: Result<(), BodyError>,
    ) -> Result<(), JsError> {
        remove(readables, handle);
        end.map_err(|e| {
            if let (true, Some(event), Some(faults)) = (e.is_client(), event, faults.upgrade()) {
                faults.borrow_mut().insert(event);
            }
            JsError::type_error(format!("The body stream failed: {e}"))
        })
    }

    /// Starts `body_read(handle)`: `settle` gets what arrived since the
    /// last read (at least one chunk), or `null` at the end.
    pub(crate) fn read(&self, args: &[HostValue], id: OpId, settle: Settle) -> Result<(), JsError> {
        let handle = handle_arg(args, 0, "body_read")?;
        let (ahead, event, registration) = self.begin_read(handle, id, &settle)?;
        let readables = Rc::downgrade(&self.readables);
        let faults = Rc::downgrade(&self.client_faults);
        let read = async move {
            let result = loop {
                let arrived = ahead.arrived.notified();
                gather(&ahead).await;
                if let Some(bytes) = ahead.take() {
                    done_reading(&readables, handle);
                    break Ok(joined(bytes));
                }
                let end = ahead.end.borrow_mut().take();
                match end {
                    Some(end) => {
                        break Self::ended(&readables, &faults, handle, event, end)
                            .map(|()| HostValue::Null)
                    }
                    None => arrived.await,
                }
            };
            settle(id, result);
        };
        actix_rt::spawn(Abortable::new(read, registration));
        Ok(())
    }

    /// Starts `body_read_all(handle)`: `settle` gets the whole rest of the
    /// body in one piece (`null` if nothing is left), gathered outside the
    /// isolate, so that a Worker reading a body whole (`arrayBuffer()`,
    /// `text()`, ...) is handed it in one turn, as one buffer the engine
    /// adopts without copying it. Gathering stops
    /// once more than `cap` bytes (the isolate's memory limit) arrived:
    /// what was gathered is handed over, and the isolate fails to hold it
    /// as it would have failed to join the pieces itself.
    pub(crate) fn read_all(
        &self,
        args: &[HostValue],
        id: OpId,
        settle: Settle,
        cap: usize,
    ) -> Result<(), JsError> {
        let handle = handle_arg(args, 0, "body_read_all")?;
        let (ahead, event, registration) = self.begin_read(handle, id, &settle)?;
        let readables = Rc::downgrade(&self.readables);
        let faults = Rc::downgrade(&self.client_faults);
        let read = async move {
            // The pieces are joined here as they arrive, between the
            // isolate's turns, into the one buffer the engine then adopts
            // as the Worker's (no copy in the Worker's turn).
            let mut whole: Vec<u8> = Vec::new();
            let result = loop {
                let arrived = ahead.arrived.notified();
                while let Some(HostValue::Chunks(taken)) = ahead.take() {
                    whole.reserve(taken.iter().map(Bytes::len).sum::<usize>());
                    for piece in &taken {
                        whole.extend_from_slice(piece);
                    }
                }
                if whole.len() > cap {
                    remove(&readables, handle);
                    whole.shrink_to_fit();
                    break Ok(HostValue::Bytes(whole));
                }
                let end = ahead.end.borrow_mut().take();
                match end {
                    Some(end) => {
                        break Self::ended(&readables, &faults, handle, event, end).map(|()| {
                            if whole.is_empty() {
                                HostValue::Null
                            } else {
                                // No room grown for more is left to count
                                // against the isolate's memory.
                                whole.shrink_to_fit();
                                HostValue::Bytes(whole)
                            }
                        });
                    }
                    None => arrived.await,
                }
            };
            settle(id, result);
        };
        actix_rt::spawn(Abortable::new(read, registration));
        Ok(())
    }

    /// A way to drop readable `handle` later, from work that does not hold
    /// the streams (a subrequest whose body turned out to be whole).
    pub(crate) fn dropper(&self, handle: u32) -> ReadableDropper {
        ReadableDropper {
            readables: Rc::downgrade(&self.readables),
            handle,
        }
    }

    /// `body_cancel(handle)`: drops a readable (no error if it is gone).
    pub(crate) fn cancel(&self, args: &[HostValue]) -> Result<(), JsError> {
        let handle = handle_arg(args, 0, "body_cancel")?;
        let removed = self.readables.borrow_mut().remove(&handle);
        if let Some(r) = removed {
            release_readable(r);
        }
        Ok(())
    }

    /// Takes back the body of readable `handle` if JavaScript never read
    /// it, for a response that sends it on as it is (a stored value read
    /// as a stream): the readable is gone, and the body is the response's.
    pub(crate) fn take_readable_body(&self, handle: u32) -> Option<Body> {
        let mut readables = self.readables.borrow_mut();
        readables.get(&handle)?.stream.as_ref()?;
        let readable = readables.remove(&handle)?;
        readable.stream.map(Body::from_stream)
    }

    /// `rpc_pipe()`: a pipe (see the module docs); the handles of its
    /// readable and of its producing end.
    pub(crate) fn open_pipe(&self) -> (u32, u32) {
        let (sender, body) = Body::channel(SINK_CAPACITY);
        let readable = self.open_readable(body, None);
        let writer = self.next_handle();
        self.pipes.borrow_mut().insert(writer, sender);
        (readable, writer)
    }

    /// Takes the producing end of pipe `writer`, for an RPC value.
    pub(crate) fn take_pipe_writer(&self, writer: u32) -> Option<BodySender> {
        self.pipes.borrow_mut().remove(&writer)
    }

    /// `rpc_pipe_drop(writer)`: the pipe's value was not sent; its
    /// readable ends with an error.
    pub(crate) fn drop_pipe(&self, writer: u32) {
        if let Some(sender) = self.take_pipe_writer(writer) {
            sender.abort(BodyError::new("the RPC value was not sent"));
        }
    }

    /// A sink of event `event` writing into `sender` (a pipe's producing
    /// end another isolate sent); its handle.
    pub(crate) fn adopt_sink(&self, sender: BodySender, event: Option<u64>) -> u32 {
        let handle = self.next_handle();
        self.sinks.borrow_mut().insert(
            handle,
            Sink {
                sender: Some(sender),
                body: None,
                event,
                responds_to: None,
                writing: None,
            },
        );
        handle
    }

    /// `body_sink_open()`: a new sink; returns its handle.
    pub(crate) fn open_sink(&self, event: Option<u64>) -> u32 {
        let handle = self.next_handle();
        let (sender, body) = Body::channel(SINK_CAPACITY);
        self.sinks.borrow_mut().insert(
            handle,
            Sink {
                sender: Some(sender),
                body: Some(body),
                event,
                responds_to: None,
                writing: None,
            },
        );
        handle
    }

    /// Takes the consuming end of sink `handle`; it answers event
    /// `responds_to` if given (the event then lasts until the sink ends).
    pub(crate) fn take_sink_body(&self, handle: u32, responds_to: Option<u64>) -> Option<Body> {
        let mut sinks = self.sinks.borrow_mut();
        let sink = sinks.get_mut(&handle)?;
        let body = sink.body.take()?;
        if sink.sender.is_none() {
            // Already closed: all of the body is in it.
            sinks.remove(&handle);
        } else {
            sink.responds_to = responds_to;
        }
        Some(body)
    }

    /// Starts `body_sink_write(handle, bytes)`: settles once the chunk is
    /// accepted; fails when the consumer went away (the sink is then gone).
    pub(crate) fn write(
        &self,
        args: Vec<HostValue>,
        id: OpId,
        settle: Settle,
    ) -> Result<(), JsError> {
        let handle = handle_arg(&args, 0, "body_sink_write")?;
        let chunk = match args.into_iter().nth(1) {
            Some(HostValue::Bytes(b)) => Bytes::from(b),
            _ => {
                return Err(JsError::type_error(
                    "body_sink_write: argument 1 must be bytes",
                ))
            }
        };
        let mut sinks = self.sinks.borrow_mut();
        let sink = sinks
            .get_mut(&handle)
            .ok_or_else(|| JsError::type_error("The body's consumer went away"))?;
        if sink.writing.is_some() {
            return Err(JsError::type_error(
                "The body stream already has a write pending",
            ));
        }
        let sender = sink
            .sender
            .clone()
            .ok_or_else(|| JsError::type_error("The body stream is closed"))?;
        let (abort, registration) = AbortHandle::new_pair();
        sink.writing = Some(Pending {
            abort,
            id,
            settle: settle.clone(),
        });
        let sinks = Rc::downgrade(&self.sinks);
        let write = async move {
            let sent = sender.send(chunk).await;
            drop(sender);
            let result = match sent {
                Ok(()) => {
                    if let Some(sinks) = sinks.upgrade() {
                        if let Some(s) = sinks.borrow_mut().get_mut(&handle) {
                            s.writing = None;
                        }
                    }
                    Ok(HostValue::Undefined)
                }
                Err(e) => {
                    if let Some(sinks) = sinks.upgrade() {
                        sinks.borrow_mut().remove(&handle);
                    }
                    Err(JsError::type_error(format!("{e}")))
                }
            };
            settle(id, result);
        };
        actix_rt::spawn(async move {
            let _ = Abortable::new(write, registration).await;
        });
        Ok(())
    }

    /// `body_sink_close(handle)`: ends the body normally.
    pub(crate) fn close(&self, args: &[HostValue]) -> Result<(), JsError> {
        let handle = handle_arg(args, 0, "body_sink_close")?;
        let mut sinks = self.sinks.borrow_mut();
        let Some(sink) = sinks.get_mut(&handle) else {
            return Ok(());
        };
        if let Some(sender) = sink.sender.take() {
            sender.finish();
        }
        // A body closed before anyone took it (a stream that ended before
        // its Response was returned) stays until it is taken, whole.
        if sink.body.is_none() {
            sinks.remove(&handle);
        }
        Ok(())
    }

    /// `body_sink_abort(handle, message)`: ends the body with an error.
    pub(crate) fn abort(&self, args: &[HostValue]) -> Result<(), JsError> {
        let handle = handle_arg(args, 0, "body_sink_abort")?;
        let message = args
            .get(1)
            .and_then(HostValue::as_str)
            .unwrap_or("the Worker's stream failed");
        let removed = self.sinks.borrow_mut().remove(&handle);
        if let Some(sink) = removed {
            release_sink(sink, BodyError::new(message));
        }
        Ok(())
    }

    /// Whether a request body event `id` read failed through its client's
    /// fault.
    pub(crate) fn client_fault(&self, id: u64) -> bool {
        self.client_faults.borrow().contains(&id)
    }

    /// Whether event `id`'s response is still being streamed.
    pub(crate) fn is_streaming(&self, id: u64) -> bool {
        self.sinks
            .borrow()
            .values()
            .any(|s| s.responds_to == Some(id))
    }

    /// How many responses are still being streamed.
    pub(crate) fn streaming_responses(&self) -> usize {
        self.sinks
            .borrow()
            .values()
            .filter(|s| s.responds_to.is_some())
            .count()
    }

    /// Releases the streams of events that `live` says have ended. `live`
    /// may look at these streams itself (e.g. [`Self::is_streaming`]), so it
    /// runs while no table is borrowed.
    pub(crate) fn sweep(&self, live: impl Fn(u64) -> bool) {
        let ended = |event: Option<u64>| event.is_some_and(|e| !live(e));
        let faulted: Vec<u64> = self.client_faults.borrow().iter().copied().collect();
        let over: Vec<u64> = faulted.into_iter().filter(|e| !live(*e)).collect();
        if !over.is_empty() {
            let mut faults = self.client_faults.borrow_mut();
            for e in over {
                faults.remove(&e);
            }
        }
        take_ended(&self.readables, |r| Some(r.event), ended)
            .into_iter()
            .for_each(release_readable);
        // A sink that streams a response ends with the response, not here.
        let gone = take_ended(
            &self.sinks,
            |s| s.responds_to.is_none().then_some(s.event),
            ended,
        );
        for sink in gone {
            release_sink(
                sink,
                BodyError::new("the event that wrote this body ended before the body did"),
            );
        }
    }

    /// Ends every sink that streams a response with an error (they can never
    /// finish); returns how many there were.
    pub(crate) fn abort_responses(&self, message: &str) -> usize {
        let gone: Vec<Sink> = {
            let mut sinks = self.sinks.borrow_mut();
            let handles: Vec<u32> = sinks
                .iter()
                .filter(|(_, s)| s.responds_to.is_some())
                .map(|(h, _)| *h)
                .collect();
            handles
                .into_iter()
                .filter_map(|h| sinks.remove(&h))
                .collect()
        };
        let n = gone.len();
        for sink in gone {
            release_sink(sink, BodyError::new(message));
        }
        n
    }

    /// Releases every stream (the isolate is going away): readables are
    /// dropped, sinks end with an error that says the Worker is
    /// unavailable.
    pub(crate) fn release_all(&self, message: &str) {
        let readables: Vec<Readable> = self
            .readables
            .borrow_mut()
            .drain()
            .map(|(_, r)| r)
            .collect();
        readables.into_iter().for_each(release_readable);
        let sinks: Vec<Sink> = self.sinks.borrow_mut().drain().map(|(_, s)| s).collect();
        for sink in sinks {
            release_sink(sink, BodyError::unavailable(message));
        }
        let pipes: Vec<BodySender> = self.pipes.borrow_mut().drain().map(|(_, s)| s).collect();
        for sender in pipes {
            sender.abort(BodyError::unavailable(message));
        }
    }
}

impl Drop for BodyStreams {
    fn drop(&mut self) {
        self.release_all("the Worker's isolate stopped");
    }
}

/// A read of readable `handle` settled: the next may start.
fn done_reading(readables: &Weak<RefCell<HashMap<u32, Readable>>>, handle: u32) {
    if let Some(readables) = readables.upgrade() {
        if let Some(r) = readables.borrow_mut().get_mut(&handle) {
            r.reading = None;
        }
    }
}

fn remove(readables: &Weak<RefCell<HashMap<u32, Readable>>>, handle: u32) {
    if let Some(readables) = readables.upgrade() {
        readables.borrow_mut().remove(&handle);
    }
}

/// Removes from `table` the entries whose event (`event_of`; `None` for
/// entries not to sweep) has `ended`, reading the table first and asking
/// `ended` while it is not borrowed.
fn take_ended<T>(
    table: &RefCell<HashMap<u32, T>>,
    event_of: impl Fn(&T) -> Option<Option<u64>>,
    ended: impl Fn(Option<u64>) -> bool,
) -> Vec<T> {
    let candidates: Vec<(u32, Option<u64>)> = table
        .borrow()
        .iter()
        .filter_map(|(h, t)| event_of(t).map(|e| (*h, e)))
        .collect();
    let handles: Vec<u32> = candidates
        .into_iter()
        .filter(|(_, event)| ended(*event))
        .map(|(h, _)| h)
        .collect();
    let mut table = table.borrow_mut();
    handles
        .into_iter()
        .filter_map(|h| table.remove(&h))
        .collect()
}

/// Drops one readable (see [`BodyStreams::dropper`]).
pub(crate) struct ReadableDropper {
    readables: Weak<RefCell<HashMap<u32, Readable>>>,
    handle: u32,
}

impl ReadableDropper {
    /// Drops the readable now, if it is still there.
    pub(crate) fn drop_now(self) {
        let removed = self
            .readables
            .upgrade()
            .and_then(|r| r.borrow_mut().remove(&self.handle));
        if let Some(r) = removed {
            release_readable(r);
        }
    }
}

fn release_readable(r: Readable) {
    if let Some(pump) = r.pump {
        pump.abort();
    }
    if let Some(pending) = r.reading {
        pending.release("The body stream was released");
    }
}

fn release_sink(sink: Sink, error: BodyError) {
    if let Some(pending) = sink.writing {
        pending.release("The body stream was released");
    }
    if let Some(sender) = sink.sender {
        sender.abort(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(value: Option<HostValue>) -> Vec<usize> {
        match value {
            Some(HostValue::Chunks(c)) => c.iter().map(Bytes::len).collect(),
            other => panic!("not chunks: {other:?}"),
        }
    }

    #[test]
    fn pieces_of_64_kib_or_more_are_joined_for_the_engine_to_adopt() {
        let small = vec![Bytes::from(vec![1u8; 10]), Bytes::from(vec![2u8; 20])];
        assert_eq!(sizes(Some(joined(HostValue::Chunks(small)))), [10, 20]);
        let large = vec![
            Bytes::from(vec![1u8; JOIN_MIN / 2]),
            Bytes::from(vec![2u8; JOIN_MIN / 2 + 1]),
        ];
        let mut expected = vec![1u8; JOIN_MIN / 2];
        expected.extend(vec![2u8; JOIN_MIN / 2 + 1]);
        assert_eq!(joined(HostValue::Chunks(large)), HostValue::Bytes(expected));
        let one = vec![Bytes::from(vec![3u8; JOIN_MIN])];
        assert_eq!(
            joined(HostValue::Chunks(one)),
            HostValue::Bytes(vec![3u8; JOIN_MIN])
        );
        assert_eq!(joined(HostValue::Null), HostValue::Null);
    }

    #[actix_rt::test]
    async fn a_read_takes_what_arrived_in_order_up_to_the_read_ahead() {
        let (tx, body) = Body::channel(64);
        let ahead = Rc::new(Ahead::default());
        let pump = actix_rt::spawn(read_ahead(body.into_stream(), ahead.clone()));
        let piece = |n: usize, b: u8| Bytes::from(vec![b; n]);
        for (i, n) in [READ_AHEAD / 2, READ_AHEAD / 4, READ_AHEAD / 2, 10]
            .iter()
            .enumerate()
        {
            tx.send(piece(*n, i as u8)).await.unwrap();
        }
        tx.finish();
        // Reading ahead stops once past the limit (after the third piece).
        while ahead.buffered.get() < READ_AHEAD {
            ahead.arrived.notified().await;
        }
        gather(&ahead).await;
        assert_eq!(
            ahead.buffered.get(),
            READ_AHEAD / 2 + READ_AHEAD / 4 + READ_AHEAD / 2
        );
        assert_eq!(sizes(ahead.take()), [READ_AHEAD / 2, READ_AHEAD / 4]);
        // The read made room: the rest and the end arrive.
        while ahead.end.borrow().is_none() {
            ahead.arrived.notified().await;
        }
        assert_eq!(sizes(ahead.take()), [READ_AHEAD / 2, 10]);
        assert!(ahead.take().is_none());
        assert_eq!(ahead.buffered.get(), 0);
        assert!(matches!(*ahead.end.borrow(), Some(Ok(()))));
        pump.await.unwrap();
    }

    #[actix_rt::test]
    async fn reading_ahead_stops_at_the_limit_until_a_read_makes_room() {
        let (tx, body) = Body::channel(64);
        let ahead = Rc::new(Ahead::default());
        let _pump = actix_rt::spawn(read_ahead(body.into_stream(), ahead.clone()));
        for _ in 0..4 {
            tx.send(Bytes::from(vec![7u8; READ_AHEAD / 2]))
                .await
                .unwrap();
        }
        while ahead.buffered.get() < READ_AHEAD {
            ahead.arrived.notified().await;
        }
        gather(&ahead).await;
        assert_eq!(
            ahead.buffered.get(),
            READ_AHEAD,
            "no further than the limit"
        );
        assert_eq!(sizes(ahead.take()), [READ_AHEAD / 2, READ_AHEAD / 2]);
        while ahead.buffered.get() < READ_AHEAD {
            ahead.arrived.notified().await;
        }
        assert_eq!(sizes(ahead.take()), [READ_AHEAD / 2, READ_AHEAD / 2]);
    }
}
