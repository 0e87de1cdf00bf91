//! HMAC signing and verification.

use ::hmac::{Hmac, Mac};
use motu_engine::JsError;

use super::digest::{feed, with_hash};
use super::{operation_error, Hash};
use crate::work::Cancel;

/// The MAC of `data` under `key` with `hash`; an error once `cancel` is set.
pub(crate) fn sign(
    hash: Hash,
    key: &[u8],
    data: &[u8],
    cancel: &Cancel,
) -> Result<Vec<u8>, JsError> {
    with_hash!(hash, D => {
        let mut mac = Hmac::<D>::new_from_slice(key).map_err(|e| operation_error(e.to_string()))?;
        feed(data, cancel, |chunk| mac.update(chunk))?;
        Ok(mac.finalize().into_bytes().to_vec())
    })
}

/// Whether `signature` is the MAC of `data` under `key`, compared in
/// constant time.
pub(crate) fn verify(
    hash: Hash,
    key: &[u8],
    signature: &[u8],
    data: &[u8],
    cancel: &Cancel,
) -> Result<bool, JsError> {
    with_hash!(hash, D => {
        let mut mac = Hmac::<D>::new_from_slice(key).map_err(|e| operation_error(e.to_string()))?;
        feed(data, cancel, |chunk| mac.update(chunk))?;
        Ok(mac.verify_slice(signature).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_case_2() {
        let c = &Cancel::new();
        let mac = sign(Hash::Sha256, b"Jefe", b"what do ya want for nothing?", c).unwrap();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(
            Hash::Sha256,
            b"Jefe",
            &mac,
            b"what do ya want for nothing?",
            c
        )
        .unwrap());
        assert!(!verify(
            Hash::Sha256,
            b"Jefe",
            &mac[..31],
            b"what do ya want for nothing?",
            c
        )
        .unwrap());
    }
}
