//! What `console` prints: `tests/webapi/console.js` makes console calls on
//! every engine built in, and this test reads the lines the host logs (the
//! `motu::console` target, captured as JSON by a subscriber of its own) and
//! compares them with what the Console Standard's methods should print.

use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use motu_runtime::prelude::*;

/// Everything the process logged, as JSON lines.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| Capture)
            .init();
    });
}

/// The console lines `worker` logged: (level, text).
fn console_lines(worker: &str) -> Vec<(String, String)> {
    let log = LOG.lock().unwrap_or_else(|e| e.into_inner()).clone();
    String::from_utf8_lossy(&log)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|v| v["target"] == "motu::console" && v["fields"]["worker"] == worker)
        .map(|v| {
            (
                v["level"].as_str().unwrap_or("").to_owned(),
                v["fields"]["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Runs `tests/webapi/console.js` as Worker `name` on `engine`, asserting
/// its own checks pass.
fn run_worker(name: &str, engine: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webapi/console.js");
    let body = actix::System::new().block_on(async {
        let runtime = Runtime::start(RuntimeConfig {
            threads: 1,
            ..Default::default()
        })
        .unwrap();
        runtime
            .register(
                WorkerSpec::from_file(name, &path)
                    .unwrap()
                    .with_engine(engine)
                    // Building the large arrays it logs takes a debug
                    // build longer than one event's default CPU time.
                    .with_limits(Limits {
                        cpu: std::time::Duration::from_secs(10),
                        ..Limits::default()
                    }),
            )
            .await
            .unwrap();
        let request = http::Request::get(format!("http://{name}.localhost/"))
            .body(Body::empty())
            .unwrap();
        let response = runtime.fetch(name, request).await;
        response
            .unwrap_or_else(|e| panic!("{engine}: {e}"))
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{engine}: {e}"))
    });
    let result: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let failures = result["failures"].as_array().unwrap();
    assert!(failures.is_empty(), "{engine}: {failures:?}");
}

/// Asserts `text` is `<label>: <milliseconds> ms<rest>`.
fn assert_timing(text: &str, label: &str, rest: &str) {
    let ms = text
        .strip_prefix(&format!("{label}: "))
        .and_then(|t| t.strip_suffix(rest))
        .and_then(|t| t.strip_suffix(" ms"))
        .unwrap_or_else(|| panic!("not a timing of {label}: {text:?}"));
    assert!(ms.parse::<f64>().is_ok_and(|ms| ms >= 0.0), "{text:?}");
}

#[test]
fn console_prints_what_the_console_standard_says() {
    capture_logs();
    for engine in motu_runtime::EngineSet::builtin_names() {
        let name = format!("console-{engine}");
        run_worker(&name, engine);
        let lines = console_lines(&name);
        let texts: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
        let level = |i: usize| lines[i].0.as_str();
        let zeros = vec!["0"; 100].join(", ");
        let xs = vec!["'x'"; 100].join(", ");
        let expected_start = [
            "plain 1 -0 2n true null undefined Symbol(s)",
            "{ a: 1, 'b-c': 'x', nested: { deep: { deeper: { deepest: [Object] } } } }",
            "[ 1, <1 empty item>, 3, 'x' ]",
            "Map(1) { 1 => 'a' } Set(1) { 2 }",
            "{ name: 'c', self: [Circular] }",
            "{ g: [Getter] }",
            &format!("[ {zeros}, ... 900 more items ]"),
            "Uint8Array(3) [ 0, 0, 0 ]",
            "Bob is 42 years and 1.5% 7 extra",
            "'str' and [ 1 ]",
            " styled",
            "%x stays 1",
            "NaN",
            "info",
            "warn",
        ];
        assert_eq!(texts[..15], expected_start, "{engine}");
        assert_eq!((level(13), level(14)), ("INFO", "WARN"), "{engine}");
        assert!(
            texts[15].starts_with("TypeError: bad"),
            "{engine}: {}",
            texts[15]
        );
        assert_eq!(level(15), "ERROR", "{engine}");
        assert_eq!(lines[16], ("DEBUG".into(), "debug".into()), "{engine}");
        let expected_middle = [
            ("ERROR", "Assertion failed: cond x"),
            ("ERROR", "Assertion failed"),
            ("ERROR", "Assertion failed { a: 1 }"),
            ("INFO", "default: 1"),
            ("INFO", "default: 2"),
            ("INFO", "x: 1"),
            ("INFO", "default: 1"),
            ("WARN", "Count for 'nope' does not exist"),
            ("INFO", "obj: 1"),
            ("INFO", "G"),
            ("INFO", "  in\n  side"),
            ("INFO", "    deeper"),
            ("INFO", "out"),
            ("WARN", "Timer 't' already exists"),
        ];
        let middle: Vec<(&str, &str)> = lines[17..31]
            .iter()
            .map(|(l, t)| (l.as_str(), t.as_str()))
            .collect();
        assert_eq!(middle, expected_middle, "{engine}");
        assert_timing(texts[31], "t", " data 1");
        assert_timing(texts[32], "t", "");
        assert_eq!(
            lines[33],
            ("WARN".into(), "Timer 't' does not exist".into()),
            "{engine}"
        );
        assert_eq!(
            lines[34],
            ("WARN".into(), "Timer 'u' does not exist".into()),
            "{engine}"
        );
        let expected_end = [
            "┌─────────┬───┬─────┐\n\
             │ (index) │ a │ b   │\n\
             ├─────────┼───┼─────┤\n\
             │ 0       │ 1 │ 'x' │\n\
             │ 1       │ 2 │     │\n\
             └─────────┴───┴─────┘",
            "┌─────────┬────────┐\n\
             │ (index) │ Values │\n\
             ├─────────┼────────┤\n\
             │ 0       │ 'p'    │\n\
             └─────────┴────────┘",
            "5",
            "'s'",
            "{ a: [ 1 ] }",
            "'s' 2",
        ];
        assert_eq!(texts[35..41], expected_end, "{engine}");
        let trace = texts[41];
        assert!(trace.starts_with("Trace: here 1\n"), "{engine}: {trace}");
        assert!(trace.contains("    at "), "{engine}: {trace}");
        assert!(!trace.contains("motu:prelude"), "{engine}: {trace}");
        assert_eq!(
            texts[42],
            format!("[ {xs}, ... 999900 more items ]"),
            "{engine}"
        );
        // 100 × 100 × 100 nested items: the budget for one value stops it.
        assert!(texts[43].len() < 20_000, "{engine}: {}", texts[43].len());
        assert!(texts[43].ends_with(" ]"), "{engine}");
        // A line is cut at 16384 characters, indented or not.
        let cut = |c: &str, indent: &str| {
            format!(
                "{}... {} more characters",
                format!("{indent}{}", c.repeat(100_000))
                    .chars()
                    .take(16384)
                    .collect::<String>(),
                100_000 + indent.len() - 16384
            )
        };
        assert_eq!(texts[44], cut("y", ""), "{engine}");
        assert_eq!(texts[45], cut("z", "  "), "{engine}");
        assert_eq!(texts[46..], ["end"], "{engine}");
    }
}
