//! TLS to a Hyperdrive's local database, as `wrangler dev` gives it.
//!
//! A local connection string may ask for TLS: `sslmode` for PostgreSQL
//! (`prefer`, `require`, `verify-ca`, `verify-full`; `disable` and `allow`
//! mean none), and `ssl-mode` (or `ssl`, `sslmode`) for MySQL (`PREFERRED`,
//! `REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY`, `true`, `1`; `DISABLED`,
//! `false`, `0` mean none). `sslrootcert` names a file of PEM certificates
//! trusted by the `verify-*` modes (else, or with `system`, the Web PKI
//! roots).
//!
//! Wrangler does not hand such a string to the Worker's driver: its local
//! Hyperdrive speaks the database's own TLS upgrade (PostgreSQL's
//! `SSLRequest`, MySQL's SSL request packet) to the database itself, and the
//! Worker's connection to it is plain. motu does the same when the Worker
//! connects to the database's address (the runtime's sockets): the Worker
//! gets the connection string without its TLS settings (PostgreSQL's with
//! `sslmode=disable`, as Hyperdrive gives it), so that a driver does not
//! ask for TLS over the TLS the host already speaks. `require` and
//! `prefer` check no certificate (libpq's meaning, and wrangler's);
//! `verify-ca` checks the chain but not the name; `verify-full` both.

use std::path::PathBuf;

/// How the connection to the database is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS when the database offers it, else plain; no certificate check.
    Prefer,
    /// TLS, whatever the certificate.
    Require,
    /// TLS with a certificate from a trusted root, for any name.
    VerifyCa,
    /// TLS with a certificate from a trusted root, for the database's host.
    VerifyFull,
}

/// The database protocol whose TLS upgrade is spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseProtocol {
    /// PostgreSQL (`postgres://`, `postgresql://`).
    Postgres,
    /// MySQL and MariaDB (`mysql://`).
    Mysql,
}

/// The TLS a local connection string asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HyperdriveTls {
    /// Its protocol, from the scheme.
    pub protocol: DatabaseProtocol,
    /// `sslmode` (or MySQL's `ssl-mode`).
    pub mode: TlsMode,
    /// `sslrootcert`: a file of PEM certificates trusted instead of the Web
    /// PKI roots. `None` without it or for `system`.
    pub root_cert: Option<PathBuf>,
}

/// The parameters that set TLS in a connection string of `protocol`.
fn tls_parameters(protocol: DatabaseProtocol) -> &'static [&'static str] {
    match protocol {
        DatabaseProtocol::Postgres => &["sslmode", "sslrootcert"],
        DatabaseProtocol::Mysql => &["ssl-mode", "ssl", "sslmode", "sslrootcert"],
    }
}

fn protocol(url: &url::Url) -> DatabaseProtocol {
    if url.scheme() == "mysql" {
        DatabaseProtocol::Mysql
    } else {
        DatabaseProtocol::Postgres
    }
}

