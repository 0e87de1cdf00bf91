//! Which WPT files run, and what each one needs: its `META:` lines, the
//! scripts to evaluate before it, and the files it may load later.

use std::path::Path;

/// The WPT subset, as directories (or single files) under the WPT root. Each
/// entry is one row of the summary.
pub const SUBSET: &[&str] = &[
    "url",
    "encoding",
    "fetch/api/headers",
    "fetch/api/request",
    "fetch/api/response",
    "fetch/api/body",
    "fetch/api/basic",
    "fetch/api/abort",
    "fetch/data-urls",
    "streams",
    "dom/events",
    "dom/abort",
    "html/webappapis/atob",
    "html/webappapis/structured-clone",
    "html/webappapis/timers",
    "html/webappapis/microtask-queuing",
    "WebCryptoAPI/getRandomValues.any.js",
    "WebCryptoAPI/digest",
    "WebCryptoAPI/randomUUID.https.any.js",
    "WebCryptoAPI/sign_verify",
    "WebCryptoAPI/import_export",
    "WebCryptoAPI/encrypt_decrypt",
    "compression",
    "FileAPI/blob",
    "xhr/formdata",
    "hr-time",
    "console",
];

/// `.window.js` tests of the subset that use nothing of a window: they run
/// like `.any.js` tests.
pub const WINDOW_TESTS_WITHOUT_A_DOCUMENT: &[&str] = &[
    "url/IdnaTestV2.window.js",
    "url/IdnaTestV2-removed.window.js",
];

/// The testharness the shim loads first.
pub const TESTHARNESS: &str = "/resources/testharness.js";

/// WPT's server serves `/resources/WebIDLParser.js` from the webidl2 copy.
const ALIASES: &[(&str, &str)] = &[(
    "/resources/WebIDLParser.js",
    "/resources/webidl2/lib/webidl2.js",
)];

/// The kinds of test file WPT has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `*.any.js`: runs in every global its `META: global=` names.
    Any,
    /// `*.worker.js`: a dedicated worker script that imports the harness.
    Worker,
    /// `*.window.js`: needs a window.
    Window,
    /// `*.html` / `*.htm` / `*.xhtml`: a document.
    Html,
}

impl Kind {
    fn of(name: &str) -> Option<Kind> {
        if name.ends_with(".any.js") {
            Some(Kind::Any)
        } else if name.ends_with(".worker.js") {
            Some(Kind::Worker)
        } else if name.ends_with(".window.js") {
            Some(Kind::Window)
        } else if name.ends_with(".html") || name.ends_with(".htm") || name.ends_with(".xhtml") {
            Some(Kind::Html)
        } else {
            None
        }
    }
}

/// A test file that runs.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// Its path under the WPT root, e.g. `url/url-constructor.any.js`.
    pub path: String,
    /// The [`SUBSET`] entry it belongs to.
    pub dir: &'static str,
    /// What kind of test it is.
    pub kind: Kind,
    /// The scripts to evaluate in order, as absolute WPT paths
    /// (`/resources/testharness.js`, the `META: script=` files, the test).
    pub scripts: Vec<String>,
    /// Files the test may load while it runs (`importScripts`, the IDL files
    /// idlharness reads), as absolute WPT paths.
    pub library: Vec<String>,
    /// `META: timeout=long`.
    pub long: bool,
    /// `META: title=`.
    pub title: Option<String>,
}

/// A file of the subset, run or skipped.
#[derive(Debug, Clone)]
pub enum Selection {
    /// It runs.
    Run(TestFile),
    /// It does not, and why.
    Skip {
        /// Its path under the WPT root.
        path: String,
        /// The [`SUBSET`] entry it belongs to.
        dir: &'static str,
        /// Why it does not run.
        reason: String,
    },
}

/// Every test file of the subset under `root`, sorted by path. Missing
/// entries of the subset are left out (the caller can tell from the count).
pub fn discover(root: &Path) -> std::io::Result<Vec<Selection>> {
    let mut out = Vec::new();
    for dir in SUBSET {
        let base = root.join(dir);
        let mut files = Vec::new();
        if base.is_file() {
            files.push((*dir).to_owned());
        } else if base.is_dir() {
            walk(root, &base, &mut files)?;
        }
        files.sort();
        for path in files {
            if let Some(sel) = select(root, dir, path)? {
                out.push(sel);
            }
        }
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            // Helpers and fixtures, not tests.
            let name = entry.file_name();
            if !matches!(name.to_str(), Some("resources" | "support" | "crashtests")) {
                walk(root, &path, out)?;
            }
        } else if let Ok(rel) = path.strip_prefix(root) {
            if let Some(rel) = rel.to_str() {
                out.push(rel.replace('\\', "/"));
            }
        }
    }
    Ok(())
}

