//! Node.js's key derivations over any of its digests: PBKDF2, scrypt and
//! HKDF. Each op is both host work (the callback form) and a synchronous op
//! (`…Sync`), with a cancel flag either way.

use ::hkdf::Hkdf;
use ::hmac::Hmac;
use motu_engine::{HostValue, JsError};

use super::{bytes_arg, hash_arg, uint_arg, with_node_hash, NodeHash};
use crate::crypto::pbkdf2_with;
use crate::work::Cancel;

/// Iterations times output blocks up to which PBKDF2 counts as quick work.
const QUICK_ROUNDS: u64 = 1_000;

/// Whether `node_pbkdf2` with `args` is quick work.
pub(super) fn pbkdf2_is_quick(args: &[HostValue]) -> bool {
    let iterations = uint_arg(args, 3, "").unwrap_or(u64::MAX);
    let blocks = uint_arg(args, 4, "").map_or(u64::MAX, |n| n.div_ceil(16).max(1));
    iterations.saturating_mul(blocks) <= QUICK_ROUNDS
}

fn operation(message: impl Into<String>) -> JsError {
    JsError::new("Error", message)
}

/// `node_pbkdf2(digest, password, salt, iterations, keylen) -> bytes`.
pub(super) fn pbkdf2(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    const OP: &str = "node_pbkdf2";
    let hash = hash_arg(args, 0, OP)?;
    let password = bytes_arg(args, 1, OP)?;
    let salt = bytes_arg(args, 2, OP)?;
    let iterations = uint_arg(args, 3, OP)?;
    let len = uint_arg(args, 4, OP)? as usize;
    let iterations = u32::try_from(iterations)
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| JsError::range_error("iterations out of range"))?;
    let mut out = vec![0; len];
    with_node_hash!(hash, D => pbkdf2_with::<Hmac<D>>(password, salt, iterations, &mut out, cancel))?;
    Ok(HostValue::Bytes(out))
}

/// `node_scrypt(password, salt, keylen, N, r, p) -> bytes`. `N` is a power
/// of two; the caller has checked Node's memory limit (`128·N·r`). One lane
/// of scrypt's mixing runs to its end: the cancel flag is looked at before
/// it starts.
pub(super) fn scrypt(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    const OP: &str = "node_scrypt";
    let password = bytes_arg(args, 0, OP)?;
    let salt = bytes_arg(args, 1, OP)?;
    let len = uint_arg(args, 2, OP)? as usize;
    let n = uint_arg(args, 3, OP)?;
    let r = uint_arg(args, 4, OP)?;
    let p = uint_arg(args, 5, OP)?;
    if n < 2 || !n.is_power_of_two() {
        return Err(JsError::range_error(
            "Invalid scrypt params: N must be a power of two",
        ));
    }
    let params = ::scrypt::Params::new(
        n.trailing_zeros() as u8,
        u32::try_from(r).map_err(|_| JsError::range_error("Invalid scrypt params"))?,
        u32::try_from(p).map_err(|_| JsError::range_error("Invalid scrypt params"))?,
        len.max(10),
    )
    .map_err(|e| JsError::range_error(format!("Invalid scrypt params: {e}")))?;
    cancel.check()?;
    let mut out = vec![0; len];
    if len > 0 {
        ::scrypt::scrypt(password, salt, &params, &mut out)
            .map_err(|e| operation(format!("scrypt: {e}")))?;
    }
    Ok(HostValue::Bytes(out))
}

/// `node_hkdf(digest, key, salt, info, keylen) -> bytes`.
pub(super) fn hkdf(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    const OP: &str = "node_hkdf";
    let hash = hash_arg(args, 0, OP)?;
    let key = bytes_arg(args, 1, OP)?;
    let salt = bytes_arg(args, 2, OP)?;
    let info = bytes_arg(args, 3, OP)?;
    let len = uint_arg(args, 4, OP)? as usize;
    cancel.check()?;
    let mut out = vec![0; len];
    with_node_hash!(hash, D => Hkdf::<D>::new(Some(salt), key).expand(info, &mut out))
        .map_err(|_| JsError::range_error("Invalid key length"))?;
    Ok(HostValue::Bytes(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(v: HostValue) -> String {
        v.as_bytes()
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn known_answers() {
        let c = &Cancel::new();
        // RFC 6070, case 2.
        let args = [
            "sha1".into(),
            b"password".to_vec().into(),
            b"salt".to_vec().into(),
            2.0.into(),
            20.0.into(),
        ];
        assert_eq!(
            hex(pbkdf2(&args, c).unwrap()),
            "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"
        );
        // RFC 7914, scrypt case 2 (the first 16 bytes).
        let args = [
            b"password".to_vec().into(),
            b"NaCl".to_vec().into(),
            16.0.into(),
            1024.0.into(),
            8.0.into(),
            16.0.into(),
        ];
        assert_eq!(
            hex(scrypt(&args, c).unwrap()),
            "fdbabe1c9d3472007856e7190d01e9fe"
        );
        let args = [
            "md5".into(),
            b"k".to_vec().into(),
            vec![].into(),
            vec![].into(),
            5000.0.into(),
        ];
        assert_eq!(hkdf(&args, c).unwrap_err().name, "RangeError");
        c.cancel();
        let args = [
            "sha256".into(),
            b"p".to_vec().into(),
            b"s".to_vec().into(),
            100_000.0.into(),
            32.0.into(),
        ];
        assert_eq!(pbkdf2(&args, c).unwrap_err().name, "AbortError");
    }
}
