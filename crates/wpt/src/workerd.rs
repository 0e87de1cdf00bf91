//! Running the same test files on workerd, Cloudflare's open-source Workers
//! runtime, for comparison.
//!
//! Each file runs in a Worker of its own, with the same shim
//! (`src/shim.js`), the same scripts and the same library as in motu, passed
//! as the same globals (workerd `json` and `text` bindings of a
//! service-worker script). workerd has no `eval`: the shim gets workerd's
//! `unsafeEval` binding as `WPT_EVAL` (an experimental feature, so workerd
//! runs with `--experimental`) and runs each script with it.
//!
//! [`emit`] writes a workerd configuration for a list of files: one Worker
//! per file and a router Worker that passes `GET /<service>` to it through a
//! service binding. [`run_workerd`] runs the files [`CHUNK`] at a time, one
//! workerd process per chunk, and reads the answers exactly as the motu
//! runner does; a file that ran out of time, or whose process failed, runs
//! once more alone in a process of its own, and the second result counts.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt as _;

use crate::report::FileReport;
use crate::run::{answer_of, progress, timeout_of, url_of, NO_ANSWER, SHIM};
use crate::{RunConfig, Sources, TestFile};

/// The engine name workerd's reports carry.
pub const WORKERD: &str = "workerd";

/// Files per workerd process in the first pass.
pub const CHUNK: usize = 16;

/// Requests in flight per workerd process.
const IN_FLIGHT: usize = 3;

/// The router Worker: `GET /<service>` goes to the service binding of that
/// name.
const ROUTER: &str = "\
// Passes GET /<name> to the test Worker bound as <name>.
addEventListener('fetch', (event) => {
  const name = new URL(event.request.url).pathname.slice(1);
  const target = /^t[0-9]+$/.test(name) ? globalThis[name] : undefined;
  event.respondWith(target ? target.fetch(event.request) : new Response(`no Worker ${name}`, { status: 404 }));
});
";

/// Why a file failed when its workerd process did (the file runs again).
const PROCESS_FAILED: &str = "workerd failed";

/// A workerd binary.
#[derive(Debug, Clone)]
pub struct Workerd {
    /// Its path.
    pub binary: PathBuf,
    /// What `workerd --version` says, e.g. `workerd 2026-11-17`.
    pub version: String,
    /// The compatibility date the Workers get: the binary's own date, the
    /// newest it supports.
    pub compat_date: String,
}

impl Workerd {
    /// The workerd at `binary`; fails if it does not run or its version does
    /// not name a date.
    pub fn new(binary: PathBuf) -> anyhow::Result<Self> {
        let out = Command::new(&binary)
            .arg("--version")
            .output()
            .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", binary.display()))?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let compat_date = version
            .split_whitespace()
            .find(|w| w.len() == 10 && w.as_bytes()[4] == b'-' && w.as_bytes()[7] == b'-')
            .map(str::to_owned)
            .ok_or_else(|| {
                anyhow::anyhow!("{}: unexpected --version {version:?}", binary.display())
            })?;
        Ok(Self {
            binary,
            version,
            compat_date,
        })
    }
}

/// The service name of the `index`th file of a configuration.
pub fn service_name(index: usize) -> String {
    format!("t{index:04}")
}

