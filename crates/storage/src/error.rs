//! The crate's error type.

/// What a storage call can fail with. Binding errors carry the message
/// Cloudflare's platform gives for the same failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A D1 query failed: SQLite's message, as D1 words it.
    #[error("D1_ERROR: {0}")]
    D1(String),
    /// A line of a D1 `exec()` failed.
    #[error("D1_EXEC_ERROR: Error in line {line}: {text}: {message}")]
    D1Exec {
        /// The line, from 1.
        line: usize,
        /// Its text.
        text: String,
        /// SQLite's message, as D1 words it.
        message: String,
    },
    /// A D1 database file cannot be opened (not SQLite, unreadable).
    #[error("D1 database {}: {message}", path.display())]
    D1Open {
        /// The database file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A file or folder of the store cannot be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}
