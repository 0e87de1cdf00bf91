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

use std::collections::BTreeMap;

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
