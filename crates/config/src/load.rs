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
        Self::from_toml(file, &text, engines, env)
    }

    /// Reads `file` as a Wrangler config when its name says so (see
    /// [`is_wrangler_config`](crate::is_wrangler_config)), selecting the
    /// `[env.NAME]` section `wrangler_env` names, else as motu.toml; applies
    /// the `MOTU_SECTION__KEY` environment overrides and validates. The
    /// warnings name what the file holds that motu does not support.
    pub fn load_any(
        file: &Path,
        wrangler_env: Option<&str>,
        engines: &[&str],
    ) -> Result<Loaded, ConfigError> {
        Self::load_any_with_env(file, wrangler_env, engines, std::env::vars())
    }

    /// Like [`Settings::load_any`], with the process environment given.
    pub fn load_any_with_env(
        file: &Path,
        wrangler_env: Option<&str>,
        engines: &[&str],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, ConfigError> {
        if !crate::is_wrangler_config(file) {
            if wrangler_env.is_some() {
                return Err(ConfigError::Invalid {
                    file: file.to_path_buf(),
                    field: "env".into(),
                    message: "--env selects a section of a Wrangler config (wrangler.toml, wrangler.json or wrangler.jsonc)".into(),
                });
            }
            return Ok(Loaded {
                settings: Self::load_with_env(file, engines, env)?,
                warnings: Vec::new(),
            });
        }
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError::Load {
            file: file.to_path_buf(),
            message: e.to_string(),
        })?;
        let translated = crate::wrangler::translate(file, &text, wrangler_env)?;
        let settings = Self::from_toml(file, &translated.toml, engines, env)?;
        Ok(Loaded {
            settings,
            warnings: translated.warnings,
        })
    }

    /// Validates motu.toml-shaped `text` under the environment overrides.
    pub(crate) fn from_toml(
        file: &Path,
        text: &str,
        engines: &[&str],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let load_error = |message: String| ConfigError::Load {
            file: file.to_path_buf(),
            message,
        };
        let overrides: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| {
                k.strip_prefix(ENV_PREFIX)
                    .is_some_and(|rest| rest.contains("__"))
            })
            .collect();
        let raw: RawConfig = Config::builder()
            .add_source(File::from_str(text, FileFormat::Toml))
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

/// A loaded config: the settings, and warnings for the log.
#[derive(Debug)]
pub struct Loaded {
    /// The validated settings.
    pub settings: Settings,
    /// What the file holds that motu does not support (ignored), one line
    /// each.
    pub warnings: Vec<String>,
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
