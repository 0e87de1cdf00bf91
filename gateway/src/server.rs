//! The hyper server: the accept loop, and stopping it for a graceful
//! shutdown.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix::Addr;
use motu_config::HttpSettings;
use motu_runtime::Executors;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::connection;
use crate::front::Direct;
use crate::websocket::{LiveSockets, SocketContext};
use crate::{GatewayActor, GatewayError};

/// How long accepting pauses after it failed (e.g. too many open files).
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Accepts connections on `listener` and serves every request through the
/// gateway actor with the default [`HttpSettings`], for as long as the
/// future runs. Must run inside an actix system.
pub async fn serve(listener: TcpListener, gateway: Addr<GatewayActor>) -> Result<(), GatewayError> {
    serve_until(
        listener,
        gateway,
        HttpSettings::default(),
        std::future::pending(),
    )
    .await
    .map(drop)
}

/// Accepts connections on `listener` and serves every request through the
/// gateway actor, until `shutdown` completes. Then it closes the listener
/// (new connections are refused), asks every open connection to finish the
/// requests it has in progress and close, and returns the [`Draining`]
/// connections to wait for. Must run inside an actix system.
///
/// Each connection is served on one of the runtime's executor threads, in
/// turn, so its requests reach the isolates there without crossing threads
/// (on the calling thread when the runtime's fast path is unavailable).
/// Executors that are stalled (running a long turn of JavaScript) are
/// skipped, and a connection handed to an executor that stalls before it
/// took the connection is handed to another one.
pub async fn serve_until(
    listener: TcpListener,
    gateway: Addr<GatewayActor>,
    settings: HttpSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<Draining, GatewayError> {
    let (stop, stopped) = watch::channel(false);
    let (going_away, going) = watch::channel(false);
    let websockets = Arc::new(LiveSockets::default());
    let (open_tx, open_rx) = mpsc::channel::<()>(1);
    let open = Arc::new(AtomicUsize::new(0));
    let direct = Direct::of(gateway).await;
    let executors = direct.fast().map(|fast| fast.executors().clone());
    // Connections handed to an executor that has not taken them yet.
    let mut handed: Vec<Handoff> = Vec::new();
    let mut recheck = tokio::time::interval(
        executors
            .as_ref()
            .map_or(Duration::from_secs(1), |e| e.busy_threshold()),
    );
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
            _ = recheck.tick(), if !handed.is_empty() => {
                if let Some(executors) = &executors {
                    rehand_stalled(executors, &mut handed);
                }
                continue;
            }
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("accepting a connection failed: {e}");
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let direct = direct.clone();
        let stopped = stopped.clone();
        let going = going.clone();
        let live = websockets.clone();
        let open_tx = open_tx.clone();
        open.fetch_add(1, Ordering::AcqRel);
        let counted = Counted(open.clone());
        let Some(executors) = &executors else {
            actix_rt::spawn(async move {
                let sockets = SocketContext {
                    open: open_tx,
                    going_away: going,
                    live,
                };
                connection::run(stream, peer, direct, None, settings, stopped, sockets).await;
                drop(counted);
            });
            continue;
        };
        // The socket moves to the executor's own event loop.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(%peer, "a connection could not be handed over: {e}");
                continue;
            }
        };
        let accepted = Accepted {
            stream,
            peer,
            direct,
            settings,
            stopped,
            going,
            live,
            open_tx,
            counted,
        };
        handed.push(Handoff::to(executors, executors.pick_index(), accepted));
    }
    drop(listener);
    let _ = stop.send(true);
    Ok(Draining {
        open,
        closed: open_rx,
        _stop: stop,
        going_away,
        websockets,
    })
}

/// An accepted connection on its way to an executor.
struct Accepted {
    stream: std::net::TcpStream,
    peer: std::net::SocketAddr,
    direct: Direct,
    settings: HttpSettings,
    stopped: watch::Receiver<bool>,
    going: watch::Receiver<bool>,
    live: Arc<LiveSockets>,
    open_tx: mpsc::Sender<()>,
    counted: Counted,
}

/// A connection handed to an executor, until the executor takes it.
struct Handoff {
    executor: usize,
    slot: Arc<Mutex<Option<Accepted>>>,
}

impl Handoff {
    /// Hands `accepted` to executor `here`, which serves it once its event
    /// loop gets to it (unless it was handed elsewhere by then).
    fn to(executors: &Executors, here: usize, accepted: Accepted) -> Self {
        let slot = Arc::new(Mutex::new(Some(accepted)));
        let taken = slot.clone();
        // If the executor is gone, the closure is dropped: so is the
        // connection, and its count.
        executors.handle(here).spawn_fn(move || {
            let Some(a) = taken.lock().unwrap_or_else(PoisonError::into_inner).take() else {
                return;
            };
            actix_rt::spawn(async move {
                match tokio::net::TcpStream::from_std(a.stream) {
                    Ok(stream) => {
                        connection::run(
                            stream,
                            a.peer,
                            a.direct,
                            Some(here),
                            a.settings,
                            a.stopped,
                            SocketContext {
                                open: a.open_tx,
                                going_away: a.going,
                                live: a.live,
                            },
                        )
                        .await;
                    }
                    Err(e) => {
                        tracing::warn!(peer = %a.peer, "a connection could not be served: {e}")
                    }
                }
                drop(a.counted);
            });
        });
        Self {
            executor: here,
            slot,
        }
    }
}

/// Forgets the handed connections their executors have taken, and hands
/// those waiting on a stalled executor (one running a long turn of
/// JavaScript) to another executor.
fn rehand_stalled(executors: &Executors, handed: &mut Vec<Handoff>) {
    let mut moved = Vec::new();
    handed.retain(|h| {
        let mut slot = h.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            return false;
        }
        if !executors.is_stalled(h.executor) {
            return true;
        }
        let there = executors.pick_index();
        if executors.is_stalled(there) {
            return true;
        }
        if let Some(accepted) = slot.take() {
            moved.push(Handoff::to(executors, there, accepted));
        }
        false
    });
    handed.extend(moved);
}

/// Counts a connection open until dropped.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The connections still open after [`serve_until`] stopped accepting; each
/// finishes its requests in progress and closes.
#[derive(Debug)]
pub struct Draining {
    open: Arc<AtomicUsize>,
    closed: mpsc::Receiver<()>,
    _stop: watch::Sender<bool>,
    going_away: watch::Sender<bool>,
    websockets: Arc<LiveSockets>,
}

impl Draining {
    /// How many connections are still open.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Closes every open WebSocket with 1001 (going away), what a server
    /// does once its grace period is over, and resolves once they are all
    /// closed (each waits up to `motu_runtime::websocket::CLOSE_WAIT` for
    /// its client's answer).
    pub async fn close_websockets(&self) {
        let _ = self.going_away.send(true);
        self.websockets.all_closed().await;
    }

    /// Waits until every connection has closed.
    pub async fn wait(&mut self) {
        // Every connection holds a sender; `recv` yields `None` once all
        // of them are dropped.
        while self.closed.recv().await.is_some() {}
    }
}
