//! SIGTERM and SIGINT, as a stream of shutdown requests.

use tokio::signal::unix::{signal, Signal, SignalKind};

/// The two signals that ask the server to stop. Once created, they no
/// longer kill the process: the server decides what they do.
pub struct ShutdownSignals {
    terminate: Signal,
    interrupt: Signal,
}

/// One signal received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// SIGTERM.
    Terminate,
    /// SIGINT (Ctrl-C).
    Interrupt,
}

impl Received {
    /// The signal's name.
    pub fn name(self) -> &'static str {
        match self {
            Received::Terminate => "SIGTERM",
            Received::Interrupt => "SIGINT",
        }
    }

    /// The exit status of a process stopped at once by this signal: 128
    /// plus its number, as shells report it.
    pub fn exit_code(self) -> i32 {
        match self {
            Received::Terminate => 128 + 15,
            Received::Interrupt => 128 + 2,
        }
    }
}

impl ShutdownSignals {
    /// Starts listening for both signals. Must run inside a Tokio runtime.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the next signal.
    pub async fn recv(&mut self) -> Received {
        tokio::select! {
            _ = self.terminate.recv() => Received::Terminate,
            _ = self.interrupt.recv() => Received::Interrupt,
        }
    }
}
