//! The host side of one isolate: the ops that belong to the runtime (event
//! outcomes, `env`, console, timers, body streams, host work), and the
//! pending events' reply channels.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix::WeakAddr;
use motu_engine::{Host, HostValue, JsError, OpId, Syntax};
use tokio::sync::oneshot;

use crate::event::response_from_op;
use crate::fetch::OutboundResponse;
use crate::isolate_actor::{IsolateActor, OpDone, WakeRoom, WorkDone};
use crate::log_rate::LogRate;
use crate::streams::{BodyStreams, Settle};
use crate::watchdog::{CpuAccount, Watchdog};
use crate::work::{Finished, HostWork};
use crate::{Body, BodyError, BodySender, FetchResponse, Outbound, RuntimeError, WorkerSpec};
use futures::future::{AbortHandle, Abortable, Aborted};
use futures::StreamExt;

/// Chunks of a subrequest's response body buffered ahead of JavaScript.
const RESPONSE_BODY_CHUNKS: usize = 8;

/// A subrequest's response body that is whole when the answer comes and at
/// most this long goes to JavaScript with the head, as bytes; a longer one
/// is streamed (and passes through the isolate unread when the Worker
/// answers with it as it is).
const WHOLE_RESPONSE_MAX: usize = 64 * 1024;

