//! PBKDF2 and HKDF: `deriveBits` and `deriveKey` from password or key
//! material.

use ::hkdf::Hkdf;
use motu_engine::{HostValue, JsError};

use super::digest::with_hash;
use super::{bytes_param, hash_param, not_supported, operation_error, uint_param};

/// The most PBKDF2 iterations motu runs: an op cannot be interrupted, so
/// its work is bounded (the same limit Cloudflare Workers sets).
const MAX_ITERATIONS: u64 = 100_000;

/// The most bytes PBKDF2 derives at once, for the same reason.
const MAX_PBKDF2_BYTES: usize = 4096;

/// `length` in whole bytes, or an `OperationError` when it is missing or
/// not a multiple of 8.
fn whole_bytes(length: Option<usize>) -> Result<usize, JsError> {
    match length {
        Some(bits) if bits % 8 == 0 => Ok(bits / 8),
        Some(_) => Err(operation_error("length must be a multiple of 8")),
        None => Err(operation_error("length must not be null")),
    }
}

/// PBKDF2 with HMAC of `params.hash`, `params.salt` and `params.iterations`.
pub(crate) fn pbkdf2(
    params: &HostValue,
    key: &[u8],
    length: Option<usize>,
) -> Result<Vec<u8>, JsError> {
    let hash = hash_param(params)?;
    let salt = bytes_param(params, "salt")?;
    let iterations = uint_param(params, "iterations")?;
    let len = whole_bytes(length)?;
    if iterations == 0 {
        return Err(operation_error("PBKDF2: iterations must not be zero"));
    }
    if iterations > MAX_ITERATIONS {
        return Err(not_supported(format!(
            "PBKDF2: more than {MAX_ITERATIONS} iterations are not supported"
        )));
    }
    if len > MAX_PBKDF2_BYTES {
        return Err(operation_error(format!(
            "PBKDF2: at most {} bits can be derived",
            MAX_PBKDF2_BYTES * 8
        )));
    }
    let mut out = vec![0; len];
    with_hash!(hash, D => ::pbkdf2::pbkdf2_hmac::<D>(key, salt, iterations as u32, &mut out));
    Ok(out)
}

/// HKDF (extract and expand) with `params.hash`, `params.salt` and
/// `params.info`.
pub(crate) fn hkdf(
    params: &HostValue,
    key: &[u8],
    length: Option<usize>,
) -> Result<Vec<u8>, JsError> {
    let hash = hash_param(params)?;
    let salt = bytes_param(params, "salt")?;
    let info = bytes_param(params, "info")?;
    let mut out = vec![0; whole_bytes(length)?];
    with_hash!(hash, D => Hkdf::<D>::new(Some(salt), key).expand(info, &mut out))
        .map_err(|_| operation_error("HKDF: the length is too large for the hash"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::{map, unhex};

    #[test]
    fn rfc_5869_case_1() {
        let p = map(&[
            ("hash", "SHA-256".into()),
            ("salt", unhex("000102030405060708090a0b0c").into()),
            ("info", unhex("f0f1f2f3f4f5f6f7f8f9").into()),
        ]);
        let okm = hkdf(&p, &[0x0b; 22], Some(42 * 8)).unwrap();
        assert_eq!(
            okm,
            unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        );
        assert_eq!(hkdf(&p, &[1], Some(7)).unwrap_err().name, "OperationError");
        assert_eq!(
            hkdf(&p, &[1], Some(256 * 32 * 8)).unwrap_err().name,
            "OperationError"
        );
    }

    #[test]
    fn rfc_6070_pbkdf2_sha1() {
        let p = map(&[
            ("hash", "SHA-1".into()),
            ("salt", b"salt".to_vec().into()),
            ("iterations", 2.0.into()),
        ]);
        assert_eq!(
            pbkdf2(&p, b"password", Some(160)).unwrap(),
            unhex("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
        );
        assert_eq!(
            pbkdf2(&p, b"password", None).unwrap_err().name,
            "OperationError"
        );
        let zero = map(&[
            ("hash", "SHA-1".into()),
            ("salt", vec![].into()),
            ("iterations", 0.0.into()),
        ]);
        assert_eq!(
            pbkdf2(&zero, b"p", Some(8)).unwrap_err().name,
            "OperationError"
        );
    }
}
