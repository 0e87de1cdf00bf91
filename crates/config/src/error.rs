//! Configuration errors.

use std::path::PathBuf;

/// A configuration that cannot be used. The message is one line that names
/// the file and, where there is one, the field.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    /// The file is missing, unreadable or not valid TOML / not of the
    /// expected shape.
    #[error("{}: {message}", file.display())]
    Load {
        /// The config file.
        file: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A field has a value that cannot be used.
    #[error("{}: {field}: {message}", file.display())]
    Invalid {
        /// The config file (or the Worker file, without a config file).
        file: PathBuf,
        /// The field, as a path: `workers[1].routes[0]`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}
