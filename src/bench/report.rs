//! The results as a terminal table and a Markdown report, with the
//! project's targets checked where one run of `motu bench` can check them.

use std::fmt::Write as _;

use super::{BenchArgs, Row};

/// Where and how the figures were taken.
#[derive(Debug, Clone)]
pub struct Meta {
    /// UTC date and time of the run.
    pub date: String,
    /// motu's version.
    pub version: &'static str,
    /// The CPU model and the number of cores.
    pub machine: String,
    /// The kernel release.
    pub kernel: String,
    /// The options that shape the figures.
    pub options: String,
    /// Whether the loads were spread over copies of the Worker
    /// (`--workers`).
    pub scale: bool,
}

impl Meta {
    /// Reads the machine's description and the run's options.
    pub fn collect(args: &BenchArgs, engines: &[String]) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        Self {
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            version: env!("CARGO_PKG_VERSION"),
            machine: format!("{model}, {cores} cores available"),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "unknown".into()),
            options: if args.workers.is_empty() {
                format!(
                    "engines {}; {} connections; {:.1} s measured per load after a warm-up; {} fresh isolates per cold-start cell; executor threads: {}",
                    engines.join(", "),
                    args.connections,
                    args.duration.as_secs_f64(),
                    args.isolates,
                    threads(args.threads)
                )
            } else {
                format!(
                    "engines {}; {} connections; {:.1} s measured per load after a warm-up; loads spread over {} copies of the Worker ({:?}); executor threads: {}",
                    engines.join(", "),
                    args.connections,
                    args.duration.as_secs_f64(),
                    args.workers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                    args.spread,
                    threads(args.threads)
                )
            },
            scale: !args.workers.is_empty(),
        }
    }
}

fn threads(n: usize) -> String {
    if n == 0 {
        "one per core".to_owned()
    } else {
        n.to_string()
    }
}

/// Microseconds as `850 µs` or `1.25 ms`.
pub fn us(value: Option<u64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if v < 1000 => format!("{v} µs"),
        Some(v) => format!("{:.2} ms", v as f64 / 1000.0),
    }
}

/// KiB as `420 KiB` or `12.3 MiB`.
pub fn kib(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if v < 1024.0 => format!("{v:.0} KiB"),
        Some(v) => format!("{:.1} MiB", v / 1024.0),
    }
}

fn rps(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.0}"))
}

const HEADERS: [&str; 12] = [
    "workload",
    "engine",
    "req/s",
    "p50",
    "p99",
    "p99.9",
    "errors",
    "CPU/req",
    "peak RSS",
    "cold p50",
    "cold p99",
    "idle isolate",
];

/// The columns over copies of the Worker (`--workers`).
const SCALE_HEADERS: [&str; 12] = [
    "workload",
    "engine",
    "Workers",
    "req/s",
    "p50",
    "p99",
    "p99.9",
    "errors",
    "CPU/req",
    "touch all",
    "RSS after touch",
    "peak RSS",
];

fn headers(scale: bool) -> &'static [&'static str; 12] {
    if scale {
        &SCALE_HEADERS
    } else {
        &HEADERS
    }
}

fn cells(row: &Row, scale: bool) -> Vec<String> {
    let r = &row.result;
    if scale {
        return vec![
            row.workload.clone(),
            row.engine.clone(),
            r.workers.unwrap_or(1).to_string(),
            rps(r.rps),
            us(r.p50_us),
            us(r.p99_us),
            us(r.p999_us),
            (r.errors.unwrap_or(0) + r.touch_errors.unwrap_or(0)).to_string(),
            us(r.cpu_us_per_request.map(|v| v.round() as u64)),
            r.touch_ms
                .map_or("-".into(), |ms| format!("{:.2} s", ms / 1e3)),
            kib(r.rss_touch_kib.map(|v| v as f64)),
            kib(r.peak_rss_kib.map(|v| v as f64)),
        ];
    }
    vec![
        row.workload.clone(),
        row.engine.clone(),
        rps(r.rps),
        us(r.p50_us),
        us(r.p99_us),
        us(r.p999_us),
        r.errors.map_or("-".into(), |e| e.to_string()),
        us(r.cpu_us_per_request.map(|v| v.round() as u64)),
        kib(r.peak_rss_kib.map(|v| v as f64)),
        us(r.cold_p50_us),
        us(r.cold_p99_us),
        kib(r.idle_isolate_kib),
    ]
}

