//! An outbound connection moved to the thread that runs its socket.
//!
//! The HTTP client of each executor thread makes its connections on that
//! thread's event loop: their readiness comes from its I/O driver, which
//! turns only between the thread's tasks (not while an isolate runs
//! JavaScript there). A socket the Worker hands on to its client is joined
//! on the client connection's thread instead (`super::join`), and must not
//! depend on the executor thread any more: a plain TCP connection is taken
//! out of the client's upgrade and registered with the current thread's
//! driver. A TLS connection (its state is the TLS crate's) stays as it
//! is.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::Outbound;

/// The TCP connection under an upgraded outbound connection, as hyper got
/// it from the client's connector.
type Connection = hyper_rustls::MaybeHttpsStream<hyper_util::rt::TokioIo<TcpStream>>;

/// A connection of any kind.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An outbound connection out of its upgrade.
pub(crate) struct Rehomed {
    /// The connection: on this thread's event loop when plain TCP.
    pub(crate) io: Box<dyn Io>,
    /// Bytes read from it past the handshake (the start of the first
    /// frames), to read first.
    pub(crate) prefix: Vec<u8>,
}

/// `connection` out of its upgrade, moved to the current thread's event
/// loop when it is plain TCP (must be called within a Tokio runtime);
/// `None` if moving it failed (the connection is then gone).
pub(crate) fn rehome(connection: Outbound) -> Option<Rehomed> {
    let parts = match connection.into_inner().downcast::<Connection>() {
        Ok(parts) => parts,
        Err(upgraded) => {
            return Some(Rehomed {
                io: Box::new(hyper_util::rt::TokioIo::new(upgraded)),
                prefix: Vec::new(),
            })
        }
    };
    let prefix = parts.read_buf.to_vec();
    let tcp = match parts.io {
        hyper_rustls::MaybeHttpsStream::Http(tcp) => tcp.into_inner(),
        hyper_rustls::MaybeHttpsStream::Https(tls) => {
            return Some(Rehomed {
                io: Box::new(tls.into_inner()),
                prefix,
            })
        }
    };
    match tcp.into_std().and_then(TcpStream::from_std) {
        Ok(tcp) => Some(Rehomed {
            io: Box::new(tcp),
            prefix,
        }),
        Err(e) => {
            tracing::debug!("an outbound WebSocket connection could not move: {e}");
            None
        }
    }
}
