//! Node.js's asymmetric `KeyObject`s: reading keys in the encodings Node
//! takes (PEM and DER as PKCS #8, SPKI, PKCS #1 or SEC1; JWK) and writing
//! them back, over the Web Crypto key code (`crate::crypto`).
//!
//! A key crosses to JavaScript as a map `{ kind, type, der, curve?,
//! modulusLength?, publicExponent? }`: `kind` is `private` or `public`,
//! `type` Node's `asymmetricKeyType` (`rsa`, `ec`, `ed25519`, `x25519`),
//! `der` the canonical form Web Crypto keys keep (PKCS #8 for private keys,
//! SPKI for public ones) and `curve` the Web Crypto name of an EC key's
//! curve (`P-256`, `P-384`, `P-521`).
//!
//! Errors are Node's (`ERR_OSSL_UNSUPPORTED` for key data that cannot be
//! read), as `Error`s whose message is `CODE:text` for the prelude.

use ::rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
};
use ::rsa::{RsaPrivateKey, RsaPublicKey};
use motu_engine::{HostValue, JsError};
use pkcs8::der::Decode;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, ObjectIdentifier, PrivateKeyInfo};
use spki::{DecodePublicKey, SubjectPublicKeyInfoRef};

use crate::crypto::formats::Imported;
use crate::crypto::{ec, ed25519, rsa, x25519};

const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
const CURVES: [(&str, ObjectIdentifier); 3] = [
    ("P-256", ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7")),
    ("P-384", ObjectIdentifier::new_unwrap("1.3.132.0.34")),
    ("P-521", ObjectIdentifier::new_unwrap("1.3.132.0.35")),
];

/// A Node.js-style error the prelude turns into one with `code`.
pub(crate) fn node_error(code: &str, message: &str) -> JsError {
    JsError::new("Error", format!("{code}:{message}"))
}

/// OpenSSL's error for key data it cannot decode.
fn unsupported() -> JsError {
    node_error(
        "ERR_OSSL_UNSUPPORTED",
        "error:1E08010C:DECODER routines::unsupported",
    )
}

/// The algorithm of an asymmetric key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Rsa,
    Ec(&'static str),
    Ed25519,
    X25519,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::Rsa => "rsa",
            Alg::Ec(_) => "ec",
            Alg::Ed25519 => "ed25519",
            Alg::X25519 => "x25519",
        }
    }

    /// The algorithm a key map names (`type`, `curve`).
    pub(crate) fn of(key: &HostValue) -> Result<Self, JsError> {
        let curve = key.get("curve").and_then(HostValue::as_str);
        Ok(match key.get("type").and_then(HostValue::as_str) {
            Some("rsa") => Alg::Rsa,
            Some("ec") => Alg::Ec(
                CURVES
                    .iter()
                    .find(|(name, _)| Some(*name) == curve)
                    .map(|(name, _)| *name)
                    .ok_or_else(unsupported)?,
            ),
            Some("ed25519") => Alg::Ed25519,
            Some("x25519") => Alg::X25519,
            _ => return Err(JsError::type_error("not an asymmetric key")),
        })
    }

    fn from_oid(oid: ObjectIdentifier, params: Option<ObjectIdentifier>) -> Result<Self, JsError> {
        Ok(match oid {
            RSA => Alg::Rsa,
            ED25519 => Alg::Ed25519,
            X25519 => Alg::X25519,
            EC => Alg::Ec(
                CURVES
                    .iter()
                    .find(|(_, o)| Some(*o) == params)
                    .map(|(name, _)| *name)
                    .ok_or_else(unsupported)?,
            ),
            _ => return Err(unsupported()),
        })
    }

    /// Web Crypto's import of this algorithm's key from `format`.
    fn import(self, format: &str, data: &HostValue) -> Result<Imported, JsError> {
        match self {
            Alg::Rsa => rsa::import(format, data),
            Alg::Ec(curve) => ec::import(format, curve, data),
            Alg::Ed25519 => ed25519::import(format, data),
            Alg::X25519 => x25519::import(format, data),
        }
    }

    /// Web Crypto's export of this algorithm's key (`der` canonical).
    fn export(self, format: &str, private: bool, der: &[u8]) -> Result<HostValue, JsError> {
        match self {
            Alg::Rsa => rsa::export(format, private, der),
            Alg::Ec(curve) => ec::export(format, curve, private, der),
            Alg::Ed25519 => ed25519::export(format, private, der),
            Alg::X25519 => x25519::export(format, private, der),
        }
    }
}

