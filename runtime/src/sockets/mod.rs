//! `cloudflare:sockets`: TCP connections from a Worker, plain or TLS
//! (rustls with the Web PKI roots), under the egress policy.
//!
//! # Concepts
//!
//! - **Connecting** ([`connect`]): the host name is resolved with the
//!   system resolver and only the addresses the egress policy allows are
//!   tried (any address for a host `allow_hosts` names), as for `fetch()`.
//!   Each `connect()` counts as a subrequest of its event.
//! - **A Hyperdrive's database** whose connection string asks for TLS: a
//!   plain connection to its address is upgraded by the host in the
//!   database's protocol before the Worker gets it ([`database`]).
//! - **A socket** is split in two halves. What the read half receives is
//!   pumped, with backpressure, into a host body stream that JavaScript
//!   reads as the socket's `readable`; the write half stays here, and
//!   `socket_write` writes to it. `startTls()` stops the pump, joins the
//!   halves again and runs the TLS handshake over them.
//! - **Lifetime**: a socket belongs to the event that opened it and is
//!   closed once that event is over (answered, and no `waitUntil` promise
//!   left): [`Sockets::forget`].
//!
//! Ops (see `runtime/src/host.rs`): `socket_connect(hostname, port, tls,
//! allowHalfOpen, serverName?, ca?) -> [id, readable, remoteAddress,
//! localAddress, peerCertificates]` (async; `peerCertificates`: the TLS
//! server's certificate chain as DER bytes, the server's own first, empty
//! without TLS; `serverName` and `ca`, for node:tls, are the name
//! the TLS certificate is checked for when it is not `hostname`, and the
//! PEM certificates trusted instead of the Web PKI roots),
//! `socket_write(id, bytes)` (async), `socket_shutdown(id)` (async: ends the
//! writable side), `socket_close(id)`, `socket_start_tls(id, hostname, ca?) ->
//! [id, readable, peerCertificates]` (async).

pub(crate) mod database;
pub(crate) mod dns;
mod mysql;
mod verify;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use motu_engine::{HostValue, JsError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, Mutex};

use crate::fetch::EgressPolicy;
use crate::{BodyError, BodySender};

/// How long a TCP connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most a read hands JavaScript in one chunk.
const READ_CHUNK: usize = 64 * 1024;
/// Chunks read ahead of JavaScript before the socket stops reading.
pub(crate) const READ_AHEAD: usize = 4;

/// A connection's bytes both ways: TCP, or TLS over TCP.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Io for T {}
type Stream = Box<dyn Io>;
type Writer = Rc<Mutex<Option<WriteHalf<Stream>>>>;
/// Asks the pump to stop; it answers with its half.
type Stop = oneshot::Sender<oneshot::Sender<ReadHalf<Stream>>>;

/// An open socket.
struct Conn {
    event: u64,
    allow_half_open: bool,
    writer: Writer,
    stop: Option<Stop>,
}

/// The open sockets of one isolate, by id. Cheap to clone (shared).
#[derive(Clone, Default)]
pub(crate) struct Sockets {
    open: Rc<RefCell<HashMap<u32, Conn>>>,
    next: Rc<Cell<u32>>,
}

/// A connected stream and its addresses.
pub(crate) struct Connected {
    stream: Stream,
    remote: SocketAddr,
    local: SocketAddr,
    /// The TLS server's certificates (DER), its own first.
    peer: Vec<Vec<u8>>,
}

impl Sockets {
    /// Registers `connected` for `event`, pumps what it reads into `sink`,
    /// and answers `[id, readable, remoteAddress, localAddress,
    /// peerCertificates]`.
    pub(crate) fn register(
        &self,
        event: u64,
        connected: Connected,
        sink: BodySender,
        readable: u32,
        allow_half_open: bool,
    ) -> HostValue {
        let (remote, local) = (connected.remote, connected.local);
        let id = self.add(event, connected.stream, sink, allow_half_open);
        HostValue::List(vec![
            f64::from(id).into(),
            f64::from(readable).into(),
            remote.to_string().into(),
            local.to_string().into(),
            certificates(connected.peer),
        ])
    }

