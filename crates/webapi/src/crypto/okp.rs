//! The DER forms of "octet key pair" keys (RFC 8410): a private key is a
//! PKCS #8 `PrivateKeyInfo` whose key is an OCTET STRING of the raw secret,
//! a public key a `SubjectPublicKeyInfo` whose key is the raw public bytes;
//! the algorithm identifier is the curve's OID without parameters.

use pkcs8::der::asn1::{BitStringRef, OctetStringRef};
use pkcs8::der::{Decode, Encode};
use pkcs8::{AlgorithmIdentifierRef, ObjectIdentifier, PrivateKeyInfo};
use spki::SubjectPublicKeyInfoRef;

use motu_engine::JsError;

use super::{data_error, operation_error};

/// The OID of X25519 keys (RFC 8410).
pub(crate) const X25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");

fn algorithm(oid: ObjectIdentifier) -> AlgorithmIdentifierRef<'static> {
    AlgorithmIdentifierRef {
        oid,
        parameters: None,
    }
}

/// Checks an algorithm identifier: the expected OID and no parameters.
fn check_algorithm(
    found: &AlgorithmIdentifierRef<'_>,
    oid: ObjectIdentifier,
    what: &str,
) -> Result<(), JsError> {
    if found.oid != oid {
        return Err(data_error(format!("The key is not an {what} key")));
    }
    if found.parameters.is_some() {
        return Err(data_error(format!(
            "An {what} key's algorithm takes no parameters"
        )));
    }
    Ok(())
}

/// A PKCS #8 (version 1) private key of the curve `oid` holding `secret`.
pub(crate) fn private_der(oid: ObjectIdentifier, secret: &[u8]) -> Result<Vec<u8>, JsError> {
    let inner = OctetStringRef::new(secret)
        .and_then(|s| s.to_der())
        .map_err(|e| operation_error(e.to_string()))?;
    PrivateKeyInfo::new(algorithm(oid), &inner)
        .to_der()
        .map_err(|e| operation_error(e.to_string()))
}

/// The raw secret of a PKCS #8 private key of the curve `oid`, which must be
/// `N` bytes long; a `DataError` otherwise.
pub(crate) fn parse_private<const N: usize>(
    der: &[u8],
    oid: ObjectIdentifier,
    what: &str,
) -> Result<[u8; N], JsError> {
    let bad = |e: &dyn std::fmt::Display| data_error(format!("Invalid {what} private key: {e}"));
    let info = PrivateKeyInfo::from_der(der).map_err(|e| bad(&e))?;
    check_algorithm(&info.algorithm, oid, what)?;
    let secret = OctetStringRef::from_der(info.private_key).map_err(|e| bad(&e))?;
    secret
        .as_bytes()
        .try_into()
        .map_err(|_| data_error(format!("An {what} private key is {N} bytes long")))
}

/// An SPKI public key of the curve `oid` holding `public`.
pub(crate) fn public_der(oid: ObjectIdentifier, public: &[u8]) -> Result<Vec<u8>, JsError> {
    let key = BitStringRef::from_bytes(public).map_err(|e| operation_error(e.to_string()))?;
    SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifier {
            oid,
            parameters: None,
        },
        subject_public_key: key,
    }
    .to_der()
    .map_err(|e| operation_error(e.to_string()))
}

/// The raw bytes of an SPKI public key of the curve `oid`, which must be
/// `N` bytes long; a `DataError` otherwise.
pub(crate) fn parse_public<const N: usize>(
    der: &[u8],
    oid: ObjectIdentifier,
    what: &str,
) -> Result<[u8; N], JsError> {
    let bad = |e: &dyn std::fmt::Display| data_error(format!("Invalid {what} public key: {e}"));
    let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|e| bad(&e))?;
    check_algorithm(&info.algorithm, oid, what)?;
    info.subject_public_key
        .as_bytes()
        .ok_or_else(|| data_error(format!("Invalid {what} public key: unused bits")))?
        .try_into()
        .map_err(|_| data_error(format!("An {what} public key is {N} bytes long")))
}
