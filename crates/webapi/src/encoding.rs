//! Text encoding and decoding for `TextEncoder`, `TextDecoder`, their stream
//! forms and bodies: UTF-8 out, every WHATWG encoding in (with `encoding_rs`).

use encoding_rs::{CoderResult, Decoder, DecoderResult, Encoding};
use motu_engine::{HostValue, JsError};

use crate::op_state::{handle_arg, OpState};
use crate::ops::str_arg;

/// `utf8_encode(string) -> bytes`.
pub(crate) fn encode(mut args: Vec<HostValue>) -> Result<HostValue, JsError> {
    match args.get_mut(0).map(std::mem::take) {
        Some(HostValue::String(s)) => Ok(HostValue::Bytes(s.into_bytes())),
        _ => Err(JsError::type_error(
            "utf8_encode: argument must be a string",
        )),
    }
}

/// `utf8_encode_into(string, capacity) -> [read, bytes]`: the longest prefix
/// of whole characters whose UTF-8 form fits in `capacity` bytes, with the
/// number of UTF-16 code units it spans (`TextEncoder.encodeInto`).
pub(crate) fn encode_into(args: &[HostValue]) -> Result<HostValue, JsError> {
    let s = str_arg(args, 0, "utf8_encode_into")?;
    let capacity = match args.get(1).and_then(HostValue::as_f64) {
        Some(n) if n >= 0.0 => n.min(usize::MAX as f64) as usize,
        _ => {
            return Err(JsError::type_error(
                "utf8_encode_into: argument 1 must be a length",
            ))
        }
    };
    let (mut read, mut written) = (0usize, 0usize);
    if s.len() <= capacity {
        read = s.encode_utf16().count();
        written = s.len();
    } else {
        for ch in s.chars() {
            if written + ch.len_utf8() > capacity {
                break;
            }
            written += ch.len_utf8();
            read += ch.len_utf16();
        }
    }
    Ok(HostValue::List(vec![
        HostValue::Number(read as f64),
        HostValue::Bytes(s.as_bytes()[..written].to_vec()),
    ]))
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

/// `encoding_name(label) -> name | null`: the WHATWG name (lower case) of
/// the encoding `label` stands for, or null when there is none a
/// `TextDecoder` may use (unknown labels, and those of `replacement`).
pub(crate) fn encoding_name(args: &[HostValue]) -> Result<HostValue, JsError> {
    let label = str_arg(args, 0, "encoding_name")?;
    Ok(match Encoding::for_label_no_replacement(label.as_bytes()) {
        Some(encoding) => HostValue::String(encoding.name().to_ascii_lowercase()),
        None => HostValue::Null,
    })
}

fn encoding_arg(args: &[HostValue], op: &str) -> Result<&'static Encoding, JsError> {
    let label = str_arg(args, 0, op)?;
    Encoding::for_label_no_replacement(label.as_bytes()).ok_or_else(|| {
        JsError::range_error(format!(
            "The encoding label provided ('{label}') is invalid or not supported"
        ))
    })
}

fn bytes_arg<'a>(args: &'a [HostValue], i: usize, op: &str) -> Result<&'a [u8], JsError> {
    match args.get(i) {
        Some(HostValue::Bytes(b)) => Ok(b),
        Some(HostValue::Undefined) | None => Ok(&[]),
        _ => Err(JsError::type_error(format!(
            "{op}: argument {i} must be bytes"
        ))),
    }
}

fn new_decoder(encoding: &'static Encoding, ignore_bom: bool) -> Decoder {
    if ignore_bom {
        encoding.new_decoder_without_bom_handling()
    } else {
        encoding.new_decoder_with_bom_removal()
    }
}

fn malformed(decoder: &Decoder) -> JsError {
    JsError::type_error(format!(
        "The encoded data was not valid {}",
        decoder.encoding().name().to_ascii_lowercase()
    ))
}

/// Runs `decoder` over `src`; `last` flushes it. Malformed input becomes
/// U+FFFD, or a `TypeError` when `fatal`.
fn run(decoder: &mut Decoder, mut src: &[u8], last: bool, fatal: bool) -> Result<String, JsError> {
    let too_long = || JsError::range_error("the input is too long to decode");
    let mut out = String::new();
    loop {
        let needed = if fatal {
            decoder.max_utf8_buffer_length_without_replacement(src.len())
        } else {
            decoder.max_utf8_buffer_length(src.len())
        }
        .ok_or_else(too_long)?;
        out.reserve(needed.max(4));
        let (done, read) = if fatal {
            let (result, read) = decoder.decode_to_string_without_replacement(src, &mut out, last);
            match result {
                DecoderResult::InputEmpty => (true, read),
                DecoderResult::OutputFull => (false, read),
                DecoderResult::Malformed(..) => return Err(malformed(decoder)),
            }
        } else {
            let (result, read, _) = decoder.decode_to_string(src, &mut out, last);
            (result == CoderResult::InputEmpty, read)
        };
        src = &src[read..];
        if done {
            return Ok(out);
        }
    }
}

