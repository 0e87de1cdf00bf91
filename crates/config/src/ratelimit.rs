//! `ratelimits`: a Worker's rate limiting bindings, `[[workers.ratelimits]]`
//! in motu.toml and `ratelimits` in a Wrangler config (the same keys; not
//! inherited by `[env.NAME]` sections, as bindings are not).
//!
//! ```toml
//! [[workers.ratelimits]]
//! name = "MY_RATE_LIMITER"          # the name in `env`
//! namespace_id = "1001"             # bindings naming the same one share its counts
//! simple = { limit = 100, period = 60 }   # calls per key, per 10 or 60 seconds
//! ```
//!
//! `env.MY_RATE_LIMITER.limit({ key })` answers `{ success }` (see the
//! runtime's `bindings::ratelimit`).

use serde::Deserialize;

/// The keys of a `ratelimits` entry motu reads from a Wrangler config.
pub(crate) const WRANGLER_KEYS: &[&str] = &["name", "namespace_id", "simple"];

/// One `[[workers.ratelimits]]` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRateLimit {
    pub(crate) name: Option<String>,
    pub(crate) namespace_id: Option<serde_json::Value>,
    pub(crate) simple: Option<RawSimple>,
}

/// `simple = { limit, period }`, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSimple {
    pub(crate) limit: Option<serde_json::Value>,
    pub(crate) period: Option<serde_json::Value>,
}

/// A rate limiting binding: `env.NAME.limit({ key })`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitBinding {
    /// `name`: the name in `env`. Required.
    pub name: String,
    /// `namespace_id`: the namespace whose counts it shares (a positive
    /// integer, as text). Required.
    pub namespace_id: String,
    /// `simple.limit`: calls allowed per key and period. Required.
    pub limit: u64,
    /// `simple.period`: the period in seconds, 10 or 60. Required.
    pub period: u64,
}

/// Validates a Worker's `ratelimits`; `taken` tells whether a name in `env`
/// is already used by another binding. Errors are `(field, message)`.
pub(crate) fn validate(
    raw: &[RawRateLimit],
    taken: &dyn Fn(&str) -> bool,
) -> Result<Vec<RateLimitBinding>, (String, String)> {
    let mut out: Vec<RateLimitBinding> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let field = |f: &str| format!("ratelimits[{i}].{f}");
        let name = r
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| (field("name"), "missing".to_owned()))?;
        if taken(&name) || out.iter().any(|b| b.name == name) {
            return Err((
                field("name"),
                format!("'{name}' is already a binding in env"),
            ));
        }
        let namespace_id = match &r.namespace_id {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(_) => return Err((field("namespace_id"), "must be a string".into())),
            None => return Err((field("namespace_id"), "missing".into())),
        };
        if namespace_id.parse::<u64>().map_or(true, |n| n == 0) {
            return Err((
                field("namespace_id"),
                format!("'{namespace_id}' is not a positive integer"),
            ));
        }
        let simple = r
            .simple
            .as_ref()
            .ok_or_else(|| (field("simple"), "missing: { limit, period }".to_owned()))?;
        let whole = |v: &Option<serde_json::Value>, f: &str| {
            v.as_ref()
                .and_then(serde_json::Value::as_u64)
                .filter(|n| *n > 0)
                .ok_or_else(|| (field(f), "must be a positive whole number".to_owned()))
        };
        let limit = whole(&simple.limit, "simple.limit")?;
        let period = whole(&simple.period, "simple.period")?;
        if period != 10 && period != 60 {
            return Err((
                field("simple.period"),
                format!("must be 10 or 60 (seconds), not {period}"),
            ));
        }
        out.push(RateLimitBinding {
            name,
            namespace_id,
            limit,
            period,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(period: u64, namespace: &str) -> RawRateLimit {
        RawRateLimit {
            name: Some("RL".into()),
            namespace_id: Some(namespace.into()),
            simple: Some(RawSimple {
                limit: Some(100.into()),
                period: Some(period.into()),
            }),
        }
    }

    #[test]
    fn periods_and_namespaces_are_checked() {
        let ok = validate(&[raw(60, "1001")], &|_| false).unwrap();
        assert_eq!((ok[0].limit, ok[0].period), (100, 60));
        let (field, message) = validate(&[raw(30, "1001")], &|_| false).unwrap_err();
        assert_eq!(field, "ratelimits[0].simple.period");
        assert!(message.contains("10 or 60"), "{message}");
        let (field, _) = validate(&[raw(10, "abc")], &|_| false).unwrap_err();
        assert_eq!(field, "ratelimits[0].namespace_id");
        let (field, _) = validate(&[raw(10, "1")], &|n| n == "RL").unwrap_err();
        assert_eq!(field, "ratelimits[0].name");
    }
}
