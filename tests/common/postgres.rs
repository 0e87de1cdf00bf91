//! A real PostgreSQL server (Debian's `postgresql` package, which README's
//! test command installs through `scripts/install-postgres.sh`) for the
//! tests: a cluster of its own made with `initdb` in a temporary folder,
//! listening on a free loopback port with password (SCRAM) authentication
//! (and TLS, with a certificate from a CA of the test's own, when asked),
//! stopped and removed when the test is done.
//!
//! PostgreSQL refuses to run as root: when the tests run as root (CI), the
//! cluster belongs to the `postgres` user the package creates, and its
//! commands run as that user (`runuser`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The user and password of the test cluster's superuser.
pub const USER: &str = "motu";
/// See [`USER`].
pub const PASSWORD: &str = "motu-secret";

/// A running PostgreSQL cluster of one test.
pub struct PostgresServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

/// The folder of PostgreSQL's server programs: the newest version under
/// Debian's `/usr/lib/postgresql`, else whatever `PATH` has.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_default()
}

/// Makes, in `dir`, a CA (`ca.pem`) and a certificate for `localhost` and
/// 127.0.0.1 that it signed (`server.pem`, `server.key`), with `openssl`.
fn make_certificates(dir: &Path) {
    super::certs::make(
        dir,
        &super::certs::ServerCertificate {
            ca_subject: "/CN=motu test CA",
            key: super::certs::EC_KEY,
            subject: "/CN=localhost",
            extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        },
    );
    // PostgreSQL wants its key readable by its owner only.
    std::fs::set_permissions(
        dir.join("server.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
}

impl PostgresServer {
    /// A new cluster on a free port, started and answering.
    pub fn start() -> PostgresServer {
        Self::start_with(false)
    }

    /// A new cluster that also speaks TLS, with a certificate for
    /// `localhost` and 127.0.0.1 from a CA of its own: the server, and the
    /// CA's certificate (PEM) for clients to trust.
    pub fn start_tls() -> (PostgresServer, String) {
        let server = Self::start_with(true);
        let ca = std::fs::read_to_string(server.socket_dir().join("ca.pem")).unwrap();
        (server, ca)
    }

    fn start_with(tls: bool) -> PostgresServer {
        let dir = tempfile::tempdir().unwrap();
        if tls {
            make_certificates(dir.path());
        }
        let as_postgres = super::is_root();
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        if as_postgres {
            let out = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .output()
                .expect("chown runs");
            assert!(out.status.success(), "chown: {out:?}");
        }
        let server = PostgresServer {
            port: super::free_port(),
            bin: bin_dir(),
            data,
            as_postgres,
            _dir: dir,
        };
        server.run(
            "initdb",
            &[
                "-D",
                server.data.to_str().unwrap(),
                "-U",
                USER,
                "--pwfile",
                pwfile.to_str().unwrap(),
                "--auth",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            server.port,
            server.socket_dir().display()
        );
        if tls {
            let certs = server.socket_dir().display();
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={certs}/server.pem -c ssl_key_file={certs}/server.key"
            ));
        }
        server.run(
            "pg_ctl",
            &[
                "start",
                "-w",
                "-t",
                "120",
                "-D",
                server.data.to_str().unwrap(),
                "-l",
                server.log_path().to_str().unwrap(),
                "-o",
                &options,
            ],
        );
        server
    }

    /// The connection URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/postgres",
            self.port
        )
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn socket_dir(&self) -> &Path {
        self.data.parent().unwrap()
    }

    fn log_path(&self) -> PathBuf {
        self.socket_dir().join("server.log")
    }

    /// Runs PostgreSQL's program `name` (as the `postgres` user when the
    /// tests run as root), and checks it succeeded.
    fn run(&self, name: &str, args: &[&str]) {
        let program = self.bin.join(name);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = command.args(args).output().unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): install PostgreSQL with scripts/install-postgres.sh \
                 (README's test command runs it)",
                program.display()
            )
        });
        assert!(
            out.status.success(),
            "{name} {args:?}: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl");
        let data = self.data.to_str().unwrap().to_owned();
        let args = ["stop", "-m", "immediate", "-w", "-D", &data];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .output()
        } else {
            Command::new(&program).args(args).output()
        };
    }
}
