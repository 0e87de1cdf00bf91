//! QuickJS exceptions as `JsError`s, and `JsError`s as QuickJS exceptions.

use motu_engine::JsError;
use rquickjs::{Constructor, Ctx, Function, Object, Value};

/// The pending exception of `ctx` (after an `Error::Exception`) or the
/// error itself, as a `JsError`.
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
        let message: Option<String> = o.get("message").ok();
        if let Some(message) = message {
            let name: Option<String> = o.get("name").ok();
            let stack: Option<String> = o.get("stack").ok();
            return JsError {
                name: name.unwrap_or_else(|| "Error".into()),
                message,
                stack: stack.filter(|s| !s.is_empty()),
            };
        }
    }
    JsError::new("Error", stringify(ctx, value))
}

fn stringify<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> String {
    ctx.globals()
        .get::<_, Function>("String")
        .and_then(|f| f.call::<_, String>((value.clone(),)))
        .unwrap_or_else(|_| "(a value that cannot be shown)".into())
}

/// Builds an error object for `e`: the built-in constructor of that name
/// when there is one, else an `Error` whose `name` is set.
pub(crate) fn make<'js>(ctx: &Ctx<'js>, e: &JsError) -> rquickjs::Result<Value<'js>> {
    let builtin = matches!(
        e.name.as_str(),
        "TypeError" | "RangeError" | "SyntaxError" | "ReferenceError" | "EvalError" | "URIError"
    );
    let ctor: Constructor = ctx
        .globals()
        .get(if builtin { e.name.as_str() } else { "Error" })?;
    let err: Object = ctor.construct((e.message.clone(),))?;
    if !builtin && e.name != "Error" {
        err.set("name", e.name.clone())?;
    }
    Ok(err.into_value())
}

/// Throws `e` in `ctx`.
pub(crate) fn throw(ctx: &Ctx<'_>, e: &JsError) -> rquickjs::Error {
    match make(ctx, e) {
        Ok(v) => ctx.throw(v),
        Err(other) => other,
    }
}
