//! X25519 key agreement (RFC 7748) and the key formats of X25519 keys.

use motu_engine::{HostValue, JsError};
use rand_core::OsRng;
use x25519_dalek::{PublicKey, StaticSecret};

use super::ec::truncate_bits;
use super::formats::{b64url, jwk_bytes, Imported};
use super::okp::{parse_private, parse_public, private_der, public_der, X25519_OID};
use super::{bytes_param, data_error, operation_error};

const WHAT: &str = "X25519";

fn secret_from(der: &[u8]) -> Result<StaticSecret, JsError> {
    parse_private::<32>(der, X25519_OID, WHAT).map(StaticSecret::from)
}

fn public_from(der: &[u8]) -> Result<PublicKey, JsError> {
    parse_public::<32>(der, X25519_OID, WHAT).map(PublicKey::from)
}

fn public_from_raw(raw: &[u8]) -> Result<PublicKey, JsError> {
    let raw: [u8; 32] = raw
        .try_into()
        .map_err(|_| data_error("An X25519 public key is 32 bytes long"))?;
    Ok(PublicKey::from(raw))
}

/// A new key pair as PKCS #8 and SPKI DER.
pub(crate) fn generate() -> Result<(Vec<u8>, Vec<u8>), JsError> {
    let secret = StaticSecret::random_from_rng(OsRng);
    let public = PublicKey::from(&secret);
    Ok((
        private_der(X25519_OID, secret.as_bytes())?,
        public_der(X25519_OID, public.as_bytes())?,
    ))
}

/// The shared secret of a PKCS #8 private key and `params.public` (SPKI),
/// cut to `length` bits when given. An all-zero result (a small-order public
/// key) is an `OperationError`, as the specification asks.
pub(crate) fn derive(
    params: &HostValue,
    key: &[u8],
    length: Option<usize>,
) -> Result<Vec<u8>, JsError> {
    let secret = secret_from(key)?;
    let public = public_from(bytes_param(params, "public")?)?;
    let shared = secret.diffie_hellman(&public);
    if !shared.was_contributory() {
        return Err(operation_error(
            "X25519: the shared secret is all zeros (small-order public key)",
        ));
    }
    truncate_bits(shared.as_bytes().to_vec(), length)
}

/// Imports an X25519 key from `format` (`raw`, `spki`, `pkcs8` or a JWK map).
pub(crate) fn import(format: &str, data: &HostValue) -> Result<Imported, JsError> {
    let bytes = || {
        data.as_bytes()
            .ok_or_else(|| JsError::type_error("key data must be bytes"))
    };
    match format {
        "raw" => Ok(Imported::public(public_der(
            X25519_OID,
            public_from_raw(bytes()?)?.as_bytes(),
        )?)),
        "spki" => Ok(Imported::public(public_der(
            X25519_OID,
            public_from(bytes()?)?.as_bytes(),
        )?)),
        "pkcs8" => Ok(Imported::private(private_der(
            X25519_OID,
            secret_from(bytes()?)?.as_bytes(),
        )?)),
        _ => {
            if data.get("crv").and_then(HostValue::as_str) != Some(WHAT) {
                return Err(data_error("JWK crv must be X25519"));
            }
            let public = public_from_raw(&jwk_bytes(data, "x")?)?;
            match data.get("d") {
                None | Some(HostValue::Undefined) => {
                    Ok(Imported::public(public_der(X25519_OID, public.as_bytes())?))
                }
                Some(_) => {
                    let d: [u8; 32] = jwk_bytes(data, "d")?
                        .try_into()
                        .map_err(|_| data_error("JWK d must be 32 bytes long"))?;
                    let secret = StaticSecret::from(d);
                    if PublicKey::from(&secret) != public {
                        return Err(data_error("JWK d does not match x"));
                    }
                    Ok(Imported::private(private_der(
                        X25519_OID,
                        secret.as_bytes(),
                    )?))
                }
            }
        }
    }
}

/// Exports an X25519 key (`der` as kept by a `CryptoKey`) as `format`.
pub(crate) fn export(format: &str, private: bool, der: &[u8]) -> Result<HostValue, JsError> {
    let (public, secret) = if private {
        let secret = secret_from(der)?;
        (PublicKey::from(&secret), Some(secret))
    } else {
        (public_from(der)?, None)
    };
    match format {
        "raw" => Ok(HostValue::Bytes(public.as_bytes().to_vec())),
        "spki" | "pkcs8" => Ok(HostValue::Bytes(der.to_vec())),
        _ => {
            let mut jwk = vec![
                ("kty".to_owned(), HostValue::from("OKP")),
                ("crv".to_owned(), HostValue::from(WHAT)),
                ("x".to_owned(), HostValue::String(b64url(public.as_bytes()))),
            ];
            if let Some(secret) = secret {
                jwk.push(("d".to_owned(), HostValue::String(b64url(secret.as_bytes()))));
            }
            Ok(HostValue::Map(jwk))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::test_util::{map, unhex};

    #[test]
    fn rfc_7748_section_6_1() {
        let alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let alice_pub = unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let bob_pub = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let shared = unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        let jwk = HostValue::Map(vec![
            ("kty".into(), "OKP".into()),
            ("crv".into(), "X25519".into()),
            ("x".into(), b64url(&alice_pub).into()),
            ("d".into(), b64url(&alice).into()),
        ]);
        let private = import("jwk", &jwk).unwrap();
        assert_eq!(private.kind, "private");
        let bob = import("raw", &bob_pub.clone().into()).unwrap();
        let params = map(&[("public", bob.data.clone().into())]);
        assert_eq!(derive(&params, &private.data, None).unwrap(), shared);
        assert_eq!(
            derive(&params, &private.data, Some(12)).unwrap(),
            [0x4a, 0x50]
        );
        assert_eq!(
            derive(&params, &private.data, Some(264)).unwrap_err().name,
            "OperationError"
        );
        assert_eq!(export("jwk", true, &private.data).unwrap(), jwk);
        assert_eq!(export("raw", false, &bob.data).unwrap(), bob_pub.into());
        let pkcs8 = export("pkcs8", true, &private.data).unwrap();
        assert_eq!(import("pkcs8", &pkcs8).unwrap().data, private.data);
    }

    #[test]
    fn bad_keys_are_data_errors_and_zero_secrets_operation_errors() {
        assert_eq!(
            import("raw", &vec![0u8; 31].into()).unwrap_err().name,
            "DataError"
        );
        let (ed_private, _) = crate::crypto::ed25519::generate().unwrap();
        assert_eq!(
            import("pkcs8", &ed_private.into()).unwrap_err().name,
            "DataError"
        );
        let (private, _) = generate().unwrap();
        let zero = import("raw", &vec![0u8; 32].into()).unwrap();
        let params = map(&[("public", zero.data.into())]);
        assert_eq!(
            derive(&params, &private, None).unwrap_err().name,
            "OperationError"
        );
    }
}
