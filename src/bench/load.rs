//! The built-in HTTP load generator: a fixed number of keep-alive HTTP/1.1
//! connections over loopback (hyper client), each sending its next request
//! as soon as the previous response's body has arrived, with every latency
//! recorded in an HdrHistogram. It runs on a thread of its own (one
//! single-threaded tokio runtime), so its CPU time can be told apart from
//! the server's. Over many copies of a Worker, each request's copy is drawn
//! from a [`Spread`], after one request to every copy (the *touch*).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use indicatif::ProgressBar;

use super::draw::{Draw, Spread};
use super::process;
use super::workloads::RequestShape;

/// What to load and how.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The server.
    pub addr: SocketAddr,
    /// The `Host` headers of the Worker's copies (one: the Worker alone).
    pub hosts: Vec<String>,
    /// How requests are spread over the copies.
    pub spread: Spread,
    /// The request.
    pub request: RequestShape,
    /// Connections, each with one request in flight.
    pub connections: usize,
    /// Load before measuring starts (JIT warm-up), after a first answer
    /// (the isolate's start).
    pub warmup: Duration,
    /// How long to measure.
    pub duration: Duration,
}

/// What a load run measured (its warm-up excluded).
#[derive(Debug)]
pub struct LoadOutcome {
    /// Requests answered with a 2xx status.
    pub ok: u64,
    /// Requests answered otherwise.
    pub errors: u64,
    /// From the start of measuring to the last response.
    pub elapsed: Duration,
    /// Latency of every answered request, in microseconds.
    pub latency_us: Histogram<u64>,
    /// The process's CPU time while measuring, less the load generator's.
    pub server_cpu: Duration,
    /// The peak resident set of the process while measuring, in KiB (since
    /// the process started where the kernel cannot reset the peak).
    pub peak_rss_kib: u64,
    /// Over many copies: the time one request to each copy in turn took
    /// (each starting its copy's isolate), the copies that did not answer
    /// with a 2xx status, and the resident set after it, in KiB.
    pub touch: Option<(Duration, u64, u64)>,
}

