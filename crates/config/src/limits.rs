//! `[limits]`: what one Worker's isolate may use.

use std::time::Duration;

use crate::raw::RawLimits;

/// The limits of a Worker: `[limits]` on the server, each overridable in a
/// Worker's `[workers.limits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `cpu_ms`: CPU time one event's JavaScript may use, summed over its
    /// turns (waiting on timers or I/O is free). Default 50 ms (30 s for a
    /// Wrangler config, Cloudflare's default). Past it the event's
    /// JavaScript is terminated and the request gets a 503.
    pub cpu: Duration,
    /// `startup_cpu_ms`: CPU time the Worker's top-level code may use when
    /// an isolate starts. Default 1000 ms; past it the Worker fails to start.
    pub startup_cpu: Duration,
    /// `memory_mb`: the heap limit of each isolate. Default 128 MiB; an event
    /// that reaches it fails with a 503 and the isolate is evicted.
    pub memory_bytes: usize,
    /// `idle_timeout_s`: an isolate with no events for this long is evicted.
    /// Default 300 s.
    pub idle_timeout: Duration,
    /// `wall_ms_after_response`: how long `ctx.waitUntil` work may go on
    /// after the response was sent. Default 30000 ms; past it the isolate is
    /// condemned and evicted once its other events are answered.
    pub wall_after_response: Duration,
    /// `subrequests`: how many `fetch()` calls one event may make. Default
    /// 50; the next one rejects with an error that says so.
    pub subrequests: u32,
    /// `scheduled_wall_ms`: how long a scheduled event may take, from its
    /// start until its handler and `waitUntil` work have settled. Default
    /// 900000 ms (15 minutes); past it the isolate is condemned.
    pub scheduled_wall: Duration,
    /// `log_kb_per_s`: bytes per second of log output the Worker's
    /// `console` calls and uncaught exceptions may write, shared by all its
    /// isolates (each line counts its text plus 128 bytes). Default 1024
    /// (1 MiB/s), with bursts of up to one second's worth; past it lines
    /// are dropped and counted until the Worker's output falls back under
    /// the rate.
    pub log_bytes_per_s: u64,
}

/// The server-wide limits of `[limits]`, which a Worker cannot override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolLimits {
    /// `max_isolates`: live isolates of all Workers together. Default: no
    /// cap. When a new isolate is needed at the cap, the least recently
    /// used idle isolates are evicted first (reason `Pressure`); when every
    /// isolate is busy, the new one starts anyway and a warning is logged,
    /// so no request fails for it.
    pub max_isolates: Option<usize>,
    /// `memory_budget_mb`: the memory all isolates hold together (each
    /// engine's footprint: heap pages, its own allocations, `ArrayBuffer`
    /// contents). Default: no budget. Past it, idle isolates with garbage
    /// collect it, then the least recently used idle isolates are evicted
    /// (reason `Pressure`) until the memory is back under it.
    pub memory_budget_bytes: Option<usize>,
    /// `d1_max_database_mb`: the size a D1 database may grow to. Default
    /// 10240 (10 GiB, Cloudflare's limit on Workers Paid; Free's is 500
    /// MB). A write past it fails with D1's `database or disk is full`
    /// error, and earlier data stays.
    pub d1_max_database_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cpu: Duration::from_millis(50),
            startup_cpu: Duration::from_millis(1000),
            memory_bytes: 128 << 20,
            idle_timeout: Duration::from_secs(300),
            wall_after_response: Duration::from_millis(30_000),
            subrequests: 50,
            scheduled_wall: Duration::from_secs(15 * 60),
            log_bytes_per_s: 1024 << 10,
        }
    }
}

impl Limits {
    /// These limits with the fields `raw` sets replaced.
    pub(crate) fn with(self, raw: &RawLimits) -> Result<Self, (String, String)> {
        let positive = |field: &str, v: Option<u64>| match v {
            Some(0) => Err((field.to_owned(), "must be greater than 0".to_owned())),
            other => Ok(other),
        };
        Ok(Self {
            cpu: positive("cpu_ms", raw.cpu_ms)?.map_or(self.cpu, Duration::from_millis),
            startup_cpu: positive("startup_cpu_ms", raw.startup_cpu_ms)?
                .map_or(self.startup_cpu, Duration::from_millis),
            memory_bytes: positive("memory_mb", raw.memory_mb)?
                .map_or(self.memory_bytes, |mb| (mb as usize) << 20),
            idle_timeout: positive("idle_timeout_s", raw.idle_timeout_s)?
                .map_or(self.idle_timeout, Duration::from_secs),
            wall_after_response: positive("wall_ms_after_response", raw.wall_ms_after_response)?
                .map_or(self.wall_after_response, Duration::from_millis),
            subrequests: match raw.subrequests {
                Some(n) if n > u64::from(u32::MAX) => {
                    return Err(("subrequests".to_owned(), "is too large".to_owned()))
                }
                Some(n) => n as u32,
                None => self.subrequests,
            },
            scheduled_wall: positive("scheduled_wall_ms", raw.scheduled_wall_ms)?
                .map_or(self.scheduled_wall, Duration::from_millis),
            log_bytes_per_s: match positive("log_kb_per_s", raw.log_kb_per_s)? {
                Some(kb) if kb > u64::MAX >> 10 => {
                    return Err(("log_kb_per_s".to_owned(), "is too large".to_owned()))
                }
                Some(kb) => kb << 10,
                None => self.log_bytes_per_s,
            },
        })
    }
}

impl PoolLimits {
    /// The server-wide limits `raw` sets.
    pub(crate) fn from_raw(raw: &RawLimits) -> Result<Self, (String, String)> {
        let positive = |field: &str, v: Option<u64>| match v {
            Some(0) => Err((field.to_owned(), "must be greater than 0".to_owned())),
            other => Ok(other.map(|v| v as usize)),
        };
        Ok(Self {
            max_isolates: positive("max_isolates", raw.max_isolates)?,
            memory_budget_bytes: positive("memory_budget_mb", raw.memory_budget_mb)?
                .map(|mb| mb << 20),
            d1_max_database_bytes: match positive("d1_max_database_mb", raw.d1_max_database_mb)? {
                Some(mb) if mb > (u64::MAX >> 20) as usize => {
                    return Err(("d1_max_database_mb".to_owned(), "is too large".to_owned()))
                }
                other => other.map(|mb| (mb as u64) << 20),
            },
        })
    }

    /// Refuses the server-wide fields in a Worker's own limits.
    pub(crate) fn reject_in_worker(raw: &RawLimits) -> Result<(), (String, String)> {
        for (field, set) in [
            ("max_isolates", raw.max_isolates.is_some()),
            ("memory_budget_mb", raw.memory_budget_mb.is_some()),
            ("d1_max_database_mb", raw.d1_max_database_mb.is_some()),
        ] {
            if set {
                return Err((
                    field.to_owned(),
                    "applies to the whole server; set it in [limits]".to_owned(),
                ));
            }
        }
        Ok(())
    }
}
