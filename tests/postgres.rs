//! The database drivers Workers projects use, against a real PostgreSQL
//! (tests/common/postgres.rs: its own cluster on a loopback port, with
//! password authentication), in a Worker of the real server on every
//! engine: the npm `postgres` and `pg` packages (tests/projects/postgres,
//! installed by scripts/install-test-projects.sh) create a table, insert,
//! select, commit a transaction and see a failed one rolled back — over
//! `cloudflare:sockets`, the path they take on Workers, and over `node:net`
//! sockets handed to them. A debug build spends close to the default 50 ms
//! of CPU on one route (SCRAM's key derivation, the drivers' parsing), so
//! the Worker gets a larger CPU limit.

mod common;

use std::path::{Path, PathBuf};

use common::postgres::PostgresServer;
use common::{on_each_engine, Server};
use serde_json::json;

/// A motu config in the project folder (a Worker's modules must lie in
/// its config's folder), removed when dropped; gitignored.
struct ProjectConfig(PathBuf);

impl ProjectConfig {
    fn new(engine: &str, db: &PostgresServer, egress: &str) -> ProjectConfig {
        Self::with_vars(engine, db, egress, &[])
    }

    fn with_vars(
        engine: &str,
        db: &PostgresServer,
        egress: &str,
        vars: &[(&str, &str)],
    ) -> ProjectConfig {
        let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/projects/postgres");
        assert!(
            project.join("node_modules/postgres").is_dir(),
            "tests/projects/postgres has no node_modules: run scripts/install-test-projects.sh"
        );
        let path = project.join(format!(
            "motu-test-{}-{engine}-{}.toml",
            std::process::id(),
            db.port
        ));
        std::fs::write(
            &path,
            format!(
                "[server]\nengine = \"{engine}\"\n{egress}\n\
                 [[workers]]\nname = \"db\"\nmain = \"src/index.js\"\n\
                 compatibility_date = \"2025-04-01\"\ncompatibility_flags = [\"nodejs_compat\"]\n\
                 [workers.limits]\ncpu_ms = 1000\n\
                 [workers.vars]\nPG_URL = \"{url}\"\n{more}",
                url = db.url(),
                more = vars
                    .iter()
                    .map(|(k, v)| format!("{k} = {v:?}\n"))
                    .collect::<String>(),
            ),
        )
        .unwrap();
        ProjectConfig(path)
    }

    /// A config whose Worker `db` (at `db.test`) has a Hyperdrive binding
    /// to `db`, and no egress rule: the binding opens the way, to that
    /// Worker only. The same code without the binding is `other` (at
    /// `other.test`).
    fn hyperdrive(engine: &str, db: &PostgresServer) -> ProjectConfig {
        Self::hyperdrive_to(engine, db, &db.url())
    }

    /// [`hyperdrive`](Self::hyperdrive) with `url` as the local connection
    /// string.
    fn hyperdrive_to(engine: &str, db: &PostgresServer, url: &str) -> ProjectConfig {
        let c = Self::new(engine, db, "");
        let text = std::fs::read_to_string(&c.0).unwrap();
        let worker = text
            .find("[[workers]]")
            .map(|i| text[i..].to_owned())
            .unwrap();
        let routed = |name: &str| format!("name = \"{name}\"\nroutes = [\"{name}.test/*\"]");
        let text = format!(
            "{db}[[workers.hyperdrive]]\nbinding = \"HYPERDRIVE\"\nid = \"a76a99bc342644deb02c38d66082262a\"\nlocalConnectionString = \"{url}\"\n{other}",
            db = text.replace("name = \"db\"", &routed("db")),
            other = worker.replace("name = \"db\"", &routed("other")),
        );
        std::fs::write(&c.0, text).unwrap();
        c
    }

    fn serve(&self) -> Server {
        Server::start(&["--config", self.0.to_str().unwrap()])
    }
}

impl Drop for ProjectConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn postgres_drivers_work_against_a_real_server() {
    on_each_engine("postgres_drivers_work_against_a_real_server", |engine| {
        let db = PostgresServer::start();
        let egress = format!("[egress]\nallow_hosts = [\"127.0.0.1:{}\"]", db.port);
        let c = ProjectConfig::new(engine, &db, &egress);
        let s = c.serve();
        for route in ["/postgres", "/pg", "/postgres-net", "/pg-net"] {
            let r = s.get(route);
            assert_eq!(
                r.status,
                200,
                "{route}: {}\n{}\n{}",
                r.text(),
                s.log(),
                db.log()
            );
            let v = r.json();
            let what = format!("{route}: {v}");
            assert_eq!(
                v["rows"],
                json!([{ "name": "ann", "score": 3 }, { "name": "bob", "score": 5 }]),
                "{what}"
            );
            // 23505: unique_violation, from the server, as the driver's code.
            assert_eq!(v["rolledBack"], "23505", "{what}");
            assert_eq!(
                v["after"],
                json!([
                    { "name": "ann", "score": 4 },
                    { "name": "bob", "score": 5 },
                    { "name": "cy", "score": 8 }
                ]),
                "{what}"
            );
            assert_eq!(v["total"], 17, "{what}");
            assert_eq!(v["bigLength"], 100000, "{what}");
        }
    });
}

