//! The table of pure ops.

use motu_engine::{HostValue, JsError};

use crate::{crypto, encoding, form, url_ops};

/// Runs the pure op `op`, or returns `None` when this crate has no op of
/// that name (the runtime then tries its own).
pub fn call(op: &str, args: Vec<HostValue>) -> Option<Result<HostValue, JsError>> {
    Some(match op {
        "url_parse" => url_ops::parse(&args),
        "url_set" => url_ops::set(&args),
        "form_parse" => form::parse(&args),
        "form_serialize" => form::serialize(&args),
        "utf8_encode" => encoding::encode(args),
        "utf8_decode" => encoding::decode(&args),
        _ => return crypto::call(op, &args),
    })
}

/// The string argument at `i`, or a `TypeError` naming the op.
pub(crate) fn str_arg<'a>(args: &'a [HostValue], i: usize, op: &str) -> Result<&'a str, JsError> {
    args.get(i)
        .and_then(HostValue::as_str)
        .ok_or_else(|| JsError::type_error(format!("{op}: argument {i} must be a string")))
}
