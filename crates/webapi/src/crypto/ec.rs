//! ECDSA and ECDH on P-256, P-384 and P-521, and the key formats of EC keys.

use ecdsa::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use motu_engine::{HostValue, JsError};
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand_core::OsRng;
use spki::{DecodePublicKey, EncodePublicKey};

use super::formats::{b64url, jwk_bytes, Imported};
use super::{
    bytes_param, data_error, hash_param, invalid_access, not_supported, operation_error, str_param,
};
use crate::work::Cancel;

/// Runs `$body` with `$m` naming the crate (`p256`, `p384` or `p521`) of
/// `$curve`.
macro_rules! with_curve {
    ($curve:expr, $m:ident => $body:expr) => {
        match $curve {
            "P-256" => {
                use p256 as $m;
                $body
            }
            "P-384" => {
                use p384 as $m;
                $body
            }
            "P-521" => {
                use p521 as $m;
                $body
            }
            other => Err(not_supported(format!("Unsupported named curve: {other}"))),
        }
    };
}

fn curve(params: &HostValue) -> Result<&str, JsError> {
    str_param(params, "namedCurve")
}

/// A hash as ECDSA takes it: hashes shorter than the curve's field are
/// left-padded with zeros, which leaves their integer value unchanged.
fn prehash(digest: Vec<u8>, field_len: usize) -> Vec<u8> {
    if digest.len() >= field_len {
        return digest;
    }
    let mut padded = vec![0; field_len - digest.len()];
    padded.extend_from_slice(&digest);
    padded
}

/// An ECDSA signature (`r || s`) of `data` under a PKCS #8 private key.
pub(crate) fn sign(
    params: &HostValue,
    key: &[u8],
    data: &[u8],
    cancel: &Cancel,
) -> Result<Vec<u8>, JsError> {
    let digest = hash_param(params)?.digest_checked(data, cancel)?;
    with_curve!(curve(params)?, m => {
        let secret = m::SecretKey::from_pkcs8_der(key).map_err(|e| data_error(e.to_string()))?;
        let signer = m::ecdsa::SigningKey::from_bytes(&secret.to_bytes())
            .map_err(|e| data_error(e.to_string()))?;
        let field_len = secret.to_bytes().len();
        let signature: m::ecdsa::Signature = signer
            .sign_prehash(&prehash(digest, field_len))
            .map_err(|e| operation_error(e.to_string()))?;
        Ok(signature.to_bytes().to_vec())
    })
}

/// Whether `signature` (`r || s`) is an ECDSA signature of `data` under an
/// SPKI public key. A signature of the wrong length is simply not valid.
pub(crate) fn verify(
    params: &HostValue,
    key: &[u8],
    signature: &[u8],
    data: &[u8],
    cancel: &Cancel,
) -> Result<bool, JsError> {
    let digest = hash_param(params)?.digest_checked(data, cancel)?;
    with_curve!(curve(params)?, m => {
        let public = m::PublicKey::from_public_key_der(key).map_err(|e| data_error(e.to_string()))?;
        let verifier = m::ecdsa::VerifyingKey::from_affine(*public.as_affine())
            .map_err(|e| data_error(e.to_string()))?;
        let field_len = m::FieldBytes::default().len();
        let Ok(signature) = m::ecdsa::Signature::from_slice(signature) else {
            return Ok(false);
        };
        Ok(verifier.verify_prehash(&prehash(digest, field_len), &signature).is_ok())
    })
}

/// A new key pair on `params.namedCurve`, as PKCS #8 and SPKI DER.
pub(crate) fn generate(params: &HostValue) -> Result<(Vec<u8>, Vec<u8>), JsError> {
    with_curve!(curve(params)?, m => {
        let secret = m::SecretKey::random(&mut OsRng);
        Ok((private_der(&secret)?, public_der(&secret.public_key())?))
    })
}

/// ECDH: the shared secret of a PKCS #8 private key and `params.public`
/// (SPKI), cut to `length` bits when given.
pub(crate) fn derive(
    params: &HostValue,
    key: &[u8],
    length: Option<usize>,
) -> Result<Vec<u8>, JsError> {
    let public = bytes_param(params, "public")?;
    let secret = with_curve!(curve(params)?, m => {
        let secret = m::SecretKey::from_pkcs8_der(key).map_err(|e| data_error(e.to_string()))?;
        let public = m::PublicKey::from_public_key_der(public)
            .map_err(|_| invalid_access("ECDH: the public key is not on the same curve"))?;
        let shared = m::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
        Ok(shared.raw_secret_bytes().to_vec())
    })?;
    truncate_bits(secret, length)
}

