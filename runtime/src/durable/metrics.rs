//! Durable Objects' metrics, per Worker (the one exporting the class), in
//! the process's registry (`crate::metrics::render`):
//!
//! - `motu_durable_objects_live`: objects in memory;
//! - `motu_durable_object_starts_total`: objects made (first event after
//!   being out of memory);
//! - `motu_durable_object_evictions_total{reason}`: objects that left
//!   memory: `idle` (no events for the idle timeout), `isolate` (their
//!   isolate went, whatever its reason), `aborted` (reset by
//!   `ctx.abort`), `broken` (reset because a flush of their storage
//!   failed) or `failed` (their constructor threw);
//! - `motu_durable_object_flush_seconds`: how long each flush of the
//!   output gate took (the fsync of an object's write-ahead log, on the
//!   work pool; one flush covers every write made before it started);
//! - `motu_durable_object_kv_rows_listed_total`: pairs the objects'
//!   listings (`ctx.storage.list`, `ctx.storage.kv.list`) read from their
//!   storage: a listing reads its pairs in chunks as it is iterated, so an
//!   iterator left after a few pairs reads a chunk, not the object;
//! - `motu_durable_object_events_total{route}`: events sent to objects,
//!   by the way they took: `direct` (from the stub straight to the live
//!   object's isolate, `direct.rs`) or `directory` (through the
//!   registry's directory: an object's first event, alarms, wake-ups,
//!   and events its isolate refused on the direct way);
//! - `motu_durable_alarm_passes_total{cause}`: passes of the alarm
//!   scheduler over the alarm index (`alarms.rs`), by what began them
//!   (`alarm_clock.rs`): `due` (the earliest alarm known is due), `woken`
//!   (an alarm earlier than that was set), `idle` (the longest sleep
//!   ended) or `start` — not one per tick of a poll. Process-wide.

use std::sync::LazyLock;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts};

struct DurableMetrics {
    live: IntGaugeVec,
    starts: IntCounterVec,
    evictions: IntCounterVec,
    websockets: IntGaugeVec,
    flushes: HistogramVec,
    routes: IntCounterVec,
    listed: IntCounterVec,
    alarm_passes: IntCounterVec,
}

static METRICS: LazyLock<DurableMetrics> = LazyLock::new(|| {
    let live = IntGaugeVec::new(
        Opts::new("motu_durable_objects_live", "Durable Objects in memory."),
        &["worker"],
    )
    .expect("a valid metric");
    let starts = IntCounterVec::new(
        Opts::new(
            "motu_durable_object_starts_total",
            "Durable Objects made in memory.",
        ),
        &["worker"],
    )
    .expect("a valid metric");
    let evictions = IntCounterVec::new(
        Opts::new(
            "motu_durable_object_evictions_total",
            "Durable Objects that left memory, by reason.",
        ),
        &["worker", "reason"],
    )
    .expect("a valid metric");
    let websockets = IntGaugeVec::new(
        Opts::new(
            "motu_durable_object_websockets",
            "Hibernatable WebSockets of Durable Objects held open.",
        ),
        &["worker"],
    )
    .expect("a valid metric");
    crate::metrics::register(Box::new(websockets.clone()));
    let flushes = HistogramVec::new(
        HistogramOpts::new(
            "motu_durable_object_flush_seconds",
            "Flushes of Durable Objects' writes (the output gate's fsync), by duration.",
        )
        .buckets(vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
        ]),
        &["worker"],
    )
    .expect("a valid metric");
    let routes = IntCounterVec::new(
        Opts::new(
            "motu_durable_object_events_total",
            "Events sent to Durable Objects, by the way they took (direct or directory).",
        ),
        &["worker", "route"],
    )
    .expect("a valid metric");
    crate::metrics::register(Box::new(routes.clone()));
    let listed = IntCounterVec::new(
        Opts::new(
            "motu_durable_object_kv_rows_listed_total",
            "Pairs Durable Objects' listings read from their storage.",
        ),
        &["worker"],
    )
    .expect("a valid metric");
    crate::metrics::register(Box::new(listed.clone()));
    let alarm_passes = IntCounterVec::new(
        Opts::new(
            "motu_durable_alarm_passes_total",
            "Passes of the Durable Object alarm scheduler over the alarm index, by cause.",
        ),
        &["cause"],
    )
    .expect("a valid metric");
    crate::metrics::register(Box::new(alarm_passes.clone()));
    crate::metrics::register(Box::new(live.clone()));
    crate::metrics::register(Box::new(flushes.clone()));
    crate::metrics::register(Box::new(starts.clone()));
    crate::metrics::register(Box::new(evictions.clone()));
    DurableMetrics {
        live,
        starts,
        evictions,
        websockets,
        flushes,
        routes,
        listed,
        alarm_passes,
    }
});

/// The alarm scheduler passed over the alarm index, for `cause`.
pub(crate) fn alarm_pass(cause: &str) {
    METRICS.alarm_passes.with_label_values(&[cause]).inc();
}

/// An event was sent to an object of `worker` by `route` (`direct` or
/// `directory`).
pub(crate) fn routed(worker: &str, route: &str) {
    METRICS.routes.with_label_values(&[worker, route]).inc();
}

/// A listing of an object of `worker` read `pairs` pairs.
pub(crate) fn listed(worker: &str, pairs: usize) {
    METRICS
        .listed
        .with_label_values(&[worker])
        .inc_by(pairs as u64);
}

/// A flush of an object of `worker` took `took`.
pub(crate) fn flushed(worker: &str, took: std::time::Duration) {
    METRICS
        .flushes
        .with_label_values(&[worker])
        .observe(took.as_secs_f64());
}

/// An object of `worker` was made in memory.
pub(crate) fn started(worker: &str) {
    METRICS.starts.with_label_values(&[worker]).inc();
    METRICS.live.with_label_values(&[worker]).inc();
}

/// An object of `worker` left memory for `reason`.
pub(crate) fn evicted(worker: &str, reason: &str) {
    METRICS.evictions.with_label_values(&[worker, reason]).inc();
    METRICS.live.with_label_values(&[worker]).dec();
}

/// An object of `worker` accepted a hibernatable WebSocket.
pub(crate) fn websocket_opened(worker: &str) {
    METRICS.websockets.with_label_values(&[worker]).inc();
}

/// A hibernatable WebSocket of an object of `worker` closed.
pub(crate) fn websocket_closed(worker: &str) {
    METRICS.websockets.with_label_values(&[worker]).dec();
}