/// Writes into `dir` a workerd configuration (`config.capnp`, with the files
/// it embeds) that runs `files`, the `index`th as the Worker
/// [`service_name`]`(index)`, behind a router listening on the socket `http`
/// (127.0.0.1:8080 unless `--socket-addr http=…` says otherwise). Returns,
/// per file, its service name or why it cannot run (a missing script), as
/// the motu runner would fail it.
pub fn emit(
    dir: &Path,
    files: &[TestFile],
    sources: &Sources,
    config: &RunConfig,
    compat_date: &str,
    origin: &str,
) -> std::io::Result<Vec<Result<String, String>>> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("shim.js"), SHIM)?;
    std::fs::write(dir.join("router.js"), ROUTER)?;
    let mut services = String::new();
    let mut routes = String::new();
    let mut out = Vec::with_capacity(files.len());
    let date = capnp_text(compat_date);
    for (index, file) in files.iter().enumerate() {
        let name = service_name(index);
        let mut scripts = Vec::new();
        let mut missing = None;
        for path in &file.scripts {
            match sources.get(path) {
                Some(source) => scripts.push(serde_json::json!({
                    "url": url_of(origin, path),
                    "source": &*source,
                })),
                None => {
                    missing = Some(format!("{path} is missing from the WPT subset"));
                    break;
                }
            }
        }
        if let Some(why) = missing {
            out.push(Err(why));
            continue;
        }
        let library: serde_json::Map<String, serde_json::Value> = file
            .library
            .iter()
            .filter_map(|path| Some((path.clone(), sources.get(path)?.to_string().into())))
            .collect();
        std::fs::write(
            dir.join(format!("{name}.scripts.json")),
            serde_json::Value::Array(scripts).to_string(),
        )?;
        std::fs::write(
            dir.join(format!("{name}.library.json")),
            serde_json::Value::Object(library).to_string(),
        )?;
        let mut bindings = format!(
            "(name = \"WPT_SCRIPTS\", json = embed \"{name}.scripts.json\"),\n        \
             (name = \"WPT_LIBRARY\", json = embed \"{name}.library.json\"),\n        \
             (name = \"WPT_URL\", text = {}),\n        \
             (name = \"WPT_TIMEOUT_MS\", json = \"{}\"),\n        \
             (name = \"WPT_EVAL\", unsafeEval = void)",
            capnp_text(&url_of(origin, &format!("/{}", file.path))),
            timeout_of(config, file).as_millis(),
        );
        if let Some(title) = &file.title {
            let _ = write!(
                bindings,
                ",\n        (name = \"WPT_TITLE\", text = {})",
                capnp_text(title)
            );
        }
        let _ = writeln!(
            services,
            "  # {}\n  (name = \"{name}\", worker = (\n      serviceWorkerScript = embed \"shim.js\",\n      \
             compatibilityDate = {date},\n      globalOutbound = \"wpt-net\",\n      \
             bindings = [\n        {bindings}\n      ])),",
            file.path.replace('\n', " ")
        );
        let _ = write!(routes, "(name = \"{name}\", service = \"{name}\"), ");
        out.push(Ok(name));
    }
    let config = format!(
        "# The WPT files run on workerd with motu's shim; written by motu-wpt.\n\
         # Run: workerd serve config.capnp --experimental [--socket-addr http=127.0.0.1:PORT]\n\
         # then GET http://127.0.0.1:PORT/<service> answers a file's results as JSON.\n\
         using Workerd = import \"/workerd/workerd.capnp\";\n\n\
         const config :Workerd.Config = (\n\
         services = [\n  (name = \"router\", worker = (\n      serviceWorkerScript = embed \"router.js\",\n      \
         compatibilityDate = {date},\n      bindings = [ {routes}])),\n\
         # fetch() reaches the test server on loopback.\n  \
         (name = \"wpt-net\", network = (allow = [\"public\", \"local\"])),\n{services}],\n\
         sockets = [ (name = \"http\", address = \"127.0.0.1:8080\", http = (), service = \"router\") ],\n);\n"
    );
    std::fs::write(dir.join("config.capnp"), config)?;
    Ok(out)
}