/// Moves `body`'s chunks into `sink` until the body ends or JavaScript
/// stops reading.
async fn pump(body: Body, sink: &BodySender) -> Result<(), BodyError> {
    let mut chunks = body.into_stream();
    while let Some(chunk) = chunks.next().await {
        if sink.send(chunk?).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Where the outcome of one event goes.
pub(crate) type Reply = oneshot::Sender<Result<FetchResponse, RuntimeError>>;

/// The runtime's [`Host`] for one isolate.
pub(crate) struct IsolateHost {
    spec: Arc<WorkerSpec>,
    /// Events waiting for their outcome.
    pending: RefCell<HashMap<u64, Reply>>,
    /// Async ops not yet settled, with the event whose turn started them.
    ops: RefCell<HashMap<OpId, Option<u64>>>,
    /// The event the running turn is charged to.
    current_event: Cell<Option<u64>>,
    /// The CPU account the running turn draws on (none at the top level).
    current_account: RefCell<Option<Arc<CpuAccount>>>,
    /// Host work: ops whose Rust work may take long.
    work: HostWork,
    /// Unsettled `waitUntil` promises, per event.
    waits: RefCell<HashMap<u64, usize>>,
    /// Request and response bodies being streamed.
    streams: BodyStreams,
    actor: Rc<OnceCell<WeakAddr<IsolateActor>>>,
    /// What arrived on the isolate's WebSockets, waiting for the actor.
    socket_inbox: Arc<crate::isolate_actor::SocketInbox>,
    /// Where subrequests go.
    outbound: Outbound,
    /// `fetch()` calls made so far, per event.
    subrequests: RefCell<HashMap<u64, u32>>,
    /// Each event's depth in a chain of service-binding calls.
    depths: RefCell<HashMap<u64, u32>>,
    /// Each request's id, carried on to service-binding calls.
    request_ids: RefCell<HashMap<u64, crate::RequestId>>,
    /// Events whose handler called `ctx.passThroughOnException()`.
    pass_through: RefCell<std::collections::HashSet<u64>>,
    /// Subrequests in flight by the prelude's token, for `fetch_abort`:
    /// the request until its head arrives, then its body.
    aborts: Rc<RefCell<HashMap<u64, AbortHandle>>>,
    /// What the pure ops of `motu_webapi` keep for this isolate.
    op_state: motu_webapi::OpState,
    /// The Worker's log budget, shared with its other isolates.
    log_rate: Arc<LogRate>,
    /// Set once the isolate takes no new events: its calls of Durable
    /// Objects say so (`crate::durable::draining`).
    draining: crate::durable::draining::FromDraining,
    /// Its storage bindings (KV, D1, R2) and their operation counts.
    bindings: crate::bindings::Bindings,
    /// The Worker's ends of its WebSockets.
    sockets: Rc<crate::websocket::Sockets>,
    /// Where each queue or email event's report goes (`queue_result` and
    /// `email_result` ops).
    reports: RefCell<HashMap<u64, oneshot::Sender<HostValue>>>,
    /// Its open `cloudflare:sockets` connections.
    tcp_sockets: crate::sockets::Sockets,
    /// The Durable Objects it hosts.
    durable: crate::durable::objects::Objects,
    /// The peers its RPC stubs call into, and its RPC events' answers.
    rpc: crate::rpc::Peers,
    /// What this isolate exported that other isolates still hold.
    held_exports: crate::rpc::HeldExports,
    /// Its events' traces, for its Worker's Tail Workers (a dynamic
    /// Worker's `tails`).
    traces: crate::dynamic::tails::Traces,
}

/// The longest log line a Worker's `console` call or uncaught exception
/// writes, in bytes of text; the rest is cut (the prelude already cuts
/// `console` lines at 16384 characters).
pub(crate) const MAX_LINE_BYTES: usize = 64 << 10;

/// `text`, cut to at most `max` bytes (on a character boundary) with a note
/// of how much was cut.
fn cap_line(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return text.into();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... {} more bytes", &text[..end], text.len() - end).into()
}

impl IsolateHost {
    /// The host of an isolate of `spec`, whose subrequests go to `outbound`
    /// and whose host work is charged under `watchdog`.
    pub(crate) fn new(
        spec: Arc<WorkerSpec>,
        outbound: Outbound,
        watchdog: Option<Watchdog>,
        storage: &crate::Storage,
    ) -> Self {
        let sockets: Rc<crate::websocket::Sockets> = Rc::default();
        // The hosts this Worker's bindings open to it (a Hyperdrive's
        // database), on top of the server's policy.
        let outbound = outbound.with_hosts(&spec.egress_hosts);
        Self {
            draining: Default::default(),
            bindings: crate::bindings::Bindings::new(
                storage,
                &spec.storage,
                &spec.name,
                spec.sandboxed,
            ),
            reports: RefCell::new(HashMap::new()),
            sockets: sockets.clone(),
            outbound,
            subrequests: RefCell::new(HashMap::new()),
            depths: RefCell::new(HashMap::new()),
            request_ids: RefCell::new(HashMap::new()),
            pass_through: RefCell::new(Default::default()),
            aborts: Rc::new(RefCell::new(HashMap::new())),
            pending: RefCell::new(HashMap::new()),
            ops: RefCell::new(HashMap::new()),
            current_event: Cell::new(None),
            current_account: RefCell::new(None),
            work: HostWork::new(watchdog),
            waits: RefCell::new(HashMap::new()),
            streams: BodyStreams::default(),
            actor: Rc::new(OnceCell::new()),
            socket_inbox: Arc::default(),
            op_state: motu_webapi::OpState::new(),
            log_rate: LogRate::of(&spec.name),
            tcp_sockets: Default::default(),
            durable: crate::durable::objects::Objects::new(
                &spec.name,
                storage,
                spec.durable_idle,
                spec.platform_compat.delete_all_deletes_alarm,
                sockets,
            ),
            rpc: Default::default(),
            held_exports: Default::default(),
            traces: crate::dynamic::tails::Traces::new(&spec.name, &spec.tails),
            spec,
        }
    }

    /// Lets the pure ops see when the isolate is being terminated, so that
    /// one on a large input gives up early.
    pub(crate) fn set_interrupt(&self, interrupt: motu_engine::InterruptHandle) {
        self.op_state.set_interrupt(interrupt);
    }

    /// Tells the host which actor settles its async ops.
    pub(crate) fn bind(&self, actor: WeakAddr<IsolateActor>) {
        let sink = actor.clone();
        self.work.bind(Arc::new(move |ticket, outcome| {
            if let Some(addr) = sink.upgrade() {
                addr.do_send(WorkDone { ticket, outcome });
            }
        }));
        let _ = self.actor.set(actor);
    }

    /// Remembers where event `id`'s outcome goes.
    pub(crate) fn expect(&self, id: u64, reply: Reply) {
        self.pending.borrow_mut().insert(id, reply);
    }

    /// Queue or email event `id` reports what its handler did to `report`
    /// (the `queue_result` or `email_result` op), before its outcome.
    pub(crate) fn expect_report(&self, id: u64, report: oneshot::Sender<HostValue>) {
        self.reports.borrow_mut().insert(id, report);
    }

    /// Charges the turn about to run (and the ops it starts) to `event`,
    /// whose host work draws on `account` (`None` at the top level).
    pub(crate) fn set_current_event(&self, event: Option<u64>, account: Option<Arc<CpuAccount>>) {
        self.current_event.set(event);
        *self.current_account.borrow_mut() = account;
        self.work.turn_starts();
    }

    /// The flag that host work run within a turn checks; the turn's
    /// interrupt sets it.
    pub(crate) fn turn_cancel(&self) -> motu_webapi::Cancel {
        self.work.turn_cancel()
    }

    /// Host work under `ticket` ended: what the actor should do.
    pub(crate) fn work_finished(
        &self,
        ticket: u64,
        outcome: crate::work::pool::Outcome,
    ) -> Finished {
        self.work.finished(ticket, outcome)
    }

    /// The `work_room` op to settle now, if one can go on.
    pub(crate) fn next_with_room(&self) -> Option<OpId> {
        self.work.next_with_room()
    }

    /// The turn that settled a `work_room` op is over.
    pub(crate) fn room_pass_over(&self) {
        self.work.pass_over();
    }

    /// Cancels all host work (the isolate is going away).
    pub(crate) fn cancel_work(&self) {
        self.work.cancel_all();
    }

    /// `work(name, …args)`: runs host work op `name` or hands it out.
    fn call_work(&self, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        let mut args = args.into_iter();
        let name = match args.next() {
            Some(HostValue::String(name)) => name,
            _ => return Err(JsError::type_error("work: argument 0 must be an op name")),
        };
        let event = self.current_event.get();
        let account = self.current_account.borrow().clone();
        if name == "durable_flush" {
            let work = self.durable.flush_work(args.collect())?;
            return Ok(self.work.call(work, event, account)?.into_value());
        }
        if name == "storage" {
            // A storage binding's method: counted once the work is taken.
            let take_sink = |handle| self.streams.take_sink_body(handle, None);
            let (work, limit) = self.bindings.work(event, args.collect(), &take_sink)?;
            let answer = self.work.call(work, event, account)?;
            if let (Some(event), false) = (event, matches!(answer, crate::work::Answer::Busy)) {
                self.bindings.count(event, limit);
            }
            return Ok(answer.into_value());
        }
        let work = motu_webapi::work(&self.op_state, &name, args.collect())
            .unwrap_or_else(|| Err(JsError::type_error(format!("unknown work op '{name}'"))))?;
        let answer = self.work.call(work, event, account)?;
        Ok(answer.into_value())
    }

    /// Forgets a settled op and tells which event started it.
    pub(crate) fn op_finished(&self, id: OpId) -> Option<u64> {
        self.ops.borrow_mut().remove(&id).flatten()
    }

    /// How many events wait for their outcome.
    pub(crate) fn pending_events(&self) -> usize {
        self.pending.borrow().len()
    }

    /// Whether event `id` still waits for its outcome.
    pub(crate) fn is_pending(&self, id: u64) -> bool {
        self.pending.borrow().contains_key(&id)
    }

    /// Events whose `waitUntil` promises have not all settled.
    pub(crate) fn waiting_events(&self) -> Vec<u64> {
        self.waits.borrow().keys().copied().collect()
    }

    /// Whether event `id` has unsettled `waitUntil` promises.
    pub(crate) fn is_waiting(&self, id: u64) -> bool {
        self.waits.borrow().contains_key(&id)
    }

    /// Forgets what is counted per event for events that are over: answered
    /// and with no `waitUntil` work left.
    pub(crate) fn forget_finished_events(&self) {
        let live = |id: &u64| self.is_pending(*id) || self.is_waiting(*id);
        self.subrequests.borrow_mut().retain(|id, _| live(id));
        self.depths.borrow_mut().retain(|id, _| live(id));
        self.request_ids.borrow_mut().retain(|id, _| live(id));
        self.pass_through.borrow_mut().retain(live);
        self.bindings.forget(|id| live(&id));
        self.rpc.forget(|id| live(&id));
        self.sockets.forget_pending(|id| live(&id));
        self.durable.forget_unanswered(|id| live(&id));
        if self.durable.has_reset_events() {
            // A reset object's event whose code may still run: going on,
            // or with an op outstanding (its code runs when it settles).
            let running: std::collections::HashSet<u64> =
                self.ops.borrow().values().flatten().copied().collect();
            self.durable
                .forget_reset_events(|id| live(&id) || running.contains(&id));
        }
        // A socket lives as long as its event, or while the event's
        // response still streams (a socket piped into it).
        self.tcp_sockets
            .forget(|id| live(&id) || self.is_streaming(id));
    }

    /// Where this isolate's sockets deliver what arrives.
    fn socket_owner(&self) -> Result<Arc<dyn crate::websocket::SocketOwner>, JsError> {
        let actor = self
            .actor
            .get()
            .cloned()
            .ok_or_else(|| JsError::new("Error", "WebSockets need a running isolate"))?;
        Ok(Arc::new(crate::isolate_actor::IsolateOwner::new(
            actor,
            self.socket_inbox.clone(),
        )))
    }

    /// The network end of the socket a 101 response of event `id` hands
    /// over: a pair's handle (a number), `['hibernatable', id]` for a
    /// socket a Durable Object accepted with `ctx.acceptWebSocket`, or
    /// `['forwarded', handle]` for a subrequest's socket handed on.
    fn response_socket(
        &self,
        id: u64,
        socket: HostValue,
    ) -> Result<Option<crate::websocket::WebSocketLink>, JsError> {
        let unknown = || JsError::type_error("respond: unknown WebSocket");
        let link = match socket {
            HostValue::Number(handle) => {
                let handle = handle as u32;
                let pump = self
                    .sockets
                    .link(handle, self.socket_owner()?)
                    .ok_or_else(unknown)?;
                self.durable.socket_linked(id, handle);
                crate::websocket::WebSocketLink::new(pump)
            }
            HostValue::List(list) => match list.as_slice() {
                [HostValue::String(kind), HostValue::Number(h)] if kind == "hibernatable" => {
                    let pump = self
                        .durable
                        .take_hibernatable(*h as u32)
                        .ok_or_else(unknown)?;
                    crate::websocket::WebSocketLink::new(pump)
                }
                [HostValue::String(kind), HostValue::Number(h)] if kind == "forwarded" => {
                    self.sockets.take_forwarded(*h as u32).ok_or_else(unknown)?
                }
                _ => return Err(unknown()),
            },
            _ => return Ok(None),
        };
        Ok(Some(link))
    }

    /// `ws_adopt(handle)`: the Worker accepts the subrequest's socket kept
    /// under `handle`; its new handle.
    fn ws_adopt(&self, args: &[HostValue]) -> Result<HostValue, JsError> {
        let handle = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u32;
        let link = self
            .sockets
            .take_forwarded(handle)
            .ok_or_else(|| JsError::type_error("accept(): this WebSocket is gone"))?;
        let owner = self.socket_owner()?;
        Ok(HostValue::Number(link.adopt(&self.sockets, owner).into()))
    }

    /// What arrived on the isolate's WebSockets, waiting for the actor.
    pub(crate) fn socket_inbox(&self) -> &crate::isolate_actor::SocketInbox {
        &self.socket_inbox
    }

    /// `performance.now()` as the isolate's JavaScript would read it now.
    pub(crate) fn perf_now(&self) -> f64 {
        self.op_state.perf_now_ms()
    }

    /// Whether the isolate's socket `socket` is open.
    pub(crate) fn socket_open(&self, socket: u32) -> bool {
        self.sockets.is_open(socket)
    }

    /// Whether another isolate holds a stub of something this isolate
    /// exported, and so may still call in (see `crate::rpc::HeldExports`).
    pub(crate) fn exports_held(&self) -> bool {
        self.held_exports.any()
    }

    /// How many WebSockets the isolate holds open.
    pub(crate) fn open_sockets(&self) -> usize {
        self.sockets.open_count()
    }

    /// How many WebSockets the isolate holds open, after forgetting those
    /// whose network end is gone unsent.
    pub(crate) fn prune_sockets(&self) -> usize {
        self.sockets.prune()
    }

    /// Closes every WebSocket of the isolate with `code` and `reason`.
    pub(crate) fn close_sockets(&self, code: u16, reason: &str) -> usize {
        self.sockets.close_all(code, reason)
    }

    /// Socket `socket`'s close event is being delivered.
    pub(crate) fn socket_closed(&self, socket: u32) {
        self.sockets.closed(socket);
    }

    /// The WebSocket messages the next turns send wait until
    /// [`IsolateHost::flush_socket_sends`] (a batch of socket turns).
    pub(crate) fn defer_socket_sends(&self) {
        self.sockets.defer();
    }

    /// Writes the WebSocket messages deferred since
    /// [`IsolateHost::defer_socket_sends`].
    pub(crate) fn flush_socket_sends(&self) {
        self.sockets.flush();
    }

    /// `ws_send(handle, data)`: `true`, or why the socket was closed.
    fn ws_send(&self, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        let mut args = args.into_iter();
        let handle = args.next().and_then(|h| h.as_f64()).unwrap_or(-1.0) as u32;
        let message = match args.next() {
            Some(HostValue::String(text)) => crate::websocket::sockets::text(text),
            Some(HostValue::Bytes(bytes)) => crate::websocket::sockets::binary(bytes),
            _ => {
                return Err(JsError::type_error(
                    "ws_send: the data must be a string or bytes",
                ))
            }
        };
        Ok(match self.sockets.send(handle, message) {
            None => HostValue::Bool(true),
            Some(reason) => HostValue::String(reason),
        })
    }

    /// Settles async op `id` with what `work` produces, on this isolate's
    /// thread, unless the isolate has gone by then.
    fn spawn_op(
        &self,
        id: OpId,
        work: impl std::future::Future<Output = Result<HostValue, JsError>> + 'static,
    ) {
        self.ops.borrow_mut().insert(id, self.current_event.get());
        let actor = self.actor.clone();
        actix_rt::spawn(async move {
            let result = work.await;
            if let Some(addr) = actor.get().and_then(WeakAddr::upgrade) {
                addr.do_send(OpDone { id, result });
            }
        });
    }

    /// Event `id` began: it is traced, if the Worker has Tail Workers.
    pub(crate) fn trace_begin(&self, id: u64, event: crate::dynamic::tails::TracedEvent) {
        self.traces.begin(id, event);
    }

    /// Whether the Worker's events are traced (it has Tail Workers).
    pub(crate) fn traced(&self) -> bool {
        self.traces.on()
    }

    /// Event `id` is over (`evicted`: its isolate went for that reason):
    /// its trace goes to the Worker's Tail Workers.
    pub(crate) fn trace_end(&self, id: u64, evicted: Option<crate::supervisor::EvictionReason>) {
        self.traces.end(id, evicted, self.outbound.rpc());
    }

    /// The isolate went for `reason`: every event still traced is over.
    pub(crate) fn trace_end_all(&self, reason: crate::supervisor::EvictionReason) {
        self.traces.end_all(reason, self.outbound.rpc());
    }

    /// Records event `id`'s depth in a chain of service-binding calls.
    pub(crate) fn set_depth(&self, id: u64, depth: u32) {
        if depth > 0 {
            self.depths.borrow_mut().insert(id, depth);
        }
    }

    /// Records event `id`'s request id, if it has one.
    pub(crate) fn set_request_id(&self, id: u64, request_id: Option<crate::RequestId>) {
        if let Some(request_id) = request_id {
            self.request_ids.borrow_mut().insert(id, request_id);
        }
    }

    /// Starts a service-binding call: `service_fetch(token, service, method,
    /// url, headers, body)`, counted as a subrequest of the event.
    fn start_service_fetch(&self, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        let (service, request) = crate::service::call_from_args(&args)?;
        let token = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
        let callee = crate::service::Callee {
            entrypoint: crate::service::entrypoint_from_args(&args),
            props: crate::service::props_from_args(&args),
        };
        crate::dynamic::ops::may_call(
            &self.spec,
            &service,
            callee.entrypoint.as_deref(),
            callee.props.as_ref(),
        )?;
        self.call_service(request, args.get(5), id, token, service, callee)
    }

    /// Sends `request` (its body streamed from `body` when it is a sink) to
    /// `callee` of Worker `service` as a service binding's call, counted as
    /// a subrequest of the event.
    fn call_service(
        &self,
        mut request: crate::fetch::OutboundRequest,
        body: Option<&HostValue>,
        id: OpId,
        token: u64,
        service: String,
        callee: crate::service::Callee,
    ) -> Result<(), JsError> {
        let event = self.count_subrequest()?;
        self.attach_streamed_body(&mut request, body)?;
        let dispatcher = self
            .outbound
            .dispatcher()
            .cloned()
            .ok_or_else(|| JsError::new("Error", "service bindings are not available"))?;
        let depth = self.depths.borrow().get(&event).copied().unwrap_or(0) + 1;
        let request_id = self.request_ids.borrow().get(&event).cloned();
        self.spawn_subrequest(
            id,
            token,
            crate::service::call(dispatcher, service, request, depth, request_id, callee),
        );
        Ok(())
    }

    /// Starts a Durable Object stub's fetch: `durable_fetch(token, target,
    /// method, url, headers, body)` with `target` the JSON of `[binding
    /// index, id, name]`, counted as a subrequest of the event.
    fn start_durable_fetch(&self, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        let event = self.count_subrequest()?;
        let (target, mut request) = crate::service::call_from_args(&args)?;
        let target = self.object_target(&target)?;
        self.attach_streamed_body(&mut request, args.get(5))?;
        let dispatcher = self
            .outbound
            .dispatcher()
            .cloned()
            .ok_or_else(|| JsError::new("Error", "Durable Objects are not available"))?;
        let depth = self.depths.borrow().get(&event).copied().unwrap_or(0) + 1;
        let request_id = self.request_ids.borrow().get(&event).cloned();
        let token = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
        self.spawn_subrequest(
            id,
            token,
            crate::service::call_object(
                dispatcher,
                self.outbound.objects().cloned(),
                target,
                request,
                depth,
                request_id,
                self.draining.clone(),
            ),
        );
        Ok(())
    }

    /// The object a stub names: `[binding, id, name]` as JSON.
    fn object_target(&self, text: &str) -> Result<crate::ObjectTarget, JsError> {
        let bad = || JsError::type_error("Durable Object: a malformed stub");
        let (index, rest) = text.split_once(':').ok_or_else(bad)?;
        let (id, name) = match rest.split_once(':') {
            Some((id, name)) => (id, Some(name.to_owned())),
            None => (rest, None),
        };
        let binding = index
            .parse::<usize>()
            .ok()
            .and_then(|i| self.spec.durable.get(i))
            .ok_or_else(bad)?;
        // Stubs are made from checked ids only; checked again, since the id
        // names a file.
        crate::durable::id::check(&binding.namespace, id).map_err(|_| bad())?;
        Ok(crate::ObjectTarget {
            worker: binding.worker.clone(),
            class: binding.class.clone(),
            namespace: binding.namespace.clone(),
            id: id.to_owned(),
            name,
            attempt: 0,
        })
    }

    /// The isolate takes no new events from now on: its later calls of
    /// Durable Objects say so (`crate::durable::draining`).
    pub(crate) fn set_draining(&self) {
        self.draining.set();
    }

    /// The Durable Objects it hosts.
    pub(crate) fn durable_objects(&self) -> &crate::durable::objects::Objects {
        &self.durable
    }

    /// The RPC state of the isolate (`crate::rpc`).
    pub(crate) fn rpc_peers(&self) -> &crate::rpc::Peers {
        &self.rpc
    }

    /// Starts an RPC call: `rpc_call(kind, a, b, path, isCall, wire,
    /// grant, streams, writers, props)` (see `crate::rpc`; `props`, the
    /// callee's `ctx.props` in wire form, only for a service), counted as a
    /// subrequest of the event. Settles with `[threw, wire, peer, streams,
    /// writers]`.
    fn start_rpc_call(&self, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        let event = self.count_subrequest()?;
        let target =
            crate::rpc::Target::from_args(&args, &self.rpc, |text| self.object_target(text))?;
        if let crate::rpc::Target::Entrypoint {
            worker,
            entrypoint,
            props,
        } = &target
        {
            crate::dynamic::ops::may_call(&self.spec, worker, entrypoint.as_deref(), Some(props))?;
        }
        let mut args = args.into_iter().skip(3);
        let path = match args.next() {
            Some(HostValue::List(path)) => path
                .into_iter()
                .map(|p| match p {
                    HostValue::String(s) => Ok(s),
                    _ => Err(JsError::type_error("rpc_call: the path must be strings")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(JsError::type_error("rpc_call: the path must be a list")),
        };
        let call = matches!(args.next(), Some(HostValue::Bool(true)));
        let wire = args.next().unwrap_or_default();
        crate::rpc::check_size(&wire).map_err(|m| JsError::new("RangeError", m))?;
        let grant = args.next().and_then(|g| g.as_f64());
        let streams = self.rpc_streams(args.next(), args.next(), None)?;
        let me = self.actor.get().cloned();
        let origin = match (grant, me) {
            (Some(grant), Some(isolate)) => Some(crate::rpc::Origin {
                isolate,
                grant: grant as u64,
                _held: self.held_exports.hold(),
            }),
            _ => None,
        };
        let call = crate::rpc::CallEvent {
            receiver: crate::rpc::Receiver::Export(0),
            path,
            call,
            args: wire,
            origin,
            streams,
            depth: self.depths.borrow().get(&event).copied().unwrap_or(0) + 1,
            request_id: self.request_ids.borrow().get(&event).cloned(),
            from_draining: matches!(target, crate::rpc::Target::Object(_))
                .then(|| self.draining.clone()),
        };
        let registry = self.outbound.rpc().cloned();
        let objects = self.outbound.objects().cloned();
        let actor = self.actor.clone();
        self.ops.borrow_mut().insert(id, Some(event));
        actix_rt::spawn(async move {
            let answer = crate::rpc::route(registry, objects, target, call).await;
            let Some(addr) = actor.get().and_then(WeakAddr::upgrade) else {
                return;
            };
            // The answer's stubs are reached through a peer of the event.
            let result = answer.map(|answer| (answer, event));
            addr.do_send(crate::rpc::Answered { id, result });
        });
        Ok(())
    }

    /// The streams of an RPC value: the bodies of the sinks `handles` and
    /// the producing ends of the pipes `writers` (lists of numbers);
    /// `responds_to`: the event whose answer the bodies stream in.
    fn rpc_streams(
        &self,
        handles: Option<HostValue>,
        writers: Option<HostValue>,
        responds_to: Option<u64>,
    ) -> Result<crate::rpc::Streams, JsError> {
        let numbers = |list: Option<HostValue>| match list {
            Some(HostValue::List(l)) => l
                .iter()
                .map(|h| h.as_f64().unwrap_or(-1.0) as u32)
                .collect(),
            _ => Vec::new(),
        };
        let missing = || JsError::type_error("RPC: a stream of the value is not available");
        let bodies = numbers(handles)
            .into_iter()
            .map(|h| {
                self.streams
                    .take_sink_body(h, responds_to)
                    .ok_or_else(missing)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let writers = numbers(writers)
            .into_iter()
            .map(|w| self.streams.take_pipe_writer(w).ok_or_else(missing))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::rpc::Streams::new(bodies, writers))
    }

    /// `rpc_result(id, threw, wire, grant, streams, writers)`: RPC event `id`'s
    /// answer; the event is over (its streams go on).
    fn rpc_result(&self, args: Vec<HostValue>) -> Result<(), JsError> {
        let mut args = args.into_iter();
        let id = args.next().and_then(|v| v.as_f64()).unwrap_or(-1.0) as u64;
        let mut threw = matches!(args.next(), Some(HostValue::Bool(true)));
        let mut value = args.next().unwrap_or_default();
        let mut origin = args
            .next()
            .and_then(|g| g.as_f64())
            .zip(self.actor.get().cloned())
            .map(|(grant, isolate)| crate::rpc::Origin {
                isolate,
                grant: grant as u64,
                _held: self.held_exports.hold(),
            });
        let streams = self.rpc_streams(args.next(), args.next(), Some(id))?;
        if let Err(message) = crate::rpc::check_size(&value) {
            (threw, value, origin) = (true, crate::rpc::wire_error("RangeError", message), None);
        }
        let answer = crate::rpc::Answer {
            threw,
            value,
            origin,
            streams,
        };
        if self.rpc.answer(id, answer) {
            self.finish(id, Ok(FetchResponse::new(Default::default())));
        }
        Ok(())
    }

    /// An RPC call's answer arrived for op `id`, started by `event`: what
    /// the prelude gets, `[threw, wire, peer, streams, writers]`, or a
    /// primitive result as itself when nothing comes beside it (most
    /// calls: no list to make and read).
    pub(crate) fn rpc_answered(&self, answer: crate::rpc::Answer, event: u64) -> HostValue {
        let (bodies, writers) = answer.streams.take();
        let primitive = !matches!(
            answer.value,
            HostValue::List(_) | HostValue::Map(_) | HostValue::Bytes(_) | HostValue::Chunks(_)
        );
        if primitive
            && !answer.threw
            && answer.origin.is_none()
            && bodies.is_empty()
            && writers.is_empty()
        {
            return answer.value;
        }
        let peer = answer.origin.map_or(HostValue::Null, |origin| {
            HostValue::Number(self.rpc.register(origin, event).into())
        });
        let streams = bodies
            .into_iter()
            .map(|body| HostValue::Number(self.open_readable_for(body, event).into()))
            .collect();
        let writers = writers
            .into_iter()
            .map(|w| HostValue::Number(self.adopt_sink_for(w, event).into()))
            .collect();
        HostValue::List(vec![
            HostValue::Bool(answer.threw),
            answer.value,
            peer,
            HostValue::List(streams),
            HostValue::List(writers),
        ])
    }

    /// Starts a call to the assets binding: `assets_fetch(token, binding,
    /// method, url, headers, body)`. Not counted as a subrequest.
    fn start_assets_fetch(&self, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        if self.current_event.get().is_none() {
            return Err(JsError::new(
                "Error",
                "the assets binding can only be called while handling an event, not at the top level",
            ));
        }
        let fetcher = self
            .spec
            .assets
            .as_ref()
            .map(|a| a.fetcher.clone())
            .ok_or_else(|| JsError::new("Error", "this Worker has no assets binding"))?;
        let (_, mut request) = crate::service::call_from_args(&args)?;
        self.attach_streamed_body(&mut request, args.get(5))?;
        let token = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
        self.spawn_subrequest(id, token, crate::service::ask_assets(fetcher, request));
        Ok(())
    }

    /// A subrequest body given as a sink's handle streams from JavaScript.
    fn attach_streamed_body(
        &self,
        request: &mut crate::fetch::OutboundRequest,
        body: Option<&HostValue>,
    ) -> Result<(), JsError> {
        if let Some(HostValue::Number(handle)) = body {
            let body = self
                .take_sink_body(*handle as u32)
                .ok_or_else(|| JsError::type_error("the request body stream is not available"))?;
            request.body = Some(body);
        }
        Ok(())
    }

    /// Counts one subrequest against the current event's limit, and tells
    /// which event that is.
    fn count_subrequest(&self) -> Result<u64, JsError> {
        let Some(event) = self.current_event.get() else {
            return Err(JsError::new(
                "Error",
                "fetch() can only be called while handling an event, not at the top level",
            ));
        };
        // Nothing leaves a Durable Object that was reset.
        if let Some(message) = self.durable.reset_event(event) {
            return Err(JsError::new("Error", message.to_string()));
        }
        let limit = self.spec.limits.subrequests;
        {
            let mut counts = self.subrequests.borrow_mut();
            let count = counts.entry(event).or_default();
            if *count >= limit {
                return Err(JsError::new(
                    "Error",
                    format!(
                        "Too many subrequests: this event may make at most {limit} fetch() calls"
                    ),
                ));
            }
            *count += 1;
        }
        Ok(event)
    }

    /// Starts a subrequest: `fetch(token, method, url, headers, body,
    /// redirect)`, counted against the event's `subrequests` limit.
    /// A `data:` URL is answered without network and not counted.
    fn start_fetch(&self, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        let token = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
        let mut request = crate::fetch::request_from_args(&args)?;
        if request.url.scheme() == "data" {
            let answer = crate::fetch::data_url_response(request.url);
            self.spawn_subrequest(id, token, async move { answer });
            return Ok(());
        }
        if let crate::GlobalOutbound::Service {
            worker,
            entrypoint,
            props,
        } = &self.spec.global_outbound
        {
            // A dynamic Worker whose `fetch()` goes to a service binding.
            let callee = crate::service::Callee {
                entrypoint: entrypoint.clone(),
                props: Some(props.clone())
                    .filter(|p| !matches!(p, HostValue::Undefined | HostValue::Null)),
            };
            return self.call_service(request, args.get(4), id, token, worker.clone(), callee);
        }
        self.network_allowed()?;
        self.count_subrequest()?;
        self.attach_streamed_body(&mut request, args.get(4))?;
        let outbound = self.outbound.clone();
        self.spawn_subrequest(id, token, async move { outbound.send(request).await });
        Ok(())
    }

    /// Refuses network access to a Worker whose `globalOutbound` does not
    /// go out (a dynamic Worker's `null`, or a service binding, through
    /// which only `fetch()` goes).
    fn network_allowed(&self) -> Result<(), JsError> {
        match &self.spec.global_outbound {
            crate::GlobalOutbound::Inherit => Ok(()),
            crate::GlobalOutbound::Blocked => Err(JsError::new("Error", crate::dynamic::BLOCKED)),
            crate::GlobalOutbound::Service { .. } => Err(JsError::new(
                "Error",
                "This worker's network access goes through its globalOutbound binding, which only fetch() uses",
            )),
        }
    }

    /// The async ops of `cloudflare:sockets` (runtime/src/sockets).
    fn start_socket(&self, op: &str, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        let number = |i: usize| args.get(i).and_then(HostValue::as_f64).unwrap_or(0.0);
        let string = |i: usize| {
            args.get(i)
                .and_then(HostValue::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let sockets = self.tcp_sockets.clone();
        match op {
            "socket_connect" => {
                self.network_allowed()?;
                let event = self.count_subrequest()?;
                let (host, port) = (string(0), number(1) as u16);
                let tls = matches!(args.get(2), Some(HostValue::Bool(true)));
                let half_open = matches!(args.get(3), Some(HostValue::Bool(true)));
                // node:tls may name the server apart from the host, and
                // give the certificates it trusts.
                let tls = tls.then(|| crate::sockets::TlsOptions {
                    server_name: args
                        .get(4)
                        .and_then(HostValue::as_str)
                        .unwrap_or(&host)
                        .to_owned(),
                    ca: args.get(5).and_then(HostValue::as_str).map(str::to_owned),
                });
                let (sink, body) = Body::channel(crate::sockets::READ_AHEAD);
                let readable = self.open_readable(body);
                let policy = self.outbound.policy().clone();
                // A Hyperdrive's database whose TLS the host speaks.
                let database = self
                    .spec
                    .database_tls
                    .iter()
                    .find(|d| d.serves(&host, port))
                    .cloned();
                self.spawn_op(id, async move {
                    let connected =
                        crate::sockets::connect(&policy, &host, port, tls, database).await?;
                    Ok(sockets.register(event, connected, sink, readable, half_open))
                });
            }
            "socket_write" => {
                let writer = sockets.writer(number(0) as u32)?;
                let bytes = match args.into_iter().nth(1) {
                    Some(HostValue::Bytes(b)) => b,
                    _ => {
                        return Err(JsError::type_error(
                            "socket_write: argument 1 must be bytes",
                        ))
                    }
                };
                self.spawn_op(id, crate::sockets::write(writer, bytes));
            }
            "socket_shutdown" => {
                let writer = sockets.writer(number(0) as u32)?;
                self.spawn_op(id, crate::sockets::shutdown(writer));
            }
            _ => {
                let taken = sockets.take_for_tls(number(0) as u32)?;
                let tls = crate::sockets::TlsOptions {
                    server_name: string(1),
                    ca: args.get(2).and_then(HostValue::as_str).map(str::to_owned),
                };
                let (sink, body) = Body::channel(crate::sockets::READ_AHEAD);
                let readable = self.open_readable(body);
                self.spawn_op(id, async move {
                    sockets.start_tls(taken, tls, sink, readable).await
                });
            }
        }
        Ok(())
    }

    /// Settles op `id` with the head of the response `work` produces, and
    /// streams its body into JavaScript; `fetch_abort(token)` cancels the
    /// request, or its body once the head has arrived.
    fn spawn_subrequest(
        &self,
        id: OpId,
        token: u64,
        work: impl std::future::Future<Output = Result<OutboundResponse, JsError>> + 'static,
    ) {
        let (abort, registration) = AbortHandle::new_pair();
        self.aborts.borrow_mut().insert(token, abort);
        let aborts = self.aborts.clone();
        // The response body streams into JavaScript through a readable
        // opened now, so the promise can settle with the head at once.
        let (sink, body) = Body::channel(RESPONSE_BODY_CHUNKS);
        let handle = self.open_readable(body);
        let dropper = self.streams.dropper(handle);
        let sockets = self.sockets.clone();
        let event = self.current_event.get();
        self.spawn_op(id, async move {
            let sent = Abortable::new(work, registration).await;
            let response = match sent {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => {
                    aborts.borrow_mut().remove(&token);
                    return Err(error);
                }
                Err(Aborted) => {
                    aborts.borrow_mut().remove(&token);
                    return Err(JsError::new("AbortError", "The operation was aborted"));
                }
            };
            let (mut head, body) = response.into_head();
            // A 101 carries a socket: kept for the Worker to hand on or
            // accept (websocket.js).
            let socket = head
                .web_socket
                .take()
                .map(|link| HostValue::Number(sockets.forward(event, link).into()));
            // A small body that is whole already (another Worker's answer,
            // an asset) goes with the head: no readable, no reads.
            let body = match socket {
                Some(_) => body,
                None => match body.into_whole_value(WHOLE_RESPONSE_MAX) {
                    Ok(whole) => {
                        aborts.borrow_mut().remove(&token);
                        dropper.drop_now();
                        return Ok(crate::fetch::response_value(head, whole));
                    }
                    Err(body) => body,
                },
            };
            let (abort, registration) = AbortHandle::new_pair();
            aborts.borrow_mut().insert(token, abort);
            actix_rt::spawn(async move {
                let pumped = Abortable::new(pump(body, &sink), registration).await;
                aborts.borrow_mut().remove(&token);
                match pumped {
                    Ok(Ok(())) => sink.finish(),
                    Ok(Err(e)) => sink.abort(e),
                    Err(Aborted) => sink.abort(BodyError::new("The operation was aborted")),
                }
            });
            let mut value = crate::fetch::response_value(head, HostValue::Number(handle.into()));
            if let (Some(socket), HostValue::Map(fields)) = (socket, &mut value) {
                fields.push(("webSocket".into(), socket));
            }
            Ok(value)
        });
    }

    /// Forgets the `waitUntil` promises of every event.
    pub(crate) fn forget_waits(&self) {
        self.waits.borrow_mut().clear();
    }

    /// How many async ops have not settled yet.
    pub(crate) fn pending_ops(&self) -> usize {
        self.ops.borrow().len()
    }

    /// Makes `body` readable from JavaScript as a stream (the prelude reads
    /// it with the `body_read` op); returns its handle. The stream belongs to
    /// the event of the running turn and is released when that event ends.
    /// (For subrequest response bodies.)
    pub(crate) fn open_readable(&self, body: Body) -> u32 {
        self.streams.open_readable(body, self.current_event.get())
    }

    /// Like [`open_readable`](Self::open_readable), for event `event`.
    pub(crate) fn open_readable_for(&self, body: Body, event: u64) -> u32 {
        self.streams.open_readable(body, Some(event))
    }

    /// A sink of `event` writing into a pipe another isolate sent (a
    /// `WritableStream` over RPC); its handle.
    pub(crate) fn adopt_sink_for(&self, writer: crate::body::BodySender, event: u64) -> u32 {
        self.streams.adopt_sink(writer, Some(event))
    }

    /// Takes the body JavaScript writes into the sink `handle` (opened with
    /// `body_sink_open`), as it is produced; `None` if there is no such sink
    /// or its body was taken already. (For subrequest request bodies.)
    pub(crate) fn take_sink_body(&self, handle: u32) -> Option<Body> {
        self.streams.take_sink_body(handle, None)
    }

    /// Whether event `id`'s response body is still being produced.
    pub(crate) fn is_streaming(&self, id: u64) -> bool {
        self.streams.is_streaming(id)
    }

    /// How many response bodies are still being produced.
    pub(crate) fn streaming_responses(&self) -> usize {
        self.streams.streaming_responses()
    }

    /// Releases the streams of events that have ended (answered, no
    /// `waitUntil` work, no response body still being produced).
    pub(crate) fn sweep_streams(&self) {
        self.streams
            .sweep(|e| self.is_pending(e) || self.is_waiting(e) || self.streams.is_streaming(e));
    }

    /// Ends every response body still being produced with an error; returns
    /// how many there were.
    pub(crate) fn abort_streaming_responses(&self, message: &str) -> usize {
        self.streams.abort_responses(message)
    }

    /// Releases every stream (the isolate is going away).
    pub(crate) fn release_streams(&self, message: &str) {
        self.streams.release_all(message);
    }

    /// Settles async ops through the actor, from a spawned future.
    fn settler(&self) -> Settle {
        let actor = self.actor.clone();
        Rc::new(move |id, result| {
            if let Some(addr) = actor.get().and_then(WeakAddr::upgrade) {
                addr.do_send(OpDone { id, result });
            }
        })
    }

    /// Fails one event, if it still waits.
    pub(crate) fn fail(&self, id: u64, error: RuntimeError) {
        self.finish(id, Err(error));
    }

    /// Fails every event still waiting for an outcome.
    pub(crate) fn fail_all(&self, error: RuntimeError) {
        for (_, reply) in self.pending.borrow_mut().drain() {
            let _ = reply.send(Err(error.clone()));
        }
    }

    fn finish(&self, id: u64, outcome: Result<FetchResponse, RuntimeError>) {
        // A queue or email event that did not report (it ran out of a
        // limit) never will.
        self.reports.borrow_mut().remove(&id);
        if let Ok(response) = &outcome {
            self.traces.responded(id, response.status().as_u16());
        }
        if let Some(reply) = self.pending.borrow_mut().remove(&id) {
            let _ = reply.send(outcome);
        }
    }

    fn init(&self) -> HostValue {
        let syntax = match self.spec.code.syntax {
            Syntax::Module => "module",
            Syntax::Script => "script",
        };
        HostValue::Map(vec![
            ("syntax".into(), syntax.into()),
            ("env".into(), HostValue::Map(self.spec.vars.clone())),
            (
                "services".into(),
                HostValue::List(
                    self.spec
                        .services
                        .iter()
                        .map(|(b, w)| {
                            let entrypoint = self
                                .spec
                                .service_entrypoints
                                .iter()
                                .find(|(binding, _)| binding == b)
                                .map_or(HostValue::Null, |(_, e)| e.as_str().into());
                            let props = self
                                .spec
                                .service_props
                                .iter()
                                .find(|(binding, _)| binding == b)
                                .map_or(HostValue::Undefined, |(_, p)| p.clone());
                            HostValue::List(vec![
                                b.as_str().into(),
                                w.as_str().into(),
                                entrypoint,
                                props,
                            ])
                        })
                        .collect(),
                ),
            ),
            (
                "assets".into(),
                self.spec
                    .assets
                    .as_ref()
                    .map_or(HostValue::Undefined, |a| a.binding.as_str().into()),
            ),
            (
                "baseURL".into(),
                self.spec
                    .base_url
                    .as_ref()
                    .map_or(HostValue::Undefined, |u| u.as_str().into()),
            ),
            ("storage".into(), self.bindings.init_value()),
            (
                "platform".into(),
                HostValue::List(
                    self.spec
                        .platform
                        .iter()
                        .map(|(name, value)| {
                            HostValue::List(vec![name.as_str().into(), value.clone()])
                        })
                        .collect(),
                ),
            ),
            (
                "durable".into(),
                HostValue::List(
                    self.spec
                        .durable
                        .iter()
                        .map(|d| {
                            HostValue::List(vec![
                                d.binding.as_str().into(),
                                d.namespace.as_str().into(),
                                d.class.as_str().into(),
                                HostValue::Bool(d.worker == self.spec.name),
                            ])
                        })
                        .collect(),
                ),
            ),
            (
                "nodejs".into(),
                crate::builtins::node_init_value(&self.spec.node_compat),
            ),
            (
                "websocketBlob".into(),
                HostValue::Bool(self.spec.platform_compat.websocket_blob),
            ),
            (
                "iterableBodies".into(),
                HostValue::Bool(self.spec.platform_compat.iterable_bodies),
            ),
            ("self".into(), self.spec.name.as_str().into()),
            (
                "ctxExports".into(),
                HostValue::Bool(self.spec.platform_compat.ctx_exports),
            ),
            (
                "mapsPositions".into(),
                HostValue::Bool(self.spec.code.modules.maps_positions()),
            ),
            (
                "requestCf".into(),
                self.spec
                    .request_cf
                    .as_deref()
                    .map_or(HostValue::Undefined, HostValue::from),
            ),
        ])
    }

    /// The `source_positions([name, line, column, …])` op: for each place
    /// in a module's JavaScript, the author's `[line, column]`, or null
    /// where the module was not generated from another file.
    fn source_positions(&self, args: &[HostValue]) -> HostValue {
        let Some(HostValue::List(places)) = args.first() else {
            return HostValue::List(Vec::new());
        };
        let modules = &self.spec.code.modules;
        let number = |v: &HostValue| v.as_f64().filter(|n| *n >= 0.0).map(|n| n as u32);
        HostValue::List(
            places
                .chunks(3)
                .map(|place| match place {
                    [name, line, column] => name
                        .as_str()
                        .zip(number(line).zip(number(column)))
                        .and_then(|(name, (line, column))| {
                            modules.original_position(name, line, column)
                        })
                        .map_or(HostValue::Null, |(line, column)| {
                            HostValue::List(vec![f64::from(line).into(), f64::from(column).into()])
                        }),
                    _ => HostValue::Null,
                })
                .collect(),
        )
    }

    /// Logs one line of `console` output, if the Worker's log rate allows
    /// it.
    fn console(&self, args: &[HostValue]) {
        let level = args.first().and_then(HostValue::as_str).unwrap_or("info");
        let text = args.get(1).and_then(HostValue::as_str).unwrap_or("");
        let text = cap_line(text, MAX_LINE_BYTES);
        self.traces.log(self.current_event.get(), level, &text);
        if !self
            .log_rate
            .admit(text.len(), self.spec.limits.log_bytes_per_s)
        {
            return;
        }
        let worker = self.spec.name.as_str();
        match level {
            "error" => tracing::error!(target: "motu::console", worker, "{text}"),
            "warn" => tracing::warn!(target: "motu::console", worker, "{text}"),
            "debug" => tracing::debug!(target: "motu::console", worker, "{text}"),
            "trace" => tracing::trace!(target: "motu::console", worker, "{text}"),
            _ => tracing::info!(target: "motu::console", worker, "{text}"),
        }
    }

    fn exception(&self, args: &[HostValue]) -> RuntimeError {
        let info = args.get(1);
        let field = |k: &str| {
            info.and_then(|i| i.get(k))
                .and_then(HostValue::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let stack = field("stack");
        let error = JsError {
            name: field("name"),
            message: field("message"),
            stack: (!stack.is_empty()).then_some(stack),
        };
        let shown = cap_line(&error.to_string(), MAX_LINE_BYTES).into_owned();
        let stack = cap_line(error.stack.as_deref().unwrap_or(""), MAX_LINE_BYTES);
        let id = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
        self.traces.exception(id, &error);
        if self.streams.client_fault(id) {
            // The client broke its request body; the gateway answers with
            // a client error, and the Worker is not to blame.
            tracing::debug!(
                worker = self.spec.name.as_str(),
                "exception after the client's request body failed: {error}"
            );
        } else if self
            .log_rate
            .admit(shown.len() + stack.len(), self.spec.limits.log_bytes_per_s)
        {
            tracing::error!(
                worker = self.spec.name.as_str(),
                stack = &*stack,
                "uncaught exception: {shown}"
            );
        }
        RuntimeError::Exception {
            worker: self.spec.name.clone(),
            error,
            pass_through: self.pass_through.borrow_mut().remove(&id),
        }
    }
}

impl Host for IsolateHost {
    fn call(&self, op: &str, args: Vec<HostValue>) -> Result<HostValue, JsError> {
        let event_id =
            |args: &[HostValue]| args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
        if matches!(
            op,
            "respond" | "done" | "fail" | "queue_result" | "email_result"
        ) && self.work.turn_terminated()
        {
            // The watchdog ended this turn (its host work gave up with an
            // error an engine may let JavaScript see first): the event's
            // outcome is the CPU limit's, decided when the turn returns.
            return Ok(HostValue::Undefined);
        }
        match op {
            "respond" => {
                let id = event_id(&args);
                if !self.is_pending(id) {
                    return Ok(HostValue::Undefined);
                }
                let take = |handle, readable| match readable {
                    true => self.streams.take_readable_body(handle),
                    false => self.streams.take_sink_body(handle, Some(id)),
                };
                let socket = args.get(5).cloned();
                let mut outcome =
                    response_from_op(args, take).map_err(|message| RuntimeError::BadResponse {
                        worker: self.spec.name.clone(),
                        message,
                    });
                if let (Some(socket), Ok(response)) = (socket, &mut outcome) {
                    // A 101 hands over the network end of a WebSocket.
                    if let Some(link) = self.response_socket(id, socket)? {
                        response.extensions_mut().insert(link);
                    }
                }
                self.finish(id, outcome);
            }
            "done" => {
                // A scheduled event finished; it has no response to carry.
                self.finish(event_id(&args), Ok(FetchResponse::new(Default::default())));
            }
            "fail" => {
                let error = self.exception(&args);
                self.finish(event_id(&args), Err(error));
            }
            "queue_result" | "email_result" => {
                // A queue event's handler is over: its calls to ack(),
                // retry(), ackAll() and retryAll() (see crate::queues); or
                // an email event's: what it did of the message (see
                // crate::email).
                let id = event_id(&args);
                if let Some(report) = self.reports.borrow_mut().remove(&id) {
                    let _ = report.send(args.into_iter().nth(1).unwrap_or_default());
                }
            }
            "console" => self.console(&args),
            "pass_through" => {
                self.pass_through.borrow_mut().insert(event_id(&args));
            }
            "wait_until" => {
                let id = event_id(&args);
                let delta = args.get(1).and_then(HostValue::as_f64).unwrap_or(0.0);
                let mut waits = self.waits.borrow_mut();
                let count = waits.entry(id).or_default();
                if delta > 0.0 {
                    *count += 1;
                } else {
                    *count = count.saturating_sub(1);
                }
                if *count == 0 {
                    waits.remove(&id);
                }
            }
            "event_live" => {
                // Whether event `id` is still going (answered or not, with
                // `waitUntil` work left): node:fs drops the /tmp of events
                // that are over.
                let id = event_id(&args);
                return Ok(HostValue::Bool(self.is_pending(id) || self.is_waiting(id)));
            }
            "current_event" => {
                // The event whose turn runs (`waitUntil` of `cloudflare:workers`).
                return Ok(self
                    .current_event
                    .get()
                    .map_or(HostValue::Null, |e| HostValue::Number(e as f64)));
            }
            "init" => return Ok(self.init()),
            "source_positions" => return Ok(self.source_positions(&args)),
            "module_bytes" => {
                // The bytes of one of the Worker's Data or CompiledWasm
                // modules (see motu_loader::format).
                let name = args.first().and_then(HostValue::as_str).unwrap_or_default();
                return match self.spec.code.modules.bytes(name) {
                    Some(bytes) => Ok(HostValue::Bytes(bytes.to_vec())),
                    None => Err(JsError::type_error(format!(
                        "the Worker has no Data or CompiledWasm module '{name}'"
                    ))),
                };
            }
            "bundle_files" => {
                // node:fs's /bundle: the Worker's files.
                return Ok(HostValue::List(
                    self.spec
                        .code
                        .modules
                        .bundle_files()
                        .into_iter()
                        .map(HostValue::String)
                        .collect(),
                ));
            }
            "bundle_file" => {
                let name = args.first().and_then(HostValue::as_str).unwrap_or_default();
                return Ok(self
                    .spec
                    .code
                    .modules
                    .bundle_file(name)
                    .map_or(HostValue::Null, |b| HostValue::Bytes(b.to_vec())));
            }
            "body_sink_open" => {
                return Ok(HostValue::Number(
                    self.streams.open_sink(self.current_event.get()) as f64,
                ))
            }
            "body_sink_close" => self.streams.close(&args)?,
            "body_sink_abort" => self.streams.abort(&args)?,
            "body_cancel" => self.streams.cancel(&args)?,
            "work" => return self.call_work(args),
            "durable" => return self.durable.call(args),
            "storage_body" => {
                // A body a storage binding's work parked: a readable of the
                // running event (see bindings::Parking).
                let token = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
                let body = self.bindings.take_parked(token).ok_or_else(|| {
                    JsError::type_error(format!("storage_body: nothing is parked under {token}"))
                })?;
                return Ok(HostValue::Number(self.open_readable(body).into()));
            }
            "work_has_room" => {
                let bytes = args.first().and_then(HostValue::as_f64).unwrap_or(0.0) as usize;
                // At the top level work runs at once, whatever the room.
                let room = self.current_account.borrow().is_none() || self.work.has_room(bytes);
                return Ok(HostValue::Bool(room));
            }
            "ws_pair" => {
                return Ok(HostValue::Number(
                    self.sockets.pair(self.current_event.get()).into(),
                ))
            }
            "ws_send" => return self.ws_send(args),
            "ws_adopt" => return self.ws_adopt(&args),
            "ws_half_open" => {
                self.sockets.half_open(event_id(&args) as u32);
            }
            "durable_ws" => {
                return self.durable.websocket_call(
                    args,
                    self.current_event.get(),
                    self.outbound.dispatcher().cloned(),
                )
            }
            "ws_close" => {
                let handle = event_id(&args) as u32;
                let code = args.get(1).and_then(HostValue::as_f64).unwrap_or(1000.0) as u16;
                let reason = args.get(2).and_then(HostValue::as_str).unwrap_or("");
                self.sockets.close(handle, code, reason.to_owned());
            }
            "socket_close" => {
                let id = args.first().and_then(HostValue::as_f64).unwrap_or(0.0) as u32;
                self.tcp_sockets.close(id);
            }
            "rpc_result" => self.rpc_result(args)?,
            "rpc_pipe" => {
                let (readable, writer) = self.streams.open_pipe();
                return Ok(HostValue::List(vec![
                    HostValue::Number(readable.into()),
                    HostValue::Number(writer.into()),
                ]));
            }
            "rpc_pipe_drop" => {
                let writer = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u32;
                self.streams.drop_pipe(writer);
            }
            "rpc_release_peer" => {
                let handle = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u32;
                self.rpc.release(handle);
            }
            "durable_attend" => {
                let slot = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u32;
                self.durable.attend(slot, self.current_event.get());
            }
            "rpc_dup_peer" => {
                let number = |i: usize| args.get(i).and_then(HostValue::as_f64).unwrap_or(-1.0);
                let handle = self
                    .rpc
                    .duplicate(number(0) as u32, number(1) as u64)
                    .ok_or_else(|| {
                        JsError::new(
                            "Error",
                            "RPC stub is no longer valid: the call or event that received it has ended",
                        )
                    })?;
                return Ok(HostValue::Number(handle.into()));
            }
            "loader_ready" => {
                return crate::dynamic::ops::ready(&self.spec, &self.outbound, &args);
            }
            "fetch_abort" => {
                let token = args.first().and_then(HostValue::as_f64).unwrap_or(-1.0) as u64;
                if let Some(abort) = self.aborts.borrow_mut().remove(&token) {
                    abort.abort();
                }
            }
            _ => {
                return motu_webapi::call(&self.op_state, op, args)
                    .unwrap_or_else(|| Err(JsError::type_error(format!("unknown op '{op}'"))))
            }
        }
        Ok(HostValue::Undefined)
    }

    fn start(&self, op: &str, args: Vec<HostValue>, id: OpId) -> Result<(), JsError> {
        match op {
            "fetch" => self.start_fetch(args, id),
            "service_fetch" => self.start_service_fetch(args, id),
            "durable_fetch" => self.start_durable_fetch(args, id),
            // Settles in a turn of its own (cloudflare/durable.js).
            "durable_yield" => {
                self.spawn_op(id, async { Ok(HostValue::Undefined) });
                Ok(())
            }
            "rpc_call" => self.start_rpc_call(args, id),
            "loader_load" => {
                let loading = crate::dynamic::ops::load(self.spec.clone(), &self.outbound, &args)?;
                self.spawn_op(id, loading);
                Ok(())
            }
            "ws_connect" => {
                self.network_allowed()?;
                self.count_subrequest()?;
                let connecting = crate::websocket::connect(
                    self.outbound.clone(),
                    &args,
                    self.sockets.clone(),
                    self.socket_owner()?,
                    self.current_event.get(),
                )?;
                self.spawn_op(id, connecting);
                Ok(())
            }
            "assets_fetch" => self.start_assets_fetch(args, id),
            "socket_connect" | "socket_write" | "socket_shutdown" | "socket_start_tls" => {
                self.start_socket(op, args, id)
            }
            "dns_lookup" => {
                self.network_allowed()?;
                self.count_subrequest()?;
                let host = args
                    .first()
                    .and_then(HostValue::as_str)
                    .unwrap_or("")
                    .to_owned();
                let policy = self.outbound.policy().clone();
                self.spawn_op(id, async move {
                    crate::sockets::dns::lookup(&policy, &host).await
                });
                Ok(())
            }
            "sleep" => {
                self.ops.borrow_mut().insert(id, self.current_event.get());
                let ms = args
                    .first()
                    .and_then(HostValue::as_f64)
                    .unwrap_or(0.0)
                    .max(0.0);
                let actor = self.actor.clone();
                actix_rt::spawn(async move {
                    actix_rt::time::sleep(Duration::from_micros((ms * 1000.0) as u64)).await;
                    if let Some(addr) = actor.get().and_then(WeakAddr::upgrade) {
                        addr.do_send(OpDone {
                            id,
                            result: Ok(HostValue::Undefined),
                        });
                    }
                });
                Ok(())
            }
            "work_wait" => {
                let ticket = args.first().and_then(HostValue::as_f64).unwrap_or(0.0) as u64;
                self.work.wait(ticket, id)?;
                self.ops.borrow_mut().insert(id, self.current_event.get());
                Ok(())
            }
            "work_room" => {
                let bytes = args.first().and_then(HostValue::as_f64).unwrap_or(0.0) as usize;
                self.work.wait_for_room(id, bytes);
                self.ops.borrow_mut().insert(id, self.current_event.get());
                if let Some(addr) = self.actor.get().and_then(WeakAddr::upgrade) {
                    addr.do_send(WakeRoom);
                }
                Ok(())
            }
            "body_read" => {
                self.streams.read(&args, id, self.settler())?;
                self.ops.borrow_mut().insert(id, self.current_event.get());
                Ok(())
            }
            "body_read_all" => {
                let cap = self.spec.limits.memory_bytes;
                self.streams.read_all(&args, id, self.settler(), cap)?;
                self.ops.borrow_mut().insert(id, self.current_event.get());
                Ok(())
            }
            "body_sink_write" => {
                self.streams.write(args, id, self.settler())?;
                self.ops.borrow_mut().insert(id, self.current_event.get());
                Ok(())
            }
            _ => Err(JsError::type_error(format!("unknown async op '{op}'"))),
        }
    }
}