#[test]
fn postgres_over_node_tls_checks_the_servers_certificate() {
    on_each_engine(
        "postgres_over_node_tls_checks_the_servers_certificate",
        |engine| {
            let (db, ca) = PostgresServer::start_tls();
            let egress = format!("[egress]\nallow_hosts = [\"127.0.0.1:{}\"]", db.port);
            let c = ProjectConfig::with_vars(engine, &db, &egress, &[("PG_CA", &ca)]);
            let s = c.serve();
            let r = s.get("/postgres-net-tls");
            assert_eq!(r.status, 200, "{}\n{}\n{}", r.text(), s.log(), db.log());
            let v = r.json();
            assert_eq!(v["ssl"], true, "{v}");
            assert!(v["version"].as_str().unwrap().starts_with("TLSv1."), "{v}");
            assert_eq!(v["total"], 17, "{v}");
            let r = s.get("/postgres-net-tls-untrusted");
            assert_eq!(r.status, 500, "{}", r.text());
            assert!(r.text().contains("TLS handshake"), "{}", r.text());
        },
    );
}

#[test]
fn a_database_outside_the_egress_policy_is_refused() {
    on_each_engine(
        "a_database_outside_the_egress_policy_is_refused",
        |engine| {
            let db = PostgresServer::start();
            // No allow_hosts: loopback is private, so refused.
            let c = ProjectConfig::new(engine, &db, "");
            let s = c.serve();
            for route in ["/postgres", "/pg-net"] {
                let r = s.get(route);
                assert_eq!(r.status, 500, "{route}: {}", r.text());
                assert!(r.text().contains("egress policy"), "{route}: {}", r.text());
            }
        },
    );
}

/// A Hyperdrive binding in local development: the connection string of the
/// database it names (and its parts), usable by the drivers, and
/// `connect()`; its database is reachable without an egress rule, by that
/// Worker only.
#[test]
fn a_hyperdrive_binding_reaches_its_database() {
    on_each_engine("a_hyperdrive_binding_reaches_its_database", |engine| {
        let db = PostgresServer::start();
        let c = ProjectConfig::hyperdrive(engine, &db);
        let s = c.serve();
        let get = |host: &str, path: &str| s.request("GET", path, &[("host", host)], b"");
        // The Worker without the binding may not reach the database.
        let r = get("other.test", "/pg");
        assert_eq!(r.status, 500, "{}\n{}", r.text(), s.log());
        assert!(r.text().contains("egress policy"), "{}", r.text());
        let info = get("db.test", "/hyperdrive-info");
        assert_eq!(info.status, 200, "{}\n{}", info.text(), s.log());
        assert_eq!(
            info.json(),
            json!({ "host": "127.0.0.1", "port": db.port, "user": common::postgres::USER,
                    "database": "postgres", "same": true, "password": true })
        );
        for route in ["/hyperdrive-postgres", "/hyperdrive-pg-parts", "/pg"] {
            let r = get("db.test", route);
            assert_eq!(r.status, 200, "{route}: {}\n{}", r.text(), s.log());
            assert_eq!(r.json()["total"], 17, "{route}: {}", r.text());
        }
        let r = get("db.test", "/hyperdrive-connect");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        let answer = r.json()["answer"].as_str().unwrap().to_owned();
        assert!(answer == "S" || answer == "N", "{answer}");
    });
}

/// A Hyperdrive whose local connection string asks for TLS (`sslmode`, as a
/// hosted database's string does): the host speaks PostgreSQL's TLS upgrade
/// to the database, as wrangler's local Hyperdrive does, and the drivers,
/// given the string with `sslmode=disable`, run through it (the server sees
/// encrypted sessions). `require` takes the test CA's certificate
/// unchecked; `verify-full` checks it, against `sslrootcert` when given
/// (else the Web PKI roots, which do not have the test CA).
#[test]
fn a_hyperdrive_that_asks_for_tls_gets_it_from_the_host() {
    on_each_engine(
        "a_hyperdrive_that_asks_for_tls_gets_it_from_the_host",
        |engine| {
            let (db, ca) = PostgresServer::start_tls();
            let dir = tempfile::tempdir().unwrap();
            let ca_path = dir.path().join("ca.pem");
            std::fs::write(&ca_path, ca).unwrap();
            let cases = [
                ("sslmode=require".to_owned(), true),
                (
                    format!("sslmode=verify-full&sslrootcert={}", ca_path.display()),
                    true,
                ),
                ("sslmode=verify-full".to_owned(), false),
            ];
            for (query, trusted) in cases {
                let url = format!("{}?{query}", db.url());
                let c = ProjectConfig::hyperdrive_to(engine, &db, &url);
                let s = c.serve();
                let r = s.request("GET", "/hyperdrive-ssl", &[("host", "db.test")], b"");
                if trusted {
                    assert_eq!(r.status, 200, "{query}: {}\n{}", r.text(), s.log());
                    assert_eq!(
                        r.json(),
                        json!({ "postgres": true, "pg": true, "sslmode": "disable" }),
                        "{query}"
                    );
                } else {
                    assert_eq!(r.status, 500, "{query}: {}", r.text());
                    assert!(r.text().contains("UnknownIssuer"), "{query}: {}", r.text());
                }
            }
        },
    );
}
