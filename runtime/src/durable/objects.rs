//! The Durable Objects one isolate hosts: a slot per live object, its
//! storage, and the `durable` ops the prelude's `cloudflare/durable.js`
//! calls.
//!
//! # Ops
//!
//! - `durable('newId' | 'fromName' | 'check', namespace, arg)`: ids (see
//!   `id.rs`); `check` throws Cloudflare's TypeError for an id that is not
//!   one of the namespace's.
//! - `durable(method, slot, …)`: the storage of the object in `slot`,
//!   synchronous (see the module docs of `motu_storage::durable`): `get`
//!   (keys → values or null), `put` (keys, values), `delete` (keys →
//!   count), `list` (start, startAfter, end, prefix, reverse, limit →
//!   `{ pairs: [[key, value]…], done }`: one chunk of a listing, at most
//!   `limit` pairs and about `LIST_CHUNK_BYTES` of them, `done` when
//!   nothing follows it), `deleteAll` (with the alarm or not, as the
//!   Worker's compatibility date says), `exec` (sql, bindings → `{ columns,
//!   rows, rowsRead, rowsWritten }`), `size`, `begin`/`commit`/`rollback`,
//!   `getAlarm`, `setAlarm` (ms or null; written to the object's database
//!   and the alarm index, both or neither), `noteAlarm` (the object's
//!   alarm is durable: the alarm scheduler hears of it, see
//!   `alarm_clock.rs`). Values are the bytes the prelude serialised.
//! - host work `durable_flush(slot)`: fsyncs the object's log on the work
//!   pool; the prelude waits for it before an object's response leaves
//!   (the output gate). Only the object's log: its alarm is durable with
//!   its database (the alarm index is a cache, see `alarms.rs`).
//! - `durable('own', slot, socket)`: the object in `slot` opened the
//!   isolate's socket `socket` itself; while it is open the object does
//!   not leave memory for being idle.
//! - `durable('timers', slot, pending)`: whether the object in `slot` has
//!   timers pending; while it has, it does not leave memory for being idle
//!   (for at most `TIMER_HOLD` idle timeouts without events).
//! - `durable('forget' | 'abort' | 'broken', slot, message?)`: the object
//!   in `slot` leaves memory, its database closed: its constructor threw,
//!   it called `ctx.abort`, or a flush of its storage failed (the prelude
//!   resets it). After a reset (`message`: the reset's error) the sockets
//!   its events answered with are closed (those the instance opened itself
//!   are closed by the prelude, `doAbort`), and its events' code that
//!   still runs can send nothing out: their subrequests fail with
//!   `message` ([`Objects::reset_event`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use motu_engine::{HostValue, JsError};
use motu_storage::d1::D1Value;
use motu_storage::durable::{
    AlarmIndex, AlarmRow, ListOptions, ObjectStorage, LIST_CHUNK_BYTES, MAX_KEYS,
};
use motu_webapi::Work;
use tokio::sync::oneshot;

use super::ObjectTarget;

/// The close reason of a reset object's WebSockets (code 1011).
const RESET_CLOSE_REASON: &str = "Durable Object reset";

/// One live object of the isolate.
struct Live {
    target: ObjectTarget,
    /// When it last had an event, as the admin listing shows it.
    listed: Arc<AtomicU64>,
    /// Its database, opened on first use.
    storage: Option<ObjectStorage>,
    last_active: Instant,
    /// Its events that may still be going on.
    events: Vec<u64>,
    /// The isolate's (not hibernatable) WebSockets its events answered
    /// with: while one is open, the object stays in memory.
    sockets: Vec<u32>,
    /// The WebSockets the instance opened itself (`new WebSocket(url)`,
    /// `fetch` with `Upgrade: websocket`): while one is open the object
    /// stays in memory too, as on Cloudflare, where an object's outgoing
    /// socket keeps it from leaving. The prelude closes them when the
    /// instance is reset (`doAbort`), so the host only counts them.
    own_sockets: Vec<u32>,
    /// Whether the instance has `setTimeout`/`setInterval` callbacks
    /// pending (`cloudflare/durable_timers.js`): they keep it in memory, as
    /// on Cloudflare, for at most [`TIMER_HOLD`] idle timeouts without
    /// events.
    timers: bool,
}

