//! The table of pure ops.

use motu_engine::{HostValue, JsError};

use crate::op_state::{handle_arg, OpState};
use crate::{
    base64, compression, crypto, encoding, form, html_rewriter, node_crypto, node_ops, node_zlib,
    url_ops, urlpattern, work,
};

/// Runs the pure op `op` with the isolate's `state`, or returns `None` when
/// this crate has no op of that name (the runtime then tries its own).
///
/// `work(name, …args)` runs the work op `name` at once and answers
/// `[0, result]` (see [`work`](crate::work())), and `work_has_room(bytes)`
/// is always `true`; a runtime that runs work elsewhere handles both itself.
pub fn call(state: &OpState, op: &str, args: Vec<HostValue>) -> Option<Result<HostValue, JsError>> {
    Some(match op {
        "work" => work::call_at_once(state, args),
        "work_has_room" => Ok(HostValue::Bool(true)),
        "url_parse" => url_ops::parse(&args),
        "url_set" => url_ops::set(&args),
        "urlpattern_compile" => urlpattern::compile_op(&args),
        "urlpattern_exec" => urlpattern::exec_op(&args),
        "form_parse" => form::parse(&args),
        "form_serialize" => form::serialize(&args),
        "utf8_encode" => encoding::encode(args),
        "utf8_encode_into" => encoding::encode_into(&args),
        "utf8_decode" => encoding::decode(&args),
        "encoding_name" => encoding::encoding_name(&args),
        "text_decode" => encoding::text_decode(&args),
        "text_decoder_new" => encoding::text_decoder_new(state, &args),
        "text_decoder_push" => encoding::text_decoder_push(state, &args),
        "compression_new" => compression::new(state, &args),
        "html_selector" => html_rewriter::selector_op(&args),
        "html_new" => html_rewriter::new_op(state, &args),
        "html_write" => html_rewriter::write_op(state, args),
        "html_end" => html_rewriter::end_op(state, &args),
        "html_resume" => html_rewriter::resume_op(state, args),
        "digest_stream_new" => crypto::digest_stream::new(state, &args),
        "digest_stream_update" => crypto::digest_stream::update(state, &args),
        "digest_stream_finish" => crypto::digest_stream::finish(state, &args),
        "crypto_timing_safe_equal" => crypto::digest_stream::timing_safe_equal(&args),
        "resource_close" => handle_arg(&args, 0, "resource_close").map(|h| state.remove(h).into()),
        "base64_encode" => base64::encode(state, &args),
        "base64_decode" => base64::decode(state, &args),
        "node_base64_encode" => node_ops::base64_encode(state, &args),
        "node_base64_decode" => node_ops::base64_decode(state, &args),
        "node_hex_encode" => node_ops::hex_encode(state, &args),
        "node_hex_decode" => node_ops::hex_decode(state, &args),
        "node_zlib_new" => node_zlib::new(state, &args),
        "node_zlib_process" => node_zlib::process(state, args),
        "node_zlib_reset" => node_zlib::reset(state, &args),
        "node_zlib_params" => node_zlib::params(state, &args),
        "node_crc32" => node_zlib::crc32(state, &args),
        "perf_now" => Ok(HostValue::Number(state.perf_now_ms())),
        "perf_time_origin" => Ok(HostValue::Number(state.time_origin_ms())),
        _ => return node_crypto::call(state, op, &args).or_else(|| crypto::call(op, &args)),
    })
}

/// The string argument at `i`, or a `TypeError` naming the op.
pub(crate) fn str_arg<'a>(args: &'a [HostValue], i: usize, op: &str) -> Result<&'a str, JsError> {
    args.get(i)
        .and_then(HostValue::as_str)
        .ok_or_else(|| JsError::type_error(format!("{op}: argument {i} must be a string")))
}
