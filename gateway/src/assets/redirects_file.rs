//! `_redirects`: redirects and rewrites, in Cloudflare's syntax.
//!
//! ```text
//! # from          to                      status (default 302)
//! /home           /                       301
//! /blog/:slug     /posts/:slug            308
//! /docs/*         https://docs.example/:splat
//! /app/*          /app/index.html         200
//! ```
//!
//! Each line is a relative `from` pattern (see [`Pattern`]), a `to` URL
//! (relative, or `https://`), and a status: 301, 302, 303, 307 or 308
//! redirect; 200 serves the `to` path's asset at the requested URL (a
//! rewrite, relative targets only). The first rule that matches wins.
//! Rules without `*` or placeholders before the first one that has them
//! are "static" and looked up directly; at most [`MAX_STATIC_REDIRECTS`]
//! of them and [`MAX_DYNAMIC_REDIRECTS`] others are read. Lines that would
//! loop forever with the HTML handling (`/* /index.html`, and `/ /index`
//! unless `html_handling` is `none`), duplicate `from`s, bad statuses and
//! bad URLs are skipped with a warning. `#` starts a comment, also after a
//! rule. A redirect keeps the request's query string unless the target
//! has its own.

use std::collections::HashMap;

use motu_config::HtmlHandling;

use super::headers_file::MAX_LINE_LENGTH;
use super::rules::{canonical_url, has_host, replace, Pattern};

/// How many static rules `_redirects` may have.
pub const MAX_STATIC_REDIRECTS: usize = 2000;

/// How many dynamic rules (with `*` or placeholders) `_redirects` may have.
pub const MAX_DYNAMIC_REDIRECTS: usize = 100;

/// The statuses a rule may have.
const STATUSES: &[u16] = &[200, 301, 302, 303, 307, 308];

/// A matched rule: its status and its target, captures put in.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Matched {
    pub(crate) status: u16,
    pub(crate) to: String,
}

#[derive(Debug)]
struct Target {
    status: u16,
    to: String,
}

/// The rules of a `_redirects` file.
#[derive(Debug, Default)]
pub(crate) struct Redirects {
    static_rules: HashMap<String, Target>,
    dynamic: Vec<(Pattern, Target)>,
}

impl Redirects {
    /// How many rules it has.
    pub(crate) fn len(&self) -> usize {
        self.static_rules.len() + self.dynamic.len()
    }

    /// Reads `_redirects` for a site with `html` handling; the warnings name
    /// the lines skipped.
    pub(crate) fn parse(text: &str, html: HtmlHandling) -> (Self, Vec<String>) {
        let mut out = Self::default();
        let mut warnings = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let (mut statics, mut dynamics) = (0usize, 0usize);
        let mut static_allowed = true;
        let lines: Vec<&str> = text.split('\n').collect();
        for (i, raw) in lines.iter().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.chars().count() > MAX_LINE_LENGTH {
                warnings.push(format!(
                    "_redirects:{n}: longer than {MAX_LINE_LENGTH} characters; ignored"
                ));
                continue;
            }
            let tokens = tokens(line);
            if !(2..=3).contains(&tokens.len()) {
                warnings.push(format!(
                    "_redirects:{n}: expected 2 or 3 whitespace-separated tokens, got {}",
                    tokens.len()
                ));
                continue;
            }
            let from = match canonical_url(tokens[0], true, true, false, false) {
                Ok(from) => from,
                Err(e) => {
                    warnings.push(format!("_redirects:{n}: {e}"));
                    continue;
                }
            };
            let dynamic = from.contains('*') || has_placeholder(&from);
            if static_allowed && !dynamic {
                statics += 1;
                if statics > MAX_STATIC_REDIRECTS {
                    warnings.push(format!(
                        "_redirects:{n}: at most {MAX_STATIC_REDIRECTS} static rules are supported; line skipped"
                    ));
                    continue;
                }
            } else {
                dynamics += 1;
                static_allowed = false;
                if dynamics > MAX_DYNAMIC_REDIRECTS {
                    warnings.push(format!(
                        "_redirects:{n}: at most {MAX_DYNAMIC_REDIRECTS} dynamic rules are supported; the remaining {} lines are skipped",
                        lines.len() - i
                    ));
                    break;
                }
            }
            let to = match canonical_url(tokens[1], false, false, true, true) {
                Ok(to) => to,
                Err(e) => {
                    warnings.push(format!("_redirects:{n}: {e}"));
                    continue;
                }
            };
            let status = tokens.get(2).map_or(Some(302), |s| s.parse::<u16>().ok());
            let Some(status) = status.filter(|s| STATUSES.contains(s)) else {
                warnings.push(format!(
                    "_redirects:{n}: valid status codes are 200, 301, 302 (default), 303, 307 and 308; got {}",
                    tokens.get(2).unwrap_or(&"")
                ));
                continue;
            };
            let to_index = to.ends_with("/index") || to.ends_with("/index.html");
            let loops = !has_host(&to)
                && to_index
                && (from.ends_with("/*") || (from.ends_with('/') && html != HtmlHandling::None));
            if loops {
                warnings.push(format!(
                    "_redirects:{n}: this rule would loop forever (the HTML handling redirects {to} back); ignored"
                ));
                continue;
            }
            if !seen.insert(from.clone()) {
                warnings.push(format!(
                    "_redirects:{n}: a rule for {from} was given already; ignored"
                ));
                continue;
            }
            if status == 200 && has_host(&to) {
                warnings.push(format!(
                    "_redirects:{n}: a rewrite (200) can only point to a relative path, not {to}"
                ));
                continue;
            }
            let target = Target { status, to };
            if static_allowed {
                out.static_rules.insert(from, target);
            } else {
                match Pattern::compile(&from) {
                    Ok(pattern) => out.dynamic.push((pattern, target)),
                    Err(e) => warnings.push(format!("_redirects:{n}: {e}")),
                }
            }
        }
        (out, warnings)
    }

    /// The rule matching a request for `host` (no port) and `path`
    /// (normalized), with its captures put into the target.
    pub(crate) fn find(&self, host: &str, path: &str) -> Option<Matched> {
        if let Some(t) = self.static_rules.get(path) {
            return Some(Matched {
                status: t.status,
                to: t.to.clone(),
            });
        }
        self.dynamic.iter().find_map(|(pattern, t)| {
            let captures = pattern.captures(host, path)?;
            let to = replace(&t.to, &captures).trim().to_owned();
            let to = if has_scheme(&to) {
                to
            } else {
                collapse_slashes(&to)
            };
            Some(Matched {
                status: t.status,
                to,
            })
        })
    }
}