/// How many idle timeouts without events pending timers keep an object in
/// memory: Cloudflare hibernates an idle object after 10 s, and evicts one
/// that cannot hibernate (a timer pending) after 70 to 140 s without events.
const TIMER_HOLD: u32 = 7;

/// The objects an isolate hosts (see the module docs).
pub(crate) struct Objects {
    worker: String,
    /// The isolate, as the admin listing names it (`worker#n`).
    isolate: String,
    storage: crate::Storage,
    idle: Duration,
    /// `deleteAll` deletes the alarm too (else keeps it).
    delete_all_deletes_alarm: bool,
    slots: RefCell<HashMap<(String, String), u32>>,
    live: RefCell<HashMap<u32, Live>>,
    next_slot: Cell<u32>,
    /// Told (by being dropped, with the isolate) when the isolate is gone.
    gone: RefCell<Vec<oneshot::Sender<()>>>,
    /// The alarm index (see `alarms.rs`), opened on the first `setAlarm`.
    alarms: RefCell<Option<AlarmIndex>>,
    /// Its part of the hibernatable WebSockets (`websockets.rs`).
    websockets: super::websockets::Local,
    /// The isolate's WebSockets: a reset object's own sockets are closed.
    sockets: Rc<crate::websocket::Sockets>,
    /// The events of reset objects whose code may still run, with the
    /// reset's message: nothing they send out leaves (`reset_event`).
    reset_events: RefCell<HashMap<u64, Rc<str>>>,
    /// How many objects left memory (idle, reset): see
    /// [`departed`](Self::departed).
    departed: Cell<u64>,
}

fn type_error(message: impl Into<String>) -> JsError {
    JsError::type_error(message.into())
}

fn storage_error(e: motu_storage::StorageError) -> JsError {
    JsError::new("Error", e.to_string())
}

fn strings(value: Option<HostValue>) -> Result<Vec<String>, JsError> {
    match value {
        Some(HostValue::List(items)) => items
            .into_iter()
            .map(|v| match v {
                HostValue::String(s) => Ok(s),
                _ => Err(type_error("Durable Object storage: keys must be strings")),
            })
            .collect(),
        _ => Err(type_error(
            "Durable Object storage: expected a list of keys",
        )),
    }
}

fn slot_of(slot: &Option<HostValue>) -> u32 {
    slot.as_ref().and_then(HostValue::as_f64).unwrap_or(-1.0) as u32
}

fn opt_string(value: Option<HostValue>) -> Option<String> {
    match value {
        Some(HostValue::String(s)) => Some(s),
        _ => None,
    }
}

fn sql_value(v: HostValue) -> Result<D1Value, JsError> {
    Ok(match v {
        HostValue::Null | HostValue::Undefined => D1Value::Null,
        HostValue::Number(n) => D1Value::from_number(n),
        HostValue::Bool(b) => D1Value::Integer(b.into()),
        HostValue::String(s) => D1Value::Text(s),
        HostValue::Bytes(b) => D1Value::Blob(b),
        _ => {
            return Err(type_error(
                "sql.exec: a binding must be a string, number, boolean, null or ArrayBuffer",
            ))
        }
    })
}

fn host_value(v: D1Value) -> HostValue {
    match v {
        D1Value::Null => HostValue::Null,
        D1Value::Integer(i) => HostValue::Number(i as f64),
        D1Value::Real(f) => HostValue::Number(f),
        D1Value::Text(s) => HostValue::String(s),
        D1Value::Blob(b) => HostValue::Bytes(b),
    }
}

impl Objects {
    /// The objects of an isolate of `worker`, storing in `storage`'s state
    /// folder, leaving memory after `idle` without events; `deleteAll`
    /// deletes their alarms too when `delete_all_deletes_alarm` (the
    /// Worker's compatibility date or flag says so), else keeps them.
    pub(crate) fn new(
        worker: &str,
        storage: &crate::Storage,
        idle: Duration,
        delete_all_deletes_alarm: bool,
        sockets: Rc<crate::websocket::Sockets>,
    ) -> Self {
        static ISOLATES: AtomicU64 = AtomicU64::new(1);
        Self {
            worker: worker.to_owned(),
            isolate: format!("{worker}#{}", ISOLATES.fetch_add(1, Ordering::Relaxed)),
            storage: storage.clone(),
            idle,
            delete_all_deletes_alarm,
            slots: RefCell::default(),
            live: RefCell::default(),
            next_slot: Cell::new(1),
            gone: RefCell::default(),
            alarms: RefCell::default(),
            websockets: super::websockets::Local::new(storage.hibernation()),
            sockets,
            reset_events: RefCell::default(),
            departed: Cell::new(0),
        }
    }

