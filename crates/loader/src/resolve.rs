//! Import specifiers to module names.
//!
//! Relative specifiers (`./x.js`, `../x.js`) and root-relative ones (`/x.js`)
//! resolve against the importing module's folder; none may leave the root.

/// The module name that `specifier`, imported by the module `referrer`,
/// refers to.
pub fn resolve(referrer: &str, specifier: &str) -> Result<String, String> {
    motu_engine::resolve_specifier(referrer, specifier)
}
