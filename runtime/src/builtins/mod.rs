//! The built-in modules (`cloudflare:*`, `node:*`) the runtime gives a
//! Worker's loader ([`BuiltinModules`]): each family registers its own in a
//! file of its own, and [`builtin_modules`] collects them for a Worker's
//! compatibility flags.

mod cloudflare;

use motu_loader::BuiltinModules;

/// The built-in modules a Worker with `compatibility_flags` can import.
pub fn builtin_modules(compatibility_flags: &[String]) -> BuiltinModules {
    let _ = compatibility_flags;
    cloudflare::register(BuiltinModules::new())
}
