//! `[server] state_dir`: where the storage bindings keep their data.

use std::path::{Path, PathBuf};

/// The spelling of a throwaway state folder, in `state_dir` and in
/// `--persist-to`.
pub const THROWAWAY_STATE: &str = ":memory:";

/// Where the stores of the storage bindings (KV, D1, R2) live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateDir {
    /// A folder, created (with private permissions) if it does not exist,
    /// and locked while the server runs.
    Folder(PathBuf),
    /// A fresh temporary folder, removed when the server exits
    /// (`state_dir = ":memory:"`, `--persist-to :memory:`): nothing
    /// outlives the run.
    Throwaway,
}

impl StateDir {
    /// The default: `.motu/state` in `base` (the config file's folder, or
    /// the project folder of a Worker file served without a config).
    pub fn default_in(base: &Path) -> Self {
        StateDir::Folder(base.join(".motu").join("state"))
    }

    /// `value` as given in a config in `base` or on the command line:
    /// `:memory:` for a throwaway folder, else a folder, relative to
    /// `base`.
    pub fn parse(value: &str, base: &Path) -> Result<Self, String> {
        if value == THROWAWAY_STATE {
            return Ok(StateDir::Throwaway);
        }
        if value.is_empty() {
            return Err(format!(
                "is empty (give a folder, or {THROWAWAY_STATE} for a throwaway one)"
            ));
        }
        Ok(StateDir::Folder(base.join(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_dirs_parse() {
        let base = Path::new("/srv/app");
        assert_eq!(
            StateDir::default_in(base),
            StateDir::Folder("/srv/app/.motu/state".into())
        );
        assert_eq!(
            StateDir::parse("data", base),
            Ok(StateDir::Folder("/srv/app/data".into()))
        );
        assert_eq!(
            StateDir::parse("/var/lib/motu", base),
            Ok(StateDir::Folder("/var/lib/motu".into()))
        );
        assert_eq!(StateDir::parse(":memory:", base), Ok(StateDir::Throwaway));
        assert!(StateDir::parse("", base).is_err());
    }
}
