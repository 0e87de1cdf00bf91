//! A real `redis-server` (Debian's package, which README's test command
//! installs through `scripts/install-redis.sh`) for the tests: on a free
//! loopback port, in a folder of its own, stopped when the test is done.
//!
//! - [`RedisServer::start`]: one server for one test, which the test may
//!   stop and start again on the same port and folder (its data kept in an
//!   append-only file).
//! - [`shared`]: one server for a whole test file, with many databases;
//!   each test case takes a database of its own ([`shared_url`]), so cases
//!   running side by side never see each other's keys. It is stopped when
//!   the test process exits (it runs under a shell that stops it once the
//!   test process's end of a pipe closes).

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How many databases the shared server has.
const SHARED_DATABASES: u32 = 4096;

/// A `redis-server` of one test (see the module docs).
pub struct RedisServer {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

fn redis_command() -> Command {
    let path = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("redis-server");
    Command::new(path)
}

fn wait_until_it_answers(port: u16, child: &mut Child, tls: bool) {
    let start = Instant::now();
    loop {
        if tls && TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            if c.write_all(b"PING\r\n").is_ok() {
                let mut answer = [0u8; 64];
                if let Ok(n) = std::io::Read::read(&mut c, &mut answer) {
                    // +PONG, or -NOAUTH from a server that wants a password.
                    if n > 0 {
                        return;
                    }
                }
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("redis-server exited ({status}) before answering on port {port}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "redis-server did not answer on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn(port: u16, dir: &std::path::Path, extra: &[String]) -> Child {
    // With --tls-port, that port is the one used and the plain one is off.
    let tls = extra.iter().any(|a| a == "--tls-port");
    let plain = if tls { 0 } else { port };
    let mut command = redis_command();
    command.args(["--port", &plain.to_string(), "--bind", "127.0.0.1"]);
    if tls {
        command.args(["--tls-port", &port.to_string()]);
    }
    // `--tls-port` (a marker in `extra`) is given above, with the port.
    let extra: Vec<&String> = extra.iter().filter(|a| *a != "--tls-port").collect();
    let mut child = command
        .args([
            "--save",
            "",
            "--appendonly",
            "yes",
            "--protected-mode",
            "no",
        ])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run redis-server ({e}): install it with scripts/install-redis.sh \
                 (README's test command runs it)"
            )
        });
    wait_until_it_answers(port, &mut child, tls);
    child
}

impl RedisServer {
    /// A server on a free port.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&[])
    }

    /// A server on a free port with extra `redis-server` arguments (e.g.
    /// `["--requirepass", "secret"]`).
    pub fn start_with(extra: &[&str]) -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let port = super::free_port();
        let child = spawn(port, dir.path(), &extra);
        RedisServer {
            child: Some(child),
            port,
            dir,
            extra,
        }
    }

    /// A server that speaks only TLS, with a certificate for 127.0.0.1
    /// made for it by a CA of its own (`openssl`): the server, and the
    /// CA's certificate file for clients to trust.
    pub fn start_tls(extra: &[&str]) -> (RedisServer, PathBuf) {
        // The certificates live in the server's folder, removed with it.
        let dir = tempfile::tempdir().unwrap();
        let certs = dir.path().to_path_buf();
        super::certs::make(
            &certs,
            &super::certs::ServerCertificate {
                ca_subject: "/CN=motu test CA",
                key: super::certs::EC_KEY,
                subject: "/CN=127.0.0.1",
                extensions: "subjectAltName=IP:127.0.0.1\n",
            },
        );
        let path = |name: &str| certs.join(name).to_str().unwrap().to_owned();
        let mut args: Vec<String> = vec![
            "--tls-port".into(),
            "--tls-cert-file".into(),
            path("server.pem"),
            "--tls-key-file".into(),
            path("server.key"),
            "--tls-ca-cert-file".into(),
            path("ca.pem"),
            "--tls-auth-clients".into(),
            "no".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let port = super::free_port();
        let child = spawn(port, dir.path(), &args);
        let server = RedisServer {
            child: Some(child),
            port,
            dir,
            extra: args,
        };
        (server, certs.join("ca.pem"))
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Stops it (SIGTERM: it writes what it holds and exits) and waits.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-s", "TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Starts it again, on the same port and folder (its data kept).
    pub fn restart(&mut self) {
        self.stop();
        self.child = Some(spawn(self.port, self.dir.path(), &self.extra));
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The test file's shared server (see the module docs).
pub struct Shared {
    /// Its port on 127.0.0.1.
    pub port: u16,
    next_db: AtomicU32,
    // The pipe whose closing (at exit) stops the server.
    _stdin: Mutex<ChildStdin>,
}

/// The test file's shared server, started on first use.
pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir: PathBuf = tempfile::tempdir().unwrap().keep();
        let port = super::free_port();
        let server = redis_command().get_program().to_owned();
        // The shell starts redis-server, waits for its standard input to
        // close (this process exits), then stops it and removes its folder.
        let script = "\"$0\" \"$@\" & r=$!; cat >/dev/null; kill $r; wait $r; rm -rf \"$MOTU_TEST_REDIS_DIR\"";
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(server)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--databases", &SHARED_DATABASES.to_string()])
            .arg("--dir")
            .arg(&dir)
            .env("MOTU_TEST_REDIS_DIR", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run sh");
        let stdin = child.stdin.take().unwrap();
        wait_until_it_answers(port, &mut child, false);
        // The shell is left to end with the process; it is not waited for.
        std::mem::forget(child);
        Shared {
            port,
            next_db: AtomicU32::new(0),
            _stdin: Mutex::new(stdin),
        }
    })
}

/// A database of the shared server that no other test case uses:
/// `redis://127.0.0.1:PORT/DB`.
pub fn shared_url() -> String {
    let shared = shared();
    let db = shared.next_db.fetch_add(1, Ordering::SeqCst);
    assert!(db < SHARED_DATABASES, "out of test databases");
    format!("redis://127.0.0.1:{}/{db}", shared.port)
}
