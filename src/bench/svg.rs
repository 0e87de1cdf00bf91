//! The chart of a `motu bench` run: one panel per figure (req/s, p99
//! latency, cold start, memory per idle isolate), each with the workloads
//! along it and the engines side by side as bars. Plain SVG, written by
//! hand.

use std::fmt::Write as _;

use super::Row;

const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 240.0;
const MARGIN_L: f64 = 70.0;
const MARGIN_T: f64 = 36.0;
const MARGIN_B: f64 = 40.0;
const COLORS: [&str; 4] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"];

struct Panel {
    title: &'static str,
    unit: &'static str,
    value: fn(&Row) -> Option<f64>,
}

const PANELS: [Panel; 4] = [
    Panel {
        title: "Throughput (higher is better)",
        unit: "req/s",
        value: |r| r.result.rps,
    },
    Panel {
        title: "p99 latency (lower is better)",
        unit: "ms",
        value: |r| r.result.p99_us.map(|v| v as f64 / 1000.0),
    },
    Panel {
        title: "Isolate cold start, median (lower is better)",
        unit: "ms",
        value: |r| r.result.cold_p50_us.map(|v| v as f64 / 1000.0),
    },
    Panel {
        title: "Memory per idle isolate (lower is better)",
        unit: "MiB",
        value: |r| r.result.idle_isolate_kib.map(|v| v / 1024.0),
    },
];

