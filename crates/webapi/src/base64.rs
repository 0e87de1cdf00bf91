//! Forgiving-base64 (the HTML standard's algorithm) for `atob` and `btoa`.
//! Binary data travels as Latin-1 strings: one character per byte.
//!
//! Both work through their input in slices of [`SLICE`] bytes and ask the
//! isolate's interrupt between slices (`OpState::check_interrupt`), so an
//! isolate terminated in `atob` or `btoa` of many megabytes stops within a
//! slice's time.

use motu_engine::{HostValue, JsError};

use crate::op_state::OpState;
use crate::ops::str_arg;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Input bytes handled between two looks at the isolate's interrupt (well
/// under a millisecond of work).
const SLICE: usize = 64 << 10;

fn invalid_character(message: &str) -> JsError {
    JsError::new("InvalidCharacterError", message)
}

/// `base64_encode(latin1) -> string` (`btoa`): a character above U+00FF is
/// an `InvalidCharacterError`.
pub(crate) fn encode(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "base64_encode")?;
    let mut bytes = Vec::with_capacity(input.len());
    for (i, c) in input.chars().enumerate() {
        if i % SLICE == 0 {
            state.check_interrupt()?;
        }
        let b = u8::try_from(u32::from(c)).map_err(|_| {
            invalid_character(
                "The string to be encoded contains characters outside of the Latin1 range",
            )
        })?;
        bytes.push(b);
    }
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for slice in bytes.chunks(SLICE / 4 * 3) {
        state.check_interrupt()?;
        for chunk in slice.chunks(3) {
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
    }
    Ok(HostValue::String(out))
}

/// `base64_decode(string) -> latin1` (`atob`), forgiving as the HTML
/// standard says: ASCII whitespace is ignored, padding is optional; anything
/// else invalid is an `InvalidCharacterError`.
pub(crate) fn decode(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "base64_decode")?;
    let not_base64 = || invalid_character("The string to be decoded is not correctly encoded.");
    let bytes =
        decode_checked(input.as_bytes(), || state.check_interrupt())?.ok_or_else(not_base64)?;
    let mut out = String::with_capacity(bytes.len() * 2);
    for slice in bytes.chunks(SLICE) {
        state.check_interrupt()?;
        out.extend(slice.iter().copied().map(char::from));
    }
    Ok(HostValue::String(out))
}

/// The Infra standard's forgiving-base64 decode of `input`: ASCII
/// whitespace is ignored and padding is optional; `None` if it is not
/// base64 (a character outside the alphabet, misplaced padding, or a
/// length that leaves one stray character).
pub fn forgiving_decode(input: &[u8]) -> Option<Vec<u8>> {
    decode_checked(input, || Ok::<(), std::convert::Infallible>(()))
        .unwrap_or_else(|never| match never {})
}

/// ASCII whitespace, which forgiving-base64 ignores.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// [`forgiving_decode`], calling `check` between slices of the input and
/// giving up on its error.
///
/// It reads the input in place, twice (no copy of it without its
/// whitespace): a first pass counts the characters that are not whitespace
/// and finds the padding at their end, the second decodes them. For an
/// input of megabytes, a copy was one more buffer of that size to fault in
/// and, when a termination stops the decode, to give back.
fn decode_checked<E>(
    input: &[u8],
    mut check: impl FnMut() -> Result<(), E>,
) -> Result<Option<Vec<u8>>, E> {
    let (mut count, mut last, mut before_last) = (0usize, 0u8, 0u8);
    for slice in input.chunks(SLICE) {
        check()?;
        for &b in slice.iter().filter(|&&b| !is_space(b)) {
            count += 1;
            (before_last, last) = (last, b);
        }
    }
    // Padding is dropped only where it completes a group of four.
    if count.is_multiple_of(4) {
        if count >= 2 && (before_last, last) == (b'=', b'=') {
            count -= 2;
        } else if count >= 1 && last == b'=' {
            count -= 1;
        }
    }
    if count % 4 == 1 {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(count / 4 * 3 + 2);
    let (mut buffer, mut bits, mut left) = (0u32, 0u32, count);
    for slice in input.chunks(SLICE) {
        if left == 0 {
            break;
        }
        check()?;
        for &b in slice.iter().filter(|&&b| !is_space(b)).take(left) {
            let value = match b {
                b'A'..=b'Z' => b - b'A',
                b'a'..=b'z' => b - b'a' + 26,
                b'0'..=b'9' => b - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return Ok(None),
            };
            left -= 1;
            buffer = (buffer << 6) | u32::from(value);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buffer >> bits) as u8);
                buffer &= (1 << bits) - 1;
            }
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> Result<HostValue, JsError> {
        encode(&OpState::new(), &[s.into()])
    }
    fn dec(s: &str) -> Result<HostValue, JsError> {
        decode(&OpState::new(), &[s.into()])
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

    /// An interrupt that is always terminating.
    struct Terminating;

    impl motu_engine::Interrupt for Terminating {
        fn terminate(&self) {}
        fn is_terminating(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_terminating_isolate_stops_both_directions() {
        let state = OpState::new();
        state.set_interrupt(motu_engine::InterruptHandle::new(std::sync::Arc::new(
            Terminating,
        )));
        let long = "QUJD".repeat(1 << 16);
        for result in [
            decode(&state, &[long.as_str().into()]),
            encode(&state, &[long.as_str().into()]),
        ] {
            assert!(
                result.unwrap_err().message.contains("being terminated"),
                "gave up for the termination"
            );
        }
        // Without a termination the same inputs convert.
        assert!(dec(&long).is_ok() && enc(&long).is_ok());
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

    #[test]
    fn whitespace_and_padding_are_read_across_slices() {
        // Whitespace all through an input of several slices, and padding
        // split by whitespace at its end.
        let spaced = "Zm9v \n".repeat(SLICE / 3) + "Zg =\t=";
        let expected = "foo".repeat(SLICE / 3) + "f";
        assert_eq!(dec(&spaced).unwrap(), expected.as_str().into());
        assert_eq!(
            forgiving_decode(spaced.as_bytes()).unwrap(),
            expected.as_bytes()
        );
        // Padding in the same slice as the group it completes.
        let padded = "Zm9v ".repeat(SLICE / 4) + "Zg= =";
        let expected = "foo".repeat(SLICE / 4) + "f";
        assert_eq!(dec(&padded).unwrap(), expected.as_str().into());
        // Padding that does not complete a group, or garbage past a slice.
        for bad in [
            "Zm9v ".repeat(SLICE / 4) + "Zg=",
            "Zm9v ".repeat(SLICE / 4) + "Zm9*",
            "Zm9v ".repeat(SLICE / 4) + "= Zg",
        ] {
            assert_eq!(dec(&bad).unwrap_err().name, "InvalidCharacterError");
        }
    }
}
