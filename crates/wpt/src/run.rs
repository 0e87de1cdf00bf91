//! Running test files in motu Workers, through the embedding API.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Write as _;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use motu_runtime::prelude::*;
use motu_runtime::{EgressPolicy, Syntax};
use serde::Deserialize;

use crate::report::{FileReport, Status, Subtest, FILE_SUBTEST};
use crate::server::{HOST, REMOTE_HOST};
use crate::{Sources, TestFile, WptServer};

/// The Worker that runs one test file.
pub(crate) const SHIM: &str = include_str!("shim.js");

/// How to run the tests.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The WPT root (the directory `scripts/fetch-wpt.sh` fills).
    pub wpt_root: PathBuf,
    /// The engines to run each file on.
    pub engines: Vec<String>,
    /// Executor threads of the runtime.
    pub threads: usize,
    /// Files in flight at once (waiting on timers costs no thread).
    pub jobs: usize,
    /// Time a file may take; past it the harness is told to time out.
    pub timeout: Duration,
    /// Time a `META: timeout=long` file may take.
    pub long_timeout: Duration,
    /// Print a line per file to stderr.
    pub progress: bool,
}

impl RunConfig {
    /// Defaults for the tests under `wpt_root`, on every engine built in.
    pub fn new(wpt_root: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            wpt_root,
            engines: crate::engines(),
            threads: cores,
            jobs: cores * 3,
            timeout: Duration::from_secs(5),
            long_timeout: Duration::from_secs(20),
            progress: false,
        }
    }
}

/// What the shim answers.
#[derive(Debug, Deserialize)]
pub(crate) struct Answer {
    complete: bool,
    harness: Harness,
    tests: Vec<AnsweredTest>,
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    shimmed: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Harness {
    status: Option<u64>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AnsweredTest {
    name: String,
    status: Option<u64>,
    message: Option<String>,
}

/// Runs every file on every engine of `config` and returns one report per
/// file and engine, sorted by file then engine. Fails only if the runtime
/// cannot start.
///
/// Files run `config.jobs` at a time. A file that ran out of time may have
/// waited behind a busy file on its executor thread, so those run once more
/// at the end, one per thread, and the second result counts.
pub fn run(config: &RunConfig, files: &[TestFile]) -> anyhow::Result<Vec<FileReport>> {
    let server = WptServer::start(config.wpt_root.clone())?;
    let sources = server.sources().clone();
    let mut jobs = VecDeque::new();
    for file in files {
        for engine in &config.engines {
            jobs.push_back((file.clone(), engine.clone()));
        }
    }
    let config = config.clone();
    let system = actix::System::new();
    let mut reports = system.block_on(async move {
        // The Workers reach the test server, and only it, on loopback.
        let port = server.port();
        let egress = EgressPolicy::public_only()
            .with_host(&format!("{HOST}:{port}"))
            .with_host(&format!("{REMOTE_HOST}:{port}"));
        let runtime = Runtime::start(RuntimeConfig {
            threads: config.threads,
            allow_code_generation: true,
            egress,
            ..Default::default()
        })?;
        let pass = Pass {
            runtime: &runtime,
            sources: &sources,
            config: &config,
            origin: server.origin(),
        };
        let mut reports = pass.run(jobs.clone(), config.jobs).await;
        let again: VecDeque<_> = jobs
            .into_iter()
            .zip(&reports)
            .filter(|(_, r)| r.ran_out_of_time())
            .map(|(job, _)| job)
            .collect();
        if !again.is_empty() {
            if config.progress {
                eprintln!("running {} files that ran out of time again", again.len());
            }
            for report in pass.run(again, config.threads).await {
                if let Some(old) = reports
                    .iter_mut()
                    .find(|r| r.path == report.path && r.engine == report.engine)
                {
                    *old = report;
                }
            }
        }
        anyhow::Ok(reports)
    })?;
    reports.sort_by(|a, b| (&a.path, &a.engine).cmp(&(&b.path, &b.engine)));
    Ok(reports)
}

/// One pass over a list of files.
struct Pass<'a> {
    runtime: &'a Runtime,
    sources: &'a Sources,
    config: &'a RunConfig,
    /// The test server's origin (`http://localhost:PORT`).
    origin: String,
}

impl Pass<'_> {
    /// Runs `jobs`, `concurrency` at a time; the reports come in the order
    /// of `jobs`.
    async fn run(&self, jobs: VecDeque<(TestFile, String)>, concurrency: usize) -> Vec<FileReport> {
        let total = jobs.len();
        let queue = Rc::new(RefCell::new(
            jobs.into_iter().enumerate().collect::<VecDeque<_>>(),
        ));
        let reports = Rc::new(RefCell::new(Vec::with_capacity(total)));
        let slots = (0..concurrency.max(1)).map(|slot| {
            let (queue, reports) = (queue.clone(), reports.clone());
            async move {
                loop {
                    let next = queue.borrow_mut().pop_front();
                    let Some((index, (file, engine))) = next else {
                        break;
                    };
                    let report = run_file(self, slot, &file, &engine).await;
                    if self.config.progress {
                        progress(reports.borrow().len() + 1, total, &report);
                    }
                    reports.borrow_mut().push((index, report));
                }
            }
        });
        futures::future::join_all(slots).await;
        let mut reports = reports.take();
        reports.sort_by_key(|(index, _)| *index);
        reports.into_iter().map(|(_, r)| r).collect()
    }
}

