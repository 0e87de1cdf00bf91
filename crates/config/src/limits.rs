//! `[limits]`: what one Worker's isolate may use.

use std::time::Duration;

use crate::raw::RawLimits;

/// The limits of a Worker: `[limits]` on the server, each overridable in a
/// Worker's `[workers.limits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `cpu_ms`: CPU time one event's JavaScript may use, summed over its
    /// turns (waiting on timers or I/O is free). Default 50 ms. Past it the
    /// event's JavaScript is terminated and the request gets a 503.
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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cpu: Duration::from_millis(50),
            startup_cpu: Duration::from_millis(1000),
            memory_bytes: 128 << 20,
            idle_timeout: Duration::from_secs(300),
            wall_after_response: Duration::from_millis(30_000),
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
        })
    }
}
