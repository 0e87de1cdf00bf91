//! The `__motu_load(index)` function: evaluates a prelude chunk on demand
//! (see `motu_engine::contract::OP_LOAD`).
//!
//! A chunk's bytecode comes from the engine's bytecode cache, so it is
//! compiled once per process like the prelude; every call reads it into the
//! context again and returns the script's completion value.
//!
//! Chunks compile as the prelude does, without debug information, so their
//! frames in stack traces read `(native)`; an error thrown while a chunk is
//! evaluated gets the chunk's name at the end of its stack instead.

use std::rc::Rc;
use std::sync::Arc;

use motu_engine::{contract, EngineError, JsError, PreludeChunk};
use rquickjs::{qjs, Ctx, Function, Value};

use crate::cache::BytecodeCache;
use crate::errors::{throw, throw_out_of_memory};
use crate::exec::run_script;
use crate::isolate::PRELUDE;

/// What the load function needs.
pub(crate) struct Chunks {
    pub(crate) chunks: Arc<[PreludeChunk]>,
    pub(crate) cache: Arc<BytecodeCache>,
    pub(crate) memory_limit: Option<usize>,
}

/// The chunk index `value` names, if it is an integer in range.
fn index_of(value: &Value<'_>, len: usize) -> Option<usize> {
    let n = value.as_int().map(f64::from).or_else(|| value.as_float())?;
    (n >= 0.0 && n.fract() == 0.0 && n < len as f64).then_some(n as usize)
}

fn load<'js>(chunks: &Chunks, ctx: Ctx<'js>, index: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let Some(chunk) = index_of(&index, chunks.chunks.len()).map(|i| &chunks.chunks[i]) else {
        return Err(throw(
            &ctx,
            &JsError::range_error("no prelude chunk has this index"),
        ));
    };
    let bytecode = chunks
        .cache
        .get(&chunk.name, &chunk.source, PRELUDE, chunks.memory_limit)
        .map_err(|e| match e {
            EngineError::Exception(e) => throw(&ctx, &e),
            EngineError::OutOfMemory => throw_out_of_memory(&ctx),
            other => throw(&ctx, &JsError::new("Error", other.to_string())),
        })?;
    run_script(&ctx, &bytecode).map_err(|e| name_chunk(&ctx, e, &chunk.name))
}

/// Rethrows the exception `error` stands for with `name` at the end of its
/// stack, when it is an error object that JavaScript may catch and whose
/// stack is a string without that name; anything else is rethrown as it is.
fn name_chunk(ctx: &Ctx<'_>, error: rquickjs::Error, name: &str) -> rquickjs::Error {
    if !error.is_exception() {
        return error;
    }
    let thrown = ctx.catch();
    // SAFETY: reading a flag of a live value.
    let uncatchable = unsafe { qjs::JS_IsUncatchableError(thrown.as_raw()) };
    if let (false, Some(object)) = (uncatchable, thrown.as_object()) {
        match object.get::<_, Value>("stack") {
            Ok(stack) => {
                if let Some(mut stack) = stack.as_string().and_then(|s| s.to_string().ok()) {
                    if !stack.contains(name) {
                        if !stack.is_empty() && !stack.ends_with('\n') {
                            stack.push('\n');
                        }
                        stack.push_str("    at ");
                        stack.push_str(name);
                        stack.push('\n');
                        if object.set("stack", stack).is_err() {
                            // Out of memory or a frozen error: keep it as is.
                            ctx.catch();
                        }
                    }
                }
            }
            // A throwing getter: the error goes on unnamed.
            Err(_) => {
                ctx.catch();
            }
        }
    }
    ctx.throw(thrown)
}

/// Installs the load function as a global.
pub(crate) fn install_load<'js>(ctx: &Ctx<'js>, chunks: Rc<Chunks>) -> rquickjs::Result<()> {
    let f = Function::new(ctx.clone(), move |ctx: Ctx<'js>, index: Value<'js>| {
        load(&chunks, ctx, index)
    })?;
    ctx.globals().set(contract::OP_LOAD, f)
}
