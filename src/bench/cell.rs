//! One measurement cell, run in a process of its own so that memory figures
//! see nothing of other cells: one engine, one Worker, one phase (`load`:
//! throughput, latency, CPU per request and peak memory, over the Worker
//! alone or N copies of it; `cold`: fresh isolates' first responses and
//! their idle memory).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use motu_config::{Settings, WorkerSettings};
use serde::{Deserialize, Serialize};

use super::draw::Spread;
use super::load::{self, LoadSpec};
use super::workloads::RequestShape;

/// What a cell measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Warm load at fixed concurrency.
    Load,
    /// Fresh isolates, one request each.
    Cold,
}

/// How to run a cell.
#[derive(Debug, Clone)]
pub struct CellPlan {
    /// The server's settings: the engine chosen, the Worker under test
    /// first.
    pub settings: Settings,
    /// The request shape's name (a workload name).
    pub request: String,
    /// Load: connections.
    pub connections: usize,
    /// Load: measured duration.
    pub duration: Duration,
    /// Cold: fresh isolates to start.
    pub isolates: usize,
    /// Load: copies of the Worker the requests are spread over (1: the
    /// Worker alone).
    pub workers: usize,
    /// Load: how requests are spread over the copies.
    pub spread: Spread,
}

/// What one cell measured; the fields of the other phase stay `None`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CellResult {
    /// Load: requests answered with 2xx.
    pub ok: Option<u64>,
    /// Load: requests answered otherwise.
    pub errors: Option<u64>,
    /// Load: measured seconds.
    pub seconds: Option<f64>,
    /// Load: requests per second (2xx only).
    pub rps: Option<f64>,
    /// Load: latency percentiles in microseconds.
    pub p50_us: Option<u64>,
    /// See `p50_us`.
    pub p99_us: Option<u64>,
    /// See `p50_us`.
    pub p999_us: Option<u64>,
    /// See `p50_us`.
    pub max_us: Option<u64>,
    /// Load: server CPU time per request, in microseconds.
    pub cpu_us_per_request: Option<f64>,
    /// Load: peak resident memory of the process, in KiB.
    pub peak_rss_kib: Option<u64>,
    /// Cold: fresh isolates started.
    pub cold_isolates: Option<usize>,
    /// Cold: create + evaluate + first response, median and p99, in
    /// microseconds (through HTTP over loopback).
    pub cold_p50_us: Option<u64>,
    /// See `cold_p50_us`.
    pub cold_p99_us: Option<u64>,
    /// Cold: a warm request to the same server, median, in microseconds.
    pub warm_us: Option<u64>,
    /// Cold: resident memory growth per idle isolate, in KiB.
    pub idle_isolate_kib: Option<f64>,
    /// Load: copies of the Worker the load was spread over.
    #[serde(default)]
    pub workers: Option<usize>,
    /// Load over copies: milliseconds one request to each copy in turn
    /// took (each starting its isolate).
    #[serde(default)]
    pub touch_ms: Option<f64>,
    /// Load over copies: copies that did not answer the touch with 2xx.
    #[serde(default)]
    pub touch_errors: Option<u64>,
    /// Load over copies: resident memory after the touch, in KiB.
    #[serde(default)]
    pub rss_touch_kib: Option<u64>,
}

impl CellResult {
    /// These figures, with the missing ones taken from `other`.
    pub fn or(self, other: Self) -> Self {
        Self {
            ok: self.ok.or(other.ok),
            errors: self.errors.or(other.errors),
            seconds: self.seconds.or(other.seconds),
            rps: self.rps.or(other.rps),
            p50_us: self.p50_us.or(other.p50_us),
            p99_us: self.p99_us.or(other.p99_us),
            p999_us: self.p999_us.or(other.p999_us),
            max_us: self.max_us.or(other.max_us),
            cpu_us_per_request: self.cpu_us_per_request.or(other.cpu_us_per_request),
            peak_rss_kib: self.peak_rss_kib.or(other.peak_rss_kib),
            cold_isolates: self.cold_isolates.or(other.cold_isolates),
            cold_p50_us: self.cold_p50_us.or(other.cold_p50_us),
            cold_p99_us: self.cold_p99_us.or(other.cold_p99_us),
            warm_us: self.warm_us.or(other.warm_us),
            idle_isolate_kib: self.idle_isolate_kib.or(other.idle_isolate_kib),
            workers: self.workers.or(other.workers),
            touch_ms: self.touch_ms.or(other.touch_ms),
            touch_errors: self.touch_errors.or(other.touch_errors),
            rss_touch_kib: self.rss_touch_kib.or(other.rss_touch_kib),
        }
    }
}

/// The `Host` header that reaches a Worker.
fn host(worker: &str) -> String {
    format!("{}.localhost", worker.to_ascii_lowercase())
}

/// The nearest-rank percentile `p` (0..=100) of sorted `values`.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn bar(len: u64, message: String, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// A copy of `worker` under another name, reachable only at its
/// `NAME.localhost`.
fn clone_as(worker: &WorkerSettings, name: String) -> WorkerSettings {
    let mut w = worker.clone();
    w.name = name;
    w.routes.clear();
    w.crons.clear();
    w.workers_dev = true;
    w
}

