//! `[workers.assets]` (Wrangler's `assets` key): a folder of static files
//! served with the Worker, as on Cloudflare Workers.
//!
//! The settings name the folder and how requests map to its files; serving
//! them is the gateway's job. A Worker may have assets and no `main`: it is
//! then an assets-only Worker, and its requests never reach JavaScript.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// How many `run_worker_first` rules a Worker may have (as on Cloudflare).
pub const MAX_RUN_WORKER_FIRST_RULES: usize = 100;

/// How long one `run_worker_first` rule may be, in characters.
pub const MAX_RUN_WORKER_FIRST_RULE_LEN: usize = 100;

/// Whether a browser navigation (`Sec-Fetch-Mode: navigate`) that matches
/// no asset gets `not_found_handling` instead of going to the Worker:
/// Cloudflare's `assets_navigation_prefers_asset_serving` flag, on by
/// default for compatibility dates from 2025-04-01 unless
/// `assets_navigation_has_no_effect` is set.
pub fn navigation_prefers_assets(compatibility_date: Option<&str>, flags: &[String]) -> bool {
    let has = |flag: &str| flags.iter().any(|f| f == flag);
    if has("assets_navigation_prefers_asset_serving") {
        return true;
    }
    !has("assets_navigation_has_no_effect") && compatibility_date.is_some_and(|d| d >= "2025-04-01")
}

/// `[workers.assets]` as the file spells it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAssets {
    pub(crate) directory: Option<String>,
    pub(crate) binding: Option<String>,
    pub(crate) html_handling: Option<String>,
    pub(crate) not_found_handling: Option<String>,
    pub(crate) run_worker_first: Option<RawRunWorkerFirst>,
}

/// `run_worker_first`: a boolean or a list of patterns.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawRunWorkerFirst {
    Bool(bool),
    List(Vec<String>),
}

/// A Worker's static assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetsSettings {
    /// `directory`: the folder of files to serve, relative to the config
    /// file. Required; it must exist and be a folder.
    pub directory: PathBuf,
    /// `binding`: the name in `env` of the Fetcher that reaches the same
    /// asset server (`env.ASSETS.fetch(request)`). Default: none. Only a
    /// Worker with `main` may have one.
    pub binding: Option<String>,
    /// `html_handling`: how paths map to HTML files and which trailing
    /// slashes are redirected. Default `auto-trailing-slash`.
    pub html_handling: HtmlHandling,
    /// `not_found_handling`: what a request that matches no file gets.
    /// Default `none`.
    pub not_found_handling: NotFoundHandling,
    /// `run_worker_first`: which requests go to the Worker before any asset
    /// is looked up. Default `false`: only requests that match no asset
    /// reach the Worker.
    pub run_worker_first: RunWorkerFirst,
}

/// `html_handling`: how requests for HTML pages are mapped to files, and
/// which URLs redirect to the canonical one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HtmlHandling {
    /// `auto-trailing-slash` (the default): `/page` serves `page.html`,
    /// `/dir/` serves `dir/index.html`; the other spellings redirect there.
    #[default]
    AutoTrailingSlash,
    /// `force-trailing-slash`: every page is served at a URL ending in `/`.
    ForceTrailingSlash,
    /// `drop-trailing-slash`: every page is served at a URL without a
    /// trailing `/`.
    DropTrailingSlash,
    /// `none`: a path serves the file of exactly that name, nothing else.
    None,
}

impl HtmlHandling {
    /// The setting's name in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AutoTrailingSlash => "auto-trailing-slash",
            Self::ForceTrailingSlash => "force-trailing-slash",
            Self::DropTrailingSlash => "drop-trailing-slash",
            Self::None => "none",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Self::AutoTrailingSlash,
            Self::ForceTrailingSlash,
            Self::DropTrailingSlash,
            Self::None,
        ]
        .into_iter()
        .find(|h| h.as_str() == text)
    }
}

