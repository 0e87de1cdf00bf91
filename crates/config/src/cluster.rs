//! `[cluster]`: several motu nodes that share state through Redis.
//!
//! ```toml
//! [cluster]
//! redis = "redis://redis.internal:6379/0"   # default: none, a single node
//! ```
//!
//! or, for any config format (a Wrangler project too), the environment:
//! `MOTU_CLUSTER__REDIS=redis://…`. With it, KV namespaces live in Redis
//! (every node reads what any node wrote) and each cron tick fires on one
//! node only. `rediss://` connects with TLS; a user name and password go in
//! the URL (`redis://:PASSWORD@host:6379/0`, `redis://USER:PASSWORD@…`).
//!
//! The password is a secret: [`RedisUrl`] shows it as `***` wherever it is
//! printed (its `Debug` and `Display`, every error message), and only
//! [`RedisUrl::expose`] gives it to the code that connects.

use serde::Deserialize;

/// `[cluster]` as the file spells it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCluster {
    pub(crate) redis: Option<String>,
}

/// `[cluster]`: how this node shares state with the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSettings {
    /// `redis`: the Redis server the nodes share (`redis://host:port/db`,
    /// `rediss://` for TLS). Default: none, this node keeps everything in
    /// its own state folder.
    pub redis: Option<RedisUrl>,
}

impl ClusterSettings {
    /// Validates `[cluster]`; an error is `(field, message)`, and never
    /// shows the URL's password.
    pub(crate) fn from_raw(raw: &RawCluster) -> Result<Self, (String, String)> {
        let redis = match raw.redis.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                RedisUrl::parse(text).map_err(|message| ("cluster.redis".to_owned(), message))?,
            ),
        };
        Ok(Self { redis })
    }
}

/// A Redis URL whose password is never printed (see the module docs).
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    url: String,
    shown: String,
}

impl RedisUrl {
    /// Checks `text`: a `redis://` or `rediss://` URL with a host, and a
    /// database number as its path if it has one. The error never shows
    /// the password.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|e| {
            format!(
                "'{}' is not a URL like redis://host:6379/0 ({e})",
                redact_text(text)
            )
        })?;
        let shown = redact(&url);
        if !matches!(url.scheme(), "redis" | "rediss") {
            return Err(format!(
                "'{shown}' is not a Redis URL: use redis://host:port/db, or rediss:// for TLS"
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("'{shown}' names no host"));
        }
        let db = url.path().trim_start_matches('/');
        if !db.is_empty() && db.parse::<u32>().is_err() {
            return Err(format!(
                "'{shown}': the path is the database number (redis://host:6379/0), not '{db}'"
            ));
        }
        Ok(Self {
            url: text.to_owned(),
            shown,
        })
    }

    /// The URL as given, password included: for connecting only, never for
    /// printing.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The URL with its password (if any) replaced by `***`.
    pub fn redacted(&self) -> &str {
        &self.shown
    }

    /// Whether it connects with TLS (`rediss://`).
    pub fn is_tls(&self) -> bool {
        self.url.starts_with("rediss:")
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisUrl({})", self.shown)
    }
}

impl std::fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// `text` with everything between `://` and the last `@` of its authority
/// past the first `:` replaced: for text that is not even a URL.
fn redact_text(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_their_password_never_shown() {
        let url = RedisUrl::parse("redis://:s3cret@127.0.0.1:6380/2").unwrap();
        assert_eq!(url.expose(), "redis://:s3cret@127.0.0.1:6380/2");
        assert_eq!(url.redacted(), "redis://:***@127.0.0.1:6380/2");
        assert_eq!(format!("{url} {url:?}").matches("s3cret").count(), 0);
        let user = RedisUrl::parse("rediss://app:pw@redis.example:6379").unwrap();
        assert!(user.is_tls());
        assert_eq!(user.redacted(), "rediss://app:***@redis.example:6379");
        assert_eq!(
            RedisUrl::parse("redis://h").unwrap().redacted(),
            "redis://h"
        );
        let err = |t: &str| RedisUrl::parse(t).unwrap_err();
        assert!(err("http://:pw@h:1").contains("not a Redis URL"));
        assert!(!err("http://:pw@h:1").contains("pw@"));
        assert!(err("redis://:pw@h:1/x").contains("database number"));
        assert!(!err("redis://:pw@h:1/x").contains(":pw"));
        let garbled = err("redis://:pw@[::1");
        assert!(!garbled.contains("pw"), "{garbled}");
        assert!(err("redis:///0").contains("no host") || err("redis:///0").contains("not a URL"));
    }

    #[test]
    fn an_empty_setting_is_no_cluster() {
        let none = ClusterSettings::from_raw(&RawCluster {
            redis: Some(" ".into()),
        })
        .unwrap();
        assert_eq!(none.redis, None);
        let (field, message) = ClusterSettings::from_raw(&RawCluster {
            redis: Some("mysql://u:topsecret@h".into()),
        })
        .unwrap_err();
        assert_eq!(field, "cluster.redis");
        assert!(!message.contains("topsecret"), "{message}");
    }

    #[test]
    fn the_environment_sets_it_for_a_wrangler_project_too() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.js"), "export default {}").unwrap();
        let file = dir.path().join("wrangler.jsonc");
        std::fs::write(&file, r#"{ "name": "app", "main": "index.js" }"#).unwrap();
        let env = |v: &str| vec![("MOTU_CLUSTER__REDIS".to_owned(), v.to_owned())];
        let loaded =
            crate::Settings::load_any_with_env(&file, None, &["quickjs"], env("redis://h:7/3"))
                .unwrap();
        assert_eq!(
            loaded.settings.cluster.redis.unwrap().expose(),
            "redis://h:7/3"
        );
        let err = crate::Settings::load_any_with_env(
            &file,
            None,
            &["quickjs"],
            env("redis://:hunter2@h:7/x"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("cluster.redis") && !err.contains("hunter2"),
            "{err}"
        );
        let toml = dir.path().join("motu.toml");
        std::fs::write(&toml, "[cluster]\nredis = \"rediss://:pw@h:6380/1\"\n").unwrap();
        let settings = crate::Settings::load_with_env(&toml, &["quickjs"], Vec::new()).unwrap();
        assert!(settings.cluster.redis.unwrap().is_tls());
    }
}