    fn add(&self, event: u64, stream: Stream, sink: BodySender, allow_half_open: bool) -> u32 {
        let (read, write) = tokio::io::split(stream);
        let writer: Writer = Rc::new(Mutex::new(Some(write)));
        let (stop, stopped) = oneshot::channel();
        let shut = (!allow_half_open).then(|| writer.clone());
        actix_rt::spawn(pump(read, sink, stopped, shut));
        let id = self.next.get().wrapping_add(1).max(1);
        self.next.set(id);
        self.open.borrow_mut().insert(
            id,
            Conn {
                event,
                allow_half_open,
                writer,
                stop: Some(stop),
            },
        );
        id
    }

    /// The write half of socket `id`.
    pub(crate) fn writer(&self, id: u32) -> Result<Writer, JsError> {
        self.open
            .borrow()
            .get(&id)
            .map(|c| c.writer.clone())
            .ok_or_else(closed)
    }

    /// Closes socket `id` (both sides); `false` if it was not open.
    pub(crate) fn close(&self, id: u32) -> bool {
        self.open.borrow_mut().remove(&id).is_some()
    }

    /// Takes socket `id` apart for `startTls()`: its event, half-open
    /// setting, writer, and the pump's stop.
    pub(crate) fn take_for_tls(&self, id: u32) -> Result<(u64, bool, Writer, Stop), JsError> {
        let mut conn = self.open.borrow_mut().remove(&id).ok_or_else(closed)?;
        let stop = conn.stop.take().ok_or_else(closed)?;
        Ok((conn.event, conn.allow_half_open, conn.writer, stop))
    }

    /// Upgrades a socket taken apart by [`take_for_tls`](Self::take_for_tls)
    /// to TLS as `tls` says, and registers it as a new socket reading into
    /// `sink`: answers `[id, readable, peerCertificates]`.
    pub(crate) async fn start_tls(
        &self,
        (event, allow_half_open, writer, stop): (u64, bool, Writer, Stop),
        tls: TlsOptions,
        sink: BodySender,
        readable: u32,
    ) -> Result<HostValue, JsError> {
        let (give, given) = oneshot::channel();
        stop.send(give).map_err(|_| closed())?;
        let read = given.await.map_err(|_| closed())?;
        let write = writer.lock().await.take().ok_or_else(closed)?;
        let plain: Stream = read.unsplit(write);
        let (tls, peer) = tls_handshake(plain, &tls).await?;
        let id = self.add(event, Box::new(tls), sink, allow_half_open);
        Ok(HostValue::List(vec![
            f64::from(id).into(),
            f64::from(readable).into(),
            certificates(peer),
        ]))
    }

    /// Closes the sockets of events that are over.
    pub(crate) fn forget(&self, live: impl Fn(u64) -> bool) {
        self.open.borrow_mut().retain(|_, c| live(c.event));
    }
}

fn closed() -> JsError {
    JsError::new("Error", "the socket is closed")
}

/// Writes `bytes` to `writer`.
pub(crate) async fn write(writer: Writer, bytes: Vec<u8>) -> Result<HostValue, JsError> {
    let mut guard = writer.lock().await;
    let w = guard
        .as_mut()
        .ok_or_else(|| JsError::type_error("the socket's writable side is closed"))?;
    w.write_all(&bytes).await.map_err(broken)?;
    w.flush().await.map_err(broken)?;
    Ok(HostValue::Undefined)
}

/// Ends the writing side of `writer` (a FIN), keeping the reading side.
pub(crate) async fn shutdown(writer: Writer) -> Result<HostValue, JsError> {
    if let Some(mut w) = writer.lock().await.take() {
        w.shutdown().await.map_err(broken)?;
    }
    Ok(HostValue::Undefined)
}

fn broken(e: std::io::Error) -> JsError {
    JsError::new("Error", format!("the socket broke: {e}"))
}

