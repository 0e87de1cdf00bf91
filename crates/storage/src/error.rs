//! The crate's error type.

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A file or folder could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path.
        context: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// SQLite refused a statement or could not open a database.
    #[error("{context}: {source}")]
    Sqlite {
        /// What was being done, naming the database.
        context: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// An R2 call failed the way R2 fails it: R2's error code (`10020`,
    /// …) and message (see `r2::failure`).
    #[error("{message} ({code})")]
    R2 {
        /// R2's numeric error code.
        code: u32,
        /// R2's message for it.
        message: String,
    },
}

impl StorageError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// A SQLite error with what was being done.
    pub fn sqlite(context: impl Into<String>, source: rusqlite::Error) -> Self {
        Self::Sqlite {
            context: context.into(),
            source,
        }
    }
}