/// Escapes text for SVG.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number for an axis label.
fn label(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The chart of `rows`, engines in the order of `engines`.
pub fn chart(rows: &[Row], engines: &[String]) -> String {
    let mut workloads: Vec<&str> = Vec::new();
    for r in rows {
        if !workloads.contains(&r.workload.as_str()) {
            workloads.push(&r.workload);
        }
    }
    let width = PANEL_W * 2.0;
    let height = PANEL_H * 2.0 + 30.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    // The legend.
    for (i, e) in engines.iter().enumerate() {
        let x = 10.0 + i as f64 * 110.0;
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="8" width="12" height="12" fill="{}"/><text x="{}" y="18">{}</text>"#,
            COLORS[i % COLORS.len()],
            x + 16.0,
            esc(e)
        );
    }
    for (p, panel) in PANELS.iter().enumerate() {
        let ox = (p % 2) as f64 * PANEL_W;
        let oy = 30.0 + (p / 2) as f64 * PANEL_H;
        let plot_w = PANEL_W - MARGIN_L - 20.0;
        let plot_h = PANEL_H - MARGIN_T - MARGIN_B;
        let max = rows
            .iter()
            .filter_map(|r| (panel.value)(r))
            .fold(0.0f64, f64::max);
        let top = if max > 0.0 { max * 1.1 } else { 1.0 };
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" font-size="13" font-weight="bold">{}</text>"#,
            ox + 10.0,
            oy + 18.0,
            esc(panel.title)
        );
        let base_y = oy + MARGIN_T + plot_h;
        let _ = writeln!(
            out,
            r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#333"/><line x1="{0}" y1="{2}" x2="{3}" y2="{2}" stroke="#333"/>"##,
            ox + MARGIN_L,
            oy + MARGIN_T,
            base_y,
            ox + MARGIN_L + plot_w
        );
        for tick in 0..=4 {
            let v = top * tick as f64 / 4.0;
            let y = base_y - plot_h * tick as f64 / 4.0;
            let _ = writeln!(
                out,
                r##"<text x="{}" y="{}" text-anchor="end">{}</text><line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/>"##,
                ox + MARGIN_L - 4.0,
                y + 4.0,
                label(v),
                ox + MARGIN_L,
                ox + MARGIN_L + plot_w
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" transform="rotate(-90 {0} {1})">{}</text>"#,
            ox + 14.0,
            oy + MARGIN_T + plot_h / 2.0,
            esc(panel.unit)
        );
        let group_w = plot_w / workloads.len().max(1) as f64;
        let bar_w = (group_w * 0.8) / engines.len().max(1) as f64;
        for (g, w) in workloads.iter().enumerate() {
            let gx = ox + MARGIN_L + g as f64 * group_w + group_w * 0.1;
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
                gx + group_w * 0.4,
                base_y + 16.0,
                esc(w)
            );
            for (i, e) in engines.iter().enumerate() {
                let Some(v) = rows
                    .iter()
                    .find(|r| r.workload == *w && r.engine == *e)
                    .and_then(|r| (panel.value)(r))
                else {
                    continue;
                };
                let h = plot_h * (v / top).clamp(0.0, 1.0);
                let x = gx + i as f64 * bar_w;
                let _ = writeln!(
                    out,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{} {}: {} {}</title></rect>"#,
                    base_y - h,
                    bar_w * 0.9,
                    COLORS[i % COLORS.len()],
                    esc(e),
                    esc(w),
                    label(v),
                    esc(panel.unit)
                );
                let _ = writeln!(
                    out,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="9">{}</text>"#,
                    x + bar_w * 0.45,
                    base_y - h - 3.0,
                    label(v)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

/// A panel of the chart over counts of Workers.
struct ScalePanel {
    title: &'static str,
    unit: &'static str,
    value: fn(&Row) -> Option<f64>,
}

const SCALE_PANELS: [ScalePanel; 2] = [
    ScalePanel {
        title: "Throughput against Workers (higher is better)",
        unit: "req/s",
        value: |r| r.result.rps,
    },
    ScalePanel {
        title: "Resident memory against Workers (lower is better)",
        unit: "MiB",
        value: |r| {
            r.result
                .peak_rss_kib
                .max(r.result.rss_touch_kib)
                .map(|v| v as f64 / 1024.0)
        },
    },
];

/// The chart of a run over counts of Workers (`--workers`): req/s and
/// resident memory against the count, one line per engine and workload,
/// the counts evenly spaced in the order given.
pub fn scale_chart(rows: &[Row], engines: &[String]) -> String {
    let mut counts: Vec<usize> = Vec::new();
    let mut series: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        let n = r.result.workers.unwrap_or(1);
        if !counts.contains(&n) {
            counts.push(n);
        }
        if !series.contains(&(r.engine.as_str(), r.workload.as_str())) {
            series.push((&r.engine, &r.workload));
        }
    }
    let width = PANEL_W * 2.0;
    let height = PANEL_H + 30.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    let color = |engine: &str, workload: &str| {
        let e = engines.iter().position(|x| x == engine).unwrap_or(0);
        let w = series
            .iter()
            .filter(|(x, _)| *x == engine)
            .position(|(_, y)| *y == workload)
            .unwrap_or(0);
        (COLORS[e % COLORS.len()], if w == 0 { "" } else { "4 3" })
    };
    for (i, (e, w)) in series.iter().enumerate() {
        let x = 10.0 + i as f64 * 130.0;
        let (c, dash) = color(e, w);
        let _ = writeln!(
            out,
            r#"<line x1="{x}" y1="14" x2="{}" y2="14" stroke="{c}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{}" y="18">{} {}</text>"#,
            x + 18.0,
            x + 22.0,
            esc(e),
            esc(w)
        );
    }
    for (p, panel) in SCALE_PANELS.iter().enumerate() {
        let ox = p as f64 * PANEL_W;
        let oy = 30.0;
        let plot_w = PANEL_W - MARGIN_L - 30.0;
        let plot_h = PANEL_H - MARGIN_T - MARGIN_B;
        let max = rows
            .iter()
            .filter_map(|r| (panel.value)(r))
            .fold(0.0f64, f64::max);
        let top = if max > 0.0 { max * 1.1 } else { 1.0 };
        let base_y = oy + MARGIN_T + plot_h;
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" font-size="13" font-weight="bold">{}</text>"#,
            ox + 10.0,
            oy + 18.0,
            esc(panel.title)
        );
        let _ = writeln!(
            out,
            r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#333"/><line x1="{0}" y1="{2}" x2="{3}" y2="{2}" stroke="#333"/>"##,
            ox + MARGIN_L,
            oy + MARGIN_T,
            base_y,
            ox + MARGIN_L + plot_w
        );
        for tick in 0..=4 {
            let v = top * tick as f64 / 4.0;
            let y = base_y - plot_h * tick as f64 / 4.0;
            let _ = writeln!(
                out,
                r##"<text x="{}" y="{}" text-anchor="end">{}</text><line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/>"##,
                ox + MARGIN_L - 4.0,
                y + 4.0,
                label(v),
                ox + MARGIN_L,
                ox + MARGIN_L + plot_w
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" transform="rotate(-90 {0} {1})">{}</text>"#,
            ox + 14.0,
            oy + MARGIN_T + plot_h / 2.0,
            esc(panel.unit)
        );
        let step = plot_w / counts.len().max(1) as f64;
        let x_of = |n: usize| {
            let i = counts.iter().position(|c| *c == n).unwrap_or(0);
            ox + MARGIN_L + step * (i as f64 + 0.5)
        };
        for &n in &counts {
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{n}</text>"#,
                x_of(n),
                base_y + 16.0
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">Workers</text>"#,
            ox + MARGIN_L + plot_w / 2.0,
            base_y + 32.0
        );
        for (e, w) in &series {
            let (c, dash) = color(e, w);
            let points: Vec<(f64, f64, f64)> = rows
                .iter()
                .filter(|r| r.engine == *e && r.workload == *w)
                .filter_map(|r| {
                    let v = (panel.value)(r)?;
                    let y = base_y - plot_h * (v / top).clamp(0.0, 1.0);
                    Some((x_of(r.result.workers.unwrap_or(1)), y, v))
                })
                .collect();
            let path: Vec<String> = points
                .iter()
                .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
                path.join(" ")
            );
            for (x, y, v) in points {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{c}"><title>{} {}: {} {}</title></circle>"#,
                    esc(e),
                    esc(w),
                    label(v),
                    esc(panel.unit)
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}
