//! Redis: the store that several motu nodes share (`[cluster] redis`).
//!
//! # Concepts
//!
//! - **One client per process** ([`Redis`]): a [`redis`] crate connection
//!   manager (one multiplexed connection that pipelines every caller's
//!   commands, and reconnects after a failure) driven by a small tokio
//!   runtime of its own on a thread named `motu-redis`. Blocking callers
//!   (the runtime's work pool, like every store of this crate) hand it a
//!   future and wait for its answer ([`Redis::block_on`]); async callers on
//!   another runtime (the cron scheduler) await it ([`Redis::run`]).
//! - **Health** ([`Redis::health`]): every command's outcome, and a `PING`
//!   every [`PROBE_INTERVAL`], say whether Redis answers. While it does not,
//!   calls fail at once with [`StorageError::Redis`] (naming the URL without
//!   its password and the last error) rather than each waiting for a
//!   connection timeout; once a probe is answered, calls go through again.
//!   Nothing has to be restarted: a node started while Redis was down, or
//!   that lost it, recovers by itself.
//! - **Secrets**: the URL's password never appears in a message; the client
//!   is given a redacted form of the URL for that ([`Redis::connect`]).
//! - What lives in Redis: KV namespaces ([`RedisKv`], keys under
//!   `motu:kv:{<namespace>}:…`), queues ([`RedisQueue`], a stream with a
//!   consumer group and its companions under `motu:q:{<queue>}:…`) and
//!   the cron scheduler's per-tick locks ([`Redis::try_lock`], keys under
//!   `motu:lock:…`).

mod kv;
mod queue;
mod queue_scripts;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::StorageError;

pub use kv::RedisKv;
pub use queue::{RedisQueue, QUEUE_LEASE, QUEUE_POLL, QUEUE_RENEW};

/// How often the client checks that Redis answers (and, while it does not,
/// how often it tries again).
pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a command's answer may take (a 25 MiB value included).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// The shared Redis client of a process (see the module docs).
pub struct Redis {
    client: redis::Client,
    shown: String,
    handle: tokio::runtime::Handle,
    manager: Mutex<Option<ConnectionManager>>,
    up: AtomicBool,
    last_error: Mutex<String>,
    since: Mutex<Instant>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis").field("url", &self.shown).finish()
    }
}

