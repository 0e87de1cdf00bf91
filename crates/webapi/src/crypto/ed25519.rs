//! Ed25519 signatures and the key formats of Ed25519 keys.

use ed25519_dalek::pkcs8::KeypairBytes;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use motu_engine::{HostValue, JsError};
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rand_core::OsRng;
use spki::{DecodePublicKey, EncodePublicKey};

use super::formats::{b64url, jwk_bytes, Imported};
use super::{data_error, operation_error};

fn signing_key(der: &[u8]) -> Result<SigningKey, JsError> {
    let pair = KeypairBytes::from_pkcs8_der(der)
        .map_err(|e| data_error(format!("Invalid Ed25519 key: {e}")))?;
    SigningKey::try_from(&pair).map_err(|e| data_error(format!("Invalid Ed25519 key: {e}")))
}

fn verifying_key(der: &[u8]) -> Result<VerifyingKey, JsError> {
    VerifyingKey::from_public_key_der(der)
        .map_err(|e| data_error(format!("Invalid Ed25519 key: {e}")))
}

/// PKCS #8 (version 1, without the public key, as browsers write it).
fn private_der(key: &SigningKey) -> Result<Vec<u8>, JsError> {
    let pair = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    Ok(pair
        .to_pkcs8_der()
        .map_err(|e| operation_error(e.to_string()))?
        .as_bytes()
        .to_vec())
}

fn public_der(key: &VerifyingKey) -> Result<Vec<u8>, JsError> {
    Ok(key
        .to_public_key_der()
        .map_err(|e| operation_error(e.to_string()))?
        .into_vec())
}

/// The signature of `data` under a PKCS #8 private key.
pub(crate) fn sign(key: &[u8], data: &[u8]) -> Result<Vec<u8>, JsError> {
    Ok(signing_key(key)?.sign(data).to_bytes().to_vec())
}

/// Whether `signature` is a valid signature of `data` under an SPKI key.
/// Verification is strict (RFC 8032's cofactorless check, and neither the
/// key nor the signature's R may be a point of small order), so one
/// signature cannot be valid for many messages.
pub(crate) fn verify(key: &[u8], signature: &[u8], data: &[u8]) -> Result<bool, JsError> {
    let key = verifying_key(key)?;
    let Ok(signature) = Signature::from_slice(signature) else {
        return Ok(false);
    };
    Ok(key.verify_strict(data, &signature).is_ok())
}

/// A new key pair as PKCS #8 and SPKI DER.
pub(crate) fn generate() -> Result<(Vec<u8>, Vec<u8>), JsError> {
    let key = SigningKey::generate(&mut OsRng);
    Ok((private_der(&key)?, public_der(&key.verifying_key())?))
}

/// Imports an Ed25519 key from `format` (`raw`, `spki`, `pkcs8` or a JWK map).
pub(crate) fn import(format: &str, data: &HostValue) -> Result<Imported, JsError> {
    let bytes = || {
        data.as_bytes()
            .ok_or_else(|| JsError::type_error("key data must be bytes"))
    };
    let public_from_raw = |raw: &[u8]| {
        let raw: [u8; 32] = raw
            .try_into()
            .map_err(|_| data_error("An Ed25519 public key is 32 bytes long"))?;
        VerifyingKey::from_bytes(&raw).map_err(|e| data_error(format!("Invalid Ed25519 key: {e}")))
    };
    match format {
        "raw" => Ok(Imported::public(public_der(&public_from_raw(bytes()?)?)?)),
        "spki" => Ok(Imported::public(public_der(&verifying_key(bytes()?)?)?)),
        "pkcs8" => Ok(Imported::private(private_der(&signing_key(bytes()?)?)?)),
        _ => {
            if data.get("crv").and_then(HostValue::as_str) != Some("Ed25519") {
                return Err(data_error("JWK crv must be Ed25519"));
            }
            let public = public_from_raw(&jwk_bytes(data, "x")?)?;
            match data.get("d") {
                None | Some(HostValue::Undefined) => Ok(Imported::public(public_der(&public)?)),
                Some(_) => {
                    let d: [u8; 32] = jwk_bytes(data, "d")?
                        .try_into()
                        .map_err(|_| data_error("JWK d must be 32 bytes long"))?;
                    let key = SigningKey::from_bytes(&d);
                    if key.verifying_key() != public {
                        return Err(data_error("JWK d does not match x"));
                    }
                    Ok(Imported::private(private_der(&key)?))
                }
            }
        }
    }
}

/// Exports an Ed25519 key (`der` as kept by a `CryptoKey`) as `format`.
pub(crate) fn export(format: &str, private: bool, der: &[u8]) -> Result<HostValue, JsError> {
    let (public, secret) = if private {
        let key = signing_key(der)?;
        (key.verifying_key(), Some(key))
    } else {
        (verifying_key(der)?, None)
    };
    match format {
        "raw" => Ok(HostValue::Bytes(public.to_bytes().to_vec())),
        "spki" | "pkcs8" => Ok(HostValue::Bytes(der.to_vec())),
        _ => {
            let mut jwk = vec![
                ("kty".to_owned(), HostValue::from("OKP")),
                ("crv".to_owned(), HostValue::from("Ed25519")),
                ("x".to_owned(), HostValue::String(b64url(public.as_bytes()))),
            ];
            if let Some(secret) = secret {
                jwk.push((
                    "d".to_owned(),
                    HostValue::String(b64url(&secret.to_bytes())),
                ));
            }
            Ok(HostValue::Map(jwk))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::unhex;

    #[test]
    fn rfc_8032_test_1_through_jwk() {
        let d = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let x = unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let jwk = HostValue::Map(vec![
            ("kty".into(), "OKP".into()),
            ("crv".into(), "Ed25519".into()),
            ("x".into(), b64url(&x).into()),
            ("d".into(), b64url(&d).into()),
        ]);
        let private = import("jwk", &jwk).unwrap();
        assert_eq!(private.kind, "private");
        assert_eq!(private.data.len(), 48);
        let sig = sign(&private.data, b"").unwrap();
        assert_eq!(
            sig,
            unhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        );
        let public = import("raw", &x.clone().into()).unwrap();
        assert!(verify(&public.data, &sig, b"").unwrap());
        assert!(!verify(&public.data, &sig, b"x").unwrap());
        assert_eq!(export("raw", false, &public.data).unwrap(), x.into());
        assert_eq!(export("jwk", true, &private.data).unwrap(), jwk);
        assert_eq!(
            import("raw", &vec![0u8; 31].into()).unwrap_err().name,
            "DataError"
        );
    }
}
