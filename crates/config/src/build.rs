//! Custom builds (`build`, as in wrangler): a shell command that makes
//! what the Worker serves (its `main`, or files in its assets folder)
//! before it is loaded.
//!
//! ```toml
//! [workers.build]
//! command = "esbuild src/client/index.tsx --bundle --outdir=public/dist"
//! cwd = "."                 # where it runs, relative to the config (default: the config's folder)
//! watch_dir = "src"         # or a list; what `motu dev` watches to run it again (default "src")
//! ```
//!
//! A Wrangler config's `build` section reads the same. Without a
//! `command` (or with an empty one) there is no build, as in wrangler. The
//! paths are resolved against the config's folder, like every other path
//! of the config (wrangler resolves `cwd` against the folder it is run in,
//! which is the config's when it is run from the project, as its docs
//! assume). A Worker with a build may name a `main` and an assets folder
//! that do not exist yet: the build makes them, and they are checked once
//! it has run. The binary's `custom_build` module runs the command.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A Worker's custom build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSettings {
    /// `command`: run in a shell (`sh -c`; `cmd /C` on Windows) before the
    /// Worker is loaded.
    pub command: String,
    /// `cwd`: the folder the command runs in. Default: the config's folder.
    pub cwd: PathBuf,
    /// `watch_dir`: the folders whose changes make `motu dev` run the
    /// command again. Default: `src` in the config's folder.
    pub watch_dirs: Vec<PathBuf>,
}

/// The keys of a Wrangler config's `build` that motu reads (all of
/// wrangler's but the deprecated `upload`).
pub(crate) const WRANGLER_KEYS: &[&str] = &["command", "cwd", "watch_dir"];

/// `build` as the file spells it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBuild {
    pub(crate) command: Option<String>,
    pub(crate) cwd: Option<String>,
    pub(crate) watch_dir: Option<RawWatchDir>,
}

/// `watch_dir`: one folder or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawWatchDir {
    One(String),
    Many(Vec<String>),
}

/// The folder watched when `watch_dir` is not set, as in wrangler.
const DEFAULT_WATCH_DIR: &str = "src";

/// Validates `raw`, with paths relative to `base` (the config's folder);
/// `None` when there is no command. An error is `(field under build,
/// message)`.
pub(crate) fn validate(
    raw: &RawBuild,
    base: &Path,
) -> Result<Option<BuildSettings>, (String, String)> {
    let command = match raw.command.as_deref() {
        None => return Ok(None),
        Some(c) if c.trim().is_empty() => return Ok(None),
        Some(c) => c.to_owned(),
    };
    let cwd = match raw.cwd.as_deref() {
        None => base.to_path_buf(),
        Some("") => return Err(("cwd".into(), "must not be empty".into())),
        Some(dir) => base.join(dir),
    };
    let dirs = match &raw.watch_dir {
        None => vec![DEFAULT_WATCH_DIR.to_owned()],
        Some(RawWatchDir::One(dir)) => vec![dir.clone()],
        Some(RawWatchDir::Many(dirs)) => dirs.clone(),
    };
    if let Some(i) = dirs.iter().position(String::is_empty) {
        return Err((format!("watch_dir[{i}]"), "must not be empty".into()));
    }
    Ok(Some(BuildSettings {
        command,
        cwd,
        watch_dirs: dirs.iter().map(|d| base.join(d)).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(command: Option<&str>, cwd: Option<&str>, watch: Option<RawWatchDir>) -> RawBuild {
        RawBuild {
            command: command.map(str::to_owned),
            cwd: cwd.map(str::to_owned),
            watch_dir: watch,
        }
    }

    #[test]
    fn paths_are_the_configs_and_default_to_src() {
        let base = Path::new("/p");
        let b = validate(&raw(Some("make"), None, None), base)
            .unwrap()
            .unwrap();
        assert_eq!(b.cwd, PathBuf::from("/p"));
        assert_eq!(b.watch_dirs, vec![PathBuf::from("/p/src")]);
        let many = RawWatchDir::Many(vec!["a".into(), "../b".into()]);
        let b = validate(&raw(Some("make"), Some("web"), Some(many)), base)
            .unwrap()
            .unwrap();
        assert_eq!(b.cwd, PathBuf::from("/p/web"));
        assert_eq!(
            b.watch_dirs,
            vec![PathBuf::from("/p/a"), PathBuf::from("/p/../b")]
        );
    }

    #[test]
    fn no_command_is_no_build() {
        let base = Path::new("/p");
        assert_eq!(validate(&raw(None, Some("x"), None), base), Ok(None));
        assert_eq!(validate(&raw(Some(" "), None, None), base), Ok(None));
        let empty = RawWatchDir::Many(vec![String::new()]);
        assert!(validate(&raw(Some("make"), None, Some(empty)), base).is_err());
    }
}