/// `text` as a Cap'n Proto text literal.
fn capnp_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Runs every file on `workerd` and returns one report per file, in the
/// order of `files`, with the engine [`WORKERD`]. Fails only if no process
/// can be started at all.
pub fn run_workerd(
    workerd: &Workerd,
    config: &RunConfig,
    files: &[TestFile],
) -> anyhow::Result<Vec<FileReport>> {
    let server = crate::WptServer::start(config.wpt_root.clone())?;
    let sources = server.sources().clone();
    let origin = server.origin();
    let scratch = std::env::temp_dir().join(format!("motu-wpt-workerd-{}", std::process::id()));
    let ctx = Ctx {
        workerd,
        config,
        files,
        sources: &sources,
        scratch: &scratch,
        origin: &origin,
    };
    let indices: Vec<usize> = (0..files.len()).collect();
    let chunks: VecDeque<Vec<usize>> = indices.chunks(CHUNK).map(<[usize]>::to_vec).collect();
    let mut reports: Vec<Option<FileReport>> = vec![None; files.len()];
    for (i, r) in ctx.pass(chunks) {
        reports[i] = Some(r);
    }
    let again: VecDeque<Vec<usize>> = reports
        .iter()
        .enumerate()
        .filter(|(_, r)| r.as_ref().is_none_or(again))
        .map(|(i, _)| vec![i])
        .collect();
    if !again.is_empty() {
        if config.progress {
            eprintln!("workerd: running {} files again, each alone", again.len());
        }
        for (i, r) in ctx.pass(again) {
            reports[i] = Some(r);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let reports: Vec<FileReport> = reports.into_iter().flatten().collect();
    anyhow::ensure!(
        reports.len() == files.len()
            && !reports.iter().all(|r| r
                .file_error()
                .is_some_and(|e| is_process_failure(e.message.as_deref()))),
        "workerd could not run the tests: {}",
        reports
            .first()
            .and_then(|r| r.file_error())
            .and_then(|e| e.message.clone())
            .unwrap_or_default()
    );
    Ok(reports)
}

/// Whether a file should run again, alone: it ran out of time (perhaps
/// behind a busy file of its process) or its process failed.
fn again(report: &FileReport) -> bool {
    report.ran_out_of_time()
        || report
            .file_error()
            .is_some_and(|e| is_process_failure(e.message.as_deref()))
}

fn is_process_failure(message: Option<&str>) -> bool {
    message.is_some_and(|m| m.starts_with(PROCESS_FAILED))
}

/// What every chunk of a run shares.
struct Ctx<'a> {
    workerd: &'a Workerd,
    config: &'a RunConfig,
    files: &'a [TestFile],
    sources: &'a Sources,
    scratch: &'a Path,
    /// The test server's origin.
    origin: &'a str,
}

impl Ctx<'_> {
    /// Runs `chunks`, `config.threads` processes at a time; returns the
    /// reports with the index of their file.
    fn pass(&self, chunks: VecDeque<Vec<usize>>) -> Vec<(usize, FileReport)> {
        let total: usize = chunks.iter().map(Vec::len).sum();
        let queue = Mutex::new(chunks.into_iter().enumerate().collect::<VecDeque<_>>());
        let done = Mutex::new(Vec::with_capacity(total));
        std::thread::scope(|scope| {
            for _ in 0..self.config.threads.max(1) {
                scope.spawn(|| loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some((n, chunk)) = next else { break };
                    let dir = self.scratch.join(format!("chunk-{n}"));
                    for (i, report) in self.chunk(&dir, &chunk) {
                        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
                        done.push((i, report));
                        if self.config.progress {
                            progress(done.len(), total, &done[done.len() - 1].1);
                        }
                    }
                    let _ = std::fs::remove_dir_all(&dir);
                });
            }
        });
        done.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the files `chunk` (indices into `files`) in one workerd process
    /// configured in `dir`.
    fn chunk(&self, dir: &Path, chunk: &[usize]) -> Vec<(usize, FileReport)> {
        let files: Vec<TestFile> = chunk.iter().map(|&i| self.files[i].clone()).collect();
        let report = |i: usize, outcome: Result<crate::run::Answer, String>, elapsed| {
            let file = &self.files[i];
            let mut r = FileReport {
                path: file.path.clone(),
                dir: file.dir,
                engine: WORKERD.to_owned(),
                subtests: Vec::new(),
                elapsed,
                shimmed: Vec::new(),
            };
            match outcome {
                Ok(answer) => r.read_answer(answer),
                Err(why) => r.fail_file(why),
            }
            r
        };
        let emitted = match emit(
            dir,
            &files,
            self.sources,
            self.config,
            &self.workerd.compat_date,
            self.origin,
        ) {
            Ok(e) => e,
            Err(e) => {
                let why = format!("{PROCESS_FAILED}: cannot write its configuration: {e}");
                return chunk
                    .iter()
                    .map(|&i| (i, report(i, Err(why.clone()), Duration::ZERO)))
                    .collect();
            }
        };
        let mut out = Vec::with_capacity(chunk.len());
        let mut wanted = Vec::new();
        for (&i, e) in chunk.iter().zip(emitted) {
            match e {
                Ok(service) => wanted.push((i, service)),
                Err(why) => out.push((i, report(i, Err(why), Duration::ZERO))),
            }
        }
        if wanted.is_empty() {
            return out;
        }
        let mut process = match Process::start(self.workerd, dir) {
            Ok(p) => p,
            Err(why) => {
                let why = format!("{PROCESS_FAILED}: {why}");
                out.extend(
                    wanted
                        .iter()
                        .map(|(i, _)| (*i, report(*i, Err(why.clone()), Duration::ZERO))),
                );
                return out;
            }
        };
        let answers = process.ask(
            wanted
                .iter()
                .map(|(i, service)| {
                    let grace = timeout_of(self.config, &self.files[*i]) + Duration::from_secs(5);
                    (service.clone(), grace)
                })
                .collect(),
            self.origin,
        );
        let log = process.stop();
        for ((i, _), (answer, elapsed)) in wanted.into_iter().zip(answers) {
            let answer = answer.map_err(|why| {
                if why.starts_with(PROCESS_FAILED) && !log.is_empty() {
                    format!("{why}; its log ends: {log}")
                } else {
                    why
                }
            });
            out.push((i, report(i, answer, elapsed)));
        }
        out
    }
}

