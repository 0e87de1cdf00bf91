//! The runtime's metrics, in one Prometheus registry for the process.
//!
//! Per Worker (label `worker`):
//! - `motu_requests_total{status}`: HTTP requests answered, by status class
//!   (`2xx`, `3xx`, `4xx`, `5xx`, or `1xx`), recorded by the gateway with
//!   [`record_request`];
//! - `motu_request_duration_seconds`: from routing to the response head;
//! - `motu_event_cpu_seconds`: CPU time of each event, summed over its turns
//!   (recorded when the event ends);
//! - `motu_isolates_live`: isolates running now;
//! - `motu_isolate_starts_total` and `motu_isolate_evictions_total{reason}`;
//! - `motu_isolate_heap_bytes`: heap in use of its live isolates, as each
//!   last measured it (after a turn, at most every few milliseconds);
//! - `motu_isolate_memory_bytes`: memory its live isolates hold (each
//!   engine's footprint: heap pages, the engine's own allocations,
//!   `ArrayBuffer` contents), as each last measured it: what the server's
//!   `memory_budget_mb` counts;
//! - `motu_scheduled_events_total{outcome}`;
//! - `motu_console_dropped_lines_total` and `motu_console_dropped_bytes_total`:
//!   log lines of its `console` calls (and uncaught exceptions) dropped
//!   because it logged faster than its `log_kb_per_s`.
//!
//! Per server:
//! - `motu_executor_queue_depth`: fetch events handed to an isolate actor
//!   and not yet started by it (waiting in actor mailboxes on the executor
//!   threads);
//! - `motu_events_in_flight`: events started in an isolate and not over
//!   (awaiting their response, streaming it or running `waitUntil` work);
//! - `motu_log_dropped_lines_total` and `motu_log_dropped_bytes_total`: log
//!   lines the process's log writer dropped because its sink (stderr) could
//!   not take them fast enough (counted by the binary's writer with
//!   [`log_dropped`]).
//! - `motu_client_errors_total{reason}`: requests the gateway answered
//!   with a client error of its own ([`record_client_error`]).
//! - `motu_idle_collections_total` and `motu_idle_collection_seconds_total`:
//!   garbage collections of idle isolates (paced per executor, or asked
//!   for by memory pressure) and the executor time they took;
//!   `motu_idle_collections_skipped_total`: idle isolates not collected
//!   because their heap had grown by less than 64 KiB since their last
//!   collection (and none of their Durable Objects had left memory since).
//! - `motu_isolate_released_bytes_total`: memory isolates gave back, by
//!   stopping (the footprint each last measured) or by an idle collection
//!   (what it freed): freed memory the C allocator may keep, which an
//!   embedder returns to the system ([`released_bytes`]).
//! - `motu_events_moved_total`: fetch events taken back from an isolate
//!   on a stalled executor before it started them, and sent to an isolate
//!   on another executor (see `crate::moving`).
//! - `motu_heap_trims_total`: times the process handed the C heap's free
//!   pages back to the system (counted by the binary with [`heap_trimmed`]).
//!
//! Per queue: `motu_queue_*` (see `crate::queues`).
//!
//! Recording is always on and cheap: what is recorded for every request
//! goes through each thread's resolved handles of the Worker's metrics
//! ([`Hot`]), an atomic add without a labelled lookup; the rest is a
//! labelled lookup and an atomic add. [`render`] writes the text format
//! for an admin endpoint.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use prometheus::{
    Counter, Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every metric of the process, registered once.
struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_duration: HistogramVec,
    event_cpu: HistogramVec,
    isolates_live: IntGaugeVec,
    isolate_starts: IntCounterVec,
    isolate_evictions: IntCounterVec,
    heap_bytes: IntGaugeVec,
    memory_bytes: IntGaugeVec,
    scheduled: IntCounterVec,
    queue_depth: IntGauge,
    in_flight: IntGauge,
    console_dropped_lines: IntCounterVec,
    console_dropped_bytes: IntCounterVec,
    log_dropped_lines: IntCounter,
    log_dropped_bytes: IntCounter,
    client_errors: IntCounterVec,
    idle_collections: IntCounter,
    idle_collection_seconds: Counter,
    released_bytes: IntCounter,
    heap_trims: IntCounter,
    events_moved: IntCounter,
    idle_collections_skipped: IntCounter,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The status classes of `motu_requests_total`, by hundreds.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// One Worker's metrics that every request records, resolved once per
/// thread (the registry keeps every labelled metric for the life of the
/// process, so a handle never goes stale).
struct Hot {
    /// By status class; resolved on first use, so that a class never
    /// answered has no series.
    requests: [OnceCell<IntCounter>; 5],
    duration: Histogram,
    event_cpu: Histogram,
}