/// `not_found_handling`: the answer to a request that matches no file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NotFoundHandling {
    /// `none` (the default): a 404 with an empty body (or the Worker, when
    /// there is one).
    #[default]
    None,
    /// `single-page-application`: `/index.html`, with status 200.
    SinglePageApplication,
    /// `404-page`: the nearest `404.html` up the path's folders, with
    /// status 404.
    NotFoundPage,
}

impl NotFoundHandling {
    /// The setting's name in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SinglePageApplication => "single-page-application",
            Self::NotFoundPage => "404-page",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::None, Self::SinglePageApplication, Self::NotFoundPage]
            .into_iter()
            .find(|h| h.as_str() == text)
    }
}

/// `run_worker_first`: which requests reach the Worker before the assets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RunWorkerFirst {
    /// `false` (the default): a request that matches an asset is served
    /// from the assets; the others go to the Worker.
    #[default]
    Off,
    /// `true`: every request goes to the Worker (which may call its assets
    /// binding).
    Always,
    /// A list of path patterns (`*` matches any characters): a request whose
    /// path matches an `assets` pattern (written `!/…`) is served from the
    /// assets; else one that matches a `worker` pattern (`/…`) goes to the
    /// Worker; else as with `false`.
    Rules {
        /// The `/…` patterns, in order.
        worker: Vec<String>,
        /// The `!/…` patterns, without their `!`, in order.
        assets: Vec<String>,
    },
}

impl AssetsSettings {
    /// Validates `raw`, with paths relative to `base`. `has_main` tells
    /// whether the Worker has code; `built`, whether a custom build makes
    /// the folder (then it need not exist yet). An error is `(field under
    /// assets, message)`.
    pub(crate) fn from_raw(
        raw: &RawAssets,
        base: &Path,
        has_main: bool,
        built: bool,
    ) -> Result<Self, (String, String)> {
        let err = |field: &str, message: String| (field.to_owned(), message);
        let directory = match raw.directory.as_deref() {
            None => return Err(err("directory", "missing".into())),
            Some("") => return Err(err("directory", "must not be empty".into())),
            Some(d) => base.join(d),
        };
        if !directory.exists() && !built {
            return Err(err(
                "directory",
                format!("'{}' does not exist", directory.display()),
            ));
        }
        if directory.exists() && !directory.is_dir() {
            return Err(err(
                "directory",
                format!("'{}' is not a folder", directory.display()),
            ));
        }
        let binding = match raw.binding.as_deref() {
            None => None,
            Some("") => return Err(err("binding", "must not be empty".into())),
            Some(_) if !has_main => {
                return Err(err(
                    "binding",
                    "an assets-only Worker (without `main`) cannot have an assets binding".into(),
                ))
            }
            Some(b) => Some(b.to_owned()),
        };
        let html_handling = match raw.html_handling.as_deref() {
            None => HtmlHandling::default(),
            Some(text) => HtmlHandling::parse(text).ok_or_else(|| {
                err(
                    "html_handling",
                    format!("'{text}' is not one of auto-trailing-slash, force-trailing-slash, drop-trailing-slash, none"),
                )
            })?,
        };
        let not_found_handling = match raw.not_found_handling.as_deref() {
            None => NotFoundHandling::default(),
            Some(text) => NotFoundHandling::parse(text).ok_or_else(|| {
                err(
                    "not_found_handling",
                    format!("'{text}' is not one of none, single-page-application, 404-page"),
                )
            })?,
        };
        let run_worker_first = match &raw.run_worker_first {
            None | Some(RawRunWorkerFirst::Bool(false)) => RunWorkerFirst::Off,
            Some(RawRunWorkerFirst::Bool(true)) => RunWorkerFirst::Always,
            Some(RawRunWorkerFirst::List(rules)) => {
                parse_rules(rules).map_err(|m| err("run_worker_first", m))?
            }
        };
        if run_worker_first != RunWorkerFirst::Off && !has_main {
            return Err(err(
                "run_worker_first",
                "an assets-only Worker (without `main`) has no Worker to run first".into(),
            ));
        }
        Ok(Self {
            directory,
            binding,
            html_handling,
            not_found_handling,
            run_worker_first,
        })
    }
}

