//! The async context functions (see `motu_engine::contract`):
//! `__motu_async_context_get()` and `__motu_async_context_set(value)`.
//!
//! QuickJS itself carries the value along its jobs: motu's patch of the
//! vendored QuickJS (`vendor/rquickjs-sys/MOTU.md`) gives each context an
//! async context slot, makes every job capture the slot's value when it is
//! enqueued (a promise reaction: when its handler was registered) and puts
//! it back in the slot while the job runs. These functions only read and
//! write the slot.

use motu_engine::contract;
use rquickjs::function::Opt;
use rquickjs::{qjs, Ctx, Function, Value};

// Added to QuickJS by motu's patch (declared in `quickjs/quickjs.h`; the
// published bindings predate them).
extern "C" {
    fn JS_GetAsyncContext(ctx: *mut qjs::JSContext) -> qjs::JSValue;
    fn JS_SetAsyncContext(ctx: *mut qjs::JSContext, value: qjs::JSValue);
}

fn get<'js>(ctx: Ctx<'js>) -> Value<'js> {
    // SAFETY: the context is alive while a function of it runs, and
    // `JS_GetAsyncContext` returns a new reference, which the value owns.
    unsafe { Value::from_raw(ctx.clone(), JS_GetAsyncContext(ctx.as_raw().as_ptr())) }
}

fn set<'js>(ctx: Ctx<'js>, value: Opt<Value<'js>>) {
    let value = value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    // SAFETY: as above; `JS_SetAsyncContext` takes its own reference.
    unsafe { JS_SetAsyncContext(ctx.as_raw().as_ptr(), value.as_raw()) }
}

/// Installs the two functions as globals.
pub(crate) fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    ctx.globals().set(
        contract::ASYNC_CONTEXT_GET,
        Function::new(ctx.clone(), get)?,
    )?;
    ctx.globals().set(
        contract::ASYNC_CONTEXT_SET,
        Function::new(ctx.clone(), set)?,
    )?;
    Ok(())
}