    /// Event `event` for the object `target`, as the prelude's `dispatch`
    /// gets it: `{ type: 'durable', kind, slot, class, id, name, payload }`
    /// (the prelude makes the object on the first event of its slot).
    pub(crate) fn event(
        &self,
        target: &ObjectTarget,
        event: u64,
        kind: &str,
        payload: HostValue,
    ) -> HostValue {
        let key = target.key();
        let existing = self.slots.borrow().get(&key).copied();
        let slot = match existing {
            Some(slot) => slot,
            None => {
                let slot = self.next_slot.get();
                self.next_slot.set(slot + 1);
                self.slots.borrow_mut().insert(key, slot);
                self.live.borrow_mut().insert(
                    slot,
                    Live {
                        target: target.clone(),
                        listed: super::listing::list(target, &self.isolate),
                        storage: None,
                        last_active: Instant::now(),
                        events: Vec::new(),
                        sockets: Vec::new(),
                        own_sockets: Vec::new(),
                        timers: false,
                    },
                );
                super::metrics::started(&self.worker);
                slot
            }
        };
        if let Some(live) = self.live.borrow_mut().get_mut(&slot) {
            live.last_active = Instant::now();
            live.listed
                .store(super::listing::now_ms(), Ordering::Relaxed);
            live.events.push(event);
        }
        HostValue::Map(vec![
            ("type".into(), "durable".into()),
            ("kind".into(), kind.into()),
            ("slot".into(), HostValue::Number(slot.into())),
            ("class".into(), target.class.as_str().into()),
            ("id".into(), target.id.as_str().into()),
            (
                "name".into(),
                target
                    .name
                    .as_deref()
                    .map_or(HostValue::Null, HostValue::from),
            ),
            ("payload".into(), payload),
        ])
    }

    /// Event `event` (a call of an RpcTarget or function the object in
    /// `slot` answered a call with, see `cloudflare/durable.js`) is one of
    /// the object's: it keeps the object in memory while it goes on.
    pub(crate) fn attend(&self, slot: u32, event: Option<u64>) {
        if let Some(live) = self.live.borrow_mut().get_mut(&slot) {
            live.last_active = Instant::now();
            live.listed
                .store(super::listing::now_ms(), Ordering::Relaxed);
            live.events.extend(event);
        }
    }

    /// The objects with no event going on (`going_on` tells) and no open
    /// socket of the isolate, answered with or opened by the object
    /// (`socket_open` tells; hibernatable ones do not count) for the idle
    /// timeout, and no timer pending (for at most [`TIMER_HOLD`] idle
    /// timeouts): forgotten here (their storage closed), their slots
    /// returned for the prelude to drop (which clears their timers).
    pub(crate) fn take_idle(
        &self,
        going_on: impl Fn(u64) -> bool,
        socket_open: impl Fn(u32) -> bool,
    ) -> Vec<u32> {
        let mut idle = Vec::new();
        let mut live = self.live.borrow_mut();
        for (slot, object) in live.iter_mut() {
            object.events.retain(|e| going_on(*e));
            object.sockets.retain(|s| socket_open(*s));
            object.own_sockets.retain(|s| socket_open(*s));
            if !object.sockets.is_empty() || !object.own_sockets.is_empty() {
                object.last_active = Instant::now();
            }
            let quiet = object.last_active.elapsed();
            let held = object.timers && quiet < self.idle * TIMER_HOLD;
            if object.events.is_empty() && !held && quiet >= self.idle {
                idle.push(*slot);
            }
        }
        for slot in &idle {
            if let Some(object) = live.remove(slot) {
                self.forget(&object, "idle");
            }
        }
        idle
    }

    /// Event `event` answered with the isolate's socket `socket`: if it
    /// is an object's, the socket keeps the object in memory.
    pub(crate) fn socket_linked(&self, event: u64, socket: u32) {
        let mut live = self.live.borrow_mut();
        if let Some(object) = live.values_mut().find(|o| o.events.contains(&event)) {
            object.sockets.push(socket);
        }
    }