/// The tokens of a line, without a trailing `# comment` (a `#` right after
/// a token, as in `/a#frag`, is not one).
fn tokens(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for token in line.split_whitespace() {
        if token.starts_with('#') {
            break;
        }
        out.push(token);
    }
    out
}

/// Whether `path` has a `:name` placeholder.
fn has_placeholder(path: &str) -> bool {
    path.match_indices(':').any(|(i, _)| {
        path[i + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// Whether `to` starts with `scheme://`.
pub(crate) fn has_scheme(to: &str) -> bool {
    to.find("://").is_some_and(|i| {
        i > 0
            && to[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn collapse_slashes(to: &str) -> String {
    let mut out = String::with_capacity(to.len());
    for c in to.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(r: &Redirects, path: &str) -> Option<(u16, String)> {
        r.find("example.com", path).map(|m| (m.status, m.to))
    }

    #[test]
    fn static_and_dynamic_rules_match_in_file_order() {
        let (r, warnings) = Redirects::parse(
            "# comment\n/home / 301\n/old-page /new-page # moved\n/blog/:year/:slug /posts/:slug?y=:year 308\n/docs/* https://docs.example.com/:splat\n/app/* /app/shell.html 200\n/late /static-after-dynamic 307\n",
            HtmlHandling::AutoTrailingSlash,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(r.len(), 6);
        assert_eq!(find(&r, "/home"), Some((301, "/".into())));
        assert_eq!(find(&r, "/old-page"), Some((302, "/new-page".into())));
        assert_eq!(
            find(&r, "/blog/2024/hi"),
            Some((308, "/posts/hi?y=2024".into()))
        );
        assert_eq!(
            find(&r, "/docs/a/b"),
            Some((302, "https://docs.example.com/a/b".into()))
        );
        assert_eq!(find(&r, "/app/x/y"), Some((200, "/app/shell.html".into())));
        assert_eq!(
            find(&r, "/late"),
            Some((307, "/static-after-dynamic".into()))
        );
        assert_eq!(find(&r, "/homer"), None);
    }

    #[test]
    fn bad_lines_are_skipped_with_a_warning() {
        let (r, warnings) = Redirects::parse(
            "/only-one\n/a /b 404\n/* /index.html\n/ /index\n/dup /x\n/dup /y\n/proxy https://elsewhere.example/ 200\nhttps://example.com/abs /x\n/a /b /c /d\n/fine /ok\n",
            HtmlHandling::AutoTrailingSlash,
        );
        assert_eq!(r.len(), 2, "{warnings:?}");
        for n in [1, 2, 3, 4, 6, 7, 8, 9] {
            assert!(
                warnings
                    .iter()
                    .any(|w| w.starts_with(&format!("_redirects:{n}:"))),
                "line {n}: {warnings:?}"
            );
        }
        // `/ /index` loops only when the HTML handling strips /index.
        let (r, warnings) = Redirects::parse("/ /index\n", HtmlHandling::None);
        assert_eq!(r.len(), 1, "{warnings:?}");
    }

    #[test]
    fn limits_are_two_thousand_static_and_a_hundred_dynamic() {
        let mut text: String = (0..2001).map(|i| format!("/s{i} /t\n")).collect();
        text += &(0..101)
            .map(|i| format!("/d{i}/* /t\n"))
            .collect::<String>();
        let (r, warnings) = Redirects::parse(&text, HtmlHandling::AutoTrailingSlash);
        assert_eq!(r.static_rules.len(), MAX_STATIC_REDIRECTS);
        assert_eq!(r.dynamic.len(), MAX_DYNAMIC_REDIRECTS);
        assert!(
            warnings.iter().any(|w| w.contains("2000 static")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("100 dynamic")),
            "{warnings:?}"
        );
    }
}
