//! `[admin]`: the admin listener (metrics, health and readiness).

use std::net::SocketAddr;

use serde::Deserialize;

/// `[admin]` as the file spells it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmin {
    pub(crate) listen: Option<String>,
}

/// `[admin]`: a second listener for operators, apart from the Workers'
/// traffic. It serves `GET /metrics` (Prometheus text format), `GET /healthz`
/// and `GET /readyz`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminSettings {
    /// `listen`: the admin listener's address, e.g. `127.0.0.1:9090`.
    /// Default: none, no admin listener. Port 0 picks a free port.
    pub listen: Option<SocketAddr>,
}

impl AdminSettings {
    /// Validates `[admin]`; an error is `(field, message)`.
    pub(crate) fn from_raw(raw: &RawAdmin) -> Result<Self, (String, String)> {
        let listen = match &raw.listen {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| {
                (
                    "admin.listen".to_owned(),
                    format!("'{text}' is not an address like 127.0.0.1:9090"),
                )
            })?),
        };
        Ok(Self { listen })
    }
}
