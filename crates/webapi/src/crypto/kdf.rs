//! PBKDF2 and HKDF: `deriveBits` and `deriveKey` from password or key
//! material.

use ::hkdf::Hkdf;
use ::hmac::digest::{KeyInit, OutputSizeUser};
use ::hmac::{Hmac, Mac};
use motu_engine::{HostValue, JsError};

use super::digest::with_hash;
use super::{bytes_param, hash_param, not_supported, operation_error, uint_param};
use crate::work::Cancel;

/// The most PBKDF2 iterations motu runs (the limit Cloudflare Workers sets).
const MAX_ITERATIONS: u64 = 100_000;

/// The most bytes PBKDF2 derives at once.
const MAX_PBKDF2_BYTES: usize = 4096;

/// PBKDF2 looks at its [`Cancel`] flag every this many iterations (a few
/// hundred microseconds of SHA-512 in an optimised build).
const CHECK_EVERY: u32 = 256;

/// Iterations times output blocks up to which PBKDF2 counts as quick work.
const QUICK_ROUNDS: f64 = 1_000.0;

/// Whether PBKDF2 with `params` and `length` (bits) is quick work.
pub(crate) fn pbkdf2_is_quick(params: &HostValue, length: Option<&HostValue>) -> bool {
    let iterations = params.get("iterations").and_then(HostValue::as_f64);
    let bits = length.and_then(HostValue::as_f64).unwrap_or(0.0);
    // Blocks of the shortest hash (SHA-1, 160 bits): an upper bound.
    let blocks = (bits / 160.0).ceil().max(1.0);
    iterations.is_some_and(|n| n * blocks <= QUICK_ROUNDS)
}

/// PBKDF2 (RFC 8018) with the pseudo-random function `M` (an HMAC), written
/// out so that its iterations can stop once `cancel` is set.
pub(crate) fn pbkdf2_with<M: Mac + KeyInit + Clone>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
    cancel: &Cancel,
) -> Result<(), JsError> {
    let prf = <M as KeyInit>::new_from_slice(password)
        .map_err(|e| operation_error(format!("PBKDF2: {e}")))?;
    let block_len = <M as OutputSizeUser>::output_size();
    for (i, block) in out.chunks_mut(block_len).enumerate() {
        let mut mac = prf.clone();
        mac.update(salt);
        mac.update(&(i as u32 + 1).to_be_bytes());
        let mut u = mac.finalize().into_bytes();
        let mut t = u.clone();
        for round in 1..iterations {
            if round % CHECK_EVERY == 0 {
                cancel.check()?;
            }
            let mut mac = prf.clone();
            mac.update(&u);
            u = mac.finalize().into_bytes();
            t.iter_mut().zip(u.iter()).for_each(|(t, u)| *t ^= u);
        }
        block.copy_from_slice(&t[..block.len()]);
    }
    Ok(())
}

/// `length` in whole bytes, or an `OperationError` when it is missing or
/// not a multiple of 8.
fn whole_bytes(length: Option<usize>) -> Result<usize, JsError> {
    match length {
        Some(bits) if bits % 8 == 0 => Ok(bits / 8),
        Some(_) => Err(operation_error("length must be a multiple of 8")),
        None => Err(operation_error("length must not be null")),
    }
}

/// PBKDF2 with HMAC of `params.hash`, `params.salt` and `params.iterations`;
/// an error once `cancel` is set.
pub(crate) fn pbkdf2(
    params: &HostValue,
    key: &[u8],
    length: Option<usize>,
    cancel: &Cancel,
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
    with_hash!(hash, D => pbkdf2_with::<Hmac<D>>(key, salt, iterations as u32, &mut out, cancel))?;
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
    use crate::crypto::Hash;

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
        let c = &Cancel::new();
        assert_eq!(
            pbkdf2(&p, b"password", Some(160), c).unwrap(),
            unhex("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
        );
        assert_eq!(
            pbkdf2(&p, b"password", None, c).unwrap_err().name,
            "OperationError"
        );
        let zero = map(&[
            ("hash", "SHA-1".into()),
            ("salt", vec![].into()),
            ("iterations", 0.0.into()),
        ]);
        assert_eq!(
            pbkdf2(&zero, b"p", Some(8), c).unwrap_err().name,
            "OperationError"
        );
    }

    #[test]
    fn pbkdf2_agrees_with_the_pbkdf2_crate_and_stops_when_cancelled() {
        let c = &Cancel::new();
        for (hash, name) in [
            (Hash::Sha1, "SHA-1"),
            (Hash::Sha256, "SHA-256"),
            (Hash::Sha512, "SHA-512"),
        ] {
            for (iterations, bytes) in [(1u32, 20usize), (300, 64), (1000, 150)] {
                let p = map(&[
                    ("hash", name.into()),
                    ("salt", b"NaCl and pepper".to_vec().into()),
                    ("iterations", f64::from(iterations).into()),
                ]);
                let ours = pbkdf2(&p, b"secret", Some(bytes * 8), c).unwrap();
                let mut theirs = vec![0; bytes];
                with_hash!(hash, D => ::pbkdf2::pbkdf2_hmac::<D>(b"secret", b"NaCl and pepper", iterations, &mut theirs));
                assert_eq!(ours, theirs, "{name} {iterations} {bytes}");
            }
        }
        let p = map(&[
            ("hash", "SHA-512".into()),
            ("salt", vec![].into()),
            ("iterations", 100_000.0.into()),
        ]);
        c.cancel();
        assert_eq!(
            pbkdf2(&p, b"p", Some(512), c).unwrap_err().name,
            "AbortError"
        );
        assert!(!pbkdf2_is_quick(&p, Some(&512.0.into())));
        let few = map(&[("iterations", 500.0.into())]);
        assert!(pbkdf2_is_quick(&few, Some(&160.0.into())));
        assert!(!pbkdf2_is_quick(&few, Some(&480.0.into())));
    }
}
