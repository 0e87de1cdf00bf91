//! `__motu_define_getter(object, name, getter)` (see
//! `motu_engine::contract::DEFINE_GETTER`): gives `object` an own accessor
//! property `name` with `getter` and no setter, enumerable and not
//! configurable — what Web IDL's [LegacyUnforgeable] attributes are on
//! every instance (an Event's `isTrusted`). The prelude takes it and
//! deletes the global (see `crates/webapi/js/lazy.js`).
//!
//! It is a plain C function of QuickJS: without it the prelude calls
//! `Object.defineProperty`, which reads a descriptor object (six lookups)
//! for every event made, a third of what making an event cost.

use std::ffi::c_int;

use motu_engine::contract;
use rquickjs::{qjs, Ctx, Value};

/// The function itself, QuickJS's calling convention.
///
/// # Safety
///
/// Called by QuickJS only, with `argc` values at `argv`.
unsafe extern "C" fn define_getter(
    ctx: *mut qjs::JSContext,
    _this: qjs::JSValue,
    argc: c_int,
    argv: *mut qjs::JSValue,
) -> qjs::JSValue {
    // SAFETY: QuickJS calls it on its own thread with a live context and
    // `argc` values at `argv`; every value used is one of those.
    unsafe {
        if argc < 3 || argv.is_null() {
            return qjs::JS_ThrowTypeError(ctx, c"define_getter(object, name, getter)".as_ptr());
        }
        // At least three values.
        let args = std::slice::from_raw_parts(argv, 3);
        let name_tag = qjs::JS_VALUE_GET_TAG(args[1]);
        if !qjs::JS_IsObject(args[0])
            || !matches!(
                name_tag,
                qjs::JS_TAG_STRING | qjs::JS_TAG_STRING_ROPE | qjs::JS_TAG_SYMBOL
            )
            || !qjs::JS_IsFunction(ctx, args[2])
        {
            return qjs::JS_ThrowTypeError(ctx, c"define_getter(object, name, getter)".as_ptr());
        }
        let atom = qjs::JS_ValueToAtom(ctx, args[1]);
        if atom == qjs::JS_ATOM_NULL {
            return qjs::JS_EXCEPTION;
        }
        // The property takes a reference of the getter of its own.
        let getter = qjs::JS_DupValue(ctx, args[2]);
        let defined = qjs::JS_DefinePropertyGetSet(
            ctx,
            args[0],
            atom,
            getter,
            qjs::JS_UNDEFINED,
            qjs::JS_PROP_ENUMERABLE as c_int,
        );
        qjs::JS_FreeAtom(ctx, atom);
        if defined < 0 {
            qjs::JS_EXCEPTION
        } else {
            qjs::JS_UNDEFINED
        }
    }
}

/// Installs the function as a global.
pub(crate) fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    // SAFETY: the context is alive; the new function value is owned by
    // `function` from here on.
    let function = unsafe {
        let raw = qjs::JS_NewCFunction2(
            ctx.as_raw().as_ptr(),
            Some(define_getter),
            c"defineGetter".as_ptr(),
            3,
            qjs::JSCFunctionEnum_JS_CFUNC_generic,
            0,
        );
        if qjs::JS_VALUE_GET_TAG(raw) == qjs::JS_TAG_EXCEPTION {
            return Err(rquickjs::Error::Exception);
        }
        Value::from_raw(ctx.clone(), raw)
    };
    ctx.globals().set(contract::DEFINE_GETTER, function)
}
