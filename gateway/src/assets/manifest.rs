//! The manifest: every file of an assets folder, read once when the Worker
//! is registered (and again when `motu dev` reloads it).
//!
//! - Each file is known by its path under the folder, spelled `/dir/file`
//!   (decoded, `/`-separated); requests are answered by looking that path
//!   up, never by joining a request path onto the folder.
//! - `.assetsignore` at the top of the folder lists files not to serve, in
//!   `.gitignore` syntax; `.assetsignore`, `_headers` and `_redirects`
//!   themselves are never served.
//! - A symbolic link is followed only when what it points to is inside the
//!   folder; one that leads out of it is left out (and logged).
//! - Each file's strong `ETag` is a hash of its content and extension,
//!   computed here; its `content-type` comes from its extension.
//! - Files up to [`MEMORY_FILE_BYTES`] are kept in memory while the kept
//!   total stays under [`MEMORY_TOTAL_BYTES`]; larger ones are read from
//!   disk, off the executor thread, when requested.
//! - Limits as on Cloudflare: at most [`MAX_FILES`] files, each at most
//!   [`MAX_FILE_BYTES`]; a folder over them fails to load.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::HeaderValue;
use sha2::{Digest, Sha256};

/// How many files an assets folder may hold.
pub const MAX_FILES: usize = 100_000;

/// How large one asset may be (25 MiB).
pub const MAX_FILE_BYTES: u64 = 25 << 20;

/// Files up to this size are kept in memory.
pub const MEMORY_FILE_BYTES: u64 = 512 << 10;

/// At most this much of a folder is kept in memory.
pub const MEMORY_TOTAL_BYTES: u64 = 64 << 20;

/// The files of the folder that are never served.
const META_FILES: &[&str] = &[".assetsignore", "_headers", "_redirects"];

/// One servable file.
#[derive(Debug)]
pub(crate) struct Asset {
    /// The strong entity tag, quotes included.
    pub(crate) etag: HeaderValue,
    /// The tag without quotes (for comparisons).
    pub(crate) tag: Box<str>,
    /// `content-type`, when the extension has one.
    pub(crate) content_type: Option<HeaderValue>,
    /// Its size in bytes.
    pub(crate) len: u64,
    /// Where its bytes are.
    pub(crate) content: Content,
}

/// Where an asset's bytes are.
#[derive(Debug)]
pub(crate) enum Content {
    /// Kept in memory.
    Memory(Bytes),
    /// Read from this file when requested.
    File(PathBuf),
}

/// Every servable file of a folder, by path.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    assets: HashMap<String, Asset>,
}

/// What reading a folder produced besides the manifest: `_headers` and
/// `_redirects`, and warnings for the log.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub(crate) headers: Option<String>,
    pub(crate) redirects: Option<String>,
    pub(crate) warnings: Vec<String>,
}

impl Manifest {
    /// The asset at `path` (decoded, e.g. `/docs/index.html`).
    pub(crate) fn get(&self, path: &str) -> Option<&Asset> {
        self.assets.get(path)
    }

    /// How many files it holds.
    pub(crate) fn len(&self) -> usize {
        self.assets.len()
    }

