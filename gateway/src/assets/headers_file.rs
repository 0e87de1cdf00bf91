//! `_headers`: custom headers on the asset server's responses, in
//! Cloudflare's syntax.
//!
//! ```text
//! # a comment
//! /*
//!   X-Frame-Options: DENY
//! /static/*
//!   Cache-Control: public, max-age=31536000, immutable
//!   ! X-Frame-Options
//! https://:sub.example.com/*
//!   X-Sub: :sub
//! ```
//!
//! A line that starts with `/` or `https://` opens a rule (a [`Pattern`]);
//! the `Name: value` lines under it set headers, and `! Name` lines remove
//! one. Every rule that matches a response's request applies, in file
//! order: removals first, then each header is set (the first rule that sets
//! a name replaces what the server sent; later rules add values).
//! Placeholders captured by the pattern are put into the values.
//!
//! Limits as on Cloudflare: at most [`MAX_HEADER_RULES`] rules and lines of
//! at most [`MAX_LINE_LENGTH`] characters; one wildcard per rule, and not
//! with a `:splat` placeholder. Invalid lines are skipped with a warning.
//! The rules apply to responses of the asset server only, never to a
//! Worker's.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::rules::{canonical_url, replace, Pattern};

/// How many rules `_headers` may have.
pub const MAX_HEADER_RULES: usize = 100;

/// How long a line of `_headers` or `_redirects` may be.
pub const MAX_LINE_LENGTH: usize = 2000;

/// One rule: a pattern, the headers it sets and those it removes.
#[derive(Debug)]
struct Rule {
    pattern: Pattern,
    set: Vec<(HeaderName, String)>,
    unset: Vec<HeaderName>,
}

/// The rules of a `_headers` file.
#[derive(Debug, Default)]
pub(crate) struct HeaderRules {
    rules: Vec<Rule>,
}

/// A rule being read.
struct Draft {
    path: String,
    line: usize,
    set: Vec<(HeaderName, String)>,
    unset: Vec<HeaderName>,
}

impl HeaderRules {
    /// How many rules it has.
    pub(crate) fn len(&self) -> usize {
        self.rules.len()
    }

    /// Reads `_headers`; the warnings name the lines skipped.
    pub(crate) fn parse(text: &str) -> (Self, Vec<String>) {
        let mut rules = Vec::new();
        let mut warnings = Vec::new();
        let mut draft: Option<Draft> = None;
        // After a rejected path line, its header lines are skipped quietly.
        let mut skipping = false;
        let lines: Vec<&str> = text.split('\n').collect();
        let finish = |draft: Option<Draft>, rules: &mut Vec<Rule>, warnings: &mut Vec<String>| {
            let Some(d) = draft else { return };
            if d.set.is_empty() && d.unset.is_empty() {
                warnings.push(format!(
                    "_headers:{}: no headers specified for {}",
                    d.line, d.path
                ));
                return;
            }
            match Pattern::compile(&d.path) {
                Ok(pattern) => rules.push(Rule {
                    pattern,
                    set: d.set,
                    unset: d.unset,
                }),
                Err(e) => warnings.push(format!("_headers:{}: {e}", d.line)),
            }
        };
        for (i, raw) in lines.iter().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.chars().count() > MAX_LINE_LENGTH {
                warnings.push(format!(
                    "_headers:{n}: longer than {MAX_LINE_LENGTH} characters; ignored"
                ));
                continue;
            }
            if opens_rule(line) {
                skipping = false;
                if rules.len() + usize::from(draft.is_some()) >= MAX_HEADER_RULES {
                    warnings.push(format!(
                        "_headers:{n}: at most {MAX_HEADER_RULES} rules are supported; the remaining {} lines are skipped",
                        lines.len() - i
                    ));
                    break;
                }
                finish(draft.take(), &mut rules, &mut warnings);
                let path = match canonical_url(line, false, true, false, false) {
                    Ok(path) => path,
                    Err(e) => {
                        warnings.push(format!("_headers:{n}: {e}"));
                        skipping = true;
                        continue;
                    }
                };
                let wildcards = path.matches('*').count();
                let splat = has_splat_placeholder(&path);
                if wildcards > 1 || (wildcards == 1 && splat) {
                    warnings.push(format!(
                        "_headers:{n}: only one wildcard (and no :splat with it) is allowed per rule; skipping {path}"
                    ));
                    skipping = true;
                    continue;
                }
                draft = Some(Draft {
                    path,
                    line: n,
                    set: Vec::new(),
                    unset: Vec::new(),
                });
                continue;
            }
            if skipping {
                continue;
            }
            let Some(d) = draft.as_mut() else {
                warnings.push(format!(
                    "_headers:{n}: expected a path beginning with a forward slash before headers"
                ));
                continue;
            };
            let Some((name, value)) = line.split_once(':') else {
                match line
                    .strip_prefix("! ")
                    .map(|n| HeaderName::from_bytes(n.trim().as_bytes()))
                {
                    Some(Ok(name)) => d.unset.push(name),
                    _ => warnings.push(format!(
                        "_headers:{n}: expected a header pair like 'name: value' or '! name'"
                    )),
                }
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            if name.is_empty() || value.is_empty() {
                warnings.push(format!("_headers:{n}: a header needs a name and a value"));
                continue;
            }
            let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
                warnings.push(format!("_headers:{n}: '{name}' is not a header name"));
                continue;
            };
            match d.set.iter_mut().find(|(k, _)| *k == name) {
                Some((_, existing)) => {
                    existing.push_str(", ");
                    existing.push_str(value);
                }
                None => d.set.push((name, value.to_owned())),
            }
        }
        finish(draft, &mut rules, &mut warnings);
        (Self { rules }, warnings)
    }

    /// Applies every rule matching a request for `host` and `path` (as the
    /// client spelled it, normalized) to `headers`.
    pub(crate) fn apply(&self, host: &str, path: &str, headers: &mut HeaderMap) {
        let mut set_here: Vec<HeaderName> = Vec::new();
        for rule in &self.rules {
            let Some(captures) = rule.pattern.captures(host, path) else {
                continue;
            };
            for name in &rule.unset {
                headers.remove(name);
            }
            for (name, template) in &rule.set {
                let Ok(value) = HeaderValue::from_str(&replace(template, &captures)) else {
                    continue;
                };
                if set_here.contains(name) {
                    headers.append(name.clone(), value);
                } else {
                    headers.insert(name.clone(), value);
                    set_here.push(name.clone());
                }
            }
        }
    }
}

