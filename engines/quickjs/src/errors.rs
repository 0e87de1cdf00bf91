//! QuickJS exceptions as `JsError`s, and `JsError`s as QuickJS exceptions.
//!
//! Errors are made from the context's intrinsic prototypes, never from the
//! global constructors, which Worker code may have replaced.

use std::ffi::CStr;

use motu_engine::JsError;
use rquickjs::{qjs, Ctx, Object, Value};

use crate::strings::{to_string, with_str};

/// The pending exception of `ctx` (after an `Error::Exception`), or the
/// rquickjs error itself, as a `JsError`.
pub(crate) fn caught(ctx: &Ctx<'_>, error: rquickjs::Error) -> JsError {
    match error {
        rquickjs::Error::Exception => describe(ctx, &ctx.catch()),
        other => JsError::new("Error", other.to_string()),
    }
}

/// Describes a thrown value: an error object's name, message and stack, or
/// any other value converted to a string.
pub(crate) fn describe<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> JsError {
    if let Some(o) = value.as_object() {
        if let Some(message) = string_property(ctx, o, "message") {
            return JsError {
                name: string_property(ctx, o, "name").unwrap_or_else(|| "Error".into()),
                message,
                stack: string_property(ctx, o, "stack").filter(|s| !s.is_empty()),
            };
        }
    }
    let message = with_str(ctx, value, str::to_owned).unwrap_or_else(|_| {
        drop(ctx.catch());
        "(a thrown value that cannot be shown)".into()
    });
    JsError::new("Error", message)
}

/// A property that is a string, reading it without letting a throwing getter
/// leave an exception behind.
fn string_property<'js>(ctx: &Ctx<'js>, o: &Object<'js>, key: &str) -> Option<String> {
    match o.get::<_, Value>(key) {
        Ok(v) if v.is_string() => to_string(ctx, &v).ok(),
        Ok(_) => None,
        Err(_) => {
            drop(ctx.catch());
            None
        }
    }
}

/// Builds an error object for `e`: a `TypeError`, `RangeError`,
/// `SyntaxError` or `ReferenceError` for those names, else an `Error` whose
/// `name` is set. Its stack is `e`'s when it has one, else where JavaScript
/// is now.
pub(crate) fn make<'js>(ctx: &Ctx<'js>, e: &JsError) -> rquickjs::Result<Value<'js>> {
    type Maker =
        unsafe extern "C" fn(*mut qjs::JSContext, *const std::ffi::c_char, ...) -> qjs::JSValue;
    let (maker, builtin): (Maker, bool) = match e.name.as_str() {
        "TypeError" => (qjs::JS_NewTypeError, true),
        "RangeError" => (qjs::JS_NewRangeError, true),
        "SyntaxError" => (qjs::JS_NewSyntaxError, true),
        "ReferenceError" => (qjs::JS_NewReferenceError, true),
        _ => (qjs::JS_NewPlainError, false),
    };
    const EMPTY: &CStr = c"";
    // SAFETY: an empty format string takes no arguments; the result is owned.
    let error = unsafe {
        let raw = maker(ctx.as_raw().as_ptr(), EMPTY.as_ptr());
        if qjs::JS_IsException(raw) {
            return Err(rquickjs::Error::Exception);
        }
        Value::from_raw(ctx.clone(), raw)
    };
    let o = error.as_object().expect("an error object");
    // QuickJS formats messages into a small buffer; set the whole one.
    o.set("message", e.message.as_str())?;
    if !builtin && e.name != "Error" {
        o.set("name", e.name.as_str())?;
    }
    if let Some(stack) = &e.stack {
        let stack = rquickjs::String::from_str(ctx.clone(), stack)?;
        // SAFETY: `o` is a live object; the value's reference passes to it.
        let status = unsafe {
            qjs::JS_DefinePropertyValueStr(
                ctx.as_raw().as_ptr(),
                o.as_raw(),
                c"stack".as_ptr(),
                qjs::JS_DupValue(ctx.as_raw().as_ptr(), stack.as_raw()),
                (qjs::JS_PROP_WRITABLE | qjs::JS_PROP_CONFIGURABLE) as i32,
            )
        };
        if status < 0 {
            return Err(rquickjs::Error::Exception);
        }
    }
    Ok(error)
}

/// Throws `e` in `ctx`.
pub(crate) fn throw(ctx: &Ctx<'_>, e: &JsError) -> rquickjs::Error {
    match make(ctx, e) {
        Ok(v) => ctx.throw(v),
        Err(other) => other,
    }
}

/// Whether `e` is QuickJS's own out-of-memory error.
pub(crate) fn is_out_of_memory(e: &JsError) -> bool {
    e.name == "InternalError" && e.message == "out of memory"
}

/// Throws an out-of-memory error that JavaScript cannot catch, for an
/// isolate whose memory is exhausted: it unwinds every JavaScript frame.
pub(crate) fn throw_out_of_memory(ctx: &Ctx<'_>) -> rquickjs::Error {
    let c = ctx.as_raw().as_ptr();
    // SAFETY: the error made is owned and handed to `JS_Throw`; if it cannot
    // be made, QuickJS's own out-of-memory error is already pending.
    unsafe {
        let error = qjs::JS_NewInternalError(c, c"out of memory".as_ptr());
        if !qjs::JS_IsException(error) {
            qjs::JS_SetUncatchableError(c, error);
            qjs::JS_Throw(c, error);
        }
    }
    rquickjs::Error::Exception
}

extern "C" {
    /// The vendored QuickJS's (see `vendor/rquickjs-sys/MOTU.md`): throws
    /// the uncatchable interrupt and puts off the frees of what the stopped
    /// code lets go of, exactly as when the interrupt handler stops it.
    fn JS_ThrowInterrupted(ctx: *mut qjs::JSContext);
}

/// Throws QuickJS's interrupt, which JavaScript cannot catch, as the
/// interrupt handler makes QuickJS do: it unwinds every JavaScript frame,
/// and the frees of what those frames let go of are put off until the
/// isolate next runs JavaScript. Whichever of the two stops the JavaScript
/// (an op that sees the termination, or the handler), the isolate is left
/// in the same state.
pub(crate) fn throw_interrupted(ctx: &Ctx<'_>) -> rquickjs::Error {
    // SAFETY: the context is alive; if the error cannot be made, QuickJS's
    // own out-of-memory error is pending instead, made uncatchable.
    unsafe { JS_ThrowInterrupted(ctx.as_raw().as_ptr()) };
    rquickjs::Error::Exception
}
