//! Dynamic Workers' metrics, per parent Worker (the one whose Worker Loader
//! loaded them; one label per parent, however many dynamic Workers), in
//! the process's registry (`crate::metrics::render`):
//!
//! - `motu_dynamic_workers_loaded`: dynamic Workers loaded now;
//! - `motu_dynamic_worker_loads_total`: dynamic Workers loaded (the code
//!   its parent gave checked, written and registered);
//! - `motu_dynamic_workers_let_go_total`: dynamic Workers let go after
//!   being idle.

use std::sync::LazyLock;

use prometheus::{IntCounterVec, IntGaugeVec, Opts};

struct DynamicMetrics {
    loaded: IntGaugeVec,
    loads: IntCounterVec,
    let_go: IntCounterVec,
}

static METRICS: LazyLock<DynamicMetrics> = LazyLock::new(|| {
    let loaded = IntGaugeVec::new(
        Opts::new(
            "motu_dynamic_workers_loaded",
            "Dynamic Workers loaded, by parent Worker.",
        ),
        &["worker"],
    )
    .expect("a valid metric");
    let loads = IntCounterVec::new(
        Opts::new(
            "motu_dynamic_worker_loads_total",
            "Dynamic Workers loaded from code their parent gave, by parent Worker.",
        ),
        &["worker"],
    )
    .expect("a valid metric");
    let let_go = IntCounterVec::new(
        Opts::new(
            "motu_dynamic_workers_let_go_total",
            "Dynamic Workers let go after being idle, by parent Worker.",
        ),
        &["worker"],
    )
    .expect("a valid metric");
    crate::metrics::register(Box::new(loaded.clone()));
    crate::metrics::register(Box::new(loads.clone()));
    crate::metrics::register(Box::new(let_go.clone()));
    DynamicMetrics {
        loaded,
        loads,
        let_go,
    }
});

/// `parent` loaded a dynamic Worker.
pub(crate) fn loaded(parent: &str) {
    METRICS.loads.with_label_values(&[parent]).inc();
    METRICS.loaded.with_label_values(&[parent]).inc();
}

/// A dynamic Worker of `parent` was let go.
pub(crate) fn let_go(parent: &str) {
    METRICS.let_go.with_label_values(&[parent]).inc();
    METRICS.loaded.with_label_values(&[parent]).dec();
}
