//! X.509 certificates as node:tls's `getPeerCertificate()` describes them
//! (the fields Node.js reads out with OpenSSL): `node_x509_info(der)`.
//!
//! The answer is a map in Node's order of fields: `subject` and `issuer`
//! (lists of `[shortName, value]`, which the JavaScript side makes
//! objects of), `subjectaltname`, `ca`, the public key (`modulus`, `bits`,
//! `exponent` for RSA; `bits`, `asn1Curve`, `nistCurve` for EC; `pubkey`),
//! `valid_from`/`valid_to` (OpenSSL's `Mar  5 12:00:00 2026 GMT`),
//! `fingerprint`/`fingerprint256`/`fingerprint512` (upper-case hex pairs
//! joined by `:`), `ext_key_usage` (OIDs), `serialNumber` (upper-case hex)
//! and `raw` (the DER).

use std::fmt::Write;

use motu_engine::{HostValue, JsError};
use sha1::Digest;
use x509_cert::der::asn1::ObjectIdentifier as Oid;
use x509_cert::der::{self, Decode, Encode, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::time::Time;
use x509_cert::Certificate;

/// OpenSSL's short names of the attributes a name has.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.9", "street"),
    ("2.5.4.12", "title"),
    ("2.5.4.4", "SN"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.15", "businessCategory"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
    ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
];

/// The named curves: OID, OpenSSL's name, NIST's name, bits.
const CURVES: &[(&str, &str, &str, u32)] = &[
    ("1.2.840.10045.3.1.7", "prime256v1", "P-256", 256),
    ("1.3.132.0.34", "secp384r1", "P-384", 384),
    ("1.3.132.0.35", "secp521r1", "P-521", 521),
];

const RSA: &str = "1.2.840.113549.1.1.1";
const EC: &str = "1.2.840.10045.2.1";

/// `node_x509_info(der)`.
pub(crate) fn info(args: &[HostValue]) -> Result<HostValue, JsError> {
    let Some(HostValue::Bytes(der)) = args.first() else {
        return Err(JsError::type_error(
            "node_x509_info: argument 0 must be bytes",
        ));
    };
    describe(der).map_err(|e| JsError::new("Error", format!("cannot read the certificate: {e}")))
}

fn describe(der: &[u8]) -> Result<HostValue, der::Error> {
    let cert = Certificate::from_der(der)?;
    let tbs = &cert.tbs_certificate;
    let mut out: Vec<(String, HostValue)> = vec![
        ("subject".into(), name(&tbs.subject)),
        ("issuer".into(), name(&tbs.issuer)),
    ];
    let mut ca = false;
    let mut usages = None;
    for ext in tbs.extensions.iter().flatten() {
        let value = ext.extn_value.as_bytes();
        match ext.extn_id.to_string().as_str() {
            "2.5.29.17" => {
                let san = SubjectAltName::from_der(value)?;
                out.push(("subjectaltname".into(), alt_names(&san).into()));
            }
            "2.5.29.19" => ca = BasicConstraints::from_der(value)?.ca,
            "2.5.29.37" => {
                let eku = ExtendedKeyUsage::from_der(value)?;
                usages = Some(HostValue::List(
                    eku.0.iter().map(|o| o.to_string().into()).collect(),
                ));
            }
            _ => {}
        }
    }
    out.push(("ca".into(), HostValue::Bool(ca)));
    public_key(&cert, &mut out)?;
    out.push(("valid_from".into(), time(&tbs.validity.not_before).into()));
    out.push(("valid_to".into(), time(&tbs.validity.not_after).into()));
    out.push(("fingerprint".into(), pairs(&sha1::Sha1::digest(der)).into()));
    out.push((
        "fingerprint256".into(),
        pairs(&sha2::Sha256::digest(der)).into(),
    ));
    out.push((
        "fingerprint512".into(),
        pairs(&sha2::Sha512::digest(der)).into(),
    ));
    if let Some(usages) = usages {
        out.push(("ext_key_usage".into(), usages));
    }
    out.push((
        "serialNumber".into(),
        hex(strip_zeros(tbs.serial_number.as_bytes())).into(),
    ));
    out.push(("raw".into(), HostValue::Bytes(der.to_vec())));
    Ok(HostValue::Map(out))
}

/// The public key's fields, in Node's order.
fn public_key(cert: &Certificate, out: &mut Vec<(String, HostValue)>) -> Result<(), der::Error> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let key = spki.subject_public_key.raw_bytes();
    match spki.algorithm.oid.to_string().as_str() {
        RSA => {
            let rsa = rsa::pkcs1::RsaPublicKey::from_der(key)?;
            let modulus = strip_zeros(rsa.modulus.as_bytes());
            let exponent = strip_zeros(rsa.public_exponent.as_bytes());
            out.push(("modulus".into(), hex(modulus).into()));
            out.push(("bits".into(), HostValue::Number(bit_length(modulus) as f64)));
            let e = exponent
                .iter()
                .fold(0u128, |n, b| (n << 8) | u128::from(*b));
            out.push(("exponent".into(), format!("0x{e:x}").into()));
            out.push(("pubkey".into(), HostValue::Bytes(spki.to_der()?)));
        }
        EC => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<Oid>().ok())
                .map(|o| o.to_string());
            let known = CURVES
                .iter()
                .find(|(oid, ..)| Some(*oid) == curve.as_deref());
            if let Some((_, _, _, bits)) = known {
                out.push(("bits".into(), HostValue::Number(f64::from(*bits))));
            }
            out.push(("pubkey".into(), HostValue::Bytes(key.to_vec())));
            if let Some((_, openssl, nist, _)) = known {
                out.push(("asn1Curve".into(), (*openssl).into()));
                out.push(("nistCurve".into(), (*nist).into()));
            }
        }
        _ => out.push(("pubkey".into(), HostValue::Bytes(spki.to_der()?))),
    }
    Ok(())
}

