//! The npm `mysql2` driver, as Cloudflare's mysql-hyperdrive-template uses
//! it, against a real MariaDB (tests/common/mariadb.rs: its own server on
//! a loopback port, speaking TLS) through a Hyperdrive binding, in a Worker
//! of the real server on every engine (tests/projects/mysql, installed by
//! scripts/install-test-projects.sh): create a table, insert, select,
//! commit a transaction and see a failed one rolled back, with the binding's
//! parts and with its connection string. A string that asks for TLS
//! (`ssl-mode=REQUIRED`, as a hosted database's does) gets it from the
//! host, as wrangler's local Hyperdrive gives it: the server sees an
//! encrypted session, though the driver was told nothing of TLS. A debug
//! build's V8 spends between 25 and 50 ms of CPU on a route (tried by hand
//! with `cpu_ms` limits, load average 3.2; QuickJS under 12 ms), so the
//! Worker gets a larger CPU limit, as in tests/postgres.rs.

mod common;

use std::path::{Path, PathBuf};

use common::mariadb::MariaDbServer;
use common::{on_each_engine, Server};
use serde_json::json;

/// A motu config in the project folder whose Worker has a Hyperdrive
/// binding to `url`, removed when dropped; gitignored.
struct ProjectConfig(PathBuf);

impl ProjectConfig {
    fn new(engine: &str, db: &MariaDbServer, url: &str, case: usize) -> ProjectConfig {
        let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/projects/mysql");
        assert!(
            project.join("node_modules/mysql2").is_dir(),
            "tests/projects/mysql has no node_modules: run scripts/install-test-projects.sh"
        );
        let path = project.join(format!(
            "motu-test-{}-{engine}-{}-{case}.toml",
            std::process::id(),
            db.port
        ));
        std::fs::write(
            &path,
            format!(
                "[server]\nengine = \"{engine}\"\n\
                 [[workers]]\nname = \"db\"\nmain = \"src/index.js\"\n\
                 compatibility_date = \"2025-10-08\"\ncompatibility_flags = [\"nodejs_compat\"]\n\
                 [workers.limits]\ncpu_ms = 1000\n\
                 [[workers.hyperdrive]]\nbinding = \"HYPERDRIVE\"\n\
                 id = \"7668c461af3c47969772c19cbd988391\"\nlocalConnectionString = \"{url}\"\n"
            ),
        )
        .unwrap();
        ProjectConfig(path)
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
fn mysql2_works_through_a_hyperdrive_binding_with_and_without_tls() {
    on_each_engine(
        "mysql2_works_through_a_hyperdrive_binding_with_and_without_tls",
        |engine| {
            let (db, _ca) = MariaDbServer::start();
            for (case, (query, tls)) in [("", false), ("ssl-mode=REQUIRED", true)]
                .into_iter()
                .enumerate()
            {
                let c = ProjectConfig::new(engine, &db, &db.url(query), case);
                let s = c.serve();
                for route in ["/parts", "/string"] {
                    let r = s.get(route);
                    let what = format!("{query} {route}");
                    assert_eq!(
                        r.status,
                        200,
                        "{what}: {}\n{}\n{}",
                        r.text(),
                        s.log(),
                        db.log()
                    );
                    let v = r.json();
                    assert_eq!(
                        v["rows"],
                        json!([{ "name": "ann", "score": 3 }, { "name": "bob", "score": 5 }]),
                        "{what}: {v}"
                    );
                    assert_eq!(v["rolledBack"], "ER_DUP_ENTRY", "{what}: {v}");
                    assert_eq!(
                        v["after"],
                        json!([
                            { "name": "ann", "score": 4 },
                            { "name": "bob", "score": 5 },
                            { "name": "cy", "score": 8 }
                        ]),
                        "{what}: {v}"
                    );
                    assert_eq!(v["total"], 17, "{what}: {v}");
                    let cipher = v["cipher"].as_str().unwrap();
                    assert_eq!(!cipher.is_empty(), tls, "{what}: {v}");
                }
            }
            // VERIFY_IDENTITY checks the certificate, which the Web PKI
            // roots do not trust: the handshake's failure reaches the
            // driver as an error packet.
            let c = ProjectConfig::new(engine, &db, &db.url("ssl-mode=VERIFY_IDENTITY"), 2);
            let s = c.serve();
            let r = s.get("/parts");
            assert_eq!(r.status, 500, "{}", r.text());
            assert!(r.text().contains("UnknownIssuer"), "{}", r.text());
        },
    );
}
