//! The ops of `node:crypto` that Web Crypto's do not cover: Node.js's
//! streaming hashes, HMACs and AES ciphers (whose state lives between
//! calls, as per-isolate resources), and its key derivations (PBKDF2,
//! scrypt, HKDF) over any of its digests.
//!
//! # Concepts
//!
//! - **Streaming state** ([`hash`], [`cipher`]): `createHash()` and
//!   `createCipheriv()` make a resource ([`OpState`]) that each `update()`
//!   feeds; `digest()`/`final()` take it away. The JavaScript side tracks
//!   each with the prelude's `trackResource`, so one dropped without
//!   `digest()` is released by the garbage collector.
//! - **Asymmetric keys** ([`keys`], [`asym`]): `KeyObject`s of type
//!   `private` and `public` hold a key map (the key's algorithm and its
//!   Web Crypto DER); reading PEM, DER and JWK, writing them back, key pair
//!   generation, signatures, RSA encryption and Diffie-Hellman go through
//!   the Web Crypto code of [`crate::crypto`].
//! - **Bounded synchronous work**: Node's API is synchronous (`update()`,
//!   `pbkdf2Sync()`), so these ops run on the isolate's thread. Long input
//!   is handled in slices with a look at the isolate's interrupt between
//!   them, and key derivations check a cancel flag that follows it
//!   ([`OpState::cancel`]), so the CPU-time limit stops them. The callback
//!   forms (`pbkdf2()`, `scrypt()`, `hkdf()`) are host work ([`work`]),
//!   run where the runtime runs work.
//! - **Certificates** ([`x509`]): node:tls's `getPeerCertificate()` reads
//!   the server's X.509 certificates into Node's fields.

mod asym;
mod cipher;
mod hash;
mod kdf;
mod keys;
mod x509;

use motu_engine::{HostValue, JsError};

use crate::op_state::OpState;
use crate::work::Work;

/// A digest Node.js's `createHash`, `createHmac` and key derivations take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeHash {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha512_224,
    Sha512_256,
}

/// Runs `$body` with `$d` bound to the digest type of the [`NodeHash`]
/// `$hash`.
macro_rules! with_node_hash {
    ($hash:expr, $d:ident => $body:expr) => {
        match $hash {
            NodeHash::Md5 => {
                type $d = md5::Md5;
                $body
            }
            NodeHash::Sha1 => {
                type $d = sha1::Sha1;
                $body
            }
            NodeHash::Sha224 => {
                type $d = sha2::Sha224;
                $body
            }
            NodeHash::Sha256 => {
                type $d = sha2::Sha256;
                $body
            }
            NodeHash::Sha384 => {
                type $d = sha2::Sha384;
                $body
            }
            NodeHash::Sha512 => {
                type $d = sha2::Sha512;
                $body
            }
            NodeHash::Sha512_224 => {
                type $d = sha2::Sha512_224;
                $body
            }
            NodeHash::Sha512_256 => {
                type $d = sha2::Sha512_256;
                $body
            }
        }
    };
}
pub(crate) use with_node_hash;

impl NodeHash {
    /// The digest named `name` as Node.js (OpenSSL) names them, in any
    /// case: `sha256`, `SHA-256`, `RSA-SHA256`, `sha512-256`…
    pub(crate) fn parse(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let name = lower.strip_prefix("rsa-").unwrap_or(&lower);
        Some(match name {
            "md5" => NodeHash::Md5,
            "sha1" | "sha-1" => NodeHash::Sha1,
            "sha224" | "sha-224" | "sha2-224" => NodeHash::Sha224,
            "sha256" | "sha-256" | "sha2-256" => NodeHash::Sha256,
            "sha384" | "sha-384" | "sha2-384" => NodeHash::Sha384,
            "sha512" | "sha-512" | "sha2-512" => NodeHash::Sha512,
            "sha512-224" | "sha-512/224" | "sha2-512/224" => NodeHash::Sha512_224,
            "sha512-256" | "sha-512/256" | "sha2-512/256" => NodeHash::Sha512_256,
            _ => return None,
        })
    }
}

