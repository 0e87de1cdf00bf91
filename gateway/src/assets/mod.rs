//! Static assets: a Worker's folder of files, served in Rust before any
//! isolate is touched, the way Cloudflare (and `wrangler dev`) serve a
//! Worker's `assets`.
//!
//! # Concepts
//!
//! - The **manifest** (`manifest`) is read when the Worker is registered:
//!   every file of the folder (less what `.assetsignore` lists), its strong
//!   `ETag` (a content hash) and `content-type`. Requests look paths up in
//!   it; a request path never touches the file system, so no spelling of
//!   `..` and no symbolic link can reach outside the folder.
//! - **Routing** ([`AssetServer::route`], `routing`): for a Worker with
//!   code, `run_worker_first` decides who answers first; by default a
//!   request that matches an asset (or a `_redirects` rule) is answered here
//!   and any other goes to the Worker. An assets-only Worker's requests are
//!   all answered here (an empty 404 when nothing matches).
//! - **Matching** (`html`): `html_handling` maps `/page`, `/page.html`,
//!   `/dir/` and `/dir/index.html` to files and redirects (307) the other
//!   spellings to the canonical one; `not_found_handling` serves
//!   `/index.html` (a single-page application) or the nearest `404.html`.
//!   Paths are matched decoded and served at their `encodeURIComponent`
//!   spelling (`paths`).
//! - **`_redirects`** (`redirects_file`) and **`_headers`**
//!   (`headers_file`): Cloudflare's files at the top of the folder, with
//!   their syntax and limits; redirects are applied first, headers last,
//!   to every response of the asset server.
//! - **Responses** (`respond`, `conditional`): `If-None-Match` → 304,
//!   `Range` → 206, `HEAD`, and 405 for other methods on an asset.
//! - **The binding**: [`Assets`] (a handle on the current server, swapped
//!   when `motu dev` reloads the folder) implements the runtime's
//!   `AssetFetcher`, so `env.ASSETS.fetch(request)` reaches this same
//!   server, with `not_found_handling` always applied.

mod conditional;
mod content_type;
mod headers_file;
mod html;
mod manifest;
mod paths;
mod redirects_file;
mod respond;
mod routing;
mod rules;

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use http::{HeaderMap, Method, Response, StatusCode};
use motu_config::{AssetsSettings, HtmlHandling, NotFoundHandling};
use motu_runtime::{AssetFetcher, Body};

pub use headers_file::{MAX_HEADER_RULES, MAX_LINE_LENGTH};
pub use manifest::{MAX_FILES, MAX_FILE_BYTES, MEMORY_FILE_BYTES, MEMORY_TOTAL_BYTES};
pub use redirects_file::{MAX_DYNAMIC_REDIRECTS, MAX_STATIC_REDIRECTS};

use crate::GatewayError;
use headers_file::HeaderRules;
use html::{Intent, Resolver};
use manifest::Manifest;
use redirects_file::Redirects;
use routing::{First, WorkerFirst};

/// What the asset server needs to know of its Worker besides the settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssetOptions {
    /// Whether the Worker has code (`main`). Without, every request is
    /// answered by the assets. Default false.
    pub has_worker: bool,
    /// Whether a browser's navigation (`Sec-Fetch-Mode: navigate`) that
    /// matches no asset gets `not_found_handling` instead of going to the
    /// Worker (see `motu_config::navigation_prefers_assets`). Default
    /// false.
    pub navigation_prefers_assets: bool,
}

/// One Worker's static assets: the manifest of its folder, its `_headers`
/// and `_redirects`, and its settings.
#[derive(Debug)]
pub struct AssetServer {
    manifest: Manifest,
    html: HtmlHandling,
    not_found: NotFoundHandling,
    first: WorkerFirst,
    headers: HeaderRules,
    redirects: Redirects,
    options: AssetOptions,
}

/// What the asset server answers a request with.
enum Outcome {
    /// This response.
    Response(Response<Body>),
    /// Nothing matched.
    NoIntent,
    /// A `_redirects` rewrite (200) led to no asset.
    RewrittenToNothing,
}

