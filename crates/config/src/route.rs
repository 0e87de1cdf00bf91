//! Route patterns with Cloudflare's semantics.
//!
//! A pattern is `host/path`. `*` may stand only at the start of the host
//! (`*.example.com` matches every subdomain; `*example.com` also matches
//! `example.com`; `*` alone matches any host) and at the end of the path
//! (`/api/*` matches everything under `/api/`). A leading `http://` or
//! `https://` is ignored. When several patterns match, the most specific
//! wins: an exact host beats a wildcard one, a longer host suffix beats a
//! shorter one, then an exact path beats a prefix and a longer prefix beats a
//! shorter one.

use std::fmt;

/// The host half of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `*`: any host.
    Any,
    /// `*suffix`: any host ending in the suffix (lower case).
    Suffix(String),
    /// One host name (lower case).
    Exact(String),
}

/// The path half of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPattern {
    /// `prefix*`: any path that starts with the prefix.
    Prefix(String),
    /// One path.
    Exact(String),
}

/// A parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    /// The host half.
    pub host: HostPattern,
    /// The path half.
    pub path: PathPattern,
    text: String,
}

impl RoutePattern {
    /// Parses a pattern; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let t = t
            .strip_prefix("https://")
            .or_else(|| t.strip_prefix("http://"))
            .unwrap_or(t);
        let Some(slash) = t.find('/') else {
            return Err(format!(
                "route '{text}' needs a host and a path, like 'example.com/*'"
            ));
        };
        let (host, path) = t.split_at(slash);
        let host = host.to_ascii_lowercase();
        let host = host.split(':').next().unwrap_or_default().to_owned();
        if host.is_empty() {
            return Err(format!("route '{text}' has an empty host"));
        }
        let host = match host.strip_prefix('*') {
            Some(rest) if rest.contains('*') => {
                return Err(format!(
                    "route '{text}': '*' is only allowed at the start of the host"
                ))
            }
            Some("") => HostPattern::Any,
            Some(rest) => HostPattern::Suffix(rest.to_owned()),
            None if host.contains('*') => {
                return Err(format!(
                    "route '{text}': '*' is only allowed at the start of the host"
                ))
            }
            None => HostPattern::Exact(host),
        };
        let path = match path.strip_suffix('*') {
            Some(rest) if rest.contains('*') => {
                return Err(format!(
                    "route '{text}': '*' is only allowed at the end of the path"
                ))
            }
            Some(rest) => PathPattern::Prefix(rest.to_owned()),
            None if path.contains('*') => {
                return Err(format!(
                    "route '{text}': '*' is only allowed at the end of the path"
                ))
            }
            None => PathPattern::Exact(path.to_owned()),
        };
        Ok(Self {
            host,
            path,
            text: text.to_owned(),
        })
    }

    /// Whether the pattern matches a request's host (without port, any case)
    /// and path.
    pub fn matches(&self, host: &str, path: &str) -> bool {
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Suffix(s) => ends_with_ignore_case(host, s),
            HostPattern::Exact(h) => host.eq_ignore_ascii_case(h),
        };
        host_ok
            && match &self.path {
                PathPattern::Prefix(p) => path.starts_with(p.as_str()),
                PathPattern::Exact(p) => path == p,
            }
    }

    /// How specific the pattern is; of two matching patterns, the greater
    /// wins.
    pub fn specificity(&self) -> (bool, usize, bool, usize) {
        let (host_exact, host_len) = match &self.host {
            HostPattern::Any => (false, 0),
            HostPattern::Suffix(s) => (false, s.len()),
            HostPattern::Exact(h) => (true, h.len()),
        };
        let (path_exact, path_len) = match &self.path {
            PathPattern::Prefix(p) => (false, p.len()),
            PathPattern::Exact(p) => (true, p.len()),
        };
        (host_exact, host_len, path_exact, path_len)
    }
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.is_char_boundary(s.len() - suffix.len())
        && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> RoutePattern {
        RoutePattern::parse(s).unwrap()
    }

    #[test]
    fn wildcards_only_at_host_start_and_path_end() {
        assert!(RoutePattern::parse("exa*mple.com/*").is_err());
        assert!(RoutePattern::parse("example.com/a*/b").is_err());
        assert!(RoutePattern::parse("*.*.example.com/*").is_err());
        assert!(RoutePattern::parse("example.com").is_err());
        assert!(RoutePattern::parse("/path").is_err());
        assert!(RoutePattern::parse("https://example.com/*").is_ok());
    }

    #[test]
    fn matching() {
        assert!(r("example.com/*").matches("EXAMPLE.com", "/x"));
        assert!(!r("example.com/*").matches("a.example.com", "/x"));
        assert!(r("*.example.com/*").matches("a.example.com", "/x"));
        assert!(!r("*.example.com/*").matches("example.com", "/x"));
        assert!(r("*example.com/*").matches("example.com", "/"));
        assert!(r("*/*").matches("anything", "/"));
        assert!(r("example.com/api/*").matches("example.com", "/api/v1"));
        assert!(!r("example.com/api/*").matches("example.com", "/apix"));
        assert!(r("example.com/exact").matches("example.com", "/exact"));
        assert!(!r("example.com/exact").matches("example.com", "/exact/more"));
    }

    #[test]
    fn more_specific_patterns_rank_higher() {
        let order = [
            "*/*",
            "*example.com/*",
            "*.example.com/*",
            "example.com/*",
            "example.com/api/*",
            "example.com/api/v1",
        ];
        for pair in order.windows(2) {
            assert!(
                r(pair[0]).specificity() < r(pair[1]).specificity(),
                "{} should rank below {}",
                pair[0],
                pair[1]
            );
        }
    }
}
