//! `crypto.DigestStream` (a WritableStream that hashes what is written to
//! it) and `crypto.subtle.timingSafeEqual`, Cloudflare's additions to Web
//! Crypto.
//!
//! Ops: `digest_stream_new(algorithm) -> handle` (`SHA-1`, `SHA-256`,
//! `SHA-384`, `SHA-512` or `MD5`), `digest_stream_update(handle, bytes)`,
//! `digest_stream_finish(handle) -> digest` (closes the handle), and
//! `crypto_timing_safe_equal(a, b) -> bool`.

use motu_engine::{HostValue, JsError};
use sha2::digest::DynDigest;
use subtle::ConstantTimeEq;

use super::digest::CHUNK;
use super::{bytes_arg, not_supported, str_arg};
use crate::op_state::{handle_arg, OpState};

/// A running hash.
struct Hasher(Box<dyn DynDigest>);

/// `digest_stream_new(algorithm) -> handle`.
pub(crate) fn new(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let hasher: Box<dyn DynDigest> = match str_arg(args, 0)? {
        "SHA-1" => Box::new(sha1::Sha1::default()),
        "SHA-256" => Box::new(sha2::Sha256::default()),
        "SHA-384" => Box::new(sha2::Sha384::default()),
        "SHA-512" => Box::new(sha2::Sha512::default()),
        "MD5" => Box::new(md5::Md5::default()),
        other => return Err(not_supported(format!("Unrecognized hash: {other}"))),
    };
    Ok(HostValue::Number(f64::from(state.add(Hasher(hasher))?)))
}

/// `digest_stream_update(handle, bytes)`: hashes in pieces, stopping if the
/// isolate is being terminated.
pub(crate) fn update(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "digest_stream_update")?;
    let bytes = bytes_arg(args, 1)?;
    state.with(handle, |h: &mut Hasher| {
        for piece in bytes.chunks(CHUNK) {
            state.check_interrupt()?;
            h.0.update(piece);
        }
        Ok(HostValue::Undefined)
    })
}

/// `digest_stream_finish(handle) -> digest`.
pub(crate) fn finish(state: &OpState, args: &[HostValue]) -> Result<HostValue, JsError> {
    let handle = handle_arg(args, 0, "digest_stream_finish")?;
    let digest = state.with(handle, |h: &mut Hasher| Ok(h.0.finalize_reset().to_vec()))?;
    state.remove(handle);
    Ok(HostValue::Bytes(digest))
}

/// `crypto_timing_safe_equal(a, b) -> bool`: compares in time that depends
/// on the length only; different lengths are a `TypeError`.
pub(crate) fn timing_safe_equal(args: &[HostValue]) -> Result<HostValue, JsError> {
    let (a, b) = (bytes_arg(args, 0)?, bytes_arg(args, 1)?);
    if a.len() != b.len() {
        return Err(JsError::type_error(
            "Input buffers must have the same byte length",
        ));
    }
    Ok(HostValue::Bool(a.ct_eq(b).into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hashes_in_pieces_as_in_one() {
        let state = OpState::new();
        let h = new(&state, &["MD5".into()]).unwrap();
        for piece in [&b"a"[..], b"b", b"c"] {
            update(&state, &[h.clone(), piece.to_vec().into()]).unwrap();
        }
        let HostValue::Bytes(d) = finish(&state, &[h]).unwrap() else {
            panic!()
        };
        assert_eq!(hex(&d), "900150983cd24fb0d6963f7d28e17f72");
        assert!(state.is_empty());
        assert_eq!(
            new(&state, &["SHA-3".into()]).unwrap_err().name,
            "NotSupportedError"
        );
    }

    #[test]
    fn timing_safe_equal_compares() {
        let eq = |a: &[u8], b: &[u8]| timing_safe_equal(&[a.to_vec().into(), b.to_vec().into()]);
        assert_eq!(eq(b"ab", b"ab").unwrap(), HostValue::Bool(true));
        assert_eq!(eq(b"ab", b"ac").unwrap(), HostValue::Bool(false));
        assert_eq!(eq(b"ab", b"abc").unwrap_err().name, "TypeError");
    }
}
