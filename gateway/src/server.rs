//! The hyper server: the accept loop, and stopping it for a graceful
//! shutdown.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use motu_config::HttpSettings;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::connection;
use crate::front::Direct;
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
pub async fn serve_until(
    listener: TcpListener,
    gateway: Addr<GatewayActor>,
    settings: HttpSettings,
    shutdown: impl Future<Output = ()>,
) -> Result<Draining, GatewayError> {
    let (stop, stopped) = watch::channel(false);
    let (open_tx, open_rx) = mpsc::channel::<()>(1);
    let open = Arc::new(AtomicUsize::new(0));
    let direct = Direct::of(gateway).await;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
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
        let open_tx = open_tx.clone();
        open.fetch_add(1, Ordering::AcqRel);
        let counted = Counted(open.clone());
        let Some(executors) = direct.fast().map(|fast| fast.executors().clone()) else {
            actix_rt::spawn(async move {
                connection::run(stream, peer, direct, None, settings, stopped, open_tx).await;
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
        let here = executors.pick_index();
        // If the executor is gone, the closure is dropped: so is the
        // connection, and its count.
        executors.handle(here).spawn_fn(move || {
            actix_rt::spawn(async move {
                match tokio::net::TcpStream::from_std(stream) {
                    Ok(stream) => {
                        connection::run(
                            stream,
                            peer,
                            direct,
                            Some(here),
                            settings,
                            stopped,
                            open_tx,
                        )
                        .await;
                    }
                    Err(e) => tracing::warn!(%peer, "a connection could not be served: {e}"),
                }
                drop(counted);
            });
        });
    }
    drop(listener);
    let _ = stop.send(true);
    Ok(Draining {
        open,
        closed: open_rx,
        _stop: stop,
    })
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
}

impl Draining {
    /// How many connections are still open.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// Waits until every connection has closed.
    pub async fn wait(&mut self) {
        // Every connection holds a sender; `recv` yields `None` once all
        // of them are dropped.
        while self.closed.recv().await.is_some() {}
    }
}
