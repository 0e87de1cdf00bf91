//! The URL patterns of `_headers` and `_redirects` (Cloudflare's syntax),
//! and of `run_worker_first`.
//!
//! A `_headers` / `_redirects` pattern is a path (`/blog/*`) or, in
//! `_headers`, an absolute `https://host/path` URL. In it, `*` (a splat)
//! matches any characters, `/` included, and is captured as `:splat`;
//! `:name` (a placeholder: a letter, then letters, digits or `_`) matches
//! one path segment, or one label of the host. Captures are put into the
//! rule's values where they name them. A URL rule matches the request's
//! host name whatever its scheme and port.
//!
//! A `run_worker_first` pattern has `*` only, and no captures.

use regex::Regex;

/// A compiled `_headers` / `_redirects` pattern.
#[derive(Debug)]
pub(crate) struct Pattern {
    regex: Regex,
    /// Whether it is a `https://host/path` pattern (tested against the
    /// request's host and path).
    cross_host: bool,
}

/// The values a match captured, by name, in pattern order.
pub(crate) type Captures = Vec<(String, String)>;

impl Pattern {
    /// Compiles `rule`; an error when it cannot be (two captures of one
    /// name, e.g. two `*`).
    pub(crate) fn compile(rule: &str) -> Result<Self, String> {
        let cross_host = rule.starts_with("https://");
        let host_end = if cross_host {
            rule["https://".len()..]
                .find('/')
                .map_or(rule.len(), |i| i + "https://".len())
        } else {
            0
        };
        let mut re = String::from("^");
        let mut literal = String::new();
        let flush = |re: &mut String, literal: &mut String| {
            re.push_str(&regex::escape(literal));
            literal.clear();
        };
        let mut chars = rule.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '*' => {
                    flush(&mut re, &mut literal);
                    re.push_str("(?P<splat>.*)");
                }
                ':' if chars.peek().is_some_and(|(_, n)| n.is_ascii_alphabetic()) => {
                    flush(&mut re, &mut literal);
                    let mut name = String::new();
                    while let Some((_, n)) = chars.peek() {
                        if n.is_ascii_alphanumeric() || *n == '_' {
                            name.push(*n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    let segment = if i < host_end { "[^/.]+" } else { "[^/]+" };
                    re.push_str(&format!("(?P<{name}>{segment})"));
                }
                _ => literal.push(c),
            }
        }
        flush(&mut re, &mut literal);
        re.push('$');
        let regex = Regex::new(&re).map_err(|e| format!("'{rule}' cannot be used: {e}"))?;
        Ok(Self { regex, cross_host })
    }

    /// What it captures from a request for `host` (no port) and `path`, if
    /// it matches.
    pub(crate) fn captures(&self, host: &str, path: &str) -> Option<Captures> {
        let subject;
        let tested = if self.cross_host {
            subject = format!("https://{host}{path}");
            subject.as_str()
        } else {
            path
        };
        let caps = self.regex.captures(tested)?;
        Some(
            self.regex
                .capture_names()
                .flatten()
                .filter_map(|name| {
                    caps.name(name)
                        .map(|m| (name.to_owned(), m.as_str().to_owned()))
                })
                .collect(),
        )
    }
}

/// `template` with each `:name` replaced by what `name` captured.
pub(crate) fn replace(template: &str, captures: &Captures) -> String {
    let mut out = template.to_owned();
    for (name, value) in captures {
        out = out.replace(&format!(":{name}"), value);
    }
    out
}

/// A `run_worker_first` pattern: `*` matches any characters.
#[derive(Debug)]
pub(crate) struct Glob(Regex);

impl Glob {
    /// Compiles `rule`.
    pub(crate) fn compile(rule: &str) -> Result<Self, String> {
        let body: Vec<String> = rule.split('*').map(regex::escape).collect();
        Regex::new(&format!("^{}$", body.join(".*")))
            .map(Self)
            .map_err(|e| format!("'{rule}' cannot be used: {e}"))
    }

