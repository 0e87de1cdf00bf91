//! Node.js's operations with asymmetric keys (key maps, see [`super::keys`]):
//! key pair generation, signatures (`sign`/`verify`, RSA PKCS #1 v1.5 and
//! PSS, ECDSA with DER or IEEE P1363 signatures, Ed25519), RSA encryption
//! (`publicEncrypt`/`privateDecrypt`) and Diffie-Hellman (ECDH, X25519),
//! over the Web Crypto code (`crate::crypto`).

use ::rsa::traits::PublicKeyParts;
use ::rsa::{Pkcs1v15Encrypt, RsaPublicKey};
use motu_engine::{HostValue, JsError};
use rand_core::OsRng;
use spki::DecodePublicKey;

use super::keys::{node_error, Alg, Key};
use super::NodeHash;
use crate::crypto::{ec, ed25519, rsa, x25519};
use crate::work::Cancel;

/// Node's `RSA_PKCS1_PADDING`.
const RSA_PKCS1_PADDING: f64 = 1.0;
/// Node's `RSA_PKCS1_PSS_PADDING`.
const RSA_PKCS1_PSS_PADDING: f64 = 6.0;
/// Node's `RSA_PSS_SALTLEN_DIGEST`.
const SALTLEN_DIGEST: f64 = -1.0;
/// Node's `RSA_PSS_SALTLEN_MAX_SIGN` and `RSA_PSS_SALTLEN_AUTO`.
const SALTLEN_MAX_OR_AUTO: f64 = -2.0;