/// The first `length` bits of `bytes` (all of them for `None`), or an
/// `OperationError` when there are fewer.
pub(crate) fn truncate_bits(mut bytes: Vec<u8>, length: Option<usize>) -> Result<Vec<u8>, JsError> {
    let Some(length) = length else {
        return Ok(bytes);
    };
    if length > bytes.len() * 8 {
        return Err(operation_error(format!(
            "Cannot derive {length} bits: only {} are available",
            bytes.len() * 8
        )));
    }
    bytes.truncate(length.div_ceil(8));
    if length % 8 != 0 {
        if let Some(last) = bytes.last_mut() {
            *last &= 0xffu8 << (8 - length % 8);
        }
    }
    Ok(bytes)
}

fn private_der(secret: &impl EncodePrivateKey) -> Result<Vec<u8>, JsError> {
    Ok(secret
        .to_pkcs8_der()
        .map_err(|e| operation_error(e.to_string()))?
        .as_bytes()
        .to_vec())
}

fn public_der(public: &impl EncodePublicKey) -> Result<Vec<u8>, JsError> {
    Ok(public
        .to_public_key_der()
        .map_err(|e| operation_error(e.to_string()))?
        .into_vec())
}

/// Imports an EC key on `curve` from `format` (`raw`, `spki`, `pkcs8` or a
/// JWK map).
pub(crate) fn import(format: &str, curve: &str, data: &HostValue) -> Result<Imported, JsError> {
    let bytes = || {
        data.as_bytes()
            .ok_or_else(|| JsError::type_error("key data must be bytes"))
    };
    let bad = |e: &dyn std::fmt::Display| data_error(format!("Invalid {curve} key: {e}"));
    with_curve!(curve, m => match format {
        "raw" => {
            let public = m::PublicKey::from_sec1_bytes(bytes()?).map_err(|e| bad(&e))?;
            Ok(Imported::public(public_der(&public)?))
        }
        "spki" => {
            let public = m::PublicKey::from_public_key_der(bytes()?).map_err(|e| bad(&e))?;
            Ok(Imported::public(public_der(&public)?))
        }
        "pkcs8" => {
            let secret = m::SecretKey::from_pkcs8_der(bytes()?).map_err(|e| bad(&e))?;
            Ok(Imported::private(private_der(&secret)?))
        }
        _ => {
            if data.get("crv").and_then(HostValue::as_str) != Some(curve) {
                return Err(data_error(format!("JWK crv must be {curve}")));
            }
            let x = jwk_bytes(data, "x")?;
            let y = jwk_bytes(data, "y")?;
            let size = m::FieldBytes::default().len();
            if x.len() != size || y.len() != size {
                return Err(data_error("JWK x and y have the wrong length"));
            }
            let point = m::EncodedPoint::from_affine_coordinates(
                m::FieldBytes::from_slice(&x),
                m::FieldBytes::from_slice(&y),
                false,
            );
            let public = Option::<m::PublicKey>::from(m::PublicKey::from_encoded_point(&point))
                .ok_or_else(|| data_error("JWK x and y are not a point on the curve"))?;
            match data.get("d") {
                None | Some(HostValue::Undefined) => Ok(Imported::public(public_der(&public)?)),
                Some(_) => {
                    let d = jwk_bytes(data, "d")?;
                    if d.len() != size {
                        return Err(data_error("JWK d has the wrong length"));
                    }
                    let secret = m::SecretKey::from_slice(&d).map_err(|e| bad(&e))?;
                    if secret.public_key() != public {
                        return Err(data_error("JWK d does not match x and y"));
                    }
                    Ok(Imported::private(private_der(&secret)?))
                }
            }
        }
    })
}