    /// Whether `path` matches.
    pub(crate) fn matches(&self, path: &str) -> bool {
        self.0.is_match(path)
    }
}

/// A URL of a `_headers` / `_redirects` line checked and put in its
/// canonical form: an absolute `https://host/path` (when `relative_only` is
/// false), or a path starting with `/`. The path is normalized as a URL
/// parser does (dot segments resolved, characters percent-encoded); query
/// and fragment are kept when asked for.
pub(crate) fn canonical_url(
    token: &str,
    relative_only: bool,
    no_ports: bool,
    keep_search: bool,
    keep_hash: bool,
) -> Result<String, String> {
    if let Some(rest) = token.strip_prefix("https://") {
        let rest = rest.trim_start_matches('/');
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if !host.is_empty() {
            if relative_only {
                return Err(format!(
                    "Only relative URLs are allowed. Skipping absolute URL {token}."
                ));
            }
            let has_port = host
                .rsplit_once(':')
                .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            if no_ports && has_port {
                return Err(format!(
                    "Specifying ports is not supported. Skipping absolute URL {token}."
                ));
            }
            let path = path.trim_start_matches('/');
            return Ok(format!(
                "https://{host}{}",
                path_part(path, keep_search, keep_hash)?
            ));
        }
    }
    let token = if relative_only && !token.starts_with('/') {
        format!("/{token}")
    } else {
        token.to_owned()
    };
    if token.starts_with('/') {
        return path_part(&token, keep_search, keep_hash);
    }
    Err(if relative_only {
        "URLs should begin with a forward-slash.".to_owned()
    } else {
        "URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS (e.g. begin with \"https://\").".to_owned()
    })
}

/// Whether `token` is an absolute `https://host…` URL.
pub(crate) fn has_host(token: &str) -> bool {
    token
        .strip_prefix("https://")
        .map(|rest| rest.trim_start_matches('/'))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

/// The normalized path (with query and fragment if asked) of `path`.
fn path_part(path: &str, keep_search: bool, keep_hash: bool) -> Result<String, String> {
    let slashed = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let base = url::Url::parse("relative://").expect("a valid base");
    let url = base
        .join(&format!("//{slashed}"))
        .map_err(|_| format!("Error parsing URL segment {path}. Skipping."))?;
    let mut out = url.path().to_owned();
    if keep_search {
        if let Some(q) = url.query().filter(|q| !q.is_empty()) {
            out.push('?');
            out.push_str(q);
        }
    }
    if keep_hash {
        if let Some(f) = url.fragment().filter(|f| !f.is_empty()) {
            out.push('#');
            out.push_str(f);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splats_and_placeholders_capture() {
        let p = Pattern::compile("/blog/:year/:slug").unwrap();
        assert_eq!(
            p.captures("x", "/blog/2024/hello").unwrap(),
            vec![
                ("year".to_owned(), "2024".to_owned()),
                ("slug".to_owned(), "hello".to_owned())
            ]
        );
        assert!(
            p.captures("x", "/blog/2024/a/b").is_none(),
            "one segment each"
        );
        let s = Pattern::compile("/docs/*").unwrap();
        assert_eq!(s.captures("x", "/docs/a/b.html").unwrap()[0].1, "a/b.html");
        assert!(s.captures("x", "/doc").is_none());
        let dots = Pattern::compile("/a.b").unwrap();
        assert!(dots.captures("x", "/axb").is_none(), "literals are literal");
        assert!(Pattern::compile("/*/*").is_err(), "two splats");
    }

    #[test]
    fn host_rules_match_the_host_name() {
        let p = Pattern::compile("https://:sub.example.com/*").unwrap();
        let c = p.captures("blog.example.com", "/x").unwrap();
        assert_eq!(c[0], ("sub".to_owned(), "blog".to_owned()));
        assert!(p.captures("a.b.example.com", "/x").is_none());
        assert!(p.captures("example.org", "/x").is_none());
    }

    #[test]
    fn replacing_uses_every_capture() {
        let c = vec![
            ("id".to_owned(), "7".to_owned()),
            ("splat".to_owned(), "a/b".to_owned()),
        ];
        assert_eq!(replace("/users/:id/:splat?x=:id", &c), "/users/7/a/b?x=7");
    }

    #[test]
    fn globs_match_whole_paths() {
        let g = Glob::compile("/api/*").unwrap();
        assert!(g.matches("/api/users"));
        assert!(g.matches("/api/"));
        assert!(!g.matches("/apix"));
        assert!(Glob::compile("/exact.html").unwrap().matches("/exact.html"));
        assert!(!Glob::compile("/exact.html").unwrap().matches("/exactxhtml"));
    }

    #[test]
    fn urls_are_put_in_canonical_form() {
        assert_eq!(
            canonical_url("/a/../b", true, true, false, false).unwrap(),
            "/b"
        );
        assert_eq!(canonical_url("a", true, true, false, false).unwrap(), "/a");
        assert_eq!(
            canonical_url("https://example.com/x?y#z", false, false, true, true).unwrap(),
            "https://example.com/x?y#z"
        );
        assert_eq!(
            canonical_url("https://example.com", false, true, false, false).unwrap(),
            "https://example.com/"
        );
        assert!(
            canonical_url("https://example.com:8443/", false, true, false, false)
                .unwrap_err()
                .contains("ports")
        );
        assert!(
            canonical_url("https://example.com/", true, true, false, false)
                .unwrap_err()
                .contains("Only relative")
        );
        assert!(canonical_url("http://example.com/", false, false, true, true).is_err());
        assert_eq!(
            canonical_url("/q?a=1#f", false, false, true, true).unwrap(),
            "/q?a=1#f"
        );
        assert!(has_host("https://example.com/x"));
        assert!(!has_host("/x"));
    }
}