/// Whether a line opens a rule: it starts with `/` or a `scheme://`.
fn opens_rule(line: &str) -> bool {
    if line.starts_with('/') {
        return true;
    }
    let first = line.split_whitespace().next().unwrap_or("");
    first
        .find("://")
        .is_some_and(|i| i > 0 && !first[..i].contains(':'))
}

/// Whether `path` has a `:splat` placeholder (not `:splatter`).
fn has_splat_placeholder(path: &str) -> bool {
    path.match_indices(":splat").any(|(i, m)| {
        path[i + m.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(rules: &HeaderRules, host: &str, path: &str) -> Vec<(String, String)> {
        let mut h = HeaderMap::new();
        h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
        h.insert(
            "cache-control",
            HeaderValue::from_static("public, max-age=0, must-revalidate"),
        );
        rules.apply(host, path, &mut h);
        let mut v: Vec<(String, String)> = h
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn rules_set_append_and_remove_headers() {
        let (r, warnings) = HeaderRules::parse(
            "# site\n/*\n  X-Robots-Tag: noindex\n  X-Frame-Options: DENY\n\n/static/*\n  Cache-Control: max-age=31536000\n  X-Robots-Tag: none\n  ! X-Frame-Options\n/users/:id\n  X-User: :id\n",
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(r.len(), 3);
        let h = headers(&r, "example.com", "/static/app.js");
        assert!(
            h.contains(&("cache-control".into(), "max-age=31536000".into())),
            "{h:?}"
        );
        assert!(!h.iter().any(|(k, _)| k == "x-frame-options"), "{h:?}");
        assert_eq!(
            h.iter().filter(|(k, _)| k == "x-robots-tag").count(),
            2,
            "{h:?}"
        );
        let h = headers(&r, "example.com", "/index.html");
        assert!(
            h.contains(&("x-frame-options".into(), "DENY".into())),
            "{h:?}"
        );
        let h = headers(&r, "example.com", "/users/42");
        assert!(h.contains(&("x-user".into(), "42".into())), "{h:?}");
    }

    #[test]
    fn host_rules_and_repeated_names() {
        let (r, _) =
            HeaderRules::parse("https://:sub.example.com/*\n  X-Sub: :sub\n  X-Sub: again\n");
        let h = headers(&r, "blog.example.com", "/x");
        assert!(h.contains(&("x-sub".into(), "blog, again".into())), "{h:?}");
        assert!(!headers(&r, "example.org", "/x")
            .iter()
            .any(|(k, _)| k == "x-sub"));
    }

    #[test]
    fn invalid_lines_are_skipped_with_a_warning() {
        let text = "X-Orphan: 1\n/a/*/b/*\n  X-Two: 1\n/ok\n  no colon here\n  X-Ok: yes\nhttp://:8080/\n/empty\n";
        let (r, warnings) = HeaderRules::parse(text);
        assert_eq!(r.len(), 1, "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.starts_with("_headers:1:")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("one wildcard")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.starts_with("_headers:5:")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("no headers specified for /empty")),
            "{warnings:?}"
        );
    }

    #[test]
    fn at_most_a_hundred_rules_are_read() {
        let text: String = (0..150).map(|i| format!("/p{i}\n  X-N: {i}\n")).collect();
        let (r, warnings) = HeaderRules::parse(&text);
        assert_eq!(r.len(), MAX_HEADER_RULES);
        assert!(
            warnings.iter().any(|w| w.contains("at most 100 rules")),
            "{warnings:?}"
        );
        let long = format!("/long\n  X-Long: {}\n", "a".repeat(MAX_LINE_LENGTH));
        let (_, warnings) = HeaderRules::parse(&long);
        assert!(
            warnings.iter().any(|w| w.contains("longer than 2000")),
            "{warnings:?}"
        );
    }
}
