//! Web Crypto: the ops behind `crypto.getRandomValues`, `crypto.randomUUID`
//! and `crypto.subtle`, all with RustCrypto crates.
//!
//! The JavaScript side (`js/crypto*.js`) normalises algorithms, checks key
//! usages and keeps every key's material in a private slot of its
//! `CryptoKey`; these ops only see bytes. Key material crosses the boundary
//! in one canonical form per key type:
//!
//! - secret keys (HMAC, AES, PBKDF2, HKDF): the raw key bytes;
//! - private keys (ECDSA, ECDH, Ed25519, X25519, RSA): PKCS #8 DER;
//! - public keys: SubjectPublicKeyInfo DER.
//!
//! Errors carry the name of the `DOMException` the Web Crypto specification
//! asks for (`DataError`, `OperationError`, `NotSupportedError`,
//! `InvalidAccessError`); the prelude turns them into `DOMException`s.
//! Argument errors are `TypeError`s.

mod aes;
pub(crate) mod digest;
pub(crate) mod digest_stream;
pub(crate) mod ec;
pub(crate) mod ed25519;
pub(crate) mod formats;
mod hmac;
mod kdf;
mod okp;
mod random;
pub(crate) mod rsa;
#[cfg(test)]
mod test_util;
pub(crate) mod x25519;

use motu_engine::{HostValue, JsError};

use crate::work::{Cancel, Work, QUICK_BYTES};

pub(crate) use digest::Hash;
pub(crate) use kdf::pbkdf2_with;

/// Runs the synchronous crypto op `op` (`crypto_random`), or returns `None`
/// when there is none of that name.
pub(crate) fn call(op: &str, args: &[HostValue]) -> Option<Result<HostValue, JsError>> {
    match op {
        "crypto_random" => Some(random::random(args)),
        _ => None,
    }
}

/// The signature of a crypto work op.
type Run = fn(&[HostValue], &Cancel) -> Result<HostValue, JsError>;

/// The work of the crypto op `op` (every `crypto.subtle` operation is host
/// work), or `None` when there is none of that name.
pub(crate) fn work(op: &str, args: Vec<HostValue>) -> Option<Work> {
    let run: Run = match op {
        "crypto_digest" => digest::digest,
        "crypto_sign" => sign,
        "crypto_verify" => verify,
        "crypto_encrypt" => |args, _| crypt(args, true),
        "crypto_decrypt" => |args, _| crypt(args, false),
        "crypto_generate" => generate,
        "crypto_import" => |args, _| formats::import(args),
        "crypto_export" => |args, _| formats::export(args),
        "crypto_derive_bits" => derive_bits,
        _ => return None,
    };
    let quick = is_quick(op, &args);
    Some(Work::new(args, quick, run))
}

/// Whether the crypto op `op` on `args` is well under a millisecond of
/// work: small inputs, and algorithms without big-number arithmetic on
/// private keys (RSA private-key operations, key generation and key
/// checks, and ECDSA and ECDH on P-384 and P-521, are not).
fn is_quick(op: &str, args: &[HostValue]) -> bool {
    let bytes: usize = args
        .iter()
        .filter_map(HostValue::as_bytes)
        .map(<[u8]>::len)
        .sum();
    if bytes > QUICK_BYTES {
        return false;
    }
    let alg = args.first().and_then(HostValue::as_str).unwrap_or("");
    let params = |i: usize| args.get(i).unwrap_or(&HostValue::Undefined);
    let p256 = |i: usize| params(i).get("namedCurve").and_then(HostValue::as_str) == Some("P-256");
    match op {
        "crypto_digest" | "crypto_export" | "crypto_encrypt" => true,
        "crypto_sign" => match alg {
            "HMAC" | "Ed25519" => true,
            "ECDSA" => p256(3),
            _ => false,
        },
        "crypto_verify" => alg != "ECDSA" || p256(4),
        "crypto_decrypt" => alg != "RSA-OAEP",
        "crypto_generate" => match alg {
            "Ed25519" | "X25519" => true,
            "ECDSA" | "ECDH" => p256(1),
            _ => false,
        },
        "crypto_derive_bits" => match alg {
            "HKDF" | "X25519" => true,
            "ECDH" => p256(2),
            "PBKDF2" => kdf::pbkdf2_is_quick(params(2), args.get(3)),
            _ => false,
        },
        "crypto_import" => !alg.starts_with("RSA"),
        _ => false,
    }
}