    /// Reads the folder `dir`. An error is a message naming what is wrong.
    pub(crate) fn build(dir: &Path) -> Result<(Self, Extras), String> {
        let root = std::fs::canonicalize(dir)
            .map_err(|e| format!("cannot read the assets folder '{}': {e}", dir.display()))?;
        let mut extras = Extras {
            headers: read_meta(&root, "_headers")?,
            redirects: read_meta(&root, "_redirects")?,
            warnings: Vec::new(),
        };
        let ignore = ignore_matcher(&root, &mut extras.warnings)?;
        let mut assets = HashMap::new();
        let mut in_memory = 0u64;
        let walk = walkdir::WalkDir::new(&root)
            .follow_links(true)
            .min_depth(1)
            .into_iter()
            .filter_entry(|e| {
                let Ok(relative) = e.path().strip_prefix(&root) else {
                    return false;
                };
                !ignore.matched(relative, e.file_type().is_dir()).is_ignore()
            });
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    extras.warnings.push(format!("skipped: {e}"));
                    continue;
                }
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let relative = entry.path().strip_prefix(&root).unwrap_or(entry.path());
            let Some(key) = key_of(relative) else {
                extras.warnings.push(format!(
                    "'{}' has a name that is not UTF-8; not served",
                    relative.display()
                ));
                continue;
            };
            if !entry.file_type().is_file() {
                continue;
            }
            // A link (or a file under a linked folder) is served only when
            // it resolves to a file inside the folder.
            let real = match std::fs::canonicalize(entry.path()) {
                Ok(real) if real.starts_with(&root) => real,
                Ok(_) => {
                    extras.warnings.push(format!(
                        "'{}' is a symbolic link that leads out of the assets folder; not served",
                        relative.display()
                    ));
                    continue;
                }
                Err(e) => {
                    extras
                        .warnings
                        .push(format!("'{}' cannot be read: {e}", relative.display()));
                    continue;
                }
            };
            if assets.len() >= MAX_FILES {
                return Err(format!(
                    "the assets folder '{}' has more than {MAX_FILES} files",
                    dir.display()
                ));
            }
            let asset = read_asset(&real, relative, &mut in_memory)?;
            assets.insert(key, asset);
        }
        Ok((Self { assets }, extras))
    }
}

/// `relative` as a manifest key: `/` and its components joined by `/`.
fn key_of(relative: &Path) -> Option<String> {
    let mut key = String::new();
    for part in relative.components() {
        key.push('/');
        key.push_str(part.as_os_str().to_str()?);
    }
    Some(key)
}

/// The text of a meta file at the top of `root`, if there is one.
fn read_meta(root: &Path, name: &str) -> Result<Option<String>, String> {
    let path = root.join(name);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Ok(None);
    };
    if !meta.is_file() {
        return Ok(None);
    }
    std::fs::read_to_string(&path)
        .map(Some)
        .map_err(|e| format!("cannot read '{}': {e}", path.display()))
}

