//! MySQL's TLS upgrade, spoken by the host for a Hyperdrive's database (see
//! [`super::database`]).
//!
//! # Concepts
//!
//! - **Packets**: every MySQL message is a packet, a 3-byte little-endian
//!   length, a 1-byte sequence number and the payload. The numbers count
//!   the packets of one exchange, starting from 0.
//! - **The upgrade**: the server speaks first (its greeting, sequence 0,
//!   whose capability flags say whether it offers TLS, `CLIENT_SSL`). A
//!   client that wants TLS answers with a short SSL request (sequence 1),
//!   runs the TLS handshake, and sends its real handshake response through
//!   it (sequence 2).
//! - **The relay**: the Worker's driver never sees the SSL request. The
//!   host hands the driver the greeting through an in-memory pipe, takes
//!   its handshake response, sends the server the SSL request made of that
//!   response's first 32 bytes (its capability flags, marked `CLIENT_SSL`,
//!   its largest packet and character set: the server reads the rest of
//!   the response by the flags of the request, so they must be the
//!   driver's), runs the TLS handshake, and sends the response through it.
//!   Until the server ends authentication (an OK or an error packet), the
//!   numbers of the driver's packets are raised by one and those of the
//!   server's lowered by one, so each side sees the sequence it expects.
//!   After that each command starts from 0 again and bytes pass unchanged.
//! - **Failures**: a server that does not offer TLS fails the Worker's
//!   `connect()` (with `prefer`, the connection goes on plain); a failed
//!   handshake, which comes after `connect()` has settled, reaches the
//!   driver as an error packet (`CR_SSL_CONNECTION_ERROR`) with its reason.

use std::cell::Cell;

use motu_config::TlsMode;
use motu_engine::JsError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{broken, Stream};

/// The capability flag of a server that offers TLS and of a client that
/// speaks it.
const CLIENT_SSL: u32 = 0x0800;
/// The fixed start of a 4.1 handshake response (flags, largest packet,
/// character set, filler): the whole of an SSL request.
const SSL_REQUEST_BYTES: usize = 32;
/// The client error of a failed TLS connection.
const CR_SSL_CONNECTION_ERROR: u16 = 2026;
/// The in-memory pipe between the Worker's socket and the relay.
const PIPE_BYTES: usize = 64 * 1024;

/// A packet: its 4-byte header and its payload.
struct Packet {
    header: [u8; 4],
    payload: Vec<u8>,
}

impl Packet {
    async fn read<R: AsyncRead + Unpin>(from: &mut R) -> std::io::Result<Option<Packet>> {
        let mut header = [0u8; 4];
        match from.read_exact(&mut header).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        let mut payload = vec![0u8; len];
        from.read_exact(&mut payload).await?;
        Ok(Some(Packet { header, payload }))
    }

    async fn write<W: AsyncWrite + Unpin>(&self, to: &mut W) -> std::io::Result<()> {
        to.write_all(&self.header).await?;
        to.write_all(&self.payload).await?;
        to.flush().await
    }
}

/// Whether the greeting `payload` (protocol 10) offers TLS.
fn offers_tls(payload: &[u8]) -> bool {
    // Protocol version, server version (NUL-terminated), connection id (4),
    // the first 8 bytes of the scramble and a filler byte, then the lower
    // two bytes of the capability flags.
    let Some(end) = payload.iter().skip(1).position(|&b| b == 0) else {
        return false;
    };
    let flags = 1 + end + 1 + 4 + 8 + 1;
    payload
        .get(flags..flags + 2)
        .is_some_and(|f| u32::from(u16::from_le_bytes([f[0], f[1]])) & CLIENT_SSL != 0)
}

/// The SSL request made of `response`, the driver's handshake response:
/// its fixed start, marked `CLIENT_SSL`, with its sequence number. `None`
/// for a response too short to be a 4.1 one.
fn ssl_request(response: &Packet) -> Option<Packet> {
    let mut payload = response.payload.get(..SSL_REQUEST_BYTES)?.to_vec();
    payload[1] |= (CLIENT_SSL >> 8) as u8;
    Some(Packet {
        header: [SSL_REQUEST_BYTES as u8, 0, 0, response.header[3]],
        payload,
    })
}

/// An error packet of sequence `seq` saying `message`.
fn error_packet(seq: u8, message: &str) -> Packet {
    let mut payload = vec![0xff];
    payload.extend_from_slice(&CR_SSL_CONNECTION_ERROR.to_le_bytes());
    payload.extend_from_slice(b"#HY000");
    payload.extend_from_slice(message.as_bytes());
    let len = (payload.len() as u32).to_le_bytes();
    Packet {
        header: [len[0], len[1], len[2], seq],
        payload,
    }
}

/// Reads the greeting of the server at `tcp` and answers the Worker's end
/// of the relay, which upgrades to TLS with `tls` once the driver has
/// answered. A server that does not offer TLS is refused, except with
/// `prefer`: the connection then goes on plain.
pub(crate) async fn upgrade<F, Fut>(
    mut tcp: TcpStream,
    mode: TlsMode,
    tls: F,
) -> Result<Stream, JsError>
where
    F: FnOnce(TcpStream) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<tokio_rustls::client::TlsStream<TcpStream>, JsError>>
        + 'static,
{
    let greeting = Packet::read(&mut tcp)
        .await
        .map_err(broken)?
        .ok_or_else(|| JsError::new("Error", "Hyperdrive: the database closed the connection"))?;
    let (worker, relay_end) = tokio::io::duplex(PIPE_BYTES);
    // An error instead of a greeting (too many connections…) is the
    // driver's to report.
    let error = greeting.payload.first() == Some(&0xff);
    if error || !offers_tls(&greeting.payload) {
        if !error && mode != TlsMode::Prefer {
            return Err(super::database::refused());
        }
        actix_rt::spawn(plain(greeting, tcp, relay_end));
    } else {
        actix_rt::spawn(secure(greeting, tcp, tls, relay_end));
    }
    Ok(Box::new(worker))
}