/// Prints the line of a finished file: `[done/total] engine pass/total time path`.
pub(crate) fn progress(done: usize, total: usize, report: &FileReport) {
    let t = report.tally();
    let mark = if report.file_error().is_some() {
        " ⚠"
    } else {
        ""
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "[{done}/{total}] {:7} {:>4}/{:<4} {:5.1}s {}{mark}",
        report.engine,
        t.pass,
        t.total,
        report.elapsed.as_secs_f64(),
        report.path
    );
}

/// The URL the file at the WPT path `path` is served from by the test
/// server at `origin`.
pub(crate) fn url_of(origin: &str, path: &str) -> String {
    format!("{origin}{path}")
}

/// Runs one file on one engine in the Worker slot `slot` (registering a
/// slot again replaces the previous file's Worker).
async fn run_file(pass: &Pass<'_>, slot: usize, file: &TestFile, engine: &str) -> FileReport {
    let started = Instant::now();
    let mut report = FileReport {
        path: file.path.clone(),
        dir: file.dir,
        engine: engine.to_owned(),
        subtests: Vec::new(),
        elapsed: Duration::ZERO,
        shimmed: Vec::new(),
    };
    let outcome = run_in_worker(pass, slot, file, engine).await;
    match outcome {
        Ok(answer) => report.read_answer(answer),
        Err(why) => report.fail_file(why),
    }
    report.elapsed = started.elapsed();
    report
}

async fn run_in_worker(
    pass: &Pass<'_>,
    slot: usize,
    file: &TestFile,
    engine: &str,
) -> Result<Answer, String> {
    let (runtime, sources, config) = (pass.runtime, pass.sources, pass.config);
    let test_url = url_of(&pass.origin, &format!("/{}", file.path));
    let base_url = url::Url::parse(&test_url).map_err(|e| format!("bad test URL: {e}"))?;
    let mut scripts = Vec::new();
    for path in &file.scripts {
        let source = sources
            .get(path)
            .ok_or_else(|| format!("{path} is missing from the WPT subset"))?;
        scripts.push(HostValue::Map(vec![
            ("url".into(), HostValue::String(url_of(&pass.origin, path))),
            ("source".into(), HostValue::String(source.to_string())),
        ]));
    }
    let library = file
        .library
        .iter()
        .filter_map(|path| {
            let source = sources.get(path)?;
            Some((path.clone(), HostValue::String(source.to_string())))
        })
        .collect();
    let timeout = timeout_of(config, file);
    let name = format!("wpt-{slot}");
    let mut spec = WorkerSpec::from_source(name.clone(), SHIM)
        .with_syntax(Syntax::Script)
        .with_engine(engine)
        .with_var("WPT_SCRIPTS", HostValue::List(scripts))
        .with_var("WPT_LIBRARY", HostValue::Map(library))
        .with_var("WPT_URL", HostValue::String(test_url))
        // Relative URLs in fetch() and Request resolve against the test's
        // URL, as in a dedicated worker.
        .with_base_url(base_url)
        .with_var(
            "WPT_TIMEOUT_MS",
            HostValue::Number(timeout.as_millis() as f64),
        )
        // A file may use its whole time on the CPU; past it the engine
        // stops it, so a busy loop frees its executor thread.
        .with_limits(Limits {
            cpu: timeout,
            startup_cpu: timeout,
            memory_bytes: 512 << 20,
            idle_timeout: Duration::from_secs(1),
            wall_after_response: Duration::from_secs(1),
            // data: URLs do not count; some files fetch the test server a
            // few hundred times.
            subrequests: 10_000,
            ..Limits::default()
        })
        .with_max_instances(1);
    if let Some(title) = &file.title {
        spec = spec.with_var("WPT_TITLE", HostValue::String(title.clone()));
    }
    runtime
        .register(spec)
        .await
        .map_err(|e| format!("cannot register the Worker: {e}"))?;
    let request = http::Request::get(format!("http://{name}.localhost/"))
        .body(motu_runtime::Body::empty())
        .map_err(|e| e.to_string())?;
    // The shim answers by itself when the time is up, and the CPU limit
    // stops a busy file; this guards against an isolate that never gets to
    // run, e.g. behind a busy one on the same executor thread.
    let grace = timeout * 3 + Duration::from_secs(5);
    let response = actix_rt::time::timeout(grace, runtime.fetch(&name, request))
        .await
        .map_err(|_| format!("{NO_ANSWER} {} s", grace.as_secs()))?
        // The slot's name changes from run to run; the reason should not.
        .map_err(|e| {
            e.to_string()
                .replace(&format!("Worker '{name}'"), "the Worker")
        })?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?;
    answer_of(status, &body, &pass.origin)
}

