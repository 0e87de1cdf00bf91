//! The Wrangler keys about how a project runs on this machine, not about
//! its Worker's bindings: `dev` (where `wrangler dev` listens), `alias`
//! (module aliases, which wrangler's bundler applies), and the keys that
//! only matter when deploying to Cloudflare.
//!
//! - `dev.port` and `dev.ip` become the server's `listen` address (`motu
//!   dev --port`/`--ip`/`--listen` and `MOTU_SERVER__LISTEN` still win).
//!   `ip` is an IP address, `localhost` (127.0.0.1) or `*` (every
//!   address); wrangler's default port is 8787, as motu's. `local_protocol
//!   = "http"` is what motu serves; `"https"` and the other `dev` keys
//!   (inspector, containers, upstream host) are warned about.
//! - `alias`: a table of specifier → target, each target resolved from the
//!   project's folder (see the loader's resolution). Top level only, as in
//!   wrangler: it applies to every environment.
//! - [`DEPLOY_ONLY`]: accepted and without effect here, as `wrangler dev`
//!   treats them; they are not warned about.

use serde_json::{Map, Value};

use crate::ConfigError;

/// Keys that only matter when a Worker is deployed to Cloudflare (logs and
/// traces kept there, source maps uploaded, Smart Placement, the account,
/// dashboard vars kept, minification of the upload, preview URLs, the
/// usage model, Logpush, the data region). A local run has nothing to do
/// with them.
pub(crate) const DEPLOY_ONLY: &[&str] = &[
    "account_id",
    "observability",
    "upload_source_maps",
    "placement",
    "keep_vars",
    "send_metrics",
    "minify",
    "preview_urls",
    "usage_model",
    "logpush",
    "compliance_region",
];

/// The `dev` keys motu reads.
const DEV_KEYS: &[&str] = &["port", "ip", "local_protocol"];

/// The listen address a `dev` table asks for (`None` when it names neither
/// a port nor an IP), and the `dev.*` keys to warn about.
pub(crate) fn dev_listen(
    dev: &Value,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<(Option<String>, Vec<String>), ConfigError> {
    let Value::Object(dev) = dev else {
        return Err(invalid("dev", "must be a table".into()));
    };
    let mut unsupported = Vec::new();
    for (key, value) in dev {
        let ignored = match key.as_str() {
            "local_protocol" => value.as_str() != Some("http"),
            k => !DEV_KEYS.contains(&k) && !value.is_null(),
        };
        if ignored {
            unsupported.push(format!("dev.{key}"));
        }
    }
    unsupported.sort();
    let port = match dev.get("port") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64().and_then(|p| u16::try_from(p).ok()) {
            Some(p) => Some(p),
            None => {
                return Err(invalid(
                    "dev.port",
                    format!("{n} is not a port (0 to 65535)"),
                ))
            }
        },
        Some(_) => return Err(invalid("dev.port", "must be a number".into())),
    };
    let ip = match dev.get("ip") {
        None | Some(Value::Null) => None,
        Some(Value::String(ip)) => Some(match ip.as_str() {
            "localhost" => "127.0.0.1".to_owned(),
            "*" => "0.0.0.0".to_owned(),
            other => match other.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V6(v6)) => format!("[{v6}]"),
                Ok(v4) => v4.to_string(),
                Err(_) => {
                    return Err(invalid(
                        "dev.ip",
                        format!("'{other}' is not an IP address, 'localhost' or '*'"),
                    ))
                }
            },
        }),
        Some(_) => return Err(invalid("dev.ip", "must be a string".into())),
    };
    let listen = match (ip, port) {
        (None, None) => None,
        (ip, port) => Some(format!(
            "{}:{}",
            ip.unwrap_or_else(|| "127.0.0.1".into()),
            port.unwrap_or(8787)
        )),
    };
    Ok((listen, unsupported))
}

/// The `alias` table, checked: every target a string.
pub(crate) fn alias(
    alias: &Value,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<Map<String, Value>, ConfigError> {
    let Value::Object(entries) = alias else {
        return Err(invalid(
            "alias",
            "must be a table of module names and what each becomes".into(),
        ));
    };
    for (name, target) in entries {
        match target {
            Value::String(t) if !t.is_empty() && !name.is_empty() => {}
            _ => {
                return Err(invalid(
                    &format!("alias.{name}"),
                    "must be a module name and a non-empty string (the module or file it becomes)"
                        .into(),
                ))
            }
        }
    }
    Ok(entries.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invalid(field: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            file: "wrangler.json".into(),
            field: field.to_owned(),
            message,
        }
    }

    #[test]
    fn dev_tables_become_listen_addresses() {
        let listen = |v: Value| dev_listen(&v, &invalid).unwrap();
        assert_eq!(listen(json!({ "port": 9000 })).0.unwrap(), "127.0.0.1:9000");
        assert_eq!(listen(json!({ "ip": "*" })).0.unwrap(), "0.0.0.0:8787");
        assert_eq!(
            listen(json!({ "ip": "::1", "port": 1 })).0.unwrap(),
            "[::1]:1"
        );
        assert_eq!(
            listen(json!({ "ip": "localhost", "local_protocol": "http" })),
            (Some("127.0.0.1:8787".into()), vec![])
        );
        assert_eq!(
            listen(json!({ "local_protocol": "https", "inspector_port": 9230 })),
            (
                None,
                vec!["dev.inspector_port".into(), "dev.local_protocol".into()]
            )
        );
        for bad in [
            json!({ "port": 70000 }),
            json!({ "ip": "example.com" }),
            json!(3),
        ] {
            assert!(dev_listen(&bad, &invalid).is_err(), "{bad}");
        }
    }

    #[test]
    fn aliases_are_tables_of_strings() {
        assert_eq!(
            alias(&json!({ "a": "./b" }), &invalid).unwrap()["a"],
            json!("./b")
        );
        for bad in [json!({ "a": 1 }), json!({ "a": "" }), json!(["a"])] {
            assert!(alias(&bad, &invalid).is_err(), "{bad}");
        }
    }
}