/// Pumps what `read` receives into `sink` until the peer ends (then, unless
/// half-open connections are allowed, `shut` ends the writing side too),
/// the socket fails, or the pump is asked to stop (`startTls()`: it hands
/// its half back) or its socket is dropped.
async fn pump(
    mut read: ReadHalf<Stream>,
    sink: BodySender,
    mut stop: oneshot::Receiver<oneshot::Sender<ReadHalf<Stream>>>,
    shut: Option<Writer>,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        tokio::select! {
            asked = &mut stop => {
                if let Ok(give) = asked {
                    let _ = give.send(read);
                }
                sink.finish();
                return;
            }
            n = read.read(&mut buf) => match n {
                Ok(0) => {
                    sink.finish();
                    if let Some(writer) = shut {
                        let _ = shutdown(writer).await;
                    }
                    return;
                }
                Ok(n) => {
                    if sink.send(Bytes::copy_from_slice(&buf[..n])).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    sink.abort(BodyError::new(format!("the socket broke: {e}")));
                    return;
                }
            }
        }
    }
}

/// How a TLS connection checks its server.
pub(crate) struct TlsOptions {
    /// The name the certificate must be for: the host, or the name
    /// node:tls's `servername` gives.
    pub server_name: String,
    /// node:tls's `ca`: the certificates (PEM) trusted instead of the Web
    /// PKI roots.
    pub ca: Option<String>,
}

/// Opens a connection to `host:port` under `policy`, with TLS when `tls`
/// says how, or, when it is a Hyperdrive's database that wants TLS
/// (`database`), upgraded as the database's protocol says.
pub(crate) async fn connect(
    policy: &EgressPolicy,
    host: &str,
    port: u16,
    tls: Option<TlsOptions>,
    database: Option<database::DatabaseTls>,
) -> Result<Connected, JsError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let named = policy.names(bare, port);
    let found: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| JsError::new("Error", format!("connect(): cannot resolve '{host}': {e}")))?
        .collect();
    let allowed: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| named || policy.allows_ip(a.ip()))
        .collect();
    if allowed.is_empty() {
        return Err(JsError::new(
            "Error",
            format!(
                "connect(): '{host}' resolves only to addresses the server's egress policy does not allow {}",
                crate::fetch::egress::REFUSAL_HINT
            ),
        ));
    }
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&allowed[..]))
        .await
        .map_err(|_| JsError::new("Error", format!("connect(): '{host}:{port}' timed out")))?
        .map_err(|e| JsError::new("Error", format!("connect(): '{host}:{port}': {e}")))?;
    let _ = tcp.set_nodelay(true);
    let remote = tcp.peer_addr().map_err(broken)?;
    let local = tcp.local_addr().map_err(broken)?;
    let (stream, peer): (Stream, _) = match (tls, database) {
        (Some(tls), _) => {
            let (stream, peer) = tls_handshake(tcp, &tls).await?;
            (Box::new(stream), peer)
        }
        (None, Some(db)) => (database::upgrade(tcp, &db, host).await?, Vec::new()),
        (None, None) => (Box::new(tcp), Vec::new()),
    };
    Ok(Connected {
        stream,
        remote,
        local,
        peer,
    })
}

/// The TLS client settings: the Web PKI roots, ring.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// The TLS client settings trusting only the certificates of `pem`.
fn tls_config_trusting(pem: &str) -> Result<Arc<rustls::ClientConfig>, JsError> {
    let roots = verify::roots(Some(pem))?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("the ring provider supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The certificates `peer` (DER) as the ops answer them: a list of bytes.
fn certificates(peer: Vec<Vec<u8>>) -> HostValue {
    HostValue::List(peer.into_iter().map(HostValue::Bytes).collect())
}

/// Runs the TLS handshake over `io`: the stream, and the server's
/// certificates (DER, its own first).
async fn tls_handshake<S: AsyncRead + AsyncWrite + Unpin>(
    io: S,
    tls: &TlsOptions,
) -> Result<(tokio_rustls::client::TlsStream<S>, Vec<Vec<u8>>), JsError> {
    let host = tls
        .server_name
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| {
        JsError::type_error(format!("connect(): '{host}' is not a TLS server name: {e}"))
    })?;
    let config = match &tls.ca {
        Some(pem) => tls_config_trusting(pem)?,
        None => tls_config(),
    };
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, io)
        .await
        .map_err(|e| JsError::new("Error", format!("TLS handshake with '{host}' failed: {e}")))?;
    let peer = stream
        .get_ref()
        .1
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect();
    Ok((stream, peer))
}
