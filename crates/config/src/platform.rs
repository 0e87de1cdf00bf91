//! Bindings whose value is fixed when the Worker starts: its version's
//! metadata (`version_metadata`), Workers Analytics Engine datasets
//! (`analytics_engine_datasets`) and Hyperdrive configurations
//! (`hyperdrive`). The same keys in motu.toml (`[workers.version_metadata]`,
//! `[[workers.analytics_engine_datasets]]`, `[[workers.hyperdrive]]`) and in
//! a Wrangler config, where, as bindings, they are not inherited by
//! `[env.NAME]` sections.
//!
//! ```toml
//! [workers.version_metadata]
//! binding = "CF_VERSION_METADATA"     # { id, tag, timestamp }
//!
//! [[workers.analytics_engine_datasets]]
//! binding = "STATS"                   # writeDataPoint() records nothing, as in wrangler dev
//! dataset = "requests"                # default: the binding's name
//!
//! [[workers.hyperdrive]]
//! binding = "HYPERDRIVE"
//! id = "a76a99bc342644deb02c38d66082262a"
//! localConnectionString = "postgres://user:password@localhost:5432/db"
//! ```
//!
//! Hyperdrive in local development connects straight to the database the
//! connection string names, as `wrangler dev` does (no pool, no cache). The
//! string comes from `CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>`
//! (or the older `WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>`)
//! when set, else from `localConnectionString`; without either the config
//! is refused, as wrangler refuses it. Its host and port are opened to the
//! Worker that has the binding (and to no other), beyond the server's
//! egress policy, so a database on the loopback or a private address is
//! reachable without more configuration. A string that asks for TLS
//! (`sslmode=require`…) gets it from the host, as wrangler's local
//! Hyperdrive gives it (see `hyperdrive_tls`).

use serde::Deserialize;

/// The keys of an `analytics_engine_datasets` entry motu reads from a
/// Wrangler config.
pub(crate) const ANALYTICS_WRANGLER_KEYS: &[&str] = &["binding", "dataset"];

/// The keys of a `hyperdrive` entry motu reads from a Wrangler config.
pub(crate) const HYPERDRIVE_WRANGLER_KEYS: &[&str] = &["binding", "id", "localConnectionString"];

/// `[workers.version_metadata]`, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVersionMetadata {
    pub(crate) binding: Option<String>,
}

/// One `[[workers.analytics_engine_datasets]]` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAnalyticsDataset {
    pub(crate) binding: Option<String>,
    pub(crate) dataset: Option<String>,
}

/// One `[[workers.hyperdrive]]` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHyperdrive {
    pub(crate) binding: Option<String>,
    pub(crate) id: Option<String>,
    #[serde(rename = "localConnectionString")]
    pub(crate) local_connection_string: Option<String>,
}

/// An Analytics Engine dataset: `env.BINDING.writeDataPoint(point)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsEngineBinding {
    /// `binding`: the name in `env`. Required.
    pub binding: String,
    /// `dataset`: the dataset written to. Default: the binding's name.
    pub dataset: String,
}

/// A Hyperdrive configuration: `env.BINDING.connectionString` and its parts,
/// and `env.BINDING.connect()`.
#[derive(Clone, PartialEq, Eq)]
pub struct HyperdriveBinding {
    /// `binding`: the name in `env`. Required.
    pub binding: String,
    /// `id`: the Hyperdrive configuration's id (recorded). Default empty.
    pub id: String,
    /// The database's connection string (`postgres://`, `postgresql://` or
    /// `mysql://`, with a user, a password, a host and a database).
    pub connection: url::Url,
    /// The TLS the connection string asks for, which the host speaks to the
    /// database (see `hyperdrive_tls`). `None`: a plain connection.
    pub tls: Option<crate::HyperdriveTls>,
}

impl std::fmt::Debug for HyperdriveBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection string holds a password: never shown.
        f.debug_struct("HyperdriveBinding")
            .field("binding", &self.binding)
            .field("id", &self.id)
            .field("host", &self.connection.host_str())
            .finish_non_exhaustive()
    }
}

impl HyperdriveBinding {
    /// The database's port: the connection string's, else its protocol's
    /// (5432 for PostgreSQL, 3306 for MySQL).
    pub fn port(&self) -> u16 {
        self.connection
            .port()
            .unwrap_or(if self.connection.scheme() == "mysql" {
                3306
            } else {
                5432
            })
    }

    /// The connection string the Worker is given: the configured one, or,
    /// when the host speaks TLS to the database, that string without its
    /// TLS settings (see `hyperdrive_tls`).
    pub fn worker_connection(&self) -> url::Url {
        match self.tls {
            Some(_) => crate::hyperdrive_tls::worker_url(&self.connection),
            None => self.connection.clone(),
        }
    }