fn select(root: &Path, dir: &'static str, path: String) -> std::io::Result<Option<Selection>> {
    let name = path.rsplit('/').next().unwrap_or(&path);
    let Some(kind) = Kind::of(name) else {
        return Ok(None);
    };
    let skip = |reason: &str| {
        Ok(Some(Selection::Skip {
            path: path.clone(),
            dir,
            reason: reason.to_owned(),
        }))
    };
    match kind {
        Kind::Window if WINDOW_TESTS_WITHOUT_A_DOCUMENT.contains(&path.as_str()) => {}
        Kind::Window => return skip("a .window.js test: needs a window (document)"),
        Kind::Html => return skip("an HTML test: needs a document"),
        Kind::Any | Kind::Worker => {}
    }
    let text = std::fs::read_to_string(root.join(&path))?;
    let meta = Meta::parse(&text);
    if kind == Kind::Any && !meta.runs_in_a_worker() {
        return skip("declared for window globals only (META: global=)");
    }
    let own = format!("/{path}");
    let mut scripts = Vec::new();
    if kind != Kind::Worker {
        scripts.push(TESTHARNESS.to_owned());
        for s in &meta.scripts {
            scripts.push(resolve(&own, s));
        }
    }
    scripts.push(own.clone());
    let library = library(root, &own, &text, &scripts);
    Ok(Some(Selection::Run(TestFile {
        path,
        dir,
        kind,
        scripts,
        library,
        long: meta.long,
        title: meta.title,
    })))
}

/// The files a test may load while it runs: every string literal of the
/// test and of the scripts it imports that names a file of the WPT tree
/// (relative to the test, as `fetch` and `importScripts` resolve it), and
/// for idlharness tests the IDL files they name.
fn library(root: &Path, own: &str, text: &str, scripts: &[String]) -> Vec<String> {
    /// Larger files are not passed to every isolate.
    const MAX_BYTES: u64 = 4 << 20;
    let mut texts = vec![text.to_owned()];
    for s in scripts.iter().filter(|s| *s != own && *s != TESTHARNESS) {
        if let Ok(t) = std::fs::read_to_string(root.join(&s[1..])) {
            texts.push(t);
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut add = |path: String| {
        let size = std::fs::metadata(root.join(&path[1..]))
            .map_or(None, |m| m.is_file().then_some(m.len()));
        let wanted = size.is_some_and(|n| n <= MAX_BYTES)
            && !path.ends_with(".py")
            && !scripts.contains(&path)
            && !out.contains(&path);
        if wanted {
            out.push(path);
        }
    };
    for t in &texts {
        for s in quoted_strings(t) {
            if !s.is_empty() && !s.contains(['<', '>', '*', ' ']) && !s.contains("://") {
                add(resolve(own, &s));
            }
        }
    }
    if text.contains("idl_test(") {
        for name in quoted_strings(text) {
            if name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                add(format!("/interfaces/{name}.idl"));
            }
        }
    }
    out
}

/// The `// META:` lines at the top of a test file.
#[derive(Debug, Default)]
struct Meta {
    scripts: Vec<String>,
    globals: Vec<String>,
    long: bool,
    title: Option<String>,
}

impl Meta {
    fn parse(text: &str) -> Meta {
        let mut meta = Meta::default();
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("// META:") else {
                // META lines come first; blank lines may separate them.
                if line.trim().is_empty() {
                    continue;
                }
                break;
            };
            let Some((key, value)) = rest.trim().split_once('=') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "script" => meta.scripts.push(value.to_owned()),
                "global" => meta
                    .globals
                    .extend(value.split(',').map(|g| g.trim().to_owned())),
                "timeout" => meta.long = value == "long",
                "title" => meta.title = Some(value.to_owned()),
                _ => {}
            }
        }
        meta
    }

    /// Without `global=`, an `.any.js` test runs in a window and a dedicated
    /// worker.
    fn runs_in_a_worker(&self) -> bool {
        self.globals.is_empty()
            || self.globals.iter().any(|g| {
                matches!(
                    g.as_str(),
                    "worker"
                        | "dedicatedworker"
                        | "dedicatedworker-module"
                        | "sharedworker"
                        | "sharedworker-module"
                        | "serviceworker"
                        | "serviceworker-module"
                )
            })
    }
}