/// Hands the Worker `greeting`, then relays bytes unchanged.
async fn plain(greeting: Packet, mut server: TcpStream, mut worker: tokio::io::DuplexStream) {
    if greeting.write(&mut worker).await.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut server, &mut worker).await;
    }
}

/// Hands the Worker `greeting`, upgrades to TLS with the driver's flags
/// once it answers, and relays.
async fn secure<F, Fut>(
    greeting: Packet,
    mut tcp: TcpStream,
    tls: F,
    mut worker: tokio::io::DuplexStream,
) where
    F: FnOnce(TcpStream) -> Fut,
    Fut: std::future::Future<Output = Result<tokio_rustls::client::TlsStream<TcpStream>, JsError>>,
{
    if greeting.write(&mut worker).await.is_err() {
        return;
    }
    let Ok(Some(mut response)) = Packet::read(&mut worker).await else {
        return;
    };
    let Some(request) = ssl_request(&response) else {
        let seq = response.header[3].wrapping_add(1);
        let message = "Hyperdrive: the driver's handshake response is not MySQL 4.1's";
        let _ = error_packet(seq, message).write(&mut worker).await;
        return;
    };
    if request.write(&mut tcp).await.is_err() {
        return;
    }
    let mut server = match tls(tcp).await {
        Ok(server) => server,
        Err(e) => {
            let seq = response.header[3].wrapping_add(1);
            let _ = error_packet(seq, &e.message).write(&mut worker).await;
            return;
        }
    };
    response.header[3] = response.header[3].wrapping_add(1);
    response.payload[1] |= (CLIENT_SSL >> 8) as u8;
    if response.write(&mut server).await.is_ok() {
        relay(server, worker).await;
    }
}

/// Relays between the server and the Worker, renumbering packets until the
/// server ends authentication.
async fn relay<S: AsyncRead + AsyncWrite>(server: S, worker: tokio::io::DuplexStream) {
    let authenticated = Cell::new(false);
    let (mut from_server, mut to_server) = tokio::io::split(server);
    let (mut from_worker, mut to_worker) = tokio::io::split(worker);
    let up = async {
        while let Ok(Some(mut packet)) = Packet::read(&mut from_worker).await {
            if !authenticated.get() {
                packet.header[3] = packet.header[3].wrapping_add(1);
            }
            if packet.write(&mut to_server).await.is_err() {
                return;
            }
            if authenticated.get() {
                let _ = tokio::io::copy(&mut from_worker, &mut to_server).await;
                break;
            }
        }
        let _ = to_server.shutdown().await;
    };
    let down = async {
        while let Ok(Some(mut packet)) = Packet::read(&mut from_server).await {
            if !authenticated.get() {
                packet.header[3] = packet.header[3].wrapping_sub(1);
                if matches!(packet.payload.first(), Some(0x00 | 0xff)) {
                    authenticated.set(true);
                }
            }
            if packet.write(&mut to_worker).await.is_err() {
                return;
            }
            if authenticated.get() {
                let _ = tokio::io::copy(&mut from_server, &mut to_worker).await;
                break;
            }
        }
        let _ = to_worker.shutdown().await;
    };
    tokio::join!(up, down);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A greeting of MariaDB's shape with capability flags `flags`.
    fn greeting(flags: u16) -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(b"10.11.0-MariaDB\0");
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(b"12345678\0");
        p.extend_from_slice(&flags.to_le_bytes());
        p.extend_from_slice(&[45, 2, 0]);
        p
    }

    #[test]
    fn the_greeting_tells_whether_tls_is_offered() {
        assert!(offers_tls(&greeting(0xfffe)));
        assert!(!offers_tls(&greeting(0xfffe & !0x0800)));
        assert!(!offers_tls(&[10, b'x']));
    }

    #[test]
    fn the_ssl_request_is_the_drivers_response_cut_and_marked() {
        let mut payload = vec![0x0f, 0xa2, 0x0a, 0x00, 0, 0, 0, 1, 45];
        payload.extend_from_slice(&[0u8; 23]);
        payload.extend_from_slice(b"user\0");
        let response = Packet {
            header: [payload.len() as u8, 0, 0, 1],
            payload,
        };
        let r = ssl_request(&response).unwrap();
        assert_eq!(r.header, [32, 0, 0, 1]);
        assert_eq!(r.payload.len(), 32);
        let flags = u32::from_le_bytes([r.payload[0], r.payload[1], r.payload[2], r.payload[3]]);
        assert_eq!(flags, 0x000a_aa0f);
        assert!(ssl_request(&Packet {
            header: [3, 0, 0, 1],
            payload: vec![1, 2, 3]
        })
        .is_none());
        let e = error_packet(2, "no");
        assert_eq!(e.header, [11, 0, 0, 2]);
        assert_eq!(&e.payload[..3], &[0xff, 0xea, 0x07]);
    }
}
