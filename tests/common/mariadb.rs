//! A real MariaDB server (Debian's `mariadb-server` package, which README's
//! test command installs through `scripts/install-mariadb.sh`) for the
//! tests: an instance of its own made with `mariadb-install-db` in a
//! temporary folder, listening on a free loopback port, with a user and a
//! database for the Worker and TLS (a certificate from a CA of the test's
//! own), stopped and removed when the test is done.
//!
//! mariadbd runs as the `mysql` user the package creates when the tests run
//! as root (CI), as it refuses to run as root otherwise.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The user and password the Worker connects with.
pub const USER: &str = "motu";
/// See [`USER`].
pub const PASSWORD: &str = "motu-secret";
/// The database the user owns.
pub const DATABASE: &str = "app";

/// How long the server may take to answer after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running MariaDB server of one test.
pub struct MariaDbServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// Runs `command` and checks it succeeded.
fn run(mut command: Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {what} ({e}): install MariaDB with scripts/install-mariadb.sh \
             (README's test command runs it)"
        )
    });
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl MariaDbServer {
    /// A new server on a free port that speaks TLS (not required), started
    /// and answering, and the CA's certificate (PEM) for clients to trust.
    pub fn start() -> (MariaDbServer, String) {
        let dir = tempfile::tempdir().unwrap();
        super::certs::make(
            dir.path(),
            &super::certs::ServerCertificate {
                ca_subject: "/CN=motu test CA",
                key: super::certs::RSA_KEY,
                subject: "/CN=localhost",
                extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
            },
        );
        let as_mysql = super::is_root();
        if as_mysql {
            let mut chown = Command::new("chown");
            chown.args(["-R", "mysql:"]).arg(dir.path());
            run(chown, "chown");
        }
        let data = dir.path().join("data");
        let mut install = Command::new("mariadb-install-db");
        install
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db");
        if as_mysql {
            install.arg("--user=mysql");
        }
        run(install, "mariadb-install-db");
        let port = super::free_port();
        let path = |name: &str| dir.path().join(name).display().to_string();
        let mut server = Command::new("/usr/sbin/mariadbd");
        server
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", path("sock")))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg("--skip-name-resolve")
            .arg(format!("--log-error={}", path("error.log")))
            .arg(format!("--pid-file={}", path("pid")))
            .arg(format!("--ssl-ca={}", path("ca.pem")))
            .arg(format!("--ssl-cert={}", path("server.pem")))
            .arg(format!("--ssl-key={}", path("server.key")))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if as_mysql {
            server.arg("--user=mysql");
        }
        let child = server
            .spawn()
            .expect("mariadbd runs (scripts/install-mariadb.sh installs it)");
        let server = MariaDbServer { port, dir, child };
        server.wait_until_answering();
        server.sql(&format!(
            "CREATE DATABASE {DATABASE}; \
             CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; \
             GRANT ALL ON {DATABASE}.* TO '{USER}'@'%';"
        ));
        let ca = std::fs::read_to_string(server.dir.path().join("ca.pem")).unwrap();
        (server, ca)
    }

    /// The connection URL of the test database, with `query` (may be
    /// empty) after a `?`.
    pub fn url(&self, query: &str) -> String {
        let q = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        format!(
            "mysql://{USER}:{PASSWORD}@127.0.0.1:{}/{DATABASE}{q}",
            self.port
        )
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    /// Runs `sql` as the server's root user, over its socket.
    pub fn sql(&self, sql: &str) -> String {
        let mut client = Command::new("mariadb");
        client
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .args(["-u", "root", "-N", "-e", sql]);
        run(client, "mariadb")
    }

    fn wait_until_answering(&self) {
        let started = Instant::now();
        loop {
            let ping = Command::new("mariadb-admin")
                .arg("--no-defaults")
                .arg(format!("--socket={}", self.socket().display()))
                .args(["-u", "root", "ping"])
                .output();
            if ping.is_ok_and(|o| o.status.success()) {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "mariadbd did not answer: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MariaDbServer {
    fn drop(&mut self) {
        let _ = Command::new("mariadb-admin")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .args(["-u", "root", "shutdown"])
            .output();
        if self.child.try_wait().ok().flatten().is_none() {
            // The shutdown did not reach it: stop it by its own id.
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