    /// The pump of hibernatable socket `id`, for the 101 response that
    /// hands it over.
    pub(crate) fn take_hibernatable(&self, id: u32) -> Option<crate::websocket::pump::Pump> {
        self.websockets.take_pump(id)
    }

    /// Forgets the hibernatable sockets accepted in events that are over
    /// without a response that took them.
    pub(crate) fn forget_unanswered(&self, live: impl Fn(u64) -> bool) {
        self.websockets.forget(live);
    }

    /// The `durable_ws(method, slot, …)` op (`websockets.rs`), in event
    /// `event`, wake-ups going to `wake`.
    pub(crate) fn websocket_call(
        &self,
        args: Vec<HostValue>,
        event: Option<u64>,
        wake: Option<actix::Recipient<crate::Dispatch>>,
    ) -> Result<HostValue, JsError> {
        let mut args = args.into_iter();
        let method = opt_string(args.next()).unwrap_or_default();
        let slot = slot_of(&args.next());
        let target = self
            .live
            .borrow()
            .get(&slot)
            .map(|o| o.target.clone())
            .ok_or_else(|| {
                JsError::new(
                    "Error",
                    "this Durable Object is no longer in memory; its WebSockets cannot be used here",
                )
            })?;
        self.websockets.call(&target, event, wake, &method, args)
    }

    /// `object` left memory for `reason`: its slot and listing go.
    fn forget(&self, object: &Live, reason: &str) {
        self.slots.borrow_mut().remove(&object.target.key());
        super::listing::unlist(&object.target, &self.isolate);
        super::metrics::evicted(&self.worker, reason);
        self.departed.set(self.departed.get() + 1);
    }

    /// How many objects left memory since the isolate started. An object
    /// that leaves turns what its instance held (its `WebSocket`s made
    /// again for 10,000 hibernated sockets: tens of MiB) into garbage
    /// without the heap growing, and on QuickJS that garbage (cycles) waits
    /// for a collection: the isolate's next idle collection runs whatever
    /// its heap's growth once this moved (see `crate::isolate_actor`).
    pub(crate) fn departed(&self) -> u64 {
        self.departed.get()
    }

    /// Why nothing event `event` sends out may leave, if it is an event of
    /// an object that was reset (`ctx.abort`, a failed flush) and its code
    /// may still run: the reset's message.
    pub(crate) fn reset_event(&self, event: u64) -> Option<Rc<str>> {
        let reset = self.reset_events.borrow();
        if reset.is_empty() {
            return None;
        }
        reset.get(&event).cloned()
    }

    /// Forgets the reset objects' events whose code can no longer run
    /// (`running` tells which still may).
    pub(crate) fn forget_reset_events(&self, running: impl Fn(u64) -> bool) {
        let mut reset = self.reset_events.borrow_mut();
        if !reset.is_empty() {
            reset.retain(|e, _| running(*e));
        }
    }

    /// Whether reset objects' events are remembered (see
    /// [`reset_event`](Self::reset_event)).
    pub(crate) fn has_reset_events(&self) -> bool {
        !self.reset_events.borrow().is_empty()
    }

    /// How many objects are live.
    pub(crate) fn live_count(&self) -> usize {
        self.live.borrow().len()
    }

    /// `tx` is dropped when the isolate is gone.
    pub(crate) fn when_gone(&self, tx: oneshot::Sender<()>) {
        self.gone.borrow_mut().push(tx);
    }

    /// The object database's file of `live`.
    fn path(&self, target: &ObjectTarget) -> Result<PathBuf, JsError> {
        let folder = self
            .storage
            .folder_path()
            .map_err(|e| JsError::new("Error", e))?;
        Ok(motu_storage::durable::object_path(
            &folder,
            &target.namespace,
            &target.id,
        ))
    }

    /// Runs `f` on the storage of the object in `slot`, opened if need be.
    fn with_storage<T>(
        &self,
        slot: Option<HostValue>,
        f: impl FnOnce(&mut ObjectStorage) -> Result<T, JsError>,
    ) -> Result<T, JsError> {
        let slot = slot.and_then(|s| s.as_f64()).unwrap_or(-1.0) as u32;
        let mut live = self.live.borrow_mut();
        let object = live
            .get_mut(&slot)
            .ok_or_else(|| JsError::new("Error", "this Durable Object is no longer in memory; its storage cannot be used (get a new stub)"))?;
        if object.storage.is_none() {
            let path = self.path(&object.target)?;
            object.storage = Some(ObjectStorage::open(&path).map_err(storage_error)?);
        }
        f(object.storage.as_mut().expect("opened above"))
    }