/// The matcher of `.assetsignore` plus the meta files.
fn ignore_matcher(
    root: &Path,
    warnings: &mut Vec<String>,
) -> Result<ignore::gitignore::Gitignore, String> {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
    for meta in META_FILES {
        let _ = builder.add_line(None, &format!("/{meta}"));
    }
    if let Some(text) = read_meta(root, ".assetsignore")? {
        for (i, line) in text.lines().enumerate() {
            if let Err(e) = builder.add_line(None, line) {
                warnings.push(format!(".assetsignore:{}: {e}; line ignored", i + 1));
            }
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot read .assetsignore: {e}"))
}

/// Reads one file: its hash, its type, and its bytes if small enough.
fn read_asset(real: &Path, relative: &Path, in_memory: &mut u64) -> Result<Asset, String> {
    let cannot = |e: std::io::Error| format!("cannot read asset '{}': {e}", relative.display());
    let mut file = std::fs::File::open(real).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    if len > MAX_FILE_BYTES {
        return Err(format!(
            "asset '{}' is {len} bytes; an asset may be at most {MAX_FILE_BYTES} bytes (25 MiB)",
            relative.display()
        ));
    }
    let keep = len <= MEMORY_FILE_BYTES && *in_memory + len <= MEMORY_TOTAL_BYTES;
    let mut hasher = Sha256::new();
    let mut kept = Vec::with_capacity(if keep { len as usize } else { 0 });
    let mut buf = vec![0u8; 64 << 10];
    let mut read = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(cannot)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if keep {
            kept.extend_from_slice(&buf[..n]);
        }
        read += n as u64;
    }
    if let Some(ext) = relative.extension().and_then(|e| e.to_str()) {
        hasher.update(ext.as_bytes());
    }
    let digest = hasher.finalize();
    let tag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = HeaderValue::from_str(&format!("\"{tag}\"")).expect("hex is a valid header");
    let content_type =
        super::content_type::for_path(relative).and_then(|t| HeaderValue::from_str(&t).ok());
    let content = if keep {
        *in_memory += read;
        Content::Memory(Bytes::from(kept))
    } else {
        Content::File(real.to_path_buf())
    };
    Ok(Asset {
        etag,
        tag: tag.into(),
        content_type,
        len: read,
        content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn files_are_found_by_path_and_meta_files_are_not_served() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "index.html", "<h1>hi</h1>");
        write(d.path(), "css/site.css", "body{}");
        write(d.path(), ".well-known/security.txt", "x");
        write(d.path(), "_headers", "/*\n  x-a: b\n");
        write(d.path(), "_redirects", "/a /b\n");
        write(d.path(), "sub/_headers", "a nested one is an asset");
        let (m, extras) = Manifest::build(d.path()).unwrap();
        assert!(m.get("/index.html").is_some());
        assert!(m.get("/css/site.css").is_some());
        assert!(m.get("/.well-known/security.txt").is_some());
        assert!(m.get("/sub/_headers").is_some());
        assert!(m.get("/_headers").is_none());
        assert!(m.get("/_redirects").is_none());
        assert_eq!(extras.headers.as_deref(), Some("/*\n  x-a: b\n"));
        assert_eq!(extras.redirects.as_deref(), Some("/a /b\n"));
        let css = m.get("/css/site.css").unwrap();
        assert_eq!(css.len, 6);
        assert_eq!(
            css.content_type.as_ref().unwrap(),
            "text/css; charset=utf-8"
        );
        assert_eq!(css.etag.len(), 34);
    }

    #[test]
    fn etags_follow_the_content() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.txt", "same");
        write(d.path(), "b.txt", "same");
        write(d.path(), "c.txt", "other");
        write(d.path(), "d.html", "same");
        let (m, _) = Manifest::build(d.path()).unwrap();
        let tag = |p: &str| m.get(p).unwrap().tag.to_string();
        assert_eq!(tag("/a.txt"), tag("/b.txt"));
        assert_ne!(tag("/a.txt"), tag("/c.txt"));
        assert_ne!(tag("/a.txt"), tag("/d.html"), "the extension counts");
    }

    #[test]
    fn assetsignore_uses_gitignore_syntax() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            ".assetsignore",
            "# comment\n*.map\nprivate/\n!keep.map\n",
        );
        write(d.path(), "app.js", "x");
        write(d.path(), "app.js.map", "x");
        write(d.path(), "keep.map", "x");
        write(d.path(), "private/secret.txt", "x");
        write(d.path(), "public/private.txt", "x");
        let (m, _) = Manifest::build(d.path()).unwrap();
        assert!(m.get("/app.js").is_some());
        assert!(m.get("/app.js.map").is_none());
        assert!(m.get("/keep.map").is_some());
        assert!(m.get("/private/secret.txt").is_none());
        assert!(m.get("/public/private.txt").is_some());
        assert!(m.get("/.assetsignore").is_none());
    }

    #[test]
    fn links_out_of_the_folder_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret.txt", "secret");
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "real.txt", "real");
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), d.path().join("leak.txt"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("leakdir")).unwrap();
        std::os::unix::fs::symlink(d.path().join("real.txt"), d.path().join("alias.txt")).unwrap();
        let (m, extras) = Manifest::build(d.path()).unwrap();
        assert!(m.get("/real.txt").is_some());
        assert!(
            m.get("/alias.txt").is_some(),
            "a link inside the folder is served"
        );
        assert!(m.get("/leak.txt").is_none());
        assert!(m.get("/leakdir/secret.txt").is_none());
        assert!(
            extras.warnings.iter().any(|w| w.contains("leak.txt")),
            "{:?}",
            extras.warnings
        );
    }

    #[test]
    fn large_files_stay_on_disk_and_oversized_ones_are_refused() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "small.txt", "x");
        let big = vec![b'a'; (MEMORY_FILE_BYTES + 1) as usize];
        std::fs::write(d.path().join("big.bin"), &big).unwrap();
        let (m, _) = Manifest::build(d.path()).unwrap();
        assert!(matches!(
            m.get("/small.txt").unwrap().content,
            Content::Memory(_)
        ));
        assert!(matches!(
            m.get("/big.bin").unwrap().content,
            Content::File(_)
        ));
        let f = std::fs::File::create(d.path().join("huge.bin")).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let e = Manifest::build(d.path()).unwrap_err();
        assert!(e.contains("huge.bin") && e.contains("25 MiB"), "{e}");
    }
}