/// `crypto_sign(alg, key, data, params) -> signature`.
fn sign(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let alg = str_arg(args, 0)?;
    let key = bytes_arg(args, 1)?;
    let data = bytes_arg(args, 2)?;
    let params = args.get(3).unwrap_or(&HostValue::Undefined);
    let signature = match alg {
        "HMAC" => hmac::sign(hash_param(params)?, key, data, cancel)?,
        "ECDSA" => ec::sign(params, key, data, cancel)?,
        "Ed25519" => ed25519::sign(key, data)?,
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" => rsa::sign(alg, params, key, data, cancel)?,
        other => return Err(unsupported(other)),
    };
    Ok(HostValue::Bytes(signature))
}

/// `crypto_verify(alg, key, signature, data, params) -> bool`.
fn verify(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let alg = str_arg(args, 0)?;
    let key = bytes_arg(args, 1)?;
    let signature = bytes_arg(args, 2)?;
    let data = bytes_arg(args, 3)?;
    let params = args.get(4).unwrap_or(&HostValue::Undefined);
    let ok = match alg {
        "HMAC" => hmac::verify(hash_param(params)?, key, signature, data, cancel)?,
        "ECDSA" => ec::verify(params, key, signature, data, cancel)?,
        "Ed25519" => ed25519::verify(key, signature, data)?,
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" => rsa::verify(alg, params, key, signature, data, cancel)?,
        other => return Err(unsupported(other)),
    };
    Ok(HostValue::Bool(ok))
}

/// `crypto_encrypt(alg, key, data, params)` and `crypto_decrypt(…)`.
fn crypt(args: &[HostValue], encrypt: bool) -> Result<HostValue, JsError> {
    let alg = str_arg(args, 0)?;
    let key = bytes_arg(args, 1)?;
    let data = bytes_arg(args, 2)?;
    let params = args.get(3).unwrap_or(&HostValue::Undefined);
    let out = match alg {
        "AES-GCM" | "AES-CBC" | "AES-CTR" | "AES-KW" => {
            aes::crypt(alg, params, key, data, encrypt)?
        }
        "RSA-OAEP" => rsa::oaep(params, key, data, encrypt)?,
        other => return Err(unsupported(other)),
    };
    Ok(HostValue::Bytes(out))
}

/// `crypto_generate(alg, params) -> {private, public}`: a new key pair, as
/// PKCS #8 and SPKI DER.
fn generate(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let alg = str_arg(args, 0)?;
    let params = args.get(1).unwrap_or(&HostValue::Undefined);
    let (private, public) = match alg {
        "ECDSA" | "ECDH" => ec::generate(params)?,
        "Ed25519" => ed25519::generate()?,
        "X25519" => x25519::generate()?,
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" | "RSA-OAEP" => rsa::generate(params, cancel)?,
        other => return Err(unsupported(other)),
    };
    Ok(HostValue::Map(vec![
        ("private".into(), HostValue::Bytes(private)),
        ("public".into(), HostValue::Bytes(public)),
    ]))
}