    /// The `durable(method, …)` op (see the module docs).
    pub(crate) fn call(&self, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        let mut args = args.into_iter();
        let method = opt_string(args.next()).unwrap_or_default();
        match method.as_str() {
            "newId" | "fromName" | "check" => {
                let namespace = opt_string(args.next()).unwrap_or_default();
                return match method.as_str() {
                    "newId" => Ok(super::id::unique(&namespace).into()),
                    "fromName" => {
                        let name = opt_string(args.next()).unwrap_or_default();
                        Ok(super::id::from_name(&namespace, &name).into())
                    }
                    _ => {
                        let id = opt_string(args.next()).unwrap_or_default();
                        super::id::check(&namespace, &id).map_err(type_error)?;
                        Ok(id.to_ascii_lowercase().into())
                    }
                };
            }
            _ => {}
        }
        let slot = args.next();
        if method == "own" {
            // The instance opened socket `args[2]` itself (see `Live`).
            let slot = slot.and_then(|s| s.as_f64()).unwrap_or(-1.0) as u32;
            let socket = args.next().and_then(|s| s.as_f64()).unwrap_or(-1.0) as u32;
            if let Some(object) = self.live.borrow_mut().get_mut(&slot) {
                object.own_sockets.push(socket);
            }
            return Ok(HostValue::Undefined);
        }
        if method == "timers" {
            // Whether the instance has timers pending (see `Live`); once
            // the last one fired or was cleared, the object is idle from
            // then on.
            let slot = slot_of(&slot);
            let pending = matches!(args.next(), Some(HostValue::Bool(true)));
            if let Some(object) = self.live.borrow_mut().get_mut(&slot) {
                object.timers = pending;
                if !pending {
                    object.last_active = Instant::now();
                }
            }
            return Ok(HostValue::Undefined);
        }
        if matches!(method.as_str(), "forget" | "abort" | "broken") {
            // The object could not be made, was reset by `ctx.abort`, or
            // was reset because a flush of its storage failed: forgotten,
            // as if evicted (the next event makes it again). Its database
            // closes with it, so the next instance opens it anew (see
            // `ObjectStorage::open`: it reads nothing a failed flush left
            // in memory only).
            let slot = slot.and_then(|s| s.as_f64()).unwrap_or(-1.0) as u32;
            let removed = self.live.borrow_mut().remove(&slot);
            if let Some(object) = removed {
                let reason = match method.as_str() {
                    "abort" => "aborted",
                    "broken" => "broken",
                    _ => "failed",
                };
                self.forget(&object, reason);
                if method != "forget" {
                    // What the instance's code still running sends out
                    // (a fetch after its events were failed) never leaves.
                    let message: Rc<str> = opt_string(args.next())
                        .unwrap_or_else(|| "This Durable Object was reset".to_owned())
                        .into();
                    let mut reset = self.reset_events.borrow_mut();
                    for event in &object.events {
                        reset.insert(*event, message.clone());
                    }
                }
                // The sockets its events answered with (not hibernatable:
                // those belong to the object, not the instance) go with
                // the instance, as on Cloudflare: nothing more comes out
                // of them, so they are closed rather than left silent.
                for socket in object.sockets {
                    self.sockets
                        .close(socket, 1011, RESET_CLOSE_REASON.to_owned());
                }
            }
            return Ok(HostValue::Undefined);
        }
        match method.as_str() {
            "get" => {
                let keys = strings(args.next())?;
                self.with_storage(slot, |s| {
                    let values = s.get(&keys).map_err(storage_error)?;
                    Ok(HostValue::List(
                        values
                            .into_iter()
                            .map(|v| v.map_or(HostValue::Null, HostValue::Bytes))
                            .collect(),
                    ))
                })
            }
            "put" => {
                let keys = strings(args.next())?;
                let values = match args.next() {
                    Some(HostValue::List(v)) => v,
                    _ => return Err(type_error("put: expected values")),
                };
                if keys.len() > MAX_KEYS {
                    return Err(JsError::new(
                        "RangeError",
                        format!("Maximum number of pairs is {MAX_KEYS}"),
                    ));
                }
                let pairs = keys
                    .into_iter()
                    .zip(values)
                    .map(|(k, v)| match v {
                        HostValue::Bytes(b) => Ok((k, b)),
                        _ => Err(type_error("put: values must be serialised")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.with_storage(slot, |s| s.put(&pairs).map_err(storage_error))?;
                Ok(HostValue::Undefined)
            }
            "delete" => {
                let keys = strings(args.next())?;
                self.with_storage(slot, |s| {
                    Ok(HostValue::Number(
                        s.delete(&keys).map_err(storage_error)? as f64
                    ))
                })
            }
            "list" => {
                // One chunk of a listing (see `motu_storage::durable::
                // list_chunk`): the prelude asks for the next one after
                // the last key it read.
                let options = ListOptions {
                    start: opt_string(args.next()),
                    start_after: opt_string(args.next()),
                    end: opt_string(args.next()),
                    prefix: opt_string(args.next()),
                    reverse: matches!(args.next(), Some(HostValue::Bool(true))),
                    limit: args
                        .next()
                        .and_then(|l| l.as_f64())
                        .map(|l| l.max(0.0) as u64),
                };
                let chunk = self.with_storage(slot, |s| {
                    s.list_chunk(&options, LIST_CHUNK_BYTES)
                        .map_err(storage_error)
                })?;
                super::metrics::listed(&self.worker, chunk.pairs.len());
                let pairs = chunk
                    .pairs
                    .into_iter()
                    .map(|(k, v)| HostValue::List(vec![k.into(), HostValue::Bytes(v)]))
                    .collect();
                Ok(HostValue::Map(vec![
                    ("pairs".into(), HostValue::List(pairs)),
                    ("done".into(), HostValue::Bool(chunk.done)),
                ]))
            }
            "deleteAll" => {
                if self.delete_all_deletes_alarm {
                    self.with_alarm(slot, None, |s| s.delete_all(false))?;
                } else {
                    // The alarm stays, in the object's database and the
                    // index alike.
                    self.with_storage(slot, |s| s.delete_all(true).map_err(storage_error))?;
                }
                Ok(HostValue::Undefined)
            }
            "exec" => {
                let sql = opt_string(args.next()).unwrap_or_default();
                let bindings = match args.next() {
                    Some(HostValue::List(v)) => v
                        .into_iter()
                        .map(sql_value)
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => Vec::new(),
                };
                self.with_storage(slot, |s| {
                    let r = s.exec(&sql, &bindings).map_err(|e| match e {
                        motu_storage::StorageError::D1(m) => JsError::new("Error", m),
                        e => JsError::new("Error", format!("{e}: SQLITE_ERROR")),
                    })?;
                    Ok(HostValue::Map(vec![
                        (
                            "columns".into(),
                            HostValue::List(r.columns.into_iter().map(HostValue::String).collect()),
                        ),
                        (
                            "rows".into(),
                            HostValue::List(
                                r.rows
                                    .into_iter()
                                    .map(|row| {
                                        HostValue::List(row.into_iter().map(host_value).collect())
                                    })
                                    .collect(),
                            ),
                        ),
                        ("rowsRead".into(), HostValue::Number(r.rows_read as f64)),
                        (
                            "rowsWritten".into(),
                            HostValue::Number(r.rows_written as f64),
                        ),
                    ]))
                })
            }
            "size" => self.with_storage(slot, |s| {
                Ok(HostValue::Number(
                    s.database_size().map_err(storage_error)? as f64
                ))
            }),
            "begin" => {
                self.with_storage(slot, |s| s.begin().map_err(storage_error))?;
                Ok(HostValue::Undefined)
            }
            "commit" => {
                self.with_storage(slot, |s| s.commit().map_err(storage_error))?;
                Ok(HostValue::Undefined)
            }
            "rollback" => {
                let n = slot_of(&slot);
                let (before, after) = self.with_storage(slot, |s| {
                    let before = s.alarm().map_err(storage_error)?;
                    s.rollback().map_err(storage_error)?;
                    Ok((before, s.alarm().map_err(storage_error)?))
                })?;
                // A `setAlarm` the rollback undid wrote the alarm index
                // too (outside the transaction): the index follows the
                // object's alarm back.
                if before != after {
                    self.index_alarm(n, after)?;
                }
                Ok(HostValue::Undefined)
            }
            "getAlarm" => self.with_storage(slot, |s| {
                Ok(s.alarm()
                    .map_err(storage_error)?
                    .map_or(HostValue::Null, HostValue::Number))
            }),
            "setAlarm" => {
                let at = args.next().and_then(|v| v.as_f64());
                let name = self
                    .live
                    .borrow()
                    .get(&slot_of(&slot))
                    .and_then(|o| o.target.name.clone());
                self.with_alarm(slot, at, |s| s.set_alarm(at, name.as_deref()))?;
                Ok(HostValue::Undefined)
            }
            "noteAlarm" => {
                // The alarm is in the index already: the scheduler, if
                // woken, finds it.
                if let Some(at) = self.with_storage(slot, |s| s.alarm().map_err(storage_error))? {
                    self.storage.alarm_clock().note(at);
                }
                Ok(HostValue::Undefined)
            }
            _ => Err(type_error(format!("durable: unknown method '{method}'"))),
        }
    }

    /// Runs `write` (which leaves the object's alarm at `at`) on the
    /// storage of the object in `slot`, and writes that alarm to the alarm
    /// index: both or neither (the index's write failing undoes
    /// `write`). Only the object's flush makes it durable (the index is
    /// rebuilt from the objects' databases at start-up, see `alarms.rs`).
    fn with_alarm(
        &self,
        slot: Option<HostValue>,
        at: Option<f64>,
        write: impl FnOnce(&mut ObjectStorage) -> Result<(), motu_storage::StorageError>,
    ) -> Result<(), JsError> {
        let n = slot_of(&slot);
        self.with_storage(slot.clone(), |s| {
            s.begin().map_err(storage_error)?;
            write(s).map_err(|e| {
                let _ = s.rollback();
                storage_error(e)
            })
        })?;
        let indexed = self.index_alarm(n, at);
        self.with_storage(slot, |s| {
            match &indexed {
                Ok(()) => s.commit(),
                Err(_) => s.rollback(),
            }
            .map_err(storage_error)
        })?;
        indexed
    }

    /// Writes the alarm of the object in `slot` (`None`: deleted) to the
    /// alarm index.
    fn index_alarm(&self, slot: u32, at: Option<f64>) -> Result<(), JsError> {
        let live = self.live.borrow();
        let Some(object) = live.get(&slot) else {
            return Ok(());
        };
        let mut index = self.alarms.borrow_mut();
        if index.is_none() {
            let folder = self
                .storage
                .folder_path()
                .map_err(|e| JsError::new("Error", e))?;
            *index = Some(AlarmIndex::open(&AlarmIndex::path_in(&folder)).map_err(storage_error)?);
        }
        let index = index.as_ref().expect("opened above");
        let t = &object.target;
        match at {
            Some(at) => index.set(&AlarmRow {
                namespace: t.namespace.clone(),
                id: t.id.clone(),
                worker: t.worker.clone(),
                class: t.class.clone(),
                name: t.name.clone(),
                at,
                retry: 0,
            }),
            None => index.delete(&t.namespace, &t.id),
        }
        .map_err(storage_error)
    }

    /// The host work `durable_flush(slot)`: makes the object's commits
    /// durable (the output gate waits for it).
    pub(crate) fn flush_work(&self, args: Vec<HostValue>) -> Result<Work, JsError> {
        // The object's own log only: its alarm is durable once its
        // database is (the alarm index is a cache, see `alarms.rs`).
        let flusher = self.with_storage(args.into_iter().next(), |s| Ok(s.flusher()))?;
        let worker = self.worker.clone();
        Ok(Work::from_fn(0, false, move |_| {
            let started = Instant::now();
            flusher.flush().map_err(storage_error)?;
            super::metrics::flushed(&worker, started.elapsed());
            Ok(HostValue::Undefined)
        })
        .waiting())
    }
}

impl Drop for Objects {
    fn drop(&mut self) {
        for (_, object) in self.live.get_mut().drain() {
            super::listing::unlist(&object.target, &self.isolate);
            super::metrics::evicted(&self.worker, "isolate");
        }
    }
}