/// Splits `run_worker_first` rules into Worker and assets patterns, with
/// Cloudflare's checks: 1 to 100 rules, each at most 100 characters,
/// starting with `/` or `!/`, no duplicates, no rule made redundant by a
/// `…*` rule of the same kind, and at least one Worker rule.
fn parse_rules(rules: &[String]) -> Result<RunWorkerFirst, String> {
    if rules.is_empty() {
        return Err("the list is empty: give at least one rule, or false".into());
    }
    if rules.len() > MAX_RUN_WORKER_FIRST_RULES {
        return Err(format!(
            "{} rules; at most {MAX_RUN_WORKER_FIRST_RULES} are allowed",
            rules.len()
        ));
    }
    let mut worker = Vec::new();
    let mut assets = Vec::new();
    for rule in rules {
        if let Some(rest) = rule.strip_prefix('!') {
            if !rest.starts_with('/') {
                return Err(format!("'{rule}': a negative rule must start with '!/'"));
            }
            assets.push(rule.as_str());
        } else if rule.starts_with('/') {
            worker.push(rule.as_str());
        } else {
            return Err(format!("'{rule}': a rule must start with '/' or '!/'"));
        }
    }
    if worker.is_empty() {
        return Err("only negative rules were given; at least one rule must start with '/'".into());
    }
    for group in [&worker, &assets] {
        for (i, rule) in group.iter().enumerate() {
            if rule.chars().count() > MAX_RUN_WORKER_FIRST_RULE_LEN {
                return Err(format!(
                    "'{rule}': a rule may have at most {MAX_RUN_WORKER_FIRST_RULE_LEN} characters"
                ));
            }
            if group[..i].contains(rule) {
                return Err(format!("'{rule}': the rule is given twice"));
            }
            if let Some(prefix) = rule.strip_suffix('*') {
                if let Some(other) = group.iter().find(|o| *o != rule && o.starts_with(prefix)) {
                    return Err(format!("'{other}': rule '{rule}' makes it redundant"));
                }
            }
        }
    }
    Ok(RunWorkerFirst::Rules {
        worker: worker.into_iter().map(str::to_owned).collect(),
        assets: assets
            .into_iter()
            .map(|r| r.trim_start_matches('!').to_owned())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[&str]) -> Result<RunWorkerFirst, String> {
        parse_rules(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn navigations_prefer_assets_from_2025_04_01_or_by_flag() {
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!navigation_prefers_assets(None, &[]));
        assert!(!navigation_prefers_assets(Some("2025-03-31"), &[]));
        assert!(navigation_prefers_assets(Some("2025-04-01"), &[]));
        assert!(!navigation_prefers_assets(
            Some("2025-06-01"),
            &flags(&["assets_navigation_has_no_effect"])
        ));
        assert!(navigation_prefers_assets(
            Some("2024-01-01"),
            &flags(&["assets_navigation_prefers_asset_serving"])
        ));
    }

    #[test]
    fn rules_split_into_worker_and_asset_patterns() {
        assert_eq!(
            rules(&["/api/*", "!/api/docs/*", "/login"]).unwrap(),
            RunWorkerFirst::Rules {
                worker: vec!["/api/*".into(), "/login".into()],
                assets: vec!["/api/docs/*".into()],
            }
        );
    }

    #[test]
    fn bad_rule_lists_are_refused() {
        assert!(rules(&[]).unwrap_err().contains("empty"));
        assert!(rules(&["api/*"])
            .unwrap_err()
            .contains("must start with '/'"));
        assert!(rules(&["!api"]).unwrap_err().contains("'!/'"));
        assert!(rules(&["!/static/*"])
            .unwrap_err()
            .contains("only negative"));
        assert!(rules(&["/a", "/a"]).unwrap_err().contains("twice"));
        assert!(rules(&["/api/*", "/api/users"])
            .unwrap_err()
            .contains("makes it redundant"));
        let long = format!("/{}", "a".repeat(100));
        assert!(rules(&[&long]).unwrap_err().contains("at most 100"));
        let many: Vec<String> = (0..101).map(|i| format!("/{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(rules(&many).unwrap_err().contains("at most 100"));
    }
}