/// An asymmetric key: its algorithm, whether it is private, and its
/// canonical DER.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub(crate) alg: Alg,
    pub(crate) private: bool,
    pub(crate) der: Vec<u8>,
}

impl Key {
    /// The key in a key map (see the module docs).
    pub(crate) fn from_host(key: &HostValue) -> Result<Self, JsError> {
        Ok(Self {
            alg: Alg::of(key)?,
            private: key.get("kind").and_then(HostValue::as_str) == Some("private"),
            der: key
                .get("der")
                .and_then(HostValue::as_bytes)
                .ok_or_else(|| JsError::type_error("a key map needs der"))?
                .to_vec(),
        })
    }

    /// Reads and checks `der` (PKCS #8 or SPKI) of `alg`.
    fn checked(alg: Alg, private: bool, der: Vec<u8>) -> Result<Self, JsError> {
        let format = if private { "pkcs8" } else { "spki" };
        let imported = alg
            .import(format, &HostValue::Bytes(der))
            .map_err(|_| unsupported())?;
        Ok(Self {
            alg,
            private,
            der: imported.data,
        })
    }

    /// The public key of this key (itself when it is public).
    pub(crate) fn public(&self) -> Result<Self, JsError> {
        if !self.private {
            return Ok(self.clone());
        }
        let jwk = self.alg.export("jwk", true, &self.der)?;
        let HostValue::Map(members) = jwk else {
            return Err(unsupported());
        };
        let private_members = ["d", "p", "q", "dp", "dq", "qi"];
        let public = HostValue::Map(
            members
                .into_iter()
                .filter(|(k, _)| !private_members.contains(&k.as_str()))
                .collect(),
        );
        let imported = self.alg.import("jwk", &public)?;
        Ok(Self {
            alg: self.alg,
            private: false,
            der: imported.data,
        })
    }

    /// The key map of this key, with Node's `asymmetricKeyDetails` members.
    pub(crate) fn to_host(&self) -> Result<HostValue, JsError> {
        let mut map = vec![
            (
                "kind".to_owned(),
                HostValue::from(if self.private { "private" } else { "public" }),
            ),
            ("type".to_owned(), HostValue::from(self.alg.name())),
            ("der".to_owned(), HostValue::Bytes(self.der.clone())),
        ];
        match self.alg {
            Alg::Ec(curve) => map.push(("curve".to_owned(), curve.into())),
            Alg::Rsa => {
                let format = if self.private { "pkcs8" } else { "spki" };
                let imported = rsa::import(format, &HostValue::Bytes(self.der.clone()))?;
                map.extend(imported.info);
            }
            _ => {}
        }
        Ok(HostValue::Map(map))
    }
}

/// The DER of the first PEM block of `text`, and its label.
fn pem(text: &[u8]) -> Result<(String, Vec<u8>), JsError> {
    let text = std::str::from_utf8(text).map_err(|_| unsupported())?;
    let start = text.find("-----BEGIN ").ok_or_else(unsupported)?;
    let rest = &text[start..];
    let end = rest
        .find("-----END ")
        .and_then(|i| rest[i + 9..].find("-----").map(|j| i + 9 + j + 5))
        .ok_or_else(unsupported)?;
    let (label, der) =
        pem_rfc7468::decode_vec(&rest.as_bytes()[..end]).map_err(|_| unsupported())?;
    Ok((label.to_owned(), der))
}

/// Reads an EC private key in SEC1 DER, whichever its curve.
fn sec1_private(der: &[u8]) -> Result<Key, JsError> {
    macro_rules! try_curve {
        ($m:ident, $name:literal) => {
            if let Ok(secret) = $m::SecretKey::from_sec1_der(der) {
                let pkcs8 = secret.to_pkcs8_der().map_err(|_| unsupported())?;
                return Key::checked(Alg::Ec($name), true, pkcs8.as_bytes().to_vec());
            }
        };
    }
    try_curve!(p256, "P-256");
    try_curve!(p384, "P-384");
    try_curve!(p521, "P-521");
    Err(unsupported())
}

