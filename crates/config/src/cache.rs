//! `[cache]`: the Cache API's store (`caches.default`, `caches.open`).

use serde::Deserialize;

/// `[cache]` as the file spells it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCache {
    pub(crate) max_mb: Option<u64>,
}

/// `[cache]`: how much the Cache API keeps. Each Worker has its own caches;
/// they share one size limit and one database in the state folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheSettings {
    /// `max_mb`: the most the caches of all Workers hold together, in MiB;
    /// past it the least recently used entries go, and a response larger
    /// than the whole cache is refused. Default: none given, the runtime's
    /// default (512 MiB).
    pub max_mb: Option<u64>,
}

impl CacheSettings {
    /// Validates `[cache]`; an error is `(field, message)`.
    pub(crate) fn from_raw(raw: &RawCache) -> Result<Self, (String, String)> {
        match raw.max_mb {
            Some(0) => Err(("cache.max_mb".into(), "must be at least 1".into())),
            Some(mb) if mb > 1 << 30 => Err(("cache.max_mb".into(), "is too large".into())),
            max_mb => Ok(Self { max_mb }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_mb_is_checked() {
        let ok = CacheSettings::from_raw(&RawCache { max_mb: Some(64) }).unwrap();
        assert_eq!(ok.max_mb, Some(64));
        assert_eq!(
            CacheSettings::from_raw(&RawCache { max_mb: None }).unwrap(),
            CacheSettings::default()
        );
        assert!(CacheSettings::from_raw(&RawCache { max_mb: Some(0) }).is_err());
    }
}