/// The parts of a request the asset server reads.
struct Asked<'r> {
    method: &'r Method,
    /// The host name, without a port, lower case.
    host: Cow<'r, str>,
    /// The path, normalized as a URL parser does.
    path: Cow<'r, str>,
    /// `?query`, or empty.
    search: Cow<'r, str>,
    headers: &'r HeaderMap,
}

impl<'r> Asked<'r> {
    fn of<B>(request: &'r http::Request<B>) -> Self {
        let uri = request.uri();
        let host = uri
            .host()
            .or_else(|| {
                request
                    .headers()
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
            })
            .unwrap_or("");
        let host = strip_port(host);
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(host.to_ascii_lowercase())
        } else {
            Cow::Borrowed(host)
        };
        Self {
            method: request.method(),
            host,
            path: paths::normalize(uri.path()),
            search: uri
                .query()
                .filter(|q| !q.is_empty())
                .map_or(Cow::Borrowed(""), |q| Cow::Owned(format!("?{q}"))),
            headers: request.headers(),
        }
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split(']')
            .next()
            .map_or(host, |h| &host[..h.len() + 1]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

impl AssetServer {
    /// Reads the folder of `settings` (its manifest, `_headers` and
    /// `_redirects`). The warnings name what was left out (invalid rule
    /// lines, links out of the folder) for the log.
    pub fn load(
        settings: &AssetsSettings,
        options: AssetOptions,
    ) -> Result<(Self, Vec<String>), GatewayError> {
        let fail = |message: String| GatewayError::Assets {
            directory: settings.directory.clone(),
            message,
        };
        let (manifest, extras) = Manifest::build(&settings.directory).map_err(fail)?;
        let mut warnings = extras.warnings;
        let (headers, w) = HeaderRules::parse(extras.headers.as_deref().unwrap_or(""));
        warnings.extend(w);
        let (redirects, w) = Redirects::parse(
            extras.redirects.as_deref().unwrap_or(""),
            settings.html_handling,
        );
        warnings.extend(w);
        let first = WorkerFirst::compile(&settings.run_worker_first).map_err(fail)?;
        Ok((
            Self {
                manifest,
                html: settings.html_handling,
                not_found: settings.not_found_handling,
                first,
                headers,
                redirects,
                options,
            },
            warnings,
        ))
    }

    /// How many files it serves, `_headers` rules and `_redirects` rules.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.manifest.len(),
            self.headers.len(),
            self.redirects.len(),
        )
    }

    /// The router: the response to `request` when the assets answer it,
    /// `None` when it goes to the Worker.
    pub fn route<B>(&self, request: &http::Request<B>) -> Option<Response<Body>> {
        let asked = Asked::of(request);
        if !self.options.has_worker {
            return Some(self.full(&asked));
        }
        match self.first.decide(&asked.path) {
            First::Worker => None,
            First::Assets => Some(self.full(&asked)),
            First::Lookup => {
                let navigating = self.options.navigation_prefers_assets
                    && asked
                        .headers
                        .get("sec-fetch-mode")
                        .is_some_and(|v| v.as_bytes() == b"navigate");
                let not_found = if self.first.has_rules() || navigating {
                    self.not_found
                } else {
                    NotFoundHandling::None
                };
                match self.answer(&asked, not_found) {
                    Outcome::Response(r) => Some(self.finish(&asked, r)),
                    Outcome::NoIntent => None,
                    Outcome::RewrittenToNothing => Some(self.full(&asked)),
                }
            }
        }
    }

    /// The answer to `request` from the assets alone (the assets binding,
    /// an assets-only Worker): `not_found_handling` applies, and nothing
    /// matching is an empty 404.
    pub fn respond<B>(&self, request: &http::Request<B>) -> Response<Body> {
        self.full(&Asked::of(request))
    }

    fn full(&self, asked: &Asked<'_>) -> Response<Body> {
        let response = match self.answer(asked, self.not_found) {
            Outcome::Response(r) => r,
            Outcome::NoIntent | Outcome::RewrittenToNothing => {
                respond::empty(StatusCode::NOT_FOUND)
            }
        };
        self.finish(asked, response)
    }

