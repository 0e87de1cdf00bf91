//! Test certificates made with `openssl`: a CA of the test's own and a
//! server certificate it signed, for servers that speak TLS in tests
//! (Redis, PostgreSQL, a Node TLS server).

use std::path::Path;
use std::process::Command;

/// An EC P-256 key made with the certificate, unencrypted.
pub const EC_KEY: &[&str] = &[
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
];

/// An RSA 2048 key made with the certificate, unencrypted.
pub const RSA_KEY: &[&str] = &["-newkey", "rsa:2048", "-nodes"];

/// What the server's certificate says.
pub struct ServerCertificate<'a> {
    /// The CA's subject, e.g. `/CN=motu test CA`.
    pub ca_subject: &'a str,
    /// The server key's `openssl req` arguments: [`EC_KEY`] or [`RSA_KEY`].
    pub key: &'a [&'a str],
    /// The server's subject, e.g. `/CN=localhost`.
    pub subject: &'a str,
    /// The certificate's extensions, one `name=value` a line (at least
    /// its `subjectAltName`).
    pub extensions: &'a str,
}

/// Makes, in `dir`, a CA with an EC P-256 key (`ca.pem`, `ca.key`) and a
/// server certificate it signed (`server.pem`, `server.key`), both valid
/// for two days.
pub fn make(dir: &Path, server: &ServerCertificate<'_>) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs (scripts/install-redis.sh installs it)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        &["req", "-x509"][..],
        EC_KEY,
        &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
        &["-subj", server.ca_subject],
    ]
    .concat());
    run(&[
        &["req"][..],
        server.key,
        &["-keyout", "server.key", "-out", "server.csr"],
        &["-subj", server.subject],
    ]
    .concat());
    std::fs::write(dir.join("server.ext"), server.extensions).unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}
