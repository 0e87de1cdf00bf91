//! `[server.cf]`: what `request.cf` says of where a request came from.
//!
//! On Cloudflare, `request.cf` carries facts about the client's connection
//! that only Cloudflare's edge knows: its colo, country, city, ASN,
//! coordinates, TLS details. A self-hosted server knows none of them, so by
//! default those fields are absent (motu fills only what it knows:
//! `httpProtocol` and `clientAcceptEncoding`). For development, as Miniflare
//! lets one give a `cf` object, the table here is copied into every fetch
//! event's `request.cf`, under the fields motu knows:
//!
//! ```toml
//! [server.cf]
//! colo = "DFW"
//! country = "US"
//! city = "Austin"
//! asn = 395747
//! botManagement = { score = 99 }
//! ```
//!
//! `wrangler dev` always gives one: the `cf.json` it fetched from
//! Cloudflare for the developer's own connection and caches in the project
//! (`node_modules/.mf/cf.json` or `.wrangler/cache/cf.json`), or, offline,
//! a placeholder in Austin, Texas. [`wrangler_dev_cf`] is what `motu dev`
//! gives a Wrangler project without `[server.cf]`: that cached file when
//! there is one (motu fetches nothing), else the same placeholder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The fields motu sets itself; the table may not name them.
const OWN_FIELDS: &[&str] = &["httpProtocol", "clientAcceptEncoding"];

/// The table as the JSON text of an object, or `None` when it is absent or
/// empty; `Err((field, message))` when it names a field motu sets itself.
pub(crate) fn request_cf(
    table: Option<&BTreeMap<String, serde_json::Value>>,
) -> Result<Option<String>, (String, String)> {
    let Some(table) = table.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Some(own) = table.keys().find(|k| OWN_FIELDS.contains(&k.as_str())) {
        return Err((
            format!("cf.{own}"),
            "is set by motu from the request itself".into(),
        ));
    }
    Ok(Some(
        serde_json::to_string(table).expect("JSON values serialise"),
    ))
}

/// Where `wrangler dev` caches the `request.cf` it fetched, for the project
/// in `dir`: `CLOUDFLARE_CF_FETCH_PATH`, else `$MINIFLARE_CACHE_DIR/cf.json`,
/// else `node_modules/.mf/cf.json` or `.wrangler/cache/cf.json`, whichever
/// exists.
fn cached_cf_json(dir: &Path) -> Option<PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = env("CLOUDFLARE_CF_FETCH_PATH") {
        return Some(dir.join(path));
    }
    if let Some(cache) = env("MINIFLARE_CACHE_DIR") {
        return Some(dir.join(cache).join("cf.json"));
    }
    ["node_modules/.mf/cf.json", ".wrangler/cache/cf.json"]
        .into_iter()
        .map(|p| dir.join(p))
        .find(|p| p.is_file())
}

/// The placeholder `wrangler dev` gives offline: a client in Austin, Texas,
/// over TLS 1.3, not a bot.
fn placeholder() -> serde_json::Value {
    let cert = [
        "certIssuerDN",
        "certSubjectDN",
        "certIssuerDNRFC2253",
        "certSubjectDNRFC2253",
        "certIssuerDNLegacy",
        "certSubjectDNLegacy",
        "certSerial",
        "certIssuerSerial",
        "certSKI",
        "certIssuerSKI",
        "certFingerprintSHA1",
        "certFingerprintSHA256",
        "certNotBefore",
        "certNotAfter",
        "certRFC9440",
        "certChainRFC9440",
    ];
    let mut client_auth: serde_json::Map<String, serde_json::Value> = cert
        .iter()
        .map(|k| (k.to_string(), serde_json::Value::from("")))
        .collect();
    client_auth.insert("certPresented".into(), "0".into());
    client_auth.insert("certVerified".into(), "NONE".into());
    client_auth.insert("certRevoked".into(), "0".into());
    client_auth.insert("certRFC9440TooLarge".into(), false.into());
    client_auth.insert("certChainRFC9440TooLarge".into(), false.into());
    serde_json::json!({
        "asOrganization": "",
        "asn": 395747,
        "colo": "DFW",
        "city": "Austin",
        "region": "Texas",
        "regionCode": "TX",
        "metroCode": "635",
        "postalCode": "78701",
        "country": "US",
        "continent": "NA",
        "timezone": "America/Chicago",
        "latitude": "30.27130",
        "longitude": "-97.74260",
        "clientTcpRtt": 0,
        "requestPriority": "weight=192;exclusive=0",
        "tlsCipher": "AEAD-AES128-GCM-SHA256",
        "tlsVersion": "TLSv1.3",
        "tlsClientAuth": client_auth,
        "edgeRequestKeepAliveStatus": 0,
        "clientTrustScore": 99,
        "botManagement": {
            "corporateProxy": false,
            "verifiedBot": false,
            "ja3Hash": "25b4882c2bcb50cd6b469ff28c596742",
            "staticResource": false,
            "detectionIds": [],
            "score": 99
        }
    })
}

/// What `motu dev` copies into `request.cf` for a Wrangler project in `dir`
/// without `[server.cf]`, as the JSON text of an object: `wrangler dev`'s
/// cached `cf.json` when there is a readable one, else its offline
/// placeholder; the fields motu sets itself from the request are left out.
pub fn wrangler_dev_cf(dir: &Path) -> String {
    let cached = cached_cf_json(dir)
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .filter(serde_json::Value::is_object);
    let mut cf = cached.unwrap_or_else(placeholder);
    if let Some(object) = cf.as_object_mut() {
        object.retain(|k, _| !OWN_FIELDS.contains(&k.as_str()));
    }
    cf.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrangler_dev_gives_its_cached_cf_else_the_placeholder() {
        let dir = tempfile::tempdir().unwrap();
        let cf: serde_json::Value = serde_json::from_str(&wrangler_dev_cf(dir.path())).unwrap();
        assert_eq!(cf["city"], "Austin");
        assert_eq!(cf["latitude"], "30.27130");
        assert_eq!(cf["tlsClientAuth"]["certVerified"], "NONE");
        assert!(cf.get("httpProtocol").is_none(), "{cf}");
        let cache = dir.path().join(".wrangler/cache");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(
            cache.join("cf.json"),
            r#"{"city":"Lisbon","country":"PT","httpProtocol":"HTTP/2"}"#,
        )
        .unwrap();
        let cf: serde_json::Value = serde_json::from_str(&wrangler_dev_cf(dir.path())).unwrap();
        assert_eq!(cf, serde_json::json!({ "city": "Lisbon", "country": "PT" }));
        // A file that is not a JSON object is passed over.
        std::fs::write(cache.join("cf.json"), "not json").unwrap();
        let cf: serde_json::Value = serde_json::from_str(&wrangler_dev_cf(dir.path())).unwrap();
        assert_eq!(cf["city"], "Austin");
    }
}
