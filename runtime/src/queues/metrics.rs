//! The queues' metrics, per queue (label `queue`), in the process's
//! registry (`crate::metrics::render`):
//!
//! - `motu_queue_sent_total`: messages sent (acknowledged to the producer);
//! - `motu_queue_delivered_total`: messages handed to a consumer (a retried
//!   message counts once per delivery);
//! - `motu_queue_acked_total`: messages acknowledged (deleted);
//! - `motu_queue_retried_total`: deliveries that ended in a retry;
//! - `motu_queue_dead_lettered_total`: messages moved to the dead-letter
//!   queue after their last retry;
//! - `motu_queue_dropped_total`: messages dropped after their last retry
//!   (their consumer has no dead-letter queue);
//! - `motu_queue_backlog`: messages in the queue (ready, delayed and in
//!   flight), as its consumer last counted them.

use std::sync::LazyLock;

use prometheus::{IntCounterVec, IntGaugeVec, Opts};

struct QueueMetrics {
    sent: IntCounterVec,
    delivered: IntCounterVec,
    acked: IntCounterVec,
    retried: IntCounterVec,
    dead_lettered: IntCounterVec,
    dropped: IntCounterVec,
    backlog: IntGaugeVec,
}

static METRICS: LazyLock<QueueMetrics> = LazyLock::new(|| {
    let counter = |name: &str, help: &str| {
        let m = IntCounterVec::new(Opts::new(name, help), &["queue"]).expect("a valid metric");
        crate::metrics::register(Box::new(m.clone()));
        m
    };
    let backlog = IntGaugeVec::new(
        Opts::new(
            "motu_queue_backlog",
            "Messages in the queue (ready, delayed and in flight), as its consumer last counted them.",
        ),
        &["queue"],
    )
    .expect("a valid metric");
    crate::metrics::register(Box::new(backlog.clone()));
    QueueMetrics {
        sent: counter("motu_queue_sent_total", "Messages sent to the queue."),
        delivered: counter(
            "motu_queue_delivered_total",
            "Messages handed to the queue's consumer, once per delivery.",
        ),
        acked: counter("motu_queue_acked_total", "Messages acknowledged (deleted)."),
        retried: counter(
            "motu_queue_retried_total",
            "Deliveries that ended in a retry.",
        ),
        dead_lettered: counter(
            "motu_queue_dead_lettered_total",
            "Messages moved to the dead-letter queue after their last retry.",
        ),
        dropped: counter(
            "motu_queue_dropped_total",
            "Messages dropped after their last retry (no dead-letter queue).",
        ),
        backlog,
    }
});

/// Counts `n` messages sent to `queue`.
pub(crate) fn sent(queue: &str, n: usize) {
    METRICS.sent.with_label_values(&[queue]).inc_by(n as u64);
}

/// Counts a batch's outcome on `queue`.
pub(crate) fn batch(
    queue: &str,
    delivered: usize,
    acked: usize,
    retried: usize,
    dead_lettered: usize,
    dropped: usize,
) {
    let m = &*METRICS;
    for (metric, n) in [
        (&m.delivered, delivered),
        (&m.acked, acked),
        (&m.retried, retried),
        (&m.dead_lettered, dead_lettered),
        (&m.dropped, dropped),
    ] {
        metric.with_label_values(&[queue]).inc_by(n as u64);
    }
}

/// Sets the backlog of `queue`.
pub(crate) fn backlog(queue: &str, messages: u64) {
    METRICS
        .backlog
        .with_label_values(&[queue])
        .set(messages as i64);
}