fn map(entries: Vec<(&str, HostValue)>) -> HostValue {
    HostValue::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn key_arg(args: &[HostValue], i: usize) -> Result<Key, JsError> {
    Key::from_host(args.get(i).unwrap_or(&HostValue::Undefined))
}

fn bytes_arg(args: &[HostValue], i: usize) -> Result<&[u8], JsError> {
    super::bytes_arg(args, i, "node:crypto")
}

fn invalid_digest() -> JsError {
    node_error(
        "ERR_OSSL_INVALID_DIGEST",
        "error:1C80007A:Provider routines::invalid digest",
    )
}

/// The Web Crypto name of the digest Node names `name` (SHA-256 when
/// `None`, OpenSSL's default for RSA and ECDSA).
fn web_hash(name: Option<&str>) -> Result<(&'static str, usize), JsError> {
    let Some(name) = name else {
        return Ok(("SHA-256", 32));
    };
    match NodeHash::parse(name) {
        Some(NodeHash::Sha1) => Ok(("SHA-1", 20)),
        Some(NodeHash::Sha256) => Ok(("SHA-256", 32)),
        Some(NodeHash::Sha384) => Ok(("SHA-384", 48)),
        Some(NodeHash::Sha512) => Ok(("SHA-512", 64)),
        Some(_) => Err(node_error(
            "ERR_CRYPTO_INVALID_DIGEST",
            &format!("Invalid digest: {name} (motu signs with SHA-1 and SHA-2 digests)"),
        )),
        None => Err(invalid_digest()),
    }
}

/// The options member `key` as a number.
fn option(options: &HostValue, key: &str) -> Option<f64> {
    options.get(key).and_then(HostValue::as_f64)
}

/// `node_key_generate(type, options) -> {private, public}`: `options` as the
/// prelude checked them (`modulusLength`, `publicExponent`, `namedCurve` as
/// Web Crypto names it).
pub(crate) fn generate(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let kind = crate::ops::str_arg(args, 0, "node_key_generate")?;
    let options = args.get(1).unwrap_or(&HostValue::Undefined);
    let (alg, (private, public)) = match kind {
        "rsa" => {
            let exponent = option(options, "publicExponent").unwrap_or(65537.0) as u64;
            let bytes: Vec<u8> = exponent
                .to_be_bytes()
                .into_iter()
                .skip_while(|&b| b == 0)
                .collect();
            let params = map(vec![
                (
                    "modulusLength",
                    HostValue::Number(option(options, "modulusLength").unwrap_or(0.0)),
                ),
                ("publicExponent", HostValue::Bytes(bytes)),
            ]);
            (Alg::Rsa, rsa::generate(&params, cancel)?)
        }
        "ec" => {
            let key = Key::from_host(&map(vec![
                ("type", "ec".into()),
                (
                    "curve",
                    options.get("namedCurve").cloned().unwrap_or_default(),
                ),
                ("der", HostValue::Bytes(Vec::new())),
            ]))?;
            let Alg::Ec(curve) = key.alg else {
                unreachable!("an ec key map")
            };
            (
                key.alg,
                ec::generate(&map(vec![("namedCurve", curve.into())]))?,
            )
        }
        "ed25519" => (Alg::Ed25519, ed25519::generate()?),
        "x25519" => (Alg::X25519, x25519::generate()?),
        other => {
            return Err(node_error(
                "ERR_INVALID_ARG_VALUE",
                &format!("The argument 'type' must be a supported key type. Received '{other}'"),
            ))
        }
    };
    let private = Key {
        alg,
        private: true,
        der: private,
    };
    let public = Key {
        alg,
        private: false,
        der: public,
    };
    Ok(map(vec![
        ("private", private.to_host()?),
        ("public", public.to_host()?),
    ]))
}

/// The largest PSS salt for a key of `modulus_bits` and a digest of
/// `hash_len` bytes.
fn max_salt(modulus_bits: usize, hash_len: usize) -> usize {
    ((modulus_bits - 1).div_ceil(8)).saturating_sub(hash_len + 2)
}

/// ECDSA signatures between `r || s` and DER.
macro_rules! ecdsa_convert {
    ($curve:expr, $sig:expr, to_der: $to_der:expr) => {
        match $curve {
            "P-256" => convert!(p256, $sig, $to_der),
            "P-384" => convert!(p384, $sig, $to_der),
            _ => convert!(p521, $sig, $to_der),
        }
    };
}
macro_rules! convert {
    ($m:ident, $sig:expr, $to_der:expr) => {
        if $to_der {
            $m::ecdsa::Signature::from_slice($sig)
                .ok()
                .map(|s| s.to_der().as_bytes().to_vec())
        } else {
            $m::ecdsa::Signature::from_der($sig)
                .ok()
                .map(|s| s.to_bytes().to_vec())
        }
    };
}

/// `node_sign(digest, key, data, options) -> signature`; `options` holds
/// `padding`, `saltLength` and `dsaEncoding`.
pub(crate) fn sign(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let digest = args.first().and_then(HostValue::as_str);
    let key = key_arg(args, 1)?;
    let data = bytes_arg(args, 2)?;
    let options = args.get(3).unwrap_or(&HostValue::Undefined);
    if !key.private {
        return Err(JsError::type_error("a private key is needed to sign"));
    }
    let signature = match key.alg {
        Alg::Rsa => {
            let (hash, hash_len) = web_hash(digest)?;
            let pss = option(options, "padding") == Some(RSA_PKCS1_PSS_PADDING);
            let modulus = key
                .to_host()?
                .get("modulusLength")
                .and_then(HostValue::as_f64)
                .unwrap_or(0.0) as usize;
            let salt = match option(options, "saltLength") {
                None | Some(SALTLEN_MAX_OR_AUTO) => max_salt(modulus, hash_len),
                Some(SALTLEN_DIGEST) => hash_len,
                Some(n) if n >= 0.0 => n as usize,
                Some(_) => return Err(JsError::range_error("Invalid PSS saltLength")),
            };
            let alg = if pss { "RSA-PSS" } else { "RSASSA-PKCS1-v1_5" };
            let params = map(vec![
                ("hash", hash.into()),
                ("saltLength", HostValue::Number(salt as f64)),
            ]);
            rsa::sign(alg, &params, &key.der, data, cancel)?
        }
        Alg::Ec(curve) => {
            let (hash, _) = web_hash(digest)?;
            let params = map(vec![("namedCurve", curve.into()), ("hash", hash.into())]);
            let rs = ec::sign(&params, &key.der, data, cancel)?;
            if options.get("dsaEncoding").and_then(HostValue::as_str) == Some("ieee-p1363") {
                rs
            } else {
                ecdsa_convert!(curve, &rs, to_der: true).ok_or_else(invalid_digest)?
            }
        }
        Alg::Ed25519 => {
            if digest.is_some() {
                return Err(invalid_digest());
            }
            ed25519::sign(&key.der, data)?
        }
        Alg::X25519 => return Err(node_error(
            "ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE",
            "error:03000096:digital envelope routines::operation not supported for this keytype",
        )),
    };
    Ok(HostValue::Bytes(signature))
}

/// `node_verify(digest, key, data, signature, options) -> bool`.
pub(crate) fn verify(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let digest = args.first().and_then(HostValue::as_str);
    let key = key_arg(args, 1)?.public()?;
    let data = bytes_arg(args, 2)?;
    let signature = bytes_arg(args, 3)?;
    let options = args.get(4).unwrap_or(&HostValue::Undefined);
    let ok = match key.alg {
        Alg::Rsa => {
            let (hash, hash_len) = web_hash(digest)?;
            let pss = option(options, "padding") == Some(RSA_PKCS1_PSS_PADDING);
            let public = RsaPublicKey::from_public_key_der(&key.der)
                .map_err(|e| JsError::type_error(e.to_string()))?;
            let bits = public.n().bits();
            // RSA_PSS_SALTLEN_AUTO: the salt lengths signers use (the
            // largest, as Node.js signs by default, and the digest's).
            let salts = match option(options, "saltLength") {
                None | Some(SALTLEN_MAX_OR_AUTO) => vec![max_salt(bits, hash_len), hash_len],
                Some(SALTLEN_DIGEST) => vec![hash_len],
                Some(n) if n >= 0.0 => vec![n as usize],
                Some(_) => return Err(JsError::range_error("Invalid PSS saltLength")),
            };
            let alg = if pss { "RSA-PSS" } else { "RSASSA-PKCS1-v1_5" };
            let mut ok = false;
            for salt in salts {
                let params = map(vec![
                    ("hash", hash.into()),
                    ("saltLength", HostValue::Number(salt as f64)),
                ]);
                if rsa::verify(alg, &params, &key.der, signature, data, cancel)? {
                    ok = true;
                    break;
                }
            }
            ok
        }
        Alg::Ec(curve) => {
            let (hash, _) = web_hash(digest)?;
            let params = map(vec![("namedCurve", curve.into()), ("hash", hash.into())]);
            let rs = if options.get("dsaEncoding").and_then(HostValue::as_str) == Some("ieee-p1363")
            {
                Some(signature.to_vec())
            } else {
                ecdsa_convert!(curve, signature, to_der: false)
            };
            match rs {
                Some(rs) => ec::verify(&params, &key.der, &rs, data, cancel)?,
                None => false,
            }
        }
        Alg::Ed25519 => {
            if digest.is_some() {
                return Err(invalid_digest());
            }
            ed25519::verify(&key.der, signature, data)?
        }
        Alg::X25519 => return Err(node_error(
            "ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE",
            "error:03000096:digital envelope routines::operation not supported for this keytype",
        )),
    };
    Ok(HostValue::Bool(ok))
}

/// `node_rsa_crypt(encrypt, key, data, padding, oaepHash, oaepLabel)`:
/// `publicEncrypt` (with the public key of `key`) and `privateDecrypt`.
pub(crate) fn rsa_crypt(args: &[HostValue]) -> Result<HostValue, JsError> {
    let encrypt = matches!(args.first(), Some(HostValue::Bool(true)));
    let key = key_arg(args, 1)?;
    let data = bytes_arg(args, 2)?;
    let padding = args.get(3).and_then(HostValue::as_f64).unwrap_or(4.0);
    if key.alg != Alg::Rsa {
        return Err(node_error(
            "ERR_OSSL_EVP_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE",
            "error:03000096:digital envelope routines::operation not supported for this keytype",
        ));
    }
    let key = if encrypt { key.public()? } else { key };
    if padding == RSA_PKCS1_PADDING && encrypt {
        let public = RsaPublicKey::from_public_key_der(&key.der)
            .map_err(|e| JsError::type_error(e.to_string()))?;
        return public
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, data)
            .map(HostValue::Bytes)
            .map_err(|_| {
                node_error(
                    "ERR_OSSL_RSA_DATA_TOO_LARGE_FOR_KEY_SIZE",
                    "error:0200006E:rsa routines::data too large for key size",
                )
            });
    }
    if padding != 4.0 {
        return Err(node_error(
            "ERR_OSSL_RSA_UNKNOWN_PADDING_TYPE",
            "error:1C8000A5:Provider routines::illegal or unsupported padding mode",
        ));
    }
    let (hash, _) = web_hash(Some(
        args.get(4).and_then(HostValue::as_str).unwrap_or("sha1"),
    ))?;
    let mut params = vec![("hash", HostValue::from(hash))];
    if let Some(label) = args.get(5).filter(|v| v.as_bytes().is_some()) {
        params.push(("label", label.clone()));
    }
    rsa::oaep(&map(params), &key.der, data, encrypt)
        .map(HostValue::Bytes)
        .map_err(|_| {
            if encrypt {
                node_error(
                    "ERR_OSSL_RSA_DATA_TOO_LARGE_FOR_KEY_SIZE",
                    "error:0200006E:rsa routines::data too large for key size",
                )
            } else {
                node_error(
                    "ERR_OSSL_RSA_OAEP_DECODING_ERROR",
                    "error:02000079:rsa routines::oaep decoding error",
                )
            }
        })
}

