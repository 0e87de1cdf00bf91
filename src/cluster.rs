//! Cluster mode (`[cluster] redis`): this node's share of what the nodes
//! hold in common — the Redis client (KV namespaces and queues live there), the lock
//! that makes each cron tick fire on one node, and `/readyz` reporting
//! whether Redis answers.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use motu_config::Settings;
use motu_gateway::{Readiness, TickLock, TickLockFuture};
use motu_storage::redis::Redis;

/// How long a cron tick's lock is kept: far longer than the nodes' clocks
/// and timers differ, so that no node comes late enough to take a tick's
/// lock again once it expired.
const TICK_LOCK_TTL: Duration = Duration::from_secs(120);

/// How long start-up waits for Redis to answer before it goes on without
/// it (KV calls then fail, and `/readyz` says why, until it answers).
const FIRST_CONTACT: Duration = Duration::from_secs(3);

/// The process's Redis client under `settings`, made on first use; `None`
/// without `[cluster] redis`.
pub fn redis(settings: &Settings) -> anyhow::Result<Option<Arc<Redis>>> {
    static CLIENT: OnceLock<Arc<Redis>> = OnceLock::new();
    let Some(url) = &settings.cluster.redis else {
        return Ok(None);
    };
    if let Some(redis) = CLIENT.get() {
        return Ok(Some(redis.clone()));
    }
    let redis = Redis::connect(url.expose(), url.redacted())?;
    if redis.wait_until_up(FIRST_CONTACT) {
        tracing::info!(
            "cluster: KV namespaces, queues and cron ticks are shared through Redis at {}",
            url.redacted()
        );
    } else if let Err(why) = redis.health() {
        tracing::error!("cluster: {why}; KV and queue calls fail until it answers");
    }
    Ok(Some(CLIENT.get_or_init(|| redis).clone()))
}

/// `/readyz` answers 503 while Redis does not.
pub fn report_readiness(redis: &Arc<Redis>, readiness: &Readiness) {
    let redis = redis.clone();
    readiness.depend_on(Arc::new(move || redis.health()));
}

/// The lock each node takes before firing a cron tick.
pub fn tick_lock(redis: &Arc<Redis>) -> Arc<dyn TickLock> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    Arc::new(RedisTickLock {
        redis: redis.clone(),
        holder: format!("{host} pid {}", std::process::id()),
    })
}

struct RedisTickLock {
    redis: Arc<Redis>,
    /// Who took it (for someone reading Redis): host name and process id.
    holder: String,
}

impl TickLock for RedisTickLock {
    fn take(&self, worker: &str, cron: &str, scheduled_ms: i64) -> TickLockFuture {
        let redis = self.redis.clone();
        let holder = self.holder.clone();
        let name = format!("cron:{worker}:{cron}:{scheduled_ms}");
        Box::pin(async move {
            redis
                .try_lock(&name, &holder, TICK_LOCK_TTL)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
