//! The ops of the `node:buffer` encodings that are faster in Rust than in
//! JavaScript: Node.js's base64 (which reads both alphabets and skips
//! what is not base64) and hex.

use motu_engine::{HostValue, JsError};

use crate::op_state::OpState;
use crate::ops::str_arg;

/// Input handled between two looks at the isolate's interrupt.
const SLICE: usize = 64 << 10;

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn bytes_arg<'a>(args: &'a [HostValue], op: &str) -> Result<&'a [u8], JsError> {
    match args.first() {
        Some(HostValue::Bytes(b)) => Ok(b),
        _ => Err(JsError::type_error(format!(
            "{op}: argument 0 must be bytes"
        ))),
    }
}

/// `node_base64_encode(bytes, url) -> string`: base64 with padding, or
/// base64url without it when `url` is true.
pub(crate) fn base64_encode(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let bytes = bytes_arg(args, "node_base64_encode")?;
    let url = matches!(args.get(1), Some(HostValue::Bool(true)));
    let alphabet = if url { URL_SAFE } else { STANDARD };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for slice in bytes.chunks(SLICE / 4 * 3) {
        state.check_interrupt()?;
        for chunk in slice.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(alphabet[(n >> (18 - 6 * i) & 63) as usize]));
            }
            if !url {
                for _ in chunk.len()..3 {
                    out.push('=');
                }
            }
        }
    }
    Ok(HostValue::String(out))
}

/// The value of a base64 character of either alphabet.
fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    }))
}

/// Node.js's base64 decoding of `input`: characters of both alphabets
/// count, any other is skipped, and the first `=` ends the data; a last
/// lone character is dropped.
pub(crate) fn decode_base64(input: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let (mut acc, mut n) = (0u32, 0u8);
    for &c in input.as_bytes() {
        if c == b'=' {
            break;
        }
        let Some(v) = sextet(c) else { continue };
        acc = acc << 6 | v;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// `node_base64_decode(string) -> bytes` (see [`decode_base64`]).
pub(crate) fn base64_decode(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "node_base64_decode")?;
    state.check_interrupt()?;
    Ok(HostValue::Bytes(decode_base64(input)))
}

/// `node_hex_decode(string) -> bytes`: pairs of hex digits up to the first
/// pair that is not one (a last lone digit is dropped), as Node.js does.
pub(crate) fn hex_decode(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "node_hex_decode")?.as_bytes();
    state.check_interrupt()?;
    let digit = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(input.len() / 2);
    for pair in input.chunks_exact(2) {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out.push((h << 4 | l) as u8),
            _ => break,
        }
    }
    Ok(HostValue::Bytes(out))
}

/// `node_hex_encode(bytes) -> string`: lower-case hex.
pub(crate) fn hex_encode(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let bytes = bytes_arg(args, "node_hex_encode")?;
    state.check_interrupt()?;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    Ok(HostValue::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_read_as_node_reads_it() {
        assert_eq!(decode_base64("aGVsbG8="), b"hello");
        assert_eq!(decode_base64("aGVsbG8"), b"hello");
        assert_eq!(decode_base64("aGV s\nbG8"), b"hello");
        assert_eq!(decode_base64("_-8"), [0xff, 0xef]);
        assert_eq!(decode_base64("aGk=aGk="), b"hi");
    }
}