/// Reads key data: `data` in `format` (`pem`, `der` or `jwk`) of `kind`
/// (`pkcs8`, `spki`, `pkcs1`, `sec1`; for DER), private or public as it is.
fn read(data: &HostValue, format: &str, kind: &str, want_private: bool) -> Result<Key, JsError> {
    if format == "jwk" {
        let alg = match (
            data.get("kty").and_then(HostValue::as_str),
            data.get("crv").and_then(HostValue::as_str),
        ) {
            (Some("RSA"), _) => Alg::Rsa,
            (Some("EC"), Some(crv)) => Alg::Ec(
                CURVES
                    .iter()
                    .find(|(n, _)| *n == crv)
                    .map(|(n, _)| *n)
                    .ok_or_else(|| node_error("ERR_CRYPTO_INVALID_JWK", "Invalid JWK EC key"))?,
            ),
            (Some("OKP"), Some("Ed25519")) => Alg::Ed25519,
            (Some("OKP"), Some("X25519")) => Alg::X25519,
            _ => return Err(node_error("ERR_CRYPTO_INVALID_JWK", "Invalid JWK data")),
        };
        let has_d = !matches!(data.get("d"), None | Some(HostValue::Undefined));
        if want_private && !has_d {
            return Err(node_error(
                "ERR_CRYPTO_INVALID_JWK",
                "Invalid JWK private key",
            ));
        }
        let imported = alg
            .import("jwk", data)
            .map_err(|e| node_error("ERR_CRYPTO_INVALID_JWK", &e.message))?;
        return Ok(Key {
            alg,
            private: imported.kind == "private",
            der: imported.data,
        });
    }
    let bytes = data
        .as_bytes()
        .ok_or_else(|| JsError::type_error("key data must be bytes"))?;
    let (kind, der) = if format == "pem" {
        let (label, der) = pem(bytes)?;
        let kind = match label.as_str() {
            "PRIVATE KEY" => "pkcs8",
            "PUBLIC KEY" => "spki",
            "RSA PRIVATE KEY" => "pkcs1",
            "RSA PUBLIC KEY" => "pkcs1-public",
            "EC PRIVATE KEY" => "sec1",
            _ => return Err(unsupported()),
        };
        (kind, der)
    } else {
        let kind = match kind {
            "pkcs1" if !want_private => "pkcs1-any",
            other => other,
        };
        (kind, bytes.to_vec())
    };
    match kind {
        "pkcs8" => {
            let info = PrivateKeyInfo::from_der(&der).map_err(|_| unsupported())?;
            let alg = Alg::from_oid(info.algorithm.oid, info.algorithm.parameters_oid().ok())?;
            Key::checked(alg, true, der)
        }
        "spki" => {
            let info = SubjectPublicKeyInfoRef::from_der(&der).map_err(|_| unsupported())?;
            let alg = Alg::from_oid(info.algorithm.oid, info.algorithm.parameters_oid().ok())?;
            Key::checked(alg, false, der)
        }
        "pkcs1" | "pkcs1-any" => match RsaPrivateKey::from_pkcs1_der(&der) {
            Ok(key) => {
                let pkcs8 = key.to_pkcs8_der().map_err(|_| unsupported())?;
                Key::checked(Alg::Rsa, true, pkcs8.as_bytes().to_vec())
            }
            Err(_) if kind == "pkcs1-any" => read_pkcs1_public(&der),
            Err(_) => Err(unsupported()),
        },
        "pkcs1-public" => read_pkcs1_public(&der),
        "sec1" => sec1_private(&der),
        _ => Err(node_error(
            "ERR_INVALID_ARG_VALUE",
            &format!("The property 'options.type' is invalid. Received '{kind}'"),
        )),
    }
}

fn read_pkcs1_public(der: &[u8]) -> Result<Key, JsError> {
    let key = RsaPublicKey::from_pkcs1_der(der).map_err(|_| unsupported())?;
    let spki = spki::EncodePublicKey::to_public_key_der(&key).map_err(|_| unsupported())?;
    Key::checked(Alg::Rsa, false, spki.into_vec())
}