/// The results as an aligned text table; `scale`: loads over copies of
/// the Worker.
pub fn table(rows: &[Row], scale: bool) -> String {
    let headers = headers(scale);
    let body: Vec<Vec<String>> = rows.iter().map(|r| cells(r, scale)).collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            body.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cols: Vec<String>| {
        cols.iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 2 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = line(headers.iter().map(|h| (*h).to_owned()).collect());
    for r in body {
        out.push('\n');
        out.push_str(&line(r));
    }
    out
}

/// A target of the project, checked against one row.
struct Target {
    what: &'static str,
    engine: Option<&'static str>,
    workload: Option<&'static str>,
    /// The figure, and whether it meets the target.
    check: fn(&Row) -> Option<(String, bool)>,
}

const TARGETS: [Target; 7] = [
    Target {
        what: "isolate cold start under 1 ms (median)",
        engine: Some("quickjs"),
        workload: Some("hello"),
        check: |r| r.result.cold_p50_us.map(|v| (us(Some(v)), v < 1000)),
    },
    Target {
        what: "isolate cold start under 5 ms (median)",
        engine: Some("v8"),
        workload: Some("hello"),
        check: |r| r.result.cold_p50_us.map(|v| (us(Some(v)), v < 5000)),
    },
    Target {
        what: "memory per idle isolate under 0.5 MiB",
        engine: Some("quickjs"),
        workload: Some("hello"),
        check: |r| r.result.idle_isolate_kib.map(|v| (kib(Some(v)), v < 512.0)),
    },
    Target {
        what: "memory per idle isolate under 2 MiB",
        engine: Some("v8"),
        workload: Some("hello"),
        check: |r| {
            r.result
                .idle_isolate_kib
                .map(|v| (kib(Some(v)), v < 2048.0))
        },
    },
    Target {
        what: "peak RSS under the hello load under 64 MiB",
        engine: None,
        workload: Some("hello"),
        check: |r| {
            r.result
                .peak_rss_kib
                .map(|v| (kib(Some(v as f64)), v < 64 * 1024))
        },
    },
    Target {
        what: "p99 under 5 ms at 32 connections (hello)",
        engine: Some("v8"),
        workload: Some("hello"),
        check: |r| r.result.p99_us.map(|v| (us(Some(v)), v < 5000)),
    },
    Target {
        what: "p99 under 5 ms at 32 connections (json)",
        engine: Some("v8"),
        workload: Some("json"),
        check: |r| r.result.p99_us.map(|v| (us(Some(v)), v < 5000)),
    },
];

/// The report: what was run where, the table, and the targets it can check.
pub fn markdown(meta: &Meta, rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# motu bench\n");
    let _ = writeln!(out, "- date: {}", meta.date);
    let _ = writeln!(out, "- motu {}", meta.version);
    let _ = writeln!(out, "- machine: {}; Linux {}", meta.machine, meta.kernel);
    let _ = writeln!(out, "- run: {}\n", meta.options);
    let _ = writeln!(out, "![engines side by side](chart.svg)\n");
    let headers = headers(meta.scale);
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        headers
            .iter()
            .enumerate()
            .map(|(i, _)| if i < 2 { " --- |" } else { " ---: |" })
            .collect::<String>()
    );
    for row in rows {
        let _ = writeln!(out, "| {} |", cells(row, meta.scale).join(" | "));
    }
    if meta.scale {
        let _ = writeln!(
            out,
            "\n## How these were measured\n\n\
- Each engine, workload and count of Workers runs in a fresh child process: the server in-process with the Worker and N-1 copies of it (each its own Worker, at its own `NAME.localhost`), and the built-in load generator on its own thread over loopback.\n\
- **touch all**: one request to each copy in turn over one connection, each starting its copy's isolate; **RSS after touch**: the process's resident set right after, with an isolate per copy.\n\
- **req/s, p50, p99, p99.9**: then the load, each request's copy drawn per request (Zipf(1.1) over a fixed shuffle of the copies, or uniformly); a warm-up of a quarter of the duration (at most 1 s) is not counted. **errors**: answers other than 2xx, the touch's included.\n\
- **CPU/req**: the process's CPU time while measuring, less the load generator thread's, per answered request. **peak RSS**: the resident-set peak while measuring.\n\
- Read each engine's row at N against its row at 1: what spreading the load over many isolates costs (an isolate's memory is cold in the caches when its turn comes, and an engine that compiles hot code compiles it per isolate)."
        );
        return out;
    }
    let _ = writeln!(out, "\n## Targets\n");
    let _ = writeln!(out, "| target | engine | figure | met |");
    let _ = writeln!(out, "| --- | --- | ---: | --- |");
    let mut any = false;
    for t in &TARGETS {
        for row in rows {
            if t.engine.is_some_and(|e| e != row.engine)
                || t.workload.is_some_and(|w| w != row.workload)
            {
                continue;
            }
            if let Some((figure, met)) = (t.check)(row) {
                any = true;
                let _ = writeln!(
                    out,
                    "| {} | {} | {figure} | {} |",
                    t.what,
                    row.engine,
                    if met { "yes" } else { "**no**" }
                );
            }
        }
    }
    if !any {
        let _ = writeln!(out, "| (none of the targets applies to this run) | | | |");
    }
    let _ = writeln!(
        out,
        "\n## How these were measured\n\n\
- Each engine and workload runs in fresh child processes: one for the load, one for the cold starts.\n\
- **req/s, p50, p99, p99.9**: the server in-process, the built-in load generator (hyper client, one keep-alive HTTP/1.1 connection per concurrent request, HdrHistogram) on its own thread over loopback; a warm-up of a quarter of the duration (at most 1 s) is not counted. Only 2xx answers count towards req/s; **errors** are the others.\n\
- **CPU/req**: the process's CPU time while measuring, less the load generator thread's, per answered request.\n\
- **peak RSS**: the process's resident-set peak while measuring (the kernel's high-water mark, reset when the load starts); it includes the load generator.\n\
- **cold p50, cold p99**: N copies of the Worker under different names, one request each over one connection, so each request creates an isolate, loads the Web API prelude, evaluates the Worker and answers: the time from sending the request to the end of the response. A warm request on the same server took the median shown in results.json (`warm_us`); that much of each figure is HTTP and the gateway.\n\
- **idle isolate**: resident-set growth across those N isolates, divided by N, with them all alive and idle.\n\
- The other targets of the project (ratios to workerd and Deno, process spawn to first response) need the peers: `benches/compare/run.sh`."
    );
    out
}