/// Runs the synchronous `node:crypto` op `op`, or returns `None` when
/// there is none of that name.
pub(crate) fn call(
    state: &OpState,
    op: &str,
    args: &[HostValue],
) -> Option<Result<HostValue, JsError>> {
    Some(match op {
        "node_hash_new" => hash::new(state, args),
        "node_hash_update" => hash::update(state, args),
        "node_hash_digest" => hash::digest(state, args),
        "node_hash_copy" => hash::copy(state, args),
        "node_cipher_new" => cipher::new(state, args),
        "node_cipher_update" => cipher::update(state, args),
        "node_cipher_aad" => cipher::aad(state, args),
        "node_cipher_padding" => cipher::padding(state, args),
        "node_cipher_final" => cipher::finish(state, args),
        "node_pbkdf2_sync" => kdf::pbkdf2(args, &state.cancel()),
        "node_scrypt_sync" => kdf::scrypt(args, &state.cancel()),
        "node_hkdf_sync" => kdf::hkdf(args, &state.cancel()),
        "node_key_import" => keys::import(args),
        "node_key_public" => keys::public(args),
        "node_key_export" => keys::export(args),
        "node_key_generate_sync" => asym::generate(args, &state.cancel()),
        "node_sign_sync" => asym::sign(args, &state.cancel()),
        "node_verify_sync" => asym::verify(args, &state.cancel()),
        "node_rsa_crypt" => asym::rsa_crypt(args),
        "node_dh" => asym::diffie_hellman(args),
        "node_x509_info" => x509::info(args),
        _ => return None,
    })
}

/// The work of the `node:crypto` work op `op` (the callback forms of the
/// key derivations), or `None` when there is none of that name.
pub(crate) fn work(op: &str, args: Vec<HostValue>) -> Option<Work> {
    Some(match op {
        "node_pbkdf2" => {
            let quick = kdf::pbkdf2_is_quick(&args);
            Work::new(args, quick, kdf::pbkdf2)
        }
        "node_scrypt" => Work::new(args, false, kdf::scrypt),
        "node_hkdf" => Work::new(args, true, kdf::hkdf),
        // Generating an RSA key takes long; the others are quick.
        "node_key_generate" => {
            let quick = args.first().and_then(HostValue::as_str) != Some("rsa");
            Work::new(args, quick, asym::generate)
        }
        "node_sign" => Work::new(args, false, asym::sign),
        "node_verify" => Work::new(args, false, asym::verify),
        _ => return None,
    })
}

/// The bytes argument at `i`, or a `TypeError` naming the op.
pub(crate) fn bytes_arg<'a>(
    args: &'a [HostValue],
    i: usize,
    op: &str,
) -> Result<&'a [u8], JsError> {
    args.get(i)
        .and_then(HostValue::as_bytes)
        .ok_or_else(|| JsError::type_error(format!("{op}: argument {i} must be bytes")))
}

/// The whole-number argument at `i` (at most 2^53), or a `TypeError`.
pub(crate) fn uint_arg(args: &[HostValue], i: usize, op: &str) -> Result<u64, JsError> {
    match args.get(i).and_then(HostValue::as_f64) {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0 => Ok(n as u64),
        _ => Err(JsError::type_error(format!(
            "{op}: argument {i} must be a whole number"
        ))),
    }
}

/// The digest named by the string argument at `i`, or a `TypeError`
/// `Invalid digest: NAME`.
pub(crate) fn hash_arg(args: &[HostValue], i: usize, op: &str) -> Result<NodeHash, JsError> {
    let name = crate::ops::str_arg(args, i, op)?;
    NodeHash::parse(name).ok_or_else(|| JsError::type_error(format!("Invalid digest: {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_node_spells_them() {
        assert_eq!(NodeHash::parse("SHA256"), Some(NodeHash::Sha256));
        assert_eq!(NodeHash::parse("RSA-SHA1"), Some(NodeHash::Sha1));
        assert_eq!(NodeHash::parse("sha512-256"), Some(NodeHash::Sha512_256));
        assert_eq!(NodeHash::parse("md4"), None);
    }
}