/// An HTTP/1.1 connection to `addr`.
async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends one request and reads its response whole: (status is 2xx,
/// latency).
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    host: &str,
    request: &RequestShape,
) -> anyhow::Result<(bool, Duration)> {
    sender.ready().await?;
    let req = Request::builder()
        .method(request.method.clone())
        .uri("/")
        .header(hyper::header::HOST, host)
        .body(Full::new(request.body.clone()))?;
    let start = Instant::now();
    let response = sender.send_request(req).await?;
    let ok = response.status().is_success();
    response.into_body().collect().await?;
    Ok((ok, start.elapsed()))
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// One connection's loop until `until`, recording what starts after
/// `measure_from`.
async fn connection_loop(
    spec: Arc<LoadSpec>,
    mut draw: Draw,
    measure_from: Instant,
    until: Instant,
    progress: ProgressBar,
) -> anyhow::Result<(u64, u64, Histogram<u64>, Instant)> {
    let mut sender = connect(spec.addr).await?;
    let (mut ok, mut errors, mut hist) = (0, 0, histogram());
    let mut last = Instant::now();
    loop {
        let start = Instant::now();
        if start >= until {
            break;
        }
        let host = &spec.hosts[draw.next()];
        let (success, latency) = match exchange(&mut sender, host, &spec.request).await {
            Ok(answer) => answer,
            // The server closes a connection after its keep-alive limit of
            // requests, as it may; a client opens another, as real ones do.
            Err(_) if sender.is_closed() => {
                sender = connect(spec.addr).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        if start >= measure_from {
            if success {
                ok += 1;
            } else {
                errors += 1;
            }
            hist.saturating_record(latency.as_micros().max(1) as u64);
            last = Instant::now();
            progress.inc(1);
        }
    }
    Ok((ok, errors, hist, last))
}

fn local_runtime() -> anyhow::Result<(tokio::runtime::Runtime, tokio::task::LocalSet)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok((rt, tokio::task::LocalSet::new()))
}

/// Runs the load of `spec` on the calling thread; `progress` counts
/// measured requests.
pub fn run(spec: LoadSpec, progress: ProgressBar) -> anyhow::Result<LoadOutcome> {
    let (rt, local) = local_runtime()?;
    local.block_on(&rt, async move {
        let spec = Arc::new(spec);
        // The warm-up starts once the Worker has answered: its isolate's
        // start (libnode's loading, in a slow build on a busy machine)
        // must not eat into the time measured.
        let mut first = connect(spec.addr).await?;
        exchange(&mut first, &spec.hosts[0], &spec.request).await?;
        let touch = if spec.hosts.len() > 1 {
            let began = Instant::now();
            let mut failed = 0;
            for host in &spec.hosts {
                // A connection is closed after the server's keep-alive
                // limit of requests; another is opened, as clients do.
                if first.is_closed() {
                    first = connect(spec.addr).await?;
                }
                let ok = match exchange(&mut first, host, &spec.request).await {
                    Ok((ok, _)) => ok,
                    Err(_) if first.is_closed() => {
                        first = connect(spec.addr).await?;
                        exchange(&mut first, host, &spec.request).await?.0
                    }
                    Err(e) => return Err(e),
                };
                if !ok {
                    failed += 1;
                }
            }
            Some((began.elapsed(), failed, process::rss_kib()))
        } else {
            None
        };
        drop(first);
        let measure_from = Instant::now() + spec.warmup;
        let until = measure_from + spec.duration;
        let mut tasks = Vec::with_capacity(spec.connections);
        for c in 0..spec.connections {
            tasks.push(tokio::task::spawn_local(connection_loop(
                spec.clone(),
                Draw::new(spec.hosts.len(), spec.spread, c as u64 + 1),
                measure_from,
                until,
                progress.clone(),
            )));
        }
        tokio::time::sleep_until(measure_from.into()).await;
        let peak_reset = process::reset_peak_rss();
        let (cpu0, own0) = (process::process_cpu(), process::thread_cpu());
        let mut sampled_peak = process::rss_kib();
        let mut outcome = LoadOutcome {
            ok: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latency_us: histogram(),
            server_cpu: Duration::ZERO,
            peak_rss_kib: 0,
            touch,
        };
        let mut last = measure_from;
        for task in tasks {
            // Sample the resident set while waiting, in case the kernel
            // cannot reset its peak.
            let mut task = task;
            let result = loop {
                tokio::select! {
                    r = &mut task => break r,
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {
                        sampled_peak = sampled_peak.max(process::rss_kib());
                    }
                }
            };
            let (ok, errors, hist, end) = result.context("a load connection panicked")??;
            outcome.ok += ok;
            outcome.errors += errors;
            outcome.latency_us.add(&hist).context("merging latencies")?;
            last = last.max(end);
        }
        let (cpu1, own1) = (process::process_cpu(), process::thread_cpu());
        outcome.elapsed = last.saturating_duration_since(measure_from);
        outcome.server_cpu = (cpu1.saturating_sub(cpu0)).saturating_sub(own1.saturating_sub(own0));
        outcome.peak_rss_kib = if peak_reset {
            process::peak_rss_kib()
        } else {
            sampled_peak
        };
        Ok(outcome)
    })
}

/// What the cold-start run measured.
#[derive(Debug)]
pub struct ColdOutcome {
    /// Time to the first response of each fresh Worker, in microseconds.
    pub first_response_us: Vec<u64>,
    /// Time of a warm request to the same server, median, in microseconds:
    /// what HTTP and the gateway add to every figure above.
    pub warm_us: u64,
    /// The resident set before and after starting the isolates, in KiB.
    pub rss_before_kib: u64,
    /// See `rss_before_kib`.
    pub rss_after_kib: u64,
}

/// Sends one request to each of `hosts` in turn (each a Worker with no
/// isolate yet) over one connection, after warming the engine with
/// `warm_host`, and measures the resident set around them.
pub fn run_cold(
    addr: SocketAddr,
    warm_host: &str,
    hosts: &[String],
    request: &RequestShape,
    progress: ProgressBar,
) -> anyhow::Result<ColdOutcome> {
    let (rt, local) = local_runtime()?;
    local.block_on(&rt, async move {
        let mut sender = connect(addr).await?;
        // The first isolate of the process pays for engine-wide start-up
        // (and each executor thread's first, for per-thread caches): warm
        // both threads' worth, then measure a warm request.
        let mut warm = Vec::new();
        for _ in 0..50 {
            let (ok, latency) = exchange(&mut sender, warm_host, request).await?;
            anyhow::ensure!(ok, "{warm_host} did not answer with a 2xx status");
            warm.push(latency.as_micros() as u64);
        }
        warm.sort_unstable();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let rss_before_kib = process::rss_kib();
        let mut first_response_us = Vec::with_capacity(hosts.len());
        for host in hosts {
            let (ok, latency) = exchange(&mut sender, host, request).await?;
            anyhow::ensure!(ok, "{host} did not answer with a 2xx status");
            first_response_us.push(latency.as_micros() as u64);
            progress.inc(1);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(ColdOutcome {
            first_response_us,
            warm_us: warm[warm.len() / 2],
            rss_before_kib,
            rss_after_kib: process::rss_kib(),
        })
    })
}
