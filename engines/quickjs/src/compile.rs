//! Compiling source text to QuickJS bytecode, outside the isolates.
//!
//! An isolate's context has no eval intrinsic unless its config allows code
//! generation, so it cannot parse source text at all: QuickJS's `eval`,
//! `Function` constructors and script evaluation all go through that one
//! intrinsic. Worker code and the prelude are instead compiled here, on a
//! per-thread compiler runtime whose throwaway contexts do have it, written
//! out as bytecode, and read into the isolate, where the functions read
//! belong to the isolate's context. The bytecode keeps file names and line
//! numbers, so stacks name the Worker's files.

use std::cell::RefCell;
use std::ffi::CString;

use motu_engine::{EngineError, JsError};
use rquickjs::context::intrinsic::{Eval, RegExpCompiler};
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::{Declared, ModuleDef};
use rquickjs::{qjs, Context, Ctx, Module, Runtime};

use crate::errors::{describe, is_out_of_memory};

/// What a source text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A classic script; sloppy mode unless it says otherwise.
    Script,
    /// An ES module.
    Module,
}

/// How to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Options {
    /// Script or module.
    pub(crate) kind: Kind,
    /// Leave out each function's source text. Saves memory (QuickJS keeps
    /// one copy per function, nested ones included); `toString()` of such a
    /// function shows no body, as for a built-in.
    pub(crate) strip_source: bool,
    /// Leave out each function's debug information: its file name and the
    /// table from bytecode offsets to lines and columns. Saves reading and
    /// keeping that table in every isolate; the function's frames in stack
    /// traces then read `(native)`, as a built-in's do.
    pub(crate) strip_debug: bool,
}

thread_local! {
    /// This thread's compiler runtime, made on first use.
    static COMPILER: RefCell<Option<Runtime>> = const { RefCell::new(None) };
}

/// Compiles `source`, named `name` in stacks, to bytecode. A syntax error is
/// an exception; `memory_limit` bounds the compiler's heap.
pub(crate) fn compile(
    name: &str,
    source: &str,
    options: Options,
    memory_limit: Option<usize>,
) -> Result<Vec<u8>, EngineError> {
    let setup = |e: rquickjs::Error| EngineError::Setup(format!("QuickJS compiler: {e}"));
    let run = |runtime: &Runtime| {
        runtime.set_memory_limit(memory_limit.unwrap_or(0));
        // A fresh context each time: the modules a context compiled stay
        // with it until it is freed.
        let context = Context::custom::<(Eval, RegExpCompiler)>(runtime).map_err(setup)?;
        let result = context.with(|ctx| compile_in(&ctx, name, source, options));
        drop(context);
        runtime.run_gc();
        result
    };
    let used = COMPILER.try_with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(compiler_runtime().map_err(setup)?);
        }
        run(slot.as_ref().expect("just set"))
    });
    match used {
        Ok(result) => result,
        // The thread is exiting: use a runtime of our own.
        Err(_) => run(&compiler_runtime().map_err(setup)?),
    }
}

/// A compiler runtime. QuickJS loads the modules a module imports while it
/// compiles it; they only matter where the module runs, so here every import
/// is an empty stand-in, and the bytecode keeps the specifiers as written.
fn compiler_runtime() -> rquickjs::Result<Runtime> {
    let runtime = Runtime::new()?;
    runtime.set_loader(AsWritten, StandIns);
    Ok(runtime)
}

/// Keeps specifiers as written: each names its own stand-in.
struct AsWritten;

impl Resolver for AsWritten {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        _base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        Ok(name.to_owned())
    }
}

/// Gives every import an empty module.
struct StandIns;

/// An empty module.
struct StandIn;

impl ModuleDef for StandIn {}

impl Loader for StandIns {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        Module::declare_def::<StandIn, _>(ctx.clone(), name)
    }
}

fn compile_in(
    ctx: &Ctx<'_>,
    name: &str,
    source: &str,
    options: Options,
) -> Result<Vec<u8>, EngineError> {
    let c = ctx.as_raw().as_ptr();
    let file = CString::new(name.replace('\0', "\u{FFFD}")).expect("no NUL left");
    // QuickJS wants the text NUL-terminated.
    let mut text = Vec::with_capacity(source.len() + 1);
    text.extend_from_slice(source.as_bytes());
    text.push(0);
    let kind = match options.kind {
        Kind::Script => qjs::JS_EVAL_TYPE_GLOBAL,
        Kind::Module => qjs::JS_EVAL_TYPE_MODULE,
    };
    let flags = (kind | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32;
    // SAFETY: `text` is NUL-terminated and `source.len()` long before that;
    // the compiled value is owned here.
    let compiled = unsafe {
        // The runtime may have been made deeper in the stack than now.
        qjs::JS_UpdateStackTop(qjs::JS_GetRuntime(c));
        qjs::JS_Eval(
            c,
            text.as_ptr().cast(),
            source.len() as _,
            file.as_ptr(),
            flags,
        )
    };
    // SAFETY: reading a tag.
    if unsafe { qjs::JS_IsException(compiled) } {
        let error = describe(ctx, &ctx.catch());
        return Err(if is_out_of_memory(&error) {
            EngineError::OutOfMemory
        } else {
            EngineError::Exception(error)
        });
    }
    let mut flags = qjs::JS_WRITE_OBJ_BYTECODE;
    if options.strip_source {
        flags |= qjs::JS_WRITE_OBJ_STRIP_SOURCE;
    }
    if options.strip_debug {
        flags |= qjs::JS_WRITE_OBJ_STRIP_DEBUG;
    }
    let mut len = 0;
    // SAFETY: `compiled` is a live function or module of this context; the
    // buffer written is copied and freed; a compiled script is freed here,
    // a module stays with its context (QuickJS frees modules only so).
    let bytes = unsafe {
        let buf = qjs::JS_WriteObject(c, &mut len, compiled, flags as i32);
        if options.kind == Kind::Script {
            qjs::JS_FreeValue(c, compiled);
        }
        if buf.is_null() {
            let error = describe(ctx, &ctx.catch());
            return Err(if is_out_of_memory(&error) {
                EngineError::OutOfMemory
            } else {
                EngineError::Setup(format!("writing bytecode failed: {error}"))
            });
        }
        let bytes = std::slice::from_raw_parts(buf, len as _).to_vec();
        qjs::js_free(c, buf.cast());
        bytes
    };
    Ok(bytes)
}

/// Any compile error as a `JsError`, for throwing into JavaScript.
pub(crate) fn as_js_error(e: EngineError) -> JsError {
    match e {
        EngineError::Exception(e) => e,
        EngineError::OutOfMemory => JsError::new("InternalError", "out of memory"),
        other => JsError::new("Error", other.to_string()),
    }
}
