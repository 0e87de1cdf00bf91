//! `motu bench` runs briefly on every engine built in and writes a report,
//! a chart and results that parse. No timing is asserted: the figures
//! depend on the machine.

mod common;

use std::process::Command;

#[test]
fn bench_writes_a_report_a_chart_and_results() {
    let out = tempfile::tempdir().unwrap();
    let engines = common::engines().join(",");
    let status = Command::new(env!("CARGO_BIN_EXE_motu"))
        .args(["bench", "--engines", &engines, "--workload", "hello,echo"])
        .args([
            "--duration",
            "300ms",
            "--connections",
            "4",
            "--isolates",
            "3",
        ])
        .arg("--out")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success(), "motu bench failed: {status}");

    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("results.json")).unwrap()).unwrap();
    let rows = results.as_array().unwrap();
    assert_eq!(rows.len(), 2 * common::engines().len());
    for engine in common::engines() {
        for workload in ["hello", "echo"] {
            let row = rows
                .iter()
                .find(|r| r["engine"] == *engine && r["workload"] == workload)
                .unwrap_or_else(|| panic!("no row for {workload} on {engine}"));
            assert!(row["ok"].as_u64().unwrap() > 0, "{row}");
            assert_eq!(row["errors"].as_u64(), Some(0), "{row}");
            assert!(row["rps"].as_f64().unwrap() > 0.0, "{row}");
            assert!(row["p50_us"].as_u64().unwrap() <= row["p99_us"].as_u64().unwrap());
            assert!(row["p99_us"].as_u64().unwrap() <= row["max_us"].as_u64().unwrap());
            assert!(row["peak_rss_kib"].as_u64().unwrap() > 0, "{row}");
            assert_eq!(row["cold_isolates"].as_u64(), Some(3), "{row}");
            assert!(row["cold_p50_us"].as_u64().unwrap() > 0, "{row}");
            assert!(row["idle_isolate_kib"].as_f64().is_some(), "{row}");
        }
    }

    let report = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    for engine in common::engines() {
        assert!(
            report.contains(&format!("| hello | {engine} | ")),
            "{report}"
        );
        assert!(
            report.contains(&format!("| echo | {engine} | ")),
            "{report}"
        );
    }
    assert!(report.contains("## Targets"), "{report}");

    let svg = std::fs::read_to_string(out.path().join("chart.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let bars = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.children().any(|c| c.has_tag_name("title")))
        .count();
    // Four panels, two workloads, one bar per engine each.
    assert_eq!(bars, 4 * 2 * common::engines().len());
    assert!(std::fs::read_dir(out.path().join("workers"))
        .unwrap()
        .any(|e| e.unwrap().file_name() == "echo.js"));
}

#[test]
fn bench_refuses_unknown_workloads_and_engines() {
    let out = tempfile::tempdir().unwrap();
    for (flag, value, message) in [
        ("--workload", "nope", "is not one of hello, json, cpu, echo"),
        ("--engines", "spidermonkey", "is not built in"),
        ("--duration", "0s", "above 0"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_motu"))
            .args(["bench", flag, value])
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{flag} {value}: {stderr}");
    }
}

#[test]
fn bench_measures_the_first_worker_of_a_wrangler_config() {
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir(project.path().join("src")).unwrap();
    std::fs::write(
        project.path().join("src/index.ts"),
        "export default { fetch(): Response { return new Response('from the wrangler project'); } };\n",
    )
    .unwrap();
    std::fs::write(
        project.path().join("wrangler.jsonc"),
        "// a Wrangler project\n{ \"name\": \"bench-me\", \"main\": \"src/index.ts\", \"compatibility_date\": \"2025-09-01\" }\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let engines = common::engines().join(",");
    let output = Command::new(env!("CARGO_BIN_EXE_motu"))
        .args(["bench", "--engines", &engines, "--config"])
        .arg(project.path().join("wrangler.jsonc"))
        .args([
            "--duration",
            "300ms",
            "--connections",
            "2",
            "--isolates",
            "2",
        ])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "motu bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("results.json")).unwrap()).unwrap();
    for engine in common::engines() {
        let row = results
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["engine"] == *engine)
            .unwrap_or_else(|| panic!("no row for {engine}: {results}"));
        assert!(row["ok"].as_u64().unwrap() > 0, "{row}");
        assert_eq!(row["errors"].as_u64(), Some(0), "{row}");
    }
}
