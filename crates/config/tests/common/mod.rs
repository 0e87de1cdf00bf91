//! What the config tests share: a temporary project folder to write config
//! files into and load them from.

#![allow(dead_code)] // each test file uses its own part

use std::path::PathBuf;

use motu_config::{ConfigError, Loaded, Settings};

/// The engines the tests' configs may name.
pub const ENGINES: &[&str] = &["quickjs", "v8"];

/// A temporary project folder, removed when dropped.
pub struct Dir(pub tempfile::TempDir);

impl Dir {
    /// A folder holding `files` (name, text).
    pub fn with(files: &[(&str, &str)]) -> Self {
        let d = Dir(tempfile::tempdir().unwrap());
        for (name, text) in files {
            d.write(name, text);
        }
        d
    }

    /// Writes `text` to `name` in the folder (creating its folders); its
    /// path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Writes `text` to `file` and loads it as a config of any format, with
    /// the `[env.NAME]` section `env` and the environment variables `vars`.
    pub fn load_any(
        &self,
        file: &str,
        text: &str,
        env: Option<&str>,
        vars: &[(&str, &str)],
    ) -> Result<Loaded, ConfigError> {
        let p = self.write(file, text);
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>();
        Settings::load_any_with_env(&p, env, ENGINES, vars)
    }
}