/// `node_dh(private key, public key) -> secret`: ECDH or X25519.
pub(crate) fn diffie_hellman(args: &[HostValue]) -> Result<HostValue, JsError> {
    let private = key_arg(args, 0)?;
    let public = key_arg(args, 1)?.public()?;
    let secret = match (private.alg, public.alg) {
        (Alg::Ec(a), Alg::Ec(b)) if a == b => ec::derive(
            &map(vec![
                ("namedCurve", a.into()),
                ("public", HostValue::Bytes(public.der)),
            ]),
            &private.der,
            None,
        )?,
        (Alg::X25519, Alg::X25519) => x25519::derive(
            &map(vec![("public", HostValue::Bytes(public.der))]),
            &private.der,
            None,
        )?,
        _ => {
            return Err(node_error(
                "ERR_CRYPTO_INCOMPATIBLE_KEY",
                "Incompatible key types for Diffie-Hellman",
            ))
        }
    };
    Ok(HostValue::Bytes(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node_crypto::keys;

    fn generated(kind: &str, options: HostValue) -> (HostValue, HostValue) {
        let pair = generate(&[kind.into(), options], &Cancel::new()).unwrap();
        (
            pair.get("private").unwrap().clone(),
            pair.get("public").unwrap().clone(),
        )
    }

    #[test]
    fn keys_survive_every_encoding_and_sign() {
        let c = &Cancel::new();
        let cases = [
            (
                "ec",
                map(vec![("namedCurve", "P-384".into())]),
                "sec1",
                Some("sha384"),
            ),
            ("ed25519", HostValue::Undefined, "pkcs8", None),
            (
                "rsa",
                map(vec![("modulusLength", 1024.0.into())]),
                "pkcs1",
                Some("sha256"),
            ),
        ];
        for (kind, options, private_type, digest) in cases {
            let (private, public) = generated(kind, options);
            for (format, ty) in [("pem", private_type), ("der", "pkcs8"), ("jwk", "")] {
                let data = match keys::export(&[private.clone(), format.into(), ty.into()]) {
                    // The prelude hands PEM text over as bytes.
                    Ok(HostValue::String(pem)) => HostValue::Bytes(pem.into_bytes()),
                    other => other.unwrap(),
                };
                let back = keys::import(&["private".into(), data, format.into(), ty.into()]);
                assert_eq!(
                    back.unwrap().get("der"),
                    private.get("der"),
                    "{kind} {format}"
                );
            }
            let derived = keys::public(std::slice::from_ref(&private)).unwrap();
            assert_eq!(derived.get("der"), public.get("der"), "{kind}");
            let digest: HostValue = digest.map_or(HostValue::Undefined, HostValue::from);
            let data: HostValue = b"data".to_vec().into();
            let sig = sign(
                &[
                    digest.clone(),
                    private.clone(),
                    data.clone(),
                    HostValue::Undefined,
                ],
                c,
            )
            .unwrap();
            let args = |d: &[u8]| {
                vec![
                    digest.clone(),
                    public.clone(),
                    d.to_vec().into(),
                    sig.clone(),
                ]
            };
            assert_eq!(verify(&args(b"data"), c).unwrap(), HostValue::Bool(true));
            assert_eq!(verify(&args(b"other"), c).unwrap(), HostValue::Bool(false));
        }
    }

    #[test]
    fn agreement_and_encryption() {
        let (a, a_pub) = generated("x25519", HostValue::Undefined);
        let (b, b_pub) = generated("x25519", HostValue::Undefined);
        assert_eq!(
            diffie_hellman(&[a.clone(), b_pub]).unwrap(),
            diffie_hellman(&[b, a_pub]).unwrap()
        );
        let (ec, _) = generated("ec", map(vec![("namedCurve", "P-256".into())]));
        let err = diffie_hellman(&[a, ec]).unwrap_err();
        assert!(
            err.message.starts_with("ERR_CRYPTO_INCOMPATIBLE_KEY:"),
            "{err}"
        );
        let (rsa, rsa_pub) = generated("rsa", map(vec![("modulusLength", 1024.0.into())]));
        let sealed = rsa_crypt(&[true.into(), rsa_pub, b"hi".to_vec().into()]).unwrap();
        let opened = rsa_crypt(&[false.into(), rsa.clone(), sealed]).unwrap();
        assert_eq!(opened, HostValue::Bytes(b"hi".to_vec()));
        let bad = rsa_crypt(&[false.into(), rsa, vec![0u8; 128].into()]).unwrap_err();
        assert!(
            bad.message.starts_with("ERR_OSSL_RSA_OAEP_DECODING_ERROR:"),
            "{bad}"
        );
    }
}
