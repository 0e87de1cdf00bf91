//! TLS to a Hyperdrive's database, spoken by the host as wrangler's local
//! Hyperdrive speaks it: the Worker connects to the database's address with
//! a plain socket (its connection string says `sslmode=disable`), and the
//! host, before handing the connection over, asks the database for TLS in
//! the database's own protocol and runs the handshake. What the Worker then
//! writes and reads goes through that TLS.
//!
//! - **PostgreSQL**: an `SSLRequest` message; the server answers `S` (then
//!   the TLS handshake) or `N` (no TLS: a failure, or with `prefer` the
//!   connection goes on plain). The Worker's driver then starts its
//!   session as on any connection.
//! - **MySQL**: the server speaks first; see [`super::mysql`].
//!
//! A failed upgrade fails the Worker's `connect()` with the reason.

use motu_config::{DatabaseProtocol, TlsMode};
use motu_engine::JsError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{broken, Stream};

/// PostgreSQL's `SSLRequest`: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// The TLS the host speaks to a Hyperdrive's database (its connection
/// string's `sslmode`), for the Worker's connections to its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseTls {
    /// The database's `host:port`, as the connection string names it.
    pub address: String,
    /// Whose TLS upgrade is spoken.
    pub protocol: DatabaseProtocol,
    /// Which certificates are accepted.
    pub mode: TlsMode,
    /// The PEM certificates trusted instead of the Web PKI roots
    /// (`sslrootcert`).
    pub ca: Option<String>,
}

impl DatabaseTls {
    /// Whether a connection to `host:port` is to this database.
    pub(crate) fn serves(&self, host: &str, port: u16) -> bool {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let wanted = self.address.rsplit_once(':').map(|(h, p)| {
            (
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse::<u16>().ok(),
            )
        });
        matches!(wanted, Some((h, Some(p))) if p == port && h.eq_ignore_ascii_case(bare))
    }
}

/// Upgrades `tcp`, a new connection to `host`, as `db` says: the stream the
/// Worker then uses.
pub(crate) async fn upgrade(
    tcp: TcpStream,
    db: &DatabaseTls,
    host: &str,
) -> Result<Stream, JsError> {
    let config = super::verify::database_config(db.mode, db.ca.as_deref())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| {
        JsError::type_error(format!("connect(): '{host}' is not a TLS server name: {e}"))
    })?;
    let host = host.to_owned();
    let tls = move |io: TcpStream| async move {
        tokio_rustls::TlsConnector::from(config)
            .connect(name, io)
            .await
            .map_err(|e| {
                JsError::new(
                    "Error",
                    format!("Hyperdrive: TLS handshake with the database '{host}' failed: {e}"),
                )
            })
    };
    match db.protocol {
        DatabaseProtocol::Postgres => postgres(tcp, db.mode, tls).await,
        DatabaseProtocol::Mysql => super::mysql::upgrade(tcp, db.mode, tls).await,
    }
}

/// Asks a PostgreSQL server for TLS and runs `tls` when it agrees.
async fn postgres<F, Fut>(mut tcp: TcpStream, mode: TlsMode, tls: F) -> Result<Stream, JsError>
where
    F: FnOnce(TcpStream) -> Fut,
    Fut: std::future::Future<Output = Result<tokio_rustls::client::TlsStream<TcpStream>, JsError>>,
{
    tcp.write_all(&SSL_REQUEST).await.map_err(broken)?;
    let answer = tcp.read_u8().await.map_err(broken)?;
    match answer {
        b'S' => Ok(Box::new(tls(tcp).await?)),
        b'N' if mode == TlsMode::Prefer => Ok(Box::new(tcp)),
        b'N' => Err(refused()),
        other => Err(JsError::new(
            "Error",
            format!("Hyperdrive: the database answered PostgreSQL's SSLRequest with {other:#04x}"),
        )),
    }
}

/// The database does not speak TLS, which the connection string asks for.
pub(crate) fn refused() -> JsError {
    JsError::new(
        "Error",
        "Hyperdrive: the database does not offer TLS, which the connection string's sslmode requires",
    )
}