/// The shim's answer from the response's status and body, or why there is
/// none; `origin` is the test server's, whose port the answer's text loses.
pub(crate) fn answer_of(
    status: http::StatusCode,
    body: &[u8],
    origin: &str,
) -> Result<Answer, String> {
    if !status.is_success() {
        return Err(format!(
            "the Worker answered {status}: {}",
            String::from_utf8_lossy(body)
        ));
    }
    // Subtest names and messages may hold the test server's URLs; its port
    // changes from run to run, the expectations should not.
    let port = origin.rsplit(':').next().unwrap_or_default();
    let text = without_port(&String::from_utf8_lossy(body), port);
    serde_json::from_str(&text).map_err(|e| format!("unreadable answer: {e}"))
}

/// `text` with every `:port` that no digit follows written `:PORT`.
fn without_port(text: &str, port: &str) -> String {
    let needle = format!(":{port}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + needle.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(&needle);
        } else {
            out.push_str(":PORT");
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The time `file` may take.
pub(crate) fn timeout_of(config: &RunConfig, file: &TestFile) -> Duration {
    if file.long {
        config.long_timeout
    } else {
        config.timeout
    }
}

/// How [`FileReport::fail_file`] words running out of time.
const TIMED_OUT: &str = "the file timed out";
pub(crate) const NO_ANSWER: &str = "no answer within";

impl FileReport {
    /// Whether the file as a whole ran out of (wall-clock or CPU) time.
    pub(crate) fn ran_out_of_time(&self) -> bool {
        self.file_error()
            .and_then(|s| s.message.as_deref())
            .is_some_and(|m| {
                m.contains(TIMED_OUT) || m.contains(NO_ANSWER) || m.contains("CPU time")
            })
    }

    pub(crate) fn read_answer(&mut self, answer: Answer) {
        let harness_timed_out = answer.harness.status == Some(2);
        for t in answer.tests {
            let mut status = Status::from_code(t.status);
            if status == Status::NotRun && harness_timed_out {
                status = Status::Timeout;
            }
            self.subtests.push(Subtest {
                name: t.name,
                status,
                message: t.message,
            });
        }
        self.shimmed = answer.shimmed;
        let mut why = Vec::new();
        match answer.harness.status {
            Some(0) => {}
            Some(2) => why.push(TIMED_OUT.to_owned()),
            Some(3) => why.push("harness: PRECONDITION_FAILED".to_owned()),
            _ => why.push("harness: ERROR".to_owned()),
        }
        if let Some(m) = answer.harness.message.filter(|m| !m.is_empty()) {
            why.push(m);
        }
        if !answer.complete && why.is_empty() {
            why.push("the harness did not complete".to_owned());
        }
        // The scripts' own exceptions say most: they come first.
        let why: Vec<String> = answer.errors.into_iter().chain(why).collect();
        // A script that threw at top level fails the file even when the
        // harness completed.
        if !why.is_empty() {
            self.fail_file(why.join("; "));
        }
    }

    pub(crate) fn fail_file(&mut self, why: String) {
        self.subtests.push(Subtest {
            name: FILE_SUBTEST.to_owned(),
            status: Status::Fail,
            message: Some(why),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::without_port;

    #[test]
    fn the_test_servers_port_is_written_port() {
        assert_eq!(
            without_port(
                "http://localhost:4321/a and localhost:4321\" but :43210",
                "4321"
            ),
            "http://localhost:PORT/a and localhost:PORT\" but :43210"
        );
    }
}
