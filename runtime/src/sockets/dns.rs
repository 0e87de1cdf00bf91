//! `node:dns` name lookups: the system resolver (`getaddrinfo`, which
//! tokio runs on its blocking pool, never on an executor thread), under the
//! egress policy: a Worker learns only the addresses it could connect to
//! (every address of a host `allow_hosts` names, on any port; otherwise the
//! public ones), so DNS cannot be used to map a private network.
//!
//! Op: `dns_lookup(hostname) -> [address, …]` (async), counted as a
//! subrequest of its event.

use std::net::IpAddr;

use motu_engine::{HostValue, JsError};

use crate::fetch::EgressPolicy;

/// The addresses `host` resolves to that `policy` lets a Worker see, in
/// the resolver's order, without duplicates.
pub(crate) async fn lookup(policy: &EgressPolicy, host: &str) -> Result<HostValue, JsError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<IpAddr> = tokio::net::lookup_host((bare, 0))
        .await
        .map_err(|e| JsError::new("Error", format!("dns: cannot resolve '{host}': {e}")))?
        .map(|a| a.ip())
        .collect();
    let named = policy.names_on_some_port(bare);
    let mut allowed: Vec<IpAddr> = Vec::new();
    for ip in found {
        if (named || policy.allows_ip(ip)) && !allowed.contains(&ip) {
            allowed.push(ip);
        }
    }
    if allowed.is_empty() {
        return Err(JsError::new(
            "Error",
            format!(
                "dns: '{host}' resolves only to addresses the server's egress policy does not allow {}",
                crate::fetch::egress::REFUSAL_HINT
            ),
        ));
    }
    Ok(HostValue::List(
        allowed
            .into_iter()
            .map(|ip| HostValue::from(ip.to_string()))
            .collect(),
    ))
}
