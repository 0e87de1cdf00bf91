//! UTF-8 encoding and decoding for `TextEncoder`, `TextDecoder` and bodies.

use motu_engine::{HostValue, JsError};

/// `utf8_encode(string) -> bytes`.
pub(crate) fn encode(mut args: Vec<HostValue>) -> Result<HostValue, JsError> {
    match args.get_mut(0).map(std::mem::take) {
        Some(HostValue::String(s)) => Ok(HostValue::Bytes(s.into_bytes())),
        _ => Err(JsError::type_error(
            "utf8_encode: argument must be a string",
        )),
    }
}

/// `utf8_decode(bytes, fatal, ignoreBOM) -> string`: invalid sequences
/// become U+FFFD, or a `TypeError` when `fatal` is true.
pub(crate) fn decode(args: &[HostValue]) -> Result<HostValue, JsError> {
    let bytes = match args.first() {
        Some(HostValue::Bytes(b)) => b.as_slice(),
        Some(HostValue::Undefined) | None => &[],
        _ => return Err(JsError::type_error("utf8_decode: argument must be bytes")),
    };
    let fatal = matches!(args.get(1), Some(HostValue::Bool(true)));
    let ignore_bom = matches!(args.get(2), Some(HostValue::Bool(true)));
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) if !ignore_bom => rest,
        _ => bytes,
    };
    if fatal {
        std::str::from_utf8(bytes)
            .map(|s| HostValue::String(s.to_owned()))
            .map_err(|_| JsError::type_error("The encoded data was not valid utf-8"))
    } else {
        Ok(HostValue::String(
            String::from_utf8_lossy(bytes).into_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_handles_bom_and_invalid_bytes() {
        let d = |b: &[u8], fatal: bool, ignore: bool| {
            decode(&[b.to_vec().into(), fatal.into(), ignore.into()])
        };
        assert_eq!(d(b"\xEF\xBB\xBFhi", false, false).unwrap(), "hi".into());
        assert_eq!(
            d(b"\xEF\xBB\xBFhi", false, true).unwrap(),
            "\u{feff}hi".into()
        );
        assert_eq!(d(b"a\xFFb", false, false).unwrap(), "a\u{fffd}b".into());
        assert_eq!(d(b"a\xFFb", true, false).unwrap_err().name, "TypeError");
    }
}