/// A name as `[shortName, value]` pairs, in order (an attribute OpenSSL
/// has no short name for is named by its OID).
fn name(name: &Name) -> HostValue {
    let mut pairs = Vec::new();
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            let oid = atv.oid.to_string();
            let short = SHORT_NAMES
                .iter()
                .find(|(o, _)| *o == oid)
                .map_or(oid.clone(), |(_, s)| (*s).to_owned());
            let value = if atv.value.tag() == Tag::BmpString {
                let units: Vec<u16> = atv
                    .value
                    .value()
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                    .collect();
                String::from_utf16_lossy(&units)
            } else {
                String::from_utf8_lossy(atv.value.value()).into_owned()
            };
            pairs.push(HostValue::List(vec![short.into(), value.into()]));
        }
    }
    HostValue::List(pairs)
}

/// The subject alternative names as OpenSSL prints them.
fn alt_names(san: &SubjectAltName) -> String {
    let mut parts = Vec::new();
    for name in &san.0 {
        parts.push(match name {
            GeneralName::DnsName(s) => format!("DNS:{}", s.as_str()),
            GeneralName::Rfc822Name(s) => format!("email:{}", s.as_str()),
            GeneralName::UniformResourceIdentifier(s) => format!("URI:{}", s.as_str()),
            GeneralName::IpAddress(ip) => format!("IP Address:{}", ip_text(ip.as_bytes())),
            GeneralName::RegisteredId(oid) => format!("Registered ID:{oid}"),
            GeneralName::DirectoryName(_) => "DirName:".to_owned(),
            _ => "othername:<unsupported>".to_owned(),
        });
    }
    parts.join(", ")
}

/// An IP address as OpenSSL prints it (IPv6: eight upper-case groups).
fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => format!("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]),
        16 => bytes
            .chunks(2)
            .map(|c| format!("{:X}", u16::from_be_bytes([c[0], c[1]])))
            .collect::<Vec<_>>()
            .join(":"),
        _ => "<invalid>".to_owned(),
    }
}

/// A time as OpenSSL prints it: `Mar  5 12:00:00 2026 GMT`.
fn time(t: &Time) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let d = t.to_date_time();
    format!(
        "{} {:>2} {:02}:{:02}:{:02} {} GMT",
        MONTHS[usize::from(d.month().clamp(1, 12)) - 1],
        d.day(),
        d.hour(),
        d.minutes(),
        d.seconds(),
        d.year()
    )
}

/// `bytes` without their leading zero bytes (DER's sign byte).
fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// Upper-case hex pairs joined by `:`.
fn pairs(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_openssl() {
        assert_eq!(pairs(&[0xab, 0x01]), "AB:01");
        assert_eq!(hex(strip_zeros(&[0, 0x0a, 0xff])), "0AFF");
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x01, 0]), 9);
        assert_eq!(ip_text(&[127, 0, 0, 1]), "127.0.0.1");
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(ip_text(&v6), "0:0:0:0:0:0:0:1");
        let t = Time::UtcTime(
            der::asn1::UtcTime::from_date_time(der::DateTime::new(2026, 3, 5, 7, 8, 9).unwrap())
                .unwrap(),
        );
        assert_eq!(time(&t), "Mar  5 07:08:09 2026 GMT");
    }

    #[test]
    fn bad_der_is_an_error() {
        assert!(info(&[HostValue::Bytes(vec![1, 2, 3])]).is_err());
    }
}
