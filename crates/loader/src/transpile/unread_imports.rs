//! Under `verbatimModuleSyntax` the TypeScript transform keeps every import
//! that is not written `import type`, so a type imported as a value
//! (`import { WorkflowEntrypoint, WorkflowStep } from "cloudflare:workers"`,
//! where `WorkflowStep` is only a type) stays, and an ES module import of a
//! name the module does not export fails to link. The bundlers such
//! projects are built with (esbuild under wrangler, Rollup under Vite)
//! drop the bindings of an import that the module never reads when they
//! join the modules; motu loads modules without joining them, so it drops
//! them here: the import itself stays (the module still runs for its side
//! effects), without the bindings nothing reads.

use oxc::ast::ast::{Program, Statement};
use oxc::semantic::Scoping;

/// Removes the import bindings of `program` that have no reference in
/// `scoping` (made for `program` as it is now).
pub(crate) fn drop_unread_imports(program: &mut Program, scoping: &Scoping) {
    for statement in program.body.iter_mut() {
        let Statement::ImportDeclaration(import) = statement else {
            continue;
        };
        let Some(specifiers) = &mut import.specifiers else {
            continue;
        };
        if specifiers.is_empty() {
            continue;
        }
        specifiers.retain(|s| !scoping.symbol_is_unused(s.local().symbol_id()));
        if specifiers.is_empty() {
            import.specifiers = None;
        }
    }
}
