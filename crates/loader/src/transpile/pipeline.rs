//! The oxc pipeline: parse, check, transform (TypeScript, JSX, legacy
//! decorators), replace `define`d globals, print with a source map.
//!
//! Nothing is lowered to an older ECMAScript: both engines run modern
//! JavaScript, so the output keeps the author's syntax minus the types.

use std::path::{Path, PathBuf};

use oxc::allocator::Allocator;
use oxc::ast::ast::{Decorator, Program};
use oxc::ast_visit::Visit;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::diagnostics::OxcDiagnostic;
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::{SourceType, Span};
use oxc::transformer::{
    DecoratorOptions, HelperLoaderMode, JsxRuntime, TransformOptions, Transformer,
};
use oxc::transformer_plugins::{ReplaceGlobalDefines, ReplaceGlobalDefinesConfig};

use super::config::{Jsx, TranspileOptions};
use super::helpers::DECORATOR_HELPERS;
use super::positions::Positions;
use super::standard_decorators::{self, DECORATE_HELPER};
use crate::LoaderError;

/// A module as JavaScript, with the way back to its author's places.
#[derive(Debug)]
pub(crate) struct Output {
    /// The JavaScript.
    pub code: String,
    /// Its mappings to the module's text.
    pub positions: Positions,
}

/// Turns the module `name`, whose text is `source`, into JavaScript.
/// `transform`: whether TypeScript/JSX transforms run (a JavaScript module
/// only has its `define`s replaced).
pub(crate) fn run(
    name: &str,
    source: &str,
    transform: bool,
    options: &TranspileOptions,
    defines: &ReplaceGlobalDefinesConfig,
) -> Result<Output, LoaderError> {
    let allocator = Allocator::default();
    let source_type = SourceType::from_path(name).unwrap_or_else(|_| SourceType::unambiguous());
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if let Some(d) = parsed.diagnostics.errors().next() {
        return Err(diagnostic_error(name, source, d));
    }
    if parsed.panicked {
        return Err(error_at(name, source, 0, "the module cannot be parsed"));
    }
    let mut program = parsed.program;
    // TC39 standard decorators: the module's text rewritten so that they
    // are applied by a call (see `standard_decorators`), then parsed again;
    // every place but the inserted calls stays where it was.
    let mut lowered = false;
    if transform
        && !options.legacy_decorators
        && source.contains('@')
        && first_decorator(&program).is_some()
    {
        match standard_decorators::lower(&program, source) {
            Err(u) => return Err(error_at(name, source, u.offset, u.message)),
            Ok(None) => {}
            Ok(Some(rewritten)) => {
                let rewritten = allocator.alloc_str(&rewritten);
                let parsed = Parser::new(&allocator, rewritten, source_type).parse();
                if let Some(d) = parsed.diagnostics.errors().next() {
                    return Err(diagnostic_error(name, rewritten, d));
                }
                program = parsed.program;
                lowered = true;
            }
        }
    }

    let semantic = SemanticBuilder::new()
        .with_excess_capacity(if transform { 2.0 } else { 0.0 })
        .with_enum_eval(transform)
        .with_check_syntax_error(true)
        .build(&program);
    if let Some(d) = semantic.diagnostics.errors().next() {
        return Err(diagnostic_error(name, source, d));
    }
    let stats = semantic.semantic.stats();
    let mut scoping = semantic.semantic.into_scoping();

    let mut uses_helpers = false;
    if transform {
        let transformed =
            Transformer::new(&allocator, Path::new(name), &transform_options(options))
                .build_with_scoping(scoping, &mut program);
        if let Some(d) = transformed.diagnostics.errors().next() {
            return Err(diagnostic_error(name, source, d));
        }
        #[expect(
            deprecated,
            reason = "the only way to know which helpers the output calls"
        )]
        {
            uses_helpers = !transformed.helpers_used.is_empty();
        }
        // The transformer leaves scoping out of step with the tree; the
        // define pass needs it in step.
        scoping = SemanticBuilder::new()
            .with_stats(stats)
            .with_enum_eval(true)
            .build(&program)
            .semantic
            .into_scoping();
        if options.only_remove_type_imports {
            super::unread_imports::drop_unread_imports(&mut program, &scoping);
        }
    }
    let _ = ReplaceGlobalDefines::new(&allocator, defines.clone()).build(scoping, &mut program);

    let printed = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(PathBuf::from(name)),
            ..CodegenOptions::default()
        })
        .build(&program);
    let mut positions = printed
        .map
        .as_ref()
        .map(Positions::from_source_map)
        .unwrap_or_default();
    // The helpers on the first line, so that no line moves.
    let mut prefix = String::new();
    if lowered {
        prefix.push_str(DECORATE_HELPER);
    }
    if uses_helpers {
        prefix.push_str(DECORATOR_HELPERS);
    }
    let code = if prefix.is_empty() {
        printed.code
    } else {
        positions.shift_first_line(prefix.len() as u32);
        format!("{prefix}{}", printed.code)
    };
    Ok(Output { code, positions })
}