/// Exports an EC key (`der` as kept by a `CryptoKey`) as `format`.
pub(crate) fn export(
    format: &str,
    curve: &str,
    private: bool,
    der: &[u8],
) -> Result<HostValue, JsError> {
    let bad = |e: &dyn std::fmt::Display| operation_error(format!("Invalid {curve} key: {e}"));
    with_curve!(curve, m => {
        let (public, secret) = if private {
            let secret = m::SecretKey::from_pkcs8_der(der).map_err(|e| bad(&e))?;
            (secret.public_key(), Some(secret))
        } else {
            (m::PublicKey::from_public_key_der(der).map_err(|e| bad(&e))?, None)
        };
        let point = public.to_encoded_point(false);
        match format {
            "raw" => Ok(HostValue::Bytes(point.as_bytes().to_vec())),
            "spki" | "pkcs8" => Ok(HostValue::Bytes(der.to_vec())),
            _ => {
                let coordinate = |c: Option<&m::FieldBytes>| HostValue::String(b64url(c.map_or(&[][..], |c| c.as_slice())));
                let mut jwk = vec![
                    ("kty".to_owned(), HostValue::from("EC")),
                    ("crv".to_owned(), HostValue::from(curve)),
                    ("x".to_owned(), coordinate(point.x())),
                    ("y".to_owned(), coordinate(point.y())),
                ];
                if let Some(secret) = secret {
                    jwk.push(("d".to_owned(), HostValue::String(b64url(&secret.to_bytes()))));
                }
                Ok(HostValue::Map(jwk))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::map;

    #[test]
    fn keys_round_trip_through_every_format() {
        for crv in ["P-256", "P-384", "P-521"] {
            let (private, public) = generate(&map(&[("namedCurve", crv.into())])).unwrap();
            let jwk = export("jwk", crv, true, &private).unwrap();
            assert_eq!(jwk.get("kty"), Some(&"EC".into()));
            let back = import("jwk", crv, &jwk).unwrap();
            assert_eq!((back.kind, &back.data), ("private", &private));
            let public_jwk = export("jwk", crv, false, &public).unwrap();
            assert_eq!(import("jwk", crv, &public_jwk).unwrap().data, public);
            let raw = export("raw", crv, false, &public).unwrap();
            assert_eq!(import("raw", crv, &raw).unwrap().data, public);
            assert_eq!(
                import("spki", crv, &public.clone().into()).unwrap().data,
                public
            );
            assert_eq!(
                import("pkcs8", crv, &private.clone().into()).unwrap().kind,
                "private"
            );
        }
    }

    #[test]
    fn bad_key_data_is_a_data_error() {
        assert_eq!(
            import("spki", "P-256", &vec![1, 2, 3].into())
                .unwrap_err()
                .name,
            "DataError"
        );
        let (_, p384) = generate(&map(&[("namedCurve", "P-384".into())])).unwrap();
        assert_eq!(
            import("spki", "P-256", &p384.into()).unwrap_err().name,
            "DataError"
        );
        let jwk = map(&[
            ("kty", "EC".into()),
            ("crv", "P-256".into()),
            ("x", "AAAA".into()),
            ("y", "AAAA".into()),
        ]);
        assert_eq!(import("jwk", "P-256", &jwk).unwrap_err().name, "DataError");
    }

    #[test]
    fn signatures_verify_and_ecdh_agrees() {
        let p = map(&[("namedCurve", "P-256".into()), ("hash", "SHA-256".into())]);
        let (private, public) = generate(&p).unwrap();
        let c = &Cancel::new();
        let sig = sign(&p, &private, b"msg", c).unwrap();
        assert_eq!(sig.len(), 64);
        assert!(verify(&p, &public, &sig, b"msg", c).unwrap());
        assert!(!verify(&p, &public, &sig, b"other", c).unwrap());
        assert!(!verify(&p, &public, &sig[1..], b"msg", c).unwrap());
        let (private2, public2) = generate(&p).unwrap();
        let ab = derive(
            &map(&[("namedCurve", "P-256".into()), ("public", public2.into())]),
            &private,
            None,
        )
        .unwrap();
        let ba = derive(
            &map(&[("namedCurve", "P-256".into()), ("public", public.into())]),
            &private2,
            Some(100),
        )
        .unwrap();
        assert_eq!(ba.len(), 13);
        assert_eq!(&ab[..12], &ba[..12]);
        assert_eq!(ab[12] & 0xf0, ba[12]);
    }
}
