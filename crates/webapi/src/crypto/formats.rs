//! `importKey` and `exportKey`: key data in the formats `raw`, `pkcs8`,
//! `spki` and `jwk`, to and from the canonical forms a `CryptoKey` keeps
//! (see the module docs of [`crate::crypto`]).

use base64ct::{Base64UrlUnpadded, Encoding};
use motu_engine::{HostValue, JsError};

use super::{data_error, ec, ed25519, not_supported, rsa, str_arg, str_param, x25519};

/// A key as `crypto_import` gives it back.
#[derive(Debug)]
pub(crate) struct Imported {
    /// `secret`, `private` or `public`.
    pub(crate) kind: &'static str,
    /// The key material in its canonical form.
    pub(crate) data: Vec<u8>,
    /// Members for the key's `algorithm` (`modulusLength`, …).
    pub(crate) info: Vec<(String, HostValue)>,
}

impl Imported {
    /// A private key, as PKCS #8 DER.
    pub(crate) fn private(data: Vec<u8>) -> Self {
        Self {
            kind: "private",
            data,
            info: Vec::new(),
        }
    }

    /// A public key, as SPKI DER.
    pub(crate) fn public(data: Vec<u8>) -> Self {
        Self {
            kind: "public",
            data,
            info: Vec::new(),
        }
    }

    /// This key with `info` for its algorithm.
    pub(crate) fn with(mut self, info: Vec<(String, HostValue)>) -> Self {
        self.info = info;
        self
    }
}

/// `bytes` in base64url without padding, as JWK members are.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// The base64url member `member` of a JWK, decoded; a `DataError` when it is
/// missing or not base64url.
pub(crate) fn jwk_bytes(jwk: &HostValue, member: &str) -> Result<Vec<u8>, JsError> {
    let text = jwk
        .get(member)
        .and_then(HostValue::as_str)
        .ok_or_else(|| data_error(format!("JWK member {member} is missing")))?;
    Base64UrlUnpadded::decode_vec(text)
        .map_err(|_| data_error(format!("JWK member {member} is not base64url")))
}

/// `crypto_import(alg, format, data, params) -> {type, data, …info}`.
pub(crate) fn import(args: &[HostValue]) -> Result<HostValue, JsError> {
    let alg = str_arg(args, 0)?;
    let format = str_arg(args, 1)?;
    let data = args.get(2).unwrap_or(&HostValue::Undefined);
    let params = args.get(3).unwrap_or(&HostValue::Undefined);
    if format == "jwk" && !matches!(data, HostValue::Map(_)) {
        return Err(JsError::type_error("JWK key data must be an object"));
    }
    let imported = match alg {
        "HMAC" | "AES-GCM" | "AES-CBC" | "AES-CTR" | "AES-KW" | "PBKDF2" | "HKDF" => match format {
            "raw" => Imported {
                kind: "secret",
                data: data
                    .as_bytes()
                    .ok_or_else(|| JsError::type_error("key data must be bytes"))?
                    .to_vec(),
                info: Vec::new(),
            },
            "jwk" => {
                if data.get("kty").and_then(HostValue::as_str) != Some("oct") {
                    return Err(data_error("JWK kty must be oct"));
                }
                Imported {
                    kind: "secret",
                    data: jwk_bytes(data, "k")?,
                    info: Vec::new(),
                }
            }
            other => return Err(unsupported_format(alg, other)),
        },
        "ECDSA" | "ECDH" => ec::import(
            check_format(alg, format, true)?,
            str_param(params, "namedCurve")?,
            data,
        )?,
        "Ed25519" => ed25519::import(check_format(alg, format, true)?, data)?,
        "X25519" => x25519::import(check_format(alg, format, true)?, data)?,
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" | "RSA-OAEP" => {
            rsa::import(check_format(alg, format, false)?, data)?
        }
        other => {
            return Err(not_supported(format!(
                "Unrecognized algorithm name: {other}"
            )))
        }
    };
    let mut out = vec![
        ("type".to_owned(), HostValue::from(imported.kind)),
        ("data".to_owned(), HostValue::Bytes(imported.data)),
    ];
    out.extend(imported.info);
    Ok(HostValue::Map(out))
}

fn unsupported_format(alg: &str, format: &str) -> JsError {
    not_supported(format!("{alg} keys do not support the {format} format"))
}

fn check_format<'a>(alg: &str, format: &'a str, raw: bool) -> Result<&'a str, JsError> {
    match format {
        "spki" | "pkcs8" | "jwk" => Ok(format),
        "raw" if raw => Ok(format),
        other => Err(unsupported_format(alg, other)),
    }
}

/// `crypto_export(alg, format, type, data, params) -> bytes | jwk`: the key
/// material members of a JWK only; the prelude adds `alg`, `key_ops`, `ext`.
pub(crate) fn export(args: &[HostValue]) -> Result<HostValue, JsError> {
    let alg = str_arg(args, 0)?;
    let format = str_arg(args, 1)?;
    let kind = str_arg(args, 2)?;
    let data = super::bytes_arg(args, 3)?;
    let params = args.get(4).unwrap_or(&HostValue::Undefined);
    let private = kind == "private";
    match alg {
        "HMAC" | "AES-GCM" | "AES-CBC" | "AES-CTR" | "AES-KW" => match format {
            "raw" => Ok(HostValue::Bytes(data.to_vec())),
            "jwk" => Ok(HostValue::Map(vec![
                ("kty".into(), "oct".into()),
                ("k".into(), HostValue::String(b64url(data))),
            ])),
            other => Err(unsupported_format(alg, other)),
        },
        "ECDSA" | "ECDH" => ec::export(
            check_format(alg, format, true)?,
            str_param(params, "namedCurve")?,
            private,
            data,
        ),
        "Ed25519" => ed25519::export(check_format(alg, format, true)?, private, data),
        "X25519" => x25519::export(check_format(alg, format, true)?, private, data),
        "RSASSA-PKCS1-v1_5" | "RSA-PSS" | "RSA-OAEP" => {
            rsa::export(check_format(alg, format, false)?, private, data)
        }
        other => Err(not_supported(format!("{other} keys cannot be exported"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_as_raw_and_jwk() {
        let jwk = export(&[
            "HMAC".into(),
            "jwk".into(),
            "secret".into(),
            vec![0xfb, 0xff].into(),
        ])
        .unwrap();
        assert_eq!(jwk.get("k"), Some(&"-_8".into()));
        let back = import(&["HMAC".into(), "jwk".into(), jwk]).unwrap();
        assert_eq!(back.get("data"), Some(&vec![0xfb, 0xff].into()));
        let padded = HostValue::Map(vec![
            ("kty".into(), "oct".into()),
            ("k".into(), "-_8=".into()),
        ]);
        assert_eq!(
            import(&["HMAC".into(), "jwk".into(), padded])
                .unwrap_err()
                .name,
            "DataError"
        );
        let rsa_jwk = HostValue::Map(vec![("kty".into(), "oct".into())]);
        assert_eq!(
            import(&["HMAC".into(), "jwk".into(), rsa_jwk])
                .unwrap_err()
                .name,
            "DataError"
        );
        assert_eq!(
            import(&["RSA-PSS".into(), "raw".into(), vec![1].into()])
                .unwrap_err()
                .name,
            "NotSupportedError"
        );
        assert_eq!(
            import(&["HMAC".into(), "jwk".into(), vec![1].into()])
                .unwrap_err()
                .name,
            "TypeError"
        );
    }
}