/// `text_decode(encoding, bytes, fatal, ignoreBOM) -> string`: decodes all of
/// `bytes` at once.
pub(crate) fn text_decode(args: &[HostValue]) -> Result<HostValue, JsError> {
    let encoding = encoding_arg(args, "text_decode")?;
    let bytes = bytes_arg(args, 1, "text_decode")?;
    let fatal = matches!(args.get(2), Some(HostValue::Bool(true)));
    let ignore_bom = matches!(args.get(3), Some(HostValue::Bool(true)));
    let mut decoder = new_decoder(encoding, ignore_bom);
    run(&mut decoder, bytes, true, fatal).map(HostValue::String)
}

/// A decoder kept between calls of a streaming `TextDecoder`.
struct StreamDecoder {
    decoder: Decoder,
    fatal: bool,
}

/// `text_decoder_new(encoding, fatal, ignoreBOM) -> handle`: a decoder whose
/// state lasts across `text_decoder_push` calls.
pub(crate) fn text_decoder_new(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let encoding = encoding_arg(args, "text_decoder_new")?;
    let fatal = matches!(args.get(1), Some(HostValue::Bool(true)));
    let ignore_bom = matches!(args.get(2), Some(HostValue::Bool(true)));
    let handle = state.add(StreamDecoder {
        decoder: new_decoder(encoding, ignore_bom),
        fatal,
    })?;
    Ok(HostValue::Number(f64::from(handle)))
}

/// `text_decoder_push(handle, bytes, last) -> string`: decodes the next
/// chunk. With `last`, or on a fatal error, the decoder is closed.
pub(crate) fn text_decoder_push(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "text_decoder_push")?;
    let bytes = bytes_arg(args, 1, "text_decoder_push")?;
    let last = matches!(args.get(2), Some(HostValue::Bool(true)));
    let result = state.with(handle, |d: &mut StreamDecoder| {
        run(&mut d.decoder, bytes, last, d.fatal)
    });
    if last || result.is_err() {
        state.remove(handle);
    }
    result.map(HostValue::String)
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

    #[test]
    fn labels_map_to_whatwg_names() {
        let name = |l: &str| encoding_name(&[l.into()]).unwrap();
        assert_eq!(name(" Latin1\n"), "windows-1252".into());
        assert_eq!(name("sjis"), "shift_jis".into());
        assert_eq!(name("utf-16"), "utf-16le".into());
        assert_eq!(name("iso-2022-kr"), HostValue::Null);
        assert_eq!(name("klingon"), HostValue::Null);
    }

    #[test]
    fn one_shot_decoding_in_legacy_encodings() {
        let dec = |label: &str, b: &[u8], fatal: bool| {
            text_decode(&[label.into(), b.to_vec().into(), fatal.into(), false.into()])
        };
        assert_eq!(dec("latin1", b"caf\xE9", false).unwrap(), "café".into());
        assert_eq!(dec("shift_jis", b"\x82\xA0", false).unwrap(), "あ".into());
        assert_eq!(
            dec("utf-16le", b"\xFF\xFEa\x00", false).unwrap(),
            "a".into()
        );
        assert_eq!(dec("utf-16be", b"\x00", false).unwrap(), "\u{fffd}".into());
        assert_eq!(
            dec("utf-16be", b"\x00", true).unwrap_err().name,
            "TypeError"
        );
        assert_eq!(dec("nope", b"", false).unwrap_err().name, "RangeError");
    }

    #[test]
    fn streaming_keeps_state_between_chunks() {
        let state = OpState::new();
        let h = text_decoder_new(&state, &["utf-8".into(), true.into(), false.into()]).unwrap();
        let push = |b: &[u8], last: bool| {
            text_decoder_push(&state, &[h.clone(), b.to_vec().into(), last.into()])
        };
        assert_eq!(push(b"\xEF\xBB", false).unwrap(), "".into());
        assert_eq!(push(b"\xBFa\xE2\x82", false).unwrap(), "a".into());
        assert_eq!(push(b"\xAC", false).unwrap(), "€".into());
        assert_eq!(push(b"\xE2", true).unwrap_err().name, "TypeError");
        assert!(state.is_empty());
        assert_eq!(push(b"", true).unwrap_err().name, "TypeError");
    }

    #[test]
    fn encode_into_stops_at_whole_characters() {
        let r = encode_into(&["aé✓😀".into(), 4.0.into()]).unwrap();
        assert_eq!(
            r,
            HostValue::List(vec![2.0.into(), "aé".as_bytes().to_vec().into()])
        );
        let r = encode_into(&["😀".into(), 100.0.into()]).unwrap();
        assert_eq!(
            r,
            HostValue::List(vec![2.0.into(), "😀".as_bytes().to_vec().into()])
        );
    }
}
