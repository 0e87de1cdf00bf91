//! The loader's errors.

use std::path::PathBuf;

/// Why a project, or one of its modules, cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoaderError {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The entry file is not inside the project's root.
    #[error("the entry '{}' is not inside the project folder '{}'", entry.display(), root.display())]
    OutsideRoot {
        /// The entry file.
        entry: PathBuf,
        /// The project's root.
        root: PathBuf,
    },
    /// A module could not be turned into JavaScript.
    #[error("{module}:{line}:{column}: {message}")]
    Transform {
        /// The module's name.
        module: String,
        /// 1-based line of the problem.
        line: u32,
        /// 1-based column of the problem.
        column: u32,
        /// What is wrong, and what to do.
        message: String,
    },
    /// A file that configures loading (`tsconfig.json`) is unusable, or a
    /// loading option is.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file (or the option's name).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A module's kind is not supported by this loader.
    #[error("{module}: {message}")]
    Unsupported {
        /// The module's name.
        module: String,
        /// What is not supported, and what to do.
        message: String,
    },
    /// An import cannot be followed: a missing package or file, a built-in
    /// module motu does not provide, a file outside the project folder.
    #[error("{module}:{line}: import '{specifier}': {message}")]
    Import {
        /// The importing module's name.
        module: String,
        /// 1-based line of the import in the importing module.
        line: u32,
        /// The specifier, as written.
        specifier: String,
        /// What is wrong, and what to do.
        message: String,
    },
    /// A module rule's glob is not a valid pattern.
    #[error("module rule glob '{glob}' is invalid: {message}")]
    Rule {
        /// The glob.
        glob: String,
        /// What is wrong with it.
        message: String,
    },
}
