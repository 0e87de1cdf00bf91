//! TypeScript and JSX to JavaScript.

use crate::{LoaderError, ModuleKind};

/// A module turned into JavaScript.
#[derive(Debug, Clone)]
pub struct Transpiled {
    /// The JavaScript.
    pub code: String,
}

/// Turns the module `name` of kind `kind`, whose text is `source`, into
/// JavaScript.
pub fn transpile(name: &str, kind: ModuleKind, source: &str) -> Result<Transpiled, LoaderError> {
    if kind.needs_transpiling() {
        return Err(LoaderError::Unsupported {
            module: name.to_owned(),
            message: "TypeScript and JSX modules are not supported yet".into(),
        });
    }
    Ok(Transpiled {
        code: source.to_owned(),
    })
}
