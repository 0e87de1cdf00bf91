//! The gateway's errors.

/// What can stop the gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Accepting connections failed.
    #[error("accepting connections failed: {0}")]
    Accept(#[from] std::io::Error),
}
