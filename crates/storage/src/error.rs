//! The storage crate's errors.

use std::path::PathBuf;

/// What can go wrong with the state folder or a store in it. Each message is
/// one line that names the file or folder involved.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The state folder could not be created, opened or locked.
    #[error("state folder {}: {message}", path.display())]
    StateFolder {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Another process holds the state folder.
    #[error(
        "state folder {} is in use by another motu process{}: two processes on one \
         state folder would corrupt it (stop the other one, or give this one its own \
         folder with --persist-to)",
        path.display(),
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    Locked {
        /// The folder.
        path: PathBuf,
        /// The process id the lock file names, if it names one.
        holder: Option<u32>,
    },
    /// A file that should be a SQLite database is not one.
    #[error("{} is not a SQLite database ({message}); move it away or point the state folder elsewhere", path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// SQLite's message.
        message: String,
    },
    /// A database could not be opened or prepared.
    #[error("cannot open database {}: {message}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A statement failed (SQLite's message).
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
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
    /// An R2 call failed the way R2 fails it: R2's error code (`10020`,
    /// …) and message (see `r2::failure`).
    #[error("{message} ({code})")]
    R2 {
        /// R2's numeric error code.
        code: u32,
        /// R2's message for it.
        message: String,
    },
    /// Redis did not answer, or refused a command: the URL (without its
    /// password) and what went wrong.
    #[error("Redis at {url}: {message}")]
    Redis {
        /// The URL, its password shown as `***`.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A store's name (a namespace id, a database id, a bucket name) cannot
    /// be used as a file name.
    #[error("'{0}' cannot name a store: use letters, digits, '-', '_' and '.' (up to 200, not starting with '.')")]
    BadName(String),
}

impl StorageError {
    /// Whether the disk (or the file system's quota) is full: the write was
    /// refused and nothing earlier was lost.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StorageError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            StorageError::Io { source, .. } => {
                source.raw_os_error() == Some(libc::ENOSPC)
                    || source.raw_os_error() == Some(libc::EDQUOT)
            }
            _ => false,
        }
    }
}