/// `node_key_import(want, data, format, type) -> key map`: `want` is
/// `private` (the key must be private) or `public` (a private key gives its
/// public key).
pub(crate) fn import(args: &[HostValue]) -> Result<HostValue, JsError> {
    let want = crate::ops::str_arg(args, 0, "node_key_import")?;
    let data = args.get(1).unwrap_or(&HostValue::Undefined);
    let format = crate::ops::str_arg(args, 2, "node_key_import")?;
    let kind = args.get(3).and_then(HostValue::as_str).unwrap_or("");
    let key = read(data, format, kind, want == "private")?;
    if want == "private" && !key.private {
        return Err(unsupported());
    }
    let key = if want == "public" { key.public()? } else { key };
    key.to_host()
}

/// `node_key_public(key map) -> key map`: the public key of a private key.
pub(crate) fn public(args: &[HostValue]) -> Result<HostValue, JsError> {
    let key = Key::from_host(args.first().unwrap_or(&HostValue::Undefined))?;
    key.public()?.to_host()
}

/// The SEC1 DER of an EC private key (PKCS #8 `der`), with its curve named
/// in it, as OpenSSL writes it.
fn sec1_der(curve: &str, der: &[u8]) -> Result<Vec<u8>, JsError> {
    let plain = match curve {
        "P-256" => p256::SecretKey::from_pkcs8_der(der).map(|k| k.to_sec1_der()),
        "P-384" => p384::SecretKey::from_pkcs8_der(der).map(|k| k.to_sec1_der()),
        _ => p521::SecretKey::from_pkcs8_der(der).map(|k| k.to_sec1_der()),
    }
    .map_err(|_| unsupported())?
    .map_err(|_| unsupported())?;
    let oid = CURVES
        .iter()
        .find(|(name, _)| *name == curve)
        .map(|(_, oid)| *oid)
        .ok_or_else(unsupported)?;
    let mut key = sec1::EcPrivateKey::from_der(&plain).map_err(|_| unsupported())?;
    key.parameters = Some(sec1::EcParameters::NamedCurve(oid));
    pkcs8::der::Encode::to_der(&key).map_err(|_| unsupported())
}

fn pem_encode(label: &str, der: &[u8]) -> Result<HostValue, JsError> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .map(HostValue::String)
        .map_err(|e| JsError::type_error(e.to_string()))
}

/// `node_key_export(key map, format, type) -> bytes | string | jwk`:
/// `format` is `pem`, `der` or `jwk`; `type` is `pkcs8`, `spki`, `pkcs1` or
/// `sec1` (checked against the key by the prelude).
pub(crate) fn export(args: &[HostValue]) -> Result<HostValue, JsError> {
    let key = Key::from_host(args.first().unwrap_or(&HostValue::Undefined))?;
    let format = crate::ops::str_arg(args, 1, "node_key_export")?;
    let kind = args.get(2).and_then(HostValue::as_str).unwrap_or("");
    if format == "jwk" {
        return key.alg.export("jwk", key.private, &key.der);
    }
    let (label, der) = match (kind, key.private, key.alg) {
        ("pkcs8", true, _) => ("PRIVATE KEY", key.der.clone()),
        ("spki", false, _) => ("PUBLIC KEY", key.der.clone()),
        ("pkcs1", true, Alg::Rsa) => {
            let k = RsaPrivateKey::from_pkcs8_der(&key.der).map_err(|_| unsupported())?;
            (
                "RSA PRIVATE KEY",
                k.to_pkcs1_der()
                    .map_err(|_| unsupported())?
                    .as_bytes()
                    .to_vec(),
            )
        }
        ("pkcs1", false, Alg::Rsa) => {
            let k = RsaPublicKey::from_public_key_der(&key.der).map_err(|_| unsupported())?;
            (
                "RSA PUBLIC KEY",
                k.to_pkcs1_der()
                    .map_err(|_| unsupported())?
                    .as_bytes()
                    .to_vec(),
            )
        }
        ("sec1", true, Alg::Ec(curve)) => ("EC PRIVATE KEY", sec1_der(curve, &key.der)?),
        _ => {
            return Err(node_error(
                "ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS",
                &format!("The selected key encoding {kind} can only be used for other key types."),
            ))
        }
    };
    if format == "pem" {
        pem_encode(label, &der)
    } else {
        Ok(HostValue::Bytes(der))
    }
}
