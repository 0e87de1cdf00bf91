//! RSASSA-PKCS1-v1_5, RSA-PSS and RSA-OAEP, and the key formats of RSA keys.

use ::rsa::traits::{PrivateKeyParts, PublicKeyParts};
use ::rsa::{BigUint, Oaep, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};
use motu_engine::{HostValue, JsError};
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand_core::OsRng;
use sha2::Digest;
use spki::{DecodePublicKey, EncodePublicKey};

use super::digest::with_hash;
use super::formats::{b64url, jwk_bytes, Imported};
use super::{
    bytes_param, data_error, hash_param, not_supported, operation_error, opt_bytes_param,
    uint_param,
};
use crate::work::Cancel;

/// The largest modulus `generateKey` makes: generation time grows fast
/// with the size (a 4096-bit key takes seconds of CPU time).
const MAX_GENERATED_BITS: u64 = 4096;

fn private_key(der: &[u8]) -> Result<RsaPrivateKey, JsError> {
    RsaPrivateKey::from_pkcs8_der(der).map_err(|e| data_error(format!("Invalid RSA key: {e}")))
}

fn public_key(der: &[u8]) -> Result<RsaPublicKey, JsError> {
    RsaPublicKey::from_public_key_der(der).map_err(|e| data_error(format!("Invalid RSA key: {e}")))
}

fn private_der(key: &RsaPrivateKey) -> Result<Vec<u8>, JsError> {
    Ok(key
        .to_pkcs8_der()
        .map_err(|e| operation_error(e.to_string()))?
        .as_bytes()
        .to_vec())
}

fn public_der(key: &RsaPublicKey) -> Result<Vec<u8>, JsError> {
    Ok(key
        .to_public_key_der()
        .map_err(|e| operation_error(e.to_string()))?
        .into_vec())
}

/// `modulusLength` and `publicExponent` of a key, for its `algorithm`.
fn info(key: &impl PublicKeyParts) -> Vec<(String, HostValue)> {
    vec![
        (
            "modulusLength".into(),
            HostValue::Number(key.n().bits() as f64),
        ),
        (
            "publicExponent".into(),
            HostValue::Bytes(key.e().to_bytes_be()),
        ),
    ]
}

/// `params.saltLength`, refused when longer than the modulus (the `rsa`
/// crate allocates the salt before it checks its length).
fn salt_length(params: &HostValue, key: &impl PublicKeyParts) -> Result<usize, JsError> {
    let salt = uint_param(params, "saltLength")? as usize;
    if salt > key.size() {
        return Err(operation_error(
            "RSA-PSS: saltLength is too large for the key",
        ));
    }
    Ok(salt)
}

/// A signature of `data` with `alg` (`RSASSA-PKCS1-v1_5` or `RSA-PSS`)
/// under a PKCS #8 private key.
pub(crate) fn sign(
    alg: &str,
    params: &HostValue,
    key: &[u8],
    data: &[u8],
    cancel: &Cancel,
) -> Result<Vec<u8>, JsError> {
    let hash = hash_param(params)?;
    let key = private_key(key)?;
    let hashed = hash.digest_checked(data, cancel)?;
    let result = with_hash!(hash, D => if alg == "RSA-PSS" {
        let salt = salt_length(params, &key)?;
        key.sign_with_rng(&mut OsRng, Pss::new_with_salt::<D>(salt), &hashed)
    } else {
        key.sign_with_rng(&mut OsRng, Pkcs1v15Sign::new::<D>(), &hashed)
    });
    result.map_err(|e| operation_error(format!("RSA signing failed: {e}")))
}

/// Whether `signature` is a valid `alg` signature of `data` under an SPKI key.
pub(crate) fn verify(
    alg: &str,
    params: &HostValue,
    key: &[u8],
    signature: &[u8],
    data: &[u8],
    cancel: &Cancel,
) -> Result<bool, JsError> {
    let hash = hash_param(params)?;
    let key = public_key(key)?;
    let hashed = hash.digest_checked(data, cancel)?;
    let result = with_hash!(hash, D => if alg == "RSA-PSS" {
        let salt = match salt_length(params, &key) {
            Ok(salt) => salt,
            Err(_) => return Ok(false),
        };
        key.verify(Pss::new_with_salt::<D>(salt), &hashed, signature)
    } else {
        key.verify(Pkcs1v15Sign::new::<D>(), &hashed, signature)
    });
    Ok(result.is_ok())
}

