//! Random bytes from the operating system, for `crypto.getRandomValues`,
//! `crypto.randomUUID` and key generation.

use motu_engine::{HostValue, JsError};
use rand_core::{OsRng, RngCore};

/// The most bytes `crypto_random` hands out at once (the limit of
/// `getRandomValues`).
const MAX_BYTES: usize = 65536;

/// `crypto_random(length) -> bytes`: `length` random bytes, at most 65536.
pub(crate) fn random(args: &[HostValue]) -> Result<HostValue, JsError> {
    let n = match args.first().and_then(HostValue::as_f64) {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_BYTES as f64 => n as usize,
        _ => {
            return Err(JsError::new(
                "QuotaExceededError",
                "crypto_random: length must be a whole number of at most 65536",
            ))
        }
    };
    Ok(HostValue::Bytes(bytes(n)?))
}

/// `n` random bytes, or an `OperationError` when the system has none.
pub(crate) fn bytes(n: usize) -> Result<Vec<u8>, JsError> {
    let mut out = vec![0; n];
    OsRng
        .try_fill_bytes(&mut out)
        .map_err(|e| super::operation_error(format!("no randomness available: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_fresh_bytes_within_the_limit() {
        let a = random(&[32.0.into()]).unwrap();
        let b = random(&[32.0.into()]).unwrap();
        assert_eq!(a.as_bytes().map(<[u8]>::len), Some(32));
        assert_ne!(a, b);
        assert_eq!(
            random(&[65537.0.into()]).unwrap_err().name,
            "QuotaExceededError"
        );
    }
}