/// Resolves `url` (absolute like `/common/utils.js` or relative to the file)
/// against the absolute WPT path `from`, and applies the server's aliases.
pub(crate) fn resolve(from: &str, url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let joined = if url.starts_with('/') {
        url.to_owned()
    } else {
        let dir = &from[..from.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{url}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let path = format!("/{}", parts.join("/"));
    ALIASES
        .iter()
        .find(|(from, _)| *from == path)
        .map_or(path, |(_, to)| (*to).to_owned())
}

/// Every single- or double-quoted string literal without escapes or line
/// breaks in `text`.
fn quoted_strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '"' && c != '\'' {
            continue;
        }
        let start = i + 1;
        let mut end = None;
        for (j, d) in chars.by_ref() {
            if d == c {
                end = Some(j);
                break;
            }
            if d == '\\' || d == '\n' {
                break;
            }
        }
        if let Some(end) = end {
            out.push(text[start..end].to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_test() {
        assert_eq!(
            resolve("/streams/piping/close.any.js", "../resources/test-utils.js"),
            "/streams/resources/test-utils.js"
        );
        assert_eq!(
            resolve("/url/a.any.js", "/common/subset-tests.js"),
            "/common/subset-tests.js"
        );
        assert_eq!(
            resolve("/encoding/a.any.js", "resources/encodings.js"),
            "/encoding/resources/encodings.js"
        );
        assert_eq!(
            resolve("/url/idl.any.js", "/resources/WebIDLParser.js"),
            "/resources/webidl2/lib/webidl2.js"
        );
        assert_eq!(resolve("/a/b.js", "./c.js?x=1"), "/a/c.js");
    }

    #[test]
    fn meta_lines_are_read_until_the_code() {
        let meta = Meta::parse(
            "// META: global=window,worker\n// META: script=/common/gc.js\n\
             // META: timeout=long\n// META: title=T\n\n'use strict';\n// META: script=late.js\n",
        );
        assert_eq!(meta.scripts, ["/common/gc.js"]);
        assert!(meta.long);
        assert_eq!(meta.title.as_deref(), Some("T"));
        assert!(meta.runs_in_a_worker());
        assert!(!Meta::parse("// META: global=window\n").runs_in_a_worker());
        assert!(Meta::parse("test(() => {});").runs_in_a_worker());
    }

    #[test]
    fn the_subset_is_selected_with_its_dependencies() {
        let root = std::env::temp_dir().join(format!("motu-wpt-select-{}", std::process::id()));
        let write = |path: &str, text: &str| {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        write(
            "url/a.any.js",
            "// META: script=resources/helper.js\n// META: timeout=long\n\
             promise_test(() => fetch('resources/data.json'), 'x');",
        );
        write("url/resources/helper.js", "var data = \"other.json\";");
        write("url/resources/data.json", "[]");
        write("url/other.json", "{}");
        write("url/b.any.js", "// META: global=window\ntest(() => {});");
        write("url/c.window.js", "test(() => document);");
        write("url/d.html", "<script></script>");
        write(
            "url/e.worker.js",
            "importScripts('/resources/testharness.js', 'resources/helper.js');",
        );
        write("url/IdnaTestV2.window.js", "test(() => {});");
        write("url/idl.any.js", "idl_test(['url'], ['html'], () => {});");
        write("interfaces/url.idl", "interface URL {};");

        let found = discover(&root).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        let run: Vec<&TestFile> = found
            .iter()
            .filter_map(|s| match s {
                Selection::Run(f) => Some(f),
                Selection::Skip { .. } => None,
            })
            .collect();
        let paths: Vec<&str> = run.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "url/IdnaTestV2.window.js",
                "url/a.any.js",
                "url/e.worker.js",
                "url/idl.any.js"
            ]
        );
        let a = run[1];
        assert_eq!(
            a.scripts,
            [TESTHARNESS, "/url/resources/helper.js", "/url/a.any.js"]
        );
        assert!(a.long);
        // Relative to the test, as fetch() resolves them.
        assert_eq!(a.library, ["/url/resources/data.json", "/url/other.json"]);
        let e = run[2];
        assert_eq!(e.scripts, ["/url/e.worker.js"]);
        assert_eq!(e.library, ["/url/resources/helper.js"]);
        assert_eq!(run[3].library, ["/interfaces/url.idl"]);
        let skipped = found.len() - run.len();
        assert_eq!(skipped, 3, "window-only, .window.js and .html");
    }
}