/// A running workerd process.
struct Process {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Process {
    /// Starts workerd on the configuration in `dir`, on a free local port,
    /// and waits until it listens.
    fn start(workerd: &Workerd, dir: &Path) -> Result<Process, String> {
        let mut last = String::new();
        // A port found free may be taken before workerd binds it: try again.
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free port: {e}"))?
                .port();
            let log = dir.join("workerd.log");
            let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
            let child = Command::new(&workerd.binary)
                .current_dir(dir)
                .args(["serve", "config.capnp", "--experimental", "--socket-addr"])
                .arg(format!("http=127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
                .stderr(log_file)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", workerd.binary.display()))?;
            let mut process = Process { child, port, log };
            match process.wait_until_listening() {
                Ok(()) => return Ok(process),
                Err(why) => last = why,
            }
            let log = process.stop();
            if !log.contains("in use") {
                return Err(format!("{last}: {log}"));
            }
        }
        Err(last)
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("it exited ({status}) before listening"));
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err("it did not listen within 60 s".to_owned())
    }

    /// GETs each service, [`IN_FLIGHT`] at a time, each within its time;
    /// returns the answers (or why there is none) in order, with the time
    /// each took.
    #[allow(clippy::type_complexity)]
    fn ask(
        &self,
        services: Vec<(String, Duration)>,
        origin: &str,
    ) -> Vec<(Result<crate::run::Answer, String>, Duration)> {
        use futures::StreamExt as _;
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let why = format!("{PROCESS_FAILED}: no client runtime: {e}");
                return services
                    .iter()
                    .map(|_| (Err(why.clone()), Duration::ZERO))
                    .collect();
            }
        };
        let port = self.port;
        runtime.block_on(async move {
            futures::stream::iter(services)
                .map(|(service, grace)| async move {
                    let started = Instant::now();
                    let answer = match tokio::time::timeout(grace, get(port, &service)).await {
                        Err(_) => Err(format!("{NO_ANSWER} {} s", grace.as_secs())),
                        Ok(Err(why)) => Err(why),
                        Ok(Ok((status, body))) => answer_of(status, &body, origin),
                    };
                    (answer, started.elapsed())
                })
                .buffered(IN_FLIGHT)
                .collect()
                .await
        })
    }

    /// Stops the process and returns the last lines of its log.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(3)..].join(" | ")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /<service>` on the local port: the status and the body.