/// `crypto_derive_bits(alg, key, params, length) -> bytes`; `length` is in
/// bits, or `null` where the algorithm allows it.
fn derive_bits(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let alg = str_arg(args, 0)?;
    let key = bytes_arg(args, 1)?;
    let params = args.get(2).unwrap_or(&HostValue::Undefined);
    let length = match args.get(3) {
        Some(HostValue::Number(n)) if *n >= 0.0 && n.fract() == 0.0 && *n <= u32::MAX as f64 => {
            Some(*n as usize)
        }
        Some(HostValue::Null | HostValue::Undefined) | None => None,
        _ => {
            return Err(JsError::type_error(
                "length must be an unsigned long or null",
            ))
        }
    };
    let out = match alg {
        "PBKDF2" => kdf::pbkdf2(params, key, length, cancel)?,
        "HKDF" => kdf::hkdf(params, key, length)?,
        "ECDH" => ec::derive(params, key, length)?,
        "X25519" => x25519::derive(params, key, length)?,
        other => return Err(unsupported(other)),
    };
    Ok(HostValue::Bytes(out))
}

/// A `DataError`: key data that cannot be read.
pub(crate) fn data_error(message: impl Into<String>) -> JsError {
    JsError::new("DataError", message)
}

/// An `OperationError`: the operation failed for an operation-specific reason.
pub(crate) fn operation_error(message: impl Into<String>) -> JsError {
    JsError::new("OperationError", message)
}

/// A `NotSupportedError` for an algorithm or option motu does not have.
pub(crate) fn not_supported(message: impl Into<String>) -> JsError {
    JsError::new("NotSupportedError", message)
}

/// An `InvalidAccessError`: the key cannot be used so.
pub(crate) fn invalid_access(message: impl Into<String>) -> JsError {
    JsError::new("InvalidAccessError", message)
}

fn unsupported(alg: &str) -> JsError {
    not_supported(format!("Unrecognized algorithm name: {alg}"))
}

/// The string argument at `i`, or a `TypeError`.
pub(crate) fn str_arg(args: &[HostValue], i: usize) -> Result<&str, JsError> {
    args.get(i)
        .and_then(HostValue::as_str)
        .ok_or_else(|| JsError::type_error(format!("crypto: argument {i} must be a string")))
}

/// The bytes argument at `i`, or a `TypeError`.
pub(crate) fn bytes_arg(args: &[HostValue], i: usize) -> Result<&[u8], JsError> {
    args.get(i)
        .and_then(HostValue::as_bytes)
        .ok_or_else(|| JsError::type_error(format!("crypto: argument {i} must be bytes")))
}

/// The string member `key` of the parameters `params`, or a `TypeError`.
pub(crate) fn str_param<'a>(params: &'a HostValue, key: &str) -> Result<&'a str, JsError> {
    params
        .get(key)
        .and_then(HostValue::as_str)
        .ok_or_else(|| JsError::type_error(format!("crypto: parameter {key} must be a string")))
}

/// The bytes member `key` of `params`, or a `TypeError`.
pub(crate) fn bytes_param<'a>(params: &'a HostValue, key: &str) -> Result<&'a [u8], JsError> {
    params
        .get(key)
        .and_then(HostValue::as_bytes)
        .ok_or_else(|| JsError::type_error(format!("crypto: parameter {key} must be bytes")))
}

/// The optional bytes member `key` of `params`.
pub(crate) fn opt_bytes_param<'a>(
    params: &'a HostValue,
    key: &str,
) -> Result<Option<&'a [u8]>, JsError> {
    match params.get(key) {
        None | Some(HostValue::Undefined) => Ok(None),
        Some(HostValue::Bytes(b)) => Ok(Some(b)),
        Some(_) => Err(JsError::type_error(format!(
            "crypto: parameter {key} must be bytes"
        ))),
    }
}

/// The whole-number member `key` of `params`, or a `TypeError`.
pub(crate) fn uint_param(params: &HostValue, key: &str) -> Result<u64, JsError> {
    match params.get(key).and_then(HostValue::as_f64) {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 => Ok(n as u64),
        _ => Err(JsError::type_error(format!(
            "crypto: parameter {key} must be an unsigned integer"
        ))),
    }
}

/// The `hash` member of `params`: a hash name.
pub(crate) fn hash_param(params: &HostValue) -> Result<Hash, JsError> {
    Hash::parse(str_param(params, "hash")?)
}