    /// `host:port`, as the egress policy names it.
    pub fn address(&self) -> String {
        let host = self.connection.host_str().unwrap_or_default();
        format!("{host}:{}", self.port())
    }
}

/// The name of the environment variable that gives `binding` its local
/// connection string, and the older name wrangler also reads.
fn connection_variables(binding: &str) -> [String; 2] {
    [
        format!("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_{binding}"),
        format!("WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_{binding}"),
    ]
}

/// Validates a connection string as Hyperdrive's local development does.
fn connection(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("not a connection string URL ({e})"))?;
    if !["postgres", "postgresql", "mysql"].contains(&url.scheme()) {
        return Err(
            "only PostgreSQL (postgres://, postgresql://) and MySQL (mysql://) databases are supported"
                .into(),
        );
    }
    let missing = if url.host_str().is_none_or(str::is_empty) {
        Some("a host")
    } else if url.path().trim_start_matches('/').is_empty() {
        Some("a database name as the path (/postgres)")
    } else if url.username().is_empty() {
        Some("a user name")
    } else if url.password().is_none_or(str::is_empty) {
        Some("a password")
    } else {
        None
    };
    match missing {
        Some(what) => Err(format!("the connection string must give {what}")),
        None => Ok(url),
    }
}

/// The bindings of this module, validated. `taken` tells whether a name in
/// `env` is already used by another binding; `env` looks up an environment
/// variable. Errors are `(field, message)`.
pub(crate) fn validate(
    version: Option<&RawVersionMetadata>,
    analytics: &[RawAnalyticsDataset],
    hyperdrive: &[RawHyperdrive],
    taken: &dyn Fn(&str) -> bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Platform, (String, String)> {
    let mut names: Vec<String> = Vec::new();
    let mut name = |field: String, value: &Option<String>| -> Result<String, (String, String)> {
        let Some(binding) = value.clone().filter(|b| !b.is_empty()) else {
            return Err((field, "missing".into()));
        };
        if taken(&binding) || names.contains(&binding) {
            return Err((field, format!("'{binding}' is already a binding in env")));
        }
        names.push(binding.clone());
        Ok(binding)
    };
    let version_metadata = version
        .map(|v| name("version_metadata.binding".into(), &v.binding))
        .transpose()?;
    let mut datasets = Vec::new();
    for (i, raw) in analytics.iter().enumerate() {
        let binding = name(
            format!("analytics_engine_datasets[{i}].binding"),
            &raw.binding,
        )?;
        let dataset = raw.dataset.clone().unwrap_or_else(|| binding.clone());
        datasets.push(AnalyticsEngineBinding { binding, dataset });
    }
    let mut hyperdrives = Vec::new();
    for (i, raw) in hyperdrive.iter().enumerate() {
        let field = |f: &str| format!("hyperdrive[{i}].{f}");
        let binding = name(field("binding"), &raw.binding)?;
        let [current, older] = connection_variables(&binding);
        let (text, source) = match (env(&current), env(&older), &raw.local_connection_string) {
            (Some(text), _, _) => (text, current),
            (None, Some(text), _) => (text, older),
            (None, None, Some(text)) => (text.clone(), field("localConnectionString")),
            (None, None, None) => {
                return Err((
                    field("localConnectionString"),
                    format!(
                        "Hyperdrive binding '{binding}' needs a local database to connect to: set localConnectionString, or {current}"
                    ),
                ))
            }
        };
        let connection = connection(&text).map_err(|m| (source.clone(), m))?;
        let tls = crate::hyperdrive_tls::read(&connection).map_err(|m| (source.clone(), m))?;
        let h = HyperdriveBinding {
            binding,
            id: raw.id.clone().unwrap_or_default(),
            connection,
            tls,
        };
        // The host knows the database whose TLS it speaks by its address:
        // two settings for one address cannot both hold.
        if let Some(other) = hyperdrives.iter().find(|o: &&HyperdriveBinding| {
            o.address() == h.address() && o.tls.is_some() && h.tls.is_some() && o.tls != h.tls
        }) {
            return Err((
                source,
                format!(
                    "Hyperdrive bindings '{}' and '{}' connect to {} with different TLS settings (sslmode, sslrootcert), which motu cannot tell apart: give both the same",
                    other.binding,
                    h.binding,
                    h.address()
                ),
            ));
        }
        hyperdrives.push(h);
    }
    Ok(Platform {
        version_metadata,
        analytics_engine_datasets: datasets,
        hyperdrive: hyperdrives,
    })
}

/// A Worker's bindings of this module.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Platform {
    /// `version_metadata.binding`: the name in `env` of the Worker's
    /// version metadata (`{ id, tag, timestamp }`). Default none.
    pub version_metadata: Option<String>,
    /// `analytics_engine_datasets`. Default none.
    pub analytics_engine_datasets: Vec<AnalyticsEngineBinding>,
    /// `hyperdrive`. Default none.
    pub hyperdrive: Vec<HyperdriveBinding>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hyperdrive(text: Option<&str>) -> RawHyperdrive {
        RawHyperdrive {
            binding: Some("HD".into()),
            id: Some("x".into()),
            local_connection_string: text.map(str::to_owned),
        }
    }

    fn check(
        raw: RawHyperdrive,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Platform, (String, String)> {
        validate(None, &[], &[raw], &|_| false, env)
    }

    #[test]
    fn a_connection_string_is_checked_as_wrangler_checks_it() {
        let none = |_: &str| None;
        let ok = check(hyperdrive(Some("postgres://u:p@db.internal/app")), &none).unwrap();
        assert_eq!(ok.hyperdrive[0].address(), "db.internal:5432");
        let my = check(hyperdrive(Some("mysql://u:p@127.0.0.1/app")), &none).unwrap();
        assert_eq!(my.hyperdrive[0].port(), 3306);
        for (text, needle) in [
            ("redis://u:p@h/app", "only PostgreSQL"),
            ("postgres://u:p@h", "database name"),
            ("postgres://u@h/app", "password"),
            ("postgres://:p@h/app", "user name"),
            ("nonsense", "not a connection string"),
        ] {
            let (field, message) = check(hyperdrive(Some(text)), &none).unwrap_err();
            assert_eq!(field, "hyperdrive[0].localConnectionString");
            assert!(message.contains(needle), "{text}: {message}");
        }
        let (_, message) = check(hyperdrive(None), &none).unwrap_err();
        assert!(
            message.contains("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD"),
            "{message}"
        );
    }

    #[test]
    fn the_environment_gives_the_connection_string_first() {
        let env = |name: &str| {
            (name == "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD")
                .then(|| "postgresql://a:b@from-env:6543/x".to_owned())
        };
        let p = check(hyperdrive(Some("postgres://u:p@h/app")), &env).unwrap();
        assert_eq!(p.hyperdrive[0].address(), "from-env:6543");
        let older = |name: &str| {
            (name == "WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_HD")
                .then(|| "postgresql://a:b@older/x".to_owned())
        };
        let p = check(hyperdrive(None), &older).unwrap();
        assert_eq!(p.hyperdrive[0].address(), "older:5432");
        assert!(!format!("{:?}", p.hyperdrive[0]).contains(":b@"));
    }

    #[test]
    fn one_database_address_has_one_tls_setting() {
        let none = |_: &str| None;
        let raw = |binding: &str, text: &str| RawHyperdrive {
            binding: Some(binding.into()),
            id: None,
            local_connection_string: Some(text.into()),
        };
        let same = [
            raw("A", "postgres://u:p@db:5432/a?sslmode=require"),
            raw("B", "postgres://v:q@db/b?sslmode=require"),
            raw("C", "postgres://u:p@db/c"),
        ];
        let p = validate(None, &[], &same, &|_| false, &none).unwrap();
        assert_eq!(p.hyperdrive.len(), 3);
        let differ = [
            raw("A", "postgres://u:p@db/a?sslmode=require"),
            raw("B", "postgres://u:p@db/b?sslmode=verify-full"),
        ];
        let (field, message) = validate(None, &[], &differ, &|_| false, &none).unwrap_err();
        assert_eq!(field, "hyperdrive[1].localConnectionString");
        assert!(message.contains("'A' and 'B'"), "{message}");
    }

    #[test]
    fn names_are_unique_and_a_dataset_defaults_to_its_binding() {
        let none = |_: &str| None;
        let analytics = [
            RawAnalyticsDataset {
                binding: Some("STATS".into()),
                dataset: None,
            },
            RawAnalyticsDataset {
                binding: Some("STATS".into()),
                dataset: Some("d".into()),
            },
        ];
        let version = RawVersionMetadata {
            binding: Some("V".into()),
        };
        let (field, _) = validate(Some(&version), &analytics, &[], &|_| false, &none).unwrap_err();
        assert_eq!(field, "analytics_engine_datasets[1].binding");
        let p = validate(Some(&version), &analytics[..1], &[], &|_| false, &none).unwrap();
        assert_eq!(p.analytics_engine_datasets[0].dataset, "STATS");
        assert_eq!(p.version_metadata.as_deref(), Some("V"));
        let (field, _) = validate(Some(&version), &[], &[], &|n| n == "V", &none).unwrap_err();
        assert_eq!(field, "version_metadata.binding");
    }
}
