//! The gateway's errors.

/// What can stop the gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Accepting connections failed.
    #[error("accepting connections failed: {0}")]
    Accept(#[from] std::io::Error),
    /// A Worker's assets folder could not be read (missing, unreadable, or
    /// over a limit).
    #[error("assets folder '{}': {message}", directory.display())]
    Assets {
        /// The folder.
        directory: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
}