async fn get(port: u16, service: &str) -> Result<(http::StatusCode, Bytes), String> {
    let failed = |e: &dyn std::fmt::Display| format!("{PROCESS_FAILED}: {e}");
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| failed(&e))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| failed(&e))?;
    let connection = tokio::spawn(connection);
    let request = http::Request::get(format!("/{service}"))
        .header(http::header::HOST, "localhost")
        .body(http_body_util::Empty::<Bytes>::new())
        .map_err(|e| failed(&e))?;
    let response = sender.send_request(request).await.map_err(|e| failed(&e))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("the answer broke off: {e}"))?
        .to_bytes();
    connection.abort();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capnp_text_escapes() {
        assert_eq!(capnp_text("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\x01é\"");
    }

    #[test]
    fn emit_writes_one_worker_per_file_with_the_shim_and_its_scripts() {
        let root = std::env::temp_dir().join(format!("motu-wpt-emit-{}", std::process::id()));
        let out = root.join("out");
        let write = |path: &str, text: &str| {
            let p = root.join("wpt").join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write("resources/testharness.js", "var harness = 1;");
        write(
            "url/a.any.js",
            "// META: script=resources/helper.js\n// META: title=A \"quoted\" title\n\
             // META: timeout=long\nfetch('resources/data.json');",
        );
        write("url/resources/helper.js", "var helper = 2;");
        write("url/resources/data.json", "[1]");
        write(
            "url/b.any.js",
            "// META: script=resources/gone.js\ntest(() => {});",
        );
        write("url/c.html", "<script></script>");
        let files: Vec<TestFile> = crate::discover(&root.join("wpt"))
            .unwrap()
            .into_iter()
            .filter_map(|s| match s {
                crate::Selection::Run(f) => Some(f),
                crate::Selection::Skip { .. } => None,
            })
            .collect();
        assert_eq!(files.len(), 2);
        let config = RunConfig::new(root.join("wpt"));
        let sources = Sources::new(root.join("wpt"), 8000);
        let emitted = emit(
            &out,
            &files,
            &sources,
            &config,
            "2026-11-17",
            "http://localhost:8000",
        )
        .unwrap();
        let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
        let capnp = read("config.capnp");
        let scripts: serde_json::Value = serde_json::from_str(&read("t0000.scripts.json")).unwrap();
        let library: serde_json::Value = serde_json::from_str(&read("t0000.library.json")).unwrap();
        let shim = read("shim.js");
        std::fs::remove_dir_all(&root).unwrap();

        assert_eq!(emitted[0], Ok("t0000".to_owned()));
        assert_eq!(
            emitted[1],
            Err("/url/resources/gone.js is missing from the WPT subset".to_owned())
        );
        // The same shim, the same scripts in the same order, the library.
        assert_eq!(shim, SHIM);
        let urls: Vec<&str> = scripts
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["url"].as_str().unwrap())
            .collect();
        assert_eq!(
            urls,
            [
                "http://localhost:8000/resources/testharness.js",
                "http://localhost:8000/url/resources/helper.js",
                "http://localhost:8000/url/a.any.js",
            ]
        );
        assert_eq!(scripts[1]["source"], "var helper = 2;");
        assert_eq!(library["/url/resources/data.json"], "[1]");
        // One Worker behind the router, with the shim's globals and eval.
        assert!(capnp.contains("(name = \"router\""));
        assert!(capnp.contains("(name = \"t0000\", service = \"t0000\")"));
        assert!(
            !capnp.contains("t0001"),
            "the file that cannot run has no Worker"
        );
        assert!(capnp.contains("serviceWorkerScript = embed \"shim.js\""));
        assert!(capnp.contains("json = embed \"t0000.scripts.json\""));
        assert!(capnp.contains("(name = \"WPT_EVAL\", unsafeEval = void)"));
        assert!(capnp.contains("text = \"http://localhost:8000/url/a.any.js\""));
        assert!(capnp.contains("(name = \"WPT_TITLE\", text = \"A \\\"quoted\\\" title\")"));
        let long = config.long_timeout.as_millis();
        assert!(capnp.contains(&format!("(name = \"WPT_TIMEOUT_MS\", json = \"{long}\")")));
        assert!(capnp.contains("compatibilityDate = \"2026-11-17\""));
        // The test Workers reach the test server on loopback.
        assert!(capnp.contains("globalOutbound = \"wpt-net\""));
        assert!(capnp.contains("network = (allow = [\"public\", \"local\"])"));
    }
}
