//! The `content-type` of a file, from its extension, as Wrangler gives it:
//! the standard media type of the extension (`mime_guess`'s table, with the
//! few web types where the current standard differs corrected), and
//! `; charset=utf-8` after every `text/*` type. A file whose extension has
//! no known type is served without a `content-type`.

use std::path::Path;

/// Extensions whose type in the standard tables Wrangler uses differs from
/// `mime_guess`'s.
const CORRECTIONS: &[(&str, &str)] = &[
    ("mjs", "text/javascript"),
    ("cjs", "text/javascript"),
    ("map", "application/json"),
    ("xml", "application/xml"),
    ("ico", "image/vnd.microsoft.icon"),
];

/// The `content-type` to serve `path` with, if its extension has one.
pub(crate) fn for_path(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let media = CORRECTIONS
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, m)| (*m).to_owned())
        .or_else(|| mime_guess::from_ext(&ext).first_raw().map(str::to_owned))?;
    if media.starts_with("text/") && !media.contains("charset") {
        Some(format!("{media}; charset=utf-8"))
    } else {
        Some(media)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_web_types() {
        let t = |p: &str| for_path(Path::new(p));
        assert_eq!(t("index.html").as_deref(), Some("text/html; charset=utf-8"));
        assert_eq!(
            t("a/app.JS").as_deref(),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(
            t("m.mjs").as_deref(),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(t("s.css").as_deref(), Some("text/css; charset=utf-8"));
        assert_eq!(t("d.json").as_deref(), Some("application/json"));
        assert_eq!(t("i.svg").as_deref(), Some("image/svg+xml"));
        assert_eq!(t("i.png").as_deref(), Some("image/png"));
        assert_eq!(t("f.woff2").as_deref(), Some("font/woff2"));
        assert_eq!(t("w.wasm").as_deref(), Some("application/wasm"));
        assert_eq!(t("r.txt").as_deref(), Some("text/plain; charset=utf-8"));
        assert_eq!(t("no-extension"), None);
        assert_eq!(t("x.unknownext"), None);
    }
}