/// The transformer's options for `options`.
fn transform_options(options: &TranspileOptions) -> TransformOptions {
    let mut t = TransformOptions::default();
    // `using` and `await using` declarations become try/finally blocks
    // (V8 as Debian ships it cannot parse them).
    t.env.es2026.explicit_resource_management = true;
    // Helpers are called as `babelHelpers.name(...)`, defined by the
    // output's first line (see `helpers.rs`): the module needs no import.
    t.helper_loader.mode = HelperLoaderMode::External;
    t.typescript.only_remove_type_imports = options.only_remove_type_imports;
    t.typescript.remove_class_fields_without_initializer = !options.define_class_fields;
    t.decorator = DecoratorOptions {
        legacy: options.legacy_decorators,
        emit_decorator_metadata: options.legacy_decorators && options.decorator_metadata,
        strict_null_checks: options.strict_null_checks,
    };
    match &options.jsx {
        Jsx::Classic { factory, fragment } => {
            t.jsx.runtime = JsxRuntime::Classic;
            t.jsx.pragma = Some(factory.clone());
            t.jsx.pragma_frag = Some(fragment.clone());
            t.typescript.jsx_pragma = factory.clone().into();
            t.typescript.jsx_pragma_frag = fragment.clone().into();
        }
        Jsx::Automatic {
            import_source,
            development,
        } => {
            t.jsx.runtime = JsxRuntime::Automatic;
            t.jsx.import_source = Some(import_source.clone());
            t.jsx.development = *development;
            t.jsx.conform();
        }
    }
    t
}

/// The span of the first decorator of `program`, if it has one.
fn first_decorator(program: &Program<'_>) -> Option<Span> {
    #[derive(Default)]
    struct Finder(Option<Span>);
    impl<'a> Visit<'a> for Finder {
        fn visit_decorator(&mut self, it: &Decorator<'a>) {
            self.0.get_or_insert(it.span);
        }
    }
    let mut finder = Finder::default();
    finder.visit_program(program);
    finder.0
}

/// An error at the place of `d`'s first label, with its message and help.
fn diagnostic_error(name: &str, source: &str, d: &OxcDiagnostic) -> LoaderError {
    let offset = d
        .labels
        .iter()
        .find(|l| l.primary())
        .or_else(|| d.labels.first())
        .map_or(0, |l| l.offset());
    let mut message = d.message.to_string();
    if let Some(help) = &d.help {
        message.push_str(" (");
        message.push_str(help);
        message.push(')');
    }
    error_at(name, source, offset, &message)
}

/// An error at byte `offset` of `source`, with 1-based line and column
/// (in characters).
fn error_at(name: &str, source: &str, offset: u32, message: &str) -> LoaderError {
    let offset = (offset as usize).min(source.len());
    let offset = (0..=offset)
        .rev()
        .find(|&i| source.is_char_boundary(i))
        .unwrap_or(0);
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    LoaderError::Transform {
        module: name.to_owned(),
        line: before.matches('\n').count() as u32 + 1,
        column: before[line_start..].chars().count() as u32 + 1,
        // One line: the error is a start-up log line.
        message: message.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}