/// RSA-OAEP encryption (with an SPKI key) or decryption (PKCS #8).
pub(crate) fn oaep(
    params: &HostValue,
    key: &[u8],
    data: &[u8],
    encrypt: bool,
) -> Result<Vec<u8>, JsError> {
    let hash = hash_param(params)?;
    let label = match opt_bytes_param(params, "label")? {
        None | Some([]) => None,
        Some(bytes) => Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
            not_supported("RSA-OAEP: labels that are not UTF-8 text are not supported")
        })?),
    };
    let padding = with_hash!(hash, D => Oaep {
        digest: Box::new(D::new()),
        mgf_digest: Box::new(D::new()),
        label,
    });
    if encrypt {
        public_key(key)?
            .encrypt(&mut OsRng, padding, data)
            .map_err(|e| operation_error(format!("RSA-OAEP encryption failed: {e}")))
    } else {
        private_key(key)?
            .decrypt_blinded(&mut OsRng, padding, data)
            .map_err(|_| operation_error("RSA-OAEP decryption failed"))
    }
}

/// A new key pair of `params.modulusLength` bits with the exponent
/// `params.publicExponent` (3 or 65537), as PKCS #8 and SPKI DER. The prime
/// search draws each candidate from `cancel`'s randomness, so it stops soon
/// after `cancel` is set.
pub(crate) fn generate(params: &HostValue, cancel: &Cancel) -> Result<(Vec<u8>, Vec<u8>), JsError> {
    let bits = uint_param(params, "modulusLength")?;
    let exponent = BigUint::from_bytes_be(bytes_param(params, "publicExponent")?);
    if exponent != BigUint::from(65537u32) && exponent != BigUint::from(3u32) {
        return Err(operation_error(
            "RSA: the public exponent must be 3 or 65537",
        ));
    }
    if !(512..=MAX_GENERATED_BITS).contains(&bits) || bits % 8 != 0 {
        return Err(operation_error(format!(
            "RSA: generated moduli are 512 to {MAX_GENERATED_BITS} bits long, a multiple of 8"
        )));
    }
    let key = RsaPrivateKey::new_with_exp(&mut cancel.rng(), bits as usize, &exponent)
        .map_err(|e| operation_error(format!("RSA key generation failed: {e}")))?;
    Ok((private_der(&key)?, public_der(&key.to_public_key())?))
}

fn jwk_int(jwk: &HostValue, member: &str) -> Result<BigUint, JsError> {
    Ok(BigUint::from_bytes_be(&jwk_bytes(jwk, member)?))
}

/// Imports an RSA key from `format` (`spki`, `pkcs8` or a JWK map).
pub(crate) fn import(format: &str, data: &HostValue) -> Result<Imported, JsError> {
    let bytes = || {
        data.as_bytes()
            .ok_or_else(|| JsError::type_error("key data must be bytes"))
    };
    let checked = |key: RsaPrivateKey| -> Result<Imported, JsError> {
        key.validate()
            .map_err(|e| data_error(format!("Invalid RSA key: {e}")))?;
        Ok(Imported::private(private_der(&key)?).with(info(&key)))
    };
    match format {
        "spki" => {
            let key = public_key(bytes()?)?;
            Ok(Imported::public(public_der(&key)?).with(info(&key)))
        }
        "pkcs8" => checked(private_key(bytes()?)?),
        "jwk" => {
            let n = jwk_int(data, "n")?;
            let e = jwk_int(data, "e")?;
            match data.get("d") {
                None | Some(HostValue::Undefined) => {
                    let key = RsaPublicKey::new(n, e)
                        .map_err(|e| data_error(format!("Invalid RSA key: {e}")))?;
                    Ok(Imported::public(public_der(&key)?).with(info(&key)))
                }
                Some(_) => {
                    let d = jwk_int(data, "d")?;
                    let primes = vec![jwk_int(data, "p")?, jwk_int(data, "q")?];
                    let (dp, dq, qi) = (
                        jwk_int(data, "dp")?,
                        jwk_int(data, "dq")?,
                        jwk_int(data, "qi")?,
                    );
                    let key = RsaPrivateKey::from_components(n, e, d, primes)
                        .map_err(|e| data_error(format!("Invalid RSA key: {e}")))?;
                    let consistent = key.dp() == Some(&dp)
                        && key.dq() == Some(&dq)
                        && key.crt_coefficient().as_ref() == Some(&qi);
                    if !consistent {
                        return Err(data_error("JWK dp, dq and qi do not match the key"));
                    }
                    checked(key)
                }
            }
        }
        other => Err(not_supported(format!(
            "RSA keys cannot be imported as {other}"
        ))),
    }
}