/// The value of parameter `name` (any case) in `url`.
fn parameter(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

/// The TLS `url` asks for: `None` for a plain connection. An `sslmode`
/// PostgreSQL does not know is an error.
pub(crate) fn read(url: &url::Url) -> Result<Option<HyperdriveTls>, String> {
    let protocol = protocol(url);
    let mode = match protocol {
        DatabaseProtocol::Postgres => {
            match parameter(url, "sslmode").map(|m| m.to_ascii_lowercase()) {
                None => None,
                Some(m) => match m.as_str() {
                    "disable" | "allow" => None,
                    "prefer" => Some(TlsMode::Prefer),
                    "require" => Some(TlsMode::Require),
                    "verify-ca" => Some(TlsMode::VerifyCa),
                    "verify-full" => Some(TlsMode::VerifyFull),
                    _ => return Err(format!(
                        "sslmode={m} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                    )),
                },
            }
        }
        DatabaseProtocol::Mysql => {
            let m = ["ssl-mode", "ssl", "sslmode"]
                .iter()
                .find_map(|name| parameter(url, name))
                .map(|m| m.to_ascii_lowercase());
            match m.as_deref() {
                Some("preferred") => Some(TlsMode::Prefer),
                Some("required" | "true" | "1") => Some(TlsMode::Require),
                Some("verify_ca") => Some(TlsMode::VerifyCa),
                Some("verify_identity") => Some(TlsMode::VerifyFull),
                // As wrangler: anything else is a plain connection.
                _ => None,
            }
        }
    };
    Ok(mode.map(|mode| HyperdriveTls {
        protocol,
        mode,
        root_cert: parameter(url, "sslrootcert")
            .filter(|p| !p.is_empty() && p != "system")
            .map(PathBuf::from),
    }))
}

/// `url` as the Worker sees it when the host speaks its TLS: without the
/// parameters that set TLS, and for PostgreSQL with `sslmode=disable`.
pub(crate) fn worker_url(url: &url::Url) -> url::Url {
    let protocol = protocol(url);
    let drop = tls_parameters(protocol);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !drop.iter().any(|d| k.eq_ignore_ascii_case(d)))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut out = url.clone();
    out.set_query(None);
    if !kept.is_empty() || protocol == DatabaseProtocol::Postgres {
        let mut pairs = out.query_pairs_mut();
        for (k, v) in &kept {
            pairs.append_pair(k, v);
        }
        if protocol == DatabaseProtocol::Postgres {
            pairs.append_pair("sslmode", "disable");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(text: &str) -> Result<Option<HyperdriveTls>, String> {
        read(&url::Url::parse(text).unwrap())
    }

    #[test]
    fn postgres_and_mysql_modes_are_read_as_wrangler_reads_them() {
        let mode = |t: &str| tls(t).unwrap().map(|t| t.mode);
        assert_eq!(mode("postgres://u:p@h/d"), None);
        assert_eq!(mode("postgres://u:p@h/d?sslmode=disable"), None);
        assert_eq!(
            mode("postgres://u:p@h/d?sslmode=require"),
            Some(TlsMode::Require)
        );
        assert_eq!(
            mode("postgresql://u:p@h/d?SSLMODE=Verify-Full"),
            Some(TlsMode::VerifyFull)
        );
        assert!(tls("postgres://u:p@h/d?sslmode=yes")
            .unwrap_err()
            .contains("sslmode=yes"));
        assert_eq!(
            mode("mysql://u:p@h/d?ssl-mode=REQUIRED"),
            Some(TlsMode::Require)
        );
        assert_eq!(mode("mysql://u:p@h/d?ssl=true"), Some(TlsMode::Require));
        assert_eq!(
            mode("mysql://u:p@h/d?sslmode=verify_ca"),
            Some(TlsMode::VerifyCa)
        );
        assert_eq!(mode("mysql://u:p@h/d?ssl-mode=DISABLED"), None);
        let t = tls("postgres://u:p@h/d?sslmode=verify-ca&sslrootcert=/x/ca.pem")
            .unwrap()
            .unwrap();
        assert_eq!(t.root_cert, Some(PathBuf::from("/x/ca.pem")));
        assert_eq!(t.protocol, DatabaseProtocol::Postgres);
        let t = tls("mysql://u:p@h/d?ssl-mode=REQUIRED&sslrootcert=system")
            .unwrap()
            .unwrap();
        assert_eq!((t.protocol, t.root_cert), (DatabaseProtocol::Mysql, None));
    }

    #[test]
    fn the_worker_sees_a_string_without_tls_settings() {
        let w = |t: &str| worker_url(&url::Url::parse(t).unwrap()).to_string();
        assert_eq!(
            w("postgres://u:p@h:1/d?sslmode=require&application_name=x&sslrootcert=/c"),
            "postgres://u:p@h:1/d?application_name=x&sslmode=disable"
        );
        assert_eq!(w("mysql://u:p@h/d?ssl-mode=REQUIRED"), "mysql://u:p@h/d");
        assert_eq!(
            w("mysql://u:p@h/d?SSL=1&charset=utf8mb4"),
            "mysql://u:p@h/d?charset=utf8mb4"
        );
    }
}