/// Runs one phase of `plan` in this process and returns its figures.
pub fn run(plan: CellPlan, phase: Phase, label: &str) -> anyhow::Result<CellResult> {
    let mut settings = plan.settings;
    settings.server.listen = ([127, 0, 0, 1], 0).into();
    // The Worker under test is reached at its NAME.localhost.
    if let Some(first) = settings.workers.first_mut() {
        first.workers_dev = true;
    }
    let target = settings
        .workers
        .first()
        .context("the settings declare no Worker")?
        .clone();
    let request = RequestShape::of(&plan.request);
    let cold_names: Vec<String> = (0..plan.isolates)
        .map(|i| format!("{}-cold{i}", target.name))
        .collect();
    let warm_name = format!("{}-coldwarm", target.name);
    let copies: Vec<String> = (1..plan.workers.max(1))
        .map(|i| format!("{}-copy{i}", target.name))
        .collect();
    if phase == Phase::Load {
        for name in &copies {
            settings.workers.push(clone_as(&target, name.clone()));
        }
    }
    if phase == Phase::Cold {
        settings.workers.push(clone_as(&target, warm_name.clone()));
        for name in &cold_names {
            settings.workers.push(clone_as(&target, name.clone()));
        }
    }
    let label = label.to_owned();
    actix::System::new().block_on(async move {
        let addr = crate::serve::start_in_process(&settings).await?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        match phase {
            Phase::Load => {
                let spec = LoadSpec {
                    addr,
                    hosts: std::iter::once(&target.name)
                        .chain(&copies)
                        .map(|n| host(n))
                        .collect(),
                    spread: plan.spread,
                    request,
                    connections: plan.connections.max(1),
                    warmup: (plan.duration / 4).min(Duration::from_secs(1)),
                    duration: plan.duration,
                };
                let progress = bar(
                    0,
                    format!("{label}: load"),
                    "{msg:28} {spinner} {elapsed:>4} {pos:>9} requests ({per_sec})",
                );
                let workers = plan.workers.max(1);
                std::thread::spawn(move || {
                    let outcome = load::run(spec, progress.clone());
                    progress.finish_and_clear();
                    let _ = tx.send(outcome.map(|o| load_result(o, workers)));
                });
            }
            Phase::Cold => {
                let hosts: Vec<String> = cold_names.iter().map(|n| host(n)).collect();
                let warm_host = host(&warm_name);
                let progress = bar(
                    hosts.len() as u64,
                    format!("{label}: cold starts"),
                    "{msg:28} [{bar:30}] {pos}/{len} isolates",
                );
                std::thread::spawn(move || {
                    let outcome =
                        load::run_cold(addr, &warm_host, &hosts, &request, progress.clone());
                    progress.finish_and_clear();
                    let _ = tx.send(outcome.map(cold_result));
                });
            }
        }
        let result = rx.await.context("the load generator stopped")?;
        result
    })
}

fn load_result(o: load::LoadOutcome, workers: usize) -> CellResult {
    let seconds = o.elapsed.as_secs_f64();
    let answered = o.ok + o.errors;
    CellResult {
        ok: Some(o.ok),
        errors: Some(o.errors),
        seconds: Some(seconds),
        rps: Some(if seconds > 0.0 {
            o.ok as f64 / seconds
        } else {
            0.0
        }),
        p50_us: Some(o.latency_us.value_at_quantile(0.5)),
        p99_us: Some(o.latency_us.value_at_quantile(0.99)),
        p999_us: Some(o.latency_us.value_at_quantile(0.999)),
        max_us: Some(o.latency_us.max()),
        cpu_us_per_request: Some(if answered > 0 {
            o.server_cpu.as_secs_f64() * 1e6 / answered as f64
        } else {
            0.0
        }),
        peak_rss_kib: Some(o.peak_rss_kib),
        workers: Some(workers),
        touch_ms: o.touch.map(|(t, _, _)| t.as_secs_f64() * 1e3),
        touch_errors: o.touch.map(|(_, e, _)| e),
        rss_touch_kib: o.touch.map(|(_, _, r)| r),
        ..CellResult::default()
    }
}

fn cold_result(o: load::ColdOutcome) -> CellResult {
    let mut sorted = o.first_response_us.clone();
    sorted.sort_unstable();
    let n = sorted.len();
    CellResult {
        cold_isolates: Some(n),
        cold_p50_us: Some(percentile(&sorted, 50.0)),
        cold_p99_us: Some(percentile(&sorted, 99.0)),
        warm_us: Some(o.warm_us),
        idle_isolate_kib: Some(if n > 0 {
            o.rss_after_kib.saturating_sub(o.rss_before_kib) as f64 / n as f64
        } else {
            0.0
        }),
        ..CellResult::default()
    }
}

/// Writes `result` as JSON to `path`.
pub fn write(path: &Path, result: &CellResult) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_vec(result)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