/// Exports an RSA key (`der` as kept by a `CryptoKey`) as `format`.
pub(crate) fn export(format: &str, private: bool, der: &[u8]) -> Result<HostValue, JsError> {
    match format {
        "spki" | "pkcs8" => Ok(HostValue::Bytes(der.to_vec())),
        "jwk" => {
            let int = |v: &BigUint| HostValue::String(b64url(&v.to_bytes_be()));
            if !private {
                let key = public_key(der)?;
                return Ok(HostValue::Map(vec![
                    ("kty".into(), "RSA".into()),
                    ("n".into(), int(key.n())),
                    ("e".into(), int(key.e())),
                ]));
            }
            let key = private_key(der)?;
            let [p, q] = key.primes() else {
                return Err(not_supported("RSA keys with more than two primes"));
            };
            let missing = || operation_error("RSA key without CRT values");
            let (dp, dq) = (key.dp().ok_or_else(missing)?, key.dq().ok_or_else(missing)?);
            let qi = key.crt_coefficient().ok_or_else(missing)?;
            Ok(HostValue::Map(vec![
                ("kty".into(), "RSA".into()),
                ("n".into(), int(key.n())),
                ("e".into(), int(key.e())),
                ("d".into(), int(key.d())),
                ("p".into(), int(p)),
                ("q".into(), int(q)),
                ("dp".into(), int(dp)),
                ("dq".into(), int(dq)),
                ("qi".into(), int(&qi)),
            ]))
        }
        other => Err(not_supported(format!(
            "RSA keys cannot be exported as {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::map;

    #[test]
    fn keys_round_trip_and_sign() {
        let gen = map(&[
            ("modulusLength", 1024.0.into()),
            ("publicExponent", vec![1, 0, 1].into()),
        ]);
        let c = &Cancel::new();
        let (private, public) = generate(&gen, c).unwrap();
        let jwk = export("jwk", true, &private).unwrap();
        let back = import("jwk", &jwk).unwrap();
        assert_eq!((back.kind, &back.data), ("private", &private));
        assert_eq!(back.info[0].1, HostValue::Number(1024.0));
        let public_jwk = export("jwk", false, &public).unwrap();
        assert_eq!(import("jwk", &public_jwk).unwrap().data, public);
        assert_eq!(import("spki", &public.clone().into()).unwrap().data, public);
        for (alg, p) in [
            ("RSASSA-PKCS1-v1_5", map(&[("hash", "SHA-256".into())])),
            (
                "RSA-PSS",
                map(&[("hash", "SHA-384".into()), ("saltLength", 32.0.into())]),
            ),
        ] {
            let sig = sign(alg, &p, &private, b"msg", c).unwrap();
            assert!(verify(alg, &p, &public, &sig, b"msg", c).unwrap());
            assert!(!verify(alg, &p, &public, &sig, b"msh", c).unwrap());
        }
        let huge = map(&[("hash", "SHA-256".into()), ("saltLength", 4e9.into())]);
        assert_eq!(
            sign("RSA-PSS", &huge, &private, b"m", c).unwrap_err().name,
            "OperationError"
        );
        assert!(!verify("RSA-PSS", &huge, &public, &[0; 128], b"m", c).unwrap());
        let p = map(&[("hash", "SHA-256".into()), ("label", b"l".to_vec().into())]);
        let ct = oaep(&p, &public, b"secret", true).unwrap();
        assert_eq!(oaep(&p, &private, &ct, false).unwrap(), b"secret");
        assert_eq!(
            oaep(&p, &private, &ct[1..], false).unwrap_err().name,
            "OperationError"
        );
    }

    #[test]
    fn bad_input_is_refused() {
        let gen = map(&[
            ("modulusLength", 1024.0.into()),
            ("publicExponent", vec![7].into()),
        ]);
        assert_eq!(
            generate(&gen, &Cancel::new()).unwrap_err().name,
            "OperationError"
        );
        assert_eq!(
            import("pkcs8", &vec![0x30, 0].into()).unwrap_err().name,
            "DataError"
        );
        let jwk = map(&[("kty", "RSA".into()), ("n", "AQAB".into())]);
        assert_eq!(import("jwk", &jwk).unwrap_err().name, "DataError");
    }
}
