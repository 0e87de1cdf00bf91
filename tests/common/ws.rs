//! The client's side of a test's WebSocket: the socket type, and the next
//! message waited for (never for a fixed time) with the patience a busy
//! machine needs.

use std::time::Duration;

use futures::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A test's client socket.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A single-threaded runtime for a test's clients.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Long enough for a busy machine; tests wait for events, not for time.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The next data or close message (pings are answered by the client).
pub async fn next(ws: &mut Socket) -> Message {
    loop {
        let message = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a valid message");
        if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
            return message;
        }
    }
}
