//! Which file answers a path: `html_handling` (how `/page`, `/page.html`,
//! `/dir/` and `/dir/index.html` map to files and which spellings redirect
//! to the canonical one) and `not_found_handling` (what a path with no file
//! gets), as Cloudflare's asset server decides.
//!
//! A redirect to another spelling is given only when that spelling would
//! serve the very same file (same content hash): a path is never redirected
//! to a URL that would answer something else.

use motu_config::{HtmlHandling, NotFoundHandling};

use super::manifest::{Asset, Manifest};

/// What a path resolves to.
#[derive(Debug)]
pub(crate) enum Intent<'a> {
    /// Serve this file with this status (200, or 404 for a `404.html`).
    Serve(&'a Asset, http::StatusCode),
    /// Redirect (307) to this decoded path.
    Redirect(String),
}

/// Resolves paths against one manifest.
pub(crate) struct Resolver<'a> {
    pub(crate) manifest: &'a Manifest,
    pub(crate) html: HtmlHandling,
    /// `None` when not-found handling does not apply to this lookup.
    pub(crate) not_found: NotFoundHandling,
}

impl<'a> Resolver<'a> {
    /// What `path` (decoded) resolves to; `None` when nothing answers it.
    pub(crate) fn intent(&self, path: &str) -> Option<Intent<'a>> {
        self.resolve(path, false)
    }

    fn exists(&self, path: &str) -> Option<&'a Asset> {
        self.manifest.get(path)
    }

    fn serve(&self, path: &str) -> Option<Intent<'a>> {
        self.exists(path)
            .map(|a| Intent::Serve(a, http::StatusCode::OK))
    }

    /// `path` resolved; `skip_redirects` while checking a redirect's target.
    fn resolve(&self, p: &str, skip_redirects: bool) -> Option<Intent<'a>> {
        let by_html = match self.html {
            HtmlHandling::AutoTrailingSlash => self.auto(p, skip_redirects),
            HtmlHandling::ForceTrailingSlash => self.force(p, skip_redirects),
            HtmlHandling::DropTrailingSlash => self.drop(p, skip_redirects),
            HtmlHandling::None => self.serve(p),
        };
        by_html.or_else(|| self.not_found(p))
    }

    /// A redirect from `file`'s request spelling to `destination`, when
    /// `destination` is not a file itself and resolves to that same file.
    fn redirect(&self, file: &str, destination: &str, skip: bool) -> Option<Intent<'a>> {
        if skip || self.exists(destination).is_some() {
            return None;
        }
        let target = self.exists(file)?;
        match self.resolve(destination, true) {
            Some(Intent::Serve(asset, _)) if asset.tag == target.tag => {
                Some(Intent::Redirect(destination.to_owned()))
            }
            _ => None,
        }
    }

    /// `auto-trailing-slash`: `/file` serves `file.html`, `/dir/` serves
    /// `dir/index.html`.
    fn auto(&self, p: &str, skip: bool) -> Option<Intent<'a>> {
        let exact = self.serve(p);
        if let Some(dir) = p.strip_suffix("index").filter(|d| d.ends_with('/')) {
            // /dir/index
            if exact.is_some() {
                return exact;
            }
            let stem = &dir[..dir.len() - 1];
            let found = self
                .redirect(&format!("{p}.html"), dir, skip)
                .or_else(|| self.redirect(&format!("{stem}.html"), stem, skip));
            if found.is_some() {
                return found;
            }
        } else if let Some(dir) = p.strip_suffix("index.html").filter(|d| d.ends_with('/')) {
            // /dir/index.html
            let stem = &dir[..dir.len() - 1];
            let found = self
                .redirect(p, dir, skip)
                .or_else(|| self.redirect(&format!("{stem}.html"), stem, skip));
            if found.is_some() {
                return found;
            }
        } else if let Some(stem) = p.strip_suffix('/') {
            // /dir/
            if let Some(found) = self.serve(&format!("{p}index.html")) {
                return Some(found);
            }
            if let Some(found) = self.redirect(&format!("{stem}.html"), stem, skip) {
                return Some(found);
            }
        } else if let Some(stem) = p.strip_suffix(".html") {
            // /file.html
            let found = self.redirect(p, stem, skip).or_else(|| {
                self.redirect(&format!("{stem}/index.html"), &format!("{stem}/"), skip)
            });
            if found.is_some() {
                return found;
            }
        }
        exact
            .or_else(|| self.serve(&format!("{p}.html")))
            .or_else(|| self.redirect(&format!("{p}/index.html"), &format!("{p}/"), skip))
    }

    /// `force-trailing-slash`: every page at a URL ending in `/`.
    fn force(&self, p: &str, skip: bool) -> Option<Intent<'a>> {
        let exact = self.serve(p);
        if let Some(dir) = p.strip_suffix("index").filter(|d| d.ends_with('/')) {
            if exact.is_some() {
                return exact;
            }
            let stem = &dir[..dir.len() - 1];
            let found = self
                .redirect(&format!("{p}.html"), dir, skip)
                .or_else(|| self.redirect(&format!("{stem}.html"), dir, skip));
            if found.is_some() {
                return found;
            }
        } else if let Some(dir) = p.strip_suffix("index.html").filter(|d| d.ends_with('/')) {
            let stem = &dir[..dir.len() - 1];
            let found = self
                .redirect(p, dir, skip)
                .or_else(|| self.redirect(&format!("{stem}.html"), dir, skip));
            if found.is_some() {
                return found;
            }
        } else if let Some(stem) = p.strip_suffix('/') {
            let found = self
                .serve(&format!("{p}index.html"))
                .or_else(|| self.serve(&format!("{stem}.html")));
            if found.is_some() {
                return found;
            }
        } else if let Some(stem) = p.strip_suffix(".html") {
            let slashed = format!("{stem}/");
            if let Some(found) = self.redirect(p, &slashed, skip) {
                return Some(found);
            }
            if exact.is_some() {
                // Both /file.html and /file/index.html exist: /file.html
                // is served only at its own name.
                return exact;
            }
            if let Some(found) = self.redirect(&format!("{stem}/index.html"), &slashed, skip) {
                return Some(found);
            }
        }
        let slashed = format!("{p}/");
        exact
            .or_else(|| self.redirect(&format!("{p}.html"), &slashed, skip))
            .or_else(|| self.redirect(&format!("{p}/index.html"), &slashed, skip))
    }

    /// `drop-trailing-slash`: every page at a URL without a trailing `/`
    /// (except `/` itself).
    fn drop(&self, p: &str, skip: bool) -> Option<Intent<'a>> {
        let exact = self.serve(p);
        if let Some(dir) = p.strip_suffix("index").filter(|d| d.ends_with('/')) {
            if exact.is_some() {
                return exact;
            }
            let stem = &dir[..dir.len() - 1];
            let found = if p == "/index" {
                self.redirect("/index.html", "/", skip)
            } else {
                self.redirect(&format!("{stem}.html"), stem, skip)
                    .or_else(|| self.redirect(&format!("{p}.html"), stem, skip))
            };
            if found.is_some() {
                return found;
            }
        } else if let Some(dir) = p.strip_suffix("index.html").filter(|d| d.ends_with('/')) {
            if p == "/index.html" {
                if let Some(found) = self.redirect("/index.html", "/", skip) {
                    return Some(found);
                }
            } else {
                let stem = &dir[..dir.len() - 1];
                if let Some(found) = self.redirect(p, stem, skip) {
                    return Some(found);
                }
                if exact.is_some() {
                    // Both /dir.html and /dir/index.html exist:
                    // /dir/index.html is served only at its own name.
                    return exact;
                }
                if let Some(found) = self.redirect(&format!("{stem}.html"), stem, skip) {
                    return Some(found);
                }
            }
        } else if let Some(stem) = p.strip_suffix('/') {
            let found = if p == "/" {
                self.serve("/index.html")
            } else {
                self.redirect(&format!("{stem}.html"), stem, skip)
                    .or_else(|| self.redirect(&format!("{stem}/index.html"), stem, skip))
            };
            if found.is_some() {
                return found;
            }
        } else if let Some(stem) = p.strip_suffix(".html") {
            let found = self
                .redirect(p, stem, skip)
                .or_else(|| self.redirect(&format!("{stem}/index.html"), stem, skip));
            if found.is_some() {
                return found;
            }
        }
        exact
            .or_else(|| self.serve(&format!("{p}.html")))
            .or_else(|| self.serve(&format!("{p}/index.html")))
    }

    /// `not_found_handling` for a path nothing else answered.
    fn not_found(&self, p: &str) -> Option<Intent<'a>> {
        match self.not_found {
            NotFoundHandling::None => None,
            NotFoundHandling::SinglePageApplication => self.serve("/index.html"),
            NotFoundHandling::NotFoundPage => {
                let mut dir = p;
                while let Some(slash) = dir.rfind('/') {
                    dir = &dir[..slash];
                    if let Some(page) = self.exists(&format!("{dir}/404.html")) {
                        return Some(Intent::Serve(page, http::StatusCode::NOT_FOUND));
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(files: &[(&str, &str)]) -> (tempfile::TempDir, Manifest) {
        let d = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = d.path().join(name.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let (m, _) = Manifest::build(d.path()).unwrap();
        (d, m)
    }

    /// `path` as "serve BODY-HASH-OWNER STATUS" or "redirect PATH" or "none".
    fn outcome(m: &Manifest, html: HtmlHandling, nf: NotFoundHandling, path: &str) -> String {
        let r = Resolver {
            manifest: m,
            html,
            not_found: nf,
        };
        match r.intent(path) {
            None => "none".into(),
            Some(Intent::Redirect(to)) => format!("-> {to}"),
            Some(Intent::Serve(asset, status)) => {
                let owner = [
                    "/file.html",
                    "/folder/index.html",
                    "/both.html",
                    "/both/index.html",
                    "/index.html",
                    "/404.html",
                    "/sub/404.html",
                    "/bin",
                ]
                .into_iter()
                .find(|p| m.get(p).is_some_and(|a| a.tag == asset.tag))
                .unwrap_or("?");
                format!("{owner} {}", status.as_u16())
            }
        }
    }

    const SITE: &[(&str, &str)] = &[
        ("/index.html", "home"),
        ("/file.html", "file"),
        ("/folder/index.html", "folder"),
        ("/both.html", "both file"),
        ("/both/index.html", "both folder"),
        ("/bin", "binary"),
        ("/404.html", "not found"),
        ("/sub/404.html", "sub not found"),
    ];

    #[test]
    fn auto_trailing_slash_matches_cloudflares_table() {
        let (_d, m) = manifest(SITE);
        let o = |p| {
            outcome(
                &m,
                HtmlHandling::AutoTrailingSlash,
                NotFoundHandling::None,
                p,
            )
        };
        assert_eq!(o("/"), "/index.html 200");
        assert_eq!(o("/index.html"), "-> /");
        assert_eq!(o("/index"), "-> /");
        assert_eq!(o("/file"), "/file.html 200");
        assert_eq!(o("/file.html"), "-> /file");
        assert_eq!(o("/file/"), "-> /file");
        assert_eq!(o("/file/index"), "-> /file");
        assert_eq!(o("/file/index.html"), "-> /file");
        assert_eq!(o("/folder"), "-> /folder/");
        assert_eq!(o("/folder/"), "/folder/index.html 200");
        assert_eq!(o("/folder.html"), "-> /folder/");
        assert_eq!(o("/folder/index"), "-> /folder/");
        assert_eq!(o("/folder/index.html"), "-> /folder/");
        assert_eq!(o("/bin"), "/bin 200");
        assert_eq!(o("/nothing"), "none");
        // Both /both.html and /both/index.html: each at its canonical URL.
        assert_eq!(o("/both"), "/both.html 200");
        assert_eq!(o("/both/"), "/both/index.html 200");
    }

    #[test]
    fn force_trailing_slash_puts_every_page_under_a_slash() {
        let (_d, m) = manifest(SITE);
        let o = |p| {
            outcome(
                &m,
                HtmlHandling::ForceTrailingSlash,
                NotFoundHandling::None,
                p,
            )
        };
        assert_eq!(o("/file"), "-> /file/");
        assert_eq!(o("/file/"), "/file.html 200");
        assert_eq!(o("/file.html"), "-> /file/");
        assert_eq!(o("/folder"), "-> /folder/");
        assert_eq!(o("/folder/"), "/folder/index.html 200");
        assert_eq!(o("/folder/index.html"), "-> /folder/");
        assert_eq!(o("/both.html"), "/both.html 200");
        assert_eq!(o("/both/"), "/both/index.html 200");
        assert_eq!(o("/"), "/index.html 200");
    }

    #[test]
    fn drop_trailing_slash_takes_every_slash_away() {
        let (_d, m) = manifest(SITE);
        let o = |p| {
            outcome(
                &m,
                HtmlHandling::DropTrailingSlash,
                NotFoundHandling::None,
                p,
            )
        };
        assert_eq!(o("/file"), "/file.html 200");
        assert_eq!(o("/file/"), "-> /file");
        assert_eq!(o("/folder"), "/folder/index.html 200");
        assert_eq!(o("/folder/"), "-> /folder");
        assert_eq!(o("/folder/index.html"), "-> /folder");
        assert_eq!(o("/"), "/index.html 200");
        assert_eq!(o("/index.html"), "-> /");
        assert_eq!(o("/both/index.html"), "/both/index.html 200");
        assert_eq!(o("/both"), "/both.html 200");
    }

    #[test]
    fn none_serves_exact_names_only() {
        let (_d, m) = manifest(SITE);
        let o = |p| outcome(&m, HtmlHandling::None, NotFoundHandling::None, p);
        assert_eq!(o("/file.html"), "/file.html 200");
        assert_eq!(o("/file"), "none");
        assert_eq!(o("/folder/"), "none");
    }

    #[test]
    fn not_found_handling_serves_the_spa_shell_or_the_nearest_404_page() {
        let (_d, m) = manifest(SITE);
        let spa = |p| {
            outcome(
                &m,
                HtmlHandling::AutoTrailingSlash,
                NotFoundHandling::SinglePageApplication,
                p,
            )
        };
        assert_eq!(spa("/app/route/42"), "/index.html 200");
        assert_eq!(spa("/file"), "/file.html 200", "files still win");
        let page = |p| {
            outcome(
                &m,
                HtmlHandling::AutoTrailingSlash,
                NotFoundHandling::NotFoundPage,
                p,
            )
        };
        assert_eq!(page("/nothing"), "/404.html 404");
        assert_eq!(page("/sub/deeper/nothing"), "/sub/404.html 404");
        assert_eq!(page("/other/nothing"), "/404.html 404");
    }
}