    /// Applies `_headers` to a response of the asset server.
    fn finish(&self, asked: &Asked<'_>, mut response: Response<Body>) -> Response<Body> {
        self.headers
            .apply(&asked.host, &asked.path, response.headers_mut());
        response
    }

    /// What answers `asked`, with `not_found` handling.
    fn answer(&self, asked: &Asked<'_>, not_found: NotFoundHandling) -> Outcome {
        let mut path: Cow<'_, str> = Cow::Borrowed(&asked.path);
        let mut rewritten = false;
        if let Some(rule) = self.redirects.find(&asked.host, &asked.path) {
            if rule.status == 200 {
                path = Cow::Owned(rewrite_path(&rule.to));
                rewritten = true;
            } else {
                let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::FOUND);
                return Outcome::Response(respond::redirect(
                    status,
                    &location(&rule.to, &asked.search),
                ));
            }
        }
        let decoded = paths::decode(&path);
        let resolver = Resolver {
            manifest: &self.manifest,
            html: self.html,
            not_found,
        };
        let Some(intent) = resolver.intent(&decoded) else {
            return if rewritten {
                Outcome::RewrittenToNothing
            } else {
                Outcome::NoIntent
            };
        };
        if asked.method != Method::GET && asked.method != Method::HEAD {
            return Outcome::Response(respond::method_not_allowed());
        }
        let redirect_to = |decoded: &str| {
            let to = format!("{}{}", paths::encode(decoded), asked.search);
            Outcome::Response(respond::redirect(StatusCode::TEMPORARY_REDIRECT, &to))
        };
        match intent {
            Intent::Redirect(destination) => redirect_to(&destination),
            Intent::Serve(asset, status) => {
                if paths::encode(&decoded) != path {
                    return redirect_to(&decoded);
                }
                Outcome::Response(respond::asset(asset, status, asked.method, asked.headers))
            }
        }
    }
}

/// The path a rewrite's target (a relative URL) points to.
fn rewrite_path(to: &str) -> String {
    url::Url::parse(&format!("http://h{to}"))
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| to.to_owned())
}

/// The `Location` of a `_redirects` redirect to `to`: relative targets stay
/// relative; the request's `search` is kept unless `to` has a query.
fn location(to: &str, search: &str) -> String {
    let absolute = redirects_file::has_scheme(to);
    let parsed = if absolute {
        url::Url::parse(to)
    } else {
        url::Url::parse(&format!("http://h{to}"))
    };
    let Ok(url) = parsed else {
        return to.to_owned();
    };
    let query = match url.query().filter(|q| !q.is_empty()) {
        Some(q) => format!("?{q}"),
        None => search.to_owned(),
    };
    let fragment = url
        .fragment()
        .filter(|f| !f.is_empty())
        .map_or(String::new(), |f| format!("#{f}"));
    if absolute {
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        format!("{base}{query}{fragment}")
    } else {
        format!("{}{query}{fragment}", url.path())
    }
}

/// A Worker's assets as the gateway and its binding hold them: the current
/// [`AssetServer`], replaced in place when the folder is read again.
#[derive(Debug, Clone)]
pub struct Assets(Arc<RwLock<Arc<AssetServer>>>);

impl Assets {
    /// A handle on `server`.
    pub fn new(server: AssetServer) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(server))))
    }

    /// The server answering now.
    pub fn current(&self) -> Arc<AssetServer> {
        match self.0.read() {
            Ok(server) => server.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Makes `server` answer from now on (requests under way finish on the
    /// previous one).
    pub fn replace(&self, server: AssetServer) {
        let server = Arc::new(server);
        match self.0.write() {
            Ok(mut slot) => *slot = server,
            Err(poisoned) => *poisoned.into_inner() = server,
        }
    }
}

impl AssetFetcher for Assets {
    fn fetch(&self, request: http::Request<Body>) -> BoxFuture<'static, Response<Body>> {
        let response = self.current().respond(&request);
        Box::pin(std::future::ready(response))
    }
}

#[cfg(test)]
mod tests;