thread_local! {
    /// This thread's [`Hot`] handles, by Worker name.
    static HOT: RefCell<HashMap<String, Hot>> = RefCell::new(HashMap::new());
}

/// Runs `f` on `worker`'s hot handles, resolving them on this thread's
/// first use.
fn with_hot(worker: &str, f: impl FnOnce(&Hot)) {
    HOT.with(|cell| {
        let mut map = cell.borrow_mut();
        if let Some(hot) = map.get(worker) {
            return f(hot);
        }
        let m = &*METRICS;
        let hot = Hot {
            requests: Default::default(),
            duration: m.request_duration.with_label_values(&[worker]),
            event_cpu: m.event_cpu.with_label_values(&[worker]),
        };
        f(map.entry(worker.to_owned()).or_insert(hot));
    })
}

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let m = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid metric");
            registry
                .register(Box::new(m.clone()))
                .expect("registered once");
            m
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            let m = IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid metric");
            registry
                .register(Box::new(m.clone()))
                .expect("registered once");
            m
        };
        let histogram = |name: &str, help: &str, buckets: Vec<f64>| {
            let m = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), &["worker"])
                .expect("a valid metric");
            registry
                .register(Box::new(m.clone()))
                .expect("registered once");
            m
        };
        let plain_counter = |name: &str, help: &str| {
            let m = IntCounter::new(name, help).expect("a valid metric");
            registry
                .register(Box::new(m.clone()))
                .expect("registered once");
            m
        };
        let plain_gauge = |name: &str, help: &str| {
            let m = IntGauge::new(name, help).expect("a valid metric");
            registry
                .register(Box::new(m.clone()))
                .expect("registered once");
            m
        };
        Self {
            requests: counter(
                "motu_requests_total",
                "HTTP requests answered, by Worker and status class.",
                &["worker", "status"],
            ),
            request_duration: histogram(
                "motu_request_duration_seconds",
                "Time from routing a request to its response head, by Worker.",
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    5.0, 10.0, 30.0,
                ],
            ),
            event_cpu: histogram(
                "motu_event_cpu_seconds",
                "CPU time of each event, summed over its turns of JavaScript, by Worker.",
                vec![
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0,
                ],
            ),
            isolates_live: gauge(
                "motu_isolates_live",
                "Isolates running now, by Worker.",
                &["worker"],
            ),
            isolate_starts: counter(
                "motu_isolate_starts_total",
                "Isolates started, by Worker.",
                &["worker"],
            ),
            isolate_evictions: counter(
                "motu_isolate_evictions_total",
                "Isolates evicted, by Worker and reason.",
                &["worker", "reason"],
            ),
            heap_bytes: gauge(
                "motu_isolate_heap_bytes",
                "Heap in use of the Worker's live isolates, as each last measured it.",
                &["worker"],
            ),
            memory_bytes: gauge(
                "motu_isolate_memory_bytes",
                "Memory the Worker's live isolates hold (heap pages, engine allocations, ArrayBuffer contents), as each last measured it; what memory_budget_mb counts.",
                &["worker"],
            ),
            scheduled: counter(
                "motu_scheduled_events_total",
                "Scheduled events run, by Worker and outcome.",
                &["worker", "outcome"],
            ),
            queue_depth: plain_gauge(
                "motu_executor_queue_depth",
                "Fetch events handed to an isolate actor and not yet started by it.",
            ),
            in_flight: plain_gauge(
                "motu_events_in_flight",
                "Events started in an isolate and not yet over (response, streaming or waitUntil work).",
            ),
            console_dropped_lines: counter(
                "motu_console_dropped_lines_total",
                "Log lines of a Worker dropped because it logged faster than its log_kb_per_s.",
                &["worker"],
            ),
            console_dropped_bytes: counter(
                "motu_console_dropped_bytes_total",
                "Bytes of log lines of a Worker dropped because it logged faster than its log_kb_per_s.",
                &["worker"],
            ),
            log_dropped_lines: plain_counter(
                "motu_log_dropped_lines_total",
                "Log lines dropped because the log's sink (stderr) could not take them fast enough.",
            ),
            log_dropped_bytes: plain_counter(
                "motu_log_dropped_bytes_total",
                "Bytes of log lines dropped because the log's sink (stderr) could not take them fast enough.",
            ),
            client_errors: counter(
                "motu_client_errors_total",
                "Requests answered with a client error by the gateway, by reason.",
                &["reason"],
            ),
            idle_collections: plain_counter(
                "motu_idle_collections_total",
                "Garbage collections of idle isolates.",
            ),
            idle_collection_seconds: {
                let m = Counter::new(
                    "motu_idle_collection_seconds_total",
                    "Executor time taken by garbage collections of idle isolates.",
                )
                .expect("a valid metric");
                registry
                    .register(Box::new(m.clone()))
                    .expect("registered once");
                m
            },
            released_bytes: plain_counter(
                "motu_isolate_released_bytes_total",
                "Memory isolates gave back by stopping or by an idle collection.",
            ),
            heap_trims: plain_counter(
                "motu_heap_trims_total",
                "Times the C heap's free pages were handed back to the system.",
            ),
            events_moved: plain_counter(
                "motu_events_moved_total",
                "Fetch events taken back from an isolate on a stalled executor before it started them, and sent to one on another executor.",
            ),
            idle_collections_skipped: plain_counter(
                "motu_idle_collections_skipped_total",
                "Idle isolates not collected: their heap had grown by less than 64 KiB since their last collection, and none of their Durable Objects had left memory since.",
            ),
            registry,
        }
    }
}

