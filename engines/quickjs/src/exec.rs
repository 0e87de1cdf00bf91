//! Reading bytecode into an isolate's context and running it.
//!
//! Functions read from bytecode belong to the context that reads them (their
//! realm), whichever runtime compiled them.

use rquickjs::module::Declared;
use rquickjs::{qjs, Ctx, Error, Module, Result, Value};

/// Runs a compiled script in `ctx` and returns its completion value.
pub(crate) fn run_script<'js>(ctx: &Ctx<'js>, bytecode: &[u8]) -> Result<Value<'js>> {
    let c = ctx.as_raw().as_ptr();
    // SAFETY: `bytecode` was written by `compile` for a script; both results
    // are owned, and `JS_EvalFunction` takes the function it is given.
    unsafe {
        let function = qjs::JS_ReadObject(
            c,
            bytecode.as_ptr(),
            bytecode.len() as _,
            qjs::JS_READ_OBJ_BYTECODE as i32,
        );
        if qjs::JS_IsException(function) {
            return Err(Error::Exception);
        }
        let value = qjs::JS_EvalFunction(c, function);
        if qjs::JS_IsException(value) {
            return Err(Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), value))
    }
}

/// Declares a compiled module in `ctx`, ready to be evaluated.
pub(crate) fn declare_module<'js>(
    ctx: &Ctx<'js>,
    bytecode: &[u8],
) -> Result<Module<'js, Declared>> {
    // SAFETY: `bytecode` was written by `compile` for a module.
    unsafe { Module::load(ctx.clone(), bytecode) }
}