impl Redis {
    /// A client of the Redis at `url` (`redis://`, `rediss://` for TLS, a
    /// password in the URL), shown in messages as `shown` (the URL without
    /// its password). Connects in the background: Redis need not be up yet.
    pub fn connect(url: &str, shown: &str) -> Result<Arc<Redis>, StorageError> {
        let fail = |message: String| StorageError::Redis {
            url: shown.to_owned(),
            message,
        };
        // rediss:// needs a TLS crypto provider; the process may have one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = redis::Client::open(url).map_err(|e| fail(e.to_string()))?;
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("motu-redis".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the Redis client's runtime starts");
                let _ = handle_tx.send(runtime.handle().clone());
                runtime.block_on(std::future::pending::<()>());
            })
            .map_err(|e| fail(format!("cannot start its thread: {e}")))?;
        let handle = handle_rx
            .recv()
            .map_err(|_| fail("its thread did not start".into()))?;
        let redis = Arc::new(Redis {
            client,
            shown: shown.to_owned(),
            handle,
            manager: Mutex::new(None),
            up: AtomicBool::new(false),
            last_error: Mutex::new("not connected yet".into()),
            since: Mutex::new(Instant::now()),
        });
        let weak = Arc::downgrade(&redis);
        redis.handle.spawn(async move {
            loop {
                let Some(redis) = weak.upgrade() else { return };
                redis.probe().await;
                drop(redis);
                tokio::time::sleep(PROBE_INTERVAL).await;
            }
        });
        Ok(redis)
    }

    /// The URL, without its password.
    pub fn url(&self) -> &str {
        &self.shown
    }

    /// `Ok` while Redis answers; otherwise why not (the last error), as one
    /// line that names the URL without its password.
    pub fn health(&self) -> Result<(), String> {
        if self.up.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(format!(
                "Redis at {} is unreachable: {}",
                self.shown,
                self.last_error.lock()
            ))
        }
    }

    /// Waits until Redis answered a probe, up to `timeout`: whether it did.
    pub fn wait_until_up(&self, timeout: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.up.load(Ordering::SeqCst) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.up.load(Ordering::SeqCst)
    }

    /// Runs `work` with a connection on the client's runtime, from a thread
    /// that may block: its result. The thread may be driving an async
    /// runtime of its own (a queue consumer's, which blocks on its store by
    /// design), never the client's.
    pub fn block_on<T, F, Fut>(self: &Arc<Self>, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let redis = self.clone();
        self.handle.spawn(async move {
            let _ = tx.send(redis.with_connection(work).await);
        });
        rx.recv()
            .unwrap_or_else(|_| Err(self.error("the client's thread stopped".into())))
    }

    /// Runs `work` with a connection on the client's runtime, from any
    /// async runtime: its result.
    pub async fn run<T, F, Fut>(self: &Arc<Self>, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        let redis = self.clone();
        self.handle
            .spawn(async move { redis.with_connection(work).await })
            .await
            .unwrap_or_else(|_| Err(self.error("the client's thread stopped".into())))
    }

    /// Takes the lock `name` for `ttl` unless someone holds it: whether
    /// this caller got it. The lock is never released early: it names one
    /// piece of work (a cron tick) that must happen once, and simply
    /// expires.
    pub async fn try_lock(
        self: &Arc<Self>,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StorageError> {
        let key = format!("motu:lock:{name}");
        let holder = holder.to_owned();
        let ttl_ms = ttl.as_millis().max(1) as u64;
        self.run(move |mut c| async move {
            let taken: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(&holder)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut c)
                .await?;
            Ok(taken.is_some())
        })
        .await
    }

    fn error(&self, message: String) -> StorageError {
        StorageError::Redis {
            url: self.shown.clone(),
            message,
        }
    }

    /// The connection, made now if there is none.
    fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let mut manager = self.manager.lock();
        if let Some(m) = manager.as_ref() {
            return Ok(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(PROBE_INTERVAL);
        let _guard = self.handle.enter();
        let m = ConnectionManager::new_lazy_with_config(self.client.clone(), config)?;
        *manager = Some(m.clone());
        Ok(m)
    }

    async fn with_connection<T, F, Fut>(&self, work: F) -> Result<T, StorageError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if !self.up.load(Ordering::SeqCst) {
            // Down: fail at once until a probe is answered.
            return Err(self.error(format!("unreachable: {}", self.last_error.lock())));
        }
        let outcome = match self.connection() {
            Ok(c) => work(c).await,
            Err(e) => Err(e),
        };
        outcome.map_err(|e| {
            if is_connection_error(&e) {
                self.mark_down(&e);
                self.error(format!("unreachable: {}", one_line(&e)))
            } else {
                self.error(one_line(&e))
            }
        })
    }

    /// One health check: `PING`.
    async fn probe(&self) {
        let outcome = match self.connection() {
            Ok(mut c) => redis::cmd("PING").query_async::<String>(&mut c).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(_) => {
                if !self.up.swap(true, Ordering::SeqCst) {
                    *self.since.lock() = Instant::now();
                    tracing::info!("Redis at {} answers", self.shown);
                }
            }
            Err(e) => self.mark_down(&e),
        }
    }

    /// Redis did not answer: calls fail at once until a probe is answered,
    /// and the next connection is made anew.
    fn mark_down(&self, e: &redis::RedisError) {
        let message = one_line(e);
        *self.manager.lock() = None;
        let was_up = self.up.swap(false, Ordering::SeqCst);
        let mut last = self.last_error.lock();
        let changed = *last != message;
        *last = message;
        if was_up || changed {
            *self.since.lock() = Instant::now();
            tracing::warn!("Redis at {} is unreachable: {}", self.shown, last);
        }
    }
}

/// Whether `e` says the connection (not the command) failed.
fn is_connection_error(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_unrecoverable_error()
        || e.kind() == redis::ErrorKind::AuthenticationFailed
}

fn one_line(e: &redis::RedisError) -> String {
    e.to_string().replace('\n', " ")
}

#[cfg(test)]
mod tests;