/// Adds `collector` to the process's registry (metrics kept in a module of
/// their own, such as the queues'); each is added once.
pub(crate) fn register(collector: Box<dyn prometheus::core::Collector>) {
    let _ = METRICS.registry.register(collector);
}

/// Every metric in the Prometheus text exposition format.
pub fn render() -> String {
    let mut out = Vec::new();
    // Encoding into a Vec only fails on a malformed metric, which the
    // registry never holds.
    let _ = TextEncoder::new().encode(&METRICS.registry.gather(), &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `worker` label of Worker `worker`'s metrics: its name, except that
/// the dynamic Workers of one Worker Loader binding (named
/// `PARENT:BINDING:ID`, see `crate::dynamic`) share `PARENT:BINDING`, so
/// that however many a loader starts, its metrics keep one label (and the
/// Worker's log budget is theirs together).
pub(crate) fn label(worker: &str) -> &str {
    match worker.match_indices(':').nth(1) {
        Some((at, _)) => &worker[..at],
        None => worker,
    }
}

/// Records one HTTP request that `worker` answered with `status` after
/// `seconds`.
pub fn record_request(worker: &str, status: http::StatusCode, seconds: f64) {
    let worker = label(worker);
    let class = match status.as_u16() {
        100..=199 => 0,
        200..=299 => 1,
        300..=399 => 2,
        400..=499 => 3,
        _ => 4,
    };
    with_hot(worker, |hot| {
        hot.requests[class]
            .get_or_init(|| {
                METRICS
                    .requests
                    .with_label_values(&[worker, CLASSES[class]])
            })
            .inc();
        hot.duration.observe(seconds);
    });
}

/// Counts a request the gateway answered with a client error for `reason`
/// (`host`, `method`, `body_malformed`, `body_timeout`, `body_too_large`).
pub fn record_client_error(reason: &str) {
    METRICS.client_errors.with_label_values(&[reason]).inc();
}

/// Records the CPU time of one event of `worker` that ended.
pub(crate) fn record_event_end(worker: &str, cpu_seconds: f64) {
    let worker = label(worker);
    with_hot(worker, |hot| hot.event_cpu.observe(cpu_seconds));
    METRICS.in_flight.dec();
}

/// An event started in an isolate.
pub(crate) fn event_started() {
    METRICS.in_flight.inc();
}

/// An isolate of `worker` started (`live`: +1) or stopped (-1).
pub(crate) fn isolate_live(worker: &str, delta: i64) {
    let worker = label(worker);
    METRICS
        .isolates_live
        .with_label_values(&[worker])
        .add(delta);
}

/// Counts an isolate start of `worker`.
pub(crate) fn isolate_started(worker: &str) {
    let worker = label(worker);
    METRICS.isolate_starts.with_label_values(&[worker]).inc();
}

/// Counts an eviction of `worker` for `reason`.
pub(crate) fn isolate_evicted(worker: &str, reason: &str) {
    let worker = label(worker);
    METRICS
        .isolate_evictions
        .with_label_values(&[worker, reason])
        .inc();
}

/// `worker`'s heap and memory gauges, which its isolates move by what they
/// measure.
pub(crate) fn heap_gauges(worker: &str) -> (IntGauge, IntGauge) {
    let worker = label(worker);
    (
        METRICS.heap_bytes.with_label_values(&[worker]),
        METRICS.memory_bytes.with_label_values(&[worker]),
    )
}

/// Counts a garbage collection of an idle isolate that took `seconds`.
pub(crate) fn idle_collected(seconds: f64) {
    METRICS.idle_collections.inc();
    METRICS.idle_collection_seconds.inc_by(seconds);
}

/// Counts `bytes` of memory an isolate gave back (it stopped, or an idle
/// collection freed them).
pub(crate) fn released(bytes: usize) {
    METRICS.released_bytes.inc_by(bytes as u64);
}

/// Memory isolates gave back since the process started (stopping, or in
/// idle collections): what an embedder watches, with the gateway's
/// `body_bytes`, to return freed memory to the system once a burst of it
/// is over (the `motu` binary trims its C heap then).
pub fn released_bytes() -> u64 {
    METRICS.released_bytes.get()
}

/// Counts a trim of the process's C heap (its free pages handed back).
pub fn heap_trimmed() {
    METRICS.heap_trims.inc();
}

/// Counts a fetch event moved off a stalled executor.
pub(crate) fn event_moved() {
    METRICS.events_moved.inc();
}

/// Counts an idle isolate not collected for want of garbage.
pub(crate) fn idle_collection_skipped() {
    METRICS.idle_collections_skipped.inc();
}

/// Counts a scheduled event of `worker` that ended with `outcome`.
pub(crate) fn scheduled_ran(worker: &str, outcome: &str) {
    let worker = label(worker);
    METRICS
        .scheduled
        .with_label_values(&[worker, outcome])
        .inc();
}

/// Counts `lines` log lines of `bytes` bytes in all that the process's log
/// writer dropped because its sink could not take them fast enough.
pub fn log_dropped(lines: u64, bytes: usize) {
    METRICS.log_dropped_lines.inc_by(lines);
    METRICS.log_dropped_bytes.inc_by(bytes as u64);
}

/// `worker`'s counters of log lines and bytes dropped over its log rate.
pub(crate) fn console_dropped(worker: &str) -> (IntCounter, IntCounter) {
    let worker = label(worker);
    (
        METRICS.console_dropped_lines.with_label_values(&[worker]),
        METRICS.console_dropped_bytes.with_label_values(&[worker]),
    )
}

/// A fetch event on its way to an isolate actor, counted in
/// `motu_executor_queue_depth` until the actor starts it, the event is
/// dropped (it travels as a request extension, so every copy shares it) or
/// it is taken back to go elsewhere ([`Queued::leave`]).
#[derive(Clone)]
pub(crate) struct Queued(Arc<QueuedGuard>);

pub(crate) struct QueuedGuard(std::sync::atomic::AtomicBool);

impl Queued {
    pub(crate) fn new() -> Self {
        METRICS.queue_depth.inc();
        Self(Arc::new(QueuedGuard(std::sync::atomic::AtomicBool::new(
            false,
        ))))
    }

    /// No longer counted, whatever copies remain (the event was taken back
    /// from a queue it still sits in).
    pub(crate) fn leave(&self) {
        self.0.leave();
    }
}

impl QueuedGuard {
    fn leave(&self) {
        if !self.0.swap(true, std::sync::atomic::Ordering::Relaxed) {
            METRICS.queue_depth.dec();
        }
    }
}

impl Drop for QueuedGuard {
    fn drop(&mut self) {
        self.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_workers_share_their_loaders_label() {
        assert_eq!(label("app"), "app");
        assert_eq!(label("app:LOADER:tool-1"), "app:LOADER");
        assert_eq!(label("app:LOADER:a:b"), "app:LOADER");
        assert_eq!(label("app:LOADER:#12"), "app:LOADER");
    }

    #[test]
    fn requests_are_counted_by_status_class_and_rendered() {
        record_request("metrics-unit", http::StatusCode::OK, 0.002);
        record_request("metrics-unit", http::StatusCode::BAD_GATEWAY, 0.2);
        record_request("metrics-unit", http::StatusCode::BAD_GATEWAY, 0.3);
        let text = render();
        assert!(
            text.contains(r#"motu_requests_total{status="2xx",worker="metrics-unit"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"motu_requests_total{status="5xx",worker="metrics-unit"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"motu_request_duration_seconds_count{worker="metrics-unit"} 3"#),
            "{text}"
        );
    }

    #[test]
    fn the_queue_depth_falls_when_every_copy_is_dropped() {
        let before = METRICS.queue_depth.get();
        let queued = Queued::new();
        let copy = queued.clone();
        assert_eq!(METRICS.queue_depth.get(), before + 1);
        drop(queued);
        assert_eq!(METRICS.queue_depth.get(), before + 1);
        drop(copy);
        assert_eq!(METRICS.queue_depth.get(), before);
    }

    #[test]
    fn an_event_taken_back_leaves_the_queue_depth_once() {
        let before = METRICS.queue_depth.get();
        let queued = Queued::new();
        let copy = queued.clone();
        queued.leave();
        assert_eq!(METRICS.queue_depth.get(), before);
        copy.leave();
        drop(queued);
        drop(copy);
        assert_eq!(METRICS.queue_depth.get(), before);
    }
}
