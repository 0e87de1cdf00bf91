//! Forgiving-base64 (the HTML standard's algorithm) for `atob` and `btoa`.
//! Binary data travels as Latin-1 strings: one character per byte.

use motu_engine::{HostValue, JsError};

use crate::ops::str_arg;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn invalid_character(message: &str) -> JsError {
    JsError::new("InvalidCharacterError", message)
}

/// `base64_encode(latin1) -> string` (`btoa`): a character above U+00FF is
/// an `InvalidCharacterError`.
pub(crate) fn encode(args: &[HostValue]) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "base64_encode")?;
    let mut bytes = Vec::with_capacity(input.len());
    for c in input.chars() {
        let b = u8::try_from(u32::from(c)).map_err(|_| {
            invalid_character(
                "The string to be encoded contains characters outside of the Latin1 range",
            )
        })?;
        bytes.push(b);
    }
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    Ok(HostValue::String(out))
}

/// `base64_decode(string) -> latin1` (`atob`), forgiving as the HTML
/// standard says: ASCII whitespace is ignored, padding is optional; anything
/// else invalid is an `InvalidCharacterError`.
pub(crate) fn decode(args: &[HostValue]) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "base64_decode")?;
    let bytes = forgiving_decode(input.as_bytes())
        .ok_or_else(|| invalid_character("The string to be decoded is not correctly encoded."))?;
    Ok(HostValue::String(
        bytes.into_iter().map(char::from).collect(),
    ))
}

/// The Infra standard's forgiving-base64 decode of `input`: ASCII
/// whitespace is ignored and padding is optional; `None` if it is not
/// base64 (a character outside the alphabet, misplaced padding, or a
/// length that leaves one stray character).
pub fn forgiving_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut data: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' '))
        .collect();
    if data.len().is_multiple_of(4) {
        if data.ends_with(b"==") {
            data.truncate(data.len() - 2);
        } else if data.ends_with(b"=") {
            data.truncate(data.len() - 1);
        }
    }
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in data {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> Result<HostValue, JsError> {
        encode(&[s.into()])
    }
    fn dec(s: &str) -> Result<HostValue, JsError> {
        decode(&[s.into()])
    }

    #[test]
    fn round_trips_latin1() {
        assert_eq!(enc("").unwrap(), "".into());
        assert_eq!(enc("f").unwrap(), "Zg==".into());
        assert_eq!(enc("fo").unwrap(), "Zm8=".into());
        assert_eq!(enc("foo").unwrap(), "Zm9v".into());
        assert_eq!(enc("\u{ff}\u{fe}\u{0}").unwrap(), "//4A".into());
        assert_eq!(dec("//4A").unwrap(), "\u{ff}\u{fe}\u{0}".into());
        assert_eq!(enc("☃").unwrap_err().name, "InvalidCharacterError");
    }

    #[test]
    fn decoding_is_forgiving_but_strict_on_garbage() {
        assert_eq!(dec(" Zm 9v\n").unwrap(), "foo".into());
        assert_eq!(dec("Zg").unwrap(), "f".into());
        assert_eq!(dec("Zg==").unwrap(), "f".into());
        assert_eq!(dec("Zh==").unwrap(), "f".into());
        for bad in ["Zg=", "Z", "Zm9v=", "Zg===", "Z=g=", "Zm9*", "Zg\u{a0}"] {
            assert_eq!(dec(bad).unwrap_err().name, "InvalidCharacterError", "{bad}");
        }
    }
}
