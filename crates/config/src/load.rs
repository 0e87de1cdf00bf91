//! Reading a config file and the environment.

use std::path::Path;

use config::{Config, Environment, File, FileFormat};

use crate::raw::RawConfig;
use crate::{ConfigError, Settings};

/// The prefix of environment overrides.
const ENV_PREFIX: &str = "MOTU_";

impl Settings {
    /// Reads `file` (TOML) and the `MOTU_SECTION__KEY` environment overrides,
    /// and validates them. `engines` lists the engines built in; the first is
    /// the default.
    pub fn load(file: &Path, engines: &[&str]) -> Result<Self, ConfigError> {
        Self::load_with_env(file, engines, std::env::vars())
    }

    /// Like [`Settings::load`], with the environment given.
    pub fn load_with_env(
        file: &Path,
        engines: &[&str],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let load_error = |message: String| ConfigError::Load {
            file: file.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(file).map_err(|e| load_error(e.to_string()))?;
        let overrides: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| {
                k.strip_prefix(ENV_PREFIX)
                    .is_some_and(|rest| rest.contains("__"))
            })
            .collect();
        let raw: RawConfig = Config::builder()
            .add_source(File::from_str(&text, FileFormat::Toml))
            .add_source(
                Environment::with_prefix("MOTU")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(overrides)),
            )
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| load_error(one_line(&e.to_string())))?;
        Settings::validate(file, raw, engines)
    }
}

/// Folds a multi-line parser message (with its source excerpt) into one line:
/// the position and the explanation.
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [first, .., last] => format!("{first}: {last}"),
    }
}
