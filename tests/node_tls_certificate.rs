//! node:tls's `getPeerCertificate()` in a Worker of the real server, on
//! every engine, against Node.js (the oracle): a TLS server (Node's) on
//! loopback sends a chain made for the test with `openssl` — an RSA
//! certificate for `localhost` with several subject attributes (one twice),
//! alternative names and extended key usages, signed by an EC P-256 CA —
//! and the Worker's `tls.connect()` and Node's describe the peer
//! certificate and its issuer (`getPeerCertificate(true)`) the same way:
//! the same fields in the same order, with the same values.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{certs, on_each_engine, Server, TempConfig};

/// What both sides run on the certificate: its fields, Buffers as base64,
/// names as plain objects, and how the chain is linked.
const DESCRIBE: &str = "\
export function describe(cert) {
  const plain = c => {
    const out = {};
    for (const [k, v] of Object.entries(c)) {
      if (k === 'issuerCertificate') continue;
      if (v instanceof Uint8Array) out[k] = Buffer.from(v).toString('base64');
      else if (k === 'subject' || k === 'issuer') out[k] = { proto: Object.getPrototypeOf(v), ...v };
      else out[k] = v;
    }
    return out;
  };
  const issuer = cert.issuerCertificate;
  return {
    keys: Object.keys(cert),
    cert: plain(cert),
    issuerKeys: Object.keys(issuer),
    issuer: plain(issuer),
    issuerIsItsOwn: issuer.issuerCertificate === issuer,
  };
}
";

/// The Worker: connects to the server in `env.TLS_PORT`, trusting
/// `env.CA`, and answers what `describe` gives.
const WORKER: &str = "\
import tls from 'node:tls';
import { describe } from './describe.mjs';
export default {
  fetch(request, env) {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: Number(env.TLS_PORT), servername: 'localhost', ca: env.CA }, () => {
        const detailed = describe(s.getPeerCertificate(true));
        const short = s.getPeerCertificate();
        detailed.shortHasNoChain = !('issuerCertificate' in short);
        s.destroy();
        resolve(Response.json(detailed));
      });
      s.on('error', reject);
    });
  },
};
";

/// The same under Node.js.
const CLIENT: &str = "\
import tls from 'node:tls';
import fs from 'node:fs';
import { describe } from './describe.mjs';
const [port, ca] = [process.argv[2], fs.readFileSync('ca.pem', 'utf8')];
const s = tls.connect({ host: '127.0.0.1', port: Number(port), servername: 'localhost', ca }, () => {
  const detailed = describe(s.getPeerCertificate(true));
  detailed.shortHasNoChain = !('issuerCertificate' in s.getPeerCertificate());
  console.log(JSON.stringify(detailed));
  s.destroy();
});
";

/// A TLS server (Node's) sending `chain.pem`; it ends each connection.
const TLS_SERVER: &str = "\
const tls = require('tls');
const fs = require('fs');
const s = tls.createServer({ key: fs.readFileSync('server.key'), cert: fs.readFileSync('chain.pem') }, c => c.end());
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
";

/// The TLS server, stopped when dropped.
struct TlsServer(Child);

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Makes the CA (EC P-256) and the server's certificate (RSA) in `dir`,
/// and `chain.pem` (the server's, then the CA's).
fn make_certificates(dir: &Path) {
    certs::make(
        dir,
        &certs::ServerCertificate {
            ca_subject: "/CN=motu test CA/O=motu",
            key: certs::RSA_KEY,
            subject: "/C=DE/ST=Berlin/O=motu test/OU=one/OU=two/CN=localhost",
            extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\n\
                         extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n",
        },
    );
    let chain = std::fs::read_to_string(dir.join("server.pem")).unwrap()
        + &std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    std::fs::write(dir.join("chain.pem"), chain).unwrap();
}

/// Starts the TLS server in `dir`: it and its port.
fn start_tls_server(dir: &Path) -> (TlsServer, String) {
    std::fs::write(dir.join("server.js"), TLS_SERVER).unwrap();
    let mut child = Command::new("node")
        .arg("server.js")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (scripts/install-test-projects.sh installs it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().to_owned();
    assert!(
        port.parse::<u16>().is_ok(),
        "the TLS server's port: {line:?}"
    );
    (TlsServer(child), port)
}

/// What Node.js's `tls.connect()` sees of the server at `port`.
fn node_view(dir: &Path, port: &str) -> serde_json::Value {
    std::fs::write(dir.join("describe.mjs"), DESCRIBE).unwrap();
    std::fs::write(dir.join("client.mjs"), CLIENT).unwrap();
    let out = Command::new("node")
        .args(["client.mjs", port])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn peer_certificates_read_as_nodes_do() {
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let (_server, port) = start_tls_server(certs.path());
    let node = node_view(certs.path(), &port);
    assert_eq!(
        node["cert"]["subject"]["OU"],
        serde_json::json!(["one", "two"]),
        "{node}"
    );
    let ca = std::fs::read_to_string(certs.path().join("ca.pem")).unwrap();
    on_each_engine("peer_certificates_read_as_nodes_do", |engine| {
        let toml = format!(
            "[server]\nengine = \"{engine}\"\n[egress]\nallow_hosts = [\"127.0.0.1\"]\n\
             [[workers]]\nname = \"tls\"\nmain = \"worker.mjs\"\n\
             compatibility_date = \"2025-09-15\"\ncompatibility_flags = [\"nodejs_compat\"]\n\
             routes = [\"*/*\"]\n[workers.limits]\ncpu_ms = 2000\n\
             [workers.vars]\nTLS_PORT = \"{port}\"\nCA = {ca:?}\n"
        );
        let c = TempConfig::new(&[
            ("worker.mjs", WORKER),
            ("describe.mjs", DESCRIBE),
            ("motu.toml", &toml),
        ]);
        let s = Server::start(&["--config", &c.path("motu.toml")]);
        let r = s.get("/");
        assert_eq!(r.status, 200, "{}\n{}", r.text(), s.log());
        let ours = r.json();
        for key in ["keys", "issuerKeys", "issuerIsItsOwn", "shortHasNoChain"] {
            assert_eq!(ours[key], node[key], "{key}: motu {ours}\nnode {node}");
        }
        for side in ["cert", "issuer"] {
            for (field, expected) in node[side].as_object().unwrap() {
                assert_eq!(
                    &ours[side][field], expected,
                    "{side}.{field}: motu {}",
                    ours[side][field]
                );
            }
        }
    });
}
